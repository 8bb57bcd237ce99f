//! The product context's queries, typed: the catalog of books, for anyone
//! signed in.

use framework::refusal::existing;
use framework::store::{Query, Table};

use crate::commands::Outcome;
use crate::product::{PRODUCTS, Product};

/// `list-products`: every book, in the order registered.
pub async fn list_products(table: &dyn Table) -> Outcome<Vec<Product>> {
    let items = table.query(&Query::index(PRODUCTS)).await?;
    Ok(items.into_iter().filter_map(|i| serde_json::from_value(i.body).ok()).collect())
}

/// `get-product`: one book.
pub async fn get_product(table: &dyn Table, product_id: &str) -> Outcome<Product> {
    Ok(existing::<Product>(table, product_id).await?.state)
}
