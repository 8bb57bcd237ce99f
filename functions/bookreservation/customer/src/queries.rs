//! The customer context's query, typed.

use framework::Refused;
use framework::http::Caller;
use framework::refusal::NoRefusal;
use framework::store::{Page, PageRequest, Table};

use crate::notifications::Notification;

/// `list-notifications`: the caller's own, oldest first.
pub async fn list_notifications(
    table: &dyn Table,
    caller: &Caller,
    page: &PageRequest,
) -> Result<Page<Notification>, Refused<NoRefusal>> {
    Ok(framework::notification::of_customer(table, &caller.sub, page).await?)
}
