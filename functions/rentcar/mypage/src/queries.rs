//! The mypage context's query, typed: what a route (or a test) asks, what
//! the context answers.

use framework::http::Caller;
use framework::refusal::{NoRefusal, Refused};
use framework::store::Table;

use crate::views::mypage::{self, Row};

pub type Outcome<T> = Result<T, Refused<NoRefusal>>;

/// `get-mypage`: one row per reservation of the caller, newest first.
pub async fn get_mypage(table: &dyn Table, caller: &Caller) -> Outcome<Vec<Row>> {
    Ok(mypage::rows_of(table, &caller.sub).await?)
}
