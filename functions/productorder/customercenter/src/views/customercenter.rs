//! The customer center view (green sticky): one row per order with its
//! payment and delivery status, fed by the events of four contexts and
//! listed under its customer, newest order first.
//!
//! The events come through one queue but not in order (each context relays
//! on its own), so each status only moves forward (order `Ordered` →
//! `Prepared` → `Shipping` → `Delivered`, or `Canceled` / `Rejected`, which
//! end it; payment `Approved` → `Canceled`; delivery `Prepared` → `Started`
//! → `Completed`, or `Canceled`), and the item and quantity are filled by
//! whichever event names them first (they never differ). Every event names
//! the order and its customer, so any of them may begin the row; it
//! converges whatever the order, and a redelivered event changes nothing
//! (the inbox).

use std::sync::Arc;

use framework::store::{Key, Page, PageRequest, StoreError, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};

pub const CUSTOMERCENTER_VIEW: &str = "customercenter-view";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CustomerCenterOrderStatus")]
pub enum OrderStatus {
    Ordered,
    Prepared,
    Shipping,
    Delivered,
    Canceled,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CustomerCenterPaymentStatus")]
pub enum PaymentStatus {
    Approved,
    Canceled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CustomerCenterDeliveryStatus")]
pub enum DeliveryStatus {
    Prepared,
    Started,
    Completed,
    Canceled,
}

/// A status's place in its order: a status moves only to a higher one.
trait Stage: Copy {
    fn rank(self) -> u8;
}

impl Stage for OrderStatus {
    /// `Canceled` and `Rejected` end an order (it is never both), even one
    /// whose parcel was delivered before the cancel reached it.
    fn rank(self) -> u8 {
        match self {
            Self::Ordered => 0,
            Self::Prepared => 1,
            Self::Shipping => 2,
            Self::Delivered => 3,
            Self::Canceled | Self::Rejected => 4,
        }
    }
}

impl Stage for PaymentStatus {
    fn rank(self) -> u8 {
        match self {
            Self::Approved => 0,
            Self::Canceled => 1,
        }
    }
}

impl Stage for DeliveryStatus {
    /// `Completed` and `Canceled` both end a parcel (it is never both).
    fn rank(self) -> u8 {
        match self {
            Self::Prepared => 0,
            Self::Started => 1,
            Self::Completed | Self::Canceled => 2,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub order_id: String,
    /// Stored, and left out of the answer (it is the caller).
    pub customer_id: String,
    pub item_cd: Option<String>,
    pub quantity: Option<u64>,
    pub order_status: Option<OrderStatus>,
    pub payment_status: Option<PaymentStatus>,
    pub delivery_status: Option<DeliveryStatus>,
}

/// The events this view reads (order's, pay's, product's and delivery's),
/// as it reads them.
#[derive(Debug, Clone, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    Ordered { order_id: String, item_cd: String, quantity: u64, customer_id: String },
    OrderCanceled { order_id: String, item_cd: String, quantity: u64, customer_id: String },
    OrderRejected { order_id: String, item_cd: String, quantity: u64, customer_id: String },
    PayApproved { order_id: String, item_cd: String, quantity: u64, customer_id: String },
    PayCanceled { order_id: String, customer_id: String },
    DeliveryPrepared { order_id: String, item_cd: String, quantity: u64, customer_id: String },
    DeliveryStarted { order_id: String, customer_id: String },
    DeliveryCompleted { order_id: String, customer_id: String },
    DeliveryCanceled { order_id: String, customer_id: String },
}

impl Inbound {
    /// The order the event is about, and its customer: every event of the
    /// saga carries both.
    fn order(&self) -> (&str, &str) {
        match self {
            Inbound::Ordered { order_id, customer_id, .. }
            | Inbound::OrderCanceled { order_id, customer_id, .. }
            | Inbound::OrderRejected { order_id, customer_id, .. }
            | Inbound::PayApproved { order_id, customer_id, .. }
            | Inbound::PayCanceled { order_id, customer_id }
            | Inbound::DeliveryPrepared { order_id, customer_id, .. }
            | Inbound::DeliveryStarted { order_id, customer_id }
            | Inbound::DeliveryCompleted { order_id, customer_id }
            | Inbound::DeliveryCanceled { order_id, customer_id } => (order_id, customer_id),
        }
    }

