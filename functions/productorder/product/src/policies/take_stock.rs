//! Lilac sticky `take-stock`: a paid order takes its quantity, or finds
//! too little.

use std::sync::Arc;

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::{StoreError, Table};
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::product::{Allocation, AllocationCommand, Command, Demand, Product, ProductEvent};

pub const TAKE_STOCK: &str = "take-stock";

/// Pay's news, as product reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    PayApproved { order_id: String, item_cd: String, quantity: u64, address: String, customer_id: String },
}

/// `PayApproved` → `DeliveryPrepared` (the quantity taken) or `OutOfStock`
/// (too little, or no such item: nothing taken), once per order. Nothing if
/// the order's cancel got here first (its allocation is released): the
/// order is canceled anyway. The stock, the allocation and the inbox commit
/// together; a lost race is decided again.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let Inbound::PayApproved { order_id, item_cd, quantity, address, customer_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: order_id.clone() };
    let demand = Demand { order_id: order_id.clone(), item_cd: item_cd.clone(), quantity, address, customer_id };
    let refused = |e: crate::product::ProductError| CommitError::Store(StoreError::Invalid(e.to_string()));
    settle(
        retry_stale(|| async {
            let mut allocation = load::<Allocation>(table, &order_id).await.map_err(CommitError::Store)?;
            if let Some(status) = allocation.state.status {
                tracing::info!(order_id, %status, "product already answered this order, or it was canceled first");
                return Ok(());
            }
            let mut product = load::<Product>(table, &item_cd).await.map_err(CommitError::Store)?;
            let events = product.state.handle(Command::Take(demand.clone())).map_err(refused)?;
            let mut commit = Commit::new();
            let record = if matches!(events.first(), Some(ProductEvent::DeliveryPrepared { .. })) {
                commit.aggregate(&mut product, &events, &origin)?;
                AllocationCommand::Take { order_id: order_id.clone(), item_cd: item_cd.clone(), quantity }
            } else {
                // Too little changes no stock: only the answer goes out.
                for event in &events {
                    commit.emit(Envelope::wrap(event, &origin, product.version)?);
                }
                tracing::info!(order_id, item_cd, quantity, on_hand = product.state.quantity, "out of stock");
                AllocationCommand::Short { order_id: order_id.clone(), item_cd: item_cd.clone(), quantity }
            };
            let recorded = allocation.state.handle(record).map_err(refused)?;
            commit.save(&mut allocation, &recorded)?;
            commit.consumed(TAKE_STOCK, &envelope.event_id);
            commit.submit(table).await.map(|_| ())
        })
        .await,
    )
}
