//! The book list view (green sticky): what customers see before reserving,
//! fed by stock's events so the reservation context never reads stock's table.
//!
//! Every stock event carries the stock's version and its absolute
//! `available` count, so the row simply takes the newest one: a late or
//! repeated event (lower or equal version) changes nothing.

use framework::commit::{Commit, CommitError, retry_stale};
use framework::store::{Condition, Item, Key, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const PARTITION: &str = "BookList";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookRow {
    pub book_id: String,
    pub title: String,
    pub available: u64,
    /// The stock version this row shows.
    #[serde(skip_serializing)]
    pub stock_version: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredRow {
    book_id: String,
    title: String,
    available: u64,
    stock_version: u64,
}

/// The stock events this view reads (its own reading of stock's language).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum StockEvent {
    StockReceived { book_id: String, title: String, available: u64 },
    StockReserved { book_id: String, title: String, available: u64 },
    StockRestored { book_id: String, title: String, available: u64 },
}

fn key(book_id: &str) -> Key {
    Key::new(PARTITION, book_id)
}

pub async fn find(table: &dyn Table, book_id: &str) -> Result<Option<BookRow>, framework::store::StoreError> {
    Ok(table.get(&key(book_id)).await?.and_then(|item| row_of(item).ok()))
}

pub async fn all(table: &dyn Table) -> Result<Vec<BookRow>, framework::store::StoreError> {
    let items = table.query(&framework::store::Query::partition(PARTITION)).await?;
    Ok(items.into_iter().filter_map(|i| row_of(i).ok()).collect())
}

fn row_of(item: Item) -> Result<BookRow, serde_json::Error> {
    let stored: StoredRow = serde_json::from_value(item.body)?;
    Ok(BookRow {
        book_id: stored.book_id,
        title: stored.title,
        available: stored.available,
        stock_version: stored.stock_version,
    })
}

pub const CONSUMER: &str = "book-list-view";

pub async fn on_stock_event(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let table = &*table;
    let Some(event) = envelope.open::<StockEvent>()? else {
        return Ok(());
    };
    let (StockEvent::StockReceived { book_id, title, available }
    | StockEvent::StockReserved { book_id, title, available }
    | StockEvent::StockRestored { book_id, title, available }) = event;
    let outcome = retry_stale(|| async {
        let current = table.get(&key(&book_id)).await.map_err(CommitError::Store)?;
        let shown = current.as_ref().map(|i| row_of(i.clone()).map(|r| r.stock_version).unwrap_or(0));
        if shown.is_some_and(|v| v >= envelope.version) {
            return Ok(());
        }
        let row =
            StoredRow { book_id: book_id.clone(), title: title.clone(), available, stock_version: envelope.version };
        let body = serde_json::to_value(&row).expect("a row always serializes");
        let mut commit = Commit::new();
        let item_version = current.as_ref().map_or(0, |i| i.version);
        commit.put(Item::new(key(&book_id), item_version + 1, body), Condition::loaded_at(item_version));
        commit.consumed(CONSUMER, &envelope.event_id);
        commit.submit(table).await.map(|_| ())
    })
    .await;
    match outcome {
        Ok(()) | Err(CommitError::Duplicate) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
