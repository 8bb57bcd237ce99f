//! The Reservation aggregate (yellow sticky): one car for one customer over
//! a range of days, `Reserved` until paid (`Paid`) or `Canceled`. It is
//! *live*, holding its days of the car, while `Reserved` or `Paid` and its
//! rental (if any) is neither returned nor canceled.

use framework::Aggregate;
use framework::store::Key;
use serde::{Deserialize, Serialize};
use time::{Date, format_description::FormatItem, macros::format_description};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "ReservationStatus")]
pub enum Status {
    Reserved,
    Paid,
    Canceled,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::Display, schemars::JsonSchema,
)]
#[schemars(rename = "ReservationRentalStatus")]
pub enum RentalStatus {
    Rented,
    Returned,
    Canceled,
}

/// Why a reservation was canceled (`cancelReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CancelReason {
    /// Its customer canceled it (only while unpaid).
    Customer,
    PaymentCanceled,
    CarDeleted,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub reservation_id: String,
    pub car_no: String,
    pub customer_id: String,
    pub rental_date: String,
    pub return_date: String,
    pub amount: u64,
    /// `None` before it is reserved.
    pub status: Option<Status>,
    pub payment_id: Option<String>,
    pub cancel_reason: Option<CancelReason>,
    pub rental_id: Option<String>,
    pub rental_status: Option<RentalStatus>,
}

/// The longest reservation, in days between rental and return: one
/// transaction claims every day (DynamoDB takes 100 items in one).
pub const MAX_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub reservation_id: String,
    pub car_no: String,
    pub customer_id: String,
    pub rental_date: String,
    pub return_date: String,
    pub amount: u64,
}

#[derive(Debug, Clone)]
pub enum Command {
    Reserve(Booking),
    Cancel(CancelReason),
    /// The customer's `pay`, after payment approved it.
    Pay {
        payment_id: String,
    },
    /// Payment's `PaymentApproved`, heard by event: `Paid` if still `Reserved`.
    FollowPayment {
        payment_id: String,
    },
    FollowRental {
        rental_id: String,
        status: RentalStatus,
    },
}

