//! rentcar · **mypage** context (each customer's reservations with their
//! payment, rental and stars). Its board is `functions/rentcar/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | query `get-mypage` | [`queries`] |
//! | its route | [`routes`] |
//! | view `mypage-view` (on reservation's `CarReserved`, `ReservationCanceled`, payment's `PaymentApproved`, `PaymentCanceled`, rental's `CarRented`, `CarReturned`, `RentalCanceled`, rating's `CarRated`) | [`views::mypage`] |

pub mod queries;
pub mod routes;
pub mod views {
    pub mod mypage;
}

use framework::aggregate::AggregateSticky;
use framework::{Function, Functions, Sticky};

/// The context's aggregates (yellow stickies) with their events: none, it
/// is a view.
pub const AGGREGATES: &[AggregateSticky] = &[];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "get-mypage", make: |name, deps| Function::http(name, deps.table, routes::get_mypage) },
    Sticky {
        name: views::mypage::MYPAGE_VIEW,
        make: |name, deps| Function::policy(name, deps.table, views::mypage::on_event),
    },
];
