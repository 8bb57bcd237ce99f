//! The store conformance suite on the embedded SQLite table, in memory and
//! on disk.

use std::sync::Arc;

use embedded::SqliteTable;
use framework::store::Table;

async fn in_memory() -> Arc<dyn Table> {
    Arc::new(SqliteTable::open(None).unwrap())
}

framework::conformance_suite!(in_memory());

mod on_disk {
    use super::*;

    async fn on_disk() -> Arc<dyn Table> {
        let dir = tempfile::tempdir().unwrap();
        let table = SqliteTable::open(Some(&dir.path().join("t.db"))).unwrap();
        // The directory may go: SQLite keeps the open file.
        std::mem::forget(dir);
        Arc::new(table)
    }

    framework::conformance_suite!(on_disk());
}

#[tokio::test]
async fn the_stream_shows_commits_in_order() {
    let table = SqliteTable::open(None).unwrap();
    framework::conformance::the_stream_shows_commits_in_order(&table, &table).await;
}

#[tokio::test]
async fn a_committed_write_survives_reopening_the_file() {
    use framework::store::{Condition, Item, Key, WriteOp};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let key = Key::new("Stock#b1", "STATE");
    {
        let table = SqliteTable::open(Some(&path)).unwrap();
        let item = Item::new(key.clone(), 1, serde_json::json!({"available": 3}));
        table.transact(vec![WriteOp::Put { item, condition: Condition::NotExists }]).await.unwrap();
    }
    let reopened = SqliteTable::open(Some(&path)).unwrap();
    assert_eq!(reopened.get(&key).await.unwrap().unwrap().body["available"], 3);
}

#[tokio::test]
async fn a_filtered_stream_records_only_matching_puts_and_no_stream_records_nothing() {
    use embedded::StreamCapture;
    use framework::store::{ChangeStream, Condition, Item, Key, WriteOp};
    let put = |pk: &str| WriteOp::Put {
        item: Item::new(Key::new(pk, "S"), 1, serde_json::json!({})),
        condition: Condition::Always,
    };
    let outbox_only = SqliteTable::open_with(None, StreamCapture::PutsWithPrefix("OUTBOX#".into())).unwrap();
    outbox_only.transact(vec![put("Stock#1"), put("OUTBOX#e1")]).await.unwrap();
    let keys: Vec<String> = outbox_only.read(0, 10).await.unwrap().into_iter().map(|c| c.key.pk).collect();
    assert_eq!(keys, vec!["OUTBOX#e1"]);
    let silent = SqliteTable::open_with(None, StreamCapture::Off).unwrap();
    silent.transact(vec![put("OUTBOX#e1")]).await.unwrap();
    assert!(silent.read(0, 10).await.unwrap().is_empty(), "a table without a stream keeps no changes");
}
