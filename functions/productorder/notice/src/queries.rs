//! The notice context's query, typed.

use framework::http::Caller;
use framework::refusal::{NoRefusal, Refused};
use framework::store::{Page, PageRequest, Table};

use crate::notifications::Notification;

pub type Outcome<T> = Result<T, Refused<NoRefusal>>;

/// `list-notifications`: a page of the caller's own, oldest first.
pub async fn list_notifications(table: &dyn Table, caller: &Caller, page: &PageRequest) -> Outcome<Page<Notification>> {
    Ok(framework::notification::of_customer(table, &caller.sub, page).await?)
}
