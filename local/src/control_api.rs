//! `/_local`: the runner's own API, served on loopback only: queues and
//! dead letters, circuits, the fault switches (stop a context's consumers,
//! take its internal functions down or slow them), redrive, a sweep now,
//! and events published by hand.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::calls::{CallControl, CallMode};
use crate::gateway::{error_response, refusal, refused_after_reading};
use crate::runner::Shared;

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SweepNow {
    #[serde(default)]
    older_than_ms: u64,
}

/// `POST /_local/<system>/contexts/<context>/sweep {"olderThanMs": n}`: runs
/// the context's outbox sweep now (as invoking its relay's schedule by hand),
/// even while the context is stopped.
pub(crate) async fn sweep_now(
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
        // The contract's reading of a body: the field at fault named.
        match framework::http::json_object(&body) {
            Ok(request) => request,
            Err(refused) => return refusal(refused),
        }
    };
    let after = Duration::from_millis(request.older_than_ms);
    match framework::relay::sweep(&*outbox.table, &*outbox.topic, after).await {
        Ok(swept) => axum::Json(json!({"system": system, "context": context, "swept": swept})).into_response(),
        Err(e) => error_response(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &e.to_string()),
    }
}

/// `GET /health`, and `/_local` when the runner listens on loopback: the
/// control API takes no token (it can stop consumers and inject events), so
/// it is served only to this machine.
pub(crate) fn router(shared: Arc<Shared>, bind: SocketAddr) -> Router {
    let mut inspect = Router::new().route("/health", get(health));
    if bind.ip().is_loopback() {
        let control = Router::new()
            .route("/_local/queues", get(queues))
            .route("/_local/outboxes", get(outboxes))
            .route("/_local/circuits", get(list_circuits))
            .route("/_local/faults", get(get_faults).post(set_faults))
            .route("/_local/aws-requests", get(aws_requests))
            .route("/_local/contract", get(events_checked))
            .route("/", get(crate::web::page))
            .route("/_local/boards", get(crate::web::boards))
            .route("/_local/token", post(crate::web::token))
            .route("/_local/activity", get(crate::activity::stream))
            .route("/_local/{system}/contexts/{context}/calls", get(get_calls).post(set_calls))
            .route("/_local/{system}/contexts/{context}/stop", post(stop_context))
            .route("/_local/{system}/contexts/{context}/start", post(start_context))
            .route("/_local/{system}/queues/{queue}/redrive", post(redrive))
            .route("/_local/{system}/contexts/{context}/sweep", post(sweep_now))
            .route("/_local/{system}/events", post(publish))
            .layer(axum::middleware::from_fn(same_machine_only));
        inspect = inspect.merge(control);
    } else {
        tracing::warn!(listen = %bind, "not a loopback address: the /_local control API is off");
    }
    inspect.with_state(shared)
}

/// A web page in the developer's browser must not drive the control API:
/// a `POST` must say it sends JSON (which a cross-site form cannot without a
/// preflight, which is never answered), and every request must name this
/// machine as its host (a rebinding DNS name does not).
async fn same_machine_only(request: axum::extract::Request, next: axum::middleware::Next) -> AxumResponse {
    let host = request.headers().get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let name = host
        .rsplit_once(':')
        .map_or(host, |(name, port)| if port.chars().all(|c| c.is_ascii_digit()) { name } else { host });
    if !matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
        let refusal = "The control API answers only to this machine (Host).";
        return refused_after_reading(request, StatusCode::FORBIDDEN, "forbidden", refusal).await;
    }
    let json = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")));
    if request.method() == axum::http::Method::POST && !json {
        let refusal = "The control API takes JSON: send Content-Type: application/json.";
        return refused_after_reading(request, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", refusal)
            .await;
    }
    next.run(request).await
}

/// `GET /_local/aws-requests`: every AWS request `--aws` has sent, by
/// service and operation (`{}` on the embedded store).
/// `--check-events`: how many published events were checked against their
/// schemas, and each that broke one.
async fn events_checked(State(shared): State<Arc<Shared>>) -> AxumResponse {
    #[cfg(feature = "check-events")]
    if let Some(checker) = &shared.events_checked {
        return axum::Json(checker.report()).into_response();
    }
    let _ = shared;
    error_response(StatusCode::NOT_FOUND, "not_found", "Start the runner with --check-events to have events checked.")
}

async fn aws_requests() -> AxumResponse {
    #[cfg(feature = "aws")]
    let counts = crate::aws::requests();
    #[cfg(not(feature = "aws"))]
    let counts = json!({});
    axum::Json(counts).into_response()
}

pub(crate) async fn health(State(shared): State<Arc<Shared>>) -> AxumResponse {
    let systems: Vec<&str> = shared.systems.iter().map(|s| s.name.as_str()).collect();
    axum::Json(json!({"status": "ok", "systems": systems})).into_response()
}

