//! The customer center's query, typed: what a route (or a test) asks, what
//! the context answers.

use framework::http::Caller;
use framework::refusal::{NoRefusal, Refused};
use framework::store::Table;

use crate::views::customercenter::{self, Row};

pub type Outcome<T> = Result<T, Refused<NoRefusal>>;

/// `get-customercenter`: one row per order of the caller, newest first.
pub async fn get_customercenter(table: &dyn Table, caller: &Caller) -> Outcome<Vec<Row>> {
    Ok(customercenter::rows_of(table, &caller.sub).await?)
}
