//! Lilac sticky `follow-delivery`: delivery's progress shows on the
//! reservation (recorded, not published); a canceled delivery cancels the
//! reservation (published: `ReservationCanceled`), so a cancel whose call to
//! delivery succeeded converges even if its own commit was lost.

use std::sync::Arc;

use framework::commit::{Inbox, execute, record};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::reservation::{Command, Reservation};

pub const FOLLOW_DELIVERY: &str = "follow-delivery";

/// The delivery events this policy reads, as reservation reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    DeliveryStarted { reservation_id: String },
    Delivered { reservation_id: String },
    DeliveryCanceled { reservation_id: String },
}

/// `DeliveryStarted` → `Delivering`; `Delivered` → `Delivered`;
/// `DeliveryCanceled` → `Canceled`.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let inbox = Inbox { consumer: FOLLOW_DELIVERY, event_id: &envelope.event_id };
    let (reservation_id, command) = match event {
        Inbound::DeliveryStarted { reservation_id } => (reservation_id, Command::DeliveryStarted),
        Inbound::Delivered { reservation_id } => (reservation_id, Command::Delivered),
        Inbound::DeliveryCanceled { reservation_id } => {
            let origin = Origin { source: crate::SOURCE, correlation_id: envelope.correlation_id.clone() };
            execute::<Reservation, _>(&*table, &reservation_id, &origin, Some(inbox), |_| Command::DeliveryCanceled)
                .await?;
            return Ok(());
        }
    };
    record::<Reservation, _>(&*table, &reservation_id, Some(inbox), |_| command.clone()).await?;
    Ok(())
}
