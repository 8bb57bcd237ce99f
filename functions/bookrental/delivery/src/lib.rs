//! bookrental · **delivery** context.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Delivery` | [`delivery`] |
//! | events `DeliveryStarted`, `Delivered`, `DeliveryCanceled` | [`delivery::DeliveryEvent`] |
//! | policy `start-delivery` (on `StockDecreased`) | [`commands::start_delivery`] |
//! | internal `cancel-delivery` (reservation's synchronous call; no route) | [`commands::cancel_delivery`] |
//! | command `complete-delivery`, query `find-delivery` | [`commands`] |

pub mod commands;
pub mod delivery;

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "delivery";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<delivery::Delivery>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky {
        name: commands::START_DELIVERY,
        make: |name, deps| Function::policy(name, deps.table, commands::start_delivery),
    },
    Sticky {
        name: "cancel-delivery",
        make: |name, deps| Function::internal(name, deps.table, commands::cancel_delivery),
    },
    Sticky {
        name: "complete-delivery",
        make: |name, deps| Function::http(name, deps.table, commands::complete_delivery),
    },
    Sticky { name: "find-delivery", make: |name, deps| Function::http(name, deps.table, commands::find_delivery) },
];
