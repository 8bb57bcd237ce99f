//! The gift context's query, typed: what a route (or a test) asks, what the
//! context answers.

use framework::http::Caller;
use framework::refusal::owned;
use framework::store::Table;

use crate::commands::Outcome;
use crate::gift::Gift;

/// `get-gift`: the owner's.
pub async fn get_gift(table: &dyn Table, caller: &Caller, gift_id: &str) -> Outcome<Gift> {
    Ok(owned::<Gift>(table, gift_id, caller).await?.state)
}
