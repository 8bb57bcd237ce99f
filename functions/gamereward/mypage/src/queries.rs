//! The mypage context's query, typed: what a route (or a test) asks, what
//! the context answers.

use framework::http::Caller;
use framework::refusal::{NoRefusal, Refused};
use framework::store::{Page, PageRequest, Table};

use crate::views::mypage::{self, Row};

pub type Outcome<T> = Result<T, Refused<NoRefusal>>;

/// `get-mypage`: a page of the caller's rows, one per mission, newest first.
pub async fn get_mypage(table: &dyn Table, caller: &Caller, page: &PageRequest) -> Outcome<Page<Row>> {
    Ok(mypage::rows_of(table, &caller.sub, page).await?)
}
