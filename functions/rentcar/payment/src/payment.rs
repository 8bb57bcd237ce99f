//! The Payment aggregate (yellow sticky): one payment per reservation (its
//! id is derived from the reservation's), approved once, canceled (refunded)
//! at most once. It also remembers what it heard of its reservation: closed
//! (a reservation canceled before any approval: a late approval is refused)
//! and returned (the car is back: the customer can no longer cancel).

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "PaymentStatus")]
pub enum Status {
    Approved,
    Canceled,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub payment_id: String,
    pub reservation_id: String,
    pub car_no: String,
    pub customer_id: String,
    pub amount: u64,
    /// `None` while nothing was approved.
    pub status: Option<Status>,
    /// The reservation was canceled before any approval.
    pub reservation_closed: bool,
    pub car_returned: bool,
}

/// What is charged: the reservation's amount, for its customer and car.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    pub reservation_id: String,
    pub car_no: String,
    pub customer_id: String,
    pub amount: u64,
}

#[derive(Debug, Clone)]
pub enum Command {
    Approve(Charge),
    /// The customer asks for the money back.
    Cancel,
    /// The reservation was canceled: refund an approval, or refuse a later one.
    CloseReservation {
        reservation_id: String,
    },
    NoteReturn,
}

/// The payment context's published language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum PaymentEvent {
    PaymentApproved {
        payment_id: String,
        reservation_id: String,
        car_no: String,
        customer_id: String,
        amount: u64,
    },
    PaymentCanceled {
        payment_id: String,
        reservation_id: String,
        car_no: String,
        customer_id: String,
        amount: u64,
    },
    /// Recorded: the reservation was canceled before any approval.
    ReservationClosed {
        payment_id: String,
        reservation_id: String,
    },
    /// Recorded: the car is back.
    CarReturnedNoted {
        payment_id: String,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum PaymentError {
    #[error("the reservation is canceled; nothing is charged")]
    ReservationClosed,
    #[error("the payment is {0}")]
    NotCancelable(Status),
    #[error("the car is returned; the payment can no longer be canceled")]
    CarReturned,
    #[error("no such payment")]
    Unknown,
}

/// One payment per reservation: the id every retry of `pay` names.
pub fn payment_of(reservation_id: &str) -> String {
    framework::derived_id("payment", reservation_id)
}

impl Payment {
    fn canceled(&self) -> PaymentEvent {
        PaymentEvent::PaymentCanceled {
            payment_id: self.payment_id.clone(),
            reservation_id: self.reservation_id.clone(),
            car_no: self.car_no.clone(),
            customer_id: self.customer_id.clone(),
            amount: self.amount,
        }
    }
}

impl Aggregate for Payment {
    const TYPE: &'static str = "Payment";
    const RECORDED: &'static [&'static str] = &["ReservationClosed", "CarReturnedNoted"];
    type Command = Command;
    type Event = PaymentEvent;
    type Error = PaymentError;

    fn handle(&self, command: Command) -> Result<Vec<PaymentEvent>, PaymentError> {
        use PaymentEvent::*;
        match command {
            // Approving again is the same approval: a retry never charges twice.
            Command::Approve(_) if self.status == Some(Status::Approved) => Ok(vec![]),
            Command::Approve(_) if self.reservation_closed || self.status.is_some() => {
                Err(PaymentError::ReservationClosed)
            }
            Command::Approve(charge) => Ok(vec![PaymentApproved {
                payment_id: payment_of(&charge.reservation_id),
                reservation_id: charge.reservation_id,
                car_no: charge.car_no,
                customer_id: charge.customer_id,
                amount: charge.amount,
            }]),
            Command::Cancel => match self.status {
                None => Err(PaymentError::Unknown),
                Some(Status::Canceled) => Err(PaymentError::NotCancelable(Status::Canceled)),
                Some(Status::Approved) if self.car_returned => Err(PaymentError::CarReturned),
                Some(Status::Approved) => Ok(vec![self.canceled()]),
            },
            Command::CloseReservation { reservation_id } => match self.status {
                Some(Status::Approved) => Ok(vec![self.canceled()]),
                Some(Status::Canceled) => Ok(vec![]),
                None if self.reservation_closed => Ok(vec![]),
                None => Ok(vec![ReservationClosed { payment_id: payment_of(&reservation_id), reservation_id }]),
            },
            Command::NoteReturn if self.car_returned || self.status.is_none() => Ok(vec![]),
            Command::NoteReturn => Ok(vec![CarReturnedNoted { payment_id: self.payment_id.clone() }]),
        }
    }

    fn apply(&mut self, event: &PaymentEvent) {
        match event {
            PaymentEvent::PaymentApproved { payment_id, reservation_id, car_no, customer_id, amount } => {
                self.payment_id = payment_id.clone();
                self.reservation_id = reservation_id.clone();
                self.car_no = car_no.clone();
                self.customer_id = customer_id.clone();
                self.amount = *amount;
                self.status = Some(Status::Approved);
            }
            PaymentEvent::PaymentCanceled { .. } => self.status = Some(Status::Canceled),
            PaymentEvent::ReservationClosed { payment_id, reservation_id } => {
                self.payment_id = payment_id.clone();
                self.reservation_id = reservation_id.clone();
                self.reservation_closed = true;
            }
            PaymentEvent::CarReturnedNoted { .. } => self.car_returned = true,
        }
    }

    fn owner(&self) -> Option<&str> {
        Some(&self.customer_id)
    }
}

