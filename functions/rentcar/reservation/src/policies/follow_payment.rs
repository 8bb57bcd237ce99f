//! Lilac sticky `follow-payment`: what payment decided, heard by event.
//! `PaymentApproved` makes a still-`Reserved` reservation `Paid` (so it
//! converges even when `pay`'s own commit failed after the approval);
//! `PaymentCanceled` cancels it (`payment_canceled`) and gives its days back.

use std::sync::Arc;

use framework::commit::Inbox;
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::ledger::change;
use crate::reservation::{CancelReason, Command};

pub const FOLLOW_PAYMENT: &str = "follow-payment";

/// Payment's events, as this policy reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    PaymentApproved { payment_id: String, reservation_id: String },
    PaymentCanceled { reservation_id: String },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let (reservation_id, command) = match event {
        Inbound::PaymentApproved { payment_id, reservation_id } => {
            (reservation_id, Command::FollowPayment { payment_id })
        }
        Inbound::PaymentCanceled { reservation_id } => (reservation_id, Command::Cancel(CancelReason::PaymentCanceled)),
    };
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: FOLLOW_PAYMENT, event_id: &envelope.event_id };
    change(&*table, &reservation_id, &origin, Some(inbox), |_| command.clone()).await.map_err(crate::policy_error)?;
    Ok(())
}
