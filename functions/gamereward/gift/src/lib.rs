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

use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "gift";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    Some(match handler {
        "issue-gift" => Function::internal("issue-gift", table, commands::issue_gift),
        "get-gift" => Function::http("get-gift", table, commands::get_gift),
        "use-gift" => Function::http("use-gift", table, commands::use_gift),
        _ => return None,
    })
}
