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

use framework::http::endpoint;
use framework::queue::policy;
use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "stock";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    macro_rules! http {
        ($name:literal, $f:path) => {{
            let table = table.clone();
            Function::Http(endpoint($name, move |request| $f(table.clone(), request)))
        }};
    }
    macro_rules! queue {
        ($name:path, $f:path) => {{
            let table = table.clone();
            Function::Queue(policy($name, move |envelope| {
                let table = table.clone();
                async move { $f(&*table, envelope).await }
            }))
        }};
    }
    Some(match handler {
        "receive-stock" => http!("receive-stock", commands::receive_stock),
        "get-stock" => http!("get-stock", commands::get_stock),
        policies::RESERVE_STOCK => queue!(policies::RESERVE_STOCK, policies::reserve_stock),
        policies::RESTORE_STOCK => queue!(policies::RESTORE_STOCK, policies::restore_stock),
        _ => return None,
    })
}
