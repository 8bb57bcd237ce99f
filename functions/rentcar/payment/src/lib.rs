//! rentcar · **payment** context. Its board is `functions/rentcar/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Payment` and its events | [`payment`] |
//! | internal `approve-payment` (reservation's synchronous call; no route), command `cancel-payment` | [`commands`] |
//! | their route, and the adapter of the internal function | [`routes`] |
//! | policy `refund-canceled-reservation` (on reservation's `ReservationCanceled`) | [`policies::refund_canceled_reservation`] |
//! | policy `note-return` (on rental's `CarReturned`) | [`policies::note_return`] |

pub mod commands;
pub mod payment;
pub mod routes;
pub mod policies {
    pub mod note_return;
    pub mod refund_canceled_reservation;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "payment";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<payment::Payment>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "cancel-payment", make: |name, deps| Function::http(name, deps.table, routes::cancel_payment) },
    Sticky {
        name: "approve-payment",
        make: |name, deps| Function::internal(name, deps.table, routes::approve_payment),
    },
    Sticky {
        name: policies::refund_canceled_reservation::REFUND_CANCELED_RESERVATION,
        make: |name, deps| Function::policy(name, deps.table, policies::refund_canceled_reservation::on_event),
    },
    Sticky {
        name: policies::note_return::NOTE_RETURN,
        make: |name, deps| Function::policy(name, deps.table, policies::note_return::on_event),
    },
];
