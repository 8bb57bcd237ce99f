//! Blue stickies of the order context as typed commands: what a route (or a
//! test) hands in, what the context decides. Nothing of HTTP here.

use std::sync::Arc;

use framework::Origin;
use framework::call::{CallError, Client};
use framework::commit::{execute, record};
use framework::http::Caller;
use framework::refusal::Refused;
use framework::store::Table;
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::order::{Command, Draft, Order, OrderError};
use crate::views::product_prices;

pub type Outcome<T> = Result<T, Refused<OrderError>>;

/// `place-order`: an item, how many, where to (checked by the route).
#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub item_cd: String,
    pub quantity: u64,
    pub address: String,
}

/// What `place-order` needs: its table and a guarded client of pay.
#[derive(Clone)]
pub struct Place {
    pub table: Arc<dyn Table>,
    pub pay: Client,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApprovePay<'a> {
    order_id: &'a str,
    item_cd: &'a str,
    quantity: u64,
    address: &'a str,
    customer_id: &'a str,
    amount: u64,
    correlation_id: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Approved {
    payment_id: String,
}

/// An order exists only once paid.
///
/// The order is recorded `Pending` (invisible) before pay is called, so an
/// approval always has an order to land on; pay approves it (once: its id is
/// the order's) through the circuit breaker, then the order is `Ordered`.
/// Pay down, slow or the circuit open: the order is `Abandoned` (invisible)
/// and the answer is `Unavailable`. Should our last commit be lost after the
/// approval, `follow-pay` orders it from `PayApproved`; should pay approve
/// after we gave up, `follow-pay` rejects it and pay refunds.
pub async fn place_order(place: &Place, caller: &Caller, command: PlaceOrder) -> Outcome<Order> {
    let table = &*place.table;
    let price = product_prices::find(table, &command.item_cd)
        .await?
        .ok_or(Refused::NotFound { what: "Item", id: command.item_cd.clone() })?;
    let order_id = framework::new_id();
    let draft = Draft {
        order_id: order_id.clone(),
        item_cd: price.item_cd.clone(),
        quantity: command.quantity,
        address: command.address.clone(),
        customer_id: caller.sub.clone(),
        amount: price.price * command.quantity,
    };
    record::<Order, _>(table, &order_id, None, |_| Command::Place(draft.clone())).await?;
    let request = ApprovePay {
        order_id: &order_id,
        item_cd: &draft.item_cd,
        quantity: draft.quantity,
        address: &draft.address,
        customer_id: &draft.customer_id,
        amount: draft.amount,
        correlation_id: &order_id,
    };
    let approved: Approved = match place.pay.call(&request).await {
        Ok(approved) => approved,
        Err(error) => {
            // No order: whatever pay does later is refunded (`follow-pay`).
            record::<Order, _>(table, &order_id, None, |_| Command::Abandon).await?;
            return Err(match error {
                CallError::Unavailable(error) => Refused::from(error),
                CallError::Refused(refusal) => refusal.upstream("pay_refused"),
            });
        }
    };
    let origin = Origin { source: SOURCE, correlation_id: order_id.clone() };
    let done = execute::<Order, _>(table, &order_id, &origin, None, |_| Command::Paid {
        payment_id: approved.payment_id.clone(),
    })
    .await?;
    tracing::info!(order_id = %order_id, payment_id = %approved.payment_id, "order placed");
    Ok(done.aggregate.state)
}

/// `cancel-order`: the owner's, before the parcel ships.
pub async fn cancel_order(table: &dyn Table, caller: &Caller, order_id: &str) -> Outcome<Order> {
    crate::queries::visible(table, caller, order_id).await?;
    let origin = Origin { source: SOURCE, correlation_id: order_id.to_owned() };
    let done = execute::<Order, _>(table, order_id, &origin, None, |_| Command::Cancel).await?;
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;
    use framework::Envelope;
    use framework::call::{CallSettings, Circuits, Remote, RemoteError, Unconfigured};
    use framework::store::BoxFuture;
    use serde_json::{Value, json};

    use super::*;
    use crate::order::{RejectReason, Status};
    use crate::policies::{follow_delivery, follow_pay};
    use crate::queries;
    use crate::views::product_prices::{self, Inbound};

    fn customer(sub: &str) -> Caller {
        Caller { sub: sub.into(), groups: vec![] }
    }

    fn heard(event_type: &str) -> Envelope {
        Envelope {
            event_id: framework::new_id(),
            event_type: event_type.into(),
            source: "test".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: "c".into(),
            version: 1,
            data: json!({}),
        }
    }

    /// A table whose product view prices ITEM-001 at 12,000.
    async fn priced() -> Arc<dyn Table> {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let added = Inbound::ProductAdded { item_cd: "ITEM-001".into(), name: "Mug".into(), price: 12_000 };
        product_prices::on_event(table.clone(), heard("ProductAdded"), added).await.unwrap();
        table
    }

    struct Answering(Value);

    impl Remote for Answering {
        fn invoke(&self, _request: Value) -> BoxFuture<'_, Result<Value, RemoteError>> {
            let reply = self.0.clone();
            Box::pin(async move { Ok(reply) })
        }
    }

    fn place_with(table: &Arc<dyn Table>, pay: impl Remote + 'static) -> Place {
        let client = Client::new("test→pay", Arc::new(pay), CallSettings::default(), &Circuits::default());
        Place { table: table.clone(), pay: client }
    }

