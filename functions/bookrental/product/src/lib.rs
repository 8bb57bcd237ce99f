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

use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "product";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    Some(match handler {
        "register-product" => Function::http("register-product", table, commands::register_product),
        "increase-stock" => Function::http("increase-stock", table, commands::increase_stock),
        "list-products" => Function::http("list-products", table, commands::list_products),
        "get-product" => Function::http("get-product", table, commands::get_product),
        policies::DECREASE_STOCK => Function::policy(policies::DECREASE_STOCK, table, policies::decrease_stock),
        policies::RESTORE_STOCK => Function::policy(policies::RESTORE_STOCK, table, policies::restore_stock),
        _ => return None,
    })
}
