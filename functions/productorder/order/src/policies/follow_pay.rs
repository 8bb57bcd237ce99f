//! Lilac sticky `follow-pay`: what pay decided, heard by event.
//! `PayApproved` makes a `Pending` order `Ordered` (our own commit after the
//! call was lost) and rejects an `Abandoned` one (pay approved after we gave
//! up: pay then refunds it); `PayCanceled` for want of stock rejects the order.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::order::{Command, Order};

pub const FOLLOW_PAY: &str = "follow-pay";

/// Pay's events, as this policy reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    PayApproved { payment_id: String, order_id: String },
    PayCanceled { order_id: String, reason: String },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let (order_id, command) = match event {
        Inbound::PayApproved { payment_id, order_id } => (order_id, Command::Paid { payment_id }),
        Inbound::PayCanceled { order_id, reason } if reason == "out_of_stock" => (order_id, Command::RejectOutOfStock),
        // Refunds for a cancel or a rejection the order made itself.
        Inbound::PayCanceled { .. } => return Ok(()),
    };
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: FOLLOW_PAY, event_id: &envelope.event_id };
    execute::<Order, _>(&*table, &order_id, &origin, Some(inbox), |_| command.clone()).await?;
    Ok(())
}
