//! Blue stickies of the reservation context.

use std::sync::Arc;

use framework::Origin;
use framework::call::{CallError, Client};
use framework::commit::{execute, load};
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::catalog;
use crate::reservation::{Command, Reservation, ReservationError};

type Reply = Result<Response<Body>, ApiError>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ReservationView<'a> {
    reservation_id: &'a str,
    product_id: &'a str,
    status: &'static str,
}

impl<'a> From<&'a Reservation> for ReservationView<'a> {
    fn from(r: &'a Reservation) -> Self {
        Self {
            reservation_id: &r.reservation_id,
            product_id: &r.product_id,
            status: r.status.map_or("Unknown", |s| s.as_str()),
        }
    }
}

fn refused(e: ReservationError) -> ApiError {
    match e {
        ReservationError::NotCancelable(status) => ApiError::conflict(
            "invalid_state",
            format!("The reservation is {}; only a Reserved or Delivering one can be canceled.", status.as_str()),
        ),
        ReservationError::Unknown => ApiError::not_found("reservation", ""),
        other => ApiError::conflict("invalid_state", other.to_string()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Reserve {
    product_id: String,
}

/// `POST /reservations {productId}` → 201 `Reserved`; product takes the copy
/// (or rejects) by events.
pub async fn reserve(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let input: Reserve = http::body(&request)?;
    let product_id = input.product_id.trim();
    if product_id.is_empty() || product_id.len() > http::MAX_ID_LEN {
        return Err(ApiError::invalid_field("productId", format!("must be 1 to {} characters", http::MAX_ID_LEN)));
    }
    let product =
        catalog::find(&*table, product_id).await?.ok_or_else(|| ApiError::not_found("product", product_id))?;
    let reservation_id = framework::new_id();
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.clone() };
    let done = execute::<Reservation, _>(&*table, &reservation_id, &origin, None, |_| Command::Reserve {
        reservation_id: reservation_id.clone(),
        product_id: product.product_id.clone(),
        customer_id: caller.sub.clone(),
    })
    .await
    .map_err(|e| ApiError::from_execute(e, refused))?;
    tracing::info!(reservation_id, product_id = %product.product_id, "reserved");
    http::created(&format!("/reservations/{reservation_id}"), &ReservationView::from(&done.aggregate.state))
}

/// `GET /reservations/{reservationId}`, owner only.
pub async fn get_reservation(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    let reservation = owned(&*table, &caller, &id).await?;
    http::ok(&ReservationView::from(&reservation))
}

async fn owned(table: &dyn Table, caller: &Caller, id: &str) -> Result<Reservation, ApiError> {
    let reservation = load::<Reservation>(table, id).await?;
    if !reservation.exists() {
        return Err(ApiError::not_found("reservation", id));
    }
    caller.require_owner(&reservation.state.customer_id, "reservation")?;
    Ok(reservation.state)
}

/// What `cancel-reservation` needs: its table and a guarded client of delivery.
#[derive(Clone)]
pub struct Cancel {
    pub table: Arc<dyn Table>,
    pub delivery: Client,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CancelDelivery<'a> {
    reservation_id: &'a str,
    product_id: &'a str,
    customer_id: &'a str,
    correlation_id: &'a str,
}

/// `POST /reservations/{reservationId}/cancel` → 200 `Canceled`, owner only.
///
/// Delivery is canceled first, synchronously, through the circuit breaker
/// (the seed: no cancel without the delivery's); only then is the
/// reservation. Delivery down, slow or the circuit open → `503` with
/// `Retry-After`, and the reservation as it was. Delivered already → `409`.
pub async fn cancel_reservation(cancel: Cancel, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "reservationId")?;
    let table = &*cancel.table;
    let reservation = owned(table, &caller, &id).await?;
    match reservation.status {
        Some(status) if !status.cancelable() => return Err(refused(ReservationError::NotCancelable(status))),
        Some(_) => {}
        None => return Err(ApiError::not_found("reservation", &id)),
    }
    let request = CancelDelivery {
        reservation_id: &id,
        product_id: &reservation.product_id,
        customer_id: &reservation.customer_id,
        correlation_id: &id,
    };
    cancel.delivery.call::<_, serde_json::Value>(&request).await.map_err(|e| match e {
        CallError::Unavailable(error) => error,
        CallError::Refused(refusal) if refusal.status == 409 => ApiError::conflict(
            "invalid_state",
            "The book is already delivered; a delivered reservation cannot be canceled.",
        ),
        CallError::Refused(refusal) => refusal.unexpected("delivery_refused"),
    })?;
    let origin = Origin { source: SOURCE, correlation_id: id.clone() };
    let done = execute::<Reservation, _>(table, &id, &origin, None, |_| Command::Cancel)
        .await
        .map_err(|e| ApiError::from_execute(e, refused))?;
    tracing::info!(reservation_id = %id, "reservation canceled");
    http::ok(&ReservationView::from(&done.aggregate.state))
}