/// `GET /_local/queues[?system=S]`: each consumer's queue: messages
/// waiting, in flight, and in its dead-letter queue.
pub(crate) async fn queues(State(shared): State<Arc<Shared>>, only: SystemQuery) -> AxumResponse {
    let only = match system_filter(only) {
        Ok(only) => only,
        Err(refused) => return *refused,
    };
    let mut rows = Vec::new();
    for consumer in &shared.consumers {
        if only.system.as_ref().is_some_and(|system| *system != consumer.system) {
            continue;
        }
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
            "handler": consumer.handler,
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

/// `GET /_local/outboxes[?system=S]`: per context, how many committed events
/// its relay has not yet handed to the topic (counted up to 1,000 per
/// shard). A query per shard: on `--aws` ask for one system.
pub(crate) async fn outboxes(State(shared): State<Arc<Shared>>, only: SystemQuery) -> AxumResponse {
    let only = match system_filter(only) {
        Ok(only) => only,
        Err(refused) => return *refused,
    };
    let mut counts = tokio::task::JoinSet::new();
    for (i, outbox) in shared.outboxes.iter().enumerate() {
        if only.system.as_ref().is_some_and(|system| *system != outbox.system) {
            continue;
        }
        let table = outbox.table.clone();
        counts.spawn(async move { (i, framework::relay::waiting(&*table, 1_000).await) });
    }
    let mut waiting = Vec::new();
    while let Some(joined) = counts.join_next().await {
        match joined {
            Ok((i, Ok(n))) => waiting.push((i, n)),
            Ok((_, Err(e))) => return error_response(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &e.to_string()),
            Err(e) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e.to_string()),
        }
    }
    waiting.sort_unstable();
    let rows: Vec<_> = waiting
        .into_iter()
        .map(|(i, n)| {
            let outbox = &shared.outboxes[i];
            json!({
                "system": outbox.system,
                "context": outbox.context,
                "waiting": n,
                "relaying": !shared.control.is_stopped(&outbox.system, &outbox.context),
            })
        })
        .collect();
    axum::Json(rows).into_response()
}

#[derive(serde::Deserialize)]
pub(crate) struct SystemFilter {
    system: Option<String>,
}

type SystemQuery = Result<axum::extract::Query<SystemFilter>, axum::extract::rejection::QueryRejection>;

/// `?system=S`, or the contract's 400.
fn system_filter(only: SystemQuery) -> Result<SystemFilter, Box<AxumResponse>> {
    only.map(|axum::extract::Query(only)| only).map_err(|e| {
        Box::new(error_response(StatusCode::BAD_REQUEST, "invalid_field", &format!("system: {}.", e.body_text())))
    })
}

fn faults_answer(shared: &Shared) -> AxumResponse {
    axum::Json(json!({"plan": shared.control.faults.plan(), "injected": shared.control.faults.injected.to_json()}))
        .into_response()
}

/// `GET /_local/faults`: the plan in force and how many of each fault were
/// injected since the runner started.
pub(crate) async fn get_faults(State(shared): State<Arc<Shared>>) -> AxumResponse {
    faults_answer(&shared)
}

/// `POST /_local/faults {"dup":0.2,"fail":0.1,"delayMs":[0,200],"reorder":true,"publish":0.1,"calls":0.05,"seed":7}`:
/// the plan from now on (`{}` turns every fault off); the counts go on.
pub(crate) async fn set_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> AxumResponse {
    let plan = match framework::http::json_object::<crate::faults::FaultPlan>(&body) {
        Ok(plan) => plan,
        Err(refused) => return refusal(refused),
    };
    match plan.check() {
        Ok(()) => {
            tracing::info!(?plan, "faults set");
            shared.control.faults.set_plan(plan);
            faults_answer(&shared)
        }
        Err(e) => error_response(StatusCode::BAD_REQUEST, "invalid_field", &format!("Not a fault plan: {e}.")),
    }
}

fn known_context(shared: &Shared, system: &str, context: &str) -> bool {
    shared.contexts.contains(&(system.to_owned(), context.to_owned()))
}

/// `GET /_local/circuits`: every circuit breaker of the runner.
pub(crate) async fn list_circuits(State(shared): State<Arc<Shared>>) -> AxumResponse {
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

pub(crate) async fn get_calls(
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
pub(crate) async fn set_calls(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path((system, context)): axum::extract::Path<(String, String)>,
    body: Bytes,
) -> AxumResponse {
    if !known_context(&shared, &system, &context) {
        return error_response(StatusCode::NOT_FOUND, "not_found", &format!("No context {system}/{context}."));
    }
    let set: SetCalls = match framework::http::json_object(&body) {
        Ok(set) => set,
        Err(refused) => return refusal(refused),
    };
    if set.mode == CallMode::Slow && set.delay_ms == 0 {
        return error_response(StatusCode::BAD_REQUEST, "invalid_field", "delayMs: slow needs a delay above 0.");
    }
    let control = shared.control.set_calls(&system, &context, set.mode, set.delay_ms);
    tracing::info!(%system, %context, mode = ?set.mode, delay_ms = set.delay_ms, "calls switched");
    calls_answer(&system, &context, control)
}

pub(crate) async fn stop_context(
    state: State<Arc<Shared>>,
    path: axum::extract::Path<(String, String)>,
) -> AxumResponse {
    set_consuming(state, path, false)
}

pub(crate) async fn start_context(
    state: State<Arc<Shared>>,
    path: axum::extract::Path<(String, String)>,
) -> AxumResponse {
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

pub(crate) async fn redrive(
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
pub(crate) async fn publish(
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
