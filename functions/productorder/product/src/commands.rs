//! Blue stickies of the product context as typed commands: staff add items
//! and restock them. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, existing, staff};
use framework::store::Table;

use crate::SOURCE;
use crate::product::{Command, Product, ProductError};

pub type Outcome<T> = Result<T, Refused<ProductError>>;

/// `add-product`: an item by its code (valid by construction: the route
/// checked it), its name, its price and its first quantity (none is fine).
#[derive(Debug, Clone)]
pub struct AddProduct {
    pub item_cd: String,
    pub name: String,
    pub price: u64,
    pub quantity: u64,
}

/// Staff only; an item code is added once.
pub async fn add_product(table: &dyn Table, caller: &Caller, command: AddProduct) -> Outcome<Product> {
    staff(caller)?;
    let AddProduct { item_cd, name, price, quantity } = command;
    let origin = Origin { source: SOURCE, correlation_id: item_cd.clone() };
    let done = execute::<Product, _>(table, &item_cd, &origin, None, |_| Command::Add {
        item_cd: item_cd.clone(),
        name: name.clone(),
        price,
        quantity,
    })
    .await?;
    tracing::info!(item_cd, price, quantity, "product added");
    Ok(done.aggregate.state)
}

/// `increase-stock`: units received for an added item.
#[derive(Debug, Clone)]
pub struct IncreaseStock {
    pub item_cd: String,
    pub quantity: u64,
}

