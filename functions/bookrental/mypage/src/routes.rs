//! The route of the mypage context.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::queries;
use crate::views::mypage::Line;
use framework::api::Api;

/// A row as `GET /mypage` answers it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Shown {
    reservation_id: String,
    product_id: String,
    title: Option<String>,
    reservation_status: Option<String>,
    delivery_status: Option<String>,
    /// The book's stock as last heard from product (left out until then).
    #[serde(skip_serializing_if = "Option::is_none")]
    stock: Option<u64>,
}

impl From<Line> for Shown {
    fn from(Line { row, book }: Line) -> Self {
        Self {
            title: book.as_ref().map(|b| b.title.clone()),
            stock: book.map(|b| b.stock),
            reservation_id: row.reservation_id,
            product_id: row.product_id,
            reservation_status: row.reservation_status,
            delivery_status: row.delivery_status,
        }
    }
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[Api::page::<Shown>("get-mypage", "MyPage: one row per reservation of one's, newest first")];

/// `GET /mypage`: one row per reservation of the caller, newest first.
pub async fn get_mypage(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let lines = queries::get_mypage(&*table, &caller, &page).await?;
    let views = lines.items.into_iter().map(Shown::from).collect::<Vec<_>>();
    http::page(&request, &views, lines.next.as_ref())
}
