//! The product catalog view (green sticky): which books exist, so a
//! reservation of an unknown one is a `404`, fed by product's
//! `StockIncreased` (this context never reads product's table).

use std::sync::Arc;

use framework::commit::{Commit, CommitError};
use framework::store::{Condition, Item, Key, StoreError, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};

pub const CONSUMER: &str = "product-catalog";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogEntry {
    pub product_id: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum ProductNews {
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
pub async fn on_stock_increased(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let Some(ProductNews::StockIncreased { product_id, title }) = envelope.open()? else {
        return Ok(());
    };
    if table.get(&key(&product_id)).await?.is_some() {
        return Ok(());
    }
    let entry = CatalogEntry { product_id: product_id.clone(), title };
    let mut commit = Commit::new();
    commit.put(
        Item::new(key(&product_id), 1, serde_json::to_value(&entry).expect("an entry always serializes")),
        Condition::NotExists,
    );
    commit.consumed(CONSUMER, &envelope.event_id);
    match commit.submit(&*table).await {
        // Stale: another delivery of the product's news wrote it first.
        Ok(_) | Err(CommitError::Duplicate | CommitError::Stale) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
