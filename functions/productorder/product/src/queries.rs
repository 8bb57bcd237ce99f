//! The product context's queries, typed: the items with their prices and
//! quantities, for anyone signed in.

use framework::refusal::existing;
use framework::store::{Query, Table};

use crate::commands::Outcome;
use crate::product::{PRODUCTS, Product};

/// `list-products`: every item, by item code.
pub async fn list_products(table: &dyn Table) -> Outcome<Vec<Product>> {
    let items = table.query(&Query::index(PRODUCTS)).await?;
    Ok(items.into_iter().filter_map(|i| serde_json::from_value(i.body).ok()).collect())
}

/// `get-product`: one item.
pub async fn get_product(table: &dyn Table, item_cd: &str) -> Outcome<Product> {
    Ok(existing::<Product>(table, item_cd).await?.state)
}
