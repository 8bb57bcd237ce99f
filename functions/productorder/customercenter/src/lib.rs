//! productorder · **customercenter** context (each customer's orders with
//! their payment and delivery status). Its board is
//! `functions/productorder/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | query `get-customercenter` | [`queries`] |
//! | its route | [`routes`] |
//! | view `customercenter-view` (on order's `Ordered`, `OrderCanceled`, `OrderRejected`, pay's `PayApproved`, `PayCanceled`, product's `DeliveryPrepared`, delivery's `DeliveryStarted`, `DeliveryCompleted`, `DeliveryCanceled`) | [`views::customercenter`] |

pub mod queries;
pub mod routes;
pub mod views {
    pub mod customercenter;
}

use framework::aggregate::AggregateSticky;
use framework::{Function, Functions, Sticky};

/// The context's aggregates (yellow stickies) with their events: none, it
/// is a view.
pub const AGGREGATES: &[AggregateSticky] = &[];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky {
        name: "get-customercenter",
        make: |name, deps| Function::http(name, deps.table, routes::get_customercenter),
    },
    Sticky {
        name: views::customercenter::CUSTOMERCENTER_VIEW,
        make: |name, deps| Function::policy(name, deps.table, views::customercenter::on_event),
    },
];
