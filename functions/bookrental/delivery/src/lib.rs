//! bookrental · **delivery** context.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Delivery` | [`delivery`] |
//! | events `DeliveryStarted`, `Delivered`, `DeliveryCanceled` | [`delivery::DeliveryEvent`] |
//! | policy `start-delivery` (on `StockDecreased`) | [`commands::start_delivery`] |
//! | internal `cancel-delivery` (reservation's synchronous call; no route) | [`commands::cancel_delivery`] |
//! | command `complete-delivery`, query `find-delivery` | [`commands`] |

pub mod commands;
pub mod delivery;

use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "delivery";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    Some(match handler {
        commands::START_DELIVERY => Function::policy(commands::START_DELIVERY, table, commands::start_delivery),
        "cancel-delivery" => Function::internal("cancel-delivery", table, commands::cancel_delivery),
        "complete-delivery" => Function::http("complete-delivery", table, commands::complete_delivery),
        "find-delivery" => Function::http("find-delivery", table, commands::find_delivery),
        _ => return None,
    })
}
