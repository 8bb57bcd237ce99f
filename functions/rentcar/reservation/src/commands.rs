//! Blue stickies of the reservation context as typed commands: what a route
//! (or a test) hands in, what the context decides. Nothing of HTTP here.

use framework::Origin;
use framework::call::{CallError, Client};
use framework::http::Caller;
use framework::refusal::{Refused, owned};
use framework::store::Table;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::SOURCE;
use crate::ledger::change;
use crate::reservation::{Booking, CancelReason, Command, Reservation, ReservationError, Status, amount, format_date};
use crate::views::car_catalog;

pub type Outcome<T> = Result<T, Refused<ReservationError>>;

/// `reserve-car`: a car for the caller, from `rental_date` to `return_date`
/// (checked by the route: valid dates, in order, at most 30 days apart).
#[derive(Debug, Clone)]
pub struct ReserveCar {
    pub car_no: String,
    pub rental_date: time::Date,
    pub return_date: time::Date,
}

/// `Reserved` now, for `dailyRate × max(1, days)`. A car the catalog does
/// not list (unknown, or deleted) is `NotFound`; a day another live
/// reservation holds is `Overlap`.
pub async fn reserve_car(table: &dyn Table, caller: &Caller, command: ReserveCar) -> Outcome<Reservation> {
    let car = match car_catalog::find(table, &command.car_no).await? {
        Some((row, _)) if row.is_listed() => row,
        _ => return Err(Refused::NotFound { what: "Car", id: command.car_no }),
    };
    let reservation_id = framework::new_id();
    let booking = Booking {
        reservation_id: reservation_id.clone(),
        car_no: car.car_no.clone(),
        customer_id: caller.sub.clone(),
        rental_date: format_date(command.rental_date),
        return_date: format_date(command.return_date),
        amount: amount(car.daily_rate, command.rental_date, command.return_date),
    };
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.clone() };
    let done = change(table, &reservation_id, &origin, None, |_| Command::Reserve(booking.clone())).await?;
    tracing::info!(reservation_id = %reservation_id, car_no = %car.car_no, "car reserved");
    Ok(done.reservation)
}

/// `cancel-reservation`: the owner's, only while unpaid.
pub async fn cancel_reservation(table: &dyn Table, caller: &Caller, reservation_id: &str) -> Outcome<Reservation> {
    owned::<Reservation>(table, reservation_id, caller).await?;
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.to_owned() };
    Ok(change(table, reservation_id, &origin, None, |_| Command::Cancel(CancelReason::Customer)).await?.reservation)
}

/// What `pay-reservation` needs: its table and a guarded client of payment.
#[derive(Clone)]
pub struct Pay {
    pub table: Arc<dyn Table>,
    pub payment: Client,
}

/// What payment is asked, and what it answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApprovePayment<'a> {
    reservation_id: &'a str,
    car_no: &'a str,
    customer_id: &'a str,
    amount: u64,
    correlation_id: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Approved {
    payment_id: String,
}

