//! The Order aggregate (yellow sticky). An order is recorded `Pending`
//! before pay is called (invisible: not an order yet), then `Ordered` once
//! paid, or `Abandoned` (invisible) when pay could not be reached. From
//! `Ordered` it follows its parcel (`Prepared` → `Shipping` → `Delivered`),
//! or ends `Canceled` by its owner (before shipping) or `Rejected` (out of
//! stock, or an approval that came after the order was abandoned).
//!
//! Product acts on pay's `PayApproved` while place-order may still be
//! committing `Ordered`, so news of the parcel or of a want of stock can come
//! while the order is `Pending`: it is kept (`HeardEarly`) and acted on when
//! the order is recorded paid, never dropped.

use framework::Aggregate;
use framework::store::Key;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::Display, schemars::JsonSchema,
)]
#[schemars(rename = "OrderStatus")]
pub enum Status {
    Pending,
    Abandoned,
    Ordered,
    Prepared,
    Shipping,
    Delivered,
    Canceled,
    Rejected,
}

impl Status {
    /// Seen by customers: `Pending` and `Abandoned` are not orders (yet).
    pub fn is_visible(self) -> bool {
        !matches!(self, Self::Pending | Self::Abandoned)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Canceled | Self::Rejected)
    }
}

/// Why an order was rejected (`reason` of `OrderRejected`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RejectReason {
    OutOfStock,
    /// Pay approved after the order had been given up (`503`): refunded.
    NotRecorded,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    pub item_cd: String,
    pub quantity: u64,
    pub address: String,
    pub customer_id: String,
    pub amount: u64,
    /// `None` before it is placed.
    pub status: Option<Status>,
    pub payment_id: Option<String>,
    pub reject_reason: Option<RejectReason>,
    /// What was heard while `Pending`.
    #[serde(default)]
    pub early: Early,
}

/// News that follows pay's approval, heard before the order was recorded
/// paid; acted on when it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Early {
    pub parcel: Option<Status>,
    pub out_of_stock: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub order_id: String,
    pub item_cd: String,
    pub quantity: u64,
    pub address: String,
    pub customer_id: String,
    pub amount: u64,
}

#[derive(Debug, Clone)]
pub enum Command {
    Place(Draft),
    /// Pay approved (its answer to our call, or `PayApproved` heard later).
    Paid {
        payment_id: String,
    },
    /// Pay could not be reached: no order.
    Abandon,
    Cancel,
    /// Pay refunded it because product had not enough (`PayCanceled`).
    RejectOutOfStock,
    /// The parcel moved on (product's `DeliveryPrepared`, delivery's news).
    Follow(Status),
}

