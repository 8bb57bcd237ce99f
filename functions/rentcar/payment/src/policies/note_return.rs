//! Lilac sticky `note-return`: once the car is back, its payment can no
//! longer be canceled by the customer.

use std::sync::Arc;

use framework::commit::{Inbox, record};
use framework::store::Table;
use framework::{Envelope, PolicyError};
use serde::Deserialize;

use crate::payment::{Command, Payment, payment_of};

pub const NOTE_RETURN: &str = "note-return";

/// Rental's events, as this policy reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    CarReturned { reservation_id: String },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::CarReturned { reservation_id } = event;
    let inbox = Inbox { consumer: NOTE_RETURN, event_id: &envelope.event_id };
    record::<Payment, _>(&*table, &payment_of(&reservation_id), Some(inbox), |_| Command::NoteReturn).await?;
    Ok(())
}
