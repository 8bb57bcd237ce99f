//! Lilac sticky `decrease-stock`: a reservation takes a copy, or meets a
//! shortage.

use std::sync::Arc;

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::{StoreError, Table};
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::product::{Allocation, AllocationEvent, Command, Product, ProductEvent};

pub const DECREASE_STOCK: &str = "decrease-stock";

/// The reservation events this policy reads, as product reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    Reserved { reservation_id: String, product_id: String, customer_id: String },
}

/// `Reserved` → `StockDecreased` (a copy taken for the reservation) or
/// `StockShortage`; nothing if the reservation was already canceled.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let Inbound::Reserved { reservation_id, product_id, customer_id } = event;
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
                    .map_err(|e| CommitError::Store(StoreError::Invalid(e.to_string())))?
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
