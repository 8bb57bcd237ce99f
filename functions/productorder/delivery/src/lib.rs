//! productorder · **delivery** context (the parcel of each prepared order).
//! Its board is `functions/productorder/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Delivery` and its events | [`delivery`] |
//! | commands `start-delivery`, `complete-delivery` | [`commands`] |
//! | query `find-delivery` | [`queries`] |
//! | their routes | [`routes`] |
//! | policy `create-delivery` (on product's `DeliveryPrepared`) | [`policies::create_delivery`] |
//! | policy `cancel-delivery` (on order's `OrderCanceled`) | [`policies::cancel_delivery`] |

pub mod commands;
pub mod delivery;
pub mod queries;
pub mod routes;
pub mod policies {
    pub mod cancel_delivery;
    pub mod create_delivery;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "delivery";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<delivery::Delivery>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "start-delivery", make: |name, deps| Function::http(name, deps.table, routes::start_delivery) },
    Sticky {
        name: "complete-delivery",
        make: |name, deps| Function::http(name, deps.table, routes::complete_delivery),
    },
    Sticky { name: "find-delivery", make: |name, deps| Function::http(name, deps.table, routes::find_delivery) },
    Sticky {
        name: policies::create_delivery::CREATE_DELIVERY,
        make: |name, deps| Function::policy(name, deps.table, policies::create_delivery::on_event),
    },
    Sticky {
        name: policies::cancel_delivery::CANCEL_DELIVERY,
        make: |name, deps| Function::policy(name, deps.table, policies::cancel_delivery::on_event),
    },
];