/// Staff only; an item nobody added is not found.
pub async fn increase_stock(table: &dyn Table, caller: &Caller, command: IncreaseStock) -> Outcome<Product> {
    staff(caller)?;
    let IncreaseStock { item_cd, quantity } = command;
    existing::<Product>(table, &item_cd).await?;
    let origin = Origin { source: SOURCE, correlation_id: item_cd.clone() };
    let done = execute::<Product, _>(table, &item_cd, &origin, None, |_| Command::Increase { quantity }).await?;
    tracing::info!(item_cd, added = quantity, quantity = done.aggregate.state.quantity, "stock increased");
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use embedded::SqliteTable;
    use framework::Envelope;
    use framework::commit::load;
    use framework::store::{PageRequest, Query};

    use super::*;
    use crate::policies::{restore_stock, take_stock};
    use crate::product::{Allocation, AllocationStatus};
    use crate::queries::{get_product, list_products};

    fn staff_member() -> Caller {
        Caller { sub: "bob".into(), groups: vec!["staff".into()] }
    }

    fn customer() -> Caller {
        Caller { sub: "alice".into(), groups: vec![] }
    }

    fn table() -> Arc<dyn Table> {
        Arc::new(SqliteTable::open(None).unwrap())
    }

    fn mouse(quantity: u64) -> AddProduct {
        AddProduct { item_cd: "ITEM-001".into(), name: "Wireless Mouse".into(), price: 12_000, quantity }
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

    /// Pay's `PayApproved` of `order_id` for `quantity` of ITEM-001 (or `item_cd`), as the queue hands it over.
    async fn approved(table: &Arc<dyn Table>, event_id: &str, order_id: &str, item_cd: &str, quantity: u64) {
        let event = take_stock::Inbound::PayApproved {
            order_id: order_id.into(),
            item_cd: item_cd.into(),
            quantity,
            address: "1 Main St".into(),
            customer_id: "alice".into(),
        };
        take_stock::on_event(table.clone(), envelope(event_id, "PayApproved", "pay"), event).await.unwrap();
    }

    async fn canceled(table: &Arc<dyn Table>, event_id: &str, order_id: &str) {
        let event = restore_stock::Inbound::OrderCanceled { order_id: order_id.into(), item_cd: "ITEM-001".into() };
        restore_stock::on_event(table.clone(), envelope(event_id, "OrderCanceled", "order"), event).await.unwrap();
    }

    /// The events waiting in the outbox, as (type, data), in the order raised.
    async fn published(table: &Arc<dyn Table>) -> Vec<(String, serde_json::Value)> {
        let mut events = Vec::new();
        for shard in 0..framework::commit::OUTBOX_SHARDS {
            let query = Query::index(framework::commit::outbox_shard(shard));
            for item in table.query(&query).await.unwrap() {
                let envelope: Envelope = serde_json::from_value(item.body).unwrap();
                events.push((envelope.event_id, envelope.event_type, envelope.data));
            }
        }
        // Event ids are UUIDv7s: they sort in the order raised.
        events.sort_by(|a, b| a.0.cmp(&b.0));
        events.into_iter().map(|(_, t, d)| (t, d)).collect()
    }

    async fn types(table: &Arc<dyn Table>) -> Vec<String> {
        published(table).await.into_iter().map(|(t, _)| t).collect()
    }

    async fn on_hand(table: &Arc<dyn Table>) -> u64 {
        get_product(&**table, "ITEM-001").await.unwrap().quantity
    }

    async fn allocation(table: &Arc<dyn Table>, order_id: &str) -> Option<AllocationStatus> {
        load::<Allocation>(&**table, order_id).await.unwrap().state.status
    }

    #[tokio::test]
    async fn only_staff_add_an_item_and_an_item_code_is_added_once() {
        let table = table();
        assert_eq!(add_product(&*table, &customer(), mouse(10)).await, Err(Refused::StaffOnly));
        let product = add_product(&*table, &staff_member(), mouse(10)).await.unwrap();
        assert_eq!((product.item_cd.as_str(), product.price, product.quantity), ("ITEM-001", 12_000, 10));
        assert_eq!(
            add_product(&*table, &staff_member(), mouse(3)).await,
            Err(Refused::Domain(ProductError::AlreadyAdded { item_cd: "ITEM-001".into() }))
        );
        assert_eq!(on_hand(&table).await, 10, "the second add changed nothing");
        let (kind, data) = published(&table).await.remove(0);
        assert_eq!(kind, "ProductAdded");
        assert_eq!(
            data,
            serde_json::json!({"itemCd": "ITEM-001", "name": "Wireless Mouse", "price": 12000, "quantity": 10})
        );
    }

    #[tokio::test]
    async fn only_staff_restock_and_an_unknown_item_is_not_found() {
        let table = table();
        let restock = IncreaseStock { item_cd: "ITEM-001".into(), quantity: 5 };
        assert_eq!(
            increase_stock(&*table, &staff_member(), restock.clone()).await,
            Err(Refused::NotFound { what: "Product", id: "ITEM-001".into() })
        );
        add_product(&*table, &staff_member(), mouse(10)).await.unwrap();
        assert_eq!(increase_stock(&*table, &customer(), restock.clone()).await, Err(Refused::StaffOnly));
        let product = increase_stock(&*table, &staff_member(), restock).await.unwrap();
        assert_eq!(product.quantity, 15);
        let (kind, data) = published(&table).await.remove(1);
        assert_eq!(kind, "StockIncreased");
        assert_eq!(
            data,
            serde_json::json!({"itemCd": "ITEM-001", "name": "Wireless Mouse", "price": 12000, "quantity": 15, "added": 5})
        );
    }

    #[tokio::test]
    async fn anyone_signed_in_lists_the_items_by_code_and_gets_one() {
        let table = table();
        for code in ["ITEM-002", "ITEM-001"] {
            let item = AddProduct { item_cd: code.into(), ..mouse(1) };
            add_product(&*table, &staff_member(), item).await.unwrap();
        }
        let first_page = PageRequest { limit: 100, after: None };
        let listed = list_products(&*table, &first_page).await.unwrap();
        let codes: Vec<String> = listed.items.into_iter().map(|p| p.item_cd).collect();
        assert_eq!(codes, ["ITEM-001", "ITEM-002"]);
        assert_eq!(get_product(&*table, "ITEM-002").await.unwrap().name, "Wireless Mouse");
        assert_eq!(get_product(&*table, "nope").await, Err(Refused::NotFound { what: "Product", id: "nope".into() }));
    }

    #[tokio::test]
    async fn a_paid_order_takes_its_quantity_once_however_often_it_is_heard() {
        let table = table();
        add_product(&*table, &staff_member(), mouse(10)).await.unwrap();
        approved(&table, "e1", "o1", "ITEM-001", 2).await;
        approved(&table, "e1", "o1", "ITEM-001", 2).await;
        approved(&table, "e9", "o1", "ITEM-001", 2).await;
        assert_eq!(on_hand(&table).await, 8, "a redelivery, and the same news under another id");
        assert_eq!(allocation(&table, "o1").await, Some(AllocationStatus::Taken));
        let events = published(&table).await;
        assert_eq!(events.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["ProductAdded", "DeliveryPrepared"]);
        assert_eq!(
            events[1].1,
            serde_json::json!({
                "orderId": "o1", "itemCd": "ITEM-001", "quantity": 2, "address": "1 Main St", "customerId": "alice"
            })
        );
    }

    #[tokio::test]
    async fn too_little_or_an_unknown_item_is_out_of_stock_and_takes_nothing() {
        let table = table();
        add_product(&*table, &staff_member(), mouse(3)).await.unwrap();
        approved(&table, "e1", "o1", "ITEM-001", 4).await;
        approved(&table, "e2", "o2", "ITEM-404", 1).await;
        approved(&table, "e1", "o1", "ITEM-001", 4).await;
        assert_eq!(on_hand(&table).await, 3);
        assert_eq!(allocation(&table, "o1").await, Some(AllocationStatus::Short));
        let events = published(&table).await;
        assert_eq!(
            events.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
            ["ProductAdded", "OutOfStock", "OutOfStock"]
        );
        assert_eq!(
            events[2].1,
            serde_json::json!({"orderId": "o2", "itemCd": "ITEM-404", "quantity": 1, "customerId": "alice"})
        );
        assert!(get_product(&*table, "ITEM-404").await.is_err(), "an unknown item is not made by an order");
        canceled(&table, "e3", "o1").await;
        assert_eq!(on_hand(&table).await, 3, "a short order gives nothing back");
    }

    #[tokio::test]
    async fn a_canceled_order_gets_back_what_it_took_once() {
        let table = table();
        add_product(&*table, &staff_member(), mouse(10)).await.unwrap();
        approved(&table, "e1", "o1", "ITEM-001", 4).await;
        canceled(&table, "e2", "o1").await;
        canceled(&table, "e2", "o1").await;
        canceled(&table, "e3", "o1").await;
        approved(&table, "e1", "o1", "ITEM-001", 4).await;
        assert_eq!(on_hand(&table).await, 10);
        assert_eq!(allocation(&table, "o1").await, Some(AllocationStatus::Released));
        let events = published(&table).await;
        assert_eq!(
            events.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
            ["ProductAdded", "DeliveryPrepared", "StockRestored"]
        );
        assert_eq!(
            events[2].1,
            serde_json::json!({"orderId": "o1", "itemCd": "ITEM-001", "quantity": 4, "available": 10})
        );
        let product = get_product(&*table, "ITEM-001").await.unwrap();
        assert_eq!((product.added, product.taken, product.restored), (10, 4, 4));
    }

    #[tokio::test]
    async fn a_cancel_heard_before_the_payment_leaves_the_late_payment_nothing_to_take() {
        let table = table();
        add_product(&*table, &staff_member(), mouse(10)).await.unwrap();
        canceled(&table, "e1", "o1").await;
        assert_eq!(allocation(&table, "o1").await, Some(AllocationStatus::Released));
        approved(&table, "e2", "o1", "ITEM-001", 4).await;
        canceled(&table, "e3", "o1").await;
        assert_eq!(on_hand(&table).await, 10);
        assert_eq!(types(&table).await, ["ProductAdded"], "nothing taken, nothing restored, nothing said");
    }

    #[tokio::test]
    async fn stock_is_added_minus_taken_plus_restored_across_orders() {
        let table = table();
        add_product(&*table, &staff_member(), mouse(5)).await.unwrap();
        approved(&table, "e1", "o1", "ITEM-001", 3).await;
        approved(&table, "e2", "o2", "ITEM-001", 3).await;
        increase_stock(&*table, &staff_member(), IncreaseStock { item_cd: "ITEM-001".into(), quantity: 4 })
            .await
            .unwrap();
        approved(&table, "e3", "o3", "ITEM-001", 5).await;
        canceled(&table, "e4", "o1").await;
        canceled(&table, "e5", "o2").await;
        let product = get_product(&*table, "ITEM-001").await.unwrap();
        assert_eq!((product.quantity, product.added, product.taken, product.restored), (4, 9, 8, 3));
        assert_eq!(
            types(&table).await,
            ["ProductAdded", "DeliveryPrepared", "OutOfStock", "StockIncreased", "DeliveryPrepared", "StockRestored"]
        );
    }
}
