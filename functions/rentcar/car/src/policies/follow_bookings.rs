//! Lilac sticky `follow-bookings`: car learns which reservations hold each
//! of its cars, so it deletes a car only when none does.

use std::sync::Arc;

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::{StoreError, Table};
use framework::{Envelope, PolicyError};
use serde::Deserialize;

use crate::car::{Booking, BookingCommand, Car};

pub const FOLLOW_BOOKINGS: &str = "follow-bookings";

/// Reservation's and rental's news, as car reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    CarReserved { reservation_id: String, car_no: String },
    ReservationCanceled { reservation_id: String, car_no: String },
    CarReturned { reservation_id: String, car_no: String },
}

/// `CarReserved` books the car for the reservation; `ReservationCanceled`
/// and `CarReturned` release it. The booking's record and the car's count
/// commit together (with the inbox); the count moves only when the booking
/// starts or stops holding the car. News of a car that is not registered,
/// or deleted, is acknowledged and changes nothing.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let command = match event {
        Inbound::CarReserved { reservation_id, car_no } => BookingCommand::Book { car_no, reservation_id },
        Inbound::ReservationCanceled { reservation_id, car_no } | Inbound::CarReturned { reservation_id, car_no } => {
            BookingCommand::Release { car_no, reservation_id }
        }
    };
    let (BookingCommand::Book { car_no, reservation_id } | BookingCommand::Release { car_no, reservation_id }) =
        &command;
    settle(
        retry_stale(|| async {
            let mut booking = load::<Booking>(table, reservation_id).await.map_err(CommitError::Store)?;
            // The car the reservation booked, once known; the news names the same one.
            let car_no = if booking.state.car_no.is_empty() { car_no } else { &booking.state.car_no };
            let mut car = load::<Car>(table, car_no).await.map_err(CommitError::Store)?;
            if !car.state.in_service() {
                let status = car.state.status;
                tracing::info!(car_no, reservation_id, ?status, "not a car in service: nothing to follow");
                return Ok(());
            }
            let events = booking
                .state
                .handle(command.clone())
                .map_err(|e| CommitError::Store(StoreError::Invalid(e.to_string())))?;
            if events.is_empty() {
                tracing::info!(reservation_id, status = ?booking.state.status, "booking already settled");
                return Ok(());
            }
            let was_live = booking.state.is_live();
            let mut commit = Commit::new();
            commit.save(&mut booking, &events)?;
            if booking.state.is_live() != was_live {
                commit.save(&mut car, &events)?;
            }
            commit.consumed(FOLLOW_BOOKINGS, &envelope.event_id);
            commit.submit(table).await.map(|_| ())
        })
        .await,
    )
}
