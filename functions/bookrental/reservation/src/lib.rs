//! bookrental · **reservation** context (core, front).
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Reservation` | [`reservation`] |
//! | events `Reserved`, `ReservationRejected`, `ReservationCanceled` | [`reservation::ReservationEvent`] |
//! | command `reserve`, query `get-reservation` | [`commands`] |
//! | command `cancel-reservation` (synchronous call to delivery, through a circuit breaker) | [`commands::cancel_reservation`] |
//! | policies `reject-reservation` (on `StockShortage`), `follow-delivery` (on `DeliveryStarted`, `Delivered`) | [`policies`] |
//! | view `product-catalog` (on `StockIncreased`) | [`catalog`] |

pub mod catalog;
pub mod commands;
pub mod policies;
pub mod reservation;

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "reservation";

/// The setting that names delivery's internal `cancel-delivery` function.
pub const DELIVERY_FUNCTION: &str = "DELIVERY_FUNCTION";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<reservation::Reservation>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "reserve", make: |name, deps| Function::http(name, deps.table, commands::reserve) },
    Sticky { name: "get-reservation", make: |name, deps| Function::http(name, deps.table, commands::get_reservation) },
    Sticky {
        name: "cancel-reservation",
        make: |name, deps| {
            let cancel = commands::Cancel {
                delivery: deps.client(DELIVERY_FUNCTION, "cancel-reservation→delivery").with_fallback(
                    "Delivery cannot be reached right now, so the reservation stays as it is; cancel later.",
                ),
                table: deps.table,
            };
            Function::http(name, cancel, commands::cancel_reservation)
        },
    },
    Sticky {
        name: policies::REJECT_RESERVATION,
        make: |name, deps| Function::policy(name, deps.table, policies::reject_reservation),
    },
    Sticky {
        name: policies::FOLLOW_DELIVERY,
        make: |name, deps| Function::policy(name, deps.table, policies::follow_delivery),
    },
    Sticky {
        name: catalog::CONSUMER,
        make: |name, deps| Function::policy(name, deps.table, catalog::on_stock_increased),
    },
];
