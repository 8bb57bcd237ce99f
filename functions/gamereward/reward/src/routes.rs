//! The route of the reward context: it turns its request into a typed query,
//! and the outcome into the contract's JSON. The context's own refusals
//! become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::queries;
use crate::reward::{Reward, RewardError, Status};
use framework::api::Api;

impl From<RewardError> for ApiError {
    fn from(e: RewardError) -> Self {
        match e {
            RewardError::Unknown => ApiError::not_found("reward", ""),
        }
    }
}

/// A reward as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RewardView<'a> {
    reward_id: &'a str,
    mission_id: &'a str,
    status: Option<Status>,
}

impl<'a> From<&'a Reward> for RewardView<'a> {
    fn from(r: &'a Reward) -> Self {
        Self { reward_id: &r.reward_id, mission_id: &r.mission_id, status: r.status }
    }
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[Api::ok::<RewardView>("get-reward", "One of one's rewards")];

/// `GET /rewards/{rewardId}`, owner only.
pub async fn get_reward(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "rewardId")?;
    let reward = queries::get_reward(&*table, &caller, &id).await?;
    http::ok(&RewardView::from(&reward))
}
