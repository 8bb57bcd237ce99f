//! The stock context's query, typed.

use framework::http::Caller;
use framework::refusal::{existing, staff};
use framework::store::Table;

use crate::commands::Outcome;
use crate::stock::Stock;

/// `get-stock`: one book's stock (staff).
pub async fn get_stock(table: &dyn Table, caller: &Caller, book_id: &str) -> Outcome<Stock> {
    staff(caller)?;
    Ok(existing::<Stock>(table, book_id).await?.state)
}
