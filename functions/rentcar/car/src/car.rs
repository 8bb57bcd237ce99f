//! The Car aggregate (yellow sticky): a car staff registered, until they
//! delete it; and the [`Booking`] of each reservation that holds it.
//!
//! Car keeps a count of its live bookings, so it is deleted only when no
//! reservation holds it. The count moves with the booking records of one
//! reservation ([`Booking`]), in the same transaction: one item per
//! reservation, `Booked` then `Released` (terminal). A release heard before
//! the booking leaves a `Released` tombstone, so the late booking never
//! holds the car; a repeated one changes nothing. Both aggregates read the
//! one event enum [`CarEvent`], so the fact "reservation r booked car c" is
//! the same record on the booking and on the car.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "CarStatus")]
pub enum Status {
    /// In service: it may be reserved.
    Registered,
    /// Gone for good; its number is not reused.
    Deleted,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Car {
    pub car_no: String,
    pub model: String,
    pub daily_rate: u64,
    /// `None` before it is registered.
    pub status: Option<Status>,
    /// How many reservations hold it now (their booking is `Booked`).
    pub live: u32,
}

impl Car {
    /// Registered and not deleted: reservations of it are followed.
    pub fn in_service(&self) -> bool {
        self.status == Some(Status::Registered)
    }
}

#[derive(Debug, Clone)]
pub enum Command {
    Register { car_no: String, model: String, daily_rate: u64 },
    Delete,
}

/// The car context's language: `CarRegistered` and `CarDeleted` are
/// published; `CarBooked` and `CarReleased` are recorded on a reservation's
/// [`Booking`] (and counted on its car), never published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum CarEvent {
    CarRegistered { car_no: String, model: String, daily_rate: u64 },
    CarDeleted { car_no: String },
    CarBooked { car_no: String, reservation_id: String },
    CarReleased { car_no: String, reservation_id: String },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum CarError {
    #[error("car {car_no} is {status} already")]
    AlreadyRegistered { car_no: String, status: Status },
    #[error("no such car")]
    NotRegistered,
    #[error("car {car_no} is deleted")]
    Deleted { car_no: String },
    #[error("{live} live reservation(s) hold the car")]
    Booked { live: u32 },
}

impl Aggregate for Car {
    const TYPE: &'static str = "Car";
    type Command = Command;
    type Event = CarEvent;
    type Error = CarError;

    fn handle(&self, command: Command) -> Result<Vec<CarEvent>, CarError> {
        match (command, self.status) {
            (Command::Register { car_no, model, daily_rate }, None) => {
                Ok(vec![CarEvent::CarRegistered { car_no, model, daily_rate }])
            }
            (Command::Register { car_no, .. }, Some(status)) => Err(CarError::AlreadyRegistered { car_no, status }),
            (Command::Delete, None) => Err(CarError::NotRegistered),
            (Command::Delete, Some(Status::Deleted)) => Err(CarError::Deleted { car_no: self.car_no.clone() }),
            (Command::Delete, Some(Status::Registered)) if self.live > 0 => Err(CarError::Booked { live: self.live }),
            (Command::Delete, Some(Status::Registered)) => {
                Ok(vec![CarEvent::CarDeleted { car_no: self.car_no.clone() }])
            }
        }
    }

