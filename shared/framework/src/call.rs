//! Synchronous calls from one context to another's internal function,
//! through a circuit breaker.
//!
//! Two of the seeds need an answer before they may change anything (a
//! book-rental cancel must cancel the delivery first; a reward exchange must
//! get the gift before the wallet changes). The caller holds a [`Client`]:
//! every call is bounded by a timeout, and failures (no answer, an error of
//! the callee's own, a timeout) are counted by a breaker that opens after
//! `CIRCUIT_FAILURE_THRESHOLD` consecutive ones. While it is open, calls fail
//! at once, without reaching the callee, for `CIRCUIT_OPEN_SECONDS`; then one
//! call is let through (half-open): success closes the circuit, failure opens
//! it again. A caller turns [`CallError::Unavailable`] into the contract's
//! `503` with `Retry-After`, before it has written anything.
//!
//! The callee is an [`InternalFn`]: a function with no route, which users
//! cannot reach. On AWS the [`Remote`] is a Lambda `Invoke` of it; on the
//! local runner, an in-process call the runner can make fail or slow down.
//!
//! The breaker lives in the caller's process: on Lambda one per execution
//! environment (each counts its own failures, as each JVM did under
//! Hystrix), on the local runner one per function.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use failsafe::failure_policy::{ConsecutiveFailures, consecutive_failures};
use failsafe::{Instrument, StateMachine, backoff};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::Instrument as _;

use crate::http::ApiError;
use crate::store::BoxFuture;

/// The transport to another context's internal function.
pub trait Remote: Send + Sync {
    /// Sends the request, returns the callee's [`Reply`] as JSON.
    fn invoke(&self, request: Value) -> BoxFuture<'_, Result<Value, RemoteError>>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    /// The callee could not be reached (down, throttled, not configured).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The callee was reached and crashed or returned garbage.
    #[error("failed: {0}")]
    Failed(String),
}

/// What an internal function answers: `status` as HTTP would say it, the
/// `body` on success, or the contract's `error` on a refusal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub body: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Refusal>,
}

/// A callee's business answer that is not a success (a `4xx`): the call
/// worked, the callee said no.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    #[serde(default)]
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl Refusal {
    /// As [`Refusal::unexpected`], for a caller's typed logic: logged, and
    /// `Refused::Upstream` (answered `502` with `code`).
    pub fn upstream<E>(self, code: &'static str) -> crate::Refused<E> {
        let answer = self.unexpected(code);
        crate::Refused::Upstream { code, message: answer.message }
    }

    /// A refusal the caller's own checks should have made impossible (a
    /// bug on one side): logged, and answered `502` with `code`.
    pub fn unexpected(self, code: &'static str) -> ApiError {
        tracing::error!(code = %self.code, message = %self.message, "callee refused a request the caller checked");
        ApiError::new(lambda_http::http::StatusCode::BAD_GATEWAY, code, self.message)
    }
}

/// An internal function, as the Lambda runtime and the local runner call it:
/// request JSON in, [`Reply`] JSON out.
pub type InternalFn = Arc<dyn Fn(Value) -> BoxFuture<'static, Value> + Send + Sync>;

/// Wraps an internal handler: the request is read as `T` (a `400` reply
/// names the field at fault), the result becomes a [`Reply`].
pub fn internal<T, R, F, Fut>(name: &'static str, handler: F) -> InternalFn
where
    T: DeserializeOwned + Send + 'static,
    R: Serialize,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, ApiError>> + Send + 'static,
{
    let handler = Arc::new(handler);
    Arc::new(move |request: Value| {
        let handler = handler.clone();
        let correlation_id =
            request.get("correlationId").and_then(Value::as_str).map(str::to_owned).unwrap_or_default();
        let span = tracing::info_span!("call", function = name, correlation_id = %correlation_id);
        Box::pin(
            async move {
                let outcome = match serde_path_to_error::deserialize::<_, T>(request) {
                    Ok(input) => handler(input).await,
                    Err(e) => Err(crate::http::field_error(e)),
                };
                let reply = match outcome {
                    Ok(body) => Reply {
                        status: 200,
                        body: serde_json::to_value(body).expect("replies always serialize"),
                        error: None,
                    },
                    Err(e) => {
                        e.log("call", "call_5xx");
                        Reply {
                            status: e.status.as_u16(),
                            body: Value::Null,
                            error: Some(Refusal {
                                status: e.status.as_u16(),
                                code: e.code.to_owned(),
                                message: e.message,
                            }),
                        }
                    }
                };
                serde_json::to_value(reply).expect("replies always serialize")
            }
            .instrument(span),
        )
    })
}

/// How a [`Client`] guards its calls. Read from the function's settings
/// (its environment on Lambda, the template's on the local runner).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallSettings {
    /// `CALL_TIMEOUT_MS`: longest wait for an answer (default 2000).
    pub timeout: Duration,
    /// `CIRCUIT_FAILURE_THRESHOLD`: consecutive failures that open the circuit (default 5).
    pub failure_threshold: u32,
    /// `CIRCUIT_OPEN_SECONDS`: how long it stays open before one call probes (default 10).
    pub open_for: Duration,
}

