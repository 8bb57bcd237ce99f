//! Blue sticky of the stock context as a typed command: staff receive books.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, staff};
use framework::store::Table;

use crate::SOURCE;
use crate::stock::{Command, Stock, StockError};

pub type Outcome<T> = Result<T, Refused<StockError>>;

/// `receive-stock`: copies of a book came in (staff). The first receipt
/// registers the book under its title.
#[derive(Debug, Clone)]
pub struct ReceiveStock {
    pub book_id: String,
    pub title: String,
    pub quantity: u64,
}

pub async fn receive_stock(table: &dyn Table, caller: &Caller, command: ReceiveStock) -> Outcome<Stock> {
    staff(caller)?;
    let ReceiveStock { book_id, title, quantity } = command;
    let origin = Origin { source: SOURCE, correlation_id: book_id.clone() };
    let done = execute::<Stock, _>(table, &book_id, &origin, None, |_| Command::Receive {
        book_id: book_id.clone(),
        title: title.clone(),
        quantity,
    })
    .await?;
    tracing::info!(book_id = %book_id, quantity, available = done.aggregate.state.available, "stock received");
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;

    use super::*;

    fn staff_member() -> Caller {
        Caller { sub: "bob".into(), groups: vec!["staff".into()] }
    }

    fn receipt(title: &str, quantity: u64) -> ReceiveStock {
        ReceiveStock { book_id: "isbn-1".into(), title: title.into(), quantity }
    }

    #[tokio::test]
    async fn only_staff_receive_books_and_receipts_add_up() {
        let table = SqliteTable::open(None).unwrap();
        let customer = Caller { sub: "alice".into(), groups: vec![] };
        assert_eq!(receive_stock(&table, &customer, receipt("Dune", 2)).await, Err(Refused::StaffOnly));
        receive_stock(&table, &staff_member(), receipt("Dune", 2)).await.unwrap();
        let stock = receive_stock(&table, &staff_member(), receipt("Dune", 3)).await.unwrap();
        assert_eq!(stock.available, 5);
    }

    #[tokio::test]
    async fn a_book_keeps_the_title_of_its_first_receipt() {
        let table = SqliteTable::open(None).unwrap();
        receive_stock(&table, &staff_member(), receipt("Dune", 1)).await.unwrap();
        let renamed = receive_stock(&table, &staff_member(), receipt("Dune Messiah", 1)).await;
        assert_eq!(
            renamed,
            Err(Refused::Domain(StockError::TitleMismatch { book_id: "isbn-1".into(), title: "Dune".into() }))
        );
    }
}
