//! The routes of the reservation context: each turns its request into a
//! typed command or query, and the outcome into the contract's JSON. The
//! context's own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, Cancel, Reserve};
use crate::queries;
use crate::reservation::{Reservation, ReservationError, Status};
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

impl From<ReservationError> for ApiError {
    fn from(e: ReservationError) -> Self {
        match e {
            ReservationError::NotCancelable(status) => ApiError::conflict(
                "invalid_state",
                format!("The reservation is {status}; only a Reserved or Delivering one can be canceled."),
            ),
            ReservationError::AlreadyDelivered => ApiError::conflict(
                "invalid_state",
                "The book is already delivered; a delivered reservation cannot be canceled.",
            ),
            ReservationError::Unknown => ApiError::not_found("reservation", ""),
            ReservationError::AlreadyReserved => ApiError::conflict("invalid_state", e.to_string()),
        }
    }
}

/// A reservation as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ReservationView<'a> {
    reservation_id: &'a str,
    product_id: &'a str,
    status: Option<Status>,
}

impl<'a> From<&'a Reservation> for ReservationView<'a> {
    fn from(r: &'a Reservation) -> Self {
        Self { reservation_id: &r.reservation_id, product_id: &r.product_id, status: r.status }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReserveBody {
    #[schemars(length(max = 128), pattern(http::NOT_BLANK))]
    #[schemars(example = "01a2b3c4-0000-7000-8000-000000000000")]
    product_id: String,
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::created::<ReservationView>("reserve", "Reserve a book; Reserved at once, or Rejected by product's events")
        .body::<ReserveBody>()
        .refuses(&[404]),
    Api::ok::<ReservationView>("cancel-reservation", "Cancel one's reservation; delivery is canceled first")
        .refuses(&[409]),
    Api::ok::<ReservationView>("get-reservation", "One of one's reservations"),
];

/// `POST /reservations {productId}` → 201 `Reserved`.
pub async fn reserve(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let input: ReserveBody = http::body(&request)?;
    let product_id = http::text_field("productId", &input.product_id, http::MAX_ID_LEN)?;
    let reservation = commands::reserve(&*table, &caller, Reserve { product_id }).await?;
    let location = format!("/reservations/{}", reservation.reservation_id);
    http::created(&location, &ReservationView::from(&reservation))
}

/// `GET /reservations/{reservationId}`, owner only.
pub async fn get_reservation(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    let reservation = queries::get_reservation(&*table, &caller, &id).await?;
    http::ok(&ReservationView::from(&reservation))
}

/// `POST /reservations/{reservationId}/cancel` → 200 `Canceled`, owner only;
/// `503` with `Retry-After` while delivery cannot answer, `409` once delivered.
pub async fn cancel_reservation(cancel: Cancel, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    let reservation = commands::cancel_reservation(&cancel, &caller, &id).await?;
    http::ok(&ReservationView::from(&reservation))
}
