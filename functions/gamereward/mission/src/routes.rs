//! The routes of the mission context: each turns its request into a typed
//! command or query, and the outcome into the contract's JSON. The context's
//! own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, AchieveMission};
use crate::mission::{Mission, MissionError, Status};
use crate::queries;
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

impl From<MissionError> for ApiError {
    fn from(e: MissionError) -> Self {
        ApiError::conflict("invalid_state", e.to_string())
    }
}

/// A mission as the contract shows it (`rewardId` is `null` until reward
/// has allocated one).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MissionView<'a> {
    mission_id: &'a str,
    name: &'a str,
    status: Option<Status>,
    reward_id: Option<&'a str>,
}

impl<'a> From<&'a Mission> for MissionView<'a> {
    fn from(m: &'a Mission) -> Self {
        Self { mission_id: &m.mission_id, name: &m.name, status: m.status, reward_id: m.reward_id.as_deref() }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct AchieveBody {
    #[schemars(length(max = 100), pattern(http::NOT_BLANK))]
    #[schemars(example = "First Quest")]
    name: String,
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::created::<MissionView>("achieve-mission", "Achieve a mission; a reward follows by events")
        .body::<AchieveBody>(),
    Api::ok::<MissionView>("get-mission", "One of one's missions"),
];

/// `POST /missions {name}` → 201: the mission is achieved; its reward follows.
pub async fn achieve_mission(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let input: AchieveBody = http::body(&request)?;
    let command = AchieveMission { name: http::text_field("name", &input.name, 100)? };
    let mission = commands::achieve_mission(&*table, &caller, command).await?;
    http::created(&format!("/missions/{}", mission.mission_id), &MissionView::from(&mission))
}

/// `GET /missions/{missionId}`, owner only.
pub async fn get_mission(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "missionId")?;
    let mission = queries::get_mission(&*table, &caller, &id).await?;
    http::ok(&MissionView::from(&mission))
}
