//! Read models (green stickies): a view row changed by a consumed event, in
//! one transaction with the inbox record of that event.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::commit::{Commit, CommitError, retry_stale};
use crate::envelope::Envelope;
use crate::queue::{PolicyError, settle};
use crate::store::{Condition, Item, Key, StoreError, Table};

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
