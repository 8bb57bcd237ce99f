//! Lilac stickies of the reservation context: a shortage rejects the
//! reservation; delivery's progress shows on it.

use std::sync::Arc;

use framework::commit::{Inbox, execute, record};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::reservation::{Command, Reservation};

pub const REJECT_RESERVATION: &str = "reject-reservation";
pub const FOLLOW_DELIVERY: &str = "follow-delivery";

/// The events this context reacts to, as it reads them.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    StockShortage { reservation_id: String },
    DeliveryStarted { reservation_id: String },
    Delivered { reservation_id: String },
}

/// `StockShortage` → `ReservationRejected`.
pub async fn reject_reservation(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let Some(Inbound::StockShortage { reservation_id }) = envelope.open()? else {
        return Ok(());
    };
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: REJECT_RESERVATION, event_id: &envelope.event_id };
    execute::<Reservation, _>(&*table, &reservation_id, &origin, Some(inbox), |_| Command::Reject).await?;
    Ok(())
}

/// `DeliveryStarted` → `Delivering`; `Delivered` → `Delivered`.
pub async fn follow_delivery(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let (reservation_id, command) = match envelope.open()? {
        Some(Inbound::DeliveryStarted { reservation_id }) => (reservation_id, Command::DeliveryStarted),
        Some(Inbound::Delivered { reservation_id }) => (reservation_id, Command::Delivered),
        _ => return Ok(()),
    };
    let inbox = Inbox { consumer: FOLLOW_DELIVERY, event_id: &envelope.event_id };
    record::<Reservation, _>(&*table, &reservation_id, Some(inbox), |_| command.clone()).await?;
    Ok(())
}
