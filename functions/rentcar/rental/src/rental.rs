//! The Rental aggregate (yellow sticky): the car handed over for a paid
//! reservation, `Rented` until staff take it back (`Returned`) or its
//! payment is canceled (`Canceled`).
//!
//! One rental per reservation: its id is derived from the reservation's
//! (`framework::derived_id("rental", reservationId)`), so a redelivered or
//! repeated `PaymentApproved` names the same rental. A `PaymentCanceled`
//! heard before the rental started closes it (`RentalClosed`, recorded,
//! never published), and a late `PaymentApproved` then starts nothing.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "RentalStatus")]
pub enum Status {
    Rented,
    Returned,
    Canceled,
    /// Closed before it started: it never will. Not a rental anyone sees.
    Closed,
}

/// The id of the rental of a reservation.
pub fn rental_of(reservation_id: &str) -> String {
    framework::derived_id("rental", reservation_id)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rental {
    pub rental_id: String,
    pub reservation_id: String,
    pub payment_id: String,
    pub car_no: String,
    pub customer_id: String,
    /// `None` before payment's news.
    pub status: Option<Status>,
}

impl Rental {
    /// It started: `Rented`, `Returned` or `Canceled` (not closed before it started).
    pub fn started(&self) -> bool {
        matches!(self.status, Some(Status::Rented | Status::Returned | Status::Canceled))
    }
}

/// What payment's news is about: the reservation paid for (or no longer).
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    pub payment_id: String,
    pub reservation_id: String,
    pub car_no: String,
    pub customer_id: String,
}

#[derive(Debug, Clone)]
pub enum Command {
    /// `PaymentApproved`.
    Start(Payment),
    /// `PaymentCanceled`.
    Cancel(Payment),
    /// Staff took the car back.
    Return,
}

/// The rental context's language: `CarRented`, `CarReturned` and
/// `RentalCanceled` are published; `RentalClosed` is recorded only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum RentalEvent {
    CarRented { rental_id: String, reservation_id: String, payment_id: String, car_no: String, customer_id: String },
    CarReturned { rental_id: String, reservation_id: String, car_no: String, customer_id: String },
    RentalCanceled { rental_id: String, reservation_id: String, car_no: String, customer_id: String },
    RentalClosed { rental_id: String, reservation_id: String, payment_id: String, car_no: String, customer_id: String },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum RentalError {
    #[error("no such rental")]
    Unknown,
    #[error("the rental is {0}; only a Rented one can be returned")]
    NotRented(Status),
}

impl Aggregate for Rental {
    const TYPE: &'static str = "Rental";
    const RECORDED: &'static [&'static str] = &["RentalClosed"];
    type Command = Command;
    type Event = RentalEvent;
    type Error = RentalError;

    fn handle(&self, command: Command) -> Result<Vec<RentalEvent>, RentalError> {
        use RentalEvent::*;
        match (command, self.status) {
            (Command::Start(Payment { payment_id, reservation_id, car_no, customer_id }), None) => {
                Ok(vec![CarRented {
                    rental_id: rental_of(&reservation_id),
                    reservation_id,
                    payment_id,
                    car_no,
                    customer_id,
                }])
            }
            // Started already (a redelivery), or closed first: the cancel wins.
            (Command::Start(_), Some(_)) => Ok(vec![]),
            (Command::Cancel(Payment { payment_id, reservation_id, car_no, customer_id }), None) => {
                Ok(vec![RentalClosed {
                    rental_id: rental_of(&reservation_id),
                    reservation_id,
                    payment_id,
                    car_no,
                    customer_id,
                }])
            }
            (Command::Cancel(_), Some(Status::Rented)) => Ok(vec![RentalCanceled {
                rental_id: self.rental_id.clone(),
                reservation_id: self.reservation_id.clone(),
                car_no: self.car_no.clone(),
                customer_id: self.customer_id.clone(),
            }]),
            // Returned (payment refuses a cancel then), or over already.
            (Command::Cancel(_), Some(Status::Returned | Status::Canceled | Status::Closed)) => Ok(vec![]),
            (Command::Return, None | Some(Status::Closed)) => Err(RentalError::Unknown),
            (Command::Return, Some(Status::Rented)) => Ok(vec![CarReturned {
                rental_id: self.rental_id.clone(),
                reservation_id: self.reservation_id.clone(),
                car_no: self.car_no.clone(),
                customer_id: self.customer_id.clone(),
            }]),
            (Command::Return, Some(status)) => Err(RentalError::NotRented(status)),
        }
    }

    fn apply(&mut self, event: &RentalEvent) {
        use RentalEvent::*;
        let (rental_id, reservation_id, car_no, customer_id, status) = match event {
            CarRented { rental_id, reservation_id, car_no, customer_id, .. } => {
                (rental_id, reservation_id, car_no, customer_id, Status::Rented)
            }
            CarReturned { rental_id, reservation_id, car_no, customer_id } => {
                (rental_id, reservation_id, car_no, customer_id, Status::Returned)
            }
            RentalCanceled { rental_id, reservation_id, car_no, customer_id } => {
                (rental_id, reservation_id, car_no, customer_id, Status::Canceled)
            }
            RentalClosed { rental_id, reservation_id, car_no, customer_id, .. } => {
                (rental_id, reservation_id, car_no, customer_id, Status::Closed)
            }
        };
        if let CarRented { payment_id, .. } | RentalClosed { payment_id, .. } = event {
            self.payment_id = payment_id.clone();
        }
        self.rental_id = rental_id.clone();
        self.reservation_id = reservation_id.clone();
        self.car_no = car_no.clone();
        self.customer_id = customer_id.clone();
        self.status = Some(status);
    }
}

