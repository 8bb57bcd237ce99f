//! The mypage context's query, typed.

use framework::Refused;
use framework::http::Caller;
use framework::refusal::NoRefusal;
use framework::store::{Page, PageRequest, Table};

use crate::views::mypage::{self, Line};

/// `get-mypage`: a page of the caller's own rows, newest reservation first.
pub async fn get_mypage(
    table: &dyn Table,
    caller: &Caller,
    page: &PageRequest,
) -> Result<Page<Line>, Refused<NoRefusal>> {
    Ok(mypage::lines_of(table, &caller.sub, page).await?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use embedded::SqliteTable;
    use framework::Envelope;

    use super::*;
    use crate::views::mypage::{Book, Inbound, on_event};

    fn envelope(event_id: &str, version: u64) -> Envelope {
        Envelope {
            event_id: event_id.into(),
            event_type: "test".into(),
            source: "test".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: "r1".into(),
            version,
            data: serde_json::json!({}),
        }
    }

    fn customer(sub: &str) -> Caller {
        Caller { sub: sub.into(), groups: vec![] }
    }

    const FIRST_PAGE: PageRequest = PageRequest { limit: 100, after: None };

    async fn lines_of(table: &dyn Table, sub: &str) -> Vec<Line> {
        get_mypage(table, &customer(sub), &FIRST_PAGE).await.unwrap().items
    }

    #[tokio::test]
    async fn a_customer_sees_only_her_rows_with_the_books_stock() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let reserved =
            Inbound::Reserved { reservation_id: "r1".into(), product_id: "p1".into(), customer_id: "alice".into() };
        on_event(table.clone(), envelope("e1", 1), reserved).await.unwrap();
        let lines = lines_of(&*table, "alice").await;
        assert_eq!((lines.len(), lines[0].book.clone()), (1, None), "no stock heard of yet");
        let taken = Inbound::StockDecreased { product_id: "p1".into(), title: "Demian".into(), stock: 0 };
        on_event(table.clone(), envelope("e2", 2), taken).await.unwrap();
        let late = Inbound::StockIncreased { product_id: "p1".into(), title: "Demian".into(), stock: 1 };
        on_event(table.clone(), envelope("e3", 1), late).await.unwrap();
        let lines = lines_of(&*table, "alice").await;
        assert_eq!(lines[0].row.reservation_status.as_deref(), Some("Reserved"));
        assert_eq!(lines[0].book, Some(Book { title: "Demian".into(), stock: 0, version: 2 }), "the newest stock");
        assert_eq!(lines_of(&*table, "carol").await, vec![]);
    }

    #[tokio::test]
    async fn each_page_of_rows_carries_its_books_and_the_last_has_no_next() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        for (n, product) in [(1, "p1"), (2, "p2"), (3, "p1")] {
            let reserved = Inbound::Reserved {
                reservation_id: format!("r{n}"),
                product_id: product.into(),
                customer_id: "alice".into(),
            };
            on_event(table.clone(), envelope(&format!("e{n}"), 1), reserved).await.unwrap();
        }
        for (n, product) in [(4, "p1"), (5, "p2")] {
            let stock =
                Inbound::StockIncreased { product_id: product.into(), title: format!("{product} title"), stock: 3 };
            on_event(table.clone(), envelope(&format!("e{n}"), 1), stock).await.unwrap();
        }
        let first = get_mypage(&*table, &customer("alice"), &PageRequest { limit: 2, after: None }).await.unwrap();
        let second = get_mypage(&*table, &customer("alice"), &PageRequest { limit: 2, after: first.next.clone() })
            .await
            .unwrap();
        let shown = |lines: &[Line]| -> Vec<(String, Option<String>)> {
            lines.iter().map(|l| (l.row.reservation_id.clone(), l.book.as_ref().map(|b| b.title.clone()))).collect()
        };
        let everything = lines_of(&*table, "alice").await;
        assert_eq!(everything.len(), 3);
        assert_eq!([shown(&first.items), shown(&second.items)].concat(), shown(&everything), "the same rows, in order");
        assert!(everything.iter().all(|l| l.book.is_some()), "every row has its book");
        assert!(first.next.is_some() && second.next.is_none());
    }
}
