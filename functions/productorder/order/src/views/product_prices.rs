//! The product view (green sticky): the items and their prices, fed by
//! product's `ProductAdded`, so an order is priced without reading product's
//! table. It may lag a just-added item by a moment (then `404`; retry).

use std::sync::Arc;

use framework::store::{Key, StoreError, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};

pub const PRODUCT_PRICES: &str = "product-prices";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceRow {
    pub item_cd: String,
    pub name: String,
    pub price: u64,
}

fn key(item_cd: &str) -> Key {
    Key::new("Price", item_cd)
}

pub async fn find(table: &dyn Table, item_cd: &str) -> Result<Option<PriceRow>, StoreError> {
    Ok(table.get(&key(item_cd)).await?.and_then(|item| serde_json::from_value(item.body).ok()))
}

/// Product's events, as this view reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    ProductAdded { item_cd: String, name: String, price: u64 },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::ProductAdded { item_cd, name, price } = event;
    framework::view::update(
        &*table,
        key(&item_cd),
        PRODUCT_PRICES,
        &envelope,
        // An item's price is fixed when it is added: the first heard stays.
        |row: Option<PriceRow>| row.is_none().then(|| PriceRow { item_cd: item_cd.clone(), name: name.clone(), price }),
        |_| None,
    )
    .await
}
