//! The routes of the reservation context: each turns its request into a
//! typed command or query, and the outcome into the contract's JSON. The
//! context's own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::api::Api;
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, RequestReservation};
use crate::queries;
use crate::reservation::{Reservation, ReservationError, Status};
use crate::views::book_list;

type Reply = Result<Response<Body>, ApiError>;

impl From<ReservationError> for ApiError {
    fn from(e: ReservationError) -> Self {
        match e {
            ReservationError::NotCancelable(status) => ApiError::conflict(
                "invalid_state",
                format!("The reservation is {status}; only a Reserved reservation can be canceled."),
            ),
            ReservationError::Unknown => ApiError::not_found("reservation", ""),
            ReservationError::AlreadyRequested => ApiError::conflict("invalid_state", e.to_string()),
        }
    }
}

/// A reservation as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservationView<'a> {
    reservation_id: &'a str,
    book_id: &'a str,
    title: &'a str,
    status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_reason: Option<&'a str>,
}

impl<'a> From<&'a Reservation> for ReservationView<'a> {
    fn from(r: &'a Reservation) -> Self {
        Self {
            reservation_id: &r.reservation_id,
            book_id: &r.book_id,
            title: &r.title,
            status: r.status,
            failure_reason: r.failure_reason.as_deref(),
        }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RequestBody {
    #[schemars(length(max = 64), pattern(http::NOT_BLANK))]
    #[schemars(example = "isbn-9788966260959")]
    book_id: String,
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::accepted::<ReservationView>("request-reservation", "Reserve a copy of a book; stock decides by events")
        .body::<RequestBody>()
        .refuses(&[404]),
    Api::ok::<ReservationView>("cancel-reservation", "Cancel one's Reserved reservation; the copy goes back")
        .refuses(&[409]),
    Api::ok::<ReservationView>("get-reservation", "One of one's reservations"),
    Api::page::<ReservationView>("list-reservations", "One's reservations, newest first"),
    Api::page::<book_list::BookRow>("list-books", "The book list: every book and how many copies are free"),
];

/// `POST /reservations {bookId}` → 202: stock decides later.
pub async fn request_reservation(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let input: RequestBody = http::body(&request)?;
    let command = RequestReservation { book_id: http::text_field("bookId", &input.book_id, 64)? };
    let reservation = commands::request_reservation(&*table, &caller, command).await?;
    http::accepted(&ReservationView::from(&reservation))
}

/// `POST /reservations/{reservationId}/cancel` → 200, owner only, from `Reserved`.
pub async fn cancel_reservation(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    let reservation = commands::cancel_reservation(&*table, &caller, &id).await?;
    http::ok(&ReservationView::from(&reservation))
}

/// `GET /reservations/{reservationId}`, owner only.
pub async fn get_reservation(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    let reservation = queries::get_reservation(&*table, &caller, &id).await?;
    http::ok(&ReservationView::from(&reservation))
}

/// `GET /reservations`: the caller's own, newest first.
pub async fn list_reservations(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let reservations = queries::list_reservations(&*table, &caller, &page).await?;
    let views = reservations.items.iter().map(ReservationView::from).collect::<Vec<_>>();
    http::page(&request, &views, reservations.next.as_ref())
}

/// `GET /books`: the book list view, for any signed-in user.
pub async fn list_books(table: Arc<dyn Table>, request: Request) -> Reply {
    Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let books = queries::list_books(&*table, &page).await?;
    http::page(&request, &books.items, books.next.as_ref())
}
