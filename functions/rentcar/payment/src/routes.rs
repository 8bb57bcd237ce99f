//! The route of the payment context, and the adapter of its internal
//! function: each turns its request into a typed command, and the outcome
//! into the contract's JSON. The context's own refusals become the
//! contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller, MAX_ID_LEN};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands;
use crate::payment::{Charge, Payment, PaymentError, Status};
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::ReservationClosed => {
                ApiError::conflict("reservation_closed", "The reservation is canceled; nothing is charged.")
            }
            PaymentError::NotCancelable(status) => ApiError::conflict(
                "invalid_state",
                format!("The payment is {status}; only an Approved one can be canceled."),
            ),
            PaymentError::CarReturned => {
                ApiError::conflict("invalid_state", "The car is returned; the payment can no longer be canceled.")
            }
            PaymentError::Unknown => ApiError::not_found("payment", ""),
        }
    }
}

/// A payment as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView<'a> {
    payment_id: &'a str,
    reservation_id: &'a str,
    amount: u64,
    status: Option<Status>,
}

impl<'a> From<&'a Payment> for PaymentView<'a> {
    fn from(p: &'a Payment) -> Self {
        Self { payment_id: &p.payment_id, reservation_id: &p.reservation_id, amount: p.amount, status: p.status }
    }
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] =
    &[Api::ok::<PaymentView>("cancel-payment", "Cancel one's approved payment; the reservation is canceled by events")
        .refuses(&[409])];

/// `POST /payments/{paymentId}/cancel` → 200, the payer only, until the car is returned.
pub async fn cancel_payment(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "paymentId")?;
    let payment = commands::cancel_payment(&*table, &caller, &id).await?;
    http::ok(&PaymentView::from(&payment))
}

/// What reservation's `pay` sends.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApproveRequest {
    reservation_id: String,
    car_no: String,
    customer_id: String,
    amount: u64,
    /// The reservation saga's, for the logs.
    #[serde(default)]
    #[allow(dead_code)]
    correlation_id: String,
}

/// What it answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approved {
    payment_id: String,
    status: Option<Status>,
}

/// `approve-payment` (internal, no route): `409 reservation_closed` for a
/// reservation canceled before.
pub async fn approve_payment(table: Arc<dyn Table>, input: ApproveRequest) -> Result<Approved, ApiError> {
    for (field, value) in
        [("reservationId", &input.reservation_id), ("carNo", &input.car_no), ("customerId", &input.customer_id)]
    {
        if value.is_empty() || value.len() > MAX_ID_LEN {
            return Err(ApiError::invalid_field(field, format!("must be 1 to {MAX_ID_LEN} characters")));
        }
    }
    if input.amount == 0 {
        return Err(ApiError::invalid_field("amount", "must be above 0"));
    }
    let charge = Charge {
        reservation_id: input.reservation_id,
        car_no: input.car_no,
        customer_id: input.customer_id,
        amount: input.amount,
    };
    let payment = commands::approve_payment(&*table, charge).await?;
    Ok(Approved { payment_id: payment.payment_id, status: payment.status })
}
