//! productorder · **notice** context (what became of each customer's
//! orders and parcels). Its board is `functions/productorder/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | policy `notify-customer` (on order's `Ordered`, `OrderCanceled`, `OrderRejected`, delivery's `DeliveryStarted`, `DeliveryCompleted`) | [`policies::notify_customer`] |
//! | the notifications it keeps | [`notifications`] |
//! | query `list-notifications` | [`queries`], its route in [`routes`] |

pub mod notifications;
pub mod queries;
pub mod routes;
pub mod policies {
    pub mod notify_customer;
}

use framework::aggregate::AggregateSticky;
use framework::{Function, Functions, Sticky};

/// The context's aggregates (yellow stickies): none, it only keeps what it sent.
pub const AGGREGATES: &[AggregateSticky] = &[];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky {
        name: "list-notifications",
        make: |name, deps| Function::http(name, deps.table, routes::list_notifications),
    },
    Sticky {
        name: policies::notify_customer::NOTIFY_CUSTOMER,
        make: |name, deps| Function::policy(name, deps.table, policies::notify_customer::on_event),
    },
];
