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

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "stock";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<stock::Stock>(), sticky::<stock::Allocation>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "receive-stock", make: |name, deps| Function::http(name, deps.table, commands::receive_stock) },
    Sticky { name: "get-stock", make: |name, deps| Function::http(name, deps.table, commands::get_stock) },
    Sticky {
        name: policies::RESERVE_STOCK,
        make: |name, deps| Function::policy(name, deps.table, policies::reserve_stock),
    },
    Sticky {
        name: policies::RESTORE_STOCK,
        make: |name, deps| Function::policy(name, deps.table, policies::restore_stock),
    },
];
