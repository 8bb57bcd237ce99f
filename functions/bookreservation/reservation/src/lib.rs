//! bookreservation · **reservation** context (core, front).
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Reservation` | [`reservation`] |
//! | events `ReservationRequested`, `Reserved`, `ReservationFailed`, `ReservationCanceled` | [`reservation::ReservationEvent`] |
//! | commands `request-reservation`, `cancel-reservation`, queries `get-reservation`, `list-reservations`, `list-books` | [`commands`] |
//! | policy `confirm-reservation` (on `StockReserved` / `StockReservationFailed`) | [`policies`] |
//! | view `book-list-view` (on `StockReceived` / `StockReserved` / `StockRestored`) | [`book_list`] |

pub mod book_list;
pub mod commands;
pub mod policies;
pub mod reservation;

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "reservation";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<reservation::Reservation>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky {
        name: "request-reservation",
        make: |name, deps| Function::http(name, deps.table, commands::request_reservation),
    },
    Sticky {
        name: "cancel-reservation",
        make: |name, deps| Function::http(name, deps.table, commands::cancel_reservation),
    },
    Sticky { name: "get-reservation", make: |name, deps| Function::http(name, deps.table, commands::get_reservation) },
    Sticky {
        name: "list-reservations",
        make: |name, deps| Function::http(name, deps.table, commands::list_reservations),
    },
    Sticky { name: "list-books", make: |name, deps| Function::http(name, deps.table, commands::list_books) },
    Sticky {
        name: policies::CONFIRM_RESERVATION,
        make: |name, deps| Function::policy(name, deps.table, policies::confirm_reservation),
    },
    Sticky {
        name: book_list::CONSUMER,
        make: |name, deps| Function::policy(name, deps.table, book_list::on_stock_event),
    },
];
