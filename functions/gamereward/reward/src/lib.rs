//! gamereward · **reward** context.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Reward` | [`reward`] |
//! | event `RewardAllocated` | [`reward::RewardEvent`] |
//! | query `get-reward` | [`commands::get_reward`] |
//! | policy `allocate-reward` (on `MissionAchieved`) | [`commands::allocate_reward`] |
//! | policy `mark-reward-exchanged` (on `RewardExchanged`) | [`commands::mark_reward_exchanged`] |

pub mod commands;
pub mod reward;

use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "reward";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    Some(match handler {
        "get-reward" => Function::http("get-reward", table, commands::get_reward),
        commands::ALLOCATE_REWARD => Function::policy(commands::ALLOCATE_REWARD, table, commands::allocate_reward),
        commands::MARK_REWARD_EXCHANGED => {
            Function::policy(commands::MARK_REWARD_EXCHANGED, table, commands::mark_reward_exchanged)
        }
        _ => return None,
    })
}
