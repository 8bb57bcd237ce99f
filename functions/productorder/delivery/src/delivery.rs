//! The Delivery aggregate (yellow sticky): the parcel of one prepared
//! order. Created `Prepared` when product took the order's stock
//! (`DeliveryCreated`, recorded), `Started` and then `Completed` by staff,
//! or `Canceled` with its order (a started parcel is called back).
//!
//! One parcel per order: its id is derived from the order's
//! (`framework::derived_id("delivery", orderId)`), so a repeated
//! `DeliveryPrepared` names the same parcel. An `OrderCanceled` heard
//! before the parcel exists closes it (`DeliveryClosed`, recorded, never
//! published); a late `DeliveryPrepared` then creates no parcel, but says
//! `DeliveryCanceled`, since the world heard it was prepared.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "DeliveryStatus")]
pub enum Status {
    Prepared,
    Started,
    Completed,
    Canceled,
    /// Closed before it existed: it never will. Not a parcel anyone sees.
    Closed,
}

/// The id of the parcel of an order.
pub fn delivery_of(order_id: &str) -> String {
    framework::derived_id("delivery", order_id)
}

/// What is sent where, for whom (product's `DeliveryPrepared`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Parcel {
    pub order_id: String,
    pub item_cd: String,
    pub quantity: u64,
    pub address: String,
    pub customer_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub delivery_id: String,
    #[serde(flatten)]
    pub parcel: Parcel,
    /// `None` before anything happened to it.
    pub status: Option<Status>,
}

impl Delivery {
    /// A parcel staff and customers see: created, whatever became of it
    /// since (not one closed before it existed).
    pub fn is_visible(&self) -> bool {
        !matches!(self.status, None | Some(Status::Closed))
    }
}

#[derive(Debug, Clone)]
pub enum Command {
    /// `DeliveryPrepared`.
    Create(Parcel),
    /// `OrderCanceled`.
    Cancel { order_id: String, customer_id: String },
    /// Staff hand it to the carrier.
    Start,
    /// Staff saw it delivered.
    Complete,
}

