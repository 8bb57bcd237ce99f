//! bookreservation · **customer** context (notifications).
//!
//! | sticky | here |
//! |---|---|
//! | policy `notify-customer` (on `Reserved`, `ReservationFailed`, `ReservationCanceled`) | [`notifications`] |
//! | query `list-notifications` | [`list_notifications`] |

pub mod notifications;

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use framework::{Deps, Function};
use lambda_http::{Body, Request, Response};

/// `GET /notifications`: the caller's own, oldest first.
pub async fn list_notifications(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    http::ok(&notifications::of_customer(&*table, &caller.sub).await?)
}

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    Some(match handler {
        "list-notifications" => Function::http("list-notifications", table, list_notifications),
        notifications::NOTIFY_CUSTOMER => {
            Function::policy(notifications::NOTIFY_CUSTOMER, table, notifications::notify_customer)
        }
        _ => return None,
    })
}
