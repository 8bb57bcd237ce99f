//! The customer context's notifications: one message per `Reserved`,
//! `ReservationFailed` and `ReservationCanceled` (the seed's KakaoTalk alert).
//!
//! Sending is a structured log line (`notification sent`) plus the stored
//! notification the customer reads at `GET /notifications`; a real channel
//! would sit behind the same policy. The notification and the inbox record of
//! the event commit together, so a redelivered event never notifies twice.

use framework::commit::{Commit, CommitError};
use framework::store::{Condition, Item, Key, Query, StoreError, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const NOTIFY_CUSTOMER: &str = "notify-customer";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub notification_id: String,
    pub reservation_id: String,
    pub kind: String,
    pub message: String,
    pub sent_at: String,
}

/// The reservation events the customer hears about, as this context reads them.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum ReservationNews {
    Reserved { reservation_id: String, title: String, customer_id: String },
    ReservationFailed { reservation_id: String, title: String, customer_id: String, reason: String },
    ReservationCanceled { reservation_id: String, title: String, customer_id: String },
}

fn partition(customer_id: &str) -> String {
    format!("Customer#{customer_id}")
}

const SK_PREFIX: &str = "Notification#";

pub async fn notify_customer(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let table = &*table;
    let Some(news) = envelope.open::<ReservationNews>()? else {
        return Ok(());
    };
    let (customer_id, reservation_id, message) = match news {
        ReservationNews::Reserved { reservation_id, title, customer_id } => {
            (customer_id, reservation_id, format!("Your reservation of '{title}' is confirmed."))
        }
        ReservationNews::ReservationFailed { reservation_id, title, customer_id, reason } => (
            customer_id,
            reservation_id,
            format!("Sorry, '{title}' could not be reserved ({}).", reason.replace('_', " ")),
        ),
        ReservationNews::ReservationCanceled { reservation_id, title, customer_id } => {
            (customer_id, reservation_id, format!("Your reservation of '{title}' is canceled."))
        }
    };
    // Sorts by time; the event id keeps it unique per notifying event.
    let notification_id = framework::new_id();
    let notification = Notification {
        notification_id: notification_id.clone(),
        reservation_id,
        kind: envelope.event_type.clone(),
        message,
        sent_at: framework::now_rfc3339(),
    };
    let body = serde_json::to_value(&notification).expect("a notification always serializes");
    let mut commit = Commit::new();
    commit.put(
        Item::new(Key::new(partition(&customer_id), format!("{SK_PREFIX}{notification_id}")), 1, body),
        Condition::NotExists,
    );
    commit.consumed(NOTIFY_CUSTOMER, &envelope.event_id);
    match commit.submit(table).await {
        Ok(_) => {
            tracing::info!(customer_id, kind = %notification.kind, message = %notification.message, "notification sent");
            Ok(())
        }
        Err(CommitError::Duplicate) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub async fn of_customer(table: &dyn Table, customer_id: &str) -> Result<Vec<Notification>, StoreError> {
    let mut query = Query::partition(partition(customer_id));
    query.sk_prefix = Some(SK_PREFIX.into());
    let items = table.query(&query).await?;
    Ok(items.into_iter().filter_map(|i| serde_json::from_value(i.body).ok()).collect())
}
