//! The reward context's query, typed: what a route (or a test) asks, what
//! the context answers. (Reward has no command: its rewards follow from
//! events, by its policies.)

use framework::http::Caller;
use framework::refusal::{Refused, owned};
use framework::store::Table;

use crate::reward::{Reward, RewardError};

pub type Outcome<T> = Result<T, Refused<RewardError>>;

/// `get-reward`: the owner's.
pub async fn get_reward(table: &dyn Table, caller: &Caller, reward_id: &str) -> Outcome<Reward> {
    Ok(owned::<Reward>(table, reward_id, caller).await?.state)
}
