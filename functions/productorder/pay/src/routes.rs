//! The adapter of the pay context's internal function: the request JSON
//! into a typed charge, the outcome into the reply. The context's refusals
//! become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{ApiError, MAX_ID_LEN};
use framework::store::Table;
use serde::{Deserialize, Serialize};

use crate::commands;
use crate::payment::{Charge, PaymentError, Status};

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::OrderClosed => ApiError::conflict("order_closed", "The order is closed; nothing is charged."),
        }
    }
}

/// What order's `place-order` sends.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApproveRequest {
    order_id: String,
    item_cd: String,
    quantity: u64,
    address: String,
    customer_id: String,
    amount: u64,
    /// The order saga's, for the logs (read by the call's span).
    #[serde(default, rename = "correlationId")]
    _correlation_id: String,
}

/// What it answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approved {
    payment_id: String,
    status: Option<Status>,
}

/// `approve-pay` (internal, no route): `409 order_closed` for an order
/// canceled or rejected before.
pub async fn approve_pay(table: Arc<dyn Table>, input: ApproveRequest) -> Result<Approved, ApiError> {
    for (field, value) in [("orderId", &input.order_id), ("itemCd", &input.item_cd), ("customerId", &input.customer_id)]
    {
        if value.is_empty() || value.len() > MAX_ID_LEN {
            return Err(ApiError::invalid_field(field, format!("must be 1 to {MAX_ID_LEN} characters")));
        }
    }
    if input.quantity == 0 || input.amount == 0 {
        return Err(ApiError::invalid_field("amount", "must be above 0"));
    }
    let charge = Charge {
        order_id: input.order_id,
        item_cd: input.item_cd,
        quantity: input.quantity,
        address: input.address,
        customer_id: input.customer_id,
        amount: input.amount,
    };
    let payment = commands::approve_pay(&*table, charge).await?;
    Ok(Approved { payment_id: payment.payment_id, status: payment.status })
}
