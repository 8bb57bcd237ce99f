//! The book list view (green sticky): what customers see before reserving,
//! fed by stock's events so the reservation context never reads stock's table.
//!
//! Every stock event carries the stock's version and its absolute
//! `available` count, so the row simply takes the newest one: a late or
//! repeated event (lower or equal version) changes nothing.

use framework::store::{Item, Key, Page, PageRequest, Query, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const PARTITION: &str = "BookList";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
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

/// A page of the list, in book id order; an unreadable row is skipped.
pub async fn all(table: &dyn Table, page: &PageRequest) -> Result<Page<BookRow>, framework::store::StoreError> {
    let found = framework::store::page(table, Query::partition(PARTITION), page).await?;
    Ok(found.filter_map(|i| row_of(i).ok()))
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

pub const BOOK_LIST_VIEW: &str = "book-list-view";

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let (Inbound::StockReceived { book_id, title, available }
    | Inbound::StockReserved { book_id, title, available }
    | Inbound::StockRestored { book_id, title, available }) = event;
    framework::view::update(
        table,
        key(&book_id),
        BOOK_LIST_VIEW,
        &envelope,
        |shown: Option<StoredRow>| {
            if shown.is_some_and(|row| row.stock_version >= envelope.version) {
                return None;
            }
            Some(StoredRow {
                book_id: book_id.clone(),
                title: title.clone(),
                available,
                stock_version: envelope.version,
            })
        },
        |_| None,
    )
    .await
}
