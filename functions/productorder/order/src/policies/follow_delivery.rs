//! Lilac sticky `follow-delivery`: the parcel's progress shows on the order
//! (recorded, not published): prepared, shipping, delivered, forward only.

use std::sync::Arc;

use framework::commit::{Inbox, record};
use framework::store::Table;
use framework::{Envelope, PolicyError};
use serde::Deserialize;

use crate::order::{Command, Order, Status};

pub const FOLLOW_DELIVERY: &str = "follow-delivery";

/// Product's and delivery's events, as this policy reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    DeliveryPrepared { order_id: String },
    DeliveryStarted { order_id: String },
    DeliveryCompleted { order_id: String },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let (order_id, status) = match event {
        Inbound::DeliveryPrepared { order_id } => (order_id, Status::Prepared),
        Inbound::DeliveryStarted { order_id } => (order_id, Status::Shipping),
        Inbound::DeliveryCompleted { order_id } => (order_id, Status::Delivered),
    };
    let inbox = Inbox { consumer: FOLLOW_DELIVERY, event_id: &envelope.event_id };
    record::<Order, _>(&*table, &order_id, Some(inbox), |_| Command::Follow(status)).await?;
    Ok(())
}
