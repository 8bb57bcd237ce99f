//! bookrental · **reservation** context (core, front). Its board is
//! `functions/bookrental/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Reservation` and its events | [`reservation`] |
//! | commands `reserve`, `cancel-reservation` (synchronous call to delivery, through a circuit breaker) | [`commands`] |
//! | query `get-reservation` | [`queries`] |
//! | their routes | [`routes`] |
//! | policy `reject-reservation` (on product's `StockShortage`) | [`policies::reject_reservation`] |
//! | policy `follow-delivery` (on delivery's `DeliveryStarted`, `Delivered`) | [`policies::follow_delivery`] |
//! | view `product-catalog` (on product's `StockIncreased`) | [`views::product_catalog`] |

pub mod commands;
pub mod queries;
pub mod reservation;
pub mod routes;
pub mod policies {
    pub mod follow_delivery;
    pub mod reject_reservation;
}
pub mod views {
    pub mod product_catalog;
}

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
    Sticky { name: "reserve", make: |name, deps| Function::http(name, deps.table, routes::reserve) },
    Sticky {
        name: "cancel-reservation",
        make: |name, deps| {
            let cancel = commands::Cancel {
                delivery: deps.client(DELIVERY_FUNCTION, "cancel-reservation→delivery").with_fallback(
                    "Delivery cannot be reached right now, so the reservation stays as it is; cancel later.",
                ),
                table: deps.table,
            };
            Function::http(name, cancel, routes::cancel_reservation)
        },
    },
    Sticky { name: "get-reservation", make: |name, deps| Function::http(name, deps.table, routes::get_reservation) },
    Sticky {
        name: policies::reject_reservation::REJECT_RESERVATION,
        make: |name, deps| Function::policy(name, deps.table, policies::reject_reservation::on_event),
    },
    Sticky {
        name: policies::follow_delivery::FOLLOW_DELIVERY,
        make: |name, deps| Function::policy(name, deps.table, policies::follow_delivery::on_event),
    },
    Sticky {
        name: views::product_catalog::PRODUCT_CATALOG,
        make: |name, deps| Function::policy(name, deps.table, views::product_catalog::on_event),
    },
];
