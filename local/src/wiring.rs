//! What the template describes, wired onto the adapters: each function of
//! a system built from its context crate's table (`functions::by_binary`),
//! with its table, settings and remotes; HTTP functions onto their routes,
//! queue functions onto consumers, stream functions onto relays.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::MethodRouter;
use framework::store::Table;
use framework::{Deps, Function};

use crate::auth::Authorizer;
use crate::calls::LocalRemote;
use crate::consumers::Consumer;
use crate::control::Control;
use crate::gateway::add_route;
use crate::provision::{Tables, provision_embedded};
use crate::relays::{Outbox, Relay};
use crate::runner::{Backend, Config, StartError, SystemRuntime};
use crate::template::{FunctionSpec, System};

/// What every system is wired with.
pub(crate) struct Wiring<'a> {
    pub(crate) config: &'a Config,
    pub(crate) authorizer: &'a Authorizer,
    pub(crate) control: &'a Arc<Control>,
    pub(crate) circuits: &'a framework::call::Circuits,
    pub(crate) activity: &'a Arc<crate::activity::Feed>,
}

pub(crate) async fn wire_system(
    system: &System,
    wiring: &Wiring<'_>,
    routes: &mut BTreeMap<String, MethodRouter<()>>,
) -> Result<(SystemRuntime, Vec<Arc<Consumer>>, Vec<Relay>), StartError> {
    let config = wiring.config;
    let (tables, queues) = match &config.backend {
        Backend::Embedded => provision_embedded(system, config)?,
        #[cfg(feature = "aws")]
        Backend::Aws { config: sdk, prefix } => {
            let provisioned = crate::aws::provision(sdk, prefix, system).await.map_err(StartError::Storage)?;
            (provisioned.tables, provisioned.queues)
        }
    };
    let mut consumers = Vec::new();
    let mut relays = Vec::new();
    // Internal functions first: the others' remotes point at them.
    let mut internal: HashMap<&str, Arc<dyn framework::call::Remote>> = HashMap::new();
    for function in system.functions.iter().filter(|f| f.is_internal()) {
        let Function::Internal(run) = make_function(function, &tables, &HashMap::new(), wiring.circuits)? else {
            return Err(StartError::Wiring(format!(
                "{}: no trigger, but not an internal function",
                function.logical_id
            )));
        };
        let remote = LocalRemote {
            system: system.name.clone(),
            context: function.context.clone(),
            run,
            calls: wiring.control.calls(&system.name, &function.context),
            dice: std::sync::Mutex::new(
                wiring.control.faults.dice(&format!("calls:{}/{}", system.name, function.context)),
            ),
        };
        internal.insert(function.logical_id.as_str(), Arc::new(remote));
    }
    for function in &system.functions {
        if function.is_internal() {
            continue;
        }
        if let Some(table) = &function.stream {
            let (outbox, stream) = tables
                .get(table)
                .and_then(|(table, stream)| Some((table.clone(), stream.clone()?)))
                .ok_or_else(|| StartError::Wiring(format!("{}: no stream on table {table}", function.logical_id)))?;
            let after = function.settings.get("SWEEP_AFTER_SECONDS").and_then(|s| s.parse().ok()).unwrap_or(300);
            relays.push((
                stream,
                Outbox {
                    system: system.name.clone(),
                    context: function.context.clone(),
                    table: outbox,
                    topic: queues.topic(),
                    after: Duration::from_secs(after),
                },
            ));
            continue;
        }
        let mut remotes = HashMap::new();
        for (setting, target) in &function.calls {
            let remote = internal.get(target.as_str()).ok_or_else(|| {
                StartError::Wiring(format!(
                    "{}: {setting} names {target}, not an internal function",
                    function.logical_id
                ))
            })?;
            remotes.insert(setting.clone(), remote.clone());
        }
        let made = make_function(function, &tables, &remotes, wiring.circuits)?;
        match (made, &function.queue) {
            (Function::Http(run), None) if !function.routes.is_empty() => {
                for route in &function.routes {
                    add_route(routes, system, route, function, run.clone(), wiring)?;
                }
            }
            (Function::Queue { run, .. }, Some(source)) => {
                let queue = system.queues.iter().find(|q| q.logical_id == source.queue).ok_or_else(|| {
                    StartError::Wiring(format!("{}: unknown queue {}", function.logical_id, source.queue))
                })?;
                let visibility =
                    config.visibility_timeout.unwrap_or(Duration::from_secs(queue.visibility_timeout_secs));
                consumers.push(Arc::new(Consumer {
                    system: system.name.clone(),
                    context: function.context.clone(),
                    function: function.logical_id.clone(),
                    handler: function.handler.clone(),
                    queue: source.queue.clone(),
                    batch_size: source.batch_size.max(1),
                    partial_failures: source.report_batch_item_failures,
                    visibility_ms: visibility.as_millis() as u64,
                    run,
                }));
            }
            _ => {
                return Err(StartError::Wiring(format!(
                    "{}: handler {} does not fit its trigger",
                    function.logical_id, function.handler
                )));
            }
        }
    }
    Ok((SystemRuntime { name: system.name.clone(), queues }, consumers, relays))
}

pub(crate) fn make_function(
    function: &FunctionSpec,
    tables: &Tables,
    remotes: &HashMap<String, Arc<dyn framework::call::Remote>>,
    circuits: &framework::call::Circuits,
) -> Result<Function, StartError> {
    if function.handler == framework::http::HEALTH_HANDLER {
        return Ok(Function::Http(framework::http::health()));
    }
    let functions = functions::by_binary(&function.binary)
        .map(|context| context.functions)
        .ok_or_else(|| StartError::Wiring(format!("{}: no context crate {}", function.logical_id, function.binary)))?;
    let table_id =
        function.table.as_ref().ok_or_else(|| StartError::Wiring(format!("{}: no TABLE_NAME", function.logical_id)))?;
    let table: Arc<dyn Table> = tables
        .get(table_id)
        .ok_or_else(|| StartError::Wiring(format!("{}: unknown table {table_id}", function.logical_id)))?
        .0
        .clone();
    let deps = Deps {
        table,
        remotes: remotes.clone(),
        settings: Arc::new(function.settings.clone().into_iter().collect()),
        circuits: circuits.clone(),
    };
    framework::function(functions, &function.handler, deps).ok_or_else(|| {
        StartError::Wiring(format!("{}: {} has no handler {}", function.logical_id, function.binary, function.handler))
    })
}
