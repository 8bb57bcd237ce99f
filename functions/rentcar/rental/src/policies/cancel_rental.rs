//! Lilac sticky `cancel-rental`: a canceled payment ends its rental, or
//! keeps it from ever starting.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::rental::{Command, Payment, Rental, rental_of};

pub const CANCEL_RENTAL: &str = "cancel-rental";

/// Payment's news, as rental reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    PaymentCanceled { payment_id: String, reservation_id: String, car_no: String, customer_id: String },
}

/// `PaymentCanceled` → `RentalCanceled` while `Rented`; before the rental
/// started, `RentalClosed` (recorded, not published), so a late
/// `PaymentApproved` never starts it; nothing once returned or over. One
/// transaction with the inbox, decided again on a lost race.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::PaymentCanceled { payment_id, reservation_id, car_no, customer_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.clone() };
    let payment = Payment { payment_id, reservation_id: reservation_id.clone(), car_no, customer_id };
    let inbox = Inbox { consumer: CANCEL_RENTAL, event_id: &envelope.event_id };
    let done = execute::<Rental, _>(&*table, &rental_of(&reservation_id), &origin, Some(inbox), |_| {
        Command::Cancel(payment.clone())
    })
    .await?;
    if done.events.is_empty() && !done.duplicate {
        tracing::info!(reservation_id, status = ?done.aggregate.state.status, "nothing to cancel");
    }
    Ok(())
}
