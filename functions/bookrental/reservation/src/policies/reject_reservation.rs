//! Lilac sticky `reject-reservation`: a shortage rejects the reservation.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::reservation::{Command, Reservation};

pub const REJECT_RESERVATION: &str = "reject-reservation";

/// The product events this policy reads, as reservation reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    StockShortage { reservation_id: String },
}

/// `StockShortage` → `ReservationRejected`.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::StockShortage { reservation_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: REJECT_RESERVATION, event_id: &envelope.event_id };
    execute::<Reservation, _>(&*table, &reservation_id, &origin, Some(inbox), |_| Command::Reject).await?;
    Ok(())
}
