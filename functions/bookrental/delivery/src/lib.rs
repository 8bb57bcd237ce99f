//! bookrental · **delivery** context. Its board is
//! `functions/bookrental/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Delivery` and its events | [`delivery`] |
//! | command `complete-delivery`, internal `cancel-delivery` (reservation's synchronous call; no route) | [`commands`] |
//! | query `find-delivery` | [`queries`] |
//! | their routes, and the adapter of the internal function | [`routes`] |
//! | policy `start-delivery` (on product's `StockDecreased`) | [`policies::start_delivery`] |

pub mod commands;
pub mod delivery;
pub mod queries;
pub mod routes;
pub mod policies {
    pub mod start_delivery;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "delivery";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<delivery::Delivery>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky {
        name: policies::start_delivery::START_DELIVERY,
        make: |name, deps| Function::policy(name, deps.table, policies::start_delivery::on_event),
    },
    Sticky {
        name: "cancel-delivery",
        make: |name, deps| Function::internal(name, deps.table, routes::cancel_delivery),
    },
    Sticky {
        name: "complete-delivery",
        make: |name, deps| Function::http(name, deps.table, routes::complete_delivery),
    },
    Sticky { name: "find-delivery", make: |name, deps| Function::http(name, deps.table, routes::find_delivery) },
];
