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

use framework::http::endpoint;
use framework::queue::policy;
use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "reservation";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    macro_rules! http {
        ($name:literal, $f:path) => {{
            let table = table.clone();
            Function::Http(endpoint($name, move |request| $f(table.clone(), request)))
        }};
    }
    Some(match handler {
        "request-reservation" => http!("request-reservation", commands::request_reservation),
        "cancel-reservation" => http!("cancel-reservation", commands::cancel_reservation),
        "get-reservation" => http!("get-reservation", commands::get_reservation),
        "list-reservations" => http!("list-reservations", commands::list_reservations),
        "list-books" => http!("list-books", commands::list_books),
        policies::CONFIRM_RESERVATION => Function::Queue(policy(policies::CONFIRM_RESERVATION, move |envelope| {
            let table = table.clone();
            async move { policies::confirm_reservation(&*table, envelope).await }
        })),
        book_list::CONSUMER => Function::Queue(policy(book_list::CONSUMER, move |envelope| {
            let table = table.clone();
            async move { book_list::on_stock_event(&*table, envelope).await }
        })),
        _ => return None,
    })
}
