//! The Payment aggregate (yellow sticky): one payment per order (its id is
//! derived from the order's), approved once, refunded at most once. An order
//! closed before any approval (canceled, rejected) is remembered, and a late
//! approval for it is refused.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
pub enum Status {
    Approved,
    Canceled,
}

/// Why a payment was refunded (`reason` of `PayCanceled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RefundReason {
    /// The customer canceled the order.
    Canceled,
    OutOfStock,
    /// The order was never recorded (its call timed out while pay approved).
    NotRecorded,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub payment_id: String,
    pub order_id: String,
    pub customer_id: String,
    pub amount: u64,
    /// `None` while nothing was approved.
    pub status: Option<Status>,
    /// The order was closed before any approval.
    pub order_closed: bool,
}

/// What is charged, and what the saga needs to know of the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    pub order_id: String,
    pub item_cd: String,
    pub quantity: u64,
    pub address: String,
    pub customer_id: String,
    pub amount: u64,
}

#[derive(Debug, Clone)]
pub enum Command {
    Approve(Charge),
    Refund { order_id: String, reason: RefundReason },
}

/// The pay context's published language, and what it records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum PaymentEvent {
    PayApproved {
        payment_id: String,
        order_id: String,
        item_cd: String,
        quantity: u64,
        address: String,
        customer_id: String,
        amount: u64,
    },
    PayCanceled {
        payment_id: String,
        order_id: String,
        customer_id: String,
        amount: u64,
        reason: RefundReason,
    },
    /// Recorded: the order was closed before any approval.
    OrderClosed {
        payment_id: String,
        order_id: String,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum PaymentError {
    #[error("the order is closed; nothing is charged")]
    OrderClosed,
}

/// One payment per order: the id every retry of the call names.
pub fn payment_of(order_id: &str) -> String {
    framework::derived_id("payment", order_id)
}

impl Aggregate for Payment {
    const TYPE: &'static str = "Payment";
    const RECORDED: &'static [&'static str] = &["OrderClosed"];
    type Command = Command;
    type Event = PaymentEvent;
    type Error = PaymentError;

    fn handle(&self, command: Command) -> Result<Vec<PaymentEvent>, PaymentError> {
        match command {
            // Approving again is the same approval: a retry never charges twice.
            Command::Approve(_) if self.status == Some(Status::Approved) => Ok(vec![]),
            Command::Approve(_) if self.order_closed || self.status.is_some() => Err(PaymentError::OrderClosed),
            Command::Approve(c) => Ok(vec![PaymentEvent::PayApproved {
                payment_id: payment_of(&c.order_id),
                order_id: c.order_id,
                item_cd: c.item_cd,
                quantity: c.quantity,
                address: c.address,
                customer_id: c.customer_id,
                amount: c.amount,
            }]),
            Command::Refund { reason, .. } if self.status == Some(Status::Approved) => {
                Ok(vec![PaymentEvent::PayCanceled {
                    payment_id: self.payment_id.clone(),
                    order_id: self.order_id.clone(),
                    customer_id: self.customer_id.clone(),
                    amount: self.amount,
                    reason,
                }])
            }
            Command::Refund { order_id, .. } if self.status.is_none() && !self.order_closed => {
                Ok(vec![PaymentEvent::OrderClosed { payment_id: payment_of(&order_id), order_id }])
            }
            Command::Refund { .. } => Ok(vec![]),
        }
    }

    fn apply(&mut self, event: &PaymentEvent) {
        match event {
            PaymentEvent::PayApproved { payment_id, order_id, customer_id, amount, .. } => {
                self.payment_id = payment_id.clone();
                self.order_id = order_id.clone();
                self.customer_id = customer_id.clone();
                self.amount = *amount;
                self.status = Some(Status::Approved);
            }
            PaymentEvent::PayCanceled { .. } => self.status = Some(Status::Canceled),
            PaymentEvent::OrderClosed { payment_id, order_id } => {
                self.payment_id = payment_id.clone();
                self.order_id = order_id.clone();
                self.order_closed = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use framework::aggregate::given;

    use super::*;
    use PaymentEvent::*;

    fn charge() -> Charge {
        Charge {
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 2,
            address: "Seoul".into(),
            customer_id: "alice".into(),
            amount: 24_000,
        }
    }

    fn approved() -> PaymentEvent {
        PayApproved {
            payment_id: payment_of("o1"),
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 2,
            address: "Seoul".into(),
            customer_id: "alice".into(),
            amount: 24_000,
        }
    }

    fn refunded(reason: RefundReason) -> PaymentEvent {
        PayCanceled {
            payment_id: payment_of("o1"),
            order_id: "o1".into(),
            customer_id: "alice".into(),
            amount: 24_000,
            reason,
        }
    }

    #[test]
    fn an_order_is_charged_once_whatever_the_retries() {
        given::<Payment>([]).when(Command::Approve(charge())).then_expect(vec![approved()]);
        given::<Payment>([approved()]).when(Command::Approve(charge())).then_expect(vec![]);
    }

    #[test]
    fn a_refund_happens_once_and_says_why() {
        let refund = |reason| Command::Refund { order_id: "o1".into(), reason };
        given::<Payment>([approved()])
            .when(refund(RefundReason::OutOfStock))
            .then_expect(vec![refunded(RefundReason::OutOfStock)]);
        given::<Payment>([approved(), refunded(RefundReason::OutOfStock)])
            .when(refund(RefundReason::Canceled))
            .then_expect(vec![]);
    }

    #[test]
    fn an_order_closed_before_its_approval_is_never_charged() {
        let closed = given::<Payment>([])
            .when(Command::Refund { order_id: "o1".into(), reason: RefundReason::Canceled })
            .then_expect(vec![OrderClosed { payment_id: payment_of("o1"), order_id: "o1".into() }]);
        assert!(closed.order_closed);
        let late = OrderClosed { payment_id: payment_of("o1"), order_id: "o1".into() };
        assert_eq!(given::<Payment>([late]).when(Command::Approve(charge())).then_refuse(), PaymentError::OrderClosed);
        assert_eq!(
            given::<Payment>([approved(), refunded(RefundReason::Canceled)])
                .when(Command::Approve(charge()))
                .then_refuse(),
            PaymentError::OrderClosed,
            "a refunded payment is not approved again"
        );
    }
}
