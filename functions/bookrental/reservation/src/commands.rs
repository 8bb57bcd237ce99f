//! Blue stickies of the reservation context as typed commands: what a route
//! (or a test) hands in, what the context decides. Nothing of HTTP here.

use std::sync::Arc;

use framework::Origin;
use framework::call::{CallError, Client};
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, owned};
use framework::store::Table;
use serde::Serialize;

use crate::SOURCE;
use crate::reservation::{Command, Reservation, ReservationError, Status};
use crate::views::product_catalog;

pub type Outcome<T> = Result<T, Refused<ReservationError>>;

/// `reserve`: a copy of a book, for the customer asking.
#[derive(Debug, Clone)]
pub struct Reserve {
    pub product_id: String,
}

/// `Reserved` at once; product takes the copy (or rejects) by events. A book
/// the catalog has not heard of is `NotFound` (the catalog may lag a new
/// book by a moment).
pub async fn reserve(table: &dyn Table, caller: &Caller, command: Reserve) -> Outcome<Reservation> {
    let product = product_catalog::find(table, &command.product_id)
        .await?
        .ok_or_else(|| Refused::NotFound { what: "Product", id: command.product_id.clone() })?;
    let reservation_id = framework::new_id();
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.clone() };
    let done = execute::<Reservation, _>(table, &reservation_id, &origin, None, |_| Command::Reserve {
        reservation_id: reservation_id.clone(),
        product_id: product.product_id.clone(),
        customer_id: caller.sub.clone(),
    })
    .await?;
    tracing::info!(reservation_id, product_id = %product.product_id, "reserved");
    Ok(done.aggregate.state)
}

/// What `cancel-reservation` needs: its table and a guarded client of delivery.
#[derive(Clone)]
pub struct Cancel {
    pub table: Arc<dyn Table>,
    pub delivery: Client,
}

/// What delivery's internal `cancel-delivery` is sent.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CancelDelivery<'a> {
    reservation_id: &'a str,
    product_id: &'a str,
    customer_id: &'a str,
    correlation_id: &'a str,
}

