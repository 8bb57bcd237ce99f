//! Blue sticky of the rental context as a typed command: staff take a
//! rented car back. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, existing, staff};
use framework::store::Table;

use crate::SOURCE;
use crate::rental::{Command, Rental, RentalError};

pub type Outcome<T> = Result<T, Refused<RentalError>>;

/// `return-car` (staff): a `Rented` car is `Returned`. A rental closed
/// before it started is not one (`NotFound`).
pub async fn return_car(table: &dyn Table, caller: &Caller, rental_id: &str) -> Outcome<Rental> {
    staff(caller)?;
    let rental = existing::<Rental>(table, rental_id).await?;
    if !rental.state.started() {
        return Err(Refused::not_found::<Rental>(rental_id));
    }
    let origin = Origin { source: SOURCE, correlation_id: rental.state.reservation_id.clone() };
    let done = execute::<Rental, _>(table, rental_id, &origin, None, |_| Command::Return).await?;
    tracing::info!(rental_id, reservation_id = %done.aggregate.state.reservation_id, "car returned");
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use embedded::SqliteTable;
    use framework::Envelope;
    use framework::store::{Query, Table};

    use super::*;
    use crate::policies::{cancel_rental, start_rental};
    use crate::queries::find_rental;
    use crate::rental::{Status, rental_of};

    fn staff_member() -> Caller {
        Caller { sub: "bob".into(), groups: vec!["staff".into()] }
    }

    fn envelope(event_id: &str, event_type: &str) -> Envelope {
        Envelope {
            event_id: event_id.into(),
            event_type: event_type.into(),
            source: "payment".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: "r1".into(),
            version: 1,
            data: serde_json::json!({}),
        }
    }

    async fn approved(table: &Arc<dyn Table>, event_id: &str) {
        let event = start_rental::Inbound::PaymentApproved {
            payment_id: "p1".into(),
            reservation_id: "r1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        };
        start_rental::on_event(table.clone(), envelope(event_id, "PaymentApproved"), event).await.unwrap();
    }

    async fn payment_canceled(table: &Arc<dyn Table>, event_id: &str) {
        let event = cancel_rental::Inbound::PaymentCanceled {
            payment_id: "p1".into(),
            reservation_id: "r1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        };
        cancel_rental::on_event(table.clone(), envelope(event_id, "PaymentCanceled"), event).await.unwrap();
    }

    /// The event types of the rental waiting in the outbox, in its version order.
    async fn published(table: &Arc<dyn Table>) -> Vec<String> {
        let mut events = Vec::new();
        for shard in 0..framework::commit::OUTBOX_SHARDS {
            let query = Query::index(framework::commit::outbox_shard(shard));
            for item in table.query(&query).await.unwrap() {
                let envelope: Envelope = serde_json::from_value(item.body).unwrap();
                events.push((envelope.version, envelope.event_type));
            }
        }
        events.sort();
        events.into_iter().map(|(_, t)| t).collect()
    }

    fn table() -> Arc<dyn Table> {
        Arc::new(SqliteTable::open(None).unwrap())
    }

    #[tokio::test]
    async fn an_approved_payment_rents_the_car_once_and_staff_take_it_back() {
        let table = table();
        approved(&table, "e1").await;
        approved(&table, "e1").await;
        approved(&table, "e2").await;
        assert_eq!(published(&table).await, ["CarRented"], "one rental per approved payment");
        let found = find_rental(&*table, &staff_member(), "r1").await.unwrap();
        assert_eq!((found.status, found.rental_id.clone()), (Some(Status::Rented), rental_of("r1")));

        let alice = Caller { sub: "alice".into(), groups: vec![] };
        assert_eq!(return_car(&*table, &alice, &found.rental_id).await, Err(Refused::StaffOnly));
        let returned = return_car(&*table, &staff_member(), &found.rental_id).await.unwrap();
        assert_eq!(returned.status, Some(Status::Returned));
        assert_eq!(
            return_car(&*table, &staff_member(), &found.rental_id).await,
            Err(Refused::Domain(RentalError::NotRented(Status::Returned)))
        );
        payment_canceled(&table, "e3").await;
        assert_eq!(find_rental(&*table, &staff_member(), "r1").await.unwrap().status, Some(Status::Returned));
        assert_eq!(published(&table).await, ["CarRented", "CarReturned"]);
    }

    #[tokio::test]
    async fn a_canceled_payment_cancels_the_rental_which_then_cannot_be_returned() {
        let table = table();
        approved(&table, "e1").await;
        payment_canceled(&table, "e2").await;
        payment_canceled(&table, "e2").await;
        assert_eq!(published(&table).await, ["CarRented", "RentalCanceled"]);
        assert_eq!(
            return_car(&*table, &staff_member(), &rental_of("r1")).await,
            Err(Refused::Domain(RentalError::NotRented(Status::Canceled)))
        );
    }

    #[tokio::test]
    async fn a_rental_closed_before_it_started_never_starts_and_is_not_found() {
        let table = table();
        payment_canceled(&table, "e1").await;
        approved(&table, "e2").await;
        assert!(published(&table).await.is_empty(), "RentalClosed is recorded, not published; nothing started");
        let closed = framework::commit::load::<Rental>(&*table, &rental_of("r1")).await.unwrap();
        assert_eq!(closed.state.status, Some(Status::Closed));
        assert_eq!(
            find_rental(&*table, &staff_member(), "r1").await,
            Err(Refused::NotFound { what: "rental of reservation", id: "r1".into() })
        );
        assert_eq!(
            return_car(&*table, &staff_member(), &rental_of("r1")).await,
            Err(Refused::NotFound { what: "Rental", id: rental_of("r1") })
        );
    }

    #[tokio::test]
    async fn only_staff_find_a_rental_and_an_unknown_one_is_not_found() {
        let table = table();
        let alice = Caller { sub: "alice".into(), groups: vec![] };
        assert_eq!(find_rental(&*table, &alice, "r1").await, Err(Refused::StaffOnly));
        assert_eq!(
            find_rental(&*table, &staff_member(), "r1").await,
            Err(Refused::NotFound { what: "rental of reservation", id: "r1".into() })
        );
        assert_eq!(
            return_car(&*table, &staff_member(), "nope").await,
            Err(Refused::NotFound { what: "Rental", id: "nope".into() })
        );
    }
}
