//! Lilac sticky `follow-rental`: what became of the car. Rented counts in
//! the catalog's status; returned or canceled, the reservation stops holding
//! its days.

use std::sync::Arc;

use framework::commit::Inbox;
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::ledger::change;
use crate::reservation::{Command, RentalStatus};

pub const FOLLOW_RENTAL: &str = "follow-rental";

/// Rental's events, as this policy reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    CarRented { rental_id: String, reservation_id: String },
    CarReturned { rental_id: String, reservation_id: String },
    RentalCanceled { rental_id: String, reservation_id: String },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let (rental_id, reservation_id, status) = match event {
        Inbound::CarRented { rental_id, reservation_id } => (rental_id, reservation_id, RentalStatus::Rented),
        Inbound::CarReturned { rental_id, reservation_id } => (rental_id, reservation_id, RentalStatus::Returned),
        Inbound::RentalCanceled { rental_id, reservation_id } => (rental_id, reservation_id, RentalStatus::Canceled),
    };
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: FOLLOW_RENTAL, event_id: &envelope.event_id };
    change(&*table, &reservation_id, &origin, Some(inbox), |_| Command::FollowRental {
        rental_id: rental_id.clone(),
        status,
    })
    .await
    .map_err(crate::policy_error)?;
    Ok(())
}
