//! The product catalog view (green sticky): which books exist, so a
//! reservation of an unknown one is a `404`, fed by product's
//! `StockIncreased` (this context never reads product's table).

use std::sync::Arc;

use framework::commit::{Commit, CommitError};
use framework::store::{Condition, Item, Key, StoreError, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};

pub const PRODUCT_CATALOG: &str = "product-catalog";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogEntry {
    pub product_id: String,
    pub title: String,
}

/// The product events this view reads (its own reading of product's language).
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    StockIncreased { product_id: String, title: String },
}

fn key(product_id: &str) -> Key {
    Key::new("Catalog", product_id)
}

pub async fn find(table: &dyn Table, product_id: &str) -> Result<Option<CatalogEntry>, StoreError> {
    Ok(table.get(&key(product_id)).await?.and_then(|item| serde_json::from_value(item.body).ok()))
}

/// A product enters the catalog with its first `StockIncreased`; its title
/// does not change afterwards.
pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::StockIncreased { product_id, title } = event;
    if table.get(&key(&product_id)).await?.is_some() {
        return Ok(());
    }
    let entry = CatalogEntry { product_id: product_id.clone(), title };
    let mut commit = Commit::new();
    commit.put(
        Item::new(key(&product_id), 1, serde_json::to_value(&entry).expect("an entry always serializes")),
        Condition::NotExists,
    );
    commit.consumed(PRODUCT_CATALOG, &envelope.event_id);
    match commit.submit(&*table).await {
        // Stale: another delivery of the product's news wrote it first.
        Ok(_) | Err(CommitError::Duplicate | CommitError::Stale) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
