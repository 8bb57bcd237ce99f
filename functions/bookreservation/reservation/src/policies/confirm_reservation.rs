//! Lilac sticky of the reservation context: when stock answers, the
//! reservation is confirmed or failed.

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;
use std::sync::Arc;

use crate::SOURCE;
use crate::reservation::{Command, Reservation};

pub const CONFIRM_RESERVATION: &str = "confirm-reservation";

/// Stock's answers, as this context's policy reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    StockReserved { reservation_id: String },
    StockReservationFailed { reservation_id: String, reason: String },
}

/// `StockReserved` → `Reserved`; `StockReservationFailed` → `ReservationFailed`.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, answer: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let (reservation_id, command) = match answer {
        Inbound::StockReserved { reservation_id } => (reservation_id, Command::Confirm),
        Inbound::StockReservationFailed { reservation_id, reason } => (reservation_id, Command::Fail { reason }),
    };
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: CONFIRM_RESERVATION, event_id: &envelope.event_id };
    let done = execute::<Reservation, _>(table, &reservation_id, &origin, Some(inbox), |_| command.clone()).await?;
    if done.duplicate {
        tracing::info!(reservation_id, "already handled");
    }
    Ok(())
}
