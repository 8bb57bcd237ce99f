//! The serverless framework every bounded context stands on.
//!
//! A context crate holds only its domain: aggregates, events, command
//! handlers, policies and views. From here it takes the event [`envelope`],
//! the [`aggregate`] contract, the [`store`] port with its one-transaction
//! [`commit`] (state + outbox + inbox), the [`queue`] policy runner, the
//! [`relay`] from outbox to topic, and the [`http`] edge.

pub mod aggregate;
pub mod api;
pub mod call;
pub mod commit;
pub mod conformance;
pub mod envelope;
pub mod http;
pub mod notification;
pub mod queue;
pub mod refusal;
pub mod relay;
#[cfg(sam_local)]
mod sam_local;
pub mod store;
pub mod telemetry;
pub mod testing;
pub mod view;
pub mod witness;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use aggregate::Aggregate;
pub use envelope::{Envelope, Origin};
pub use http::{ApiError, Caller, HttpFn};
pub use queue::{PolicyError, QueueFn};
pub use refusal::Refused;
pub use store::Table;

/// A new opaque id: a UUIDv7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// An id the server derives from another one (`kind` of `of`): the reward
/// of a mission, the wallet entry of a reward, the gift of a wallet entry.
/// Creating it twice names the same item, so a policy that runs twice, or
/// two racing requests, create one thing: the store's create-only condition
/// refuses the second.
pub fn derived_id(kind: &str, of: &str) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5f1c_2a7e_9b0d_4c3e_8a61_0d2f_7b94_e3a5);
    uuid::Uuid::new_v5(&NAMESPACE, format!("{kind}:{of}").as_bytes()).to_string()
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

pub fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis() as u64
}

pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs()
}

/// The partition a customer's items are listed under (`gsi1pk`), in any
/// context: "my reservations" is one query.
pub fn customer_partition(customer_id: &str) -> String {
    format!("Customer#{customer_id}")
}

/// What a context's functions are given: its own table, the internal
/// functions of other contexts it may call, and its settings. Nothing else.
#[derive(Clone)]
pub struct Deps {
    pub table: Arc<dyn Table>,
    /// By the setting that names them (`GIFT_FUNCTION`).
    pub remotes: HashMap<String, Arc<dyn call::Remote>>,
    /// The function's environment on Lambda; the template's on the runner.
    pub settings: Arc<HashMap<String, String>>,
    /// Where the function's circuit breakers are registered for inspection.
    pub circuits: call::Circuits,
}

impl Deps {
    pub fn new(table: Arc<dyn Table>) -> Self {
        Self { table, remotes: HashMap::new(), settings: Arc::default(), circuits: call::Circuits::default() }
    }

    /// A guarded client of the internal function named by the setting
    /// `remote` (`GIFT_FUNCTION`), tuned by `CALL_TIMEOUT_MS`,
    /// `CIRCUIT_FAILURE_THRESHOLD` and `CIRCUIT_OPEN_SECONDS`. `name` names
    /// its circuit. A remote that is not configured fails every call (`503`).
    pub fn client(&self, remote: &str, name: &str) -> call::Client {
        let target = self
            .remotes
            .get(remote)
            .cloned()
            .unwrap_or_else(|| Arc::new(call::Unconfigured(remote.to_owned())) as Arc<dyn call::Remote>);
        call::Client::new(name, target, call::CallSettings::from_settings(&self.settings), &self.circuits)
    }
}

/// One function of a context, chosen by the Lambda `Handler` name.
#[derive(Clone)]
pub enum Function {
    /// Behind an API Gateway route.
    Http(HttpFn),
    /// Triggered by an SQS queue (a policy or a view updater), reading the
    /// event types `reads` (its inbound enum's variants). `opens` is how it
    /// reads an envelope, without acting on it: `Ok(false)` for a type it
    /// does not read, an error for data that does not fit its enum (the
    /// consumer contract tests hold it to its producers' schemas).
    Queue {
        run: QueueFn,
        reads: &'static [&'static str],
        opens: fn(&Envelope) -> Result<bool, envelope::EnvelopeError>,
    },
    /// Called by another context's function only (no route, no queue).
    Internal(call::InternalFn),
}

impl Function {
    /// An HTTP command or query handler, given `state` (the context's table,
    /// or a struct of what the handler needs) on every request.
    pub fn http<S, F, Fut>(name: &'static str, state: S, handler: F) -> Self
    where
        S: Clone + Send + Sync + 'static,
        F: Fn(S, lambda_http::Request) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<lambda_http::Response<lambda_http::Body>, ApiError>> + Send + 'static,
    {
        Self::Http(http::endpoint(name, move |request| handler(state.clone(), request)))
    }

    /// A policy or view updater on the context's table, one event at a time,
    /// given the event as its inbound enum `E` (the events it reads, by
    /// their type). An event of another type is acknowledged and ignored; one
    /// of its types whose data does not fit is poison (to the DLQ).
    pub fn policy<E, F, Fut>(name: &'static str, table: Arc<dyn Table>, handler: F) -> Self
    where
        E: serde::de::DeserializeOwned + strum::VariantNames + Send + 'static,
        F: Fn(Arc<dyn Table>, Envelope, E) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), PolicyError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let run = queue::policy(name, move |envelope: Envelope| {
            let (table, handler) = (table.clone(), handler.clone());
            async move {
                match envelope.open::<E>()? {
                    Some(event) => handler(table, envelope, event).await,
                    None => {
                        tracing::debug!("not an event this function reads");
                        Ok(())
                    }
                }
            }
        });
        Self::Queue { run, reads: E::VARIANTS, opens: |envelope| envelope.open::<E>().map(|event| event.is_some()) }
    }

    /// An internal function on the context's table, for other contexts' [`call::Client`]s.
    pub fn internal<T, R, F, Fut>(name: &'static str, table: Arc<dyn Table>, handler: F) -> Self
    where
        T: serde::de::DeserializeOwned + Send + 'static,
        R: serde::Serialize,
        F: Fn(Arc<dyn Table>, T) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<R, ApiError>> + Send + 'static,
    {
        Self::Internal(call::internal(name, move |request| handler(table.clone(), request)))
    }
}

/// One function of a context's table: its Lambda `Handler` name, and how it
/// is built from the context's dependencies (given that name, for its logs).
#[derive(Clone, Copy)]
pub struct Sticky {
    pub name: &'static str,
    pub make: fn(&'static str, Deps) -> Function,
}

/// How a context crate exposes its functions to the Lambda bootstrap, the
/// local runner and the board check: every function it has, by name.
pub type Functions = &'static [Sticky];

/// The function named `handler` of a context's table, built on `deps`.
pub fn function(functions: Functions, handler: &str, deps: Deps) -> Option<Function> {
    functions.iter().find(|sticky| sticky.name == handler).map(|sticky| (sticky.make)(sticky.name, deps))
}
