//! gamereward · **mypage** context (the customer's view of every mission).
//! Its board is `functions/gamereward/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | query `get-mypage` | [`queries`] |
//! | its route | [`routes`] |
//! | view `mypage-view` (on mission's `MissionAchieved`, reward's `RewardAllocated`, wallet's `RewardIssued`, `RewardExchanged`, gift's `GiftUsed`) | [`views::mypage`] |

pub mod queries;
pub mod routes;
pub mod views {
    pub mod mypage;
}

use framework::aggregate::AggregateSticky;
use framework::{Function, Functions, Sticky};

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "get-mypage", make: |name, deps| Function::http(name, deps.table, routes::get_mypage) },
    Sticky {
        name: views::mypage::MYPAGE_VIEW,
        make: |name, deps| Function::policy(name, deps.table, views::mypage::on_event),
    },
];
