//! Lilac sticky `refund`: an order canceled or rejected, or whose stock ran
//! out, gets its money back (`PayCanceled`, with the reason), once; one
//! closed before any approval is remembered, so a late approval is refused.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::payment::{Command, Payment, RefundReason, payment_of};

pub const REFUND: &str = "refund";

/// Order's and product's events, as this policy reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    OrderCanceled { order_id: String },
    OrderRejected { order_id: String, reason: String },
    OutOfStock { order_id: String },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let (order_id, reason) = match event {
        Inbound::OrderCanceled { order_id } => (order_id, RefundReason::Canceled),
        Inbound::OutOfStock { order_id } => (order_id, RefundReason::OutOfStock),
        Inbound::OrderRejected { order_id, reason } if reason == "out_of_stock" => (order_id, RefundReason::OutOfStock),
        Inbound::OrderRejected { order_id, .. } => (order_id, RefundReason::NotRecorded),
    };
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: REFUND, event_id: &envelope.event_id };
    execute::<Payment, _>(&*table, &payment_of(&order_id), &origin, Some(inbox), |_| Command::Refund {
        order_id: order_id.clone(),
        reason,
    })
    .await?;
    Ok(())
}