/// The order context's published language, and what it records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum OrderEvent {
    Ordered {
        order_id: String,
        item_cd: String,
        quantity: u64,
        address: String,
        customer_id: String,
        payment_id: String,
        amount: u64,
    },
    OrderCanceled {
        order_id: String,
        item_cd: String,
        quantity: u64,
        customer_id: String,
    },
    OrderRejected {
        order_id: String,
        item_cd: String,
        quantity: u64,
        customer_id: String,
        reason: RejectReason,
    },
    /// Recorded: placed, pay not yet heard.
    OrderPending {
        order_id: String,
        item_cd: String,
        quantity: u64,
        address: String,
        customer_id: String,
        amount: u64,
    },
    /// Recorded: pay could not be reached.
    OrderAbandoned {
        order_id: String,
    },
    /// Recorded: what the parcel did.
    OrderFollowed {
        order_id: String,
        status: Status,
    },
    /// Recorded: news of the parcel or of a want of stock, heard while the
    /// order was still `Pending`.
    HeardEarly {
        order_id: String,
        parcel: Option<Status>,
        out_of_stock: bool,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum OrderError {
    #[error("the order exists already")]
    AlreadyPlaced,
    #[error("no such order")]
    Unknown,
    #[error("the order is {0}; only an Ordered or Prepared one can be canceled")]
    NotCancelable(Status),
}

impl Order {
    fn rejected(&self, reason: RejectReason) -> OrderEvent {
        OrderEvent::OrderRejected {
            order_id: self.order_id.clone(),
            item_cd: self.item_cd.clone(),
            quantity: self.quantity,
            customer_id: self.customer_id.clone(),
            reason,
        }
    }
}

impl Aggregate for Order {
    const TYPE: &'static str = "Order";
    const RECORDED: &'static [&'static str] = &["OrderPending", "OrderAbandoned", "OrderFollowed", "HeardEarly"];
    type Command = Command;
    type Event = OrderEvent;
    type Error = OrderError;

    fn handle(&self, command: Command) -> Result<Vec<OrderEvent>, OrderError> {
        use OrderEvent::*;
        let Some(status) = self.status else {
            return match command {
                Command::Place(d) => Ok(vec![OrderPending {
                    order_id: d.order_id,
                    item_cd: d.item_cd,
                    quantity: d.quantity,
                    address: d.address,
                    customer_id: d.customer_id,
                    amount: d.amount,
                }]),
                _ => Err(OrderError::Unknown),
            };
        };
        let id = self.order_id.clone();
        match (command, status) {
            (Command::Place(_), _) => Err(OrderError::AlreadyPlaced),
            (Command::Paid { payment_id }, Status::Pending) => {
                let mut events = vec![Ordered {
                    order_id: id.clone(),
                    item_cd: self.item_cd.clone(),
                    quantity: self.quantity,
                    address: self.address.clone(),
                    customer_id: self.customer_id.clone(),
                    payment_id,
                    amount: self.amount,
                }];
                if self.early.out_of_stock {
                    events.push(self.rejected(RejectReason::OutOfStock));
                } else if let Some(parcel) = self.early.parcel {
                    events.push(OrderFollowed { order_id: id, status: parcel });
                }
                Ok(events)
            }
            // Paid after we gave up: the customer was told there is no order.
            (Command::Paid { .. }, Status::Abandoned) => Ok(vec![self.rejected(RejectReason::NotRecorded)]),
            (Command::Paid { .. }, _) => Ok(vec![]),
            (Command::Abandon, Status::Pending) => Ok(vec![OrderAbandoned { order_id: id }]),
            (Command::Abandon, _) => Ok(vec![]),
            (Command::Cancel, Status::Ordered | Status::Prepared) => Ok(vec![OrderCanceled {
                order_id: id,
                item_cd: self.item_cd.clone(),
                quantity: self.quantity,
                customer_id: self.customer_id.clone(),
            }]),
            (Command::Cancel, status) if !status.is_visible() => Err(OrderError::Unknown),
            (Command::Cancel, status) => Err(OrderError::NotCancelable(status)),
            // News that follows pay's approval, heard before the order was
            // recorded paid (product acts on `PayApproved` while place-order
            // is still committing): kept, and acted on once paid.
            (Command::Follow(next), Status::Pending) if self.early.parcel.is_none_or(|p| next > p) => {
                Ok(vec![HeardEarly { order_id: id, parcel: Some(next), out_of_stock: false }])
            }
            (Command::RejectOutOfStock, Status::Pending) if !self.early.out_of_stock => {
                Ok(vec![HeardEarly { order_id: id, parcel: None, out_of_stock: true }])
            }
            (Command::RejectOutOfStock, Status::Ordered | Status::Prepared) => {
                Ok(vec![self.rejected(RejectReason::OutOfStock)])
            }
            (Command::RejectOutOfStock, _) => Ok(vec![]),
            // Forward only, and never out of an ending.
            (Command::Follow(next), current) if current >= Status::Ordered && !current.is_final() && next > current => {
                Ok(vec![OrderFollowed { order_id: id, status: next }])
            }
            (Command::Follow(_), _) => Ok(vec![]),
        }
    }

    fn apply(&mut self, event: &OrderEvent) {
        match event {
            OrderEvent::OrderPending { order_id, item_cd, quantity, address, customer_id, amount } => {
                *self = Self {
                    order_id: order_id.clone(),
                    item_cd: item_cd.clone(),
                    quantity: *quantity,
                    address: address.clone(),
                    customer_id: customer_id.clone(),
                    amount: *amount,
                    status: Some(Status::Pending),
                    ..Self::default()
                }
            }
            OrderEvent::Ordered { payment_id, .. } => {
                self.status = Some(Status::Ordered);
                self.payment_id = Some(payment_id.clone());
            }
            OrderEvent::OrderCanceled { .. } => self.status = Some(Status::Canceled),
            OrderEvent::OrderRejected { reason, .. } => {
                self.status = Some(Status::Rejected);
                self.reject_reason = Some(*reason);
            }
            OrderEvent::OrderAbandoned { .. } => self.status = Some(Status::Abandoned),
            OrderEvent::OrderFollowed { status, .. } => self.status = Some(*status),
            OrderEvent::HeardEarly { parcel, out_of_stock, .. } => {
                self.early.parcel = parcel.or(self.early.parcel);
                self.early.out_of_stock |= out_of_stock;
            }
        }
    }

    fn owner(&self) -> Option<&str> {
        Some(&self.customer_id)
    }

    fn listed_under(&self) -> Option<Key> {
        Some(Key::new(framework::customer_partition(&self.customer_id), self.order_id.clone()))
    }
}

#[cfg(test)]
mod tests {
    use framework::aggregate::given;

    use super::*;
    use OrderEvent::*;

    fn pending() -> OrderEvent {
        OrderPending {
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 2,
            address: "Seoul".into(),
            customer_id: "alice".into(),
            amount: 24_000,
        }
    }