#[cfg(test)]
mod tests {
    use framework::aggregate::given;

    use super::*;
    use PaymentEvent::*;

    fn charge() -> Charge {
        Charge { reservation_id: "r1".into(), car_no: "car01".into(), customer_id: "alice".into(), amount: 50_000 }
    }

    fn approved() -> PaymentEvent {
        PaymentApproved {
            payment_id: payment_of("r1"),
            reservation_id: "r1".into(),
            car_no: "car01".into(),
            customer_id: "alice".into(),
            amount: 50_000,
        }
    }

    fn canceled() -> PaymentEvent {
        PaymentCanceled {
            payment_id: payment_of("r1"),
            reservation_id: "r1".into(),
            car_no: "car01".into(),
            customer_id: "alice".into(),
            amount: 50_000,
        }
    }

    #[test]
    fn a_charge_is_approved_once_and_a_retry_is_the_same_approval() {
        let state = given::<Payment>([]).when(Command::Approve(charge())).then_expect(vec![approved()]);
        assert_eq!(state.status, Some(Status::Approved));
        given::<Payment>([approved()]).when(Command::Approve(charge())).then_expect(vec![]);
    }

    #[test]
    fn a_reservation_canceled_before_any_approval_refuses_a_late_one() {
        let closed = given::<Payment>([])
            .when(Command::CloseReservation { reservation_id: "r1".into() })
            .then_expect(vec![ReservationClosed { payment_id: payment_of("r1"), reservation_id: "r1".into() }]);
        assert!(closed.reservation_closed);
        let closed = ReservationClosed { payment_id: payment_of("r1"), reservation_id: "r1".into() };
        assert_eq!(
            given::<Payment>([closed]).when(Command::Approve(charge())).then_refuse(),
            PaymentError::ReservationClosed
        );
    }

    #[test]
    fn a_canceled_reservation_refunds_its_approval_once() {
        given::<Payment>([approved()])
            .when(Command::CloseReservation { reservation_id: "r1".into() })
            .then_expect(vec![canceled()]);
        given::<Payment>([approved(), canceled()])
            .when(Command::CloseReservation { reservation_id: "r1".into() })
            .then_expect(vec![]);
    }

    #[test]
    fn the_customer_cancels_until_the_car_is_returned() {
        given::<Payment>([approved()]).when(Command::Cancel).then_expect(vec![canceled()]);
        let returned = CarReturnedNoted { payment_id: payment_of("r1") };
        assert_eq!(
            given::<Payment>([approved(), returned]).when(Command::Cancel).then_refuse(),
            PaymentError::CarReturned
        );
        assert_eq!(
            given::<Payment>([approved(), canceled()]).when(Command::Cancel).then_refuse(),
            PaymentError::NotCancelable(Status::Canceled)
        );
    }
}
