//! Lilac sticky `restore-stock`: a canceled reservation gives its copy back.

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;
use std::sync::Arc;

use crate::SOURCE;
use crate::stock::{Allocation, AllocationStatus, Command, Stock};

pub const RESTORE_STOCK: &str = "restore-stock";

/// The reservation events this policy reads, as stock reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    ReservationCanceled { reservation_id: String },
}

/// `ReservationCanceled` → the copy taken for it goes back (`StockRestored`),
/// once, and only if one was taken.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let Inbound::ReservationCanceled { reservation_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
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
