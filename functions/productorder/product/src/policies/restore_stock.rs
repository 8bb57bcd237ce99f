//! Lilac sticky `restore-stock`: a canceled or rejected order gets back what
//! it took (a rejection for want of stock took nothing; one for an approval
//! that came after the order was given up may have).

use std::sync::Arc;

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::{StoreError, Table};
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::product::{Allocation, AllocationCommand, Command, Product};

pub const RESTORE_STOCK: &str = "restore-stock";

/// Order's news, as product reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    OrderCanceled { order_id: String, item_cd: String },
    OrderRejected { order_id: String, item_cd: String },
}

/// `OrderCanceled` → what was taken for the order goes back
/// (`StockRestored`), once. If nothing was taken yet, the allocation is
/// released so that nothing ever will be; if the order was short, nothing
/// happens. The stock, the allocation and the inbox commit together.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let (Inbound::OrderCanceled { order_id, item_cd } | Inbound::OrderRejected { order_id, item_cd }) = event;
    let origin = Origin { source: SOURCE, correlation_id: order_id.clone() };
    let refused = |e: crate::product::ProductError| CommitError::Store(StoreError::Invalid(e.to_string()));
    settle(
        retry_stale(|| async {
            let mut allocation = load::<Allocation>(table, &order_id).await.map_err(CommitError::Store)?;
            let release = AllocationCommand::Release { order_id: order_id.clone(), item_cd: item_cd.clone() };
            let released = allocation.state.handle(release).map_err(refused)?;
            if released.is_empty() {
                tracing::info!(order_id, status = ?allocation.state.status, "nothing to give back");
                return Ok(());
            }
            let mut commit = Commit::new();
            if allocation.state.holds_stock() {
                let mut product =
                    load::<Product>(table, &allocation.state.item_cd).await.map_err(CommitError::Store)?;
                let restore = Command::Restore { order_id: order_id.clone(), quantity: allocation.state.quantity };
                let events = product.state.handle(restore).map_err(refused)?;
                commit.aggregate(&mut product, &events, &origin)?;
            } else {
                tracing::info!(order_id, "canceled before any stock was taken: none will be");
            }
            commit.save(&mut allocation, &released)?;
            commit.consumed(RESTORE_STOCK, &envelope.event_id);
            commit.submit(table).await.map(|_| ())
        })
        .await,
    )
}
