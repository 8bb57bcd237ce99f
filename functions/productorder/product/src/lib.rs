//! productorder · **product** context (the items, their prices and stock).
//! Its board is `functions/productorder/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Product` and its events, `Allocation` (one per order, recorded) | [`product`] |
//! | commands `add-product`, `increase-stock` | [`commands`] |
//! | queries `list-products`, `get-product` | [`queries`] |
//! | their routes | [`routes`] |
//! | policy `take-stock` (on pay's `PayApproved`) | [`policies::take_stock`] |
//! | policy `restore-stock` (on order's `OrderCanceled`) | [`policies::restore_stock`] |

pub mod commands;
pub mod product;
pub mod queries;
pub mod routes;
pub mod policies {
    pub mod restore_stock;
    pub mod take_stock;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "product";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<product::Product>(), sticky::<product::Allocation>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "add-product", make: |name, deps| Function::http(name, deps.table, routes::add_product) },
    Sticky { name: "increase-stock", make: |name, deps| Function::http(name, deps.table, routes::increase_stock) },
    Sticky { name: "list-products", make: |name, deps| Function::http(name, deps.table, routes::list_products) },
    Sticky { name: "get-product", make: |name, deps| Function::http(name, deps.table, routes::get_product) },
    Sticky {
        name: policies::take_stock::TAKE_STOCK,
        make: |name, deps| Function::policy(name, deps.table, policies::take_stock::on_event),
    },
    Sticky {
        name: policies::restore_stock::RESTORE_STOCK,
        make: |name, deps| Function::policy(name, deps.table, policies::restore_stock::on_event),
    },
];
