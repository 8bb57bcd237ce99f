//! A durable stand-in for one system's SNS topic and its SQS queues.
//!
//! What the contexts rely on, with the same semantics: a topic fans out to
//! the subscribed queues whose filter policy matches the message attribute
//! `type`; raw or SNS-wrapped delivery; a received message is hidden for the
//! visibility timeout and comes back unless deleted; after `maxReceiveCount`
//! receives it moves to the queue's dead-letter queue. Messages live in
//! SQLite, in memory, each queue's file a snapshot and a redo log (the
//! durability of [`crate::SqliteTable`], see [`crate::redo`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use framework::envelope::Envelope;
use framework::relay::{PublishError, Publisher};
use framework::store::{BoxFuture, StoreError};
use rusqlite::{Connection, params};
use tokio::sync::Notify;

use crate::redo::{self, Recorder, Redo, Tx};
use crate::table::memory_connection;

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("broker storage: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("broker storage: {0}")]
    Log(#[from] StoreError),
    #[error("broker directory: {0}")]
    Directory(#[from] std::io::Error),
    #[error("not a receipt of this broker: {0}")]
    BadReceipt(String),
    #[error("unknown queue {0}")]
    UnknownQueue(String),
}

/// A queue as `template.yaml` declares it.
#[derive(Debug, Clone)]
pub struct QueueSpec {
    pub name: String,
    /// `(dead-letter queue, maxReceiveCount)`.
    pub dead_letter: Option<(String, u32)>,
}

/// `topic → queue`, delivering only the event types listed (no filter: all).
#[derive(Debug, Clone)]
pub struct Subscription {
    pub queue: String,
    pub event_types: Option<Vec<String>>,
    pub raw: bool,
}

/// Names one stored message for [`Broker::delete`]: its row and its id, so a
/// row number SQLite hands out again after a delete never names another
/// message (a consumer slower than the visibility timeout deletes late).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    row: i64,
    message_id: String,
}

impl std::fmt::Display for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.row, self.message_id)
    }
}

impl std::str::FromStr for Receipt {
    type Err = BrokerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BrokerError::BadReceipt(s.to_owned());
        let (row, message_id) = s.split_once(':').ok_or_else(bad)?;
        Ok(Self { row: row.parse().map_err(|_| bad())?, message_id: message_id.to_owned() })
    }
}

#[derive(Debug, Clone)]
pub struct Received {
    /// Identifies this delivery for [`Broker::delete`].
    pub receipt: Receipt,
    pub message_id: String,
    pub body: String,
    pub event_type: Option<String>,
    pub receive_count: u32,
    pub sent_at_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueDepth {
    /// Ready to be received.
    pub visible: u64,
    /// Received and not yet deleted nor timed out.
    pub in_flight: u64,
}

pub struct Broker {
    topic_arn: String,
    /// Every queue, dead-letter queues included, each in its own SQLite
    /// file: consumers of different queues never wait on each other.
    queues: HashMap<String, Queue>,
    subscriptions: Vec<Subscription>,
}

struct Queue {
    store: Mutex<QueueStore>,
    /// `(dead-letter queue, maxReceiveCount)`.
    dead_letter: Option<(String, u32)>,
    arrivals: Arc<Notify>,
}

/// A queue's messages: SQLite in memory and, on disk, its snapshot and log.
struct QueueStore {
    conn: Connection,
    redo: Option<Redo>,
}

impl QueueStore {
    /// One transaction: `writes` runs it, its record goes to the log before
    /// SQLite commits (nothing is committed if it cannot).
    fn transact<T>(
        &mut self,
        writes: impl FnOnce(&mut Recorder<'_>) -> Result<T, BrokerError>,
    ) -> Result<T, BrokerError> {
        let Self { conn, redo } = self;
        let tx = Tx::begin(conn)?;
        let mut record = Vec::new();
        let done = writes(&mut Recorder::new(&tx, redo.as_ref().map(|_| &mut record), WRITES))?;
        Redo::commit(redo.as_mut(), tx, &record)?;
        if let Some(redo) = redo.as_mut() {
            redo.snapshot_if_due(conn);
        }
        Ok(done)
    }
}

/// Every statement that writes a queue, by number (see [`crate::redo`]);
/// numbers are in logs on disk, so the list only grows at its end.
const WRITES: &[&str] = &[
    "INSERT INTO messages (message_id, body, event_type, receive_count, visible_at, sent_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "DELETE FROM messages WHERE receipt = ?1 AND message_id = ?2",
    "UPDATE messages SET receive_count = ?1, visible_at = ?2 WHERE receipt = ?3",
];
const INSERT: usize = 0;
const DELETE: usize = 1;
const HIDE: usize = 2;

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn insert(&self, rows: &[Row]) -> Result<(), BrokerError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.lock().transact(|writes| {
            for row in rows {
                writes.execute(
                    INSERT,
                    params![row.message_id, row.body, row.event_type, row.receive_count, row.visible_at, row.sent_at],
                )?;
            }
            Ok(())
        })?;
        self.arrivals.notify_one();
        Ok(())
    }

