//! The product context's queries, typed: the items with their prices and
//! quantities, for anyone signed in.

use framework::refusal::existing;
use framework::store::{Page, PageRequest, Query, Table};

use crate::commands::Outcome;
use crate::product::{PRODUCTS, Product};

/// `list-products`: a page of the items, by item code.
pub async fn list_products(table: &dyn Table, page: &PageRequest) -> Outcome<Page<Product>> {
    let found = framework::store::page(table, Query::index(PRODUCTS), page).await?;
    Ok(found.filter_map(|i| serde_json::from_value(i.body).ok()))
}

/// `get-product`: one item.
pub async fn get_product(table: &dyn Table, item_cd: &str) -> Outcome<Product> {
    Ok(existing::<Product>(table, item_cd).await?.state)
}
