//! The mission context's query, typed: what a route (or a test) asks, what
//! the context answers.

use framework::http::Caller;
use framework::refusal::owned;
use framework::store::Table;

use crate::commands::Outcome;
use crate::mission::Mission;

/// `get-mission`: the owner's.
pub async fn get_mission(table: &dyn Table, caller: &Caller, mission_id: &str) -> Outcome<Mission> {
    Ok(owned::<Mission>(table, mission_id, caller).await?.state)
}
