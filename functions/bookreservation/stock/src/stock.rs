//! The Stock aggregate (yellow sticky): the copies of one book on hand.
//! Copies come in (`Receive`), go out one per reservation (`Reserve`) and
//! come back when that reservation is canceled (`Restore`).
//!
//! Invariant: `available = received − reserved + restored`, never negative.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stock {
    pub book_id: String,
    pub title: String,
    pub available: u64,
    pub received: u64,
    pub reserved: u64,
    pub restored: u64,
}

#[derive(Debug, Clone)]
pub enum Command {
    Receive { book_id: String, title: String, quantity: u64 },
    Reserve { reservation_id: String, book_id: String },
    Restore { reservation_id: String },
}

/// The stock context's published language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum StockEvent {
    StockReceived { book_id: String, title: String, quantity: u64, available: u64 },
    StockReserved { book_id: String, title: String, reservation_id: String, available: u64 },
    StockReservationFailed { book_id: String, reservation_id: String, reason: String },
    StockRestored { book_id: String, title: String, reservation_id: String, available: u64 },
}

pub const OUT_OF_STOCK: &str = "out_of_stock";
pub const UNKNOWN_BOOK: &str = "unknown_book";

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum StockError {
    #[error("book {book_id} is already registered as '{title}'")]
    TitleMismatch { book_id: String, title: String },
    #[error("no stock for this book")]
    Unknown,
}

impl Stock {
    pub fn exists(&self) -> bool {
        !self.book_id.is_empty()
    }
}

impl Aggregate for Stock {
    const TYPE: &'static str = "Stock";
    type Command = Command;
    type Event = StockEvent;
    type Error = StockError;

    fn handle(&self, command: Command) -> Result<Vec<StockEvent>, StockError> {
        match command {
            Command::Receive { book_id, title, quantity } => {
                if self.exists() && self.title != title {
                    return Err(StockError::TitleMismatch { book_id, title: self.title.clone() });
                }
                Ok(vec![StockEvent::StockReceived { book_id, title, quantity, available: self.available + quantity }])
            }
            Command::Reserve { reservation_id, book_id } if !self.exists() => {
                Ok(vec![StockEvent::StockReservationFailed { book_id, reservation_id, reason: UNKNOWN_BOOK.into() }])
            }
            Command::Reserve { reservation_id, .. } if self.available == 0 => {
                Ok(vec![StockEvent::StockReservationFailed {
                    book_id: self.book_id.clone(),
                    reservation_id,
                    reason: OUT_OF_STOCK.into(),
                }])
            }
            Command::Reserve { reservation_id, .. } => Ok(vec![StockEvent::StockReserved {
                book_id: self.book_id.clone(),
                title: self.title.clone(),
                reservation_id,
                available: self.available - 1,
            }]),
            Command::Restore { .. } if !self.exists() => Err(StockError::Unknown),
            Command::Restore { reservation_id } => Ok(vec![StockEvent::StockRestored {
                book_id: self.book_id.clone(),
                title: self.title.clone(),
                reservation_id,
                available: self.available + 1,
            }]),
        }
    }

    fn apply(&mut self, event: &StockEvent) {
        match event {
            StockEvent::StockReceived { book_id, title, quantity, available } => {
                self.book_id = book_id.clone();
                self.title = title.clone();
                self.received += quantity;
                self.available = *available;
            }
            StockEvent::StockReserved { available, .. } => {
                self.reserved += 1;
                self.available = *available;
            }
            StockEvent::StockReservationFailed { .. } => {}
            StockEvent::StockRestored { available, .. } => {
                self.restored += 1;
                self.available = *available;
            }
        }
    }
}

/// Which reservation holds a copy of which book: stock is given back only
/// for a copy that was taken, and only once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    pub reservation_id: String,
    pub book_id: String,
    pub status: Option<AllocationStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AllocationStatus {
    /// A copy is set aside for the reservation.
    Taken,
    /// The stock answered "no copy"; nothing to give back.
    Refused,
    /// The copy went back on the shelf.
    Returned,
}

