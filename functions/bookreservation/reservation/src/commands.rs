//! Blue stickies of the reservation context: the HTTP commands and queries.

use std::sync::Arc;

use framework::Origin;
use framework::commit::{ExecuteError, execute, load};
use framework::http::{self, ApiError, Caller};
use framework::store::{Query, Table};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::book_list;
use crate::reservation::{Command, Reservation, ReservationError, customer_listing};

type Reply = Result<Response<Body>, ApiError>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationView {
    reservation_id: String,
    book_id: String,
    title: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_reason: Option<String>,
}

impl From<&Reservation> for ReservationView {
    fn from(r: &Reservation) -> Self {
        Self {
            reservation_id: r.reservation_id.clone(),
            book_id: r.book_id.clone(),
            title: r.title.clone(),
            status: r.status.map_or("Unknown", |s| s.as_str()),
            failure_reason: r.failure_reason.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RequestReservation {
    book_id: String,
}

/// `POST /reservations {bookId}` → 202: stock decides later.
pub async fn request_reservation(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let input: RequestReservation = http::body(&request)?;
    let book_id = input.book_id.trim();
    if book_id.is_empty() || book_id.len() > 64 {
        return Err(ApiError::invalid_field("bookId", "must be 1 to 64 characters"));
    }
    let book = book_list::find(&*table, book_id).await?.ok_or_else(|| ApiError::not_found("book", book_id))?;
    let reservation_id = framework::new_id();
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.clone() };
    let done = execute::<Reservation, _>(&*table, &reservation_id, &origin, None, |_| Command::Request {
        reservation_id: reservation_id.clone(),
        book_id: book.book_id.clone(),
        title: book.title.clone(),
        customer_id: caller.sub.clone(),
    })
    .await
    .map_err(refusal)?;
    tracing::info!(reservation_id = %reservation_id, book_id = %book.book_id, "reservation requested");
    http::accepted(&ReservationView::from(&done.aggregate.state))
}

/// `POST /reservations/{reservationId}/cancel` → 200, owner only, from `Reserved`.
pub async fn cancel_reservation(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    owned_reservation(&*table, &caller, &id).await?;
    let origin = Origin { source: SOURCE, correlation_id: id.clone() };
    let done = execute::<Reservation, _>(&*table, &id, &origin, None, |_| Command::Cancel).await.map_err(refusal)?;
    http::ok(&ReservationView::from(&done.aggregate.state))
}

/// `GET /reservations/{reservationId}`, owner only.
pub async fn get_reservation(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    let reservation = owned_reservation(&*table, &caller, &id).await?;
    http::ok(&ReservationView::from(&reservation))
}

/// `GET /reservations`: the caller's own, newest first.
pub async fn list_reservations(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let items = table.query(&Query::index(customer_listing(&caller.sub)).newest_first()).await?;
    let views: Vec<ReservationView> = items
        .into_iter()
        .filter_map(|item| serde_json::from_value::<Reservation>(item.body).ok())
        .map(|r| ReservationView::from(&r))
        .collect();
    http::ok(&views)
}

/// `GET /books`: the book list view.
pub async fn list_books(table: Arc<dyn Table>, request: Request) -> Reply {
    Caller::of(&request)?;
    http::ok(&book_list::all(&*table).await?)
}

async fn owned_reservation(table: &dyn Table, caller: &Caller, id: &str) -> Result<Reservation, ApiError> {
    let loaded = load::<Reservation>(table, id).await?;
    if !loaded.exists() {
        return Err(ApiError::not_found("reservation", id));
    }
    if loaded.state.customer_id != caller.sub {
        return Err(ApiError::not_owner("reservation"));
    }
    Ok(loaded.state)
}

fn refusal(e: ExecuteError<ReservationError>) -> ApiError {
    match e {
        ExecuteError::Refused(ReservationError::NotCancelable(status)) => ApiError::conflict(
            "invalid_state",
            format!("The reservation is {}; only a Reserved reservation can be canceled.", status.as_str()),
        ),
        ExecuteError::Refused(other) => ApiError::conflict("invalid_state", other.to_string()),
        ExecuteError::Store(e) => e.into(),
        ExecuteError::Contended => ApiError::unavailable("The reservation is busy; try again.", 1),
        ExecuteError::Envelope(e) => {
            tracing::error!(error = %e, "event could not be wrapped");
            ApiError::new(
                lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side.",
            )
        }
    }
}
