//! bookreservation · **reservation** context (core, front). Its board is
//! `functions/bookreservation/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Reservation` and its events | [`reservation`] |
//! | commands `request-reservation`, `cancel-reservation` | [`commands`] |
//! | queries `get-reservation`, `list-reservations`, `list-books` | [`queries`] |
//! | their routes | [`routes`] |
//! | policy `confirm-reservation` (on stock's `StockReserved`, `StockReservationFailed`) | [`policies::confirm_reservation`] |
//! | view `book-list-view` (on stock's `StockReceived`, `StockReserved`, `StockRestored`) | [`views::book_list`] |

pub mod commands;
pub mod queries;
pub mod reservation;
pub mod routes;
pub mod policies {
    pub mod confirm_reservation;
}
pub mod views {
    pub mod book_list;
}

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
        make: |name, deps| Function::http(name, deps.table, routes::request_reservation),
    },
    Sticky {
        name: "cancel-reservation",
        make: |name, deps| Function::http(name, deps.table, routes::cancel_reservation),
    },
    Sticky { name: "get-reservation", make: |name, deps| Function::http(name, deps.table, routes::get_reservation) },
    Sticky {
        name: "list-reservations",
        make: |name, deps| Function::http(name, deps.table, routes::list_reservations),
    },
    Sticky { name: "list-books", make: |name, deps| Function::http(name, deps.table, routes::list_books) },
    Sticky {
        name: policies::confirm_reservation::CONFIRM_RESERVATION,
        make: |name, deps| Function::policy(name, deps.table, policies::confirm_reservation::on_event),
    },
    Sticky {
        name: views::book_list::BOOK_LIST_VIEW,
        make: |name, deps| Function::policy(name, deps.table, views::book_list::on_event),
    },
];
