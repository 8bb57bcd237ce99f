//! The Reservation aggregate (yellow sticky): one copy of one book for one
//! customer, `Requested` until stock answers, then `Reserved` or `Failed`;
//! a `Reserved` one may be `Canceled` by its owner.

use framework::Aggregate;
use framework::store::Key;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "ReservationStatus")]
pub enum Status {
    Requested,
    Reserved,
    Failed,
    Canceled,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub reservation_id: String,
    pub book_id: String,
    pub title: String,
    pub customer_id: String,
    /// `None` before the reservation is requested.
    pub status: Option<Status>,
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Command {
    Request {
        reservation_id: String,
        book_id: String,
        title: String,
        customer_id: String,
    },
    /// Stock set a copy aside.
    Confirm,
    /// Stock had none.
    Fail {
        reason: String,
    },
    Cancel,
}

/// The reservation context's published language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum ReservationEvent {
    ReservationRequested { reservation_id: String, book_id: String, title: String, customer_id: String },
    Reserved { reservation_id: String, book_id: String, title: String, customer_id: String },
    ReservationFailed { reservation_id: String, book_id: String, title: String, customer_id: String, reason: String },
    ReservationCanceled { reservation_id: String, book_id: String, title: String, customer_id: String },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ReservationError {
    #[error("reservation already exists")]
    AlreadyRequested,
    #[error("no such reservation")]
    Unknown,
    #[error("the reservation is {0}; only a Reserved one can be canceled")]
    NotCancelable(Status),
}

impl Reservation {
    fn parts(&self) -> (String, String, String, String) {
        (self.reservation_id.clone(), self.book_id.clone(), self.title.clone(), self.customer_id.clone())
    }
}

impl Aggregate for Reservation {
    const TYPE: &'static str = "Reservation";
    type Command = Command;
    type Event = ReservationEvent;
    type Error = ReservationError;

    fn handle(&self, command: Command) -> Result<Vec<ReservationEvent>, ReservationError> {
        use ReservationEvent::*;
        let (reservation_id, book_id, title, customer_id) = self.parts();
        match (command, self.status) {
            (Command::Request { reservation_id, book_id, title, customer_id }, None) => {
                Ok(vec![ReservationRequested { reservation_id, book_id, title, customer_id }])
            }
            (Command::Request { .. }, Some(_)) => Err(ReservationError::AlreadyRequested),
            (_, None) => Err(ReservationError::Unknown),
            (Command::Confirm, Some(Status::Requested)) => {
                Ok(vec![Reserved { reservation_id, book_id, title, customer_id }])
            }
            (Command::Fail { reason }, Some(Status::Requested)) => {
                Ok(vec![ReservationFailed { reservation_id, book_id, title, customer_id, reason }])
            }
            // Stock answers once per reservation; a repeated answer changes nothing.
            (Command::Confirm | Command::Fail { .. }, Some(_)) => Ok(vec![]),
            (Command::Cancel, Some(Status::Reserved)) => {
                Ok(vec![ReservationCanceled { reservation_id, book_id, title, customer_id }])
            }
            (Command::Cancel, Some(status)) => Err(ReservationError::NotCancelable(status)),
        }
    }

    fn apply(&mut self, event: &ReservationEvent) {
        use ReservationEvent::*;
        match event {
            ReservationRequested { reservation_id, book_id, title, customer_id } => {
                *self = Self {
                    reservation_id: reservation_id.clone(),
                    book_id: book_id.clone(),
                    title: title.clone(),
                    customer_id: customer_id.clone(),
                    status: Some(Status::Requested),
                    failure_reason: None,
                }
            }
            Reserved { .. } => self.status = Some(Status::Reserved),
            ReservationFailed { reason, .. } => {
                self.status = Some(Status::Failed);
                self.failure_reason = Some(reason.clone());
            }
            ReservationCanceled { .. } => self.status = Some(Status::Canceled),
        }
    }

    fn owner(&self) -> Option<&str> {
        Some(&self.customer_id)
    }

    /// Listed under its customer, in the order reservations were made.
    fn listed_under(&self) -> Option<Key> {
        Some(Key::new(framework::customer_partition(&self.customer_id), self.reservation_id.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReservationEvent::*;
    use framework::aggregate::given;

    fn requested() -> ReservationEvent {
        ReservationRequested {
            reservation_id: "r1".into(),
            book_id: "b1".into(),
            title: "Dune".into(),
            customer_id: "alice".into(),
        }
    }

    fn reserved() -> ReservationEvent {
        Reserved {
            reservation_id: "r1".into(),
            book_id: "b1".into(),
            title: "Dune".into(),
            customer_id: "alice".into(),
        }
    }

    #[test]
    fn a_request_raises_reservation_requested() {
        let state = given::<Reservation>([])
            .when(Command::Request {
                reservation_id: "r1".into(),
                book_id: "b1".into(),
                title: "Dune".into(),
                customer_id: "alice".into(),
            })
            .then_expect(vec![requested()]);
        assert_eq!(state.status, Some(Status::Requested));
    }

    #[test]
    fn stock_set_aside_confirms_the_reservation() {
        let state = given::<Reservation>([requested()]).when(Command::Confirm).then_expect(vec![reserved()]);
        assert_eq!(state.status, Some(Status::Reserved));
    }

    #[test]
    fn no_stock_fails_the_reservation_with_the_reason() {
        let state = given::<Reservation>([requested()])
            .when(Command::Fail { reason: "out_of_stock".into() })
            .then_expect(vec![ReservationFailed {
                reservation_id: "r1".into(),
                book_id: "b1".into(),
                title: "Dune".into(),
                customer_id: "alice".into(),
                reason: "out_of_stock".into(),
            }]);
        assert_eq!(state.status, Some(Status::Failed));
    }

    #[test]
    fn a_repeated_stock_answer_changes_nothing() {
        given::<Reservation>([requested(), reserved()]).when(Command::Confirm).then_expect(vec![]);
        given::<Reservation>([requested(), reserved()])
            .when(Command::Fail { reason: "late".into() })
            .then_expect(vec![]);
    }

    #[test]
    fn only_a_reserved_reservation_can_be_canceled() {
        given::<Reservation>([requested(), reserved()]).when(Command::Cancel).then_expect(vec![ReservationCanceled {
            reservation_id: "r1".into(),
            book_id: "b1".into(),
            title: "Dune".into(),
            customer_id: "alice".into(),
        }]);
        let refused = given::<Reservation>([requested()]).when(Command::Cancel).then_refuse();
        assert_eq!(refused, ReservationError::NotCancelable(Status::Requested));
    }

    #[test]
    fn a_canceled_reservation_cannot_be_canceled_again() {
        let canceled = ReservationCanceled {
            reservation_id: "r1".into(),
            book_id: "b1".into(),
            title: "Dune".into(),
            customer_id: "alice".into(),
        };
        let refused = given::<Reservation>([requested(), reserved(), canceled]).when(Command::Cancel).then_refuse();
        assert_eq!(refused, ReservationError::NotCancelable(Status::Canceled));
    }

    #[test]
    fn stock_answers_for_an_unknown_reservation_are_refused() {
        assert_eq!(given::<Reservation>([]).when(Command::Confirm).then_refuse(), ReservationError::Unknown);
    }
}
