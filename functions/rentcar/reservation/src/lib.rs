//! rentcar · **reservation** context (the front; holds the car catalog view).
//! Its board is `functions/rentcar/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Reservation` and its events | [`reservation`] |
//! | commands `reserve-car`, `cancel-reservation`, `pay-reservation` (synchronous call to payment, through a circuit breaker) | [`commands`] |
//! | queries `get-reservation`, `list-cars` | [`queries`] |
//! | their routes | [`routes`] |
//! | every change with its days of the car and the catalog's counters, in one transaction | [`ledger`] |
//! | policy `follow-payment` (on payment's `PaymentApproved`, `PaymentCanceled`) | [`policies::follow_payment`] |
//! | policy `follow-rental` (on rental's `CarRented`, `CarReturned`, `RentalCanceled`) | [`policies::follow_rental`] |
//! | policy `cancel-for-deleted-car` (on car's `CarDeleted`) | [`policies::cancel_for_deleted_car`] |
//! | view `car-catalog` (on car's `CarRegistered`, `CarDeleted`, rating's `CarRated`) | [`views::car_catalog`] |

pub mod commands;
pub mod ledger;
pub mod queries;
pub mod reservation;
pub mod routes;
pub mod policies {
    pub mod cancel_for_deleted_car;
    pub mod follow_payment;
    pub mod follow_rental;
}
pub mod views {
    pub mod car_catalog;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::refusal::Refused;
use framework::{Function, Functions, PolicyError, Sticky};

use crate::reservation::ReservationError;

/// The `source` of this context's events.
pub const SOURCE: &str = "reservation";

/// The setting that names payment's internal function.
pub const PAYMENT_FUNCTION: &str = "PAYMENT_FUNCTION";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<reservation::Reservation>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "reserve-car", make: |name, deps| Function::http(name, deps.table, routes::reserve_car) },
    Sticky {
        name: "cancel-reservation",
        make: |name, deps| Function::http(name, deps.table, routes::cancel_reservation),
    },
    Sticky {
        name: "pay-reservation",
        make: |name, deps| {
            let pay = commands::Pay {
                payment: deps
                    .client(PAYMENT_FUNCTION, "pay-reservation→payment")
                    .with_fallback("Payments cannot be taken right now, so the reservation stays unpaid; pay later."),
                table: deps.table,
            };
            Function::http(name, pay, routes::pay_reservation)
        },
    },
    Sticky { name: "get-reservation", make: |name, deps| Function::http(name, deps.table, routes::get_reservation) },
    Sticky { name: "list-cars", make: |name, deps| Function::http(name, deps.table, routes::list_cars) },
    Sticky {
        name: policies::follow_payment::FOLLOW_PAYMENT,
        make: |name, deps| Function::policy(name, deps.table, policies::follow_payment::on_event),
    },
    Sticky {
        name: policies::follow_rental::FOLLOW_RENTAL,
        make: |name, deps| Function::policy(name, deps.table, policies::follow_rental::on_event),
    },
    Sticky {
        name: policies::cancel_for_deleted_car::CANCEL_FOR_DELETED_CAR,
        make: |name, deps| Function::policy(name, deps.table, policies::cancel_for_deleted_car::on_event),
    },
    Sticky {
        name: views::car_catalog::CAR_CATALOG,
        make: |name, deps| Function::policy(name, deps.table, views::car_catalog::on_event),
    },
];

/// A policy's refusal: busy or down is worth another try; anything else
/// will fail again and belongs in the dead-letter queue, in plain sight.
pub(crate) fn policy_error(refused: Refused<ReservationError>) -> PolicyError {
    match refused {
        Refused::Unavailable { message, .. } => PolicyError::Transient(message),
        other => PolicyError::Poison(format!("{other:?}")),
    }
}