    fn delete(&self, receipts: &[Receipt]) -> Result<(), BrokerError> {
        if receipts.is_empty() {
            return Ok(());
        }
        self.lock().transact(|writes| delete_in(writes, receipts))
    }
}

/// Deletes the messages `receipts` name, inside the caller's transaction.
fn delete_in(writes: &mut Recorder<'_>, receipts: &[Receipt]) -> Result<(), BrokerError> {
    for receipt in receipts {
        writes.execute(DELETE, params![receipt.row, receipt.message_id])?;
    }
    Ok(())
}

/// A message as stored, on its way into a queue.
struct Row {
    message_id: String,
    body: String,
    event_type: Option<String>,
    receive_count: u32,
    visible_at: u64,
    sent_at: u64,
}

/// The visible messages, oldest first by row, skipping those in flight: a
/// queue holds few messages in flight (pollers x batch size), so no index is
/// kept; each one would cost its own page writes on every send, receive and
/// delete.
const RECEIVE: &str = "SELECT receipt, message_id, body, event_type, receive_count, sent_at FROM messages
     WHERE visible_at <= ?1 ORDER BY receipt LIMIT ?2";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    receipt INTEGER PRIMARY KEY, message_id TEXT NOT NULL,
    body TEXT NOT NULL, event_type TEXT, receive_count INTEGER NOT NULL DEFAULT 0,
    visible_at INTEGER NOT NULL, sent_at INTEGER NOT NULL);
";

