//! The routes of the delivery context, and the adapter of its internal
//! function: each turns its request into a typed command or query, and the
//! outcome into the contract's JSON. The context's own refusals become the
//! contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller, MAX_ID_LEN};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, CancelDelivery};
use crate::delivery::{Delivery, DeliveryError, Parcel, Status};
use crate::queries;
use framework::api::{Api, Param};

type Reply = Result<Response<Body>, ApiError>;

impl From<DeliveryError> for ApiError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Unknown => ApiError::not_found("delivery", ""),
            DeliveryError::Finished(status) => ApiError::conflict(
                "invalid_state",
                format!("The delivery is {status}; only a Started delivery can change."),
            ),
        }
    }
}

/// A delivery as the contract (and `cancel-delivery`'s reply) shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    delivery_id: String,
    reservation_id: String,
    product_id: String,
    status: Option<Status>,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            delivery_id: d.delivery_id.clone(),
            reservation_id: d.parcel.reservation_id.clone(),
            product_id: d.parcel.product_id.clone(),
            status: d.status,
        }
    }
}

/// What reservation sends (`cancel-delivery`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelDeliveryRequest {
    reservation_id: String,
    product_id: String,
    customer_id: String,
    correlation_id: String,
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::ok::<DeliveryView>("complete-delivery", "Mark a delivery as delivered").refuses(&[409]),
    Api::ok::<DeliveryView>("find-delivery", "The delivery of a reservation")
        .query(&[Param { name: "reservationId", description: "The reservation whose delivery is asked for." }])
        .refuses(&[404]),
];

/// `cancel-delivery` (internal, no route): `409` once delivered.
pub async fn cancel_delivery(table: Arc<dyn Table>, input: CancelDeliveryRequest) -> Result<DeliveryView, ApiError> {
    for (field, value) in
        [("reservationId", &input.reservation_id), ("productId", &input.product_id), ("customerId", &input.customer_id)]
    {
        if value.is_empty() || value.len() > MAX_ID_LEN {
            return Err(ApiError::invalid_field(field, format!("must be 1 to {MAX_ID_LEN} characters")));
        }
    }
    let command = CancelDelivery {
        parcel: Parcel {
            reservation_id: input.reservation_id,
            product_id: input.product_id,
            customer_id: input.customer_id,
        },
        correlation_id: input.correlation_id,
    };
    let delivery = commands::cancel_delivery(&*table, command).await?;
    Ok(DeliveryView::from(&delivery))
}

/// `POST /deliveries/{deliveryId}/complete` (staff) → 200 `Delivered`.
pub async fn complete_delivery(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the path is read: a customer learns nothing of its validation.
    caller.require_staff()?;
    let id = http::path_param(&request, "deliveryId")?;
    let delivery = commands::complete_delivery(&*table, &caller, &id).await?;
    http::ok(&DeliveryView::from(&delivery))
}

/// `GET /deliveries?reservationId=` (staff): the delivery of a reservation.
pub async fn find_delivery(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the query is read, as for `complete-delivery`.
    caller.require_staff()?;
    let reservation_id = http::query_param(&request, "reservationId")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::invalid_field("reservationId", "is required in the query"))?;
    if reservation_id.len() > MAX_ID_LEN {
        return Err(ApiError::not_found("delivery of reservation", "…"));
    }
    let delivery = queries::find_delivery(&*table, &caller, &reservation_id).await?;
    http::ok(&DeliveryView::from(&delivery))
}
