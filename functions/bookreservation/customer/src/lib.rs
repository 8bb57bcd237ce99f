//! bookreservation · **customer** context (notifications).
//!
//! | sticky | here |
//! |---|---|
//! | policy `notify-customer` (on `Reserved`, `ReservationFailed`, `ReservationCanceled`) | [`notifications`] |
//! | query `list-notifications` | [`list_notifications`] |

pub mod notifications;

use std::sync::Arc;

use framework::aggregate::AggregateSticky;
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use framework::{Function, Functions, Sticky};
use lambda_http::{Body, Request, Response};

/// `GET /notifications`: the caller's own, oldest first.
pub async fn list_notifications(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    http::ok(&notifications::of_customer(&*table, &caller.sub).await?)
}

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "list-notifications", make: |name, deps| Function::http(name, deps.table, list_notifications) },
    Sticky {
        name: notifications::NOTIFY_CUSTOMER,
        make: |name, deps| Function::policy(name, deps.table, notifications::notify_customer),
    },
];
