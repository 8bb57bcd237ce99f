//! Lilac sticky `cancel-delivery`: a canceled or rejected order's parcel is
//! canceled, called back, or kept from ever being created.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
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
/// or over. One transaction with the inbox, decided again on a lost race.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let (Inbound::OrderCanceled { order_id, customer_id } | Inbound::OrderRejected { order_id, customer_id }) = event;
    let origin = Origin { source: SOURCE, correlation_id: order_id.clone() };
    let inbox = Inbox { consumer: CANCEL_DELIVERY, event_id: &envelope.event_id };
    let cancel = Command::Cancel { order_id: order_id.clone(), customer_id };
    let done =
        execute::<Delivery, _>(&*table, &delivery_of(&order_id), &origin, Some(inbox), |_| cancel.clone()).await?;
    if done.events.is_empty() && !done.duplicate {
        tracing::info!(order_id, status = ?done.aggregate.state.status, "nothing to cancel");
    }
    Ok(())
}
