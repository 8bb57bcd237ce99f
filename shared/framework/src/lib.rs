//! The serverless framework every bounded context stands on.
//!
//! A context crate holds only its domain: aggregates, events, command
//! handlers, policies and views. From here it takes the event [`envelope`],
//! the [`aggregate`] contract, the [`store`] port with its one-transaction
//! [`commit`] (state + outbox + inbox), the [`queue`] policy runner, the
//! [`relay`] from outbox to topic, and the [`http`] edge.

pub mod aggregate;
pub mod commit;
pub mod conformance;
pub mod envelope;
pub mod http;
pub mod queue;
pub mod relay;
pub mod store;
pub mod telemetry;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use aggregate::Aggregate;
pub use envelope::{Envelope, Origin};
pub use http::{ApiError, Caller, HttpFn};
pub use queue::{PolicyError, QueueFn};
pub use store::Table;

/// A new opaque id: a UUIDv7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs()
}

/// What a context's functions are given: its own table, nothing else.
#[derive(Clone)]
pub struct Deps {
    pub table: Arc<dyn Table>,
}

/// One function of a context, chosen by the Lambda `Handler` name.
#[derive(Clone)]
pub enum Function {
    /// Behind an API Gateway route.
    Http(HttpFn),
    /// Triggered by an SQS queue (a policy or a view updater).
    Queue(QueueFn),
}

impl Function {
    /// An HTTP command or query handler on the context's table.
    pub fn http<F, Fut>(name: &'static str, table: Arc<dyn Table>, handler: F) -> Self
    where
        F: Fn(Arc<dyn Table>, lambda_http::Request) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<lambda_http::Response<lambda_http::Body>, ApiError>> + Send + 'static,
    {
        Self::Http(http::endpoint(name, move |request| handler(table.clone(), request)))
    }

    /// A policy or view updater on the context's table, one event at a time.
    pub fn policy<F, Fut>(name: &'static str, table: Arc<dyn Table>, handler: F) -> Self
    where
        F: Fn(Arc<dyn Table>, Envelope) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), PolicyError>> + Send + 'static,
    {
        Self::Queue(queue::policy(name, move |envelope| handler(table.clone(), envelope)))
    }
}

/// How a context crate exposes its functions to the Lambda bootstrap and
/// to the local runner: `handler name → function`.
pub type Functions = fn(handler: &str, deps: Deps) -> Option<Function>;
