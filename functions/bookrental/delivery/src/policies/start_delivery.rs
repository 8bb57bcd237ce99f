//! Lilac sticky `start-delivery`: a copy taken for a reservation goes out.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::delivery::{Command, Delivery, Parcel, delivery_of};

pub const START_DELIVERY: &str = "start-delivery";

/// The product events this policy reads, as delivery reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    StockDecreased { reservation_id: String, product_id: String, customer_id: String },
}

/// `StockDecreased` → the delivery starts (`DeliveryStarted`), unless the
/// reservation's cancel got here first.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::StockDecreased { reservation_id, product_id, customer_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: START_DELIVERY, event_id: &envelope.event_id };
    let parcel = Parcel { reservation_id: reservation_id.clone(), product_id, customer_id };
    let done = execute::<Delivery, _>(&*table, &delivery_of(&reservation_id), &origin, Some(inbox), |_| {
        Command::Start(parcel.clone())
    })
    .await?;
    if done.events.is_empty() && !done.duplicate {
        tracing::info!(reservation_id, status = ?done.aggregate.state.status, "delivery not started");
    }
    Ok(())
}
