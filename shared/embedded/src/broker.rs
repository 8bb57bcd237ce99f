//! A durable stand-in for one system's SNS topic and its SQS queues.
//!
//! What the contexts rely on, with the same semantics: a topic fans out to
//! the subscribed queues whose filter policy matches the message attribute
//! `type`; raw or SNS-wrapped delivery; a received message is hidden for the
//! visibility timeout and comes back unless deleted; after `maxReceiveCount`
//! receives it moves to the queue's dead-letter queue. Messages live in
//! SQLite (same durability as [`crate::SqliteTable`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use framework::envelope::Envelope;
use framework::relay::{PublishError, Publisher};
use framework::store::BoxFuture;
use rusqlite::{Connection, TransactionBehavior, params};
use tokio::sync::Notify;

use crate::table::open_connection;

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("broker storage: {0}")]
    Storage(#[from] rusqlite::Error),
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

#[derive(Debug, Clone)]
pub struct Received {
    /// Identifies this delivery for [`Broker::delete`].
    pub receipt: i64,
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
    conn: Mutex<Connection>,
    queues: HashMap<String, QueueSpec>,
    subscriptions: Vec<Subscription>,
    arrivals: HashMap<String, Arc<Notify>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    receipt INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, message_id TEXT NOT NULL,
    body TEXT NOT NULL, event_type TEXT, receive_count INTEGER NOT NULL DEFAULT 0,
    visible_at INTEGER NOT NULL, sent_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, visible_at);
";

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Broker {
    pub fn open(
        path: Option<&Path>,
        topic_arn: impl Into<String>,
        queues: Vec<QueueSpec>,
        subscriptions: Vec<Subscription>,
    ) -> Result<Self, BrokerError> {
        let conn = open_connection(path)?;
        conn.execute_batch(SCHEMA)?;
        let mut arrivals = HashMap::new();
        for q in &queues {
            arrivals.insert(q.name.clone(), Arc::new(Notify::new()));
            if let Some((dlq, _)) = &q.dead_letter {
                arrivals.entry(dlq.clone()).or_insert_with(|| Arc::new(Notify::new()));
            }
        }
        Ok(Self {
            topic_arn: topic_arn.into(),
            conn: Mutex::new(conn),
            queues: queues.into_iter().map(|q| (q.name.clone(), q)).collect(),
            subscriptions,
            arrivals,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Woken when a message arrives in `queue`.
    pub fn arrivals(&self, queue: &str) -> Result<Arc<Notify>, BrokerError> {
        self.arrivals.get(queue).cloned().ok_or_else(|| BrokerError::UnknownQueue(queue.into()))
    }

    pub fn queue_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.arrivals.keys().cloned().collect();
        names.sort();
        names
    }

    pub fn dead_letter_queue_of(&self, queue: &str) -> Option<&str> {
        self.queues.get(queue)?.dead_letter.as_ref().map(|(dlq, _)| dlq.as_str())
    }

    /// Publishes each event to every matching subscription, all in one commit.
    pub fn publish_events(&self, events: &[Envelope]) -> Result<(), BrokerError> {
        let now = now_ms();
        let mut woken = Vec::new();
        {
            let mut conn = self.lock();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for event in events {
                let raw = serde_json::to_string(event).expect("an envelope always serializes");
                let sns_message_id = framework::new_id();
                for sub in &self.subscriptions {
                    let wanted = sub.event_types.as_ref().is_none_or(|types| types.contains(&event.event_type));
                    if !wanted {
                        continue;
                    }
                    let body = if sub.raw { raw.clone() } else { self.sns_notification(&sns_message_id, event, &raw) };
                    tx.prepare_cached(
                        "INSERT INTO messages (queue, message_id, body, event_type, visible_at, sent_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                    )?
                    .execute(params![
                        sub.queue,
                        framework::new_id(),
                        body,
                        event.event_type,
                        now
                    ])?;
                    woken.push(sub.queue.clone());
                }
            }
            tx.commit()?;
        }
        woken.dedup();
        for queue in woken {
            if let Some(n) = self.arrivals.get(&queue) {
                n.notify_one();
            }
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

    /// Up to `max` visible messages, hidden for `visibility_ms` after this.
    /// A message already received `maxReceiveCount` times goes to the
    /// dead-letter queue instead of being handed out again.
    pub fn receive(&self, queue: &str, max: usize, visibility_ms: u64) -> Result<Vec<Received>, BrokerError> {
        let now = now_ms();
        let spec = self.queues.get(queue);
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let candidates: Vec<Received> = tx
            .prepare_cached(
                "SELECT receipt, message_id, body, event_type, receive_count, sent_at FROM messages
                 WHERE queue = ?1 AND visible_at <= ?2 ORDER BY visible_at, receipt LIMIT ?3",
            )?
            .query_map(params![queue, now, max as i64], |r| {
                Ok(Received {
                    receipt: r.get(0)?,
                    message_id: r.get(1)?,
                    body: r.get(2)?,
                    event_type: r.get(3)?,
                    receive_count: r.get(4)?,
                    sent_at_ms: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut delivered = Vec::with_capacity(candidates.len());
        let mut dead = false;
        for mut message in candidates {
            match spec.and_then(|s| s.dead_letter.as_ref()) {
                Some((dlq, max_receive)) if message.receive_count >= *max_receive => {
                    tx.prepare_cached(
                        "UPDATE messages SET queue = ?1, receive_count = 0, visible_at = ?2 WHERE receipt = ?3",
                    )?
                    .execute(params![dlq, now, message.receipt])?;
                    tracing::warn!(queue, dead_letter_queue = %dlq, message_id = %message.message_id, "moved to the dead-letter queue");
                    dead = true;
                }
                _ => {
                    message.receive_count += 1;
                    tx.prepare_cached("UPDATE messages SET receive_count = ?1, visible_at = ?2 WHERE receipt = ?3")?
                        .execute(params![message.receive_count, now + visibility_ms, message.receipt])?;
                    delivered.push(message);
                }
            }
        }
        tx.commit()?;
        if dead && let Some(dlq) = self.dead_letter_queue_of(queue) {
            if let Some(n) = self.arrivals.get(dlq) {
                n.notify_one();
            }
        }
        Ok(delivered)
    }

    pub fn delete(&self, receipts: &[i64]) -> Result<(), BrokerError> {
        if receipts.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for receipt in receipts {
            tx.prepare_cached("DELETE FROM messages WHERE receipt = ?1")?.execute(params![receipt])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn depth(&self, queue: &str) -> Result<QueueDepth, BrokerError> {
        let now = now_ms();
        let conn = self.lock();
        let (visible, in_flight) = conn.prepare_cached(
            "SELECT COALESCE(SUM(visible_at <= ?2), 0), COALESCE(SUM(visible_at > ?2), 0) FROM messages WHERE queue = ?1",
        )?
        .query_row(params![queue, now], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(QueueDepth { visible, in_flight })
    }

    /// Moves every message of `queue`'s dead-letter queue back to `queue`.
    pub fn redrive(&self, queue: &str) -> Result<u64, BrokerError> {
        let dlq = self
            .dead_letter_queue_of(queue)
            .ok_or_else(|| BrokerError::UnknownQueue(format!("{queue} has no dead-letter queue")))?
            .to_owned();
        let moved = self.lock().execute(
            "UPDATE messages SET queue = ?1, receive_count = 0, visible_at = ?3 WHERE queue = ?2",
            params![queue, dlq, now_ms()],
        )?;
        if moved > 0
            && let Some(n) = self.arrivals.get(queue)
        {
            n.notify_one();
        }
        Ok(moved as u64)
    }
}

impl Publisher for Broker {
    fn publish<'a>(&'a self, events: &'a [Envelope]) -> BoxFuture<'a, Result<(), PublishError>> {
        let result = self.publish_events(events).map_err(|e| PublishError { first_failed: 0, reason: e.to_string() });
        Box::pin(std::future::ready(result))
    }
}
