//! Wires what the template describes onto the embedded adapters and serves
//! it: HTTP routes → the context's HTTP functions (after the JWT check),
//! table streams → the relay → the system's broker, queues → the policy
//! functions, batch by batch, as Lambda's event source mappings would.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawPathParams, Request as AxumRequest, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{MethodFilter, MethodRouter, get, post};
use embedded::{Broker, QueueSpec as BrokerQueue, SqliteTable, StreamCapture, Subscription};
use framework::relay::Publisher;
use framework::store::Table;
use framework::{Deps, Function, HttpFn, QueueFn};
use serde_json::{Value, json};

use crate::auth::Authorizer;
use crate::backend::{EmbeddedQueues, EmbeddedStream, Queues, Received, Stream};
use crate::template::{self, FunctionSpec, System};

#[derive(Debug, Clone)]
pub struct Config {
    pub template: PathBuf,
    pub data_dir: PathBuf,
    pub in_memory: bool,
    pub bind: SocketAddr,
    /// Overrides every queue's visibility timeout (how long a failed
    /// message waits before it is retried).
    pub visibility_timeout: Option<Duration>,
    pub backend: Backend,
    /// Batches of one queue handled at once, as Lambda scales an SQS event
    /// source out over concurrent invocations.
    pub pollers_per_queue: usize,
    /// Stack parameter overrides (`CircuitOpenSeconds=2`), as
    /// `sam deploy --parameter-overrides` would pass them.
    pub parameters: HashMap<String, String>,
    /// Only these systems (empty: all of the template).
    pub systems: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Backend {
    /// SQLite tables and broker (in `data_dir`, or in memory).
    Embedded,
    /// DynamoDB, SNS and SQS at the SDK's endpoint; resources named
    /// `<prefix>-<system>-<LogicalId>`.
    Aws { config: aws_config::SdkConfig, prefix: String },
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error("{0}")]
    Wiring(String),
    #[error("storage: {0}")]
    Storage(String),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

struct Consumer {
    system: String,
    context: String,
    function: String,
    queue: String,
    batch_size: usize,
    partial_failures: bool,
    visibility_ms: u64,
    run: QueueFn,
}

struct SystemRuntime {
    name: String,
    queues: Arc<dyn Queues>,
}

/// Which contexts have their consumers stopped (`/_local/.../stop`), and
/// how each context's internal functions answer calls (`/_local/.../calls`).
#[derive(Default)]
struct Control {
    stopped: Mutex<HashSet<(String, String)>>,
    resumed: tokio::sync::Notify,
    /// One switch per context, shared with the remotes that call into it.
    calls: Mutex<HashMap<(String, String), Arc<Mutex<CallControl>>>>,
}

/// How a context's synchronous side behaves, as `/_local` set it.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
enum CallMode {
    #[default]
    Up,
    /// Every call fails at once, as if nothing listened.
    Down,
    /// Every call waits `delayMs` before the function runs.
    Slow,
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct CallControl {
    mode: CallMode,
    delay_ms: u64,
    /// Calls that arrived at the context (while down too).
    received: u64,
}

impl Control {
    /// Asked on every poll: a scan of the (tiny) set, without allocating.
    fn is_stopped(&self, system: &str, context: &str) -> bool {
        self.stopped.lock().unwrap_or_else(|p| p.into_inner()).iter().any(|(s, c)| s == system && c == context)
    }

    fn set_consuming(&self, system: &str, context: &str, consuming: bool) {
        let mut stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        if consuming {
            stopped.retain(|(s, c)| !(s == system && c == context));
        } else {
            stopped.insert((system.to_owned(), context.to_owned()));
        }
        drop(stopped);
        if consuming {
            self.resumed.notify_waiters();
        }
    }
}

impl Control {
    /// Counts a call arriving at `context` and says how to answer it.
    /// The call switch of `context`, made on first use.
    fn calls(&self, system: &str, context: &str) -> Arc<Mutex<CallControl>> {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        calls.entry((system.to_owned(), context.to_owned())).or_default().clone()
    }

    fn set_calls(&self, system: &str, context: &str, mode: CallMode, delay_ms: u64) -> CallControl {
        let calls = self.calls(system, context);
        let mut control = calls.lock().unwrap_or_else(|p| p.into_inner());
        control.mode = mode;
        control.delay_ms = delay_ms;
        *control
    }

