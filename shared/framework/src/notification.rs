//! Notifications to customers (the seeds' KakaoTalk alerts): kept under the
//! customer in the order sent, read back a page at a time at
//! `GET /notifications`.
//!
//! Sending is a structured log line (`notification sent`) plus the stored
//! notification; a real channel would sit behind the same policy. The
//! notification and the inbox record of the event that caused it commit
//! together, so a redelivered event never notifies twice.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::commit::{Commit, CommitError};
use crate::envelope::Envelope;
use crate::queue::PolicyError;
use crate::store::{Condition, Item, Key, Page, PageRequest, Query, StoreError, Table};

const SK_PREFIX: &str = "Notification#";

/// Where a notification is kept: under its customer, in the order sent
/// (`notification_id` is a UUIDv7).
pub fn key(customer_id: &str, notification_id: &str) -> Key {
    Key::new(crate::customer_partition(customer_id), format!("{SK_PREFIX}{notification_id}"))
}

/// Sends `notification` to `customer_id` for `envelope`'s event, once:
/// `consumer` is the policy's inbox name.
pub async fn send<T: Serialize>(
    table: &dyn Table,
    consumer: &str,
    envelope: &Envelope,
    customer_id: &str,
    notification_id: &str,
    notification: &T,
) -> Result<(), PolicyError> {
    let body = serde_json::to_value(notification).expect("a notification always serializes");
    let mut commit = Commit::new();
    commit.put(Item::new(key(customer_id, notification_id), 1, body.clone()), Condition::NotExists);
    commit.consumed(consumer, &envelope.event_id);
    match commit.submit(table).await {
        Ok(_) => {
            tracing::info!(customer_id, kind = %envelope.event_type, notification = %body, "notification sent");
            Ok(())
        }
        Err(CommitError::Duplicate) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A page of a customer's notifications, oldest first; one that no longer
/// reads as `T` is skipped.
pub async fn of_customer<T: DeserializeOwned>(
    table: &dyn Table,
    customer_id: &str,
    page: &PageRequest,
) -> Result<Page<T>, StoreError> {
    let mut query = Query::partition(crate::customer_partition(customer_id));
    query.sk_prefix = Some(SK_PREFIX.into());
    let found = crate::store::page(table, query, page).await?;
    Ok(found.filter_map(|i| serde_json::from_value(i.body).ok()))
}
