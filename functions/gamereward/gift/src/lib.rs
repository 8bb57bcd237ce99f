//! gamereward · **gift** context (general: the "third party" the seed calls
//! synchronously).
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Gift` | [`gift`] |
//! | events `GiftIssued`, `GiftUsed` | [`gift::GiftEvent`] |
//! | internal `issue-gift` (wallet's synchronous call; no route) | [`commands::issue_gift`] |
//! | command `use-gift`, query `get-gift` | [`commands`] |

pub mod commands;
pub mod gift;

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "gift";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<gift::Gift>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "issue-gift", make: |name, deps| Function::internal(name, deps.table, commands::issue_gift) },
    Sticky { name: "get-gift", make: |name, deps| Function::http(name, deps.table, commands::get_gift) },
    Sticky { name: "use-gift", make: |name, deps| Function::http(name, deps.table, commands::use_gift) },
];
