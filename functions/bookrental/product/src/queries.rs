//! The product context's queries, typed: the catalog of books, for anyone
//! signed in.

use framework::refusal::existing;
use framework::store::{Page, PageRequest, Query, Table};

use crate::commands::Outcome;
use crate::product::{PRODUCTS, Product};

/// `list-products`: a page of the books, in the order registered.
pub async fn list_products(table: &dyn Table, page: &PageRequest) -> Outcome<Page<Product>> {
    let found = framework::store::page(table, Query::index(PRODUCTS), page).await?;
    Ok(found.filter_map(|i| serde_json::from_value(i.body).ok()))
}

/// `get-product`: one book.
pub async fn get_product(table: &dyn Table, product_id: &str) -> Outcome<Product> {
    Ok(existing::<Product>(table, product_id).await?.state)
}
