//! What the runner learns from `template.yaml`: the systems (one nested
//! stack each), their tables and streams, the functions with their routes
//! and triggers, the queues with their dead-letter queues, and the topic's
//! subscriptions with their filter policies. A route or a subscription that
//! is not in the template does not exist locally either.
//!
//! Templates use long-form intrinsics (`Ref`, `Fn::GetAtt`), so plain YAML
//! reads them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid YAML: {source}")]
    Yaml { path: PathBuf, source: serde_yaml_ng::Error },
    #[error("{path}: {message}")]
    Shape { path: PathBuf, message: String },
}

#[derive(Debug, Clone)]
pub struct System {
    /// URL prefix locally: the nested stack's file name (`bookreservation`).
    pub name: String,
    pub tables: Vec<TableSpec>,
    pub functions: Vec<FunctionSpec>,
    pub queues: Vec<QueueSpec>,
    pub subscriptions: Vec<SubscriptionSpec>,
}

#[derive(Debug, Clone)]
pub struct TableSpec {
    pub logical_id: String,
    pub stream: bool,
}

#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub logical_id: String,
    /// The context crate's binary (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    /// The bounded context: the last folder of `CodeUri`.
    pub context: String,
    pub handler: String,
    /// Logical id of the table in `TABLE_NAME`.
    pub table: Option<String>,
    pub routes: Vec<Route>,
    pub queue: Option<QueueSource>,
    /// Logical id of the table whose stream triggers this function.
    pub stream: Option<String>,
    /// Its environment variables with plain values (parameters resolved to
    /// their defaults or the runner's overrides): the function's settings.
    pub settings: BTreeMap<String, String>,
    /// Variables naming another function of the stack (`GIFT_FUNCTION:
    /// Ref: IssueGiftFunction.Alias`) → that function's logical id.
    pub calls: BTreeMap<String, String>,
}

impl FunctionSpec {
    /// No route, no queue, no stream: only other functions call it.
    pub fn is_internal(&self) -> bool {
        self.routes.is_empty() && self.queue.is_none() && self.stream.is_none()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub method: String,
    /// API Gateway path syntax: `/reservations/{reservationId}`.
    pub path: String,
    /// `Auth: {Authorizer: NONE}`: no token checked.
    pub public: bool,
}

#[derive(Debug, Clone)]
pub struct QueueSource {
    pub queue: String,
    pub batch_size: usize,
    pub report_batch_item_failures: bool,
}

#[derive(Debug, Clone)]
pub struct QueueSpec {
    pub logical_id: String,
    pub visibility_timeout_secs: u64,
    /// `(dead-letter queue logical id, maxReceiveCount)`.
    pub dead_letter: Option<(String, u32)>,
}

#[derive(Debug, Clone)]
pub struct SubscriptionSpec {
    pub queue: String,
    pub raw: bool,
    /// Values of the message attribute `type` let through; `None` = all.
    pub event_types: Option<Vec<String>>,
}

fn read_yaml(path: &Path) -> Result<Value, TemplateError> {
    let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read { path: path.to_owned(), source })?;
    serde_yaml_ng::from_str(&text).map_err(|source| TemplateError::Yaml { path: path.to_owned(), source })
}

/// `Ref: X` or `Fn::GetAtt: [X, Attr]` (or `X.Attr`) → `X`.
fn referenced(value: &Value) -> Option<String> {
    if let Some(name) = value.get("Ref").and_then(Value::as_str) {
        return Some(name.to_owned());
    }
    match value.get("Fn::GetAtt")? {
        Value::Array(parts) => parts.first()?.as_str().map(str::to_owned),
        Value::String(dotted) => dotted.split('.').next().map(str::to_owned),
        _ => None,
    }
}

/// Reads the root template and every nested system stack it points to,
/// with every parameter at its default.
pub fn load(root: &Path) -> Result<Vec<System>, TemplateError> {
    load_with(root, &HashMap::new())
}

