//! Blue stickies of the car context as typed commands: staff register and
//! delete cars. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, existing, staff};
use framework::store::Table;

use crate::SOURCE;
use crate::car::{Car, CarError, Command};

pub type Outcome<T> = Result<T, Refused<CarError>>;

/// `register-car`: a car by its number (valid by construction: the route
/// checked it), its model and its daily rate.
#[derive(Debug, Clone)]
pub struct RegisterCar {
    pub car_no: String,
    pub model: String,
    pub daily_rate: u64,
}

/// Staff only; a number registered before (deleted or not) is refused.
pub async fn register_car(table: &dyn Table, caller: &Caller, command: RegisterCar) -> Outcome<Car> {
    staff(caller)?;
    let RegisterCar { car_no, model, daily_rate } = command;
    let origin = Origin { source: SOURCE, correlation_id: car_no.clone() };
    let done = execute::<Car, _>(table, &car_no, &origin, None, |_| Command::Register {
        car_no: car_no.clone(),
        model: model.clone(),
        daily_rate,
    })
    .await?;
    tracing::info!(car_no, "car registered");
    Ok(done.aggregate.state)
}

/// `delete-car` (staff): only while no live reservation holds the car.
pub async fn delete_car(table: &dyn Table, caller: &Caller, car_no: &str) -> Outcome<Car> {
    staff(caller)?;
    existing::<Car>(table, car_no).await?;
    let origin = Origin { source: SOURCE, correlation_id: car_no.to_owned() };
    let done = execute::<Car, _>(table, car_no, &origin, None, |_| Command::Delete).await?;
    tracing::info!(car_no, "car deleted");
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use embedded::SqliteTable;
    use framework::Envelope;

    use super::*;
    use crate::car::{Booking, Status};
    use crate::policies::follow_bookings::{self, Inbound};

    fn staff_member() -> Caller {
        Caller { sub: "bob".into(), groups: vec!["staff".into()] }
    }

    fn avante() -> RegisterCar {
        RegisterCar { car_no: "12GA3456".into(), model: "Avante".into(), daily_rate: 50_000 }
    }

    fn table() -> Arc<dyn Table> {
        Arc::new(SqliteTable::open(None).unwrap())
    }

    /// Feeds the policy one event, as its queue would.
    async fn hear(table: &Arc<dyn Table>, event_id: &str, event: Inbound) {
        let envelope = Envelope {
            event_id: event_id.into(),
            event_type: "test".into(),
            source: "reservation".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: "r1".into(),
            version: 1,
            data: serde_json::json!({}),
        };
        follow_bookings::on_event(table.clone(), envelope, event).await.unwrap();
    }

    fn reserved(reservation_id: &str) -> Inbound {
        Inbound::CarReserved { reservation_id: reservation_id.into(), car_no: "12GA3456".into() }
    }

    fn canceled(reservation_id: &str) -> Inbound {
        Inbound::ReservationCanceled { reservation_id: reservation_id.into(), car_no: "12GA3456".into() }
    }

    fn returned(reservation_id: &str) -> Inbound {
        Inbound::CarReturned { reservation_id: reservation_id.into(), car_no: "12GA3456".into() }
    }

    async fn live(table: &Arc<dyn Table>) -> u32 {
        framework::commit::load::<Car>(&**table, "12GA3456").await.unwrap().state.live
    }

    #[tokio::test]
    async fn only_staff_register_and_a_number_is_registered_once() {
        let table = table();
        let alice = Caller { sub: "alice".into(), groups: vec![] };
        assert_eq!(register_car(&*table, &alice, avante()).await, Err(Refused::StaffOnly));
        let car = register_car(&*table, &staff_member(), avante()).await.unwrap();
        assert_eq!((car.status, car.daily_rate), (Some(Status::Registered), 50_000));
        assert_eq!(
            register_car(&*table, &staff_member(), avante()).await,
            Err(Refused::Domain(CarError::AlreadyRegistered { car_no: "12GA3456".into(), status: Status::Registered }))
        );
        delete_car(&*table, &staff_member(), "12GA3456").await.unwrap();
        assert_eq!(
            register_car(&*table, &staff_member(), avante()).await,
            Err(Refused::Domain(CarError::AlreadyRegistered { car_no: "12GA3456".into(), status: Status::Deleted }))
        );
    }

    #[tokio::test]
    async fn an_unknown_or_deleted_car_is_not_found_and_only_staff_delete() {
        let table = table();
        assert_eq!(
            delete_car(&*table, &staff_member(), "nope").await,
            Err(Refused::NotFound { what: "Car", id: "nope".into() })
        );
        register_car(&*table, &staff_member(), avante()).await.unwrap();
        let alice = Caller { sub: "alice".into(), groups: vec![] };
        assert_eq!(delete_car(&*table, &alice, "12GA3456").await, Err(Refused::StaffOnly));
        let deleted = delete_car(&*table, &staff_member(), "12GA3456").await.unwrap();
        assert_eq!(deleted.status, Some(Status::Deleted));
        assert_eq!(
            delete_car(&*table, &staff_member(), "12GA3456").await,
            Err(Refused::Domain(CarError::Deleted { car_no: "12GA3456".into() }))
        );
    }

    #[tokio::test]
    async fn a_booked_car_is_not_deleted_until_every_booking_is_released() {
        let table = table();
        register_car(&*table, &staff_member(), avante()).await.unwrap();
        hear(&table, "e1", reserved("r1")).await;
        hear(&table, "e2", reserved("r2")).await;
        assert_eq!(
            delete_car(&*table, &staff_member(), "12GA3456").await,
            Err(Refused::Domain(CarError::Booked { live: 2 }))
        );
        hear(&table, "e3", canceled("r1")).await;
        hear(&table, "e4", returned("r2")).await;
        assert_eq!(live(&table).await, 0);
        let deleted = delete_car(&*table, &staff_member(), "12GA3456").await.unwrap();
        assert_eq!(deleted.status, Some(Status::Deleted));
    }

    #[tokio::test]
    async fn a_release_before_the_booking_leaves_nothing_live() {
        let table = table();
        register_car(&*table, &staff_member(), avante()).await.unwrap();
        hear(&table, "e1", canceled("r1")).await;
        hear(&table, "e2", reserved("r1")).await;
        assert_eq!(live(&table).await, 0);
        let booking = framework::commit::load::<Booking>(&*table, "r1").await.unwrap();
        assert!(booking.exists() && !booking.state.is_live(), "a Released tombstone");
        delete_car(&*table, &staff_member(), "12GA3456").await.unwrap();
    }

    #[tokio::test]
    async fn repeated_news_counts_once() {
        let table = table();
        register_car(&*table, &staff_member(), avante()).await.unwrap();
        hear(&table, "e1", reserved("r1")).await;
        hear(&table, "e1", reserved("r1")).await;
        hear(&table, "e9", reserved("r1")).await;
        assert_eq!(live(&table).await, 1, "a redelivery, and the same news under another id");
        hear(&table, "e2", canceled("r1")).await;
        hear(&table, "e3", returned("r1")).await;
        hear(&table, "e2", canceled("r1")).await;
        assert_eq!(live(&table).await, 0);
    }

    #[tokio::test]
    async fn news_of_an_unknown_or_deleted_car_changes_nothing() {
        let table = table();
        hear(&table, "e1", reserved("r1")).await;
        assert!(!framework::commit::load::<Booking>(&*table, "r1").await.unwrap().exists());
        register_car(&*table, &staff_member(), avante()).await.unwrap();
        delete_car(&*table, &staff_member(), "12GA3456").await.unwrap();
        hear(&table, "e2", reserved("r2")).await;
        hear(&table, "e3", canceled("r2")).await;
        assert!(!framework::commit::load::<Booking>(&*table, "r2").await.unwrap().exists());
        assert_eq!(live(&table).await, 0);
    }
}