/// The delivery context's language: `DeliveryStarted`, `DeliveryCompleted`
/// and `DeliveryCanceled` are published; `DeliveryCreated` and
/// `DeliveryClosed` are recorded only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum DeliveryEvent {
    DeliveryStarted {
        delivery_id: String,
        order_id: String,
        customer_id: String,
    },
    DeliveryCompleted {
        delivery_id: String,
        order_id: String,
        customer_id: String,
    },
    DeliveryCanceled {
        delivery_id: String,
        order_id: String,
        customer_id: String,
    },
    DeliveryCreated {
        delivery_id: String,
        #[serde(flatten)]
        parcel: Parcel,
    },
    DeliveryClosed {
        delivery_id: String,
        order_id: String,
        customer_id: String,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum DeliveryError {
    #[error("no such delivery")]
    Unknown,
    #[error("the delivery is {0}; only a Prepared one can be started")]
    NotPrepared(Status),
    #[error("the delivery is {0}; only a Started one can be completed")]
    NotStarted(Status),
}

impl Aggregate for Delivery {
    const TYPE: &'static str = "Delivery";
    const RECORDED: &'static [&'static str] = &["DeliveryCreated", "DeliveryClosed"];
    type Command = Command;
    type Event = DeliveryEvent;
    type Error = DeliveryError;

    fn handle(&self, command: Command) -> Result<Vec<DeliveryEvent>, DeliveryError> {
        use DeliveryEvent::*;
        let (delivery_id, order_id, customer_id) =
            (self.delivery_id.clone(), self.parcel.order_id.clone(), self.parcel.customer_id.clone());
        match (command, self.status) {
            (Command::Create(parcel), None) => {
                Ok(vec![DeliveryCreated { delivery_id: delivery_of(&parcel.order_id), parcel }])
            }
            // Closed first: the cancel wins, and the parcel product prepared
            // for it is canceled (the world heard `DeliveryPrepared`).
            (Command::Create(_), Some(Status::Closed)) => {
                Ok(vec![DeliveryCanceled { delivery_id, order_id, customer_id }])
            }
            // Created already: a redelivery.
            (Command::Create(_), Some(_)) => Ok(vec![]),
            (Command::Cancel { order_id, customer_id }, None) => {
                Ok(vec![DeliveryClosed { delivery_id: delivery_of(&order_id), order_id, customer_id }])
            }
            // A started parcel is called back.
            (Command::Cancel { .. }, Some(Status::Prepared | Status::Started)) => {
                Ok(vec![DeliveryCanceled { delivery_id, order_id, customer_id }])
            }
            // Delivered before the cancel reached it, or over already.
            (Command::Cancel { .. }, Some(Status::Completed | Status::Canceled | Status::Closed)) => Ok(vec![]),
            (Command::Start | Command::Complete, None | Some(Status::Closed)) => Err(DeliveryError::Unknown),
            (Command::Start, Some(Status::Prepared)) => {
                Ok(vec![DeliveryStarted { delivery_id, order_id, customer_id }])
            }
            (Command::Start, Some(status)) => Err(DeliveryError::NotPrepared(status)),
            (Command::Complete, Some(Status::Started)) => {
                Ok(vec![DeliveryCompleted { delivery_id, order_id, customer_id }])
            }
            (Command::Complete, Some(status)) => Err(DeliveryError::NotStarted(status)),
        }
    }

    fn apply(&mut self, event: &DeliveryEvent) {
        use DeliveryEvent::*;
        match event {
            DeliveryCreated { delivery_id, parcel } => {
                self.delivery_id = delivery_id.clone();
                self.parcel = parcel.clone();
                self.status = Some(Status::Prepared);
            }
            DeliveryClosed { delivery_id, order_id, customer_id } => {
                self.delivery_id = delivery_id.clone();
                self.parcel.order_id = order_id.clone();
                self.parcel.customer_id = customer_id.clone();
                self.status = Some(Status::Closed);
            }
            DeliveryStarted { .. } => self.status = Some(Status::Started),
            DeliveryCompleted { .. } => self.status = Some(Status::Completed),
            DeliveryCanceled { .. } => self.status = Some(Status::Canceled),
        }
    }
}

#[cfg(test)]
mod tests {
    use framework::aggregate::given;

    use super::*;
    use DeliveryEvent::*;

    fn parcel() -> Parcel {
        Parcel {
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 2,
            address: "1 Main St".into(),
            customer_id: "alice".into(),
        }
    }

    fn created() -> DeliveryEvent {
        DeliveryCreated { delivery_id: delivery_of("o1"), parcel: parcel() }
    }

    fn started() -> DeliveryEvent {
        DeliveryStarted { delivery_id: delivery_of("o1"), order_id: "o1".into(), customer_id: "alice".into() }
    }

    fn completed() -> DeliveryEvent {
        DeliveryCompleted { delivery_id: delivery_of("o1"), order_id: "o1".into(), customer_id: "alice".into() }
    }

    fn canceled() -> DeliveryEvent {
        DeliveryCanceled { delivery_id: delivery_of("o1"), order_id: "o1".into(), customer_id: "alice".into() }
    }

    fn closed() -> DeliveryEvent {
        DeliveryClosed { delivery_id: delivery_of("o1"), order_id: "o1".into(), customer_id: "alice".into() }
    }

    fn cancel() -> Command {
        Command::Cancel { order_id: "o1".into(), customer_id: "alice".into() }
    }

    #[test]
    fn events_carry_the_contracts_fields() {
        let json = serde_json::to_value(started()).unwrap();
        assert_eq!(
            json["data"],
            serde_json::json!({"deliveryId": delivery_of("o1"), "orderId": "o1", "customerId": "alice"})
        );
    }

