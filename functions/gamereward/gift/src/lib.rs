//! gamereward · **gift** context (general: the "third party" the seed calls
//! synchronously). Its board is `functions/gamereward/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Gift` and its events | [`gift`] |
//! | internal `issue-gift` (wallet's synchronous call; no route), command `use-gift` | [`commands`] |
//! | query `get-gift` | [`queries`] |
//! | their routes, and `issue-gift`'s JSON in and out | [`routes`] |

pub mod commands;
pub mod gift;
pub mod queries;
pub mod routes;

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "gift";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<gift::Gift>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "issue-gift", make: |name, deps| Function::internal(name, deps.table, routes::issue_gift) },
    Sticky { name: "get-gift", make: |name, deps| Function::http(name, deps.table, routes::get_gift) },
    Sticky { name: "use-gift", make: |name, deps| Function::http(name, deps.table, routes::use_gift) },
];
