//! bookrental · **reservation** context (core, front).
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Reservation` | [`reservation`] |
//! | events `Reserved`, `ReservationRejected`, `ReservationCanceled` | [`reservation::ReservationEvent`] |
//! | command `reserve`, query `get-reservation` | [`commands`] |
//! | command `cancel-reservation` (synchronous call to delivery, through a circuit breaker) | [`commands::cancel_reservation`] |
//! | policies `reject-reservation` (on `StockShortage`), `follow-delivery` (on `DeliveryStarted`, `Delivered`) | [`policies`] |
//! | view `product-catalog` (on `StockIncreased`) | [`catalog`] |

pub mod catalog;
pub mod commands;
pub mod policies;
pub mod reservation;

use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "reservation";

/// The setting that names delivery's internal `cancel-delivery` function.
pub const DELIVERY_FUNCTION: &str = "DELIVERY_FUNCTION";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    Some(match handler {
        "reserve" => Function::http("reserve", deps.table, commands::reserve),
        "get-reservation" => Function::http("get-reservation", deps.table, commands::get_reservation),
        "cancel-reservation" => {
            let cancel = commands::Cancel {
                delivery: deps.client(DELIVERY_FUNCTION, "cancel-reservation→delivery").with_fallback(
                    "Delivery cannot be reached right now, so the reservation stays as it is; cancel later.",
                ),
                table: deps.table,
            };
            Function::http("cancel-reservation", cancel, commands::cancel_reservation)
        }
        policies::REJECT_RESERVATION => {
            Function::policy(policies::REJECT_RESERVATION, deps.table, policies::reject_reservation)
        }
        policies::FOLLOW_DELIVERY => Function::policy(policies::FOLLOW_DELIVERY, deps.table, policies::follow_delivery),
        catalog::CONSUMER => Function::policy(catalog::CONSUMER, deps.table, catalog::on_stock_increased),
        _ => return None,
    })
}
