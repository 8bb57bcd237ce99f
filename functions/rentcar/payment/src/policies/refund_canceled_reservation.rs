//! Lilac sticky `refund-canceled-reservation`: a canceled reservation's
//! approval is refunded (`PaymentCanceled`); one canceled before any
//! approval is closed here, so a late approval is refused.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::payment::{Command, Payment, payment_of};

pub const REFUND_CANCELED_RESERVATION: &str = "refund-canceled-reservation";

/// Reservation's events, as this policy reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    ReservationCanceled { reservation_id: String },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::ReservationCanceled { reservation_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: REFUND_CANCELED_RESERVATION, event_id: &envelope.event_id };
    execute::<Payment, _>(&*table, &payment_of(&reservation_id), &origin, Some(inbox), |_| Command::CloseReservation {
        reservation_id: reservation_id.clone(),
    })
    .await?;
    Ok(())
}
