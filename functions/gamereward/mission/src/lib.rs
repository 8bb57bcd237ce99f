//! gamereward · **mission** context (front). Its board is
//! `functions/gamereward/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Mission` and its events | [`mission`] |
//! | command `achieve-mission` | [`commands`] |
//! | query `get-mission` | [`queries`] |
//! | their routes | [`routes`] |
//! | policy `record-reward` (on reward's `RewardAllocated`) | [`policies::record_reward`] |

pub mod commands;
pub mod mission;
pub mod queries;
pub mod routes;
pub mod policies {
    pub mod record_reward;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "mission";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<mission::Mission>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "achieve-mission", make: |name, deps| Function::http(name, deps.table, routes::achieve_mission) },
    Sticky { name: "get-mission", make: |name, deps| Function::http(name, deps.table, routes::get_mission) },
    Sticky {
        name: policies::record_reward::RECORD_REWARD,
        make: |name, deps| Function::policy(name, deps.table, policies::record_reward::on_event),
    },
];