/// The reservation context's published language, and what it records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum ReservationEvent {
    CarReserved {
        reservation_id: String,
        car_no: String,
        customer_id: String,
        rental_date: String,
        return_date: String,
        amount: u64,
    },
    ReservationCanceled {
        reservation_id: String,
        car_no: String,
        customer_id: String,
        reason: CancelReason,
    },
    /// Recorded: the world heard `PaymentApproved` from payment.
    ReservationPaid {
        reservation_id: String,
        payment_id: String,
    },
    /// Recorded: what rental said of the car.
    RentalFollowed {
        reservation_id: String,
        rental_id: String,
        status: RentalStatus,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ReservationError {
    #[error("the reservation exists already")]
    AlreadyReserved,
    #[error("no such reservation")]
    Unknown,
    #[error("the reservation is {0}; only a Reserved one can be canceled")]
    NotCancelable(Status),
    #[error("the reservation is {0}; only a Reserved one can be paid")]
    NotPayable(Status),
    /// Another live reservation holds the car on that day.
    #[error("the car is reserved on {0}")]
    Overlap(String),
}

impl Reservation {
    /// Holds its days of the car.
    pub fn is_live(&self) -> bool {
        matches!(self.status, Some(Status::Reserved | Status::Paid))
            && !matches!(self.rental_status, Some(RentalStatus::Returned | RentalStatus::Canceled))
    }

    pub fn is_rented(&self) -> bool {
        self.rental_status == Some(RentalStatus::Rented)
    }

    fn canceled(&self, reason: CancelReason) -> ReservationEvent {
        ReservationEvent::ReservationCanceled {
            reservation_id: self.reservation_id.clone(),
            car_no: self.car_no.clone(),
            customer_id: self.customer_id.clone(),
            reason,
        }
    }
}

impl Aggregate for Reservation {
    const TYPE: &'static str = "Reservation";
    const RECORDED: &'static [&'static str] = &["ReservationPaid", "RentalFollowed"];
    type Command = Command;
    type Event = ReservationEvent;
    type Error = ReservationError;

    fn handle(&self, command: Command) -> Result<Vec<ReservationEvent>, ReservationError> {
        use ReservationEvent::*;
        let Some(status) = self.status else {
            return match command {
                Command::Reserve(b) => Ok(vec![CarReserved {
                    reservation_id: b.reservation_id,
                    car_no: b.car_no,
                    customer_id: b.customer_id,
                    rental_date: b.rental_date,
                    return_date: b.return_date,
                    amount: b.amount,
                }]),
                _ => Err(ReservationError::Unknown),
            };
        };
        let id = self.reservation_id.clone();
        match command {
            Command::Reserve(_) => Err(ReservationError::AlreadyReserved),
            Command::Cancel(CancelReason::Customer) if status == Status::Reserved => {
                Ok(vec![self.canceled(CancelReason::Customer)])
            }
            Command::Cancel(CancelReason::Customer) => Err(ReservationError::NotCancelable(status)),
            // A canceled payment cancels the reservation, whatever the rental did.
            Command::Cancel(CancelReason::PaymentCanceled) if status != Status::Canceled => {
                Ok(vec![self.canceled(CancelReason::PaymentCanceled)])
            }
            // A deleted car takes only the reservations still holding it.
            Command::Cancel(CancelReason::CarDeleted) if self.is_live() => {
                Ok(vec![self.canceled(CancelReason::CarDeleted)])
            }
            Command::Cancel(_) => Ok(vec![]),
            Command::Pay { payment_id } => match status {
                Status::Reserved => Ok(vec![ReservationPaid { reservation_id: id, payment_id }]),
                Status::Paid if self.payment_id.as_deref() == Some(payment_id.as_str()) => Ok(vec![]),
                other => Err(ReservationError::NotPayable(other)),
            },
            Command::FollowPayment { payment_id } if status == Status::Reserved => {
                Ok(vec![ReservationPaid { reservation_id: id, payment_id }])
            }
            Command::FollowPayment { .. } => Ok(vec![]),
            // Rented, then Returned or Canceled: a late or repeated event changes nothing.
            Command::FollowRental { rental_id, status } if self.rental_status.is_none_or(|s| s < status) => {
                Ok(vec![RentalFollowed { reservation_id: id, rental_id, status }])
            }
            Command::FollowRental { .. } => Ok(vec![]),
        }
    }

    fn apply(&mut self, event: &ReservationEvent) {
        match event {
            ReservationEvent::CarReserved { reservation_id, car_no, customer_id, rental_date, return_date, amount } => {
                *self = Self {
                    reservation_id: reservation_id.clone(),
                    car_no: car_no.clone(),
                    customer_id: customer_id.clone(),
                    rental_date: rental_date.clone(),
                    return_date: return_date.clone(),
                    amount: *amount,
                    status: Some(Status::Reserved),
                    ..Self::default()
                }
            }
            ReservationEvent::ReservationCanceled { reason, .. } => {
                self.status = Some(Status::Canceled);
                self.cancel_reason = Some(*reason);
            }
            ReservationEvent::ReservationPaid { payment_id, .. } => {
                self.status = Some(Status::Paid);
                self.payment_id = Some(payment_id.clone());
            }
            ReservationEvent::RentalFollowed { rental_id, status, .. } => {
                self.rental_id = Some(rental_id.clone());
                self.rental_status = Some(*status);
            }
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

const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// `YYYY-MM-DD`, or `None`.
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, DATE).ok()
}

/// `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    date.format(DATE).expect("a calendar date always formats")
}

/// The days a reservation holds the car: from its rental date, one per
/// night until its return date, at least one (a same-day rental).
pub fn days_held(rental: Date, return_date: Date) -> Vec<String> {
    let nights = (return_date - rental).whole_days().max(1);
    (0..nights).filter_map(|n| rental.checked_add(time::Duration::days(n))).map(format_date).collect()
}

/// What the reservation costs: the daily rate for each day held.
pub fn amount(daily_rate: u64, rental: Date, return_date: Date) -> u64 {
    daily_rate * (return_date - rental).whole_days().max(1) as u64
}

#[cfg(test)]
mod tests {
    use framework::aggregate::given;

    use super::*;
    use ReservationEvent::*;

    fn reserved() -> ReservationEvent {
        CarReserved {
            reservation_id: "r1".into(),
            car_no: "car01".into(),
            customer_id: "alice".into(),
            rental_date: "2026-12-06".into(),
            return_date: "2026-12-07".into(),
            amount: 10_000,
        }
    }

    fn paid() -> ReservationEvent {
        ReservationPaid { reservation_id: "r1".into(), payment_id: "p1".into() }
    }

