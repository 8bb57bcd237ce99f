//! Read models (green stickies): a view row changed by a consumed event, in
//! one transaction with the inbox record of that event.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::commit::{Commit, CommitError, retry_stale};
use crate::envelope::Envelope;
use crate::queue::{PolicyError, settle};
use crate::store::{Condition, Item, Key, Page, PageRequest, Query, StoreError, Table};

/// Updates the row at `key` for `envelope`: `change` sees the current row
/// (`None` if there is none yet) and returns the new one, or `None` to leave
/// it as it is; `index` lists the row (a customer's rows, say). The row and
/// the inbox record commit together; a lost race is decided again on the
/// fresh row, and a redelivered event changes nothing.
pub async fn update<T, C, I>(
    table: &dyn Table,
    key: Key,
    consumer: &str,
    envelope: &Envelope,
    change: C,
    index: I,
) -> Result<(), PolicyError>
where
    T: Serialize + DeserializeOwned,
    C: Fn(Option<T>) -> Option<T>,
    I: Fn(&T) -> Option<Key>,
{
    settle(
        retry_stale(|| async {
            let current = table.get(&key).await.map_err(CommitError::Store)?;
            let version = current.as_ref().map_or(0, |i| i.version);
            let row = match current {
                Some(item) => Some(serde_json::from_value::<T>(item.body).map_err(|e| {
                    CommitError::Store(StoreError::Invalid(format!("view row {}/{}: {e}", key.pk, key.sk)))
                })?),
                None => None,
            };
            let mut commit = Commit::new();
            if let Some(row) = change(row) {
                let body = serde_json::to_value(&row).expect("a view row always serializes");
                let mut item = Item::new(key.clone(), version + 1, body);
                item.index = index(&row);
                commit.put(item, Condition::loaded_at(version));
            }
            commit.consumed(consumer, &envelope.event_id);
            commit.submit(table).await.map(|_| ())
        })
        .await,
    )
}

/// The usual [`update`]: the row is `fresh()` until there is one, `merge`
/// changes it in place, and it is written only if that changed it.
pub async fn merge<T, F, M, I>(
    table: &dyn Table,
    key: Key,
    consumer: &str,
    envelope: &Envelope,
    fresh: F,
    merge: M,
    index: I,
) -> Result<(), PolicyError>
where
    T: Serialize + DeserializeOwned + Clone + PartialEq,
    F: Fn() -> T,
    M: Fn(&mut T),
    I: Fn(&T) -> Option<Key>,
{
    let change = |current: Option<T>| {
        let mut row = current.unwrap_or_else(&fresh);
        let before = row.clone();
        merge(&mut row);
        (row != before).then_some(row)
    };
    update(table, key, consumer, envelope, change, index).await
}

/// A page of the rows a view lists under a customer
/// ([`crate::customer_partition`]), newest first; a row that no longer reads
/// as `T` is skipped.
pub async fn customer_rows<T: DeserializeOwned>(
    table: &dyn Table,
    customer_id: &str,
    page: &PageRequest,
) -> Result<Page<T>, StoreError> {
    let query = Query::index(crate::customer_partition(customer_id)).newest_first();
    Ok(crate::store::page(table, query, page).await?.filter_map(|i| serde_json::from_value(i.body).ok()))
}
