//! What the runner needs from the messaging and stream side, with the
//! embedded implementation; the AWS one is in [`crate::aws`].

use std::sync::Arc;

use embedded::{Broker, SqliteTable};
use framework::relay::Publisher;
use framework::store::{BoxFuture, Change, ChangeStream};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct Received {
    /// Hands the message back to [`Queues::delete`].
    pub receipt: String,
    pub message_id: String,
    pub body: String,
    pub receive_count: u32,
    pub sent_at_ms: u64,
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Depth {
    pub visible: u64,
    pub in_flight: u64,
}

/// A system's queues (SQS semantics) and its topic.
pub trait Queues: Send + Sync {
    fn receive<'a>(
        &'a self,
        queue: &'a str,
        max: usize,
        visibility_ms: u64,
    ) -> BoxFuture<'a, Result<Vec<Received>, String>>;
    fn delete<'a>(&'a self, queue: &'a str, receipts: Vec<String>) -> BoxFuture<'a, Result<(), String>>;
    /// Deletes what the previous batch finished (`settled`), then receives
    /// the next batch. The embedded broker does both in one commit.
    fn settle_and_receive<'a>(
        &'a self,
        queue: &'a str,
        settled: Vec<String>,
        max: usize,
        visibility_ms: u64,
    ) -> BoxFuture<'a, Result<Vec<Received>, String>> {
        Box::pin(async move {
            if !settled.is_empty() {
                self.delete(queue, settled).await?;
            }
            self.receive(queue, max, visibility_ms).await
        })
    }
    fn depth<'a>(&'a self, queue: &'a str) -> BoxFuture<'a, Result<Depth, String>>;
    fn dead_letter_queue(&self, queue: &str) -> Option<String>;
    /// Moves the queue's dead letters back into it.
    fn redrive<'a>(&'a self, queue: &'a str) -> BoxFuture<'a, Result<u64, String>>;
    /// Woken when a message arrives, where the backend can tell (else the
    /// consumer relies on `receive` waiting, as SQS long polling does).
    fn arrivals(&self, queue: &str) -> Option<Arc<Notify>>;
    fn topic(&self) -> Arc<dyn Publisher>;
}

/// A table's change stream as the relay reads it: `next` hands the oldest
/// unacknowledged changes (again, until acknowledged).
pub trait Stream: Send + Sync {
    fn next(&self) -> BoxFuture<'_, Result<Vec<Change>, String>>;
    fn acknowledge<'a>(&'a self, changes: &'a [Change]) -> BoxFuture<'a, Result<(), String>>;
    fn committed(&self) -> Option<Arc<Notify>>;
}

pub struct EmbeddedQueues(pub Arc<Broker>);

/// The broker's receipts behind the handles the consumer got (one it never
/// handed out names nothing, so it is skipped).
fn receipts(handles: &[String]) -> Vec<embedded::Receipt> {
    handles.iter().filter_map(|h| h.parse().ok()).collect()
}

impl Queues for EmbeddedQueues {
    fn receive<'a>(
        &'a self,
        queue: &'a str,
        max: usize,
        visibility_ms: u64,
    ) -> BoxFuture<'a, Result<Vec<Received>, String>> {
        self.settle_and_receive(queue, Vec::new(), max, visibility_ms)
    }

    fn settle_and_receive<'a>(
        &'a self,
        queue: &'a str,
        settled: Vec<String>,
        max: usize,
        visibility_ms: u64,
    ) -> BoxFuture<'a, Result<Vec<Received>, String>> {
        let result =
            self.0.receive(queue, &receipts(&settled), max, visibility_ms).map_err(|e| e.to_string()).map(|messages| {
                messages
                    .into_iter()
                    .map(|m| Received {
                        receipt: m.receipt.to_string(),
                        message_id: m.message_id,
                        body: m.body,
                        receive_count: m.receive_count,
                        sent_at_ms: m.sent_at_ms,
                    })
                    .collect()
            });
        Box::pin(std::future::ready(result))
    }

    fn delete<'a>(&'a self, queue: &'a str, handles: Vec<String>) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(std::future::ready(self.0.delete(queue, &receipts(&handles)).map_err(|e| e.to_string())))
    }

    fn depth<'a>(&'a self, queue: &'a str) -> BoxFuture<'a, Result<Depth, String>> {
        let result = self
            .0
            .depth(queue)
            .map(|d| Depth { visible: d.visible, in_flight: d.in_flight })
            .map_err(|e| e.to_string());
        Box::pin(std::future::ready(result))
    }

    fn dead_letter_queue(&self, queue: &str) -> Option<String> {
        self.0.dead_letter_queue_of(queue).map(str::to_owned)
    }

    fn redrive<'a>(&'a self, queue: &'a str) -> BoxFuture<'a, Result<u64, String>> {
        Box::pin(std::future::ready(self.0.redrive(queue).map_err(|e| e.to_string())))
    }

    fn arrivals(&self, queue: &str) -> Option<Arc<Notify>> {
        self.0.arrivals(queue).ok()
    }

    fn topic(&self) -> Arc<dyn Publisher> {
        self.0.clone()
    }
}

pub struct EmbeddedStream(pub Arc<SqliteTable>);

const STREAM_BATCH: usize = 256;

impl Stream for EmbeddedStream {
    fn next(&self) -> BoxFuture<'_, Result<Vec<Change>, String>> {
        // Acknowledged changes are deleted, so the oldest left are the next.
        Box::pin(async move { self.0.read(0, STREAM_BATCH).await.map_err(|e| e.to_string()) })
    }

    fn acknowledge<'a>(&'a self, changes: &'a [Change]) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { self.0.acknowledge(changes).await.map_err(|e| e.to_string()) })
    }

    fn committed(&self) -> Option<Arc<Notify>> {
        Some(self.0.committed())
    }
}
