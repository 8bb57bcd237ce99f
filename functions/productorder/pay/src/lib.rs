//! productorder · **pay** context. Its board is `functions/productorder/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Payment` and its events | [`payment`] |
//! | internal `approve-pay` (order's synchronous call; no route) | [`commands`], its adapter in [`routes`] |
//! | policy `refund` (on order's `OrderCanceled`, `OrderRejected`, product's `OutOfStock`) | [`policies::refund`] |

pub mod commands;
pub mod payment;
pub mod routes;
pub mod policies {
    pub mod refund;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "pay";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<payment::Payment>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "approve-pay", make: |name, deps| Function::internal(name, deps.table, routes::approve_pay) },
    Sticky {
        name: policies::refund::REFUND,
        make: |name, deps| Function::policy(name, deps.table, policies::refund::on_event),
    },
];
