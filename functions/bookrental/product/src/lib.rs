//! bookrental · **product** context (the books and their stock). Its board is
//! `functions/bookrental/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Product` and its events, record `Allocation` | [`product`] |
//! | commands `register-product`, `increase-stock` | [`commands`] |
//! | queries `list-products`, `get-product` | [`queries`] |
//! | their routes | [`routes`] |
//! | policy `decrease-stock` (on reservation's `Reserved`) | [`policies::decrease_stock`] |
//! | policy `restore-stock` (on delivery's `DeliveryCanceled`) | [`policies::restore_stock`] |

pub mod commands;
pub mod product;
pub mod queries;
pub mod routes;
pub mod policies {
    pub mod decrease_stock;
    pub mod restore_stock;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "product";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<product::Product>(), sticky::<product::Allocation>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "register-product", make: |name, deps| Function::http(name, deps.table, routes::register_product) },
    Sticky { name: "increase-stock", make: |name, deps| Function::http(name, deps.table, routes::increase_stock) },
    Sticky { name: "list-products", make: |name, deps| Function::http(name, deps.table, routes::list_products) },
    Sticky { name: "get-product", make: |name, deps| Function::http(name, deps.table, routes::get_product) },
    Sticky {
        name: policies::decrease_stock::DECREASE_STOCK,
        make: |name, deps| Function::policy(name, deps.table, policies::decrease_stock::on_event),
    },
    Sticky {
        name: policies::restore_stock::RESTORE_STOCK,
        make: |name, deps| Function::policy(name, deps.table, policies::restore_stock::on_event),
    },
];
