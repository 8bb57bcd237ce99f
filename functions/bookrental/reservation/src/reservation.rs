//! The Reservation aggregate (yellow sticky): one copy of one book for one
//! customer. `Reserved` at once; `Rejected` if product has no copy;
//! `Delivering` once delivery starts, then `Delivered`; `Canceled` by its
//! owner before it is delivered.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "ReservationStatus")]
pub enum Status {
    Reserved,
    Rejected,
    Delivering,
    Delivered,
    Canceled,
}

impl Status {
    /// Whether the owner may still cancel (before delivery completes).
    pub fn cancelable(self) -> bool {
        matches!(self, Self::Reserved | Self::Delivering)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub reservation_id: String,
    pub product_id: String,
    pub customer_id: String,
    /// `None` before the reservation is made.
    pub status: Option<Status>,
}

#[derive(Debug, Clone)]
pub enum Command {
    Reserve {
        reservation_id: String,
        product_id: String,
        customer_id: String,
    },
    Reject,
    DeliveryStarted,
    Delivered,
    /// The owner's cancel, checked before delivery is called.
    Cancel,
    /// Delivery canceled the delivery (its answer to our call, or its
    /// `DeliveryCanceled` heard by event): the reservation follows, once.
    DeliveryCanceled,
}

/// The reservation context's events. `Reserved`, `ReservationRejected` and
/// `ReservationCanceled` are published; `DeliveryFollowed` is the
/// reservation's own note of delivery's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum ReservationEvent {
    Reserved { reservation_id: String, product_id: String, customer_id: String },
    ReservationRejected { reservation_id: String, product_id: String, customer_id: String },
    ReservationCanceled { reservation_id: String, product_id: String, customer_id: String },
    DeliveryFollowed { reservation_id: String, status: Status },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ReservationError {
    #[error("reservation already exists")]
    AlreadyReserved,
    #[error("no such reservation")]
    Unknown,
    #[error("the reservation is {0}; only a Reserved or Delivering one can be canceled")]
    NotCancelable(Status),
    /// Delivery refused the cancel: the copy is delivered, even if this
    /// reservation has not heard so yet. (The cancel's call says so, not the
    /// aggregate.)
    #[error("the book is already delivered")]
    AlreadyDelivered,
}

impl Aggregate for Reservation {
    const TYPE: &'static str = "Reservation";
    const RECORDED: &'static [&'static str] = &["DeliveryFollowed"];
    type Command = Command;
    type Event = ReservationEvent;
    type Error = ReservationError;

    fn handle(&self, command: Command) -> Result<Vec<ReservationEvent>, ReservationError> {
        use ReservationEvent::*;
        let (reservation_id, product_id, customer_id) =
            (self.reservation_id.clone(), self.product_id.clone(), self.customer_id.clone());
        let follow = |status| Ok(vec![DeliveryFollowed { reservation_id: self.reservation_id.clone(), status }]);
        match (command, self.status) {
            (Command::Reserve { reservation_id, product_id, customer_id }, None) => {
                Ok(vec![Reserved { reservation_id, product_id, customer_id }])
            }
            (Command::Reserve { .. }, Some(_)) => Err(ReservationError::AlreadyReserved),
            (_, None) => Err(ReservationError::Unknown),
            (Command::Reject, Some(Status::Reserved)) => {
                Ok(vec![ReservationRejected { reservation_id, product_id, customer_id }])
            }
            (Command::DeliveryStarted, Some(Status::Reserved)) => follow(Status::Delivering),
            (Command::Delivered, Some(Status::Reserved | Status::Delivering)) => follow(Status::Delivered),
            // Late or repeated news of a reservation that moved on changes nothing.
            (Command::Reject | Command::DeliveryStarted | Command::Delivered, Some(_)) => Ok(vec![]),
            (Command::Cancel, Some(status)) if status.cancelable() => {
                Ok(vec![ReservationCanceled { reservation_id, product_id, customer_id }])
            }
            (Command::Cancel, Some(status)) => Err(ReservationError::NotCancelable(status)),
            (Command::DeliveryCanceled, Some(status)) if status.cancelable() => {
                Ok(vec![ReservationCanceled { reservation_id, product_id, customer_id }])
            }
            (Command::DeliveryCanceled, Some(_)) => Ok(vec![]),
        }
    }