impl Default for CallSettings {
    fn default() -> Self {
        Self { timeout: Duration::from_millis(2000), failure_threshold: 5, open_for: Duration::from_secs(10) }
    }
}

impl CallSettings {
    pub fn from_settings(settings: &HashMap<String, String>) -> Self {
        let number = |name: &str| settings.get(name).and_then(|v| v.trim().parse::<u64>().ok()).filter(|n| *n > 0);
        let default = Self::default();
        Self {
            timeout: number("CALL_TIMEOUT_MS").map_or(default.timeout, Duration::from_millis),
            failure_threshold: number("CIRCUIT_FAILURE_THRESHOLD")
                .map_or(default.failure_threshold, |n| n.min(u32::MAX as u64) as u32),
            open_for: number("CIRCUIT_OPEN_SECONDS").map_or(default.open_for, Duration::from_secs),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

/// What a circuit is doing, for logs and the local runner's inspect API.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CircuitStatus {
    pub name: String,
    pub state: CircuitState,
    /// While open: seconds until a call is let through again.
    pub retry_after_secs: Option<u64>,
    pub consecutive_failures: u32,
    pub rejected: u64,
}

#[derive(Debug)]
struct Watched {
    state: CircuitState,
    open_until: Option<Instant>,
    consecutive_failures: u32,
    rejected: u64,
}

/// Follows the breaker's transitions (failsafe's instrument hook).
#[derive(Debug, Clone)]
struct Watch {
    name: Arc<str>,
    open_for: Duration,
    inner: Arc<Mutex<Watched>>,
}

impl Watch {
    fn update(&self, f: impl FnOnce(&mut Watched)) {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()));
    }

    fn status(&self) -> CircuitStatus {
        let w = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let retry_after_secs = match (w.state, w.open_until) {
            (CircuitState::Open, Some(until)) => {
                Some(until.saturating_duration_since(Instant::now()).as_secs_f64().ceil().max(1.0) as u64)
            }
            _ => None,
        };
        CircuitStatus {
            name: self.name.to_string(),
            state: w.state,
            retry_after_secs,
            consecutive_failures: w.consecutive_failures,
            rejected: w.rejected,
        }
    }
}

impl Instrument for Watch {
    fn on_call_rejected(&self) {
        self.update(|w| w.rejected += 1);
    }

    fn on_open(&self) {
        let open_for = self.open_for;
        self.update(|w| {
            w.state = CircuitState::Open;
            w.open_until = Some(Instant::now() + open_for);
        });
        tracing::warn!(circuit = %self.name, open_secs = open_for.as_secs(), "circuit opened");
    }

    fn on_half_open(&self) {
        self.update(|w| w.state = CircuitState::HalfOpen);
        tracing::info!(circuit = %self.name, "circuit half-open: probing");
    }

    fn on_closed(&self) {
        let mut was = CircuitState::Closed;
        self.update(|w| {
            was = std::mem::replace(&mut w.state, CircuitState::Closed);
            w.open_until = None;
            w.consecutive_failures = 0;
        });
        if was != CircuitState::Closed {
            tracing::info!(circuit = %self.name, "circuit closed");
        }
    }
}

type Breaker = StateMachine<ConsecutiveFailures<backoff::Constant>, Watch>;

/// Why a call did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// The callee answered with a refusal (`4xx`): a business answer, and a
    /// healthy callee as far as the circuit is concerned.
    Refused(Refusal),
    /// No usable answer, or the circuit is open: the contract's `503` with
    /// `Retry-After`, ready to return.
    Unavailable(ApiError),
}

/// Every circuit of a process (or of one local runner), for inspection.
#[derive(Clone, Default)]
pub struct Circuits(Arc<Mutex<Vec<Watch>>>);

impl Circuits {
    pub fn statuses(&self) -> Vec<CircuitStatus> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).iter().map(Watch::status).collect()
    }

    fn register(&self, watch: Watch) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(watch);
    }
}

/// A guarded client of one other context's internal function.
#[derive(Clone)]
pub struct Client {
    remote: Arc<dyn Remote>,
    settings: CallSettings,
    breaker: Breaker,
    watch: Watch,
    fallback: Arc<str>,
}

