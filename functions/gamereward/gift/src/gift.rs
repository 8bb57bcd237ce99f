//! The Gift aggregate (yellow sticky): what a wallet entry was exchanged
//! for, `Issued` until its owner uses it.
//!
//! One gift per wallet entry: its id is derived from the entry's, so a
//! repeated issue (a retried exchange, a lost answer) returns the same gift.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "GiftStatus")]
pub enum Status {
    Issued,
    Used,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gift {
    pub gift_id: String,
    pub wallet_id: String,
    pub name: String,
    pub customer_id: String,
    /// The saga the gift belongs to, for the events it raises later.
    pub correlation_id: String,
    /// `None` before the gift is issued.
    pub status: Option<Status>,
}

pub fn gift_of_entry(wallet_id: &str) -> String {
    framework::derived_id("gift", wallet_id)
}

#[derive(Debug, Clone)]
pub enum Command {
    Issue { wallet_id: String, name: String, customer_id: String, correlation_id: String },
    Use,
}

/// The gift context's published language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum GiftEvent {
    GiftIssued {
        gift_id: String,
        wallet_id: String,
        name: String,
        customer_id: String,
        /// The caller's saga, kept for the events the gift raises later; it
        /// travels as the envelope's `correlationId`, not in the data.
        #[serde(skip)]
        correlation_id: String,
    },
    GiftUsed {
        gift_id: String,
        wallet_id: String,
        name: String,
        customer_id: String,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum GiftError {
    #[error("no such gift")]
    Unknown,
    #[error("the gift is already Used")]
    AlreadyUsed,
}

impl Aggregate for Gift {
    const TYPE: &'static str = "Gift";
    type Command = Command;
    type Event = GiftEvent;
    type Error = GiftError;

    fn handle(&self, command: Command) -> Result<Vec<GiftEvent>, GiftError> {
        let (gift_id, wallet_id, name, customer_id) =
            (self.gift_id.clone(), self.wallet_id.clone(), self.name.clone(), self.customer_id.clone());
        match (command, self.status) {
            (Command::Issue { wallet_id, name, customer_id, correlation_id }, None) => {
                Ok(vec![GiftEvent::GiftIssued {
                    gift_id: gift_of_entry(&wallet_id),
                    wallet_id,
                    name,
                    customer_id,
                    correlation_id,
                }])
            }
            // The entry's gift exists: the same one is the answer.
            (Command::Issue { .. }, Some(_)) => Ok(vec![]),
            (Command::Use, None) => Err(GiftError::Unknown),
            (Command::Use, Some(Status::Used)) => Err(GiftError::AlreadyUsed),
            (Command::Use, Some(Status::Issued)) => {
                Ok(vec![GiftEvent::GiftUsed { gift_id, wallet_id, name, customer_id }])
            }
        }
    }

    fn apply(&mut self, event: &GiftEvent) {
        match event {
            GiftEvent::GiftIssued { gift_id, wallet_id, name, customer_id, correlation_id } => {
                self.correlation_id = correlation_id.clone();
                self.gift_id = gift_id.clone();
                self.wallet_id = wallet_id.clone();
                self.name = name.clone();
                self.customer_id = customer_id.clone();
                self.status = Some(Status::Issued);
            }
            GiftEvent::GiftUsed { .. } => self.status = Some(Status::Used),
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

    fn issue() -> Command {
        Command::Issue {
            wallet_id: "w1".into(),
            name: "Coffee Coupon".into(),
            customer_id: "alice".into(),
            correlation_id: "m1".into(),
        }
    }

    fn issued() -> GiftEvent {
        GiftEvent::GiftIssued {
            gift_id: gift_of_entry("w1"),
            wallet_id: "w1".into(),
            name: "Coffee Coupon".into(),
            customer_id: "alice".into(),
            correlation_id: "m1".into(),
        }
    }

    #[test]
    fn a_wallet_entry_gets_one_gift() {
        let state = given::<Gift>([]).when(issue()).then_expect(vec![issued()]);
        assert_eq!(state.status, Some(Status::Issued));
        assert_eq!(state.correlation_id, "m1", "later events join the caller's saga");
        given::<Gift>([issued()]).when(issue()).then_expect(vec![]);
    }

    #[test]
    fn a_gift_is_used_once() {
        let used = GiftEvent::GiftUsed {
            gift_id: gift_of_entry("w1"),
            wallet_id: "w1".into(),
            name: "Coffee Coupon".into(),
            customer_id: "alice".into(),
        };
        let state = given::<Gift>([issued()]).when(Command::Use).then_expect(vec![used.clone()]);
        assert_eq!(state.status, Some(Status::Used));
        assert_eq!(given::<Gift>([issued(), used]).when(Command::Use).then_refuse(), GiftError::AlreadyUsed);
    }
}
