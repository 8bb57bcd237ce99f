//! The MyPage view (green sticky): one row per reservation with its status,
//! its delivery's and the book's title and current stock, fed by the events
//! of reservation, delivery and product.
//!
//! The events arrive in any order, so each status only moves forward
//! (`Reserved` → `Delivering` → `Delivered` / `Canceled` / `Rejected`;
//! `Started` → `Delivered` / `Canceled`), and a book keeps the stock of the
//! highest product version seen: the row converges whatever the order.

use std::sync::Arc;

use framework::store::{Key, Page, PageRequest, StoreError, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};

pub const MYPAGE_VIEW: &str = "mypage-view";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub reservation_id: String,
    pub product_id: String,
    pub customer_id: String,
    pub reservation_status: Option<String>,
    pub delivery_status: Option<String>,
}

/// A book as this view knows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Book {
    pub title: String,
    pub stock: u64,
    /// The product version the stock is from.
    pub version: u64,
}

/// The events this view reads, as it reads them.
#[derive(Debug, Clone, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    Reserved { reservation_id: String, product_id: String, customer_id: String },
    ReservationRejected { reservation_id: String, product_id: String, customer_id: String },
    ReservationCanceled { reservation_id: String, product_id: String, customer_id: String },
    DeliveryStarted { reservation_id: String, product_id: String, customer_id: String },
    Delivered { reservation_id: String, product_id: String, customer_id: String },
    DeliveryCanceled { reservation_id: String, product_id: String, customer_id: String },
    StockIncreased { product_id: String, title: String, stock: u64 },
    StockDecreased { product_id: String, title: String, stock: u64 },
}

/// How far each status is along; the terminal ones share the last step
/// (a reservation reaches only one of them).
fn stage(status: &str) -> u8 {
    match status {
        "Reserved" | "Started" => 1,
        "Delivering" => 2,
        _ => 3,
    }
}

fn advance(field: &mut Option<String>, status: &str) {
    if field.as_deref().is_none_or(|current| stage(current) < stage(status)) {
        *field = Some(status.to_owned());
    }
}

impl Row {
    pub fn merge(&mut self, event: &Inbound) {
        let (reservation, delivery) = match event {
            Inbound::Reserved { .. } => (Some("Reserved"), None),
            Inbound::ReservationRejected { .. } => (Some("Rejected"), None),
            Inbound::ReservationCanceled { .. } => (Some("Canceled"), None),
            Inbound::DeliveryStarted { .. } => (Some("Delivering"), Some("Started")),
            Inbound::Delivered { .. } => (Some("Delivered"), Some("Delivered")),
            Inbound::DeliveryCanceled { .. } => (None, Some("Canceled")),
            Inbound::StockIncreased { .. } | Inbound::StockDecreased { .. } => (None, None),
        };
        if let Some(status) = reservation {
            advance(&mut self.reservation_status, status);
        }
        if let Some(status) = delivery {
            advance(&mut self.delivery_status, status);
        }
    }
}

fn row_key(reservation_id: &str) -> Key {
    Key::new(format!("MyPage#{reservation_id}"), "ROW")
}

fn book_key(product_id: &str) -> Key {
    Key::new(format!("Book#{product_id}"), "BOOK")
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    match &event {
        Inbound::StockIncreased { product_id, title, stock } | Inbound::StockDecreased { product_id, title, stock } => {
            let book = |shown: Option<Book>| {
                let newer = shown.is_none_or(|b| b.version < envelope.version);
                newer.then(|| Book { title: title.clone(), stock: *stock, version: envelope.version })
            };
            framework::view::update(table, book_key(product_id), MYPAGE_VIEW, &envelope, book, |_| None).await
        }
        Inbound::Reserved { reservation_id, product_id, customer_id }
        | Inbound::ReservationRejected { reservation_id, product_id, customer_id }
        | Inbound::ReservationCanceled { reservation_id, product_id, customer_id }
        | Inbound::DeliveryStarted { reservation_id, product_id, customer_id }
        | Inbound::Delivered { reservation_id, product_id, customer_id }
        | Inbound::DeliveryCanceled { reservation_id, product_id, customer_id } => {
            let fresh = || Row {
                reservation_id: reservation_id.clone(),
                product_id: product_id.clone(),
                customer_id: customer_id.clone(),
                ..Row::default()
            };
            let listed =
                |row: &Row| Some(Key::new(framework::customer_partition(&row.customer_id), row.reservation_id.clone()));
            let merge = |row: &mut Row| row.merge(&event);
            framework::view::merge(table, row_key(reservation_id), MYPAGE_VIEW, &envelope, fresh, merge, listed).await
        }
    }
}

/// A row with its book as last heard from product (`None` until then).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub row: Row,
    pub book: Option<Book>,
}

/// A page of the customer's rows, newest reservation first, each with its
/// book (read for this page's rows only); an unreadable row is skipped.
pub async fn lines_of(table: &dyn Table, customer_id: &str, page: &PageRequest) -> Result<Page<Line>, StoreError> {
    let rows: Page<Row> = framework::view::customer_rows(table, customer_id, page).await?;
    let mut lines = Vec::new();
    let mut books: std::collections::HashMap<String, Option<Book>> = std::collections::HashMap::new();
    for row in rows.items {
        if !books.contains_key(&row.product_id) {
            let book = table.get(&book_key(&row.product_id)).await?.and_then(|i| serde_json::from_value(i.body).ok());
            books.insert(row.product_id.clone(), book);
        }
        let book = books.get(&row.product_id).cloned().flatten();
        lines.push(Line { row, book });
    }
    Ok(Page { items: lines, next: rows.next })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn news() -> Vec<Inbound> {
        let (r, p, c) = ("r1".to_owned(), "p1".to_owned(), "alice".to_owned());
        vec![
            Inbound::Reserved { reservation_id: r.clone(), product_id: p.clone(), customer_id: c.clone() },
            Inbound::DeliveryStarted { reservation_id: r.clone(), product_id: p.clone(), customer_id: c.clone() },
            Inbound::Delivered { reservation_id: r, product_id: p, customer_id: c },
        ]
    }

    fn merged(order: &[usize]) -> Row {
        let all = news();
        let mut row = Row::default();
        for &i in order {
            row.merge(&all[i]);
        }
        row
    }

    #[test]
    fn statuses_only_move_forward_whatever_the_order() {
        let in_order = merged(&[0, 1, 2]);
        assert_eq!(
            (in_order.reservation_status.as_deref(), in_order.delivery_status.as_deref()),
            (Some("Delivered"), Some("Delivered"))
        );
        for order in [[2, 1, 0], [1, 2, 0], [0, 2, 1]] {
            assert_eq!(merged(&order), in_order, "order {order:?}");
        }
    }

    #[test]
    fn a_cancel_after_the_start_ends_both() {
        let mut row = merged(&[0, 1]);
        let c = || ("r1".to_owned(), "p1".to_owned(), "alice".to_owned());
        let (reservation_id, product_id, customer_id) = c();
        row.merge(&Inbound::DeliveryCanceled { reservation_id, product_id, customer_id });
        let (reservation_id, product_id, customer_id) = c();
        row.merge(&Inbound::ReservationCanceled { reservation_id, product_id, customer_id });
        row.merge(&news()[1]);
        assert_eq!(
            (row.reservation_status.as_deref(), row.delivery_status.as_deref()),
            (Some("Canceled"), Some("Canceled"))
        );
    }
}
