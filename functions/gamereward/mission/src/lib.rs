//! gamereward · **mission** context (front).
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Mission` | [`mission`] |
//! | event `MissionAchieved` | [`mission::MissionEvent`] |
//! | command `achieve-mission`, query `get-mission` | [`commands`] |
//! | policy `record-reward` (on `RewardAllocated`) | [`commands::record_reward`] |

pub mod commands;
pub mod mission;

use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "mission";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    Some(match handler {
        "achieve-mission" => Function::http("achieve-mission", table, commands::achieve_mission),
        "get-mission" => Function::http("get-mission", table, commands::get_mission),
        commands::RECORD_REWARD => Function::policy(commands::RECORD_REWARD, table, commands::record_reward),
        _ => return None,
    })
}
