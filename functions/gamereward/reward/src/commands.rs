//! Blue and lilac stickies of the reward context.

use std::sync::Arc;

use framework::commit::{Inbox, execute, load, record};
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::reward::{Command, Reward, reward_of_mission};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RewardView<'a> {
    reward_id: &'a str,
    mission_id: &'a str,
    status: &'static str,
}

/// `GET /rewards/{rewardId}`, owner only.
pub async fn get_reward(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "rewardId")?;
    let reward = load::<Reward>(&*table, &id).await?;
    if !reward.exists() {
        return Err(ApiError::not_found("reward", &id));
    }
    caller.require_owner(&reward.state.customer_id, "reward")?;
    let r = &reward.state;
    http::ok(&RewardView {
        reward_id: &r.reward_id,
        mission_id: &r.mission_id,
        status: r.status.map_or("Unknown", |s| s.as_str()),
    })
}

pub const ALLOCATE_REWARD: &str = "allocate-reward";
pub const MARK_REWARD_EXCHANGED: &str = "mark-reward-exchanged";

/// The events reward reacts to, as this context reads them.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    MissionAchieved { mission_id: String, customer_id: String },
    RewardExchanged { reward_id: String },
}

/// `MissionAchieved` → one reward (`RewardAllocated`).
pub async fn allocate_reward(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let Some(Inbound::MissionAchieved { mission_id, customer_id }) = envelope.open()? else {
        return Ok(());
    };
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

/// Wallet's `RewardExchanged` → the reward shows `Exchanged`.
pub async fn mark_reward_exchanged(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let Some(Inbound::RewardExchanged { reward_id }) = envelope.open()? else {
        return Ok(());
    };
    let inbox = Inbox { consumer: MARK_REWARD_EXCHANGED, event_id: &envelope.event_id };
    record::<Reward, _>(&*table, &reward_id, Some(inbox), |_| Command::MarkExchanged).await?;
    Ok(())
}
