//! The Delivery aggregate (yellow sticky): the copy of one reservation on
//! its way, `Started` when stock set it aside, then `Delivered` by staff or
//! `Canceled` by the reservation's owner.
//!
//! One delivery per reservation: its id is derived from the reservation's.
//! A cancel that arrives before the delivery exists leaves it `Canceled`,
//! so it never starts afterwards.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "DeliveryStatus")]
pub enum Status {
    Started,
    Delivered,
    Canceled,
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

pub fn delivery_of(reservation_id: &str) -> String {
    framework::derived_id("delivery", reservation_id)
}

/// Who and what a delivery is for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Parcel {
    pub reservation_id: String,
    pub product_id: String,
    pub customer_id: String,
}

#[derive(Debug, Clone)]
pub enum Command {
    Start(Parcel),
    Complete,
    Cancel(Parcel),
}

/// The delivery context's published language: each event names the
/// delivery and its parcel (`reservationId`, `productId`, `customerId`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum DeliveryEvent {
    DeliveryStarted {
        delivery_id: String,
        #[serde(flatten)]
        parcel: Parcel,
    },
    Delivered {
        delivery_id: String,
        #[serde(flatten)]
        parcel: Parcel,
    },
    DeliveryCanceled {
        delivery_id: String,
        #[serde(flatten)]
        parcel: Parcel,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum DeliveryError {
    #[error("no such delivery")]
    Unknown,
    #[error("the delivery is {0}")]
    Finished(Status),
}

impl Aggregate for Delivery {
    const TYPE: &'static str = "Delivery";
    type Command = Command;
    type Event = DeliveryEvent;
    type Error = DeliveryError;

    fn handle(&self, command: Command) -> Result<Vec<DeliveryEvent>, DeliveryError> {
        use DeliveryEvent::*;
        let (delivery_id, parcel) = (self.delivery_id.clone(), self.parcel.clone());
        match (command, self.status) {
            (Command::Start(parcel), None) => {
                Ok(vec![DeliveryStarted { delivery_id: delivery_of(&parcel.reservation_id), parcel }])
            }
            // Started already, or canceled first: the cancel wins.
            (Command::Start(_), Some(_)) => Ok(vec![]),
            (Command::Complete, None) => Err(DeliveryError::Unknown),
            (Command::Complete, Some(Status::Started)) => Ok(vec![Delivered { delivery_id, parcel }]),
            (Command::Complete, Some(status)) => Err(DeliveryError::Finished(status)),
            (Command::Cancel(parcel), None) => {
                Ok(vec![DeliveryCanceled { delivery_id: delivery_of(&parcel.reservation_id), parcel }])
            }
            (Command::Cancel(_), Some(Status::Started)) => Ok(vec![DeliveryCanceled { delivery_id, parcel }]),
            (Command::Cancel(_), Some(Status::Canceled)) => Ok(vec![]),
            (Command::Cancel(_), Some(Status::Delivered)) => Err(DeliveryError::Finished(Status::Delivered)),
        }
    }

    fn apply(&mut self, event: &DeliveryEvent) {
        let (DeliveryEvent::DeliveryStarted { delivery_id, parcel }
        | DeliveryEvent::Delivered { delivery_id, parcel }
        | DeliveryEvent::DeliveryCanceled { delivery_id, parcel }) = event;
        self.delivery_id = delivery_id.clone();
        self.parcel = parcel.clone();
        self.status = Some(match event {
            DeliveryEvent::DeliveryStarted { .. } => Status::Started,
            DeliveryEvent::Delivered { .. } => Status::Delivered,
            DeliveryEvent::DeliveryCanceled { .. } => Status::Canceled,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryEvent::*;
    use framework::aggregate::given;

    fn parcel() -> Parcel {
        Parcel { reservation_id: "r1".into(), product_id: "p1".into(), customer_id: "alice".into() }
    }

    fn started() -> DeliveryEvent {
        DeliveryStarted { delivery_id: delivery_of("r1"), parcel: parcel() }
    }

    fn canceled() -> DeliveryEvent {
        DeliveryCanceled { delivery_id: delivery_of("r1"), parcel: parcel() }
    }

    #[test]
    fn events_carry_the_parcel_fields_flat() {
        let json = serde_json::to_value(started()).unwrap();
        assert_eq!(json["data"]["reservationId"], "r1");
        assert_eq!(json["data"]["customerId"], "alice");
    }

    #[test]
    fn a_taken_copy_starts_its_delivery_once() {
        let state = given::<Delivery>([]).when(Command::Start(parcel())).then_expect(vec![started()]);
        assert_eq!(state.status, Some(Status::Started));
        given::<Delivery>([started()]).when(Command::Start(parcel())).then_expect(vec![]);
    }

    #[test]
    fn a_cancel_that_arrives_first_wins_and_the_delivery_never_starts() {
        let state = given::<Delivery>([]).when(Command::Cancel(parcel())).then_expect(vec![canceled()]);
        assert_eq!(state.status, Some(Status::Canceled));
        given::<Delivery>([canceled()]).when(Command::Start(parcel())).then_expect(vec![]);
        given::<Delivery>([canceled()]).when(Command::Cancel(parcel())).then_expect(vec![]);
    }

    #[test]
    fn a_delivered_copy_cannot_be_canceled() {
        let delivered = Delivered { delivery_id: delivery_of("r1"), parcel: parcel() };
        given::<Delivery>([started()]).when(Command::Complete).then_expect(vec![delivered.clone()]);
        let refused = given::<Delivery>([started(), delivered]).when(Command::Cancel(parcel())).then_refuse();
        assert_eq!(refused, DeliveryError::Finished(Status::Delivered));
        let refused = given::<Delivery>([canceled()]).when(Command::Complete).then_refuse();
        assert_eq!(refused, DeliveryError::Finished(Status::Canceled));
    }
}
