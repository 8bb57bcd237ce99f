//! Lilac sticky `cancel-delivery`: a canceled or rejected order's parcel is
//! canceled, called back, or kept from ever being created.

use std::sync::Arc;

use framework::Aggregate;
use framework::commit::{Commit, CommitError, load, retry_stale};
use framework::queue::settle;
use framework::store::{StoreError, Table};
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::delivery::{Command, Delivery, delivery_of};

pub const CANCEL_DELIVERY: &str = "cancel-delivery";

/// Order's news, as delivery reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    OrderCanceled { order_id: String, customer_id: String },
    OrderRejected { order_id: String, customer_id: String },
}

/// `OrderCanceled` → `DeliveryCanceled` while `Prepared` or `Started`;
/// before the parcel exists, `DeliveryClosed` (recorded, not published),
/// so a late `DeliveryPrepared` never creates it; nothing once completed
/// or over. What is published follows the parcel as loaded, in one
/// transaction with the inbox, decided again on a lost race.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let (Inbound::OrderCanceled { order_id, customer_id } | Inbound::OrderRejected { order_id, customer_id }) = event;
    let origin = Origin { source: SOURCE, correlation_id: order_id.clone() };
    let delivery_id = delivery_of(&order_id);
    settle(
        retry_stale(|| async {
            let mut delivery = load::<Delivery>(table, &delivery_id).await.map_err(CommitError::Store)?;
            let cancel = Command::Cancel { order_id: order_id.clone(), customer_id: customer_id.clone() };
            let events =
                delivery.state.handle(cancel).map_err(|e| CommitError::Store(StoreError::Invalid(e.to_string())))?;
            if events.is_empty() {
                tracing::info!(order_id, status = ?delivery.state.status, "nothing to cancel");
                return Ok(());
            }
            let mut commit = Commit::new();
            for event in events.iter().filter(|e| e.is_published()) {
                commit.emit(Envelope::wrap(event, &origin, delivery.version + 1)?);
            }
            commit.save(&mut delivery, &events)?;
            commit.consumed(CANCEL_DELIVERY, &envelope.event_id);
            commit.submit(table).await.map(|_| ())
        })
        .await,
    )
}
