//! The relay: outbox items from a table's change stream to the system topic.
//!
//! Events are published in stream order. On the first failed publish the
//! relay stops and reports that record, so the stream (DynamoDB Streams via
//! Lambda, or the local runner's reader) hands it over again: a failed publish
//! is retried, never skipped. Republishing after a crash is harmless because
//! every consumer is idempotent on `eventId`.
//!
//! Once published, outbox items are deleted ([`forget`]). What the stream
//! never hands over (a relay broken for longer than DynamoDB Streams keeps
//! records, 24 h) is still in the outbox: the [`sweep`] publishes outbox
//! items older than a few minutes and deletes them, so nothing committed is
//! ever lost.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::commit::{OUTBOX_PREFIX, OUTBOX_SHARDS, outbox_shard};
use crate::envelope::Envelope;
use crate::store::{BoxFuture, Change, Key, Query, StoreError, Table};

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
            crate::telemetry::fault("publish_failed");
            Err(RelayFailure { sequence: sequences[e.first_failed.min(sequences.len() - 1)] })
        }
    }
}

/// The outbox keys among `changes`: what a successful relay of them may forget.
pub fn outbox_keys(changes: &[Change]) -> Vec<Key> {
    changes
        .iter()
        .filter(|c| c.key.pk.starts_with(OUTBOX_PREFIX) && c.new_image.is_some())
        .map(|c| c.key.clone())
        .collect()
}

/// Deletes published outbox items (a missing one is fine: the sweeper or
/// another relay run got there first).
pub async fn forget(table: &dyn Table, keys: Vec<Key>) -> Result<(), StoreError> {
    table.delete_each(keys).await
}

/// How many outbox items wait for the relay, counting at most `up_to` per
/// shard: zero means everything committed has gone out. (It reads the
/// index, eventually consistent on DynamoDB: an inspection, not a guard.)
pub async fn waiting(table: &dyn Table, up_to: usize) -> Result<usize, StoreError> {
    let mut waiting = 0;
    for shard in 0..OUTBOX_SHARDS {
        waiting += table.query(&Query::index(outbox_shard(shard)).limit(up_to)).await?.len();
    }
    Ok(waiting)
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// How many outbox items one sweep takes per shard.
const SWEEP_PAGE: usize = 100;

/// Publishes the outbox items raised more than `older_than` ago (the relay
/// should have taken them long since), oldest first, and deletes them.
/// Returns how many went out. Run on a schedule; a duplicate of what the
/// relay also publishes is absorbed by the consumers' inboxes.
pub async fn sweep(table: &dyn Table, publisher: &dyn Publisher, older_than: Duration) -> Result<usize, SweepError> {
    let cutoff = humantime::format_rfc3339_millis(SystemTime::now() - older_than).to_string();
    let mut swept = 0;
    for shard in 0..OUTBOX_SHARDS {
        let items = table.query(&Query::index(outbox_shard(shard)).limit(SWEEP_PAGE)).await?;
        let (keys, events): (Vec<Key>, Vec<Envelope>) = items
            .into_iter()
            .filter_map(|item| Some((item.key, Envelope::deserialize(&item.body).ok()?)))
            .filter(|(_, envelope)| envelope.occurred_at < cutoff)
            .unzip();
        if events.is_empty() {
            continue;
        }
        tracing::warn!(shard, events = events.len(), "sweeping outbox items the relay has not published");
        publisher.publish(&events).await?;
        forget(table, keys).await?;
        swept += events.len();
    }
    Ok(swept)
}