    fn apply(&mut self, event: &ReservationEvent) {
        match event {
            ReservationEvent::Reserved { reservation_id, product_id, customer_id } => {
                *self = Self {
                    reservation_id: reservation_id.clone(),
                    product_id: product_id.clone(),
                    customer_id: customer_id.clone(),
                    status: Some(Status::Reserved),
                }
            }
            ReservationEvent::ReservationRejected { .. } => self.status = Some(Status::Rejected),
            ReservationEvent::ReservationCanceled { .. } => self.status = Some(Status::Canceled),
            ReservationEvent::DeliveryFollowed { status, .. } => self.status = Some(*status),
        }
    }

    fn owner(&self) -> Option<&str> {
        Some(&self.customer_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReservationEvent::*;
    use framework::aggregate::given;

    fn reserved() -> ReservationEvent {
        Reserved { reservation_id: "r1".into(), product_id: "p1".into(), customer_id: "alice".into() }
    }

    fn canceled() -> ReservationEvent {
        ReservationCanceled { reservation_id: "r1".into(), product_id: "p1".into(), customer_id: "alice".into() }
    }

    fn followed(status: Status) -> ReservationEvent {
        DeliveryFollowed { reservation_id: "r1".into(), status }
    }

    #[test]
    fn a_canceled_delivery_cancels_the_reservation_once() {
        given::<Reservation>([reserved(), followed(Status::Delivering)])
            .when(Command::DeliveryCanceled)
            .then_expect(vec![canceled()]);
        given::<Reservation>([reserved(), canceled()]).when(Command::DeliveryCanceled).then_expect(vec![]);
        given::<Reservation>([reserved(), followed(Status::Delivered)])
            .when(Command::DeliveryCanceled)
            .then_expect(vec![]);
    }

    #[test]
    fn a_reservation_is_reserved_at_once() {
        let state = given::<Reservation>([])
            .when(Command::Reserve {
                reservation_id: "r1".into(),
                product_id: "p1".into(),
                customer_id: "alice".into(),
            })
            .then_expect(vec![reserved()]);
        assert_eq!(state.status, Some(Status::Reserved));
    }

    #[test]
    fn a_shortage_rejects_a_reserved_reservation_only() {
        given::<Reservation>([reserved()]).when(Command::Reject).then_expect(vec![ReservationRejected {
            reservation_id: "r1".into(),
            product_id: "p1".into(),
            customer_id: "alice".into(),
        }]);
        given::<Reservation>([reserved(), canceled()]).when(Command::Reject).then_expect(vec![]);
    }

    #[test]
    fn it_follows_its_delivery_forward_only() {
        let state = given::<Reservation>([reserved()])
            .when(Command::DeliveryStarted)
            .then_expect(vec![followed(Status::Delivering)]);
        assert_eq!(state.status, Some(Status::Delivering));
        given::<Reservation>([reserved(), followed(Status::Delivering)])
            .when(Command::Delivered)
            .then_expect(vec![followed(Status::Delivered)]);
        given::<Reservation>([reserved(), followed(Status::Delivered)])
            .when(Command::DeliveryStarted)
            .then_expect(vec![]);
        given::<Reservation>([reserved(), canceled()]).when(Command::DeliveryStarted).then_expect(vec![]);
    }

    #[test]
    fn it_can_be_canceled_until_it_is_delivered() {
        given::<Reservation>([reserved()]).when(Command::Cancel).then_expect(vec![canceled()]);
        given::<Reservation>([reserved(), followed(Status::Delivering)])
            .when(Command::Cancel)
            .then_expect(vec![canceled()]);
        let refused =
            given::<Reservation>([reserved(), followed(Status::Delivered)]).when(Command::Cancel).then_refuse();
        assert_eq!(refused, ReservationError::NotCancelable(Status::Delivered));
        let refused = given::<Reservation>([reserved(), canceled()]).when(Command::Cancel).then_refuse();
        assert_eq!(refused, ReservationError::NotCancelable(Status::Canceled));
    }
}
