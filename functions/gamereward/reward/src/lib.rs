//! gamereward · **reward** context. Its board is
//! `functions/gamereward/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Reward` and its events | [`reward`] |
//! | query `get-reward` | [`queries`] |
//! | its route | [`routes`] |
//! | policy `allocate-reward` (on mission's `MissionAchieved`) | [`policies::allocate_reward`] |
//! | policy `mark-reward-exchanged` (on wallet's `RewardExchanged`) | [`policies::mark_reward_exchanged`] |

pub mod queries;
pub mod reward;
pub mod routes;
pub mod policies {
    pub mod allocate_reward;
    pub mod mark_reward_exchanged;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "reward";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<reward::Reward>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "get-reward", make: |name, deps| Function::http(name, deps.table, routes::get_reward) },
    Sticky {
        name: policies::allocate_reward::ALLOCATE_REWARD,
        make: |name, deps| Function::policy(name, deps.table, policies::allocate_reward::on_event),
    },
    Sticky {
        name: policies::mark_reward_exchanged::MARK_REWARD_EXCHANGED,
        make: |name, deps| Function::policy(name, deps.table, policies::mark_reward_exchanged::on_event),
    },
];
