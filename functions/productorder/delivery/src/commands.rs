//! Blue stickies of the delivery context as typed commands: staff start a
//! prepared parcel and complete a started one. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, existing, staff};
use framework::store::Table;

use crate::SOURCE;
use crate::delivery::{Command, Delivery, DeliveryError};

pub type Outcome<T> = Result<T, Refused<DeliveryError>>;

/// `start-delivery` (staff): a `Prepared` parcel is `Started`; a canceled
/// one is refused. One closed before it existed is not one (`NotFound`).
pub async fn start_delivery(table: &dyn Table, caller: &Caller, delivery_id: &str) -> Outcome<Delivery> {
    move_on(table, caller, delivery_id, Command::Start).await
}

/// `complete-delivery` (staff): a `Started` parcel is `Completed`.
pub async fn complete_delivery(table: &dyn Table, caller: &Caller, delivery_id: &str) -> Outcome<Delivery> {
    move_on(table, caller, delivery_id, Command::Complete).await
}

async fn move_on(table: &dyn Table, caller: &Caller, delivery_id: &str, command: Command) -> Outcome<Delivery> {
    staff(caller)?;
    let delivery = existing::<Delivery>(table, delivery_id).await?;
    if !delivery.state.is_visible() {
        return Err(Refused::not_found::<Delivery>(delivery_id));
    }
    let origin = Origin { source: SOURCE, correlation_id: delivery.state.parcel.order_id.clone() };
    let done = execute::<Delivery, _>(table, delivery_id, &origin, None, |_| command.clone()).await?;
    let parcel = &done.aggregate.state;
    tracing::info!(delivery_id, order_id = %parcel.parcel.order_id, status = ?parcel.status, "delivery moved on");
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use embedded::SqliteTable;
    use framework::Envelope;
    use framework::commit::load;
    use framework::store::Query;

    use super::*;
    use crate::delivery::{Status, delivery_of};
    use crate::policies::{cancel_delivery, create_delivery};
    use crate::queries::find_delivery;

    fn staff_member() -> Caller {
        Caller { sub: "bob".into(), groups: vec!["staff".into()] }
    }

    fn customer() -> Caller {
        Caller { sub: "alice".into(), groups: vec![] }
    }

    fn table() -> Arc<dyn Table> {
        Arc::new(SqliteTable::open(None).unwrap())
    }

    fn envelope(event_id: &str, event_type: &str, source: &str) -> Envelope {
        Envelope {
            event_id: event_id.into(),
            event_type: event_type.into(),
            source: source.into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: "o1".into(),
            version: 1,
            data: serde_json::json!({}),
        }
    }

    async fn prepared(table: &Arc<dyn Table>, event_id: &str) {
        let event = create_delivery::Inbound::DeliveryPrepared {
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 2,
            address: "1 Main St".into(),
            customer_id: "alice".into(),
        };
        create_delivery::on_event(table.clone(), envelope(event_id, "DeliveryPrepared", "product"), event)
            .await
            .unwrap();
    }

    async fn order_canceled(table: &Arc<dyn Table>, event_id: &str) {
        let event = cancel_delivery::Inbound::OrderCanceled { order_id: "o1".into(), customer_id: "alice".into() };
        cancel_delivery::on_event(table.clone(), envelope(event_id, "OrderCanceled", "order"), event).await.unwrap();
    }

    /// The events of the parcel waiting in the outbox, as (type, data), in its version order.
    async fn published(table: &Arc<dyn Table>) -> Vec<(String, serde_json::Value)> {
        let mut events = Vec::new();
        for shard in 0..framework::commit::OUTBOX_SHARDS {
            let query = Query::index(framework::commit::outbox_shard(shard));
            for item in table.query(&query).await.unwrap() {
                let envelope: Envelope = serde_json::from_value(item.body).unwrap();
                events.push((envelope.version, envelope.event_type, envelope.data));
            }
        }
        events.sort_by_key(|e| e.0);
        events.into_iter().map(|(_, t, d)| (t, d)).collect()
    }

    async fn types(table: &Arc<dyn Table>) -> Vec<String> {
        published(table).await.into_iter().map(|(t, _)| t).collect()
    }

    #[tokio::test]
    async fn a_prepared_order_gets_one_parcel_staff_start_and_complete() {
        let table = table();
        prepared(&table, "e1").await;
        prepared(&table, "e1").await;
        prepared(&table, "e2").await;
        let found = find_delivery(&*table, &staff_member(), "o1").await.unwrap();
        assert_eq!((found.status, found.delivery_id.clone()), (Some(Status::Prepared), delivery_of("o1")));
        assert_eq!((found.parcel.item_cd.as_str(), found.parcel.quantity), ("ITEM-001", 2));
        assert!(types(&table).await.is_empty(), "creating a parcel is delivery's own note");

        let id = delivery_of("o1");
        assert_eq!(start_delivery(&*table, &customer(), &id).await, Err(Refused::StaffOnly));
        assert_eq!(
            complete_delivery(&*table, &staff_member(), &id).await,
            Err(Refused::Domain(DeliveryError::NotStarted(Status::Prepared)))
        );
        assert_eq!(start_delivery(&*table, &staff_member(), &id).await.unwrap().status, Some(Status::Started));
        assert_eq!(
            start_delivery(&*table, &staff_member(), &id).await,
            Err(Refused::Domain(DeliveryError::NotPrepared(Status::Started)))
        );
        assert_eq!(complete_delivery(&*table, &customer(), &id).await, Err(Refused::StaffOnly));
        assert_eq!(complete_delivery(&*table, &staff_member(), &id).await.unwrap().status, Some(Status::Completed));
        let events = published(&table).await;
        assert_eq!(
            events.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
            ["DeliveryStarted", "DeliveryCompleted"]
        );
        assert_eq!(events[0].1, serde_json::json!({"deliveryId": id, "orderId": "o1", "customerId": "alice"}));
    }

    #[tokio::test]
    async fn a_canceled_order_cancels_its_parcel_which_staff_then_cannot_start() {
        let table = table();
        prepared(&table, "e1").await;
        order_canceled(&table, "e2").await;
        order_canceled(&table, "e2").await;
        order_canceled(&table, "e3").await;
        assert_eq!(types(&table).await, ["DeliveryCanceled"]);
        assert_eq!(find_delivery(&*table, &staff_member(), "o1").await.unwrap().status, Some(Status::Canceled));
        assert_eq!(
            start_delivery(&*table, &staff_member(), &delivery_of("o1")).await,
            Err(Refused::Domain(DeliveryError::NotPrepared(Status::Canceled)))
        );
    }

    #[tokio::test]
    async fn a_started_parcel_is_called_back_but_a_completed_one_stays_completed() {
        let table = table();
        prepared(&table, "e1").await;
        start_delivery(&*table, &staff_member(), &delivery_of("o1")).await.unwrap();
        order_canceled(&table, "e2").await;
        assert_eq!(types(&table).await, ["DeliveryStarted", "DeliveryCanceled"]);
        assert_eq!(
            complete_delivery(&*table, &staff_member(), &delivery_of("o1")).await,
            Err(Refused::Domain(DeliveryError::NotStarted(Status::Canceled)))
        );

        let table = self::table();
        prepared(&table, "e1").await;
        start_delivery(&*table, &staff_member(), &delivery_of("o1")).await.unwrap();
        complete_delivery(&*table, &staff_member(), &delivery_of("o1")).await.unwrap();
        order_canceled(&table, "e2").await;
        assert_eq!(types(&table).await, ["DeliveryStarted", "DeliveryCompleted"]);
        assert_eq!(find_delivery(&*table, &staff_member(), "o1").await.unwrap().status, Some(Status::Completed));
    }

    #[tokio::test]
    async fn a_cancel_before_the_parcel_exists_closes_it_and_the_late_prepare_is_canceled_at_once() {
        let table = table();
        order_canceled(&table, "e1").await;
        assert!(types(&table).await.is_empty(), "DeliveryClosed is recorded, not published");
        let closed = load::<Delivery>(&*table, &delivery_of("o1")).await.unwrap();
        assert_eq!(closed.state.status, Some(Status::Closed));
        assert_eq!(
            find_delivery(&*table, &staff_member(), "o1").await,
            Err(Refused::NotFound { what: "delivery of order", id: "o1".into() })
        );
        // Product prepared it anyway (it took the stock before it heard the
        // cancel): no parcel goes out, and the world hears it is canceled.
        prepared(&table, "e2").await;
        prepared(&table, "e2").await;
        assert_eq!(types(&table).await, ["DeliveryCanceled"], "once, however often it is delivered");
        assert_eq!(find_delivery(&*table, &staff_member(), "o1").await.unwrap().status, Some(Status::Canceled));
        assert_eq!(
            start_delivery(&*table, &staff_member(), &delivery_of("o1")).await,
            Err(Refused::Domain(DeliveryError::NotPrepared(Status::Canceled)))
        );
    }

    #[tokio::test]
    async fn only_staff_find_a_parcel_and_an_unknown_one_is_not_found() {
        let table = table();
        assert_eq!(find_delivery(&*table, &customer(), "o1").await, Err(Refused::StaffOnly));
        assert_eq!(
            find_delivery(&*table, &staff_member(), "o1").await,
            Err(Refused::NotFound { what: "delivery of order", id: "o1".into() })
        );
        assert_eq!(
            complete_delivery(&*table, &staff_member(), "nope").await,
            Err(Refused::NotFound { what: "Delivery", id: "nope".into() })
        );
    }
}
