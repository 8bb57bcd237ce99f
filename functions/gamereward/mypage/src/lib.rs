//! gamereward · **mypage** context (the customer's view of every mission).
//!
//! | sticky | here |
//! |---|---|
//! | view `mypage` (on `MissionAchieved`, `RewardAllocated`, `RewardIssued`, `RewardExchanged`, `GiftUsed`) | [`view`] |
//! | query `get-mypage` | [`get_mypage`] |

pub mod view;

use std::sync::Arc;

use framework::aggregate::AggregateSticky;
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use framework::{Function, Functions, Sticky};
use lambda_http::{Body, Request, Response};

/// `GET /mypage`: one row per mission of the caller, newest first.
pub async fn get_mypage(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    http::ok(&view::rows_of(&*table, &caller.sub).await?)
}

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "get-mypage", make: |name, deps| Function::http(name, deps.table, get_mypage) },
    Sticky { name: view::CONSUMER, make: |name, deps| Function::policy(name, deps.table, view::on_event) },
];