#[cfg(test)]
mod tests {
    use framework::aggregate::given;

    use super::*;
    use RentalEvent::*;

    fn payment() -> Payment {
        Payment {
            payment_id: "p1".into(),
            reservation_id: "r1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn rented() -> RentalEvent {
        CarRented {
            rental_id: rental_of("r1"),
            reservation_id: "r1".into(),
            payment_id: "p1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn returned() -> RentalEvent {
        CarReturned {
            rental_id: rental_of("r1"),
            reservation_id: "r1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn canceled() -> RentalEvent {
        RentalCanceled {
            rental_id: rental_of("r1"),
            reservation_id: "r1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn closed() -> RentalEvent {
        RentalClosed {
            rental_id: rental_of("r1"),
            reservation_id: "r1".into(),
            payment_id: "p1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    #[test]
    fn an_approved_payment_rents_the_car_once() {
        let state = given::<Rental>([]).when(Command::Start(payment())).then_expect(vec![rented()]);
        assert_eq!((state.status, state.rental_id.as_str()), (Some(Status::Rented), rental_of("r1").as_str()));
        given::<Rental>([rented()]).when(Command::Start(payment())).then_expect(vec![]);
    }

    #[test]
    fn a_canceled_payment_cancels_the_rented_car() {
        let state = given::<Rental>([rented()]).when(Command::Cancel(payment())).then_expect(vec![canceled()]);
        assert_eq!(state.status, Some(Status::Canceled));
        given::<Rental>([rented(), canceled()]).when(Command::Cancel(payment())).then_expect(vec![]);
    }

    #[test]
    fn a_cancel_before_the_start_closes_the_rental_and_it_never_starts() {
        let state = given::<Rental>([]).when(Command::Cancel(payment())).then_expect(vec![closed()]);
        assert!(!state.started());
        given::<Rental>([closed()]).when(Command::Start(payment())).then_expect(vec![]);
        given::<Rental>([closed()]).when(Command::Cancel(payment())).then_expect(vec![]);
    }

    #[test]
    fn only_a_rented_car_is_returned() {
        let state = given::<Rental>([rented()]).when(Command::Return).then_expect(vec![returned()]);
        assert_eq!(state.status, Some(Status::Returned));
        assert_eq!(
            given::<Rental>([rented(), returned()]).when(Command::Return).then_refuse(),
            RentalError::NotRented(Status::Returned)
        );
        assert_eq!(
            given::<Rental>([rented(), canceled()]).when(Command::Return).then_refuse(),
            RentalError::NotRented(Status::Canceled)
        );
        assert_eq!(given::<Rental>([]).when(Command::Return).then_refuse(), RentalError::Unknown);
        assert_eq!(given::<Rental>([closed()]).when(Command::Return).then_refuse(), RentalError::Unknown);
    }

    #[test]
    fn a_payment_canceled_after_the_return_changes_nothing() {
        given::<Rental>([rented(), returned()]).when(Command::Cancel(payment())).then_expect(vec![]);
    }
}
