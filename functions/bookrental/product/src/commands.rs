//! Blue stickies of the product context as typed commands: staff register
//! books and receive copies. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, staff};
use framework::store::Table;

use crate::SOURCE;
use crate::product::{Command, Product, ProductError};

pub type Outcome<T> = Result<T, Refused<ProductError>>;

/// `register-product` (staff): a book with its first copies (none is fine).
#[derive(Debug, Clone)]
pub struct RegisterProduct {
    pub title: String,
    pub stock: u64,
}

pub async fn register_product(table: &dyn Table, caller: &Caller, command: RegisterProduct) -> Outcome<Product> {
    staff(caller)?;
    let RegisterProduct { title, stock } = command;
    let product_id = framework::new_id();
    let origin = Origin { source: SOURCE, correlation_id: product_id.clone() };
    let done = execute::<Product, _>(table, &product_id, &origin, None, |_| Command::Register {
        product_id: product_id.clone(),
        title: title.clone(),
        stock,
    })
    .await?;
    tracing::info!(product_id, stock, "product registered");
    Ok(done.aggregate.state)
}

/// `increase-stock` (staff): copies received for a registered book.
#[derive(Debug, Clone)]
pub struct IncreaseStock {
    pub product_id: String,
    pub quantity: u64,
}

pub async fn increase_stock(table: &dyn Table, caller: &Caller, command: IncreaseStock) -> Outcome<Product> {
    staff(caller)?;
    let IncreaseStock { product_id, quantity } = command;
    let origin = Origin { source: SOURCE, correlation_id: product_id.clone() };
    let done = execute::<Product, _>(table, &product_id, &origin, None, |_| Command::Receive { quantity })
        .await
        .map_err(|e| match Refused::from(e) {
            Refused::Domain(ProductError::Unknown) => Refused::not_found::<Product>(&product_id),
            refused => refused,
        })?;
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;

    use super::*;

    fn staff_member() -> Caller {
        Caller { sub: "bob".into(), groups: vec!["staff".into()] }
    }

    fn customer() -> Caller {
        Caller { sub: "alice".into(), groups: vec![] }
    }

    fn register(stock: u64) -> RegisterProduct {
        RegisterProduct { title: "The Little Prince".into(), stock }
    }

    #[tokio::test]
    async fn only_staff_register_books_and_receive_copies() {
        let table = SqliteTable::open(None).unwrap();
        assert_eq!(register_product(&table, &customer(), register(1)).await, Err(Refused::StaffOnly));
        let product = register_product(&table, &staff_member(), register(0)).await.unwrap();
        let receipt = IncreaseStock { product_id: product.product_id.clone(), quantity: 2 };
        assert_eq!(increase_stock(&table, &customer(), receipt.clone()).await, Err(Refused::StaffOnly));
        let product = increase_stock(&table, &staff_member(), receipt).await.unwrap();
        assert_eq!((product.stock, product.received), (2, 2));
    }

    #[tokio::test]
    async fn copies_of_an_unknown_book_are_not_found() {
        let table = SqliteTable::open(None).unwrap();
        let receipt = IncreaseStock { product_id: "nope".into(), quantity: 1 };
        assert_eq!(
            increase_stock(&table, &staff_member(), receipt).await,
            Err(Refused::NotFound { what: "Product", id: "nope".into() })
        );
    }
}