impl Client {
    /// `name` names the circuit in logs (`exchange-reward→gift`).
    pub fn new(name: &str, remote: Arc<dyn Remote>, settings: CallSettings, circuits: &Circuits) -> Self {
        let watch = Watch {
            name: name.into(),
            open_for: settings.open_for,
            inner: Arc::new(Mutex::new(Watched {
                state: CircuitState::Closed,
                open_until: None,
                consecutive_failures: 0,
                rejected: 0,
            })),
        };
        circuits.register(watch.clone());
        let policy = consecutive_failures(settings.failure_threshold, backoff::constant(settings.open_for));
        let breaker = failsafe::Config::new().failure_policy(policy).instrument(watch.clone()).build();
        Self {
            remote,
            settings,
            breaker,
            watch,
            fallback: "A service this needs is unavailable; try again later.".into(),
        }
    }

    /// The message of the `503` users see (the contract's "exchange later").
    pub fn with_fallback(mut self, message: &str) -> Self {
        self.fallback = message.into();
        self
    }

    pub fn status(&self) -> CircuitStatus {
        self.watch.status()
    }

    /// One call: refused at once while the circuit is open; otherwise sent,
    /// bounded by the timeout, and its outcome counted.
    pub async fn call<Req: Serialize, Resp: DeserializeOwned>(&self, request: &Req) -> Result<Resp, CallError> {
        if !self.breaker.is_call_permitted() {
            let retry_after = self.watch.status().retry_after_secs.unwrap_or(1);
            tracing::info!(circuit = %self.watch.name, retry_after, "circuit open: call not sent");
            return Err(self.unavailable(retry_after));
        }
        let request = match serde_json::to_value(request) {
            Ok(request) => request,
            Err(e) => {
                tracing::error!(error = %e, "call request does not serialize");
                return Err(self.unavailable(1));
            }
        };
        let outcome = match tokio::time::timeout(self.settings.timeout, self.remote.invoke(request)).await {
            Err(_) => Err(format!("no answer within {} ms", self.settings.timeout.as_millis())),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(value)) => match serde_json::from_value::<Reply>(value) {
                Err(e) => Err(format!("unreadable reply: {e}")),
                Ok(reply) if reply.status >= 500 => Err(format!(
                    "callee failed with {}: {}",
                    reply.status,
                    reply.error.map(|e| e.message).unwrap_or_default()
                )),
                Ok(reply) => Ok(reply),
            },
        };
        match outcome {
            Err(reason) => {
                self.watch.update(|w| w.consecutive_failures += 1);
                self.breaker.on_error();
                tracing::warn!(circuit = %self.watch.name, %reason, "call failed");
                let retry_after = self.watch.status().retry_after_secs.unwrap_or(1);
                Err(self.unavailable(retry_after))
            }
            Ok(reply) => {
                self.watch.update(|w| w.consecutive_failures = 0);
                self.breaker.on_success();
                if let Some(mut refusal) = reply.error.filter(|_| reply.status >= 300) {
                    refusal.status = reply.status;
                    return Err(CallError::Refused(refusal));
                }
                serde_json::from_value(reply.body).map_err(|e| {
                    tracing::error!(circuit = %self.watch.name, error = %e, "reply body has an unexpected shape");
                    CallError::Unavailable(ApiError::unavailable(self.fallback.to_string(), 1))
                })
            }
        }
    }

    fn unavailable(&self, retry_after: u64) -> CallError {
        CallError::Unavailable(ApiError::unavailable(
            self.fallback.to_string(),
            retry_after.min(u32::MAX as u64) as u32,
        ))
    }
}

/// Stands in for a remote the function's settings do not name: every call
/// fails (and is logged), so a misconfigured deploy answers `503`, not `500`.
pub struct Unconfigured(pub String);

impl Remote for Unconfigured {
    fn invoke(&self, _request: Value) -> BoxFuture<'_, Result<Value, RemoteError>> {
        Box::pin(async move { Err(RemoteError::Unreachable(format!("{} is not configured", self.0))) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};

    /// A callee whose health the test sets: 0 up, 1 down, 2 hangs.
    struct Switch {
        mode: AtomicU8,
        calls: AtomicU32,
    }

    impl Remote for Switch {
        fn invoke(&self, request: Value) -> BoxFuture<'_, Result<Value, RemoteError>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let mode = self.mode.load(Ordering::SeqCst);
            Box::pin(async move {
                match mode {
                    0 => Ok(serde_json::json!({"status": 200, "body": {"echo": request}})),
                    1 => Err(RemoteError::Unreachable("down".into())),
                    _ => std::future::pending().await,
                }
            })
        }
    }

    fn client(switch: Arc<Switch>, open_for: Duration) -> Client {
        let settings = CallSettings { timeout: Duration::from_millis(20), failure_threshold: 3, open_for };
        Client::new("test→callee", switch, settings, &Circuits::default())
    }