/// As [`load`], with `overrides` for the stacks' parameters (the runner's
/// `--parameter Name=Value`, like `sam deploy --parameter-overrides`).
pub fn load_with(root: &Path, overrides: &HashMap<String, String>) -> Result<Vec<System>, TemplateError> {
    let template = read_yaml(root)?;
    let base = root.parent().unwrap_or(Path::new("."));
    let mut systems = Vec::new();
    for (_, resource) in resources(&template) {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Application") {
            continue;
        }
        let Some(location) = resource.pointer("/Properties/Location").and_then(Value::as_str) else {
            continue;
        };
        let path = base.join(location);
        systems.push(load_system(&path, overrides)?);
    }
    systems.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(systems)
}

fn resources(template: &Value) -> Vec<(&String, &Value)> {
    template.get("Resources").and_then(Value::as_object).map(|m| m.iter().collect()).unwrap_or_default()
}

fn load_system(path: &Path, overrides: &HashMap<String, String>) -> Result<System, TemplateError> {
    let template = read_yaml(path)?;
    let shape = |message: String| TemplateError::Shape { path: path.to_owned(), message };
    let parameters: HashMap<String, String> = template
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|params| {
            params
                .iter()
                .filter_map(|(name, spec)| {
                    let value = overrides.get(name).cloned().or_else(|| plain(spec.get("Default")?))?;
                    Some((name.clone(), value))
                })
                .collect()
        })
        .unwrap_or_default();
    let function_ids: Vec<&String> = resources(&template)
        .into_iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function"))
        .map(|(id, _)| id)
        .collect();
    let name =
        path.file_stem().and_then(|s| s.to_str()).ok_or_else(|| shape("stack file has no name".into()))?.to_owned();
    let globals_handler_env = template.pointer("/Globals/Function/Environment/Variables").cloned();
    let mut system =
        System { name, tables: Vec::new(), functions: Vec::new(), queues: Vec::new(), subscriptions: Vec::new() };
    for (id, resource) in resources(&template) {
        let props = resource.get("Properties").cloned().unwrap_or(Value::Null);
        match resource.get("Type").and_then(Value::as_str) {
            Some("AWS::DynamoDB::Table") => system.tables.push(TableSpec {
                logical_id: id.clone(),
                stream: props.pointer("/StreamSpecification/StreamViewType").is_some(),
            }),
            Some("AWS::SQS::Queue") => system.queues.push(QueueSpec {
                logical_id: id.clone(),
                visibility_timeout_secs: props.get("VisibilityTimeout").and_then(as_u64).unwrap_or(30),
                dead_letter: match props.get("RedrivePolicy") {
                    Some(policy) => {
                        let dlq = policy.get("deadLetterTargetArn").and_then(referenced).ok_or_else(|| {
                            shape(format!("{id}: RedrivePolicy without a deadLetterTargetArn reference"))
                        })?;
                        let max = policy.get("maxReceiveCount").and_then(as_u64).unwrap_or(10);
                        Some((dlq, max as u32))
                    }
                    None => None,
                },
            }),
            Some("AWS::SNS::Subscription") => {
                if props.get("Protocol").and_then(Value::as_str) != Some("sqs") {
                    continue;
                }
                let queue = props
                    .get("Endpoint")
                    .and_then(referenced)
                    .ok_or_else(|| shape(format!("{id}: Endpoint must reference a queue")))?;
                if props.get("FilterPolicyScope").and_then(Value::as_str) == Some("MessageBody") {
                    return Err(shape(format!("{id}: only MessageAttributes filter policies are supported")));
                }
                let event_types = match props.get("FilterPolicy") {
                    None | Some(Value::Null) => None,
                    Some(policy) => Some(filter_types(policy).map_err(|m| shape(format!("{id}: {m}")))?),
                };
                system.subscriptions.push(SubscriptionSpec {
                    queue,
                    raw: props.get("RawMessageDelivery").is_some_and(is_true),
                    event_types,
                });
            }
            Some("AWS::Serverless::Function") => {
                let handler = props
                    .get("Handler")
                    .and_then(Value::as_str)
                    .ok_or_else(|| shape(format!("{id}: no Handler")))?
                    .to_owned();
                let binary = resource
                    .pointer("/Metadata/BuildProperties/Binary")
                    .and_then(Value::as_str)
                    .ok_or_else(|| shape(format!("{id}: no Metadata.BuildProperties.Binary")))?
                    .to_owned();
                let context = props
                    .get("CodeUri")
                    .and_then(Value::as_str)
                    .and_then(|uri| uri.trim_end_matches('/').rsplit('/').next())
                    .ok_or_else(|| shape(format!("{id}: no CodeUri")))?
                    .to_owned();
                let table = props
                    .pointer("/Environment/Variables/TABLE_NAME")
                    .or_else(|| globals_handler_env.as_ref().and_then(|g| g.get("TABLE_NAME")))
                    .and_then(referenced);
                let mut settings = BTreeMap::new();
                let mut calls = BTreeMap::new();
                let globals = globals_handler_env.as_ref().and_then(Value::as_object).into_iter().flatten();
                let own = props.pointer("/Environment/Variables").and_then(Value::as_object).into_iter().flatten();
                for (name, value) in globals.chain(own) {
                    if let Some(text) = plain(value) {
                        settings.insert(name.clone(), text);
                    } else if let Some(target) = value.get("Ref").and_then(Value::as_str) {
                        let target = target.strip_suffix(".Alias").unwrap_or(target);
                        if let Some(value) = parameters.get(target) {
                            settings.insert(name.clone(), value.clone());
                        } else if function_ids.iter().any(|f| *f == target) {
                            calls.insert(name.clone(), target.to_owned());
                        }
                    }
                }
                let mut function = FunctionSpec {
                    logical_id: id.clone(),
                    binary,
                    context,
                    handler,
                    table,
                    routes: Vec::new(),
                    queue: None,
                    stream: None,
                    settings,
                    calls,
                };
                let events = props.get("Events").and_then(Value::as_object).cloned().unwrap_or_default();
                for (event_id, event) in events {
                    let event_props = event.get("Properties").cloned().unwrap_or(Value::Null);
                    match event.get("Type").and_then(Value::as_str) {
                        Some("HttpApi") => {
                            let method = event_props.get("Method").and_then(Value::as_str);
                            let route_path = event_props.get("Path").and_then(Value::as_str);
                            let (Some(method), Some(route_path)) = (method, route_path) else {
                                return Err(shape(format!("{id}.{event_id}: HttpApi event needs Method and Path")));
                            };
                            let public =
                                event_props.pointer("/Auth/Authorizer").and_then(Value::as_str) == Some("NONE");
                            function.routes.push(Route {
                                method: method.to_uppercase(),
                                path: route_path.to_owned(),
                                public,
                            });
                        }
                        Some("SQS") => {
                            let queue = event_props
                                .get("Queue")
                                .and_then(referenced)
                                .ok_or_else(|| shape(format!("{id}.{event_id}: Queue must reference a queue")))?;
                            function.queue = Some(QueueSource {
                                queue,
                                batch_size: event_props.get("BatchSize").and_then(as_u64).unwrap_or(10) as usize,
                                report_batch_item_failures: event_props
                                    .get("FunctionResponseTypes")
                                    .and_then(Value::as_array)
                                    .is_some_and(|t| t.iter().any(|v| v == "ReportBatchItemFailures")),
                            });
                        }
                        Some("DynamoDB") => {
                            function.stream = Some(
                                event_props
                                    .get("Stream")
                                    .and_then(referenced)
                                    .ok_or_else(|| shape(format!("{id}.{event_id}: Stream must reference a table")))?,
                            );
                        }
                        _ => {}
                    }
                }
                system.functions.push(function);
            }
            _ => {}
        }
    }
    system.functions.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    Ok(system)
}

