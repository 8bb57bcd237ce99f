//! Lilac stickies of the stock context: a requested reservation takes a
//! copy (or fails), a canceled one gives its copy back.

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;
use std::sync::Arc;

use crate::SOURCE;
use crate::stock::{Allocation, AllocationStatus, Command, Stock, StockEvent};

pub const RESERVE_STOCK: &str = "reserve-stock";
pub const RESTORE_STOCK: &str = "restore-stock";

/// The reservation events stock reacts to, as stock reads them.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum ReservationEvent {
    ReservationRequested { reservation_id: String, book_id: String },
    ReservationCanceled { reservation_id: String },
}

fn origin(envelope: &Envelope) -> Origin {
    Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() }
}

/// `ReservationRequested` → one copy set aside (`StockReserved`), or
/// `StockReservationFailed` when none is left or the book is unknown.
pub async fn reserve_stock(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let table = &*table;
    let Some(ReservationEvent::ReservationRequested { reservation_id, book_id }) = envelope.open()? else {
        return Ok(());
    };
    let origin = origin(&envelope);
    settle(
        retry_stale(|| async {
            let mut allocation = load::<Allocation>(table, &reservation_id).await.map_err(CommitError::Store)?;
            if allocation.exists() {
                tracing::info!(reservation_id, "stock already answered this reservation");
                return Ok(());
            }
            let mut stock = load::<Stock>(table, &book_id).await.map_err(CommitError::Store)?;
            let events = stock
                .state
                .handle(Command::Reserve { reservation_id: reservation_id.clone(), book_id: book_id.clone() })
                .expect("reserving never refuses");
            let mut commit = Commit::new();
            if matches!(events.first(), Some(StockEvent::StockReserved { .. })) {
                commit.aggregate(&mut stock, &events, &origin)?;
            } else {
                // A refusal changes no stock: only the answer goes out.
                for event in &events {
                    commit.emit(Envelope::wrap(event, &origin, stock.version)?);
                }
            }
            commit.save(&mut allocation, &events)?;
            commit.consumed(RESERVE_STOCK, &envelope.event_id);
            commit.submit(table).await.map(|_| ())
        })
        .await,
    )
}

/// `ReservationCanceled` → the copy taken for it goes back (`StockRestored`),
/// once, and only if one was taken.
pub async fn restore_stock(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let table = &*table;
    let Some(ReservationEvent::ReservationCanceled { reservation_id }) = envelope.open()? else {
        return Ok(());
    };
    let origin = origin(&envelope);
    settle(
        retry_stale(|| async {
            let mut allocation = load::<Allocation>(table, &reservation_id).await.map_err(CommitError::Store)?;
            if allocation.state.status != Some(AllocationStatus::Taken) {
                tracing::info!(reservation_id, status = ?allocation.state.status, "no copy to give back");
                return Ok(());
            }
            let mut stock = load::<Stock>(table, &allocation.state.book_id).await.map_err(CommitError::Store)?;
            let events = stock
                .state
                .handle(Command::Restore { reservation_id: reservation_id.clone() })
                .map_err(|e| CommitError::Store(framework::store::StoreError::Invalid(e.to_string())))?;
            let mut commit = Commit::new();
            commit.aggregate(&mut stock, &events, &origin)?;
            commit.save(&mut allocation, &events)?;
            commit.consumed(RESTORE_STOCK, &envelope.event_id);
            commit.submit(table).await.map(|_| ())
        })
        .await,
    )
}
