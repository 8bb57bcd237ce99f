//! Lilac sticky `notify-customer`: one message per `Ordered`,
//! `OrderCanceled`, `OrderRejected`, `DeliveryStarted` and
//! `DeliveryCompleted`.
//! Sent through [`framework::notification::send`]: once per event, however
//! often it is delivered.

use std::sync::Arc;

use framework::store::Table;
use framework::{Envelope, PolicyError};
use serde::Deserialize;

use crate::notifications::Notification;

pub const NOTIFY_CUSTOMER: &str = "notify-customer";

/// The order and delivery events the customer hears about, as notice reads them.
#[derive(Debug, Clone, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    Ordered { order_id: String, customer_id: String },
    OrderCanceled { order_id: String, customer_id: String },
    OrderRejected { order_id: String, customer_id: String, reason: String },
    DeliveryStarted { delivery_id: String, order_id: String, customer_id: String },
    DeliveryCompleted { delivery_id: String, order_id: String, customer_id: String },
}

/// What to tell whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub customer_id: String,
    pub order_id: String,
    pub message: String,
}

impl Inbound {
    /// The message of an event, in plain English.
    pub fn notice(self) -> Notice {
        let (customer_id, order_id, message) = match self {
            Inbound::Ordered { order_id, customer_id } => {
                let message = format!("Your order {order_id} is placed and paid.");
                (customer_id, order_id, message)
            }
            Inbound::OrderCanceled { order_id, customer_id } => {
                let message = format!("Your order {order_id} is canceled; its payment will be refunded.");
                (customer_id, order_id, message)
            }
            Inbound::OrderRejected { order_id, customer_id, reason } => {
                let why = match reason.as_str() {
                    "out_of_stock" => "the item is out of stock".to_owned(),
                    "not_recorded" => "it could not be recorded".to_owned(),
                    other => other.replace('_', " "),
                };
                let message =
                    format!("Sorry, your order {order_id} could not be accepted: {why}. Its payment will be refunded.");
                (customer_id, order_id, message)
            }
            Inbound::DeliveryStarted { order_id, customer_id, .. } => {
                let message = format!("Your order {order_id} has shipped: its parcel is on the way.");
                (customer_id, order_id, message)
            }
            Inbound::DeliveryCompleted { order_id, customer_id, .. } => {
                let message = format!("Your order {order_id} is delivered.");
                (customer_id, order_id, message)
            }
        };
        Notice { customer_id, order_id, message }
    }
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let Notice { customer_id, order_id, message } = event.notice();
    if customer_id.is_empty() {
        return Err(PolicyError::Poison(format!("{} names no customer", envelope.event_type)));
    }
    // Sorts by time; the inbox keeps it to one per notifying event.
    let notification_id = framework::new_id();
    let notification = Notification {
        notification_id: notification_id.clone(),
        order_id,
        kind: envelope.event_type.clone(),
        message,
        sent_at: framework::now_rfc3339(),
    };
    framework::notification::send(table, NOTIFY_CUSTOMER, &envelope, &customer_id, &notification_id, &notification)
        .await
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;

    use framework::store::PageRequest;

    use super::*;
    use crate::notifications::Notification;
    use crate::queries::{self, Outcome};

    const O1: &str = "0192f0c4-2b1e-7c3a-9a51-4e3b2f1d0a11";

    fn envelope(event_id: &str, event_type: &str) -> Envelope {
        Envelope {
            event_id: event_id.into(),
            event_type: event_type.into(),
            source: "order".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: O1.into(),
            version: 1,
            data: serde_json::json!({}),
        }
    }

    fn story() -> Vec<(&'static str, Inbound)> {
        let (order_id, customer_id, delivery_id) = (O1.to_owned(), "alice".to_owned(), "d1".to_owned());
        vec![
            ("Ordered", Inbound::Ordered { order_id: order_id.clone(), customer_id: customer_id.clone() }),
            (
                "DeliveryStarted",
                Inbound::DeliveryStarted {
                    delivery_id: delivery_id.clone(),
                    order_id: order_id.clone(),
                    customer_id: customer_id.clone(),
                },
            ),
            ("DeliveryCompleted", Inbound::DeliveryCompleted { delivery_id, order_id, customer_id }),
        ]
    }

    fn caller(sub: &str) -> framework::Caller {
        framework::Caller { sub: sub.into(), groups: vec![] }
    }

    /// The first page of the caller's notifications, as `GET /notifications` reads it.
    async fn list_notifications(table: &dyn Table, caller: &framework::Caller) -> Outcome<Vec<Notification>> {
        let first_page = PageRequest { limit: 100, after: None };
        Ok(queries::list_notifications(table, caller, &first_page).await?.items)
    }

    #[test]
    fn each_message_says_what_happened_to_which_order() {
        let messages: Vec<String> = story().into_iter().map(|(_, e)| e.notice().message).collect();
        assert_eq!(
            messages,
            [
                format!("Your order {O1} is placed and paid."),
                format!("Your order {O1} has shipped: its parcel is on the way."),
                format!("Your order {O1} is delivered."),
            ]
        );
        let canceled = Inbound::OrderCanceled { order_id: O1.into(), customer_id: "alice".into() }.notice();
        assert_eq!(canceled.message, format!("Your order {O1} is canceled; its payment will be refunded."));
        let rejected =
            Inbound::OrderRejected { order_id: O1.into(), customer_id: "alice".into(), reason: "out_of_stock".into() };
        assert_eq!(
            rejected.notice().message,
            format!(
                "Sorry, your order {O1} could not be accepted: the item is out of stock. Its payment will be refunded."
            )
        );
    }

    #[tokio::test]
    async fn each_notifying_event_notifies_its_customer_once_oldest_first() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        for (n, (kind, event)) in story().into_iter().enumerate() {
            for _ in 0..2 {
                on_event(table.clone(), envelope(&format!("e{n}"), kind), event.clone()).await.unwrap();
            }
        }
        let carol = Inbound::OrderCanceled { order_id: "o2".into(), customer_id: "carol".into() };
        on_event(table.clone(), envelope("e9", "OrderCanceled"), carol).await.unwrap();

        let mine = list_notifications(&*table, &caller("alice")).await.unwrap();
        let kinds: Vec<&str> = mine.iter().map(|n| n.kind.as_str()).collect();
        assert_eq!(kinds, ["Ordered", "DeliveryStarted", "DeliveryCompleted"], "a redelivery notifies nothing");
        assert!(mine.iter().all(|n| n.order_id == O1 && !n.sent_at.is_empty()));
        let theirs = list_notifications(&*table, &caller("carol")).await.unwrap();
        assert_eq!((theirs.len(), theirs[0].kind.as_str(), theirs[0].order_id.as_str()), (1, "OrderCanceled", "o2"));
        assert!(list_notifications(&*table, &caller("dave")).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_rejection_is_notified_with_its_reason() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let rejected =
            Inbound::OrderRejected { order_id: O1.into(), customer_id: "alice".into(), reason: "not_recorded".into() };
        on_event(table.clone(), envelope("e1", "OrderRejected"), rejected).await.unwrap();
        let mine = list_notifications(&*table, &caller("alice")).await.unwrap();
        assert_eq!(mine[0].kind, "OrderRejected");
        assert!(mine[0].message.contains("could not be recorded"), "{}", mine[0].message);
    }
}
