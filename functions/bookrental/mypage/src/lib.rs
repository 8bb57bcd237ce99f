//! bookrental · **mypage** context (the customer's view of every reservation).
//!
//! | sticky | here |
//! |---|---|
//! | view `mypage` (on the reservation, delivery and stock events) | [`view`] |
//! | query `get-mypage` | [`get_mypage`] |

pub mod view;

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use framework::{Deps, Function};
use lambda_http::{Body, Request, Response};

/// `GET /mypage`: one row per reservation of the caller, newest first.
pub async fn get_mypage(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    http::ok(&view::rows_of(&*table, &caller.sub).await?)
}

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    let table = deps.table;
    Some(match handler {
        "get-mypage" => Function::http("get-mypage", table, get_mypage),
        view::CONSUMER => Function::policy(view::CONSUMER, table, view::on_event),
        _ => return None,
    })
}
