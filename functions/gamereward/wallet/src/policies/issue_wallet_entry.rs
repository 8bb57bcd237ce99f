//! Lilac sticky of the wallet context: an allocated reward lands in its
//! customer's wallet.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::wallet::{Command, WalletEntry, entry_of_reward};

pub const ISSUE_WALLET_ENTRY: &str = "issue-wallet-entry";

/// Reward's news, as this policy reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    RewardAllocated { reward_id: String, mission_id: String, customer_id: String },
}

/// `RewardAllocated` → one wallet entry (`RewardIssued`): its id follows
/// from the reward's, so a repeated event names the same entry.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::RewardAllocated { reward_id, mission_id, customer_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: ISSUE_WALLET_ENTRY, event_id: &envelope.event_id };
    execute::<WalletEntry, _>(&*table, &entry_of_reward(&reward_id), &origin, Some(inbox), |_| Command::Issue {
        reward_id: reward_id.clone(),
        mission_id: mission_id.clone(),
        customer_id: customer_id.clone(),
    })
    .await?;
    Ok(())
}
