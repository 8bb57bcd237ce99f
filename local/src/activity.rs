//! What the runner does, as it does it: the feed of the live board
//! (`GET /_local/activity`, server-sent events, and the page at `/`). Each
//! HTTP function's answer, each event a relay hands to its topic, each
//! message a policy or view handled or gave back, with the saga's
//! correlation id where the step has one. Steps are made only while someone
//! listens, so an unwatched runner pays one atomic load per step.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use framework::Envelope;
use framework::relay::{PublishError, Publisher};
use framework::store::BoxFuture;
use framework::witness::Seen;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::backend::Received;
use crate::consumers::Consumer;
use crate::runner::Shared;

/// Steps kept for a slow listener before it is told it lagged.
const BUFFER: usize = 4096;

/// One step of a flow, as the board shows it.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Step {
    /// When the step began (RFC 3339, milliseconds): a request reached its
    /// function, a batch was handed to its consumer, an event to its topic.
    /// So a saga's steps in time order put each cause before its effects.
    pub(crate) at: String,
    pub(crate) system: String,
    pub(crate) context: String,
    /// `http` (a command or query answered), `event` (published), `consumer`
    /// (a policy or view took one message).
    pub(crate) kind: &'static str,
    /// The function, or for `event` the event type.
    pub(crate) name: String,
    /// `http`: the status. `consumer`: `handled` or `failed` (it comes back).
    pub(crate) outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) event_id: Option<String>,
    /// The saga: the event's, or for `http` the one its commits joined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) correlation_id: Option<String>,
    /// `consumer`: which delivery of the message this was (2 and up: a retry
    /// or a duplicate delivery).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attempt: Option<u32>,
    /// `consumer`: its inbox had recorded the event already, so it changed
    /// nothing (a duplicate absorbed).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) absorbed: bool,
}

pub(crate) struct Feed {
    sender: broadcast::Sender<Arc<Step>>,
}

impl Default for Feed {
    fn default() -> Self {
        Self { sender: broadcast::channel(BUFFER).0 }
    }
}

impl Feed {
    /// Whether anyone listens (build a step only then).
    pub(crate) fn watched(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    pub(crate) fn record(&self, step: Step) {
        // No listener since `watched` was asked: nothing to do.
        let _ = self.sender.send(Arc::new(step));
    }

    /// An event on its way out of its context's outbox.
    pub(crate) fn published(&self, system: &str, envelope: &Envelope) {
        if self.watched() {
            self.record(Self::step_of(system, envelope));
        }
    }

    fn step_of(system: &str, envelope: &Envelope) -> Step {
        Step {
            at: framework::now_rfc3339(),
            system: system.to_owned(),
            context: envelope.source.clone(),
            kind: "event",
            name: envelope.event_type.clone(),
            outcome: "published".into(),
            event_type: Some(envelope.event_type.clone()),
            event_id: Some(envelope.event_id.clone()),
            correlation_id: Some(envelope.correlation_id.clone()),
            ..Step::default()
        }
    }

    /// Runs an invocation on a task of its own (a panic costs the
    /// invocation, not the runner); while someone watches, inside
    /// [`framework::witness::watch`], so that its commits tell which saga
    /// they joined and which deliveries the inbox absorbed, and with the
    /// time it began (its step's `at`).
    pub(crate) fn spawn<F>(&self, invocation: F) -> (Option<String>, tokio::task::JoinHandle<(F::Output, Seen)>)
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if self.watched() {
            (Some(framework::now_rfc3339()), tokio::spawn(framework::witness::watch(invocation)))
        } else {
            (None, tokio::spawn(async move { (invocation.await, Seen::default()) }))
        }
    }

    /// A consumer's batch, one step per message, each at `taken` (when the
    /// batch was handed over; now if nobody watched then). `absorbed` names an event
    /// once for each delivery of it that the inbox absorbed: of several
    /// deliveries of one event in a batch, taken in turn, the first changed
    /// things and the later ones were absorbed.
    pub(crate) fn consumed(
        &self,
        consumer: &Consumer,
        taken: Option<String>,
        received: &[Received],
        failed: Option<&HashSet<String>>,
        absorbed: Vec<String>,
    ) {
        let taken = taken.unwrap_or_else(framework::now_rfc3339);
        let mut absorbed_left: HashMap<String, usize> = HashMap::new();
        for event_id in absorbed {
            *absorbed_left.entry(event_id).or_default() += 1;
        }
        let steps: Vec<Step> = received
            .iter()
            .rev()
            .map(|m| {
                let handled = failed.is_some_and(|failed| !failed.contains(&m.message_id));
                let envelope = serde_json::from_str::<Envelope>(&m.body).ok();
                let absorbed = handled
                    && envelope.as_ref().and_then(|e| absorbed_left.get_mut(&e.event_id)).is_some_and(|left| {
                        let some = *left > 0;
                        *left = left.saturating_sub(1);
                        some
                    });
                Step {
                    at: taken.clone(),
                    system: consumer.system.clone(),
                    context: consumer.context.clone(),
                    kind: "consumer",
                    name: consumer.handler.clone(),
                    outcome: if handled { "handled" } else { "failed" }.into(),
                    event_type: envelope.as_ref().map(|e| e.event_type.clone()),
                    event_id: envelope.as_ref().map(|e| e.event_id.clone()),
                    correlation_id: envelope.map(|e| e.correlation_id),
                    attempt: Some(m.receive_count),
                    absorbed,
                }
            })
            .collect();
        for step in steps.into_iter().rev() {
            self.record(step);
        }
    }
}

/// An outbox's topic (its relay's and its sweep's), telling the feed of
/// each event on its way out.
pub(crate) struct WatchedTopic {
    pub(crate) inner: Arc<dyn Publisher>,
    pub(crate) feed: Arc<Feed>,
    pub(crate) system: String,
}

impl Publisher for WatchedTopic {
    fn publish<'a>(&'a self, events: &'a [Envelope]) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(async move {
            // Told before it goes out, so that the feed shows an event before
            // any consumer of it (which may take it before `publish` returns).
            for event in events {
                self.feed.published(&self.system, event);
            }
            let outcome = self.inner.publish(events).await;
            if let Err(e) = &outcome
                && self.feed.watched()
            {
                for event in events.get(e.first_failed..).unwrap_or_default() {
                    self.feed.record(Step { outcome: "failed".into(), ..Feed::step_of(&self.system, event) });
                }
            }
            outcome
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct Filter {
    system: Option<String>,
}

/// `GET /_local/activity[?system=]`: the steps from now on, one server-sent
/// event each (`data:` a [`Step`] as JSON); `event: lagged` when a slow
/// reader missed some.
pub(crate) async fn stream(
    State(shared): State<Arc<Shared>>,
    Query(filter): Query<Filter>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let receiver = shared.activity.sender.subscribe();
    let steps = futures_util::stream::unfold((receiver, filter.system), |(mut receiver, system)| async move {
        loop {
            match receiver.recv().await {
                Ok(step) if system.as_ref().is_none_or(|s| *s == step.system) => {
                    let event = Event::default().json_data(&*step).unwrap_or_else(|_| Event::default());
                    return Some((Ok(event), (receiver, system)));
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    let event = Event::default().event("lagged").data(missed.to_string());
                    return Some((Ok(event), (receiver, system)));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(steps).keep_alive(KeepAlive::default())
}
