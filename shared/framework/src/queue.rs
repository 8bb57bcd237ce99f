//! The policy runner: one SQS batch in, the ids of the messages to retry out.
//!
//! A message body is either the domain event itself (SNS raw message
//! delivery) or SNS's notification JSON around it. Each message is handled on
//! its own; a failure marks only that message (`ReportBatchItemFailures`), so
//! SQS redelivers it and, after `maxReceiveCount`, parks it in the DLQ.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use serde::Deserialize;
use tracing::Instrument;

use crate::commit::{CommitError, ExecuteError};
use crate::envelope::{Envelope, EnvelopeError};
use crate::store::{BoxFuture, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Worth another try later: the store was busy or down.
    #[error("transient: {0}")]
    Transient(String),
    /// Will fail every time (a malformed event); retried to the DLQ, where a
    /// person can look at it.
    #[error("poison: {0}")]
    Poison(String),
}

impl From<StoreError> for PolicyError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => Self::Poison(m),
            other => Self::Transient(other.to_string()),
        }
    }
}

impl From<EnvelopeError> for PolicyError {
    fn from(e: EnvelopeError) -> Self {
        Self::Poison(e.to_string())
    }
}

impl From<CommitError> for PolicyError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Store(e) => e.into(),
            CommitError::Envelope(e) => e.into(),
            CommitError::Duplicate | CommitError::Stale => Self::Transient(e.to_string()),
            // A policy that claims must handle a claim held: unhandled, it is a bug.
            CommitError::Held(_) => Self::Poison(e.to_string()),
        }
    }
}

impl<E: std::error::Error + 'static> From<ExecuteError<E>> for PolicyError {
    fn from(e: ExecuteError<E>) -> Self {
        match e {
            ExecuteError::Store(e) => e.into(),
            ExecuteError::Envelope(e) => e.into(),
            ExecuteError::Contended => Self::Transient(e.to_string()),
            // A policy's command refused by its aggregate is a fault of the
            // saga's design, not of the message: keep it visible in the DLQ.
            ExecuteError::Refused(e) => Self::Poison(e.to_string()),
        }
    }
}

