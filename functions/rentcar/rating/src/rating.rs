//! The Rating aggregate (yellow sticky), one per rental (keyed by its id):
//! what rating learned of the rental (its renter, its car, how far it got)
//! and, once the car is back, the renter's stars.
//!
//! Rental's news comes in any order, so what rating knows of it only moves
//! forward: `Rented` < `Returned` | `Canceled` (a rental is never both).
//! A rental is rated once, by its renter, after its return; the rating's
//! id is derived from the rental's (`framework::derived_id("rating", rentalId)`).

use framework::Aggregate;
use serde::{Deserialize, Serialize};

/// How far the rental got, as rating heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = "RatingRentalStatus")]
pub enum RentalStatus {
    Rented,
    Returned,
    Canceled,
}

impl RentalStatus {
    /// `Rented` first; `Returned` and `Canceled` both end a rental.
    fn rank(self) -> u8 {
        match self {
            RentalStatus::Rented => 0,
            RentalStatus::Returned | RentalStatus::Canceled => 1,
        }
    }
}

/// The id of the rating of a rental.
pub fn rating_of(rental_id: &str) -> String {
    framework::derived_id("rating", rental_id)
}

/// A rental's stars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stars {
    pub rating_id: String,
    pub stars: u8,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rating {
    pub rental_id: String,
    pub reservation_id: String,
    pub car_no: String,
    /// The customer who rented the car: the only one who may rate it.
    pub renter: String,
    /// `None` before rental's news.
    pub rental_status: Option<RentalStatus>,
    /// `None` until rated.
    pub rated: Option<Stars>,
}

/// What rating heard of a rental (from `CarRented`, `CarReturned`, `RentalCanceled`).
#[derive(Debug, Clone, PartialEq)]
pub struct RentalNews {
    pub rental_id: String,
    pub reservation_id: String,
    pub car_no: String,
    pub customer_id: String,
    pub status: RentalStatus,
}

#[derive(Debug, Clone)]
pub enum Command {
    Note(RentalNews),
    /// The renter's stars (1 to 5, checked by the route) and comment.
    Rate {
        stars: u8,
        comment: Option<String>,
    },
}

/// The rating context's language: `CarRated` is published; `RentalNoted`
/// is its own record of the rental's news.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum RatingEvent {
    RentalNoted {
        rental_id: String,
        reservation_id: String,
        car_no: String,
        customer_id: String,
        status: RentalStatus,
    },
    CarRated {
        rating_id: String,
        rental_id: String,
        reservation_id: String,
        car_no: String,
        customer_id: String,
        stars: u8,
        comment: Option<String>,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum RatingError {
    #[error("no such rental")]
    Unknown,
    #[error("the rental is {0}; a car is rated after its return")]
    NotReturned(RentalStatus),
    #[error("the rental is rated already")]
    AlreadyRated,
}

impl Aggregate for Rating {
    const TYPE: &'static str = "Rating";
    const RECORDED: &'static [&'static str] = &["RentalNoted"];
    type Command = Command;
    type Event = RatingEvent;
    type Error = RatingError;

    fn handle(&self, command: Command) -> Result<Vec<RatingEvent>, RatingError> {
        match command {
            Command::Note(news) => {
                // Late or repeated news (not further than what is known) changes nothing.
                if self.rental_status.is_some_and(|known| known.rank() >= news.status.rank()) {
                    return Ok(vec![]);
                }
                let RentalNews { rental_id, reservation_id, car_no, customer_id, status } = news;
                Ok(vec![RatingEvent::RentalNoted { rental_id, reservation_id, car_no, customer_id, status }])
            }
            Command::Rate { stars, comment } => match (self.rental_status, &self.rated) {
                (None, _) => Err(RatingError::Unknown),
                (Some(_), Some(_)) => Err(RatingError::AlreadyRated),
                (Some(RentalStatus::Returned), None) => Ok(vec![RatingEvent::CarRated {
                    rating_id: rating_of(&self.rental_id),
                    rental_id: self.rental_id.clone(),
                    reservation_id: self.reservation_id.clone(),
                    car_no: self.car_no.clone(),
                    customer_id: self.renter.clone(),
                    stars,
                    comment,
                }]),
                (Some(status), None) => Err(RatingError::NotReturned(status)),
            },
        }
    }

    fn apply(&mut self, event: &RatingEvent) {
        match event {
            RatingEvent::RentalNoted { rental_id, reservation_id, car_no, customer_id, status } => {
                self.rental_id = rental_id.clone();
                self.reservation_id = reservation_id.clone();
                self.car_no = car_no.clone();
                self.renter = customer_id.clone();
                self.rental_status = Some(*status);
            }
            RatingEvent::CarRated { rating_id, stars, comment, .. } => {
                self.rated = Some(Stars { rating_id: rating_id.clone(), stars: *stars, comment: comment.clone() })
            }
        }
    }

    /// The renter: only they may rate the car.
    fn owner(&self) -> Option<&str> {
        Some(&self.renter)
    }
}

