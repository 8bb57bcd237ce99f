//! bookreservation · **stock** context.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Stock` (+ `Allocation`, the copy a reservation holds) | [`stock`] |
//! | events `StockReceived`, `StockReserved`, `StockReservationFailed`, `StockRestored` | [`stock::StockEvent`] |
//! | command `receive-stock`, query `get-stock` | [`commands`] |
//! | policies `reserve-stock` (on `ReservationRequested`), `restore-stock` (on `ReservationCanceled`) | [`policies`] |

pub mod commands;
pub mod policies;
pub mod stock;

use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "stock";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    Some(match handler {
        "receive-stock" => Function::http("receive-stock", table, commands::receive_stock),
        "get-stock" => Function::http("get-stock", table, commands::get_stock),
        policies::RESERVE_STOCK => Function::policy(policies::RESERVE_STOCK, table, policies::reserve_stock),
        policies::RESTORE_STOCK => Function::policy(policies::RESTORE_STOCK, table, policies::restore_stock),
        _ => return None,
    })
}