/// `pay-reservation`: the owner's, only while `Reserved`.
///
/// Payment is called first, synchronously, through the circuit breaker;
/// the reservation becomes `Paid` only once payment approved. Payment down,
/// slow or the circuit open → `Unavailable`, and nothing changed. Payment
/// approves once per reservation, so a retry after a lost answer gets the
/// same payment. Should this commit fail after the approval, the
/// reservation still converges: `follow-payment` records `Paid` from
/// payment's `PaymentApproved`.
pub async fn pay_reservation(pay: &Pay, caller: &Caller, reservation_id: &str) -> Outcome<Reservation> {
    let table = &*pay.table;
    let reservation = owned::<Reservation>(table, reservation_id, caller).await?.state;
    match reservation.status {
        Some(Status::Reserved) => {}
        Some(other) => return Err(Refused::Domain(ReservationError::NotPayable(other))),
        None => return Err(Refused::not_found::<Reservation>(reservation_id)),
    }
    let request = ApprovePayment {
        reservation_id,
        car_no: &reservation.car_no,
        customer_id: &reservation.customer_id,
        amount: reservation.amount,
        correlation_id: reservation_id,
    };
    let approved: Approved = pay.payment.call(&request).await.map_err(|e| match e {
        CallError::Unavailable(error) => Refused::from(error),
        // Payment heard of a cancel first: nothing was charged.
        CallError::Refused(refusal) if refusal.status == 409 => {
            Refused::Domain(ReservationError::NotPayable(Status::Canceled))
        }
        CallError::Refused(refusal) => refusal.upstream("payment_refused"),
    })?;
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.to_owned() };
    let done =
        change(table, reservation_id, &origin, None, |_| Command::Pay { payment_id: approved.payment_id.clone() })
            .await?;
    tracing::info!(reservation_id, payment_id = %approved.payment_id, "reservation paid");
    Ok(done.reservation)
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;
    use framework::Envelope;
    use framework::call::{CallSettings, Circuits, Remote, RemoteError};
    use framework::store::{BoxFuture, Item};
    use serde_json::{Value, json};

    use super::*;
    use crate::policies::follow_payment;
    use crate::reservation::parse_date;
    use crate::views::car_catalog::{self, Inbound};

    fn customer(sub: &str) -> Caller {
        Caller { sub: sub.into(), groups: vec![] }
    }

    fn heard(event_type: &str, data: Value) -> Envelope {
        Envelope {
            event_id: framework::new_id(),
            event_type: event_type.into(),
            source: "test".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: "c".into(),
            version: 1,
            data,
        }
    }

    /// A table whose catalog lists `car01` at 10,000 a day.
    async fn catalog() -> Arc<dyn Table> {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let registered = Inbound::CarRegistered { car_no: "car01".into(), model: "Avante".into(), daily_rate: 10_000 };
        car_catalog::on_event(table.clone(), heard("CarRegistered", json!({})), registered).await.unwrap();
        table
    }

    fn dates(rental: &str, back: &str) -> ReserveCar {
        ReserveCar {
            car_no: "car01".into(),
            rental_date: parse_date(rental).unwrap(),
            return_date: parse_date(back).unwrap(),
        }
    }

    async fn car_status(table: &dyn Table) -> &'static str {
        car_catalog::find(table, "car01").await.unwrap().unwrap().0.status()
    }

    #[tokio::test]
    async fn overlapping_days_are_refused_and_adjacent_ones_are_not() {
        let table = catalog().await;
        let first = reserve_car(&*table, &customer("alice"), dates("2026-12-06", "2026-12-09")).await.unwrap();
        assert_eq!((first.amount, car_status(&*table).await), (30_000, "Reserved"));
        let overlap = reserve_car(&*table, &customer("carol"), dates("2026-12-08", "2026-12-10")).await;
        assert_eq!(overlap, Err(Refused::Domain(ReservationError::Overlap("2026-12-08".into()))));
        let after = reserve_car(&*table, &customer("carol"), dates("2026-12-09", "2026-12-10")).await.unwrap();
        assert_eq!(after.status, Some(Status::Reserved), "a return on the 9th frees the 9th");
        cancel_reservation(&*table, &customer("alice"), &first.reservation_id).await.unwrap();
        let again = reserve_car(&*table, &customer("carol"), dates("2026-12-08", "2026-12-09")).await;
        assert!(again.is_ok(), "a canceled reservation gives its days back: {again:?}");
    }

    #[tokio::test]
    async fn of_many_racing_reservations_for_one_day_exactly_one_is_accepted() {
        let table = catalog().await;
        let racers: Vec<_> = (0..8)
            .map(|n| {
                let table = table.clone();
                tokio::spawn(async move {
                    reserve_car(&*table, &customer(&format!("racer{n}")), dates("2026-12-24", "2026-12-26")).await
                })
            })
            .collect();
        let mut accepted = 0;
        for racer in racers {
            match racer.await.unwrap() {
                Ok(_) => accepted += 1,
                Err(Refused::Domain(ReservationError::Overlap(_))) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(accepted, 1);
        let row = car_catalog::find(&*table, "car01").await.unwrap().unwrap().0;
        assert_eq!(row.live, 1, "the catalog counts the one live reservation");
    }

    #[tokio::test]
    async fn an_unlisted_or_deleted_car_is_not_found() {
        let table = catalog().await;
        let unknown = ReserveCar { car_no: "car99".into(), ..dates("2026-12-06", "2026-12-07") };
        assert_eq!(
            reserve_car(&*table, &customer("alice"), unknown).await,
            Err(Refused::NotFound { what: "Car", id: "car99".into() })
        );
        // The deleted car's mark is in, the catalog has not heard yet.
        let mut mark = framework::commit::Commit::new();
        mark.put(Item::new(crate::ledger::gone_key("car01"), 1, json!({})), framework::store::Condition::Always);
        mark.submit(&*table).await.unwrap();
        assert_eq!(
            reserve_car(&*table, &customer("alice"), dates("2026-12-06", "2026-12-07")).await,
            Err(Refused::NotFound { what: "Car", id: "car01".into() })
        );
    }

    struct Answering(Value);

    impl Remote for Answering {
        fn invoke(&self, _request: Value) -> BoxFuture<'_, Result<Value, RemoteError>> {
            let reply = self.0.clone();
            Box::pin(async move { Ok(reply) })
        }
    }

    fn pay_with(table: &Arc<dyn Table>, payment: impl Remote + 'static) -> Pay {
        let client = Client::new("test→payment", Arc::new(payment), CallSettings::default(), &Circuits::default());
        Pay { table: table.clone(), payment: client }
    }

    fn approving() -> Answering {
        Answering(json!({"status": 200, "body": {"paymentId": "p1", "status": "Approved"}}))
    }

    #[tokio::test]
    async fn paying_asks_payment_first_and_down_or_refused_changes_nothing() {
        let table = catalog().await;
        let id =
            reserve_car(&*table, &customer("alice"), dates("2026-12-06", "2026-12-07")).await.unwrap().reservation_id;
        let down = pay_with(&table, framework::call::Unconfigured(crate::PAYMENT_FUNCTION.into()));
        assert!(matches!(pay_reservation(&down, &customer("alice"), &id).await, Err(Refused::Unavailable { .. })));
        let closed = Answering(json!({"status": 409, "error": {"code": "reservation_closed", "message": "no"}}));
        assert_eq!(
            pay_reservation(&pay_with(&table, closed), &customer("alice"), &id).await,
            Err(Refused::Domain(ReservationError::NotPayable(Status::Canceled)))
        );
        assert_eq!(
            pay_reservation(&pay_with(&table, approving()), &customer("carol"), &id).await,
            Err(Refused::NotOwner { what: "Reservation" })
        );
        let unchanged = crate::queries::get_reservation(&*table, &customer("alice"), &id).await.unwrap();
        assert_eq!(unchanged.status, Some(Status::Reserved));
        let paid = pay_reservation(&pay_with(&table, approving()), &customer("alice"), &id).await.unwrap();
        assert_eq!((paid.status, paid.payment_id.as_deref()), (Some(Status::Paid), Some("p1")));
        assert_eq!(
            cancel_reservation(&*table, &customer("alice"), &id).await,
            Err(Refused::Domain(ReservationError::NotCancelable(Status::Paid)))
        );
    }

    #[tokio::test]
    async fn an_approval_whose_commit_failed_is_still_recorded_from_payments_event() {
        let inner = catalog().await;
        let id =
            reserve_car(&*inner, &customer("alice"), dates("2026-12-06", "2026-12-07")).await.unwrap().reservation_id;
        let table: Arc<dyn Table> = Arc::new(framework::testing::FailNextTransaction::new(inner.clone()));
        let lost = pay_reservation(&pay_with(&table, approving()), &customer("alice"), &id).await;
        assert!(matches!(lost, Err(Refused::Unavailable { .. })), "{lost:?}");
        assert_eq!(
            crate::queries::get_reservation(&*inner, &customer("alice"), &id).await.unwrap().status,
            Some(Status::Reserved)
        );
        let approved = follow_payment::Inbound::PaymentApproved { payment_id: "p1".into(), reservation_id: id.clone() };
        follow_payment::on_event(inner.clone(), heard("PaymentApproved", json!({})), approved).await.unwrap();
        let converged = crate::queries::get_reservation(&*inner, &customer("alice"), &id).await.unwrap();
        assert_eq!((converged.status, converged.payment_id.as_deref()), (Some(Status::Paid), Some("p1")));
    }
}
