//! Lilac sticky `start-rental`: a paid reservation's car is handed over.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::rental::{Command, Payment, Rental, rental_of};

pub const START_RENTAL: &str = "start-rental";

/// Payment's news, as rental reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    PaymentApproved { payment_id: String, reservation_id: String, car_no: String, customer_id: String },
}

/// `PaymentApproved` → `CarRented`, once per reservation; nothing if the
/// payment's cancel got here first (the rental is closed).
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::PaymentApproved { payment_id, reservation_id, car_no, customer_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.clone() };
    let inbox = Inbox { consumer: START_RENTAL, event_id: &envelope.event_id };
    let payment = Payment { payment_id, reservation_id: reservation_id.clone(), car_no, customer_id };
    let done = execute::<Rental, _>(&*table, &rental_of(&reservation_id), &origin, Some(inbox), |_| {
        Command::Start(payment.clone())
    })
    .await?;
    if done.events.is_empty() && !done.duplicate {
        tracing::info!(reservation_id, status = ?done.aggregate.state.status, "rental not started");
    }
    Ok(())
}