    /// The item and quantity, for the events that name them.
    fn line(&self) -> Option<(&String, u64)> {
        match self {
            Inbound::Ordered { item_cd, quantity, .. }
            | Inbound::OrderCanceled { item_cd, quantity, .. }
            | Inbound::OrderRejected { item_cd, quantity, .. }
            | Inbound::PayApproved { item_cd, quantity, .. }
            | Inbound::DeliveryPrepared { item_cd, quantity, .. } => Some((item_cd, *quantity)),
            Inbound::PayCanceled { .. }
            | Inbound::DeliveryStarted { .. }
            | Inbound::DeliveryCompleted { .. }
            | Inbound::DeliveryCanceled { .. } => None,
        }
    }
}

/// Moves `field` to `status` unless it is there already or further.
fn advance<S: Stage>(field: &mut Option<S>, status: S) {
    if field.is_none_or(|current| current.rank() < status.rank()) {
        *field = Some(status);
    }
}

impl Row {
    /// The row after `event`.
    pub fn merge(&mut self, event: &Inbound) {
        if let Some((item_cd, quantity)) = event.line() {
            self.item_cd.get_or_insert_with(|| item_cd.clone());
            self.quantity.get_or_insert(quantity);
        }
        match event {
            Inbound::Ordered { .. } => {
                advance(&mut self.order_status, OrderStatus::Ordered);
                // An order is placed only once paid.
                advance(&mut self.payment_status, PaymentStatus::Approved);
            }
            Inbound::OrderCanceled { .. } => advance(&mut self.order_status, OrderStatus::Canceled),
            Inbound::OrderRejected { .. } => advance(&mut self.order_status, OrderStatus::Rejected),
            Inbound::PayApproved { .. } => advance(&mut self.payment_status, PaymentStatus::Approved),
            Inbound::PayCanceled { .. } => advance(&mut self.payment_status, PaymentStatus::Canceled),
            Inbound::DeliveryPrepared { .. } => {
                advance(&mut self.order_status, OrderStatus::Prepared);
                advance(&mut self.delivery_status, DeliveryStatus::Prepared);
            }
            Inbound::DeliveryStarted { .. } => {
                advance(&mut self.order_status, OrderStatus::Shipping);
                advance(&mut self.delivery_status, DeliveryStatus::Started);
            }
            Inbound::DeliveryCompleted { .. } => {
                advance(&mut self.order_status, OrderStatus::Delivered);
                advance(&mut self.delivery_status, DeliveryStatus::Completed);
            }
            Inbound::DeliveryCanceled { .. } => advance(&mut self.delivery_status, DeliveryStatus::Canceled),
        }
    }
}

fn key(order_id: &str) -> Key {
    Key::new(format!("CustomerCenter#{order_id}"), "ROW")
}

/// Listed under its customer by order id: ids are UUIDv7s, so the newest
/// order sorts last (and comes first, newest first).
fn listed_under(row: &Row) -> Option<Key> {
    Some(Key::new(framework::customer_partition(&row.customer_id), row.order_id.clone()))
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let (order_id, customer_id) = event.order();
    if order_id.is_empty() || order_id.len() > framework::http::MAX_ID_LEN || customer_id.is_empty() {
        return Err(PolicyError::Poison(format!("{} without a usable order or customer id", envelope.event_type)));
    }
    framework::view::merge(
        table,
        key(order_id),
        CUSTOMERCENTER_VIEW,
        &envelope,
        || Row { order_id: order_id.to_owned(), customer_id: customer_id.to_owned(), ..Row::default() },
        |row: &mut Row| row.merge(&event),
        listed_under,
    )
    .await
}

/// A page of the customer's rows, newest order first; an unreadable row is
/// skipped.
pub async fn rows_of(table: &dyn Table, customer_id: &str, page: &PageRequest) -> Result<Page<Row>, StoreError> {
    framework::view::customer_rows(table, customer_id, page).await
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;

    use super::*;

    const FIRST_PAGE: PageRequest = PageRequest { limit: 100, after: None };

    const O1: &str = "0192f0c4-2b1e-7c3a-9a51-4e3b2f1d0a11";

    fn ids() -> (String, String) {
        (O1.to_owned(), "alice".to_owned())
    }

    fn ordered() -> Inbound {
        let (order_id, customer_id) = ids();
        Inbound::Ordered { order_id, item_cd: "ITEM-001".into(), quantity: 2, customer_id }
    }

    fn order_canceled() -> Inbound {
        let (order_id, customer_id) = ids();
        Inbound::OrderCanceled { order_id, item_cd: "ITEM-001".into(), quantity: 2, customer_id }
    }

    fn order_rejected() -> Inbound {
        let (order_id, customer_id) = ids();
        Inbound::OrderRejected { order_id, item_cd: "ITEM-001".into(), quantity: 2, customer_id }
    }

    fn pay_approved() -> Inbound {
        let (order_id, customer_id) = ids();
        Inbound::PayApproved { order_id, item_cd: "ITEM-001".into(), quantity: 2, customer_id }
    }

    fn pay_canceled() -> Inbound {
        let (order_id, customer_id) = ids();
        Inbound::PayCanceled { order_id, customer_id }
    }

    fn prepared() -> Inbound {
        let (order_id, customer_id) = ids();
        Inbound::DeliveryPrepared { order_id, item_cd: "ITEM-001".into(), quantity: 2, customer_id }
    }

    fn started() -> Inbound {
        let (order_id, customer_id) = ids();
        Inbound::DeliveryStarted { order_id, customer_id }
    }

    fn completed() -> Inbound {
        let (order_id, customer_id) = ids();
        Inbound::DeliveryCompleted { order_id, customer_id }
    }

    fn delivery_canceled() -> Inbound {
        let (order_id, customer_id) = ids();
        Inbound::DeliveryCanceled { order_id, customer_id }
    }

    /// Every order of `events` (Heap's algorithm).
    fn orders(events: Vec<Inbound>) -> Vec<Vec<Inbound>> {
        fn permute(k: usize, events: &mut Vec<Inbound>, out: &mut Vec<Vec<Inbound>>) {
            if k <= 1 {
                out.push(events.clone());
                return;
            }
            for i in 0..k {
                permute(k - 1, events, out);
                events.swap(if k.is_multiple_of(2) { i } else { 0 }, k - 1);
            }
        }
        let mut out = Vec::new();
        let k = events.len();
        permute(k, &mut events.clone(), &mut out);
        out
    }

    fn merged(events: &[Inbound]) -> Row {
        let mut row = Row { order_id: O1.into(), customer_id: "alice".into(), ..Row::default() };
        for event in events {
            row.merge(event);
        }
        row
    }

    fn row(order: OrderStatus, payment: PaymentStatus, delivery: Option<DeliveryStatus>) -> Row {
        Row {
            order_id: O1.into(),
            customer_id: "alice".into(),
            item_cd: Some("ITEM-001".into()),
            quantity: Some(2),
            order_status: Some(order),
            payment_status: Some(payment),
            delivery_status: delivery,
        }
    }

    #[test]
    fn a_delivered_order_converges_under_every_order_and_repetition() {
        let expected = row(OrderStatus::Delivered, PaymentStatus::Approved, Some(DeliveryStatus::Completed));
        let all = orders(vec![ordered(), pay_approved(), prepared(), started(), completed()]);
        assert_eq!(all.len(), 120);
        for order in all {
            assert_eq!(merged(&order), expected, "order {order:?}");
            let twice: Vec<Inbound> = order.iter().chain(order.iter().rev()).cloned().collect();
            assert_eq!(merged(&twice), expected, "repeated {order:?}");
        }
    }

    #[test]
    fn a_canceled_shipping_order_converges_canceled_and_refunded_under_every_order() {
        let expected = row(OrderStatus::Canceled, PaymentStatus::Canceled, Some(DeliveryStatus::Canceled));
        let all = orders(vec![
            ordered(),
            pay_approved(),
            prepared(),
            started(),
            order_canceled(),
            pay_canceled(),
            delivery_canceled(),
        ]);
        assert_eq!(all.len(), 5040);
        for order in all {
            assert_eq!(merged(&order), expected, "order {order:?}");
        }
    }

    #[test]
    fn an_out_of_stock_order_converges_rejected_and_refunded_with_no_parcel() {
        let expected = row(OrderStatus::Rejected, PaymentStatus::Canceled, None);
        for order in orders(vec![ordered(), pay_approved(), pay_canceled(), order_rejected()]) {
            assert_eq!(merged(&order), expected, "order {order:?}");
        }
    }

    #[test]
    fn a_cancel_that_found_the_parcel_delivered_shows_the_order_canceled_and_the_parcel_completed() {
        let expected = row(OrderStatus::Canceled, PaymentStatus::Canceled, Some(DeliveryStatus::Completed));
        for order in orders(vec![ordered(), prepared(), started(), completed(), order_canceled(), pay_canceled()]) {
            assert_eq!(merged(&order), expected, "order {order:?}");
        }
    }

    #[test]
    fn a_late_event_never_moves_a_status_back() {
        let row = merged(&[ordered(), started(), prepared(), ordered()]);
        assert_eq!(
            (row.order_status, row.delivery_status),
            (Some(OrderStatus::Shipping), Some(DeliveryStatus::Started))
        );
        let row = merged(&[order_canceled(), prepared(), pay_approved()]);
        assert_eq!(row.order_status, Some(OrderStatus::Canceled));
        let row = merged(&[pay_canceled(), pay_approved(), ordered()]);
        assert_eq!(row.payment_status, Some(PaymentStatus::Canceled));
    }

    #[test]
    fn a_row_begun_by_an_event_without_the_item_leaves_unknowns_null_until_heard() {
        let early = merged(&[started()]);
        assert_eq!((early.item_cd.as_deref(), early.quantity), (None, None));
        assert_eq!((early.order_status, early.payment_status), (Some(OrderStatus::Shipping), None));
        assert_eq!(early.delivery_status, Some(DeliveryStatus::Started));
        let filled = merged(&[started(), pay_approved()]);
        assert_eq!((filled.item_cd.as_deref(), filled.quantity), (Some("ITEM-001"), Some(2)));
        assert_eq!(filled.payment_status, Some(PaymentStatus::Approved));
    }

    fn envelope(event_id: &str) -> Envelope {
        Envelope {
            event_id: event_id.into(),
            event_type: "test".into(),
            source: "test".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: O1.into(),
            version: 1,
            data: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn rows_stored_in_any_order_with_redeliveries_converge_and_list_under_their_customer() {
        let events = [ordered(), pay_approved(), prepared(), started(), completed()];
        let expected = row(OrderStatus::Delivered, PaymentStatus::Approved, Some(DeliveryStatus::Completed));
        for order in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 4, 0, 3, 1], [1, 3, 4, 2, 0]] {
            let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
            for i in order.into_iter().chain(order) {
                on_event(table.clone(), envelope(&format!("e{i}")), events[i].clone()).await.unwrap();
            }
            assert_eq!(
                rows_of(&*table, "alice", &FIRST_PAGE).await.unwrap().items,
                vec![expected.clone()],
                "order {order:?}"
            );
            assert!(rows_of(&*table, "carol", &FIRST_PAGE).await.unwrap().items.is_empty());
        }
    }

    #[tokio::test]
    async fn the_newest_order_is_listed_first() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        // Order ids are UUIDv7s: the later one sorts after.
        let (older, newer) = (O1.to_owned(), "0192f0c4-3c2f-7d4b-8b62-5f4c3e2e1b22".to_owned());
        for (n, id) in [&older, &newer].into_iter().enumerate() {
            let event = Inbound::PayCanceled { order_id: id.clone(), customer_id: "alice".into() };
            on_event(table.clone(), envelope(&format!("e{n}")), event).await.unwrap();
        }
        let ids: Vec<String> =
            rows_of(&*table, "alice", &FIRST_PAGE).await.unwrap().items.into_iter().map(|r| r.order_id).collect();
        assert_eq!(ids, vec![newer, older]);
    }

    #[tokio::test]
    async fn an_event_without_an_order_or_customer_is_poison() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let event = Inbound::DeliveryStarted { order_id: O1.into(), customer_id: String::new() };
        assert!(matches!(on_event(table, envelope("e1"), event).await, Err(PolicyError::Poison(_))));
    }
}
