//! rentcar · **car** context (car management, staff). Its board is
//! `functions/rentcar/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Car` and its events, `Booking` (one per reservation, recorded) | [`car`] |
//! | commands `register-car`, `delete-car` | [`commands`] |
//! | their routes | [`routes`] |
//! | policy `follow-bookings` (on reservation's `CarReserved`, `ReservationCanceled`, rental's `CarReturned`) | [`policies::follow_bookings`] |

pub mod car;
pub mod commands;
pub mod routes;
pub mod policies {
    pub mod follow_bookings;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "car";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<car::Car>(), sticky::<car::Booking>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "register-car", make: |name, deps| Function::http(name, deps.table, routes::register_car) },
    Sticky { name: "delete-car", make: |name, deps| Function::http(name, deps.table, routes::delete_car) },
    Sticky {
        name: policies::follow_bookings::FOLLOW_BOOKINGS,
        make: |name, deps| Function::policy(name, deps.table, policies::follow_bookings::on_event),
    },
];