    fn apply(&mut self, event: &CarEvent) {
        match event {
            CarEvent::CarRegistered { car_no, model, daily_rate } => {
                *self = Self {
                    car_no: car_no.clone(),
                    model: model.clone(),
                    daily_rate: *daily_rate,
                    status: Some(Status::Registered),
                    live: 0,
                }
            }
            CarEvent::CarDeleted { .. } => self.status = Some(Status::Deleted),
            // Applied to the car only when the booking starts or stops holding it.
            CarEvent::CarBooked { .. } => self.live += 1,
            CarEvent::CarReleased { .. } => self.live = self.live.saturating_sub(1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
pub enum BookingStatus {
    /// The reservation holds the car.
    Booked,
    /// It no longer does, or never will (released before it was booked).
    Released,
}

/// What car knows of one reservation of one of its cars (keyed by the
/// reservation id): whether it holds the car.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    pub reservation_id: String,
    pub car_no: String,
    /// `None` before car heard of the reservation.
    pub status: Option<BookingStatus>,
}

impl Booking {
    /// Whether the reservation holds its car now.
    pub fn is_live(&self) -> bool {
        self.status == Some(BookingStatus::Booked)
    }
}

/// The reservation news car follows.
#[derive(Debug, Clone)]
pub enum BookingCommand {
    /// `CarReserved`.
    Book { car_no: String, reservation_id: String },
    /// `ReservationCanceled`, `CarReturned`.
    Release { car_no: String, reservation_id: String },
}

impl Aggregate for Booking {
    const TYPE: &'static str = "Booking";
    const RECORDED: &'static [&'static str] = &["CarBooked", "CarReleased"];
    type Command = BookingCommand;
    type Event = CarEvent;
    type Error = CarError;

    fn handle(&self, command: BookingCommand) -> Result<Vec<CarEvent>, CarError> {
        match (command, self.status) {
            (BookingCommand::Book { car_no, reservation_id }, None) => {
                Ok(vec![CarEvent::CarBooked { car_no, reservation_id }])
            }
            // Booked already (a redelivery), or released first: it never holds the car again.
            (BookingCommand::Book { .. }, Some(_)) => Ok(vec![]),
            (BookingCommand::Release { .. }, Some(BookingStatus::Released)) => Ok(vec![]),
            // Booked: the car is free of it. Not heard of yet: a tombstone.
            (BookingCommand::Release { car_no, reservation_id }, _) => {
                Ok(vec![CarEvent::CarReleased { car_no, reservation_id }])
            }
        }
    }

    fn apply(&mut self, event: &CarEvent) {
        let (car_no, reservation_id, status) = match event {
            CarEvent::CarBooked { car_no, reservation_id } => (car_no, reservation_id, BookingStatus::Booked),
            CarEvent::CarReleased { car_no, reservation_id } => (car_no, reservation_id, BookingStatus::Released),
            CarEvent::CarRegistered { .. } | CarEvent::CarDeleted { .. } => return,
        };
        self.car_no = car_no.clone();
        self.reservation_id = reservation_id.clone();
        self.status = Some(status);
    }
}

#[cfg(test)]
mod tests {
    use framework::aggregate::given;

    use super::*;

    fn registered() -> CarEvent {
        CarEvent::CarRegistered { car_no: "12GA3456".into(), model: "Avante".into(), daily_rate: 50_000 }
    }

    fn booked(reservation_id: &str) -> CarEvent {
        CarEvent::CarBooked { car_no: "12GA3456".into(), reservation_id: reservation_id.into() }
    }

    fn released(reservation_id: &str) -> CarEvent {
        CarEvent::CarReleased { car_no: "12GA3456".into(), reservation_id: reservation_id.into() }
    }

    fn book(reservation_id: &str) -> BookingCommand {
        BookingCommand::Book { car_no: "12GA3456".into(), reservation_id: reservation_id.into() }
    }

    fn release(reservation_id: &str) -> BookingCommand {
        BookingCommand::Release { car_no: "12GA3456".into(), reservation_id: reservation_id.into() }
    }

    fn register() -> Command {
        Command::Register { car_no: "12GA3456".into(), model: "Avante".into(), daily_rate: 50_000 }
    }

    #[test]
    fn registering_puts_a_car_in_service() {
        let state = given::<Car>([]).when(register()).then_expect(vec![registered()]);
        assert!(state.in_service());
        assert_eq!((state.daily_rate, state.live), (50_000, 0));
    }

    #[test]
    fn a_car_number_is_registered_once_even_after_deletion() {
        let refused = given::<Car>([registered()]).when(register()).then_refuse();
        assert_eq!(refused, CarError::AlreadyRegistered { car_no: "12GA3456".into(), status: Status::Registered });
        let deleted = CarEvent::CarDeleted { car_no: "12GA3456".into() };
        let refused = given::<Car>([registered(), deleted]).when(register()).then_refuse();
        assert_eq!(refused, CarError::AlreadyRegistered { car_no: "12GA3456".into(), status: Status::Deleted });
    }

    #[test]
    fn a_car_no_reservation_holds_is_deleted_once() {
        let deleted = CarEvent::CarDeleted { car_no: "12GA3456".into() };
        let state = given::<Car>([registered()]).when(Command::Delete).then_expect(vec![deleted.clone()]);
        assert!(!state.in_service());
        let refused = given::<Car>([registered(), deleted]).when(Command::Delete).then_refuse();
        assert_eq!(refused, CarError::Deleted { car_no: "12GA3456".into() });
        assert_eq!(given::<Car>([]).when(Command::Delete).then_refuse(), CarError::NotRegistered);
    }

    #[test]
    fn a_car_held_by_live_bookings_is_not_deleted_and_says_how_many() {
        let refused = given::<Car>([registered(), booked("r1"), booked("r2"), released("r1")])
            .when(Command::Delete)
            .then_refuse();
        assert_eq!(refused, CarError::Booked { live: 1 });
        given::<Car>([registered(), booked("r1"), booked("r2"), released("r1"), released("r2")])
            .when(Command::Delete)
            .then_expect(vec![CarEvent::CarDeleted { car_no: "12GA3456".into() }]);
    }

    #[test]
    fn a_reservation_books_the_car_once() {
        let state = given::<Booking>([]).when(book("r1")).then_expect(vec![booked("r1")]);
        assert!(state.is_live());
        given::<Booking>([booked("r1")]).when(book("r1")).then_expect(vec![]);
    }

    #[test]
    fn a_release_frees_the_car_once_and_for_good() {
        let state = given::<Booking>([booked("r1")]).when(release("r1")).then_expect(vec![released("r1")]);
        assert_eq!(state.status, Some(BookingStatus::Released));
        given::<Booking>([booked("r1"), released("r1")]).when(release("r1")).then_expect(vec![]);
        given::<Booking>([booked("r1"), released("r1")]).when(book("r1")).then_expect(vec![]);
    }

    #[test]
    fn a_release_before_the_booking_leaves_a_tombstone_the_late_booking_cannot_revive() {
        let state = given::<Booking>([]).when(release("r1")).then_expect(vec![released("r1")]);
        assert!(!state.is_live());
        assert_eq!(state.status, Some(BookingStatus::Released));
        let state = given::<Booking>([released("r1")]).when(book("r1")).then_expect(vec![]);
        assert!(!state.is_live());
    }
}
