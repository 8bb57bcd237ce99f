//! The store port: the part of DynamoDB the contexts rely on, and nothing more.
//!
//! Every context table has the same physical shape: a partition key `pk`, a
//! sort key `sk`, a numeric `version`, the item's JSON `body`, and an optional
//! secondary index (`gsi1pk`, `gsi1sk`). Writes go through [`Table::transact`]
//! (one `TransactWriteItems`), so state, outbox and inbox always move together.
//! Adapters: `embedded` (SQLite, local runner and tests) and the AWS one
//! (DynamoDB). Both pass the same conformance suite ([`crate::conformance`]).

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// DynamoDB's limit for one `TransactWriteItems`.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    pub version: u64,
    pub body: Value,
    /// Secondary index entry (`gsi1pk`, `gsi1sk`), for listings such as
    /// "the reservations of this customer".
    pub index: Option<Key>,
    /// Epoch seconds after which the store may delete the item (DynamoDB TTL).
    pub expires_at: Option<u64>,
}

impl Item {
    pub fn new(key: Key, version: u64, body: Value) -> Self {
        Self { key, version, body, index: None, expires_at: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Always,
    /// `attribute_not_exists(pk)`: create only.
    NotExists,
    /// The item exists with exactly this version.
    VersionIs(u64),
}

impl Condition {
    /// A write of an aggregate loaded at `version` (0 = not stored yet).
    pub fn loaded_at(version: u64) -> Self {
        if version == 0 { Self::NotExists } else { Self::VersionIs(version) }
    }

    /// Whether the condition holds for the current item (or its absence).
    pub fn holds(self, current: Option<u64>) -> bool {
        match (self, current) {
            (Self::Always, _) => true,
            (Self::NotExists, current) => current.is_none(),
            (Self::VersionIs(v), Some(current)) => v == current,
            (Self::VersionIs(_), None) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Put { item: Item, condition: Condition },
    Delete { key: Key, condition: Condition },
    Check { key: Key, condition: Condition },
}

impl WriteOp {
    pub fn key(&self) -> &Key {
        match self {
            Self::Put { item, .. } => &item.key,
            Self::Delete { key, .. } | Self::Check { key, .. } => key,
        }
    }

    pub fn condition(&self) -> Condition {
        match self {
            Self::Put { condition, .. } | Self::Delete { condition, .. } | Self::Check { condition, .. } => *condition,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    Primary,
    /// The `gsi1` secondary index (eventually consistent on DynamoDB).
    Gsi1,
}

#[derive(Debug, Clone)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk_prefix: Option<String>,
    pub limit: Option<usize>,
    /// Ascending sort-key order when true.
    pub forward: bool,
    /// Start after this item (exclusive), in the query's order: the next page.
    pub after: Option<Cursor>,
}

/// Where a page ended: the last item's key, and its index key for a query
/// of the index (DynamoDB's `ExclusiveStartKey`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    pub key: Key,
    pub index: Option<Key>,
}

impl Cursor {
    /// After `item`, in a query of `index`.
    pub fn after(item: &Item, index: Index) -> Self {
        Self { key: item.key.clone(), index: if index == Index::Gsi1 { item.index.clone() } else { None } }
    }
}

/// At most `limit` items of a list, after `after`.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<Cursor>,
}

/// A page of a list, and where the next one starts (`None`: the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// The same page with each item made into something else (a view row).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }

    /// Keeps the items `f` accepts; the next page starts where this one
    /// ended all the same (a page may then hold fewer than its limit).
    pub fn filter_map<U>(self, f: impl FnMut(T) -> Option<U>) -> Page<U> {
        Page { items: self.items.into_iter().filter_map(f).collect(), next: self.next }
    }
}

/// One page of `query`: at most `request.limit` items after its cursor, and
/// the cursor of the next page when there are more.
pub async fn page(table: &dyn Table, query: Query, request: &PageRequest) -> Result<Page<Item>, StoreError> {
    let index = query.index;
    if let Some(cursor) = &request.after {
        let partition = match index {
            Index::Primary => Some(&cursor.key.pk),
            Index::Gsi1 => cursor.index.as_ref().map(|k| &k.pk),
        };
        if partition != Some(&query.pk) {
            return Err(StoreError::ForeignCursor);
        }
    }
    let query = Query { limit: Some(request.limit + 1), after: request.after.clone(), ..query };
    let mut items = table.query(&query).await?;
    let next = if items.len() > request.limit {
        items.truncate(request.limit);
        items.last().map(|last| Cursor::after(last, index))
    } else {
        None
    };
    Ok(Page { items, next })
}

impl Query {
    pub fn partition(pk: impl Into<String>) -> Self {
        Self { index: Index::Primary, pk: pk.into(), sk_prefix: None, limit: None, forward: true, after: None }
    }

    pub fn index(pk: impl Into<String>) -> Self {
        Self { index: Index::Gsi1, ..Self::partition(pk) }
    }

    pub fn newest_first(mut self) -> Self {
        self.forward = false;
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StoreError {
    /// The condition of the write at this position in the transaction failed;
    /// nothing was written.
    #[error("condition failed on transaction item {index}")]
    ConditionFailed { index: usize },
    /// Another transaction touched the same items; retry.
    #[error("transaction conflict")]
    Conflict,
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A page asked to start after an item of another list.
    #[error("the cursor belongs to another list")]
    ForeignCursor,
}

/// One change of one item, in commit order per item (a stream record).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Position in the stream, increasing.
    pub sequence: u64,
    pub key: Key,
    /// `None` when the item was deleted.
    pub new_image: Option<Item>,
}

/// A context's table.
pub trait Table: Send + Sync {
    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>>;

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>>;

    /// All or nothing. Each op's condition is checked against the state before
    /// the transaction; one key may appear at most once.
    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Deletes each of these items on its own, unconditionally; a missing
    /// one is fine. Not all or nothing: when it fails, some may be gone. For
    /// what needs no transaction, such as the outbox items the relay has
    /// published: on DynamoDB a batch delete costs one write unit an item, a
    /// transaction two. By default, transactions of up to 100 items.
    fn delete_each(&self, keys: Vec<Key>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            for chunk in distinct(keys).chunks(MAX_TRANSACTION_ITEMS) {
                let ops = chunk
                    .iter()
                    .map(|key| WriteOp::Delete { key: key.clone(), condition: Condition::Always })
                    .collect();
                self.transact(ops).await?;
            }
            Ok(())
        })
    }
}

/// The keys, each once, in key order.
pub fn distinct(mut keys: Vec<Key>) -> Vec<Key> {
    keys.sort();
    keys.dedup();
    keys
}

/// The change stream of a table, for adapters that expose it as a pull API
/// (the embedded store; DynamoDB Streams through the local runner).
pub trait ChangeStream: Send + Sync {
    /// Changes after `after` (exclusive), oldest first, at most `limit`.
    fn read(&self, after: u64, limit: usize) -> BoxFuture<'_, Result<Vec<Change>, StoreError>>;
}

/// Checks a transaction against the rules DynamoDB enforces before running it.
pub fn validate_transaction(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACTION_ITEMS {
        return Err(StoreError::Invalid(format!(
            "a transaction holds 1 to {MAX_TRANSACTION_ITEMS} items, not {}",
            ops.len()
        )));
    }
    let mut keys: Vec<&Key> = ops.iter().map(WriteOp::key).collect();
    keys.sort();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(StoreError::Invalid("one item appears twice in a transaction".into()));
    }
    Ok(())
}
