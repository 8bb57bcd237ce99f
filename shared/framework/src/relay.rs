//! The relay: outbox items from a table's change stream to the system topic.
//!
//! Events are published in stream order. On the first failed publish the
//! relay stops and reports that record, so the stream (DynamoDB Streams via
//! Lambda, or the local runner's reader) hands it over again: a failed publish
//! is retried, never skipped. Republishing after a crash is harmless because
//! every consumer is idempotent on `eventId`.

use serde::Deserialize;

use crate::commit::OUTBOX_PREFIX;
use crate::envelope::Envelope;
use crate::store::{BoxFuture, Change};

#[derive(Debug, thiserror::Error)]
#[error("publish failed at event {first_failed}: {reason}")]
pub struct PublishError {
    /// Index into the published slice; everything before it went out.
    pub first_failed: usize,
    pub reason: String,
}

/// The system's topic. The event `type` travels as the message attribute
/// `type`, which subscriptions filter on.
pub trait Publisher: Send + Sync {
    fn publish<'a>(&'a self, events: &'a [Envelope]) -> BoxFuture<'a, Result<(), PublishError>>;
}

/// The outbox events among stream changes, with their stream positions.
pub fn outbox_events(changes: &[Change]) -> Vec<(u64, Envelope)> {
    changes
        .iter()
        .filter(|c| c.key.pk.starts_with(OUTBOX_PREFIX))
        .filter_map(|c| {
            let image = c.new_image.as_ref()?;
            match Envelope::deserialize(&image.body) {
                Ok(envelope) => Some((c.sequence, envelope)),
                Err(e) => {
                    tracing::error!(pk = %c.key.pk, error = %e, "outbox item is not an event; skipped");
                    None
                }
            }
        })
        .collect()
}

#[derive(Debug, PartialEq)]
pub struct RelayFailure {
    /// The stream position to resume from.
    pub sequence: u64,
}

/// Publishes the outbox events among `changes`; on failure, returns the
/// position of the first event that did not go out.
pub async fn relay(changes: &[Change], publisher: &dyn Publisher) -> Result<usize, RelayFailure> {
    let (sequences, envelopes): (Vec<u64>, Vec<Envelope>) = outbox_events(changes).into_iter().unzip();
    if envelopes.is_empty() {
        return Ok(0);
    }
    match publisher.publish(&envelopes).await {
        Ok(()) => Ok(envelopes.len()),
        Err(e) => {
            tracing::warn!(error = %e, "relay will retry");
            Err(RelayFailure { sequence: sequences[e.first_failed.min(sequences.len() - 1)] })
        }
    }
}
