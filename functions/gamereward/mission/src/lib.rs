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

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "mission";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<mission::Mission>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "achieve-mission", make: |name, deps| Function::http(name, deps.table, commands::achieve_mission) },
    Sticky { name: "get-mission", make: |name, deps| Function::http(name, deps.table, commands::get_mission) },
    Sticky {
        name: commands::RECORD_REWARD,
        make: |name, deps| Function::policy(name, deps.table, commands::record_reward),
    },
];