/// A policy's commit as its outcome: a redelivery (the inbox record was
/// there) is done, not a failure.
pub fn settle<T>(outcome: Result<T, CommitError>) -> Result<(), PolicyError> {
    match outcome {
        Ok(_) | Err(CommitError::Duplicate) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A queue consumer as both the Lambda runtime and the local runner call it:
/// a batch, and when the invocation must have answered.
pub type QueueFn = Arc<dyn Fn(SqsEvent, Deadline) -> BoxFuture<'static, SqsBatchResponse> + Send + Sync>;

/// Time kept back from the deadline: a message is started only while at
/// least this much is left (one message's work, its lost races and backoff
/// included, takes well under it).
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(1000);

/// When an invocation must have answered (Lambda's deadline), if any.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No deadline (the local runner, tests).
    pub fn none() -> Self {
        Self(None)
    }

    pub fn at(instant: Instant) -> Self {
        Self(Some(instant))
    }

    /// Lambda's deadline, in milliseconds since the epoch.
    pub fn from_epoch_millis(deadline_ms: u64) -> Self {
        let left = deadline_ms.saturating_sub(crate::now_millis());
        Self::at(Instant::now() + Duration::from_millis(left))
    }

    /// Too little time is left to start another message.
    fn is_near(self) -> bool {
        self.0.is_some_and(|deadline| Instant::now() + DEADLINE_MARGIN >= deadline)
    }
}

/// Wraps a policy (or view updater) that handles one event at a time. A
/// message it has no time left for is handed back untried (a batch item
/// failure, so SQS redelivers it), rather than lost with the whole batch
/// when Lambda stops the invocation.
pub fn policy<F, Fut>(name: &'static str, handler: F) -> QueueFn
where
    F: Fn(Envelope) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), PolicyError>> + Send + 'static,
{
    let handler = Arc::new(handler);
    Arc::new(move |batch: SqsEvent, deadline: Deadline| {
        let handler = handler.clone();
        Box::pin(async move {
            let mut response = SqsBatchResponse::default();
            let mut untried = 0;
            for message in batch.records {
                let message_id = message.message_id.clone().unwrap_or_default();
                if deadline.is_near() {
                    untried += 1;
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = message_id;
                    response.batch_item_failures.push(failure);
                    continue;
                }
                let outcome = match envelope_of(&message) {
                    Ok(envelope) => {
                        let span = tracing::info_span!(
                            "event",
                            function = name,
                            event_type = %envelope.event_type,
                            event_id = %envelope.event_id,
                            correlation_id = %envelope.correlation_id,
                        );
                        handler(envelope).instrument(span).await
                    }
                    Err(e) => Err(e),
                };
                if let Err(error) = outcome {
                    match &error {
                        PolicyError::Transient(_) => {
                            tracing::warn!(function = name, %message_id, %error, "will retry")
                        }
                        PolicyError::Poison(_) => {
                            tracing::error!(function = name, %message_id, %error, "cannot handle");
                            crate::telemetry::fault("poison_message");
                        }
                    }
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = message_id;
                    response.batch_item_failures.push(failure);
                }
            }
            if untried > 0 {
                tracing::warn!(function = name, untried, "the deadline is near: messages handed back untried");
            }
            response
        })
    })
}

#[derive(Deserialize)]
struct SnsNotification {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Message")]
    message: String,
}

/// The domain event inside an SQS message, raw or wrapped by SNS.
pub fn envelope_of(message: &SqsMessage) -> Result<Envelope, PolicyError> {
    let body = message.body.as_deref().unwrap_or_default();
    if let Ok(notification) = serde_json::from_str::<SnsNotification>(body)
        && notification.kind == "Notification"
    {
        return serde_json::from_str(&notification.message)
            .map_err(|e| PolicyError::Poison(format!("SNS message is not an event: {e}")));
    }
    serde_json::from_str(body).map_err(|e| PolicyError::Poison(format!("message is not an event: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test(start_paused = true)]
    async fn messages_left_when_the_deadline_nears_are_handed_back_untried() {
        let handled = Arc::new(Mutex::new(Vec::new()));
        let seen = handled.clone();
        let run = policy("slow", move |e: Envelope| {
            let seen = seen.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                seen.lock().unwrap().push(e.event_id.clone());
                Ok(())
            }
        });
        let mut batch = SqsEvent::default();
        batch.records = (1..=4).map(|n| message(&format!("m{n}"), &event_json("Slow"))).collect();
        // Room for two messages before the margin.
        let deadline = Deadline::at(Instant::now() + DEADLINE_MARGIN + Duration::from_millis(450));
        let response = run(batch, deadline).await;
        let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, vec!["m3", "m4"], "handed back for SQS to deliver again");
        assert_eq!(handled.lock().unwrap().len(), 2, "never started");
    }

    fn message(id: &str, body: &str) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.into());
        m.body = Some(body.into());
        m
    }

    fn event_json(event_type: &str) -> String {
        serde_json::json!({
            "eventId": "e-1", "type": event_type, "source": "t", "occurredAt": "2026-01-01T00:00:00Z",
            "correlationId": "c", "version": 1, "data": {}
        })
        .to_string()
    }

    #[tokio::test]
    async fn only_the_failed_messages_are_reported_for_retry() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen_by_policy = seen.clone();
        let run = policy("test", move |e: Envelope| {
            let seen = seen_by_policy.clone();
            async move {
                seen.lock().unwrap().push(e.event_type.clone());
                if e.event_type == "Bad" { Err(PolicyError::Transient("down".into())) } else { Ok(()) }
            }
        });
        let sns_wrapped = serde_json::json!({"Type": "Notification", "Message": event_json("Wrapped")}).to_string();
        let mut batch = SqsEvent::default();
        batch.records = vec![
            message("m1", &event_json("Good")),
            message("m2", &event_json("Bad")),
            message("m3", "not json"),
            message("m4", &sns_wrapped),
        ];
        let response = run(batch, Deadline::none()).await;
        let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, vec!["m2", "m3"]);
        assert_eq!(*seen.lock().unwrap(), vec!["Good", "Bad", "Wrapped"]);
    }
}
