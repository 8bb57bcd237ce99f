//! The wallet context's query, typed: what a route (or a test) asks, what
//! the context answers.

use framework::http::Caller;
use framework::store::{Query, Table};

use crate::commands::Outcome;
use crate::wallet::WalletEntry;

/// `list-wallets`: the customer's own entries, newest first.
pub async fn list_wallets(table: &dyn Table, caller: &Caller) -> Outcome<Vec<WalletEntry>> {
    let items = table.query(&Query::index(framework::customer_partition(&caller.sub)).newest_first()).await?;
    Ok(items.into_iter().filter_map(|item| serde_json::from_value::<WalletEntry>(item.body).ok()).collect())
}
