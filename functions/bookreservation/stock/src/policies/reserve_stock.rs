//! Lilac sticky `reserve-stock`: a requested reservation takes a copy, or
//! fails when none is left or the book is unknown.

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;
use std::sync::Arc;

use crate::SOURCE;
use crate::stock::{Allocation, Command, Stock, StockEvent};

pub const RESERVE_STOCK: &str = "reserve-stock";

/// The reservation events this policy reads, as stock reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    ReservationRequested { reservation_id: String, book_id: String },
}

/// `ReservationRequested` → one copy set aside (`StockReserved`), or
/// `StockReservationFailed` when none is left or the book is unknown.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let Inbound::ReservationRequested { reservation_id, book_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
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
