//! Blue sticky of the mission context as a typed command: what a route (or
//! a test) hands in, what the context decides. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::Refused;
use framework::store::Table;

use crate::SOURCE;
use crate::mission::{Command, Mission, MissionError};

pub type Outcome<T> = Result<T, Refused<MissionError>>;

/// `achieve-mission`: a mission the customer asking has achieved.
#[derive(Debug, Clone)]
pub struct AchieveMission {
    pub name: String,
}

/// The mission is `Achieved` now; its reward follows by events.
pub async fn achieve_mission(table: &dyn Table, caller: &Caller, command: AchieveMission) -> Outcome<Mission> {
    let mission_id = framework::new_id();
    let origin = Origin { source: SOURCE, correlation_id: mission_id.clone() };
    let done = execute::<Mission, _>(table, &mission_id, &origin, None, |_| Command::Achieve {
        mission_id: mission_id.clone(),
        name: command.name.clone(),
        customer_id: caller.sub.clone(),
    })
    .await?;
    tracing::info!(mission_id, "mission achieved");
    Ok(done.aggregate.state)
}
