//! Lilac sticky of the mission context: when reward allocates a mission's
//! reward, the mission shows its `rewardId`.

use std::sync::Arc;

use framework::commit::{Inbox, record};
use framework::store::Table;
use framework::{Envelope, PolicyError};
use serde::Deserialize;

use crate::mission::{Command, Mission};

pub const RECORD_REWARD: &str = "record-reward";

/// Reward's news, as this policy reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    RewardAllocated { reward_id: String, mission_id: String },
}

/// `RewardAllocated` → the mission's own note of it (recorded, not
/// published: the world heard `RewardAllocated` already).
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::RewardAllocated { reward_id, mission_id } = event;
    let inbox = Inbox { consumer: RECORD_REWARD, event_id: &envelope.event_id };
    record::<Mission, _>(&*table, &mission_id, Some(inbox), |_| Command::RecordReward { reward_id: reward_id.clone() })
        .await?;
    Ok(())
}
