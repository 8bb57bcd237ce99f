//! productorder · **order** context (the front; holds the product view with
//! prices). Its board is `functions/productorder/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `Order` and its events | [`order`] |
//! | commands `place-order` (synchronous call to pay, through a circuit breaker), `cancel-order` | [`commands`] |
//! | query `get-order` | [`queries`] |
//! | their routes | [`routes`] |
//! | policy `follow-pay` (on pay's `PayApproved`, `PayCanceled`) | [`policies::follow_pay`] |
//! | policy `follow-delivery` (on product's `DeliveryPrepared`, delivery's `DeliveryStarted`, `DeliveryCompleted`) | [`policies::follow_delivery`] |
//! | view `product-prices` (on product's `ProductAdded`) | [`views::product_prices`] |

pub mod commands;
pub mod order;
pub mod queries;
pub mod routes;
pub mod policies {
    pub mod follow_delivery;
    pub mod follow_pay;
}
pub mod views {
    pub mod product_prices;
}

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "order";

/// The setting that names pay's internal function.
pub const PAY_FUNCTION: &str = "PAY_FUNCTION";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<order::Order>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky {
        name: "place-order",
        make: |name, deps| {
            let place = commands::Place {
                pay: deps
                    .client(PAY_FUNCTION, "place-order→pay")
                    .with_fallback("Payments cannot be taken right now, so no order was placed; order again later."),
                table: deps.table,
            };
            Function::http(name, place, routes::place_order)
        },
    },
    Sticky { name: "cancel-order", make: |name, deps| Function::http(name, deps.table, routes::cancel_order) },
    Sticky { name: "get-order", make: |name, deps| Function::http(name, deps.table, routes::get_order) },
    Sticky {
        name: policies::follow_pay::FOLLOW_PAY,
        make: |name, deps| Function::policy(name, deps.table, policies::follow_pay::on_event),
    },
    Sticky {
        name: policies::follow_delivery::FOLLOW_DELIVERY,
        make: |name, deps| Function::policy(name, deps.table, policies::follow_delivery::on_event),
    },
    Sticky {
        name: views::product_prices::PRODUCT_PRICES,
        make: |name, deps| Function::policy(name, deps.table, views::product_prices::on_event),
    },
];
