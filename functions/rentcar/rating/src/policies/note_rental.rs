//! Lilac sticky `note-rental`: rating follows each rental (its renter, its
//! car, whether it is back), so it knows who may rate what, and when.

use std::sync::Arc;

use framework::commit::{Inbox, record};
use framework::store::Table;
use framework::{Envelope, PolicyError};
use serde::Deserialize;

use crate::rating::{Command, Rating, RentalNews, RentalStatus};

pub const NOTE_RENTAL: &str = "note-rental";

/// Rental's news, as rating reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    CarRented { rental_id: String, reservation_id: String, car_no: String, customer_id: String },
    CarReturned { rental_id: String, reservation_id: String, car_no: String, customer_id: String },
    RentalCanceled { rental_id: String, reservation_id: String, car_no: String, customer_id: String },
}

/// Each event → `RentalNoted` (recorded, not published), unless rating
/// already knows as much or more (a late or repeated event).
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let (status, rental_id, reservation_id, car_no, customer_id) = match event {
        Inbound::CarRented { rental_id, reservation_id, car_no, customer_id } => {
            (RentalStatus::Rented, rental_id, reservation_id, car_no, customer_id)
        }
        Inbound::CarReturned { rental_id, reservation_id, car_no, customer_id } => {
            (RentalStatus::Returned, rental_id, reservation_id, car_no, customer_id)
        }
        Inbound::RentalCanceled { rental_id, reservation_id, car_no, customer_id } => {
            (RentalStatus::Canceled, rental_id, reservation_id, car_no, customer_id)
        }
    };
    let news = RentalNews { rental_id: rental_id.clone(), reservation_id, car_no, customer_id, status };
    let inbox = Inbox { consumer: NOTE_RENTAL, event_id: &envelope.event_id };
    let done = record::<Rating, _>(&*table, &rental_id, Some(inbox), |_| Command::Note(news.clone())).await?;
    if done.events.is_empty() && !done.duplicate {
        tracing::info!(rental_id, known = ?done.aggregate.state.rental_status, heard = %status, "nothing new");
    }
    Ok(())
}