/// A scalar as the text an environment variable would hold.
fn plain(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_u64(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str()?.parse().ok())
}

fn is_true(value: &Value) -> bool {
    value.as_bool().unwrap_or(false) || value.as_str() == Some("true")
}

/// The runner filters on the message attribute `type` with exact values,
/// which is all the systems use; anything else is refused at start rather
/// than silently delivering the wrong messages.
fn filter_types(policy: &Value) -> Result<Vec<String>, String> {
    let policy = match policy {
        Value::String(text) => serde_json::from_str(text).map_err(|e| format!("FilterPolicy is not JSON: {e}"))?,
        other => other.clone(),
    };
    let object = policy.as_object().ok_or("FilterPolicy must be an object")?;
    if object.keys().any(|k| k != "type") {
        return Err("FilterPolicy may only filter on the `type` attribute".into());
    }
    object
        .get("type")
        .and_then(Value::as_array)
        .ok_or("FilterPolicy.type must be a list")?
        .iter()
        .map(|v| {
            v.as_str().map(str::to_owned).ok_or_else(|| "FilterPolicy.type holds only exact strings here".to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_template_describes_bookreservation() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let systems = load(&root).unwrap();
        let system = systems.iter().find(|s| s.name == "bookreservation").expect("bookreservation stack");
        let reserve = system.functions.iter().find(|f| f.handler == "request-reservation").unwrap();
        assert_eq!(reserve.routes, vec![Route { method: "POST".into(), path: "/reservations".into(), public: false }]);
        let health = system.functions.iter().find(|f| f.handler == "health").expect("a health function");
        assert!(health.routes.iter().all(|r| r.public), "GET /health needs no token");
        assert_eq!((reserve.binary.as_str(), reserve.context.as_str()), ("bookreservation-reservation", "reservation"));
        let stock_policy = system.functions.iter().find(|f| f.handler == "reserve-stock").unwrap();
        let source = stock_policy.queue.as_ref().expect("an SQS trigger");
        assert!(source.report_batch_item_failures);
        let queue = system.queues.iter().find(|q| q.logical_id == source.queue).unwrap();
        assert!(queue.dead_letter.is_some(), "every policy queue has a DLQ");
        let subscription = system.subscriptions.iter().find(|s| s.queue == source.queue).unwrap();
        assert_eq!(subscription.event_types.as_deref(), Some(&["ReservationRequested".to_owned()][..]));
        assert!(system.tables.iter().filter(|t| t.stream).count() >= 2);
    }

    #[test]
    fn a_caller_names_its_internal_callee_and_gets_the_call_settings() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let overrides = HashMap::from([("CircuitOpenSeconds".to_owned(), "2".to_owned())]);
        for (system, caller, setting, callee) in [
            ("gamereward", "exchange-reward", "GIFT_FUNCTION", "IssueGiftFunction"),
            ("bookrental", "cancel-reservation", "DELIVERY_FUNCTION", "CancelDeliveryFunction"),
        ] {
            let systems = load_with(&root, &overrides).unwrap();
            let system = systems.iter().find(|s| s.name == system).expect("the system's stack");
            let function = system.functions.iter().find(|f| f.handler == caller).unwrap();
            assert_eq!(function.calls.get(setting).map(String::as_str), Some(callee), "{caller}");
            assert_eq!(function.settings.get("CALL_TIMEOUT_MS").map(String::as_str), Some("2000"), "the default");
            assert_eq!(function.settings.get("CIRCUIT_OPEN_SECONDS").map(String::as_str), Some("2"), "the override");
            let target = system.functions.iter().find(|f| f.logical_id == callee).unwrap();
            assert!(target.is_internal(), "{callee} has no route, queue or stream");
            assert!(!function.is_internal());
        }
    }

    #[test]
    fn only_exact_type_filters_are_accepted() {
        assert_eq!(filter_types(&serde_json::json!({"type": ["A", "B"]})).unwrap(), vec!["A", "B"]);
        assert!(filter_types(&serde_json::json!({"type": [{"prefix": "A"}]})).is_err());
        assert!(filter_types(&serde_json::json!({"source": ["x"]})).is_err());
    }
}