    fn rental(status: RentalStatus) -> ReservationEvent {
        RentalFollowed { reservation_id: "r1".into(), rental_id: "t1".into(), status }
    }

    fn canceled(reason: CancelReason) -> ReservationEvent {
        ReservationCanceled { reservation_id: "r1".into(), car_no: "car01".into(), customer_id: "alice".into(), reason }
    }

    #[test]
    fn a_reservation_holds_one_day_per_night_and_a_same_day_rental_one() {
        let (d6, d7, d9) =
            (parse_date("2026-12-06").unwrap(), parse_date("2026-12-07").unwrap(), parse_date("2026-12-09").unwrap());
        assert_eq!(days_held(d6, d7), vec!["2026-12-06"]);
        assert_eq!(days_held(d6, d9), vec!["2026-12-06", "2026-12-07", "2026-12-08"]);
        assert_eq!(days_held(d6, d6), vec!["2026-12-06"]);
        assert_eq!((amount(10_000, d6, d9), amount(10_000, d6, d6)), (30_000, 10_000));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("06/12/2026"), None);
    }

    #[test]
    fn the_customer_cancels_only_while_unpaid() {
        given::<Reservation>([reserved()])
            .when(Command::Cancel(CancelReason::Customer))
            .then_expect(vec![canceled(CancelReason::Customer)]);
        let refused =
            given::<Reservation>([reserved(), paid()]).when(Command::Cancel(CancelReason::Customer)).then_refuse();
        assert_eq!(refused, ReservationError::NotCancelable(Status::Paid));
    }

    #[test]
    fn paying_twice_is_one_payment_and_a_canceled_reservation_is_not_paid() {
        given::<Reservation>([reserved()]).when(Command::Pay { payment_id: "p1".into() }).then_expect(vec![paid()]);
        given::<Reservation>([reserved(), paid()]).when(Command::Pay { payment_id: "p1".into() }).then_expect(vec![]);
        let refused = given::<Reservation>([reserved(), canceled(CancelReason::Customer)])
            .when(Command::Pay { payment_id: "p1".into() })
            .then_refuse();
        assert_eq!(refused, ReservationError::NotPayable(Status::Canceled));
        given::<Reservation>([reserved(), canceled(CancelReason::Customer)])
            .when(Command::FollowPayment { payment_id: "p1".into() })
            .then_expect(vec![]);
    }

    #[test]
    fn a_payment_approved_by_event_makes_it_paid_once() {
        let state = given::<Reservation>([reserved()])
            .when(Command::FollowPayment { payment_id: "p1".into() })
            .then_expect(vec![paid()]);
        assert_eq!(state.status, Some(Status::Paid));
        given::<Reservation>([reserved(), paid()])
            .when(Command::FollowPayment { payment_id: "p1".into() })
            .then_expect(vec![]);
    }

    #[test]
    fn a_canceled_payment_cancels_even_after_the_rental_ended() {
        given::<Reservation>([reserved(), paid(), rental(RentalStatus::Rented), rental(RentalStatus::Canceled)])
            .when(Command::Cancel(CancelReason::PaymentCanceled))
            .then_expect(vec![canceled(CancelReason::PaymentCanceled)]);
    }

    #[test]
    fn a_deleted_car_cancels_only_live_reservations() {
        given::<Reservation>([reserved(), paid()])
            .when(Command::Cancel(CancelReason::CarDeleted))
            .then_expect(vec![canceled(CancelReason::CarDeleted)]);
        given::<Reservation>([reserved(), paid(), rental(RentalStatus::Rented), rental(RentalStatus::Returned)])
            .when(Command::Cancel(CancelReason::CarDeleted))
            .then_expect(vec![]);
    }

    #[test]
    fn the_rental_only_moves_forward_and_ends_liveness() {
        let state = given::<Reservation>([reserved(), paid(), rental(RentalStatus::Returned)])
            .when(Command::FollowRental { rental_id: "t1".into(), status: RentalStatus::Rented })
            .then_expect(vec![]);
        assert!(!state.is_live());
        let state = given::<Reservation>([reserved(), paid()])
            .when(Command::FollowRental { rental_id: "t1".into(), status: RentalStatus::Rented })
            .then_expect(vec![rental(RentalStatus::Rented)]);
        assert!(state.is_live() && state.is_rented());
    }
}
