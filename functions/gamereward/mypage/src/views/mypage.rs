//! The MyPage view (green sticky): one row per mission with the state of
//! its reward, wallet entry and gift, fed by the events of four contexts.
//!
//! The events come through one queue but not in order (each context relays
//! on its own), so each field only moves forward (`Allocated` before
//! `Exchanged`, `Issued` before `Used`): a late or repeated event changes
//! nothing, and the row converges whatever the order.

use std::sync::Arc;

use framework::store::{Key, Page, PageRequest, StoreError, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};

pub const MYPAGE_VIEW: &str = "mypage-view";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub mission_id: String,
    /// Stored, and left out of the answer (it is the caller).
    pub customer_id: String,
    pub mission_status: Option<String>,
    pub reward_id: Option<String>,
    pub reward_status: Option<String>,
    pub wallet_id: Option<String>,
    pub wallet_status: Option<String>,
    pub gift_id: Option<String>,
    pub gift_status: Option<String>,
}

/// The events this view reads (mission's, reward's, wallet's and gift's),
/// as it reads them.
#[derive(Debug, Clone, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    MissionAchieved { mission_id: String, customer_id: String },
    RewardAllocated { reward_id: String, mission_id: String, customer_id: String },
    RewardIssued { wallet_id: String, reward_id: String, mission_id: String, customer_id: String },
    RewardExchanged { wallet_id: String, reward_id: String, mission_id: String, gift_id: String, customer_id: String },
    GiftUsed { gift_id: String, customer_id: String },
}

/// The order each status moves in.
const STAGES: [&str; 5] = ["Achieved", "Allocated", "Issued", "Exchanged", "Used"];

fn stage(status: &str) -> usize {
    STAGES.iter().position(|s| *s == status).unwrap_or(0)
}

/// Moves `field` to `status` unless it is already there or further.
fn advance(field: &mut Option<String>, status: &str) {
    if field.as_deref().is_none_or(|current| stage(current) < stage(status)) {
        *field = Some(status.to_owned());
    }
}

fn fill(field: &mut Option<String>, value: String) {
    if field.is_none() {
        *field = Some(value);
    }
}

impl Row {
    /// The row after `event`.
    pub fn merge(&mut self, event: Inbound) {
        match event {
            Inbound::MissionAchieved { .. } => advance(&mut self.mission_status, "Achieved"),
            Inbound::RewardAllocated { reward_id, .. } => {
                fill(&mut self.reward_id, reward_id);
                advance(&mut self.reward_status, "Allocated");
            }
            Inbound::RewardIssued { wallet_id, reward_id, .. } => {
                fill(&mut self.reward_id, reward_id);
                fill(&mut self.wallet_id, wallet_id);
                // An entry is issued only for an allocated reward: the row
                // need not wait for `RewardAllocated` to show it.
                advance(&mut self.reward_status, "Allocated");
                advance(&mut self.wallet_status, "Issued");
            }
            Inbound::RewardExchanged { wallet_id, reward_id, gift_id, .. } => {
                fill(&mut self.reward_id, reward_id);
                fill(&mut self.wallet_id, wallet_id);
                fill(&mut self.gift_id, gift_id);
                advance(&mut self.reward_status, "Exchanged");
                advance(&mut self.wallet_status, "Exchanged");
                advance(&mut self.gift_status, "Issued");
            }
            Inbound::GiftUsed { gift_id, .. } => {
                fill(&mut self.gift_id, gift_id);
                advance(&mut self.gift_status, "Used");
            }
        }
    }
}

fn key(mission_id: &str) -> Key {
    Key::new(format!("MyPage#{mission_id}"), "ROW")
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    // Every event of a mission's saga carries the mission id as its
    // correlation id; gift's events know no mission, only that.
    let (mission_id, customer_id) = match &event {
        Inbound::MissionAchieved { mission_id, customer_id }
        | Inbound::RewardAllocated { mission_id, customer_id, .. }
        | Inbound::RewardIssued { mission_id, customer_id, .. }
        | Inbound::RewardExchanged { mission_id, customer_id, .. } => (mission_id.clone(), customer_id.clone()),
        Inbound::GiftUsed { customer_id, .. } => (envelope.correlation_id.clone(), customer_id.clone()),
    };
    if mission_id.is_empty() || mission_id.len() > framework::http::MAX_ID_LEN {
        return Err(PolicyError::Poison(format!("{} without a usable mission id", envelope.event_type)));
    }
    framework::view::merge(
        table,
        key(&mission_id),
        MYPAGE_VIEW,
        &envelope,
        || Row { mission_id: mission_id.clone(), customer_id: customer_id.clone(), ..Row::default() },
        |row: &mut Row| row.merge(event.clone()),
        |row| Some(Key::new(framework::customer_partition(&row.customer_id), row.mission_id.clone())),
    )
    .await
}

/// A page of the customer's rows, newest mission first; an unreadable row is
/// skipped.
pub async fn rows_of(table: &dyn Table, customer_id: &str, page: &PageRequest) -> Result<Page<Row>, StoreError> {
    framework::view::customer_rows(table, customer_id, page).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events() -> Vec<Inbound> {
        let (m, c) = ("m1".to_owned(), "alice".to_owned());
        vec![
            Inbound::MissionAchieved { mission_id: m.clone(), customer_id: c.clone() },
            Inbound::RewardAllocated { reward_id: "r1".into(), mission_id: m.clone(), customer_id: c.clone() },
            Inbound::RewardIssued {
                wallet_id: "w1".into(),
                reward_id: "r1".into(),
                mission_id: m.clone(),
                customer_id: c.clone(),
            },
            Inbound::RewardExchanged {
                wallet_id: "w1".into(),
                reward_id: "r1".into(),
                mission_id: m.clone(),
                gift_id: "g1".into(),
                customer_id: c.clone(),
            },
            Inbound::GiftUsed { gift_id: "g1".into(), customer_id: c },
        ]
    }

    fn merged(order: &[usize]) -> Row {
        let all = events();
        let mut row = Row { mission_id: "m1".into(), customer_id: "alice".into(), ..Row::default() };
        for &i in order {
            row.merge(all[i].clone());
        }
        row
    }

    #[test]
    fn the_row_converges_whatever_order_the_events_arrive_in() {
        let in_order = merged(&[0, 1, 2, 3, 4]);
        assert_eq!(in_order.reward_status.as_deref(), Some("Exchanged"));
        assert_eq!(in_order.wallet_status.as_deref(), Some("Exchanged"));
        assert_eq!(in_order.gift_status.as_deref(), Some("Used"));
        for order in [[4, 3, 2, 1, 0], [2, 4, 0, 3, 1], [3, 1, 4, 0, 2]] {
            assert_eq!(merged(&order), in_order, "order {order:?}");
        }
    }

    #[test]
    fn a_repeated_event_changes_nothing() {
        assert_eq!(merged(&[0, 1, 2, 3, 4, 1, 2, 3]), merged(&[0, 1, 2, 3, 4]));
    }
}
