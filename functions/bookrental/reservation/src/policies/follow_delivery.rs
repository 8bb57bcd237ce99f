//! Lilac sticky `follow-delivery`: delivery's progress shows on the
//! reservation (recorded, not published).

use std::sync::Arc;

use framework::commit::{Inbox, record};
use framework::store::Table;
use framework::{Envelope, PolicyError};
use serde::Deserialize;

use crate::reservation::{Command, Reservation};

pub const FOLLOW_DELIVERY: &str = "follow-delivery";

/// The delivery events this policy reads, as reservation reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    DeliveryStarted { reservation_id: String },
    Delivered { reservation_id: String },
}

/// `DeliveryStarted` → `Delivering`; `Delivered` → `Delivered`.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let (reservation_id, command) = match event {
        Inbound::DeliveryStarted { reservation_id } => (reservation_id, Command::DeliveryStarted),
        Inbound::Delivered { reservation_id } => (reservation_id, Command::Delivered),
    };
    let inbox = Inbox { consumer: FOLLOW_DELIVERY, event_id: &envelope.event_id };
    record::<Reservation, _>(&*table, &reservation_id, Some(inbox), |_| command.clone()).await?;
    Ok(())
}
