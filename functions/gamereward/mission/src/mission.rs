//! The Mission aggregate (yellow sticky): a mission a customer achieved,
//! which earns one reward. It learns the reward's id when reward allocates it.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "MissionStatus")]
pub enum Status {
    Achieved,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mission {
    pub mission_id: String,
    pub name: String,
    pub customer_id: String,
    /// `None` before the mission is achieved.
    pub status: Option<Status>,
    pub reward_id: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Command {
    Achieve { mission_id: String, name: String, customer_id: String },
    RecordReward { reward_id: String },
}

/// The mission context's events. Only `MissionAchieved` is published;
/// `RewardRecorded` is the mission's own note (the world heard
/// `RewardAllocated` already).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum MissionEvent {
    MissionAchieved { mission_id: String, name: String, customer_id: String },
    RewardRecorded { mission_id: String, reward_id: String },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum MissionError {
    #[error("mission already achieved")]
    AlreadyAchieved,
    #[error("no such mission")]
    Unknown,
}

impl Aggregate for Mission {
    const TYPE: &'static str = "Mission";
    const RECORDED: &'static [&'static str] = &["RewardRecorded"];
    type Command = Command;
    type Event = MissionEvent;
    type Error = MissionError;

    fn handle(&self, command: Command) -> Result<Vec<MissionEvent>, MissionError> {
        match (command, self.status) {
            (Command::Achieve { mission_id, name, customer_id }, None) => {
                Ok(vec![MissionEvent::MissionAchieved { mission_id, name, customer_id }])
            }
            (Command::Achieve { .. }, Some(_)) => Err(MissionError::AlreadyAchieved),
            (Command::RecordReward { .. }, None) => Err(MissionError::Unknown),
            // One reward per mission: the first one recorded stays.
            (Command::RecordReward { .. }, Some(_)) if self.reward_id.is_some() => Ok(vec![]),
            (Command::RecordReward { reward_id }, Some(_)) => {
                Ok(vec![MissionEvent::RewardRecorded { mission_id: self.mission_id.clone(), reward_id }])
            }
        }
    }

    fn apply(&mut self, event: &MissionEvent) {
        match event {
            MissionEvent::MissionAchieved { mission_id, name, customer_id } => {
                *self = Self {
                    mission_id: mission_id.clone(),
                    name: name.clone(),
                    customer_id: customer_id.clone(),
                    status: Some(Status::Achieved),
                    reward_id: None,
                }
            }
            MissionEvent::RewardRecorded { reward_id, .. } => self.reward_id = Some(reward_id.clone()),
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

    fn achieved() -> MissionEvent {
        MissionEvent::MissionAchieved {
            mission_id: "m1".into(),
            name: "First Quest".into(),
            customer_id: "alice".into(),
        }
    }

    #[test]
    fn achieving_a_mission_raises_mission_achieved_without_a_reward_yet() {
        let state = given::<Mission>([])
            .when(Command::Achieve { mission_id: "m1".into(), name: "First Quest".into(), customer_id: "alice".into() })
            .then_expect(vec![achieved()]);
        assert_eq!((state.status, state.reward_id), (Some(Status::Achieved), None));
    }

    #[test]
    fn the_first_reward_recorded_stays() {
        let recorded = MissionEvent::RewardRecorded { mission_id: "m1".into(), reward_id: "r1".into() };
        let state = given::<Mission>([achieved()])
            .when(Command::RecordReward { reward_id: "r1".into() })
            .then_expect(vec![recorded.clone()]);
        assert_eq!(state.reward_id.as_deref(), Some("r1"));
        given::<Mission>([achieved(), recorded])
            .when(Command::RecordReward { reward_id: "r2".into() })
            .then_expect(vec![]);
    }

    #[test]
    fn a_reward_for_an_unknown_mission_is_refused() {
        let refused = given::<Mission>([]).when(Command::RecordReward { reward_id: "r1".into() }).then_refuse();
        assert_eq!(refused, MissionError::Unknown);
    }
}
