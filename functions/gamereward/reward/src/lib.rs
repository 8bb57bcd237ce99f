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

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "reward";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<reward::Reward>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "get-reward", make: |name, deps| Function::http(name, deps.table, commands::get_reward) },
    Sticky {
        name: commands::ALLOCATE_REWARD,
        make: |name, deps| Function::policy(name, deps.table, commands::allocate_reward),
    },
    Sticky {
        name: commands::MARK_REWARD_EXCHANGED,
        make: |name, deps| Function::policy(name, deps.table, commands::mark_reward_exchanged),
    },
];
