//! rentcar · **rating** context (stars for a returned car, once per
//! rental, by its renter). Its board is `functions/rentcar/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Rating` and its events | [`rating`] |
//! | command `rate-car` | [`commands`] |
//! | its route | [`routes`] |
//! | policy `note-rental` (on rental's `CarRented`, `CarReturned`, `RentalCanceled`) | [`policies::note_rental`] |

pub mod commands;
pub mod rating;
pub mod routes;
pub mod policies {
    pub mod note_rental;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "rating";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<rating::Rating>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "rate-car", make: |name, deps| Function::http(name, deps.table, routes::rate_car) },
    Sticky {
        name: policies::note_rental::NOTE_RENTAL,
        make: |name, deps| Function::policy(name, deps.table, policies::note_rental::on_event),
    },
];
