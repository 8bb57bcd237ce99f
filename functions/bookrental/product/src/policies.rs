//! Lilac stickies of the product context: a reservation takes a copy (or
//! meets a shortage); a canceled delivery gives its copy back.

use std::sync::Arc;

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::{StoreError, Table};
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::product::{Allocation, AllocationEvent, AllocationStatus, Command, Product, ProductEvent};

pub const DECREASE_STOCK: &str = "decrease-stock";
pub const RESTORE_STOCK: &str = "restore-stock";

/// The events product reacts to, as it reads them.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    Reserved { reservation_id: String, product_id: String, customer_id: String },
    DeliveryCanceled { reservation_id: String, product_id: String },
}

fn invalid(e: impl std::fmt::Display) -> CommitError {
    CommitError::Store(StoreError::Invalid(e.to_string()))
}

/// `Reserved` → `StockDecreased` (a copy taken for the reservation) or
/// `StockShortage`; nothing if the reservation was already canceled.
pub async fn decrease_stock(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let table = &*table;
    let Some(Inbound::Reserved { reservation_id, product_id, customer_id }) = envelope.open()? else {
        return Ok(());
    };
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    settle(
        retry_stale(|| async {
            let mut allocation = load::<Allocation>(table, &reservation_id).await.map_err(CommitError::Store)?;
            if let Some(status) = allocation.state.status {
                tracing::info!(reservation_id, ?status, "product already answered this reservation");
                return Ok(());
            }
            let mut product = load::<Product>(table, &product_id).await.map_err(CommitError::Store)?;
            let events = if product.exists() {
                product
                    .state
                    .handle(Command::Take { reservation_id: reservation_id.clone(), customer_id: customer_id.clone() })
                    .map_err(invalid)?
            } else {
                vec![ProductEvent::StockShortage {
                    product_id: product_id.clone(),
                    reservation_id: reservation_id.clone(),
                }]
            };
            let mut commit = Commit::new();
            let record = if matches!(events.first(), Some(ProductEvent::StockDecreased { .. })) {
                commit.aggregate(&mut product, &events, &origin)?;
                AllocationEvent::CopyTaken {
                    reservation_id: reservation_id.clone(),
                    product_id: product_id.clone(),
                    customer_id: customer_id.clone(),
                }
            } else {
                // A shortage changes no stock: only the answer goes out.
                for event in &events {
                    commit.emit(Envelope::wrap(event, &origin, product.version)?);
                }
                AllocationEvent::CopyShort {
                    reservation_id: reservation_id.clone(),
                    product_id: product_id.clone(),
                    customer_id: customer_id.clone(),
                }
            };
            commit.save(&mut allocation, &[record])?;
            commit.consumed(DECREASE_STOCK, &envelope.event_id);
            commit.submit(table).await.map(|_| ())
        })
        .await,
    )
}

/// `DeliveryCanceled` → the copy taken for that reservation goes back
/// (`StockIncreased`), once; if none was taken yet, none ever will be.
pub async fn restore_stock(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let table = &*table;
    let Some(Inbound::DeliveryCanceled { reservation_id, product_id }) = envelope.open()? else {
        return Ok(());
    };
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
                        .map_err(invalid)?;
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