/// `cancel-reservation`: the owner's, while `Reserved` or `Delivering`.
///
/// Delivery is canceled first, synchronously, through the circuit breaker
/// (the seed: no cancel without the delivery's); only then is the
/// reservation. Delivery down, slow or the circuit open → `Unavailable`, and
/// the reservation as it was. Delivered already → `AlreadyDelivered`.
pub async fn cancel_reservation(cancel: &Cancel, caller: &Caller, reservation_id: &str) -> Outcome<Reservation> {
    let table = &*cancel.table;
    let reservation = owned::<Reservation>(table, reservation_id, caller).await?.state;
    match reservation.status {
        Some(status) if !status.cancelable() => return Err(Refused::Domain(ReservationError::NotCancelable(status))),
        Some(_) => {}
        None => return Err(Refused::not_found::<Reservation>(reservation_id)),
    }
    let request = CancelDelivery {
        reservation_id,
        product_id: &reservation.product_id,
        customer_id: &reservation.customer_id,
        correlation_id: reservation_id,
    };
    cancel.delivery.call::<_, serde_json::Value>(&request).await.map_err(|e| match e {
        CallError::Unavailable(error) => Refused::from(error),
        CallError::Refused(refusal) if refusal.status == 409 => Refused::Domain(ReservationError::AlreadyDelivered),
        CallError::Refused(refusal) => refusal.upstream("delivery_refused"),
    })?;
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.to_owned() };
    // Delivery is canceled now: the reservation follows. Its own
    // `follow-delivery` would record the same from `DeliveryCanceled` should
    // this commit be lost, and then this one changes nothing.
    let done = execute::<Reservation, _>(table, reservation_id, &origin, None, |_| Command::DeliveryCanceled).await?;
    match done.aggregate.state.status {
        Some(Status::Canceled) => {
            tracing::info!(reservation_id, "reservation canceled");
            Ok(done.aggregate.state)
        }
        // Product rejected the reservation while delivery was being called
        // (the shortage came first): nothing was taken, so nothing is
        // canceled, and the delivery never starts (its cancel stands).
        Some(status) => Err(Refused::Domain(ReservationError::NotCancelable(status))),
        None => Err(Refused::not_found::<Reservation>(reservation_id)),
    }
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;
    use framework::Envelope;
    use framework::call::{CallSettings, Circuits, Remote, RemoteError, Unconfigured};
    use framework::store::BoxFuture;
    use serde_json::{Value, json};

    use super::*;
    use crate::views::product_catalog::{self, Inbound};

    fn customer(sub: &str) -> Caller {
        Caller { sub: sub.into(), groups: vec![] }
    }

    /// A table whose catalog lists `product_id` (product's news, as the view hears it).
    async fn cataloging(product_id: &str) -> Arc<dyn Table> {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let heard = Inbound::StockIncreased { product_id: product_id.into(), title: "Demian".into() };
        let envelope = Envelope {
            event_id: "e1".into(),
            event_type: "StockIncreased".into(),
            source: "product".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: product_id.into(),
            version: 1,
            data: json!({}),
        };
        product_catalog::on_event(table.clone(), envelope, heard).await.unwrap();
        table
    }

    /// A delivery that always gives the same reply (`cancel-delivery`'s JSON).
    struct Answering(Value);

    impl Remote for Answering {
        fn invoke(&self, _request: Value) -> BoxFuture<'_, Result<Value, RemoteError>> {
            let reply = self.0.clone();
            Box::pin(async move { Ok(reply) })
        }
    }

    fn cancel(table: &Arc<dyn Table>, delivery: impl Remote + 'static) -> Cancel {
        let client = Client::new("test→delivery", Arc::new(delivery), CallSettings::default(), &Circuits::default());
        Cancel { table: table.clone(), delivery: client }
    }

    fn canceled_by_delivery() -> Answering {
        Answering(json!({"status": 200, "body": {"status": "Canceled"}}))
    }

    async fn reserved(table: &Arc<dyn Table>, product_id: &str) -> String {
        let command = Reserve { product_id: product_id.into() };
        let reservation = reserve(&**table, &customer("alice"), command).await.unwrap();
        assert_eq!(reservation.status, Some(Status::Reserved));
        reservation.reservation_id
    }

    #[tokio::test]
    async fn a_book_the_catalog_has_not_heard_of_is_not_found() {
        let table = cataloging("p1").await;
        let refused = reserve(&*table, &customer("alice"), Reserve { product_id: "p2".into() }).await;
        assert_eq!(refused, Err(Refused::NotFound { what: "Product", id: "p2".into() }));
    }

    #[tokio::test]
    async fn only_the_owner_cancels_and_only_once() {
        let table = cataloging("p1").await;
        let id = reserved(&table, "p1").await;
        let cancel = cancel(&table, canceled_by_delivery());
        assert_eq!(
            cancel_reservation(&cancel, &customer("carol"), &id).await,
            Err(Refused::NotOwner { what: "Reservation" })
        );
        assert_eq!(
            cancel_reservation(&cancel, &customer("alice"), "nobody").await,
            Err(Refused::NotFound { what: "Reservation", id: "nobody".into() })
        );
        let canceled = cancel_reservation(&cancel, &customer("alice"), &id).await.unwrap();
        assert_eq!(canceled.status, Some(Status::Canceled));
        assert_eq!(
            cancel_reservation(&cancel, &customer("alice"), &id).await,
            Err(Refused::Domain(ReservationError::NotCancelable(Status::Canceled)))
        );
    }

    /// Delivery, answering `Canceled` after product's shortage has rejected
    /// the reservation meanwhile (the race the load checker found).
    struct RejectedMeanwhile {
        table: Arc<dyn Table>,
        reservation_id: String,
    }

    impl Remote for RejectedMeanwhile {
        fn invoke(&self, _request: Value) -> BoxFuture<'_, Result<Value, RemoteError>> {
            Box::pin(async move {
                let origin = Origin { source: "test", correlation_id: self.reservation_id.clone() };
                execute::<Reservation, _>(&*self.table, &self.reservation_id, &origin, None, |_| Command::Reject)
                    .await
                    .expect("the shortage rejects the reservation");
                Ok(json!({"status": 200, "body": {"status": "Canceled"}}))
            })
        }
    }

    #[tokio::test]
    async fn a_cancel_that_loses_the_race_to_a_shortage_is_refused() {
        let table = cataloging("p1").await;
        let id = reserved(&table, "p1").await;
        let delivery = RejectedMeanwhile { table: table.clone(), reservation_id: id.clone() };
        assert_eq!(
            cancel_reservation(&cancel(&table, delivery), &customer("alice"), &id).await,
            Err(Refused::Domain(ReservationError::NotCancelable(Status::Rejected)))
        );
        let reservation = framework::commit::load::<Reservation>(&*table, &id).await.unwrap();
        assert_eq!(reservation.state.status, Some(Status::Rejected), "the rejection stands");
    }

    #[tokio::test]
    async fn delivery_decides_first_and_a_refusal_changes_nothing() {
        let table = cataloging("p1").await;
        let id = reserved(&table, "p1").await;
        let delivered = Answering(json!({
            "status": 409,
            "error": {"code": "invalid_state", "message": "The delivery is Delivered; only a Started delivery can change."},
        }));
        assert_eq!(
            cancel_reservation(&cancel(&table, delivered), &customer("alice"), &id).await,
            Err(Refused::Domain(ReservationError::AlreadyDelivered))
        );
        let puzzled = Answering(json!({
            "status": 400,
            "error": {"code": "invalid_field", "message": "productId: must be 1 to 128 characters"},
        }));
        assert_eq!(
            cancel_reservation(&cancel(&table, puzzled), &customer("alice"), &id).await,
            Err(Refused::Upstream {
                code: "delivery_refused",
                message: "productId: must be 1 to 128 characters".into()
            })
        );
        let down = cancel(&table, Unconfigured(crate::DELIVERY_FUNCTION.into()));
        let refused = cancel_reservation(&down, &customer("alice"), &id).await;
        assert!(matches!(refused, Err(Refused::Unavailable { .. })), "{refused:?}");
        let unchanged = crate::queries::get_reservation(&*table, &customer("alice"), &id).await.unwrap();
        assert_eq!(unchanged.status, Some(Status::Reserved));
    }

    #[tokio::test]
    async fn a_cancel_whose_own_commit_was_lost_converges_from_deliverys_event() {
        let inner = cataloging("p1").await;
        let id = reserved(&inner, "p1").await;
        let table: Arc<dyn Table> = Arc::new(framework::testing::FailNextTransaction::new(inner.clone()));
        let lost = cancel_reservation(&cancel(&table, canceled_by_delivery()), &customer("alice"), &id).await;
        assert!(matches!(lost, Err(Refused::Unavailable { .. })), "{lost:?}");
        let stuck = crate::queries::get_reservation(&*inner, &customer("alice"), &id).await.unwrap();
        assert_eq!(stuck.status, Some(Status::Reserved), "delivery is canceled, the reservation not yet");
        let heard = crate::policies::follow_delivery::Inbound::DeliveryCanceled { reservation_id: id.clone() };
        let envelope = Envelope {
            event_id: "e-canceled".into(),
            event_type: "DeliveryCanceled".into(),
            source: "delivery".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: id.clone(),
            version: 2,
            data: json!({}),
        };
        crate::policies::follow_delivery::on_event(inner.clone(), envelope, heard).await.unwrap();
        let converged = crate::queries::get_reservation(&*inner, &customer("alice"), &id).await.unwrap();
        assert_eq!(converged.status, Some(Status::Canceled));
        let again = cancel_reservation(&cancel(&inner, canceled_by_delivery()), &customer("alice"), &id).await;
        assert_eq!(again, Err(Refused::Domain(ReservationError::NotCancelable(Status::Canceled))));
    }
}