#[cfg(test)]
mod tests {
    use framework::aggregate::given;

    use super::*;

    fn news(status: RentalStatus) -> RentalNews {
        RentalNews {
            rental_id: "t1".into(),
            reservation_id: "r1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
            status,
        }
    }

    fn noted(status: RentalStatus) -> RatingEvent {
        let RentalNews { rental_id, reservation_id, car_no, customer_id, status } = news(status);
        RatingEvent::RentalNoted { rental_id, reservation_id, car_no, customer_id, status }
    }

    fn rated() -> RatingEvent {
        RatingEvent::CarRated {
            rating_id: rating_of("t1"),
            rental_id: "t1".into(),
            reservation_id: "r1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
            stars: 4,
            comment: Some("Clean and quiet.".into()),
        }
    }

    fn rate() -> Command {
        Command::Rate { stars: 4, comment: Some("Clean and quiet.".into()) }
    }

    #[test]
    fn rental_news_is_noted_with_its_renter() {
        let state = given::<Rating>([])
            .when(Command::Note(news(RentalStatus::Rented)))
            .then_expect(vec![noted(RentalStatus::Rented)]);
        assert_eq!((state.owner(), state.rental_status), (Some("alice"), Some(RentalStatus::Rented)));
        given::<Rating>([noted(RentalStatus::Rented)])
            .when(Command::Note(news(RentalStatus::Returned)))
            .then_expect(vec![noted(RentalStatus::Returned)]);
    }

    #[test]
    fn late_or_repeated_rental_news_never_moves_it_back() {
        given::<Rating>([noted(RentalStatus::Returned)])
            .when(Command::Note(news(RentalStatus::Rented)))
            .then_expect(vec![]);
        given::<Rating>([noted(RentalStatus::Returned)])
            .when(Command::Note(news(RentalStatus::Returned)))
            .then_expect(vec![]);
        given::<Rating>([noted(RentalStatus::Canceled)])
            .when(Command::Note(news(RentalStatus::Rented)))
            .then_expect(vec![]);
        given::<Rating>([noted(RentalStatus::Rented)])
            .when(Command::Note(news(RentalStatus::Rented)))
            .then_expect(vec![]);
    }

    #[test]
    fn a_returned_car_is_rated_once() {
        let state = given::<Rating>([noted(RentalStatus::Rented), noted(RentalStatus::Returned)])
            .when(rate())
            .then_expect(vec![rated()]);
        assert_eq!(state.rated.map(|r| r.stars), Some(4));
        let refused = given::<Rating>([noted(RentalStatus::Returned), rated()]).when(rate()).then_refuse();
        assert_eq!(refused, RatingError::AlreadyRated);
    }

    #[test]
    fn a_rental_not_returned_is_not_rated() {
        let refused = given::<Rating>([noted(RentalStatus::Rented)]).when(rate()).then_refuse();
        assert_eq!(refused, RatingError::NotReturned(RentalStatus::Rented));
        let refused = given::<Rating>([noted(RentalStatus::Canceled)]).when(rate()).then_refuse();
        assert_eq!(refused, RatingError::NotReturned(RentalStatus::Canceled));
        assert_eq!(given::<Rating>([]).when(rate()).then_refuse(), RatingError::Unknown);
    }

    #[test]
    fn a_rating_outlives_late_rental_news() {
        let state = given::<Rating>([noted(RentalStatus::Returned), rated()])
            .when(Command::Note(news(RentalStatus::Rented)))
            .then_expect(vec![]);
        assert_eq!(state.rated.map(|r| r.rating_id), Some(rating_of("t1")));
    }
}