impl Aggregate for Allocation {
    const TYPE: &'static str = "Allocation";
    /// Allocations are moved by the stock events of their reservation.
    type Command = StockEvent;
    type Event = StockEvent;
    type Error = StockError;

    fn handle(&self, event: StockEvent) -> Result<Vec<StockEvent>, StockError> {
        Ok(vec![event])
    }

    fn apply(&mut self, event: &StockEvent) {
        match event {
            StockEvent::StockReserved { book_id, reservation_id, .. } => {
                self.reservation_id = reservation_id.clone();
                self.book_id = book_id.clone();
                self.status = Some(AllocationStatus::Taken);
            }
            StockEvent::StockReservationFailed { book_id, reservation_id, .. } => {
                self.reservation_id = reservation_id.clone();
                self.book_id = book_id.clone();
                self.status = Some(AllocationStatus::Refused);
            }
            StockEvent::StockRestored { .. } => self.status = Some(AllocationStatus::Returned),
            StockEvent::StockReceived { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StockEvent::*;
    use framework::aggregate::given;

    fn received(quantity: u64, available: u64) -> StockEvent {
        StockReceived { book_id: "b1".into(), title: "Dune".into(), quantity, available }
    }

    #[test]
    fn receiving_books_creates_the_stock_or_adds_to_it() {
        given::<Stock>([])
            .when(Command::Receive { book_id: "b1".into(), title: "Dune".into(), quantity: 2 })
            .then_expect(vec![received(2, 2)]);
        let state = given::<Stock>([received(2, 2)])
            .when(Command::Receive { book_id: "b1".into(), title: "Dune".into(), quantity: 3 })
            .then_expect(vec![received(3, 5)]);
        assert_eq!((state.available, state.received), (5, 5));
    }

    #[test]
    fn receiving_under_another_title_is_refused() {
        let refused = given::<Stock>([received(2, 2)])
            .when(Command::Receive { book_id: "b1".into(), title: "Emma".into(), quantity: 1 })
            .then_refuse();
        assert!(matches!(refused, StockError::TitleMismatch { .. }));
    }

    #[test]
    fn a_reservation_takes_one_copy() {
        let state = given::<Stock>([received(1, 1)])
            .when(Command::Reserve { reservation_id: "r1".into(), book_id: "b1".into() })
            .then_expect(vec![StockReserved {
                book_id: "b1".into(),
                title: "Dune".into(),
                reservation_id: "r1".into(),
                available: 0,
            }]);
        assert_eq!((state.available, state.reserved), (0, 1));
    }

    #[test]
    fn no_copy_left_fails_the_reservation_and_stock_stays_at_zero() {
        let state = given::<Stock>([
            received(1, 1),
            StockReserved { book_id: "b1".into(), title: "Dune".into(), reservation_id: "r1".into(), available: 0 },
        ])
        .when(Command::Reserve { reservation_id: "r2".into(), book_id: "b1".into() })
        .then_expect(vec![StockReservationFailed {
            book_id: "b1".into(),
            reservation_id: "r2".into(),
            reason: OUT_OF_STOCK.into(),
        }]);
        assert_eq!(state.available, 0);
    }

    #[test]
    fn a_reservation_of_an_unknown_book_fails() {
        given::<Stock>([]).when(Command::Reserve { reservation_id: "r1".into(), book_id: "b1".into() }).then_expect(
            vec![StockReservationFailed {
                book_id: "b1".into(),
                reservation_id: "r1".into(),
                reason: UNKNOWN_BOOK.into(),
            }],
        );
    }

    #[test]
    fn a_cancellation_gives_the_copy_back() {
        let state = given::<Stock>([
            received(1, 1),
            StockReserved { book_id: "b1".into(), title: "Dune".into(), reservation_id: "r1".into(), available: 0 },
        ])
        .when(Command::Restore { reservation_id: "r1".into() })
        .then_expect(vec![StockRestored {
            book_id: "b1".into(),
            title: "Dune".into(),
            reservation_id: "r1".into(),
            available: 1,
        }]);
        assert_eq!(state.available, state.received - state.reserved + state.restored);
    }
}