    fn calls_of(&self, system: &str, context: &str) -> CallControl {
        *self.calls(system, context).lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Another context's internal function, called in-process as Lambda Invoke
/// would call it: the callee runs to the end on its own task even when the
/// caller stops waiting, and `/_local` can make it fail or slow down.
struct LocalRemote {
    system: String,
    context: String,
    run: framework::call::InternalFn,
    /// The callee context's switch (`/_local/.../calls`).
    calls: Arc<Mutex<CallControl>>,
}

impl framework::call::Remote for LocalRemote {
    fn invoke(&self, request: Value) -> framework::store::BoxFuture<'_, Result<Value, framework::call::RemoteError>> {
        use framework::call::RemoteError;
        Box::pin(async move {
            let control = {
                let mut control = self.calls.lock().unwrap_or_else(|p| p.into_inner());
                control.received += 1;
                *control
            };
            let delay = match control.mode {
                CallMode::Down => {
                    return Err(RemoteError::Unreachable(format!(
                        "{}/{} is down (set by /_local)",
                        self.system, self.context
                    )));
                }
                CallMode::Slow => Duration::from_millis(control.delay_ms),
                CallMode::Up => Duration::ZERO,
            };
            let run = self.run.clone();
            let call = tokio::spawn(async move {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                run(request).await
            });
            call.await.map_err(|e| RemoteError::Failed(format!("{}/{} crashed: {e}", self.system, self.context)))
        })
    }
}

struct Shared {
    systems: Vec<SystemRuntime>,
    consumers: Vec<Arc<Consumer>>,
    /// Every function's context, by system: what `/_local` may address.
    contexts: HashSet<(String, String)>,
    control: Arc<Control>,
    circuits: framework::call::Circuits,
    outboxes: Vec<Outbox>,
}

pub struct Running {
    pub addr: SocketAddr,
    pub server: tokio::task::JoinHandle<()>,
}

pub async fn start(config: Config, authorizer: Authorizer) -> Result<Running, StartError> {
    let mut systems = template::load_with(&config.template, &config.parameters)?;
    if !config.systems.is_empty() {
        if let Some(unknown) = config.systems.iter().find(|name| !systems.iter().any(|s| &&s.name == name)) {
            return Err(StartError::Wiring(format!("no system {unknown} in the template")));
        }
        systems.retain(|s| config.systems.contains(&s.name));
    }
    let mut runtimes = Vec::new();
    let mut consumers = Vec::new();
    let mut routes: BTreeMap<String, MethodRouter<()>> = BTreeMap::new();
    let mut relays = Vec::new();
    let control = Arc::new(Control::default());
    let circuits = framework::call::Circuits::default();
    let wiring = Wiring { config: &config, authorizer: &authorizer, control: &control, circuits: &circuits };
    for system in &systems {
        let (runtime, system_consumers, system_relays) = wire_system(system, &wiring, &mut routes).await?;
        runtimes.push(runtime);
        consumers.extend(system_consumers);
        relays.extend(system_relays);
    }
    let contexts =
        systems.iter().flat_map(|s| s.functions.iter().map(|f| (s.name.clone(), f.context.clone()))).collect();
    let (streams, outboxes): (Vec<_>, Vec<_>) = relays.into_iter().unzip();
    let shared = Arc::new(Shared { systems: runtimes, consumers, contexts, control, circuits, outboxes });
    for (stream, outbox) in streams.into_iter().zip(&shared.outboxes) {
        let owner = (outbox.system.clone(), outbox.context.clone());
        tokio::spawn(relay(owner, stream, outbox.topic.clone(), shared.clone()));
    }
    tokio::spawn(sweep_every(SWEEP_EVERY, shared.clone()));
    for consumer in &shared.consumers {
        let queues = shared
            .systems
            .iter()
            .find(|s| s.name == consumer.system)
            .map(|s| s.queues.clone())
            .expect("consumer of a known system");
        for _ in 0..config.pollers_per_queue.max(1) {
            tokio::spawn(consume(consumer.clone(), queues.clone(), shared.clone()));
        }
    }
    let mut app = Router::new();
    for (path, methods) in routes {
        app = app.route(&path, methods.fallback(method_not_allowed));
    }
    let mut inspect = Router::new().route("/health", get(health));
    // The control API takes no token (it can stop consumers and inject
    // events): it is served only to this machine.
    if config.bind.ip().is_loopback() {
        inspect = inspect
            .route("/_local/queues", get(queues))
            .route("/_local/circuits", get(list_circuits))
            .route("/_local/{system}/contexts/{context}/calls", get(get_calls).post(set_calls))
            .route("/_local/{system}/contexts/{context}/stop", post(stop_context))
            .route("/_local/{system}/contexts/{context}/start", post(start_context))
            .route("/_local/{system}/queues/{queue}/redrive", post(redrive))
            .route("/_local/{system}/contexts/{context}/sweep", post(sweep_now))
            .route("/_local/{system}/events", post(publish));
    } else {
        tracing::warn!(listen = %config.bind, "not a loopback address: the /_local control API is off");
    }
    let inspect = inspect.with_state(shared.clone());
    let app = app.merge(inspect).fallback(unknown_route);
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running { addr, server })
}

/// A table's stream, and the outbox its relay publishes from.
type Relay = (Arc<dyn Stream>, Outbox);

/// One context's outbox, for the sweeper.
struct Outbox {
    system: String,
    context: String,
    table: Arc<dyn Table>,
    topic: Arc<dyn Publisher>,
    /// The relay's `SWEEP_AFTER_SECONDS`: items older than this are swept.
    after: Duration,
}

type Tables = HashMap<String, (Arc<dyn Table>, Option<Arc<dyn Stream>>)>;

/// The system's tables (with their streams) and queues on the embedded store.
fn provision_embedded(system: &System, config: &Config) -> Result<(Tables, Arc<dyn Queues>), StartError> {
    let dir = config.data_dir.join(&system.name);
    if !config.in_memory {
        std::fs::create_dir_all(&dir).map_err(|e| StartError::Storage(format!("{}: {e}", dir.display())))?;
    }
    let path_of = |file: &str| (!config.in_memory).then(|| dir.join(file));
    let mut tables: Tables = HashMap::new();
    for spec in &system.tables {
        // The relay's filter passes only outbox inserts; a table without a
        // stream keeps no changes at all.
        let capture = if spec.stream {
            StreamCapture::PutsWithPrefix(framework::commit::OUTBOX_PREFIX.to_owned())
        } else {
            StreamCapture::Off
        };
        let table = Arc::new(
            SqliteTable::open_with(path_of(&format!("{}.db", spec.logical_id)).as_deref(), capture)
                .map_err(|e| StartError::Storage(e.to_string()))?,
        );
        let stream: Option<Arc<dyn Stream>> =
            spec.stream.then(|| Arc::new(EmbeddedStream(table.clone())) as Arc<dyn Stream>);
        tables.insert(spec.logical_id.clone(), (table, stream));
    }
    let broker_queues = system
        .queues
        .iter()
        .map(|q| BrokerQueue { name: q.logical_id.clone(), dead_letter: q.dead_letter.clone() })
        .collect();
    let subscriptions = system
        .subscriptions
        .iter()
        .map(|s| Subscription { queue: s.queue.clone(), event_types: s.event_types.clone(), raw: s.raw })
        .collect();
    let topic = format!("arn:aws:sns:local:000000000000:{}-events", system.name);
    // One file per queue, under `broker/`.
    let broker = Broker::open(path_of("broker").as_deref(), topic, broker_queues, subscriptions)
        .map_err(|e| StartError::Storage(e.to_string()))?;
    // A data directory of an earlier version kept every queue in one file.
    if let Some(legacy) = path_of("broker.db") {
        let moved = broker.import(&legacy).map_err(|e| StartError::Storage(e.to_string()))?;
        if moved > 0 {
            tracing::info!(system = %system.name, moved, "queued messages moved to one file per queue");
        }
    }
    Ok((tables, Arc::new(EmbeddedQueues(Arc::new(broker)))))
}

/// What every system is wired with.
struct Wiring<'a> {
    config: &'a Config,
    authorizer: &'a Authorizer,
    control: &'a Arc<Control>,
    circuits: &'a framework::call::Circuits,
}

async fn wire_system(
    system: &System,
    wiring: &Wiring<'_>,
    routes: &mut BTreeMap<String, MethodRouter<()>>,
) -> Result<(SystemRuntime, Vec<Arc<Consumer>>, Vec<Relay>), StartError> {
    let config = wiring.config;
    let (tables, queues) = match &config.backend {
        Backend::Embedded => provision_embedded(system, config)?,
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
                    add_route(routes, system, route, function, run.clone(), wiring.authorizer.clone())?;
                }
            }
            (Function::Queue(run), Some(source)) => {
                let queue = system.queues.iter().find(|q| q.logical_id == source.queue).ok_or_else(|| {
                    StartError::Wiring(format!("{}: unknown queue {}", function.logical_id, source.queue))
                })?;
                let visibility =
                    config.visibility_timeout.unwrap_or(Duration::from_secs(queue.visibility_timeout_secs));
                consumers.push(Arc::new(Consumer {
                    system: system.name.clone(),
                    context: function.context.clone(),
                    function: function.logical_id.clone(),
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

fn make_function(
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

struct HttpTarget {
    route_key: String,
    /// No authorizer on this route (`Auth: NONE`).
    public: bool,
    run: HttpFn,
    authorizer: Authorizer,
}

fn add_route(
    routes: &mut BTreeMap<String, MethodRouter<()>>,
    system: &System,
    route: &template::Route,
    function: &FunctionSpec,
    run: HttpFn,
    authorizer: Authorizer,
) -> Result<(), StartError> {
    let method: Method = route
        .method
        .parse()
        .map_err(|_| StartError::Wiring(format!("{}: bad method {}", function.logical_id, route.method)))?;
    let filter = MethodFilter::try_from(method).map_err(|e| StartError::Wiring(e.to_string()))?;
    let target = Arc::new(HttpTarget {
        route_key: format!("{} {}", route.method, route.path),
        public: route.public,
        run,
        authorizer,
    });
    let handler = move |params: RawPathParams, request: AxumRequest| {
        let target = target.clone();
        async move { invoke_http(target, params, request).await }
    };
    let path = format!("/{}{}", system.name, route.path);
    let methods = routes.remove(&path).unwrap_or_default();
    routes.insert(path, methods.on(filter, handler));
    Ok(())
}

/// One HTTP request through the authorizer and into the function, as an
/// API Gateway HTTP API (payload 2.0) event.
async fn invoke_http(target: Arc<HttpTarget>, params: RawPathParams, request: AxumRequest) -> AxumResponse {
    let (parts, body) = request.into_parts();
    let authorization = parts.headers.get("authorization").and_then(|v| v.to_str().ok());
    let claims = match target.authorizer.authorize(authorization) {
        _ if target.public => HashMap::new(),
        Ok(claims) => claims,
        Err(e) => {
            tracing::info!(route = %target.route_key, reason = %e, "unauthorized");
            return error_response(StatusCode::UNAUTHORIZED, "unauthorized", "A valid bearer token is required.");
        }
    };
    let body = match axum::body::to_bytes(body, 6 * 1024 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return error_response(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "The body is too large.");
        }
    };
    let path_parameters: HashMap<&str, &str> = params.iter().collect();
    let event =
        api_gateway_event(&target.route_key, &parts.method, &parts.uri, &parts.headers, claims, path_parameters, &body);
    let request: lambda_http::Request = match serde_json::from_value(event) {
        Ok(event) => lambda_http::request::LambdaRequest::ApiGatewayV2(event).into(),
        Err(e) => {
            return error_response(StatusCode::BAD_REQUEST, "bad_request", &format!("Unreadable request: {e}."));
        }
    };
    // A panicking handler costs its request, not the runner.
    match tokio::spawn((target.run)(request)).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            (parts.status, parts.headers, Bytes::copy_from_slice(body.as_ref())).into_response()
        }
        Err(e) => {
            tracing::error!(route = %target.route_key, error = %e, "handler panicked");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong on our side.")
        }
    }
}

fn api_gateway_event(
    route_key: &str,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    claims: HashMap<String, String>,
    path_parameters: HashMap<&str, &str>,
    body: &[u8],
) -> Value {
    // The system prefix is the stage of a custom domain on AWS: the function
    // sees the path without it.
    let full_path = uri.path();
    let raw_path =
        full_path.trim_start_matches('/').split_once('/').map_or("/".to_owned(), |(_, rest)| format!("/{rest}"));
    let header_map: serde_json::Map<String, Value> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), Value::String(v.to_str().ok()?.to_owned()))))
        .collect();
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": uri.query().unwrap_or(""),
        "headers": header_map,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {"method": method.as_str(), "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": ""},
            "requestId": framework::new_id(),
            "routeKey": route_key,
            "stage": "$default",
            "time": "",
            "timeEpoch": now_ms,
            "authorizer": {"jwt": {"claims": claims, "scopes": null}},
        },
        "pathParameters": path_parameters,
        "body": String::from_utf8_lossy(body),
        "isBase64Encoded": false,
    })
}

