//! The Reward aggregate (yellow sticky): what a mission earned, `Allocated`
//! until its wallet entry is exchanged for a gift, then `Exchanged`.
//!
//! One reward per mission: its id is derived from the mission's
//! ([`framework::derived_id`]), so a second allocation names the same reward
//! and changes nothing.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "RewardStatus")]
pub enum Status {
    Allocated,
    Exchanged,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reward {
    pub reward_id: String,
    pub mission_id: String,
    pub customer_id: String,
    /// `None` before the reward is allocated.
    pub status: Option<Status>,
}

pub fn reward_of_mission(mission_id: &str) -> String {
    framework::derived_id("reward", mission_id)
}

#[derive(Debug, Clone)]
pub enum Command {
    Allocate { mission_id: String, customer_id: String },
    MarkExchanged,
}

/// The reward context's events. `RewardAllocated` is published;
/// `RewardMarkedExchanged` is the reward's own note of wallet's
/// `RewardExchanged`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum RewardEvent {
    RewardAllocated { reward_id: String, mission_id: String, customer_id: String },
    RewardMarkedExchanged { reward_id: String },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum RewardError {
    #[error("no such reward")]
    Unknown,
}

impl Aggregate for Reward {
    const TYPE: &'static str = "Reward";
    const RECORDED: &'static [&'static str] = &["RewardMarkedExchanged"];
    type Command = Command;
    type Event = RewardEvent;
    type Error = RewardError;

    fn handle(&self, command: Command) -> Result<Vec<RewardEvent>, RewardError> {
        match (command, self.status) {
            (Command::Allocate { mission_id, customer_id }, None) => Ok(vec![RewardEvent::RewardAllocated {
                reward_id: reward_of_mission(&mission_id),
                mission_id,
                customer_id,
            }]),
            (Command::Allocate { .. }, Some(_)) => Ok(vec![]),
            (Command::MarkExchanged, None) => Err(RewardError::Unknown),
            (Command::MarkExchanged, Some(Status::Exchanged)) => Ok(vec![]),
            (Command::MarkExchanged, Some(Status::Allocated)) => {
                Ok(vec![RewardEvent::RewardMarkedExchanged { reward_id: self.reward_id.clone() }])
            }
        }
    }

    fn apply(&mut self, event: &RewardEvent) {
        match event {
            RewardEvent::RewardAllocated { reward_id, mission_id, customer_id } => {
                *self = Self {
                    reward_id: reward_id.clone(),
                    mission_id: mission_id.clone(),
                    customer_id: customer_id.clone(),
                    status: Some(Status::Allocated),
                }
            }
            RewardEvent::RewardMarkedExchanged { .. } => self.status = Some(Status::Exchanged),
        }
    }

    fn owner(&self) -> Option<&str> {
        Some(&self.customer_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use framework::aggregate::given;

    fn allocate() -> Command {
        Command::Allocate { mission_id: "m1".into(), customer_id: "alice".into() }
    }

    fn allocated() -> RewardEvent {
        RewardEvent::RewardAllocated {
            reward_id: reward_of_mission("m1"),
            mission_id: "m1".into(),
            customer_id: "alice".into(),
        }
    }

    #[test]
    fn an_achieved_mission_gets_one_reward_whose_id_follows_from_the_mission() {
        let state = given::<Reward>([]).when(allocate()).then_expect(vec![allocated()]);
        assert_eq!(state.status, Some(Status::Allocated));
        assert_eq!(reward_of_mission("m1"), reward_of_mission("m1"));
        assert_ne!(reward_of_mission("m1"), reward_of_mission("m2"));
        given::<Reward>([allocated()]).when(allocate()).then_expect(vec![]);
    }

    #[test]
    fn an_exchanged_reward_is_marked_once() {
        let marked = RewardEvent::RewardMarkedExchanged { reward_id: reward_of_mission("m1") };
        let state = given::<Reward>([allocated()]).when(Command::MarkExchanged).then_expect(vec![marked.clone()]);
        assert_eq!(state.status, Some(Status::Exchanged));
        given::<Reward>([allocated(), marked]).when(Command::MarkExchanged).then_expect(vec![]);
        assert_eq!(given::<Reward>([]).when(Command::MarkExchanged).then_refuse(), RewardError::Unknown);
    }
}
