//! The routes of the reservation context: each turns its request into a
//! typed command or query, and the outcome into the contract's JSON. The
//! context's own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, Pay, ReserveCar};
use crate::queries;
use crate::reservation::{CancelReason, MAX_DAYS, Reservation, ReservationError, Status, parse_date};
use crate::views::car_catalog::CatalogRow;
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

impl From<ReservationError> for ApiError {
    fn from(e: ReservationError) -> Self {
        match e {
            ReservationError::Overlap(day) => {
                ApiError::conflict("overlap", format!("The car is reserved on {day} by another reservation."))
            }
            ReservationError::NotCancelable(status) => ApiError::conflict(
                "invalid_state",
                format!("The reservation is {status}; only a Reserved (unpaid) reservation can be canceled."),
            ),
            ReservationError::NotPayable(status) => ApiError::conflict(
                "invalid_state",
                format!("The reservation is {status}; only a Reserved reservation can be paid."),
            ),
            ReservationError::Unknown => ApiError::not_found("reservation", ""),
            ReservationError::AlreadyReserved => ApiError::conflict("invalid_state", e.to_string()),
        }
    }
}

/// A reservation as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservationView<'a> {
    reservation_id: &'a str,
    car_no: &'a str,
    rental_date: &'a str,
    return_date: &'a str,
    amount: u64,
    status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancel_reason: Option<CancelReason>,
}

impl<'a> From<&'a Reservation> for ReservationView<'a> {
    fn from(r: &'a Reservation) -> Self {
        Self {
            reservation_id: &r.reservation_id,
            car_no: &r.car_no,
            rental_date: &r.rental_date,
            return_date: &r.return_date,
            amount: r.amount,
            status: r.status,
            payment_id: r.payment_id.as_deref(),
            cancel_reason: r.cancel_reason,
        }
    }
}

/// A car as the catalog shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct CarView<'a> {
    car_no: &'a str,
    model: &'a str,
    daily_rate: u64,
    status: &'static str,
    rating: Option<f64>,
    rating_count: u64,
}

impl<'a> From<&'a CatalogRow> for CarView<'a> {
    fn from(row: &'a CatalogRow) -> Self {
        Self {
            car_no: &row.car_no,
            model: row.model.as_deref().unwrap_or_default(),
            daily_rate: row.daily_rate,
            status: row.status(),
            rating: row.rating(),
            rating_count: row.rating_count,
        }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReserveBody {
    #[schemars(length(max = 32), pattern(http::NOT_BLANK))]
    #[schemars(example = "car-01")]
    car_no: String,
    /// The first day, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    #[schemars(example = "2026-12-06")]
    rental_date: String,
    /// The last day (the same day or up to 30 days later), `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    #[schemars(example = "2026-12-09")]
    return_date: String,
}

fn date(field: &str, text: &str) -> Result<time::Date, ApiError> {
    parse_date(text).ok_or_else(|| ApiError::invalid_field(field, "must be a calendar date, YYYY-MM-DD"))
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::created::<ReservationView>("reserve-car", "Book a car for some days; no two bookings of a car share a day")
        .body::<ReserveBody>()
        .refuses(&[404, 409]),
    Api::ok::<ReservationView>("cancel-reservation", "Cancel one's unpaid reservation").refuses(&[409]),
    Api::ok::<PaidView>("pay-reservation", "Pay one's reservation; payment approves it first").refuses(&[409]),
    Api::ok::<ReservationView>("get-reservation", "One of one's reservations"),
    Api::page::<CarView>("list-cars", "The catalog: every car, its status and its rating"),
];

/// `POST /reservations {carNo, rentalDate, returnDate}` → 201.
pub async fn reserve_car(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let input: ReserveBody = http::body(&request)?;
    let car_no = http::text_field("carNo", &input.car_no, 32)?;
    let rental_date = date("rentalDate", &input.rental_date)?;
    let return_date = date("returnDate", &input.return_date)?;
    let nights = (return_date - rental_date).whole_days();
    if nights < 0 {
        return Err(ApiError::invalid_field("returnDate", "must not be before rentalDate"));
    }
    if nights > MAX_DAYS {
        return Err(ApiError::invalid_field("returnDate", format!("must be at most {MAX_DAYS} days after rentalDate")));
    }
    let reservation = commands::reserve_car(&*table, &caller, ReserveCar { car_no, rental_date, return_date }).await?;
    http::created(&format!("/reservations/{}", reservation.reservation_id), &ReservationView::from(&reservation))
}

/// `POST /reservations/{reservationId}/cancel` → 200, owner only, while unpaid.
pub async fn cancel_reservation(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    let reservation = commands::cancel_reservation(&*table, &caller, &id).await?;
    http::ok(&ReservationView::from(&reservation))
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct PaidView<'a> {
    reservation_id: &'a str,
    status: Option<Status>,
    payment_id: Option<&'a str>,
}

/// `POST /reservations/{reservationId}/pay` → 200, owner only, while `Reserved`.
pub async fn pay_reservation(pay: Pay, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    let paid = commands::pay_reservation(&pay, &caller, &id).await?;
    http::ok(&PaidView {
        reservation_id: &paid.reservation_id,
        status: paid.status,
        payment_id: paid.payment_id.as_deref(),
    })
}

/// `GET /reservations/{reservationId}`, owner only.
pub async fn get_reservation(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    let reservation = queries::get_reservation(&*table, &caller, &id).await?;
    http::ok(&ReservationView::from(&reservation))
}

/// `GET /cars`: the catalog, for any signed-in user.
pub async fn list_cars(table: Arc<dyn Table>, request: Request) -> Reply {
    Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let cars = queries::list_cars(&*table, &page).await?;
    let views = cars.items.iter().map(CarView::from).collect::<Vec<_>>();
    http::page(&request, &views, cars.next.as_ref())
}
