//! bookrental · **mypage** context (the customer's view of every
//! reservation). Its board is `functions/bookrental/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | view `mypage-view` (on reservation's, delivery's and product's events) | [`views::mypage`] |
//! | query `get-mypage` | [`queries`], its route in [`routes`] |

pub mod queries;
pub mod routes;
pub mod views {
    pub mod mypage;
}

use framework::aggregate::AggregateSticky;
use framework::{Function, Functions, Sticky};

/// The context's aggregates (yellow stickies): none, it only keeps a view.
pub const AGGREGATES: &[AggregateSticky] = &[];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "get-mypage", make: |name, deps| Function::http(name, deps.table, routes::get_mypage) },
    Sticky {
        name: views::mypage::MYPAGE_VIEW,
        make: |name, deps| Function::policy(name, deps.table, views::mypage::on_event),
    },
];
