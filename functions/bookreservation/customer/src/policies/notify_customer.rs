//! Lilac sticky `notify-customer`: one message per `Reserved`,
//! `ReservationFailed` and `ReservationCanceled` (the seed's KakaoTalk alert).
//! Sent through [`framework::notification::send`]: once per event, however
//! often it is delivered.

use std::sync::Arc;

use framework::store::Table;
use framework::{Envelope, PolicyError};
use serde::Deserialize;

use crate::notifications::Notification;

pub const NOTIFY_CUSTOMER: &str = "notify-customer";

/// The reservation events the customer hears about, as this context reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    Reserved { reservation_id: String, title: String, customer_id: String },
    ReservationFailed { reservation_id: String, title: String, customer_id: String, reason: String },
    ReservationCanceled { reservation_id: String, title: String, customer_id: String },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let (customer_id, reservation_id, message) = match event {
        Inbound::Reserved { reservation_id, title, customer_id } => {
            (customer_id, reservation_id, format!("Your reservation of '{title}' is confirmed."))
        }
        Inbound::ReservationFailed { reservation_id, title, customer_id, reason } => (
            customer_id,
            reservation_id,
            format!("Sorry, '{title}' could not be reserved ({}).", reason.replace('_', " ")),
        ),
        Inbound::ReservationCanceled { reservation_id, title, customer_id } => {
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
    framework::notification::send(table, NOTIFY_CUSTOMER, &envelope, &customer_id, &notification_id, &notification)
        .await
}
