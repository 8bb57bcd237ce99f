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

/// Every item held in the stream, as an outbox's items are: reads, checks,
/// deletes and pages find them as they find the table's own.
mod held_in_the_stream {
    use super::*;
    use embedded::StreamCapture;

    async fn everything_held() -> Arc<dyn Table> {
        let capture = StreamCapture::Outbox { prefix: String::new(), index_prefix: String::new() };
        Arc::new(SqliteTable::open_with(None, capture).unwrap())
    }

    framework::conformance_suite!(everything_held());
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
    let outbox = StreamCapture::Outbox { prefix: "OUTBOX#".into(), index_prefix: "OutboxShard#".into() };
    let outbox_only = SqliteTable::open_with(None, outbox).unwrap();
    outbox_only.transact(vec![put("Stock#1"), put("OUTBOX#e1")]).await.unwrap();
    let keys: Vec<String> = outbox_only.read(0, 10).await.unwrap().into_iter().map(|c| c.key.pk).collect();
    assert_eq!(keys, vec!["OUTBOX#e1"]);
    let silent = SqliteTable::open_with(None, StreamCapture::Off).unwrap();
    silent.transact(vec![put("OUTBOX#e1")]).await.unwrap();
    assert!(silent.read(0, 10).await.unwrap().is_empty(), "a table without a stream keeps no changes");
}

/// Writers racing for one table are committed in groups; each transaction
/// still stands or falls alone: of eight writers creating the same item in
/// the same transaction as one of their own, exactly one wins each round,
/// and a loser's own item is not written either.
#[test]
fn racing_transactions_committed_together_each_stand_or_fall_alone() {
    use framework::store::{Condition, Item, Key, StoreError, WriteOp};
    let table = Arc::new(SqliteTable::open(None).unwrap());
    let rounds = 50;
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let table = table.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                (0..rounds)
                    .map(|round| {
                        let create = |pk: String| WriteOp::Put {
                            item: Item::new(Key::new(pk, "S"), 1, serde_json::json!({ "writer": writer })),
                            condition: Condition::NotExists,
                        };
                        let ops = vec![create(format!("Hot#{round}")), create(format!("Own#{writer}#{round}"))];
                        match runtime.block_on(table.transact(ops)) {
                            Ok(()) => true,
                            Err(StoreError::ConditionFailed { index: 0 }) => false,
                            Err(e) => panic!("writer {writer} round {round}: {e}"),
                        }
                    })
                    .collect::<Vec<bool>>()
            })
        })
        .collect();
    let won: Vec<Vec<bool>> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for round in 0..rounds {
        let winners: Vec<usize> = won.iter().enumerate().filter(|(_, rounds)| rounds[round]).map(|(w, _)| w).collect();
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        let hot = runtime.block_on(table.get(&Key::new(format!("Hot#{round}"), "S"))).unwrap().unwrap();
        assert_eq!(hot.body["writer"], winners[0]);
        for writer in 0..8 {
            let own = runtime.block_on(table.get(&Key::new(format!("Own#{writer}#{round}"), "S"))).unwrap();
            assert_eq!(own.is_some(), writer == winners[0], "round {round}, writer {writer}");
        }
    }
}
