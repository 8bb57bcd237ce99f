//! Lilac sticky `cancel-rental`: a canceled payment ends its rental, or
//! keeps it from ever starting.

use std::sync::Arc;

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::{StoreError, Table};
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::rental::{Command, Payment, Rental, rental_of};

pub const CANCEL_RENTAL: &str = "cancel-rental";

/// Payment's news, as rental reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    PaymentCanceled { payment_id: String, reservation_id: String, car_no: String, customer_id: String },
}

/// `PaymentCanceled` → `RentalCanceled` while `Rented`; before the rental
/// started, `RentalClosed` (recorded, not published), so a late
/// `PaymentApproved` never starts it; nothing once returned or over. The
/// decision and what is published follow the rental as loaded, in one
/// transaction with the inbox, decided again on a lost race.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let Inbound::PaymentCanceled { payment_id, reservation_id, car_no, customer_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.clone() };
    let payment = Payment { payment_id, reservation_id: reservation_id.clone(), car_no, customer_id };
    let rental_id = rental_of(&reservation_id);
    settle(
        retry_stale(|| async {
            let mut rental = load::<Rental>(table, &rental_id).await.map_err(CommitError::Store)?;
            let events = rental
                .state
                .handle(Command::Cancel(payment.clone()))
                .map_err(|e| CommitError::Store(StoreError::Invalid(e.to_string())))?;
            if events.is_empty() {
                tracing::info!(reservation_id, status = ?rental.state.status, "nothing to cancel");
                return Ok(());
            }
            let mut commit = Commit::new();
            for event in events.iter().filter(|e| e.is_published()) {
                commit.emit(Envelope::wrap(event, &origin, rental.version + 1)?);
            }
            commit.save(&mut rental, &events)?;
            commit.consumed(CANCEL_RENTAL, &envelope.event_id);
            commit.submit(table).await.map(|_| ())
        })
        .await,
    )
}
