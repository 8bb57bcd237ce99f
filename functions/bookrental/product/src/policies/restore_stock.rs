//! Lilac sticky `restore-stock`: a canceled delivery gives its copy back.

use std::sync::Arc;

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::{StoreError, Table};
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::product::{Allocation, AllocationEvent, AllocationStatus, Command, Product};

pub const RESTORE_STOCK: &str = "restore-stock";

/// The delivery events this policy reads, as product reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    DeliveryCanceled { reservation_id: String, product_id: String },
}

/// `DeliveryCanceled` → the copy taken for that reservation goes back
/// (`StockIncreased`), once; if none was taken yet, none ever will be.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let Inbound::DeliveryCanceled { reservation_id, product_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    settle(
        retry_stale(|| async {
            let mut allocation = load::<Allocation>(table, &reservation_id).await.map_err(CommitError::Store)?;
            let release = AllocationEvent::CopyReleased {
                reservation_id: reservation_id.clone(),
                product_id: product_id.clone(),
            };
            let mut commit = Commit::new();
            match allocation.state.status {
                Some(AllocationStatus::Taken) => {
                    let mut product =
                        load::<Product>(table, &allocation.state.product_id).await.map_err(CommitError::Store)?;
                    let events = product
                        .state
                        .handle(Command::Restore { reservation_id: reservation_id.clone() })
                        .map_err(|e| CommitError::Store(StoreError::Invalid(e.to_string())))?;
                    commit.aggregate(&mut product, &events, &origin)?;
                    commit.save(&mut allocation, &[release])?;
                }
                None => {
                    tracing::info!(reservation_id, "canceled before any copy was taken: none will be");
                    commit.save(&mut allocation, &[release])?;
                }
                Some(status) => {
                    tracing::info!(reservation_id, ?status, "no copy to give back");
                    return Ok(());
                }
            }
            commit.consumed(RESTORE_STOCK, &envelope.event_id);
            commit.submit(table).await.map(|_| ())
        })
        .await,
    )
}