impl Broker {
    /// Opens (or creates) the queues, one file `<queue>.db` each in `dir`;
    /// `None` keeps them in memory.
    pub fn open(
        dir: Option<&Path>,
        topic_arn: impl Into<String>,
        queues: Vec<QueueSpec>,
        subscriptions: Vec<Subscription>,
    ) -> Result<Self, BrokerError> {
        let mut names: Vec<(String, Option<(String, u32)>)> = Vec::new();
        for q in queues {
            if let Some((dlq, _)) = &q.dead_letter
                && !names.iter().any(|(n, _)| n == dlq)
            {
                names.push((dlq.clone(), None));
            }
            match names.iter_mut().find(|(n, _)| *n == q.name) {
                Some(existing) => existing.1 = q.dead_letter,
                None => names.push((q.name, q.dead_letter)),
            }
        }
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir)?;
        }
        let mut opened = HashMap::new();
        for (name, dead_letter) in names {
            let mut conn = memory_connection()?;
            let redo = match dir {
                Some(dir) => Some(Redo::open(
                    &mut conn,
                    &dir.join(format!("{name}.db")),
                    SCHEMA,
                    WRITES,
                    redo::MIN_LOG_BEFORE_SNAPSHOT,
                )?),
                None => {
                    conn.execute_batch(SCHEMA)?;
                    None
                }
            };
            let store = Mutex::new(QueueStore { conn, redo });
            opened.insert(name, Queue { store, dead_letter, arrivals: Arc::new(Notify::new()) });
        }
        Ok(Self { topic_arn: topic_arn.into(), queues: opened, subscriptions })
    }

    /// Moves the messages of an earlier runner's single broker file (every
    /// queue in one `messages` table) into the per-queue files, then removes
    /// it. Messages of queues this template no longer has stay in the file.
    pub fn import(&self, legacy: &Path) -> Result<u64, BrokerError> {
        if !legacy.exists() {
            return Ok(0);
        }
        let conn = Connection::open(legacy)?;
        let mut moved = 0;
        let mut left = 0;
        let mut rows: HashMap<String, Vec<Row>> = HashMap::new();
        {
            let mut stmt = conn.prepare(
                "SELECT queue, message_id, body, event_type, receive_count, visible_at, sent_at FROM messages
                 ORDER BY receipt",
            )?;
            let mut found = stmt.query([])?;
            while let Some(r) = found.next()? {
                let queue: String = r.get(0)?;
                if !self.queues.contains_key(&queue) {
                    left += 1;
                    continue;
                }
                rows.entry(queue).or_default().push(Row {
                    message_id: r.get(1)?,
                    body: r.get(2)?,
                    event_type: r.get(3)?,
                    receive_count: r.get(4)?,
                    visible_at: r.get(5)?,
                    sent_at: r.get(6)?,
                });
            }
        }
        for (queue, rows) in &rows {
            self.queue(queue)?.insert(rows)?;
            conn.execute("DELETE FROM messages WHERE queue = ?1", params![queue])?;
            moved += rows.len() as u64;
        }
        drop(conn);
        if left == 0 {
            for suffix in ["", "-wal", "-shm"] {
                let mut file = legacy.as_os_str().to_owned();
                file.push(suffix);
                let _ = std::fs::remove_file(file);
            }
        } else {
            tracing::warn!(file = %legacy.display(), left, "messages of queues the template no longer declares were kept");
        }
        Ok(moved)
    }

    fn queue(&self, name: &str) -> Result<&Queue, BrokerError> {
        self.queues.get(name).ok_or_else(|| BrokerError::UnknownQueue(name.into()))
    }

    /// Woken when a message arrives in `queue`.
    pub fn arrivals(&self, queue: &str) -> Result<Arc<Notify>, BrokerError> {
        Ok(self.queue(queue)?.arrivals.clone())
    }

    pub fn queue_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.queues.keys().cloned().collect();
        names.sort();
        names
    }

    pub fn dead_letter_queue_of(&self, queue: &str) -> Option<&str> {
        self.queues.get(queue)?.dead_letter.as_ref().map(|(dlq, _)| dlq.as_str())
    }

    /// Publishes each event to every matching subscription: one commit per
    /// queue, in the order of `events`. Like SNS's fan-out this is not atomic
    /// across queues; a failed publish is retried whole by the relay and the
    /// consumers absorb the copies a queue got twice.
    pub fn publish_events(&self, events: &[Envelope]) -> Result<(), BrokerError> {
        let now = framework::now_millis();
        let mut per_queue: Vec<(&str, Vec<Row>)> = Vec::new();
        for event in events {
            let raw = serde_json::to_string(event).expect("an envelope always serializes");
            let sns_message_id = framework::new_id();
            for sub in &self.subscriptions {
                let wanted = sub.event_types.as_ref().is_none_or(|types| types.contains(&event.event_type));
                if !wanted {
                    continue;
                }
                let body = if sub.raw { raw.clone() } else { self.sns_notification(&sns_message_id, event, &raw) };
                let row = Row {
                    message_id: framework::new_id(),
                    body,
                    event_type: Some(event.event_type.clone()),
                    receive_count: 0,
                    visible_at: now,
                    sent_at: now,
                };
                match per_queue.iter_mut().find(|(q, _)| *q == sub.queue) {
                    Some((_, rows)) => rows.push(row),
                    None => per_queue.push((&sub.queue, vec![row])),
                }
            }
        }
        for (queue, rows) in &per_queue {
            self.queue(queue)?.insert(rows)?;
        }
        Ok(())
    }

    fn sns_notification(&self, message_id: &str, event: &Envelope, raw: &str) -> String {
        serde_json::json!({
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": self.topic_arn,
            "Message": raw,
            "Timestamp": event.occurred_at,
            "MessageAttributes": { "type": { "Type": "String", "Value": event.event_type } },
        })
        .to_string()
    }

    /// Deletes `settled` (what the consumer finished since its last
    /// receive) and hands out up to `max` visible messages, hidden for
    /// `visibility_ms` after this, all in one commit. A message already
    /// received `maxReceiveCount` times goes to the dead-letter queue instead
    /// of being handed out again.
    pub fn receive(
        &self,
        queue: &str,
        settled: &[Receipt],
        max: usize,
        visibility_ms: u64,
    ) -> Result<Vec<Received>, BrokerError> {
        let now = framework::now_millis();
        let source = self.queue(queue)?;
        let max_receive = source.dead_letter.as_ref().map(|(dlq, max)| (dlq.as_str(), *max));
        let mut delivered = Vec::new();
        let mut dead = Vec::new();
        source.lock().transact(|writes| {
            delete_in(writes, settled)?;
            let candidates: Vec<Received> = writes
                .conn()
                .prepare_cached(RECEIVE)?
                .query_map(params![now, max as i64], |r| {
                    let message_id: String = r.get(1)?;
                    Ok(Received {
                        receipt: Receipt { row: r.get(0)?, message_id: message_id.clone() },
                        message_id,
                        body: r.get(2)?,
                        event_type: r.get(3)?,
                        receive_count: r.get(4)?,
                        sent_at_ms: r.get(5)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            for mut message in candidates {
                // Hidden either way: handed out, or on its way to the
                // dead-letter queue (no other poller may take it meanwhile).
                let handed_out = !matches!(max_receive, Some((_, max)) if message.receive_count >= max);
                if handed_out {
                    message.receive_count += 1;
                }
                writes.execute(HIDE, params![message.receive_count, now + visibility_ms, message.receipt.row])?;
                if handed_out { delivered.push(message) } else { dead.push(message) }
            }
            Ok(())
        })?;
        if let (Some((dlq, _)), false) = (max_receive, dead.is_empty()) {
            // Into the dead-letter queue first, then out of this one: a crash
            // in between leaves a copy in both, never none.
            let rows: Vec<Row> = dead
                .iter()
                .map(|m| Row {
                    message_id: m.message_id.clone(),
                    body: m.body.clone(),
                    event_type: m.event_type.clone(),
                    receive_count: 0,
                    visible_at: now,
                    sent_at: m.sent_at_ms,
                })
                .collect();
            self.queue(dlq)?.insert(&rows)?;
            source.delete(&dead.iter().map(|m| m.receipt.clone()).collect::<Vec<_>>())?;
            for m in &dead {
                tracing::warn!(queue, dead_letter_queue = %dlq, message_id = %m.message_id, "moved to the dead-letter queue");
            }
        }
        Ok(delivered)
    }

    pub fn delete(&self, queue: &str, receipts: &[Receipt]) -> Result<(), BrokerError> {
        self.queue(queue)?.delete(receipts)
    }

    pub fn depth(&self, queue: &str) -> Result<QueueDepth, BrokerError> {
        let now = framework::now_millis();
        let store = self.queue(queue)?.lock();
        let (visible, in_flight) = store
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(visible_at <= ?1), 0), COALESCE(SUM(visible_at > ?1), 0) FROM messages",
            )?
            .query_row(params![now], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(QueueDepth { visible, in_flight })
    }

    /// Moves every message of `queue`'s dead-letter queue back to `queue`
    /// (into `queue` first, then out of the dead-letter queue).
    pub fn redrive(&self, queue: &str) -> Result<u64, BrokerError> {
        let dlq = self
            .dead_letter_queue_of(queue)
            .ok_or_else(|| BrokerError::UnknownQueue(format!("{queue} has no dead-letter queue")))?;
        let dead_letters = self.queue(dlq)?;
        let now = framework::now_millis();
        let (receipts, rows): (Vec<Receipt>, Vec<Row>) = {
            let store = dead_letters.lock();
            let mut stmt = store.conn.prepare_cached(
                "SELECT receipt, message_id, body, event_type, sent_at FROM messages ORDER BY receipt",
            )?;
            stmt.query_map([], |r| {
                let message_id: String = r.get(1)?;
                Ok((
                    Receipt { row: r.get(0)?, message_id: message_id.clone() },
                    Row {
                        message_id,
                        body: r.get(2)?,
                        event_type: r.get(3)?,
                        receive_count: 0,
                        visible_at: now,
                        sent_at: r.get(4)?,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .unzip()
        };
        self.queue(queue)?.insert(&rows)?;
        dead_letters.delete(&receipts)?;
        Ok(rows.len() as u64)
    }
}

impl Publisher for Broker {
    fn publish<'a>(&'a self, events: &'a [Envelope]) -> BoxFuture<'a, Result<(), PublishError>> {
        let result = self.publish_events(events).map_err(|e| PublishError { first_failed: 0, reason: e.to_string() });
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiving_batches_reuses_its_prepared_statement() {
        let broker = Broker::open(
            None,
            "arn:aws:sns:local:000000000000:test-events",
            vec![QueueSpec { name: "q".into(), dead_letter: None }],
            vec![Subscription { queue: "q".into(), event_types: None, raw: true }],
        )
        .unwrap();
        let events: Vec<Envelope> = (0..30)
            .map(|n| Envelope {
                event_id: format!("e{n}"),
                event_type: "Reserved".into(),
                source: "stock".into(),
                occurred_at: "2026-11-22T07:00:00.000Z".into(),
                correlation_id: "c1".into(),
                version: 1,
                data: serde_json::json!({}),
            })
            .collect();
        broker.publish_events(&events).unwrap();
        let mut settled = Vec::new();
        for max in [1, 2, 3, 4, 5, 10, 5] {
            let received = broker.receive("q", &settled, max, 30_000).unwrap();
            assert_eq!(received.len(), max);
            settled = received.into_iter().map(|m| m.receipt).collect();
        }
        let queue = broker.queue("q").unwrap();
        let reprepared =
            queue.lock().conn.prepare_cached(RECEIVE).unwrap().get_status(rusqlite::StatementStatus::RePrepare);
        assert_eq!(reprepared, 0);
    }
}