fn error_response(status: StatusCode, code: &str, message: &str) -> AxumResponse {
    (status, axum::Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

async fn method_not_allowed(request: AxumRequest) -> AxumResponse {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        &format!("{} is not allowed on {}.", request.method(), request.uri().path()),
    )
}

async fn unknown_route(request: AxumRequest) -> AxumResponse {
    error_response(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("No route {} {}.", request.method(), request.uri().path()),
    )
}

/// Outbox → topic, for one table's stream, in order; on a failed publish
/// the same records are tried again (never skipped).
async fn relay(owner: (String, String), stream: Arc<dyn Stream>, topic: Arc<dyn Publisher>, shared: Arc<Shared>) {
    let committed = stream.committed();
    let (system, context) = owner;
    let mut backoff = Duration::from_millis(50);
    loop {
        // The relay is one of its context's functions: it stops with them.
        if shared.control.is_stopped(&system, &context) {
            let _ = tokio::time::timeout(Duration::from_millis(250), shared.control.resumed.notified()).await;
            continue;
        }
        let changes = match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
            Ok(Ok(changes)) => changes,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "stream read failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(_) => {
                tracing::error!("stream read hung for 10 s; reading again");
                continue;
            }
        };
        if changes.is_empty() {
            match &committed {
                Some(committed) => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), committed.notified()).await;
                }
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            }
            continue;
        }
        match framework::relay::relay(&changes, &*topic).await {
            Ok(_) => {
                if let Err(e) = stream.acknowledge(&changes).await {
                    tracing::error!(error = %e, "could not acknowledge the stream; events will be relayed again");
                }
                backoff = Duration::from_millis(50);
            }
            Err(_) => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// How often the runner sweeps each outbox (the relay functions' schedule
/// on AWS is `rate(5 minutes)`; locally a minute, so a demo need not wait).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Publishes what the relay has not, past each relay's `SWEEP_AFTER_SECONDS`.
async fn sweep_every(every: Duration, shared: Arc<Shared>) {
    loop {
        tokio::time::sleep(every).await;
        for outbox in &shared.outboxes {
            // The sweep is the relay function's other trigger: it stops with it.
            if shared.control.is_stopped(&outbox.system, &outbox.context) {
                continue;
            }
            if let Err(e) = framework::relay::sweep(&*outbox.table, &*outbox.topic, outbox.after).await {
                tracing::error!(system = %outbox.system, context = %outbox.context, error = %e, "sweep failed");
            }
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SweepNow {
    #[serde(default)]
    older_than_ms: u64,
}

/// `POST /_local/<system>/contexts/<context>/sweep {"olderThanMs": n}`: runs
/// the context's outbox sweep now (as invoking its relay's schedule by hand),
/// even while the context is stopped.
async fn sweep_now(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path((system, context)): axum::extract::Path<(String, String)>,
    body: Bytes,
) -> AxumResponse {
    let Some(outbox) = shared.outboxes.iter().find(|o| o.system == system && o.context == context) else {
        return error_response(StatusCode::NOT_FOUND, "not_found", &format!("No outbox of {system}/{context}."));
    };
    let request: SweepNow = if body.is_empty() {
        SweepNow::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(request) => request,
            Err(e) => return error_response(StatusCode::BAD_REQUEST, "invalid_field", &format!("{e}.")),
        }
    };
    let after = Duration::from_millis(request.older_than_ms);
    match framework::relay::sweep(&*outbox.table, &*outbox.topic, after).await {
        Ok(swept) => axum::Json(json!({"system": system, "context": context, "swept": swept})).into_response(),
        Err(e) => error_response(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &e.to_string()),
    }
}

/// One queue's event source mapping: receive a batch, invoke, delete what
/// succeeded; failures come back after the visibility timeout.
async fn consume(consumer: Arc<Consumer>, queues: Arc<dyn Queues>, shared: Arc<Shared>) {
    let arrivals = queues.arrivals(&consumer.queue);
    // What the last batch finished: deleted with the next receive.
    let mut settled: Vec<String> = Vec::new();
    loop {
        if shared.control.is_stopped(&consumer.system, &consumer.context) {
            if !settled.is_empty()
                && let Err(e) = queues.delete(&consumer.queue, std::mem::take(&mut settled)).await
            {
                tracing::error!(queue = %consumer.queue, error = %e, "delete failed; messages will be redelivered");
            }
            let _ = tokio::time::timeout(Duration::from_millis(250), shared.control.resumed.notified()).await;
            continue;
        }
        let received = match queues
            .settle_and_receive(
                &consumer.queue,
                std::mem::take(&mut settled),
                consumer.batch_size,
                consumer.visibility_ms,
            )
            .await
        {
            Ok(received) => received,
            Err(e) => {
                tracing::error!(queue = %consumer.queue, error = %e, "receive failed; finished messages will be redelivered");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if shared.control.is_stopped(&consumer.system, &consumer.context) {
            // Stopped while this receive was waiting (SQS long polling): the
            // messages go back to the queue when their visibility times out.
            continue;
        }
        if received.is_empty() {
            if let Some(arrivals) = &arrivals {
                let _ = tokio::time::timeout(Duration::from_millis(500), arrivals.notified()).await;
            }
            continue;
        }
        if received.len() == consumer.batch_size
            && let Some(arrivals) = &arrivals
        {
            // A full batch: more may be waiting, so wake a sibling poller.
            arrivals.notify_one();
        }
        let mut batch = SqsEvent::default();
        batch.records = received.iter().map(|m| sqs_message(&consumer.queue, m)).collect();
        let failed: Option<HashSet<String>> = match tokio::spawn((consumer.run)(batch)).await {
            Ok(response) if consumer.partial_failures => {
                Some(response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect())
            }
            Ok(response) if response.batch_item_failures.is_empty() => Some(HashSet::new()),
            // Without ReportBatchItemFailures, one failure fails the batch.
            Ok(_) => None,
            Err(e) => {
                tracing::error!(function = %consumer.function, error = %e, "consumer panicked; the batch will be retried");
                None
            }
        };
        let Some(failed) = failed else { continue };
        settled = received.iter().filter(|m| !failed.contains(&m.message_id)).map(|m| m.receipt.clone()).collect();
    }
}

fn sqs_message(queue: &str, m: &Received) -> SqsMessage {
    let mut message = SqsMessage::default();
    message.message_id = Some(m.message_id.clone());
    message.receipt_handle = Some(m.receipt.to_string());
    message.body = Some(m.body.clone());
    message.attributes = HashMap::from([
        ("ApproximateReceiveCount".to_owned(), m.receive_count.to_string()),
        ("SentTimestamp".to_owned(), m.sent_at_ms.to_string()),
    ]);
    message.event_source = Some("aws:sqs".into());
    message.event_source_arn = Some(format!("arn:aws:sqs:local:000000000000:{queue}"));
    message.aws_region = Some("local".into());
    message
}

async fn health(State(shared): State<Arc<Shared>>) -> AxumResponse {
    let systems: Vec<&str> = shared.systems.iter().map(|s| s.name.as_str()).collect();
    axum::Json(json!({"status": "ok", "systems": systems})).into_response()
}

async fn queues(State(shared): State<Arc<Shared>>) -> AxumResponse {
    let mut rows = Vec::new();
    for consumer in &shared.consumers {
        let Some(system) = shared.systems.iter().find(|s| s.name == consumer.system) else {
            continue;
        };
        let depth = system.queues.depth(&consumer.queue).await.unwrap_or_default();
        let dlq = system.queues.dead_letter_queue(&consumer.queue);
        let dead = match &dlq {
            Some(dlq) => system.queues.depth(dlq).await.map_or(0, |d| d.visible + d.in_flight),
            None => 0,
        };
        rows.push(json!({
            "system": consumer.system,
            "context": consumer.context,
            "function": consumer.function,
            "queue": consumer.queue,
            "deadLetterQueue": dlq,
            "depth": depth.visible,
            "inFlight": depth.in_flight,
            "deadLetters": dead,
            "consuming": !shared.control.is_stopped(&consumer.system, &consumer.context),
        }));
    }
    axum::Json(rows).into_response()
}

fn known_context(shared: &Shared, system: &str, context: &str) -> bool {
    shared.contexts.contains(&(system.to_owned(), context.to_owned()))
}

/// `GET /_local/circuits`: every circuit breaker of the runner.
async fn list_circuits(State(shared): State<Arc<Shared>>) -> AxumResponse {
    axum::Json(shared.circuits.statuses()).into_response()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetCalls {
    mode: CallMode,
    #[serde(default)]
    delay_ms: u64,
}

fn calls_answer(system: &str, context: &str, control: CallControl) -> AxumResponse {
    axum::Json(json!({
        "system": system,
        "context": context,
        "mode": control.mode,
        "delayMs": control.delay_ms,
        "received": control.received,
    }))
    .into_response()
}

async fn get_calls(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path((system, context)): axum::extract::Path<(String, String)>,
) -> AxumResponse {
    if !known_context(&shared, &system, &context) {
        return error_response(StatusCode::NOT_FOUND, "not_found", &format!("No context {system}/{context}."));
    }
    calls_answer(&system, &context, shared.control.calls_of(&system, &context))
}

/// `POST /_local/{system}/contexts/{context}/calls {"mode":"down"|"slow"|"up","delayMs":n}`:
/// how the context's internal functions answer from now on.
async fn set_calls(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path((system, context)): axum::extract::Path<(String, String)>,
    body: Bytes,
) -> AxumResponse {
    if !known_context(&shared, &system, &context) {
        return error_response(StatusCode::NOT_FOUND, "not_found", &format!("No context {system}/{context}."));
    }
    let set: SetCalls = match serde_json::from_slice(&body) {
        Ok(set) => set,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "invalid_field",
                &format!("Expected {{\"mode\": \"up\"|\"down\"|\"slow\", \"delayMs\": n}}: {e}."),
            );
        }
    };
    if set.mode == CallMode::Slow && set.delay_ms == 0 {
        return error_response(StatusCode::BAD_REQUEST, "invalid_field", "delayMs: slow needs a delay above 0.");
    }
    let control = shared.control.set_calls(&system, &context, set.mode, set.delay_ms);
    tracing::info!(%system, %context, mode = ?set.mode, delay_ms = set.delay_ms, "calls switched");
    calls_answer(&system, &context, control)
}

async fn stop_context(state: State<Arc<Shared>>, path: axum::extract::Path<(String, String)>) -> AxumResponse {
    set_consuming(state, path, false)
}

async fn start_context(state: State<Arc<Shared>>, path: axum::extract::Path<(String, String)>) -> AxumResponse {
    set_consuming(state, path, true)
}

fn set_consuming(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path((system, context)): axum::extract::Path<(String, String)>,
    consuming: bool,
) -> AxumResponse {
    if !known_context(&shared, &system, &context) {
        return error_response(StatusCode::NOT_FOUND, "not_found", &format!("No consumers of {system}/{context}."));
    }
    shared.control.set_consuming(&system, &context, consuming);
    tracing::info!(%system, %context, consuming, "consumers switched");
    axum::Json(json!({"system": system, "context": context, "consuming": consuming})).into_response()
}

async fn redrive(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path((system, queue)): axum::extract::Path<(String, String)>,
) -> AxumResponse {
    let Some(runtime) = shared.systems.iter().find(|s| s.name == system) else {
        return error_response(StatusCode::NOT_FOUND, "not_found", &format!("No system {system}."));
    };
    match runtime.queues.redrive(&queue).await {
        Ok(moved) => axum::Json(json!({"queue": queue, "moved": moved})).into_response(),
        Err(e) => error_response(StatusCode::NOT_FOUND, "not_found", &e.to_string()),
    }
}

/// Publishes events on a system's topic as its relay would: for demos, and
/// to prove that a duplicated delivery has one effect.
async fn publish(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(system): axum::extract::Path<String>,
    body: Bytes,
) -> AxumResponse {
    let Some(runtime) = shared.systems.iter().find(|s| s.name == system) else {
        return error_response(StatusCode::NOT_FOUND, "not_found", &format!("No system {system}."));
    };
    let events: Vec<framework::Envelope> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => match items.into_iter().map(serde_json::from_value).collect() {
            Ok(events) => events,
            Err(e) => return error_response(StatusCode::BAD_REQUEST, "invalid_field", &format!("events: {e}")),
        },
        Ok(one) => match serde_json::from_value(one) {
            Ok(event) => vec![event],
            Err(e) => return error_response(StatusCode::BAD_REQUEST, "invalid_field", &format!("event: {e}")),
        },
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                &format!("The body is not valid JSON: {e}."),
            );
        }
    };
    match runtime.queues.topic().publish(&events).await {
        Ok(()) => (StatusCode::ACCEPTED, axum::Json(json!({"published": events.len()}))).into_response(),
        Err(e) => error_response(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &e.to_string()),
    }
}
