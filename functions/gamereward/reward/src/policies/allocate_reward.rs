//! Lilac sticky of the reward context: an achieved mission earns one reward.

use std::sync::Arc;

use framework::commit::{Inbox, execute};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::reward::{Command, Reward, reward_of_mission};

pub const ALLOCATE_REWARD: &str = "allocate-reward";

/// Mission's news, as this policy reads it.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    MissionAchieved { mission_id: String, customer_id: String },
}

/// `MissionAchieved` → one reward (`RewardAllocated`): its id follows from
/// the mission's, so a repeated event names the same reward.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::MissionAchieved { mission_id, customer_id } = event;
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: ALLOCATE_REWARD, event_id: &envelope.event_id };
    let reward_id = reward_of_mission(&mission_id);
    execute::<Reward, _>(&*table, &reward_id, &origin, Some(inbox), |_| Command::Allocate {
        mission_id: mission_id.clone(),
        customer_id: customer_id.clone(),
    })
    .await?;
    Ok(())
}
