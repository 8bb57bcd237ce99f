//! What one invocation did, told to the code that runs it when it asks (the
//! local runner's live board): the sagas its commits joined (their
//! correlation ids) and the consumed events its inbox had recorded already
//! (duplicates absorbed). Outside [`watch`] a commit pays one task-local
//! lookup; Lambda never watches, it has its logs.

use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::Envelope;

tokio::task_local! {
    static WITNESS: Arc<Mutex<Seen>>;
}

/// What a watched invocation did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Seen {
    /// The correlation ids of the events its commits put in an outbox, each
    /// once, in the order they first appeared.
    pub correlations: Vec<String>,
    /// The ids of the events it consumed that its inbox had recorded already:
    /// delivered again, and changed nothing.
    pub absorbed: Vec<String>,
}

/// Runs `invocation` and tells what its commits did. Only what runs on the
/// invocation's own task is seen (not a task it spawns, such as a
/// synchronous call's callee).
pub async fn watch<F: Future>(invocation: F) -> (F::Output, Seen) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let output = WITNESS.scope(seen.clone(), invocation).await;
    let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()));
    (output, seen)
}

fn note(write: impl FnOnce(&mut Seen)) {
    let _ = WITNESS.try_with(|seen| write(&mut seen.lock().unwrap_or_else(|p| p.into_inner())));
}

/// A commit landed with these events in its outbox.
pub(crate) fn committed(events: &[Envelope]) {
    if events.is_empty() {
        return;
    }
    note(|seen| {
        for event in events {
            if !seen.correlations.contains(&event.correlation_id) {
                seen.correlations.push(event.correlation_id.clone());
            }
        }
    });
}

/// A commit found `event_id` in its inbox: a redelivery, absorbed.
pub(crate) fn absorbed(event_id: &str) {
    tracing::info!(event_id, "delivered again: absorbed by the inbox");
    note(|seen| seen.absorbed.push(event_id.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(correlation: &str) -> Envelope {
        serde_json::from_value(serde_json::json!({
            "eventId": crate::new_id(), "type": "Shelved", "source": "library",
            "occurredAt": "2026-01-01T00:00:00Z", "correlationId": correlation, "version": 1, "data": {}
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn a_watched_invocation_tells_each_saga_once_and_each_delivery_absorbed() {
        let ((), seen) = watch(async {
            committed(&[event("saga-1"), event("saga-1")]);
            committed(&[event("saga-2")]);
            absorbed("event-9");
        })
        .await;
        assert_eq!(
            seen,
            Seen { correlations: vec!["saga-1".into(), "saga-2".into()], absorbed: vec!["event-9".into()] }
        );
    }

    #[tokio::test]
    async fn what_happens_outside_a_watch_is_told_to_no_one() {
        committed(&[event("saga-3")]);
        absorbed("event-8");
        let ((), seen) = watch(async {}).await;
        assert_eq!(seen, Seen::default(), "a watch sees only its own invocation");
    }
}
