//! The customer center's query, typed: what a route (or a test) asks, what
//! the context answers.

use framework::http::Caller;
use framework::refusal::{NoRefusal, Refused};
use framework::store::{Page, PageRequest, Table};

use crate::views::customercenter::{self, Row};

pub type Outcome<T> = Result<T, Refused<NoRefusal>>;

/// `get-customercenter`: a page of the caller's rows, one per order, newest
/// first.
pub async fn get_customercenter(table: &dyn Table, caller: &Caller, page: &PageRequest) -> Outcome<Page<Row>> {
    Ok(customercenter::rows_of(table, &caller.sub, page).await?)
}
