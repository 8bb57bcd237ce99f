//! rentcar · **rental** context (the car handed over for a paid
//! reservation, and taken back). Its board is `functions/rentcar/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Rental` and its events | [`rental`] |
//! | command `return-car` | [`commands`] |
//! | query `find-rental` | [`queries`] |
//! | their routes | [`routes`] |
//! | policy `start-rental` (on payment's `PaymentApproved`) | [`policies::start_rental`] |
//! | policy `cancel-rental` (on payment's `PaymentCanceled`) | [`policies::cancel_rental`] |

pub mod commands;
pub mod queries;
pub mod rental;
pub mod routes;
pub mod policies {
    pub mod cancel_rental;
    pub mod start_rental;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "rental";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<rental::Rental>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "return-car", make: |name, deps| Function::http(name, deps.table, routes::return_car) },
    Sticky { name: "find-rental", make: |name, deps| Function::http(name, deps.table, routes::find_rental) },
    Sticky {
        name: policies::start_rental::START_RENTAL,
        make: |name, deps| Function::policy(name, deps.table, policies::start_rental::on_event),
    },
    Sticky {
        name: policies::cancel_rental::CANCEL_RENTAL,
        make: |name, deps| Function::policy(name, deps.table, policies::cancel_rental::on_event),
    },
];
