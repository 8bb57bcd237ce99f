//! bookrental · **product** context (the books and their stock).
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Product`, record `Allocation` | [`product`] |
//! | events `StockIncreased`, `StockDecreased`, `StockShortage` | [`product::ProductEvent`] |
//! | commands `register-product`, `increase-stock`, queries `list-products`, `get-product` | [`commands`] |
//! | policies `decrease-stock` (on `Reserved`), `restore-stock` (on `DeliveryCanceled`) | [`policies`] |

pub mod commands;
pub mod policies;
pub mod product;

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "product";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<product::Product>(), sticky::<product::Allocation>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky {
        name: "register-product",
        make: |name, deps| Function::http(name, deps.table, commands::register_product),
    },
    Sticky { name: "increase-stock", make: |name, deps| Function::http(name, deps.table, commands::increase_stock) },
    Sticky { name: "list-products", make: |name, deps| Function::http(name, deps.table, commands::list_products) },
    Sticky { name: "get-product", make: |name, deps| Function::http(name, deps.table, commands::get_product) },
    Sticky {
        name: policies::DECREASE_STOCK,
        make: |name, deps| Function::policy(name, deps.table, policies::decrease_stock),
    },
    Sticky {
        name: policies::RESTORE_STOCK,
        make: |name, deps| Function::policy(name, deps.table, policies::restore_stock),
    },
];
