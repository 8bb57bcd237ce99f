//! Stickies of the delivery context: its policy, its internal function and
//! the staff's commands.

use std::sync::Arc;

use framework::commit::{Inbox, execute, load};
use framework::http::{self, ApiError, Caller, MAX_ID_LEN};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::delivery::{Command, Delivery, DeliveryError, Parcel, delivery_of};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    delivery_id: String,
    reservation_id: String,
    product_id: String,
    status: &'static str,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            delivery_id: d.delivery_id.clone(),
            reservation_id: d.parcel.reservation_id.clone(),
            product_id: d.parcel.product_id.clone(),
            status: d.status.map_or("Unknown", |s| s.as_str()),
        }
    }
}

fn refused(e: DeliveryError) -> ApiError {
    match e {
        DeliveryError::Unknown => ApiError::not_found("delivery", ""),
        DeliveryError::Finished(status) => ApiError::conflict(
            "invalid_state",
            format!("The delivery is {}; only a Started delivery can change.", status.as_str()),
        ),
    }
}

pub const START_DELIVERY: &str = "start-delivery";

/// Product's news, as this context reads it.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum ProductNews {
    StockDecreased { reservation_id: String, product_id: String, customer_id: String },
}

/// `StockDecreased` → the delivery starts (`DeliveryStarted`), unless the
/// reservation's cancel got here first.
pub async fn start_delivery(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let Some(ProductNews::StockDecreased { reservation_id, product_id, customer_id }) = envelope.open()? else {
        return Ok(());
    };
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: START_DELIVERY, event_id: &envelope.event_id };
    let parcel = Parcel { reservation_id: reservation_id.clone(), product_id, customer_id };
    let done = execute::<Delivery, _>(&*table, &delivery_of(&reservation_id), &origin, Some(inbox), |_| {
        Command::Start(parcel.clone())
    })
    .await?;
    if done.events.is_empty() && !done.duplicate {
        tracing::info!(reservation_id, status = ?done.aggregate.state.status, "delivery not started");
    }
    Ok(())
}

/// What reservation sends (`cancel-delivery`): a service call, not a user's.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelDelivery {
    reservation_id: String,
    product_id: String,
    customer_id: String,
    correlation_id: String,
}

/// Cancels the reservation's delivery (`DeliveryCanceled`), whether it has
/// started or not yet; `409` once delivered. Canceling twice is one cancel.
pub async fn cancel_delivery(table: Arc<dyn Table>, input: CancelDelivery) -> Result<DeliveryView, ApiError> {
    for (field, value) in
        [("reservationId", &input.reservation_id), ("productId", &input.product_id), ("customerId", &input.customer_id)]
    {
        if value.is_empty() || value.len() > MAX_ID_LEN {
            return Err(ApiError::invalid_field(field, format!("must be 1 to {MAX_ID_LEN} characters")));
        }
    }
    let origin = Origin { source: SOURCE, correlation_id: input.correlation_id.clone() };
    let parcel = Parcel {
        reservation_id: input.reservation_id.clone(),
        product_id: input.product_id.clone(),
        customer_id: input.customer_id.clone(),
    };
    let done = execute::<Delivery, _>(&*table, &delivery_of(&input.reservation_id), &origin, None, |_| {
        Command::Cancel(parcel.clone())
    })
    .await
    .map_err(|e| ApiError::from_execute(e, refused))?;
    tracing::info!(reservation_id = %input.reservation_id, "delivery canceled");
    Ok(DeliveryView::from(&done.aggregate.state))
}

/// `POST /deliveries/{deliveryId}/complete` (staff) → 200 `Delivered`.
pub async fn complete_delivery(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    caller.require_staff()?;
    let id = http::path_param(&request, "deliveryId")?;
    let delivery = load::<Delivery>(&*table, &id).await?;
    if !delivery.exists() {
        return Err(ApiError::not_found("delivery", &id));
    }
    let origin = Origin { source: SOURCE, correlation_id: delivery.state.parcel.reservation_id.clone() };
    let done = execute::<Delivery, _>(&*table, &id, &origin, None, |_| Command::Complete)
        .await
        .map_err(|e| ApiError::from_execute(e, refused))?;
    http::ok(&DeliveryView::from(&done.aggregate.state))
}

/// `GET /deliveries?reservationId=` (staff): the delivery of a reservation.
pub async fn find_delivery(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    caller.require_staff()?;
    let reservation_id = http::query_param(&request, "reservationId")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::invalid_field("reservationId", "is required in the query"))?;
    if reservation_id.len() > MAX_ID_LEN {
        return Err(ApiError::not_found("delivery of reservation", "…"));
    }
    let delivery = load::<Delivery>(&*table, &delivery_of(&reservation_id)).await?;
    if !delivery.exists() {
        return Err(ApiError::not_found("delivery of reservation", &reservation_id));
    }
    http::ok(&DeliveryView::from(&delivery.state))
}
