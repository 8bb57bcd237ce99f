//! The WalletEntry aggregate (yellow sticky): a reward as it sits in the
//! customer's wallet, `Issued` until it is exchanged for a gift.
//!
//! One entry per reward: its id is derived from the reward's, so a second
//! `RewardAllocated` names the same entry and changes nothing.

use framework::Aggregate;
use framework::store::Key;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "WalletStatus")]
pub enum Status {
    Issued,
    Exchanged,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletEntry {
    pub wallet_id: String,
    pub reward_id: String,
    pub mission_id: String,
    pub customer_id: String,
    /// `None` before the entry is issued.
    pub status: Option<Status>,
    pub gift_id: Option<String>,
    pub gift_name: Option<String>,
}

pub fn entry_of_reward(reward_id: &str) -> String {
    framework::derived_id("wallet", reward_id)
}

#[derive(Debug, Clone)]
pub enum Command {
    Issue {
        reward_id: String,
        mission_id: String,
        customer_id: String,
    },
    /// Gift has issued `gift_id` for this entry (its answer to our call, or
    /// its `GiftIssued` heard by event).
    Exchange {
        gift_id: String,
        gift_name: String,
    },
}

/// The wallet context's published language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum WalletEvent {
    RewardIssued {
        wallet_id: String,
        reward_id: String,
        mission_id: String,
        customer_id: String,
    },
    RewardExchanged {
        wallet_id: String,
        reward_id: String,
        mission_id: String,
        gift_id: String,
        gift_name: String,
        customer_id: String,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum WalletError {
    #[error("no such wallet entry")]
    Unknown,
    #[error("the wallet entry is already Exchanged")]
    AlreadyExchanged,
}

impl WalletEntry {
    /// Whether an exchange may be tried (before gift is called).
    pub fn exchangeable(&self) -> Result<(), WalletError> {
        match self.status {
            None => Err(WalletError::Unknown),
            Some(Status::Exchanged) => Err(WalletError::AlreadyExchanged),
            Some(Status::Issued) => Ok(()),
        }
    }
}

impl Aggregate for WalletEntry {
    const TYPE: &'static str = "WalletEntry";
    type Command = Command;
    type Event = WalletEvent;
    type Error = WalletError;

    fn handle(&self, command: Command) -> Result<Vec<WalletEvent>, WalletError> {
        match command {
            Command::Issue { .. } if self.status.is_some() => Ok(vec![]),
            Command::Issue { reward_id, mission_id, customer_id } => Ok(vec![WalletEvent::RewardIssued {
                wallet_id: entry_of_reward(&reward_id),
                reward_id,
                mission_id,
                customer_id,
            }]),
            // The same gift again (our call's answer, and gift's event): one exchange.
            Command::Exchange { gift_id, .. }
                if self.status == Some(Status::Exchanged) && self.gift_id.as_deref() == Some(gift_id.as_str()) =>
            {
                Ok(vec![])
            }
            Command::Exchange { gift_id, gift_name } => {
                self.exchangeable()?;
                Ok(vec![WalletEvent::RewardExchanged {
                    wallet_id: self.wallet_id.clone(),
                    reward_id: self.reward_id.clone(),
                    mission_id: self.mission_id.clone(),
                    gift_id,
                    gift_name,
                    customer_id: self.customer_id.clone(),
                }])
            }
        }
    }

    fn apply(&mut self, event: &WalletEvent) {
        match event {
            WalletEvent::RewardIssued { wallet_id, reward_id, mission_id, customer_id } => {
                *self = Self {
                    wallet_id: wallet_id.clone(),
                    reward_id: reward_id.clone(),
                    mission_id: mission_id.clone(),
                    customer_id: customer_id.clone(),
                    status: Some(Status::Issued),
                    gift_id: None,
                    gift_name: None,
                }
            }
            WalletEvent::RewardExchanged { gift_id, gift_name, .. } => {
                self.status = Some(Status::Exchanged);
                self.gift_id = Some(gift_id.clone());
                self.gift_name = Some(gift_name.clone());
            }
        }
    }

    fn owner(&self) -> Option<&str> {
        Some(&self.customer_id)
    }

    /// Listed under its customer, in the order the missions were achieved.
    fn listed_under(&self) -> Option<Key> {
        Some(Key::new(
            framework::customer_partition(&self.customer_id),
            format!("{}#{}", self.mission_id, self.wallet_id),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use framework::aggregate::given;

    fn issued() -> WalletEvent {
        WalletEvent::RewardIssued {
            wallet_id: entry_of_reward("r1"),
            reward_id: "r1".into(),
            mission_id: "m1".into(),
            customer_id: "alice".into(),
        }
    }

    fn exchange() -> Command {
        Command::Exchange { gift_id: "g1".into(), gift_name: "Coffee Coupon".into() }
    }

    #[test]
    fn an_allocated_reward_is_issued_once() {
        let issue = || Command::Issue { reward_id: "r1".into(), mission_id: "m1".into(), customer_id: "alice".into() };
        let state = given::<WalletEntry>([]).when(issue()).then_expect(vec![issued()]);
        assert_eq!(state.status, Some(Status::Issued));
        given::<WalletEntry>([issued()]).when(issue()).then_expect(vec![]);
    }

    fn exchanged() -> WalletEvent {
        WalletEvent::RewardExchanged {
            wallet_id: entry_of_reward("r1"),
            reward_id: "r1".into(),
            mission_id: "m1".into(),
            gift_id: "g1".into(),
            gift_name: "Coffee Coupon".into(),
            customer_id: "alice".into(),
        }
    }

    #[test]
    fn an_issued_entry_is_exchanged_for_the_gift() {
        let state = given::<WalletEntry>([issued()]).when(exchange()).then_expect(vec![exchanged()]);
        assert_eq!((state.status, state.gift_id.as_deref()), (Some(Status::Exchanged), Some("g1")));
    }

    #[test]
    fn an_entry_is_exchanged_only_once() {
        // The same gift again (our call's answer and gift's event) is one exchange.
        given::<WalletEntry>([issued(), exchanged()]).when(exchange()).then_expect(vec![]);
        let other = Command::Exchange { gift_id: "g2".into(), gift_name: "Movie Ticket".into() };
        let refused = given::<WalletEntry>([issued(), exchanged()]).when(other).then_refuse();
        assert_eq!(refused, WalletError::AlreadyExchanged);
        assert_eq!(given::<WalletEntry>([]).when(exchange()).then_refuse(), WalletError::Unknown);
    }
}
