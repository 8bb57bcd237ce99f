//! The route of the mypage context: it turns its request into a typed query,
//! and the rows into the contract's JSON.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::queries;
use crate::views::mypage::{PaymentStatus, RentalStatus, ReservationStatus, Row};
use framework::api::Api;

/// A row as `GET /mypage` answers it: the contract's fields, in its order,
/// `null` until known (the customer is the caller, and left out).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowView<'a> {
    reservation_id: &'a str,
    car_no: Option<&'a str>,
    rental_date: Option<&'a str>,
    return_date: Option<&'a str>,
    amount: Option<u64>,
    reservation_status: Option<ReservationStatus>,
    payment_id: Option<&'a str>,
    payment_status: Option<PaymentStatus>,
    rental_id: Option<&'a str>,
    rental_status: Option<RentalStatus>,
    stars: Option<u8>,
}

impl<'a> From<&'a Row> for RowView<'a> {
    fn from(r: &'a Row) -> Self {
        Self {
            reservation_id: &r.reservation_id,
            car_no: r.car_no.as_deref(),
            rental_date: r.rental_date.as_deref(),
            return_date: r.return_date.as_deref(),
            amount: r.amount,
            reservation_status: r.reservation_status,
            payment_id: r.payment_id.as_deref(),
            payment_status: r.payment_status,
            rental_id: r.rental_id.as_deref(),
            rental_status: r.rental_status,
            stars: r.stars,
        }
    }
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[Api::page::<RowView>(
    "get-mypage",
    "MyPage: one row per reservation of one's, with its payment, rental and rating",
)];

/// `GET /mypage`: one row per reservation of the caller, newest first.
pub async fn get_mypage(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let rows = queries::get_mypage(&*table, &caller, &page).await?;
    let views = rows.items.iter().map(RowView::from).collect::<Vec<_>>();
    http::page(&request, &views, rows.next.as_ref())
}
