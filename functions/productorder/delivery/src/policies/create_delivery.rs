//! Lilac sticky `create-delivery`: the stock of an order is taken, so its
//! parcel is prepared.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::delivery::{Command, Delivery, Parcel, delivery_of};

pub const CREATE_DELIVERY: &str = "create-delivery";

/// Product's news, as delivery reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    DeliveryPrepared { order_id: String, item_cd: String, quantity: u64, address: String, customer_id: String },
}

/// `DeliveryPrepared` → the parcel is created `Prepared` (recorded, not
/// published: the world heard `DeliveryPrepared`), once per order. If the
/// order's cancel got here first (the parcel is closed), the parcel product
/// just prepared is canceled at once (`DeliveryCanceled`, published): the
/// customer center, which heard `DeliveryPrepared`, hears its end too.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::DeliveryPrepared { order_id, item_cd, quantity, address, customer_id } = event;
    let inbox = Inbox { consumer: CREATE_DELIVERY, event_id: &envelope.event_id };
    let parcel = Parcel { order_id: order_id.clone(), item_cd, quantity, address, customer_id };
    let origin = Origin { source: SOURCE, correlation_id: order_id.clone() };
    let create = |_: &_| Command::Create(parcel.clone());
    let done = execute::<Delivery, _>(&*table, &delivery_of(&order_id), &origin, Some(inbox), create).await?;
    if done.events.is_empty() && !done.duplicate {
        tracing::info!(order_id, status = ?done.aggregate.state.status, "parcel not created");
    }
    Ok(())
}
