//! The wallet context's query, typed: what a route (or a test) asks, what
//! the context answers.

use framework::http::Caller;
use framework::store::{Page, PageRequest, Query, Table};

use crate::commands::Outcome;
use crate::wallet::WalletEntry;

/// `list-wallets`: a page of the customer's own entries, newest first.
pub async fn list_wallets(table: &dyn Table, caller: &Caller, page: &PageRequest) -> Outcome<Page<WalletEntry>> {
    let query = Query::index(framework::customer_partition(&caller.sub)).newest_first();
    let found = framework::store::page(table, query, page).await?;
    Ok(found.filter_map(|item| serde_json::from_value::<WalletEntry>(item.body).ok()))
}
