//! The notice context's notifications: what was sent to whom, which the
//! customer reads at `GET /notifications`.

use framework::store::{Key, Page, PageRequest, Query, StoreError, Table};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub notification_id: String,
    pub order_id: String,
    /// The type of the event it tells of (`Ordered`, `DeliveryStarted`, …).
    pub kind: String,
    pub message: String,
    pub sent_at: String,
}

const SK_PREFIX: &str = "Notification#";

/// Where a notification is kept: under its customer, in the order sent
/// (its id is a UUIDv7).
pub fn key(customer_id: &str, notification_id: &str) -> Key {
    Key::new(framework::customer_partition(customer_id), format!("{SK_PREFIX}{notification_id}"))
}

/// A page of a customer's notifications, oldest first; an unreadable one is
/// skipped.
pub async fn of_customer(
    table: &dyn Table,
    customer_id: &str,
    page: &PageRequest,
) -> Result<Page<Notification>, StoreError> {
    let mut query = Query::partition(framework::customer_partition(customer_id));
    query.sk_prefix = Some(SK_PREFIX.into());
    let found = framework::store::page(table, query, page).await?;
    Ok(found.filter_map(|i| serde_json::from_value(i.body).ok()))
}
