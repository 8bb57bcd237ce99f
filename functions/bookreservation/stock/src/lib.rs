//! bookreservation · **stock** context.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Stock` (+ `Allocation`, the copy a reservation holds) | [`stock`] |
//! | command `receive-stock` | [`commands`] |
//! | query `get-stock` | [`queries`] |
//! | their routes | [`routes`] |
//! | policy `reserve-stock` (on reservation's `ReservationRequested`) | [`policies::reserve_stock`] |
//! | policy `restore-stock` (on reservation's `ReservationCanceled`) | [`policies::restore_stock`] |

pub mod commands;
pub mod queries;
pub mod routes;
pub mod stock;
pub mod policies {
    pub mod reserve_stock;
    pub mod restore_stock;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "stock";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<stock::Stock>(), sticky::<stock::Allocation>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "receive-stock", make: |name, deps| Function::http(name, deps.table, routes::receive_stock) },
    Sticky { name: "get-stock", make: |name, deps| Function::http(name, deps.table, routes::get_stock) },
    Sticky {
        name: policies::reserve_stock::RESERVE_STOCK,
        make: |name, deps| Function::policy(name, deps.table, policies::reserve_stock::on_event),
    },
    Sticky {
        name: policies::restore_stock::RESTORE_STOCK,
        make: |name, deps| Function::policy(name, deps.table, policies::restore_stock::on_event),
    },
];
