//! Blue sticky of the rating context as a typed command: the renter rates
//! the car of a returned rental. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, owned};
use framework::store::Table;

use crate::SOURCE;
use crate::rating::{Command, Rating, RatingError};

pub type Outcome<T> = Result<T, Refused<RatingError>>;

/// `rate-car`: stars (1 to 5) and an optional comment (at most 500
/// characters) for one rental; the route checked both.
#[derive(Debug, Clone)]
pub struct RateCar {
    pub rental_id: String,
    pub stars: u8,
    pub comment: Option<String>,
}

/// The renter only (`NotOwner` for anyone else, `NotFound` for a rental
/// rating has not heard of), after the return, once.
pub async fn rate_car(table: &dyn Table, caller: &Caller, command: RateCar) -> Outcome<Rating> {
    let RateCar { rental_id, stars, comment } = command;
    // The caller names a rental: refusals speak of it, not of its rating.
    let rating = owned::<Rating>(table, &rental_id, caller).await.map_err(|refused| match refused {
        Refused::NotFound { id, .. } => Refused::NotFound { what: "Rental", id },
        Refused::NotOwner { .. } => Refused::NotOwner { what: "Rental" },
        other => other,
    })?;
    let origin = Origin { source: SOURCE, correlation_id: rating.state.reservation_id.clone() };
    let done =
        execute::<Rating, _>(table, &rental_id, &origin, None, |_| Command::Rate { stars, comment: comment.clone() })
            .await?;
    tracing::info!(rental_id, stars, "car rated");
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use embedded::SqliteTable;
    use framework::Envelope;

    use super::*;
    use crate::policies::note_rental::{self, Inbound};
    use crate::rating::{RentalStatus, rating_of};

    fn customer(sub: &str) -> Caller {
        Caller { sub: sub.into(), groups: vec![] }
    }

    fn rate(stars: u8) -> RateCar {
        RateCar { rental_id: "t1".into(), stars, comment: Some("Clean and quiet.".into()) }
    }

    async fn hear(table: &Arc<dyn Table>, event_id: &str, event: Inbound) {
        let envelope = Envelope {
            event_id: event_id.into(),
            event_type: "test".into(),
            source: "rental".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: "r1".into(),
            version: 1,
            data: serde_json::json!({}),
        };
        note_rental::on_event(table.clone(), envelope, event).await.unwrap();
    }

    fn rented() -> Inbound {
        Inbound::CarRented {
            rental_id: "t1".into(),
            reservation_id: "r1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn returned() -> Inbound {
        Inbound::CarReturned {
            rental_id: "t1".into(),
            reservation_id: "r1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn canceled() -> Inbound {
        Inbound::RentalCanceled {
            rental_id: "t1".into(),
            reservation_id: "r1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn table() -> Arc<dyn Table> {
        Arc::new(SqliteTable::open(None).unwrap())
    }

    #[tokio::test]
    async fn only_the_renter_rates_only_after_the_return_and_only_once() {
        let table = table();
        assert_eq!(
            rate_car(&*table, &customer("alice"), rate(4)).await,
            Err(Refused::NotFound { what: "Rental", id: "t1".into() })
        );
        hear(&table, "e1", rented()).await;
        assert_eq!(
            rate_car(&*table, &customer("alice"), rate(4)).await,
            Err(Refused::Domain(RatingError::NotReturned(RentalStatus::Rented)))
        );
        hear(&table, "e2", returned()).await;
        assert_eq!(rate_car(&*table, &customer("carol"), rate(1)).await, Err(Refused::NotOwner { what: "Rental" }));
        let rated = rate_car(&*table, &customer("alice"), rate(4)).await.unwrap();
        let stars = rated.rated.expect("rated");
        assert_eq!((stars.rating_id, stars.stars), (rating_of("t1"), 4));
        assert_eq!(
            rate_car(&*table, &customer("alice"), rate(5)).await,
            Err(Refused::Domain(RatingError::AlreadyRated))
        );
    }

    #[tokio::test]
    async fn a_return_heard_before_the_rental_still_lets_the_renter_rate() {
        let table = table();
        hear(&table, "e2", returned()).await;
        hear(&table, "e1", rented()).await;
        hear(&table, "e2", returned()).await;
        let rated = rate_car(&*table, &customer("alice"), rate(5)).await.unwrap();
        assert_eq!(rated.rental_status, Some(RentalStatus::Returned));
    }

    #[tokio::test]
    async fn a_canceled_rental_is_never_rated() {
        let table = table();
        hear(&table, "e3", canceled()).await;
        hear(&table, "e1", rented()).await;
        assert_eq!(
            rate_car(&*table, &customer("alice"), rate(3)).await,
            Err(Refused::Domain(RatingError::NotReturned(RentalStatus::Canceled)))
        );
    }
}