    fn switch(mode: u8) -> Arc<Switch> {
        Arc::new(Switch { mode: AtomicU8::new(mode), calls: AtomicU32::new(0) })
    }

    async fn call(client: &Client) -> Result<Value, CallError> {
        client.call::<_, Value>(&serde_json::json!({"n": 1})).await
    }

    #[tokio::test]
    async fn the_circuit_opens_after_the_threshold_and_then_fails_without_calling() {
        let callee = switch(1);
        let client = client(callee.clone(), Duration::from_secs(60));
        for _ in 0..3 {
            assert!(matches!(call(&client).await, Err(CallError::Unavailable(_))));
        }
        assert_eq!(client.status().state, CircuitState::Open);
        let Err(CallError::Unavailable(error)) = call(&client).await else { panic!("an open circuit must refuse") };
        assert_eq!(error.status.as_u16(), 503);
        assert!(error.retry_after.is_some_and(|s| (1..=60).contains(&s)), "{error:?}");
        assert_eq!(callee.calls.load(Ordering::SeqCst), 3, "an open circuit must not reach the callee");
    }

    #[tokio::test]
    async fn a_slow_callee_counts_as_a_failure() {
        let callee = switch(2);
        let client = client(callee.clone(), Duration::from_secs(60));
        for _ in 0..3 {
            assert!(matches!(call(&client).await, Err(CallError::Unavailable(_))));
        }
        assert_eq!(client.status().state, CircuitState::Open);
    }

    #[tokio::test]
    async fn after_the_open_period_one_good_call_closes_the_circuit() {
        let callee = switch(1);
        let client = client(callee.clone(), Duration::from_millis(50));
        for _ in 0..3 {
            let _ = call(&client).await;
        }
        assert_eq!(client.status().state, CircuitState::Open);
        tokio::time::sleep(Duration::from_millis(80)).await;
        callee.mode.store(0, Ordering::SeqCst);
        let answer = call(&client).await.expect("the probe goes through");
        assert_eq!(answer["echo"]["n"], 1);
        assert_eq!(client.status().state, CircuitState::Closed);
    }

    #[tokio::test]
    async fn a_failed_probe_opens_the_circuit_again() {
        let callee = switch(1);
        let client = client(callee.clone(), Duration::from_millis(50));
        for _ in 0..3 {
            let _ = call(&client).await;
        }
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(call(&client).await.is_err());
        assert_eq!(client.status().state, CircuitState::Open);
        assert_eq!(callee.calls.load(Ordering::SeqCst), 4, "one probe, then closed again to callers");
    }

    #[tokio::test]
    async fn a_refusal_is_passed_on_and_keeps_the_circuit_closed() {
        struct Refuses;
        impl Remote for Refuses {
            fn invoke(&self, _: Value) -> BoxFuture<'_, Result<Value, RemoteError>> {
                Box::pin(async {
                    Ok(serde_json::json!({"status": 409, "error": {"code": "invalid_state", "message": "no"}}))
                })
            }
        }
        let settings = CallSettings { failure_threshold: 1, ..CallSettings::default() };
        let client = Client::new("t", Arc::new(Refuses), settings, &Circuits::default());
        for _ in 0..3 {
            let Err(CallError::Refused(refusal)) = call(&client).await else { panic!("a refusal is not an outage") };
            assert_eq!((refusal.status, refusal.code.as_str()), (409, "invalid_state"));
        }
        assert_eq!(client.status().state, CircuitState::Closed);
    }

    #[tokio::test]
    async fn an_internal_function_answers_400_naming_the_field_and_wraps_success() {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct In {
            wallet_id: String,
        }
        let run =
            internal("t", |input: In| async move { Ok::<_, ApiError>(serde_json::json!({"id": input.wallet_id})) });
        let reply: Reply = serde_json::from_value(run(serde_json::json!({"walletId": 5})).await).unwrap();
        assert_eq!((reply.status, reply.error.unwrap().code.as_str()), (400, "invalid_field"));
        let reply: Reply = serde_json::from_value(run(serde_json::json!({"walletId": "w"})).await).unwrap();
        assert_eq!((reply.status, reply.body), (200, serde_json::json!({"id": "w"})));
    }

    #[test]
    fn settings_are_read_with_defaults_for_missing_or_bad_values() {
        let settings = HashMap::from([
            ("CALL_TIMEOUT_MS".to_owned(), "300".to_owned()),
            ("CIRCUIT_FAILURE_THRESHOLD".to_owned(), "zero".to_owned()),
            ("CIRCUIT_OPEN_SECONDS".to_owned(), "2".to_owned()),
        ]);
        let read = CallSettings::from_settings(&settings);
        assert_eq!(read.timeout, Duration::from_millis(300));
        assert_eq!(read.failure_threshold, 5);
        assert_eq!(read.open_for, Duration::from_secs(2));
    }
}