    #[test]
    fn a_prepared_order_creates_its_parcel_once() {
        let state = given::<Delivery>([]).when(Command::Create(parcel())).then_expect(vec![created()]);
        assert_eq!((state.status, state.delivery_id.clone()), (Some(Status::Prepared), delivery_of("o1")));
        assert!(state.is_visible());
        given::<Delivery>([created()]).when(Command::Create(parcel())).then_expect(vec![]);
        given::<Delivery>([created(), started()]).when(Command::Create(parcel())).then_expect(vec![]);
    }

    #[test]
    fn staff_start_a_prepared_parcel_then_complete_it() {
        let state = given::<Delivery>([created()]).when(Command::Start).then_expect(vec![started()]);
        assert_eq!(state.status, Some(Status::Started));
        let state = given::<Delivery>([created(), started()]).when(Command::Complete).then_expect(vec![completed()]);
        assert_eq!(state.status, Some(Status::Completed));
    }

    #[test]
    fn a_parcel_starts_only_from_prepared_and_completes_only_from_started() {
        assert_eq!(
            given::<Delivery>([created()]).when(Command::Complete).then_refuse(),
            DeliveryError::NotStarted(Status::Prepared)
        );
        assert_eq!(
            given::<Delivery>([created(), started()]).when(Command::Start).then_refuse(),
            DeliveryError::NotPrepared(Status::Started)
        );
        assert_eq!(
            given::<Delivery>([created(), started(), completed()]).when(Command::Complete).then_refuse(),
            DeliveryError::NotStarted(Status::Completed)
        );
    }

    #[test]
    fn a_canceled_parcel_is_neither_started_nor_completed() {
        assert_eq!(
            given::<Delivery>([created(), canceled()]).when(Command::Start).then_refuse(),
            DeliveryError::NotPrepared(Status::Canceled)
        );
        assert_eq!(
            given::<Delivery>([created(), canceled()]).when(Command::Complete).then_refuse(),
            DeliveryError::NotStarted(Status::Canceled)
        );
    }

    #[test]
    fn an_unknown_or_closed_parcel_is_not_found() {
        assert_eq!(given::<Delivery>([]).when(Command::Start).then_refuse(), DeliveryError::Unknown);
        assert_eq!(given::<Delivery>([closed()]).when(Command::Start).then_refuse(), DeliveryError::Unknown);
        assert_eq!(given::<Delivery>([closed()]).when(Command::Complete).then_refuse(), DeliveryError::Unknown);
    }

    #[test]
    fn a_canceled_order_cancels_its_prepared_or_started_parcel_once() {
        let state = given::<Delivery>([created()]).when(cancel()).then_expect(vec![canceled()]);
        assert_eq!(state.status, Some(Status::Canceled));
        let state = given::<Delivery>([created(), started()]).when(cancel()).then_expect(vec![canceled()]);
        assert_eq!(state.status, Some(Status::Canceled), "a started parcel is called back");
        given::<Delivery>([created(), canceled()]).when(cancel()).then_expect(vec![]);
    }

    #[test]
    fn a_parcel_completed_before_the_cancel_reached_it_stays_completed() {
        given::<Delivery>([created(), started(), completed()]).when(cancel()).then_expect(vec![]);
    }

    #[test]
    fn a_cancel_before_the_parcel_exists_closes_it_and_a_late_prepare_is_canceled_at_once() {
        let state = given::<Delivery>([]).when(cancel()).then_expect(vec![closed()]);
        assert_eq!(state.status, Some(Status::Closed));
        assert!(!state.is_visible());
        let state = given::<Delivery>([closed()]).when(Command::Create(parcel())).then_expect(vec![canceled()]);
        assert_eq!(state.status, Some(Status::Canceled));
        given::<Delivery>([closed()]).when(cancel()).then_expect(vec![]);
        given::<Delivery>([closed(), canceled()]).when(Command::Create(parcel())).then_expect(vec![]);
    }
}