    fn approving() -> Answering {
        Answering(json!({"status": 200, "body": {"paymentId": "p1", "status": "Approved"}}))
    }

    fn two_mugs() -> PlaceOrder {
        PlaceOrder { item_cd: "ITEM-001".into(), quantity: 2, address: "Seoul".into() }
    }

    /// The order alice placed last (pending ones included), by her listing.
    async fn last_of(table: &dyn Table, customer_id: &str) -> Order {
        let query = framework::store::Query::index(framework::customer_partition(customer_id)).newest_first();
        let item = table.query(&query).await.unwrap().into_iter().next().expect("an order");
        serde_json::from_value(item.body).unwrap()
    }

    #[tokio::test]
    async fn an_order_is_placed_only_once_paid_and_only_its_owner_cancels() {
        let table = priced().await;
        let unknown = PlaceOrder { item_cd: "ITEM-404".into(), ..two_mugs() };
        assert_eq!(
            place_order(&place_with(&table, approving()), &customer("alice"), unknown).await,
            Err(Refused::NotFound { what: "Item", id: "ITEM-404".into() })
        );
        let order = place_order(&place_with(&table, approving()), &customer("alice"), two_mugs()).await.unwrap();
        assert_eq!(
            (order.status, order.amount, order.payment_id.as_deref()),
            (Some(Status::Ordered), 24_000, Some("p1"))
        );
        let id = order.order_id.as_str();
        assert_eq!(cancel_order(&*table, &customer("carol"), id).await, Err(Refused::NotOwner { what: "Order" }));
        assert_eq!(cancel_order(&*table, &customer("alice"), id).await.unwrap().status, Some(Status::Canceled));
        assert_eq!(
            cancel_order(&*table, &customer("alice"), id).await,
            Err(Refused::Domain(OrderError::NotCancelable(Status::Canceled)))
        );
    }

    #[tokio::test]
    async fn with_pay_down_no_order_exists_and_a_late_approval_is_rejected_for_a_refund() {
        let table = priced().await;
        let down = place_with(&table, Unconfigured(crate::PAY_FUNCTION.into()));
        let refused = place_order(&down, &customer("alice"), two_mugs()).await;
        assert!(matches!(refused, Err(Refused::Unavailable { .. })), "{refused:?}");
        let abandoned = last_of(&*table, "alice").await;
        assert_eq!(abandoned.status, Some(Status::Abandoned));
        let id = abandoned.order_id.clone();
        assert_eq!(
            queries::get_order(&*table, &customer("alice"), &id).await,
            Err(Refused::NotFound { what: "Order", id: id.clone() }),
            "no order exists"
        );
        // Pay approved it after all (the call timed out while pay went on).
        let late = follow_pay::Inbound::PayApproved { payment_id: "p1".into(), order_id: id.clone() };
        follow_pay::on_event(table.clone(), heard("PayApproved"), late).await.unwrap();
        let rejected = queries::get_order(&*table, &customer("alice"), &id).await.unwrap();
        assert_eq!(
            (rejected.status, rejected.reject_reason),
            (Some(Status::Rejected), Some(RejectReason::NotRecorded))
        );
    }

    #[tokio::test]
    async fn an_approval_whose_commit_was_lost_is_still_ordered_from_pays_event() {
        let inner = priced().await;
        // The first transaction (pending) lands; the one after the call is lost.
        let table: Arc<dyn Table> = Arc::new(framework::testing::FailNextTransaction::after(inner.clone(), 1));
        let lost = place_order(&place_with(&table, approving()), &customer("alice"), two_mugs()).await;
        assert!(matches!(lost, Err(Refused::Unavailable { .. })), "{lost:?}");
        let pending = last_of(&*inner, "alice").await;
        assert_eq!(pending.status, Some(Status::Pending));
        let approved = follow_pay::Inbound::PayApproved { payment_id: "p1".into(), order_id: pending.order_id.clone() };
        follow_pay::on_event(inner.clone(), heard("PayApproved"), approved).await.unwrap();
        let ordered = queries::get_order(&*inner, &customer("alice"), &pending.order_id).await.unwrap();
        assert_eq!((ordered.status, ordered.payment_id.as_deref()), (Some(Status::Ordered), Some("p1")));
    }

    #[tokio::test]
    async fn a_parcel_heard_of_before_the_order_is_recorded_paid_moves_it_once_paid() {
        let inner = priced().await;
        // Pay approved; the order's own commit after the call has not landed
        // (here: lost), while product already took the stock for PayApproved.
        let table: Arc<dyn Table> = Arc::new(framework::testing::FailNextTransaction::after(inner.clone(), 1));
        let _ = place_order(&place_with(&table, approving()), &customer("alice"), two_mugs()).await;
        let order_id = last_of(&*inner, "alice").await.order_id;

        let news = follow_delivery::Inbound::DeliveryPrepared { order_id: order_id.clone() };
        follow_delivery::on_event(inner.clone(), heard("DeliveryPrepared"), news).await.unwrap();
        assert_eq!(last_of(&*inner, "alice").await.status, Some(Status::Pending), "not an order yet");

        let approved = follow_pay::Inbound::PayApproved { payment_id: "p1".into(), order_id: order_id.clone() };
        follow_pay::on_event(inner.clone(), heard("PayApproved"), approved).await.unwrap();
        let order = queries::get_order(&*inner, &customer("alice"), &order_id).await.unwrap();
        assert_eq!((order.status, order.payment_id.as_deref()), (Some(Status::Prepared), Some("p1")));
    }
}
