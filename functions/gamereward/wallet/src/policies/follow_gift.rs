//! Lilac sticky `follow-gift`: a gift issued for a wallet entry exchanges
//! it, whether or not the exchange that asked for it lived to record it (a
//! call that timed out while gift still issued, a commit lost after the
//! call): the synchronous step's own event makes the entry converge.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::wallet::{Command, WalletEntry};

pub const FOLLOW_GIFT: &str = "follow-gift";

/// Gift's events, as this policy reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    GiftIssued { gift_id: String, wallet_id: String, name: String },
}

/// `GiftIssued` → the entry `Exchanged` with that gift (`RewardExchanged`), once.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::GiftIssued { gift_id, wallet_id, name } = event;
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: FOLLOW_GIFT, event_id: &envelope.event_id };
    execute::<WalletEntry, _>(&*table, &wallet_id, &origin, Some(inbox), |_| Command::Exchange {
        gift_id: gift_id.clone(),
        gift_name: name.clone(),
    })
    .await?;
    Ok(())
}
