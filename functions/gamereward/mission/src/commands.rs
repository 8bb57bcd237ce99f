//! Blue and lilac stickies of the mission context.

use std::sync::Arc;

use framework::commit::{Inbox, execute, load, record};
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use framework::{Envelope, Origin, PolicyError};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::mission::{Command, Mission, MissionError};

type Reply = Result<Response<Body>, ApiError>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissionView {
    mission_id: String,
    name: String,
    status: &'static str,
    reward_id: Option<String>,
}

impl From<&Mission> for MissionView {
    fn from(m: &Mission) -> Self {
        Self {
            mission_id: m.mission_id.clone(),
            name: m.name.clone(),
            status: m.status.map_or("Unknown", |s| s.as_str()),
            reward_id: m.reward_id.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AchieveMission {
    name: String,
}

/// `POST /missions {name}` → 201: the mission is achieved; its reward follows.
pub async fn achieve_mission(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let input: AchieveMission = http::body(&request)?;
    let name = http::text_field("name", &input.name, 100)?;
    let mission_id = framework::new_id();
    let origin = Origin { source: SOURCE, correlation_id: mission_id.clone() };
    let done = execute::<Mission, _>(&*table, &mission_id, &origin, None, |_| Command::Achieve {
        mission_id: mission_id.clone(),
        name: name.clone(),
        customer_id: caller.sub.clone(),
    })
    .await
    .map_err(refusal)?;
    tracing::info!(mission_id, "mission achieved");
    http::created(&format!("/missions/{mission_id}"), &MissionView::from(&done.aggregate.state))
}

/// `GET /missions/{missionId}`, owner only.
pub async fn get_mission(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "missionId")?;
    let mission = load::<Mission>(&*table, &id).await?;
    if !mission.exists() {
        return Err(ApiError::not_found("mission", &id));
    }
    caller.require_owner(&mission.state.customer_id, "mission")?;
    http::ok(&MissionView::from(&mission.state))
}

pub const RECORD_REWARD: &str = "record-reward";

/// Reward's news, as this context reads it.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum RewardNews {
    RewardAllocated { reward_id: String, mission_id: String },
}

/// `RewardAllocated` → the mission shows its `rewardId`.
pub async fn record_reward(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let Some(RewardNews::RewardAllocated { reward_id, mission_id }) = envelope.open()? else {
        return Ok(());
    };
    let inbox = Inbox { consumer: RECORD_REWARD, event_id: &envelope.event_id };
    record::<Mission, _>(&*table, &mission_id, Some(inbox), |_| Command::RecordReward { reward_id: reward_id.clone() })
        .await?;
    Ok(())
}

fn refusal(e: framework::commit::ExecuteError<MissionError>) -> ApiError {
    ApiError::from_execute(e, |refused| ApiError::conflict("invalid_state", refused.to_string()))
}
