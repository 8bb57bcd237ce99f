//! The mypage context's query, typed.

use framework::Refused;
use framework::http::Caller;
use framework::refusal::NoRefusal;
use framework::store::Table;

use crate::views::mypage::{self, Line};

/// `get-mypage`: the caller's own rows, newest reservation first.
pub async fn get_mypage(table: &dyn Table, caller: &Caller) -> Result<Vec<Line>, Refused<NoRefusal>> {
    Ok(mypage::lines_of(table, &caller.sub).await?)
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

    #[tokio::test]
    async fn a_customer_sees_only_her_rows_with_the_books_stock() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let reserved =
            Inbound::Reserved { reservation_id: "r1".into(), product_id: "p1".into(), customer_id: "alice".into() };
        on_event(table.clone(), envelope("e1", 1), reserved).await.unwrap();
        let lines = get_mypage(&*table, &customer("alice")).await.unwrap();
        assert_eq!((lines.len(), lines[0].book.clone()), (1, None), "no stock heard of yet");
        let taken = Inbound::StockDecreased { product_id: "p1".into(), title: "Demian".into(), stock: 0 };
        on_event(table.clone(), envelope("e2", 2), taken).await.unwrap();
        let late = Inbound::StockIncreased { product_id: "p1".into(), title: "Demian".into(), stock: 1 };
        on_event(table.clone(), envelope("e3", 1), late).await.unwrap();
        let lines = get_mypage(&*table, &customer("alice")).await.unwrap();
        assert_eq!(lines[0].row.reservation_status.as_deref(), Some("Reserved"));
        assert_eq!(lines[0].book, Some(Book { title: "Demian".into(), stock: 0, version: 2 }), "the newest stock");
        assert_eq!(get_mypage(&*table, &customer("carol")).await.unwrap(), vec![]);
    }
}
