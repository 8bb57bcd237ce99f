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

use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "reservation";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    Some(match handler {
        "request-reservation" => Function::http("request-reservation", table, commands::request_reservation),
        "cancel-reservation" => Function::http("cancel-reservation", table, commands::cancel_reservation),
        "get-reservation" => Function::http("get-reservation", table, commands::get_reservation),
        "list-reservations" => Function::http("list-reservations", table, commands::list_reservations),
        "list-books" => Function::http("list-books", table, commands::list_books),
        policies::CONFIRM_RESERVATION => {
            Function::policy(policies::CONFIRM_RESERVATION, table, policies::confirm_reservation)
        }
        book_list::CONSUMER => Function::policy(book_list::CONSUMER, table, book_list::on_stock_event),
        _ => return None,
    })
}