    fn ordered() -> OrderEvent {
        Ordered {
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 2,
            address: "Seoul".into(),
            customer_id: "alice".into(),
            payment_id: "p1".into(),
            amount: 24_000,
        }
    }

    fn followed(status: Status) -> OrderEvent {
        OrderFollowed { order_id: "o1".into(), status }
    }

    fn paid() -> Command {
        Command::Paid { payment_id: "p1".into() }
    }

    #[test]
    fn an_order_is_ordered_once_paid_whichever_way_pay_is_heard() {
        let state = given::<Order>([pending()]).when(paid()).then_expect(vec![ordered()]);
        assert_eq!(state.status, Some(Status::Ordered));
        given::<Order>([pending(), ordered()]).when(paid()).then_expect(vec![]);
    }

    #[test]
    fn an_approval_after_the_order_was_abandoned_rejects_it_for_a_refund() {
        let abandoned = OrderAbandoned { order_id: "o1".into() };
        let state = given::<Order>([pending(), abandoned]).when(paid()).then_expect(vec![OrderRejected {
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 2,
            customer_id: "alice".into(),
            reason: RejectReason::NotRecorded,
        }]);
        assert_eq!(state.status, Some(Status::Rejected));
    }

    #[test]
    fn the_owner_cancels_until_the_parcel_ships() {
        given::<Order>([pending(), ordered(), followed(Status::Prepared)]).when(Command::Cancel).then_expect(vec![
            OrderCanceled {
                order_id: "o1".into(),
                item_cd: "ITEM-001".into(),
                quantity: 2,
                customer_id: "alice".into(),
            },
        ]);
        let refused =
            given::<Order>([pending(), ordered(), followed(Status::Shipping)]).when(Command::Cancel).then_refuse();
        assert_eq!(refused, OrderError::NotCancelable(Status::Shipping));
        assert_eq!(given::<Order>([pending()]).when(Command::Cancel).then_refuse(), OrderError::Unknown);
    }

    #[test]
    fn the_parcel_moves_the_order_forward_only_and_never_out_of_an_ending() {
        given::<Order>([pending(), ordered(), followed(Status::Shipping)])
            .when(Command::Follow(Status::Prepared))
            .then_expect(vec![]);
        given::<Order>([pending(), ordered()])
            .when(Command::Follow(Status::Shipping))
            .then_expect(vec![followed(Status::Shipping)]);
        let canceled = OrderCanceled {
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 2,
            customer_id: "alice".into(),
        };
        given::<Order>([pending(), ordered(), canceled]).when(Command::Follow(Status::Delivered)).then_expect(vec![]);
    }

    #[test]
    fn news_heard_before_the_order_is_recorded_paid_is_kept_and_acted_on_once_paid() {
        let early = |parcel, out_of_stock| HeardEarly { order_id: "o1".into(), parcel, out_of_stock };
        given::<Order>([pending()])
            .when(Command::Follow(Status::Prepared))
            .then_expect(vec![early(Some(Status::Prepared), false)]);
        given::<Order>([pending(), early(Some(Status::Prepared), false)])
            .when(Command::Follow(Status::Prepared))
            .then_expect(vec![]);
        let state = given::<Order>([pending(), early(Some(Status::Prepared), false)])
            .when(paid())
            .then_expect(vec![ordered(), followed(Status::Prepared)]);
        assert_eq!(state.status, Some(Status::Prepared));

        given::<Order>([pending()]).when(Command::RejectOutOfStock).then_expect(vec![early(None, true)]);
        let state = given::<Order>([pending(), early(None, true)]).when(paid()).then_expect(vec![
            ordered(),
            OrderRejected {
                order_id: "o1".into(),
                item_cd: "ITEM-001".into(),
                quantity: 2,
                customer_id: "alice".into(),
                reason: RejectReason::OutOfStock,
            },
        ]);
        assert_eq!(state.status, Some(Status::Rejected));

        // Given up on before pay answered: pay's approval rejects it, whatever was heard.
        let abandoned = OrderAbandoned { order_id: "o1".into() };
        given::<Order>([pending(), abandoned]).when(Command::Follow(Status::Prepared)).then_expect(vec![]);
    }

    #[test]
    fn running_out_of_stock_rejects_an_order_not_yet_canceled() {
        given::<Order>([pending(), ordered()]).when(Command::RejectOutOfStock).then_expect(vec![OrderRejected {
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 2,
            customer_id: "alice".into(),
            reason: RejectReason::OutOfStock,
        }]);
        let canceled = OrderCanceled {
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 2,
            customer_id: "alice".into(),
        };
        given::<Order>([pending(), ordered(), canceled]).when(Command::RejectOutOfStock).then_expect(vec![]);
    }
}
