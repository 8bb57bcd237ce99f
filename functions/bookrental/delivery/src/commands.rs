//! Blue stickies of the delivery context as typed commands: the staff's
//! `complete-delivery`, and `cancel-delivery`, which reservation calls
//! (a service's call, not a user's). Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, existing, staff};
use framework::store::Table;

use crate::SOURCE;
use crate::delivery::{Command, Delivery, DeliveryError, Parcel, delivery_of};

pub type Outcome<T> = Result<T, Refused<DeliveryError>>;

/// `cancel-delivery` (internal): the delivery of the parcel's reservation.
#[derive(Debug, Clone)]
pub struct CancelDelivery {
    pub parcel: Parcel,
    /// The reservation saga's, carried onto `DeliveryCanceled`.
    pub correlation_id: String,
}

/// `DeliveryCanceled`, whether the delivery has started or not yet (then it
/// never will); refused once delivered. Canceling twice is one cancel.
pub async fn cancel_delivery(table: &dyn Table, command: CancelDelivery) -> Outcome<Delivery> {
    let CancelDelivery { parcel, correlation_id } = command;
    let origin = Origin { source: SOURCE, correlation_id };
    let done = execute::<Delivery, _>(table, &delivery_of(&parcel.reservation_id), &origin, None, |_| {
        Command::Cancel(parcel.clone())
    })
    .await?;
    tracing::info!(reservation_id = %parcel.reservation_id, "delivery canceled");
    Ok(done.aggregate.state)
}

/// `complete-delivery` (staff): a started delivery is `Delivered`.
pub async fn complete_delivery(table: &dyn Table, caller: &Caller, delivery_id: &str) -> Outcome<Delivery> {
    staff(caller)?;
    let delivery = existing::<Delivery>(table, delivery_id).await?;
    let origin = Origin { source: SOURCE, correlation_id: delivery.state.parcel.reservation_id.clone() };
    let done = execute::<Delivery, _>(table, delivery_id, &origin, None, |_| Command::Complete).await?;
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;

    use super::*;
    use crate::delivery::Status;

    fn staff_member() -> Caller {
        Caller { sub: "bob".into(), groups: vec!["staff".into()] }
    }

    fn cancel(reservation_id: &str) -> CancelDelivery {
        CancelDelivery {
            parcel: Parcel {
                reservation_id: reservation_id.into(),
                product_id: "p1".into(),
                customer_id: "alice".into(),
            },
            correlation_id: reservation_id.into(),
        }
    }

    #[tokio::test]
    async fn a_cancel_before_the_start_leaves_a_canceled_delivery_staff_cannot_complete() {
        let table = SqliteTable::open(None).unwrap();
        let canceled = cancel_delivery(&table, cancel("r1")).await.unwrap();
        assert_eq!((canceled.status, canceled.delivery_id.clone()), (Some(Status::Canceled), delivery_of("r1")));
        assert_eq!(cancel_delivery(&table, cancel("r1")).await.unwrap(), canceled, "one cancel");
        let alice = Caller { sub: "alice".into(), groups: vec![] };
        assert_eq!(complete_delivery(&table, &alice, &canceled.delivery_id).await, Err(Refused::StaffOnly));
        assert_eq!(
            complete_delivery(&table, &staff_member(), &canceled.delivery_id).await,
            Err(Refused::Domain(DeliveryError::Finished(Status::Canceled)))
        );
        assert_eq!(
            complete_delivery(&table, &staff_member(), "nope").await,
            Err(Refused::NotFound { what: "Delivery", id: "nope".into() })
        );
    }
}
