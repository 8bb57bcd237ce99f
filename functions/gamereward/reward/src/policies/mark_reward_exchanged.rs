//! Lilac sticky of the reward context: a reward whose wallet entry was
//! exchanged for a gift shows `Exchanged`.

use std::sync::Arc;

use framework::commit::{Inbox, record};
use framework::store::Table;
use framework::{Envelope, PolicyError};
use serde::Deserialize;

use crate::reward::{Command, Reward};

pub const MARK_REWARD_EXCHANGED: &str = "mark-reward-exchanged";

/// Wallet's news, as this policy reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    RewardExchanged { reward_id: String },
}

/// `RewardExchanged` → the reward's own note of it (recorded, not
/// published: the world heard wallet's event already).
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::RewardExchanged { reward_id } = event;
    let inbox = Inbox { consumer: MARK_REWARD_EXCHANGED, event_id: &envelope.event_id };
    record::<Reward, _>(&*table, &reward_id, Some(inbox), |_| Command::MarkExchanged).await?;
    Ok(())
}
