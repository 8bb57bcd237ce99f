//! The route of the mypage context: it turns its request into a typed query,
//! and the rows into the contract's JSON.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::queries;
use crate::views::mypage::Row;
use framework::api::Api;

/// A row as `GET /mypage` answers it: the contract's fields, in its order
/// (the customer is the caller, and left out).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowView<'a> {
    mission_id: &'a str,
    mission_status: Option<&'a str>,
    reward_id: Option<&'a str>,
    reward_status: Option<&'a str>,
    wallet_id: Option<&'a str>,
    wallet_status: Option<&'a str>,
    gift_id: Option<&'a str>,
    gift_status: Option<&'a str>,
}

impl<'a> From<&'a Row> for RowView<'a> {
    fn from(r: &'a Row) -> Self {
        Self {
            mission_id: &r.mission_id,
            mission_status: r.mission_status.as_deref(),
            reward_id: r.reward_id.as_deref(),
            reward_status: r.reward_status.as_deref(),
            wallet_id: r.wallet_id.as_deref(),
            wallet_status: r.wallet_status.as_deref(),
            gift_id: r.gift_id.as_deref(),
            gift_status: r.gift_status.as_deref(),
        }
    }
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[Api::page::<RowView>(
    "get-mypage",
    "MyPage: one row per mission of one's, with its reward, wallet entry and gift",
)];

/// `GET /mypage`: one row per mission of the caller, newest first.
pub async fn get_mypage(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let rows = queries::get_mypage(&*table, &caller, &page).await?;
    let views = rows.items.iter().map(RowView::from).collect::<Vec<_>>();
    http::page(&request, &views, rows.next.as_ref())
}
