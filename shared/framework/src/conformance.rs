//! The store conformance suite: what the contexts rely on from a table,
//! run against every adapter (embedded always, DynamoDB against moto's
//! server), so the embedded store behaves like DynamoDB where it matters.
//!
//! An adapter's test file instantiates it with
//! `framework::conformance_suite!(make_table_expression);`.

use serde_json::json;

use crate::store::{ChangeStream, Condition, Item, Key, Query, StoreError, Table, WriteOp};

/// Keys unique to one run, so cases can share a table.
fn key(pk: &str, sk: &str, run: &str) -> Key {
    Key::new(format!("{run}:{pk}"), sk)
}

fn put(key: Key, version: u64, condition: Condition) -> WriteOp {
    WriteOp::Put { item: Item::new(key, version, json!({"v": version})), condition }
}

pub async fn missing_item_reads_as_none(table: &dyn Table) {
    let run = crate::new_id();
    assert_eq!(table.get(&key("nobody", "STATE", &run)).await.unwrap(), None);
}

pub async fn a_put_item_reads_back_whole(table: &dyn Table) {
    let run = crate::new_id();
    let mut item = Item::new(key("a", "STATE", &run), 3, json!({"title": "Dune", "n": [1, 2], "nested": {"ok": true}}));
    item.index = Some(Key::new(format!("{run}:owner"), "a"));
    item.expires_at = Some(4_000_000_000);
    table.transact(vec![WriteOp::Put { item: item.clone(), condition: Condition::Always }]).await.unwrap();
    assert_eq!(table.get(&item.key).await.unwrap(), Some(item));
}

pub async fn create_only_refuses_an_existing_item(table: &dyn Table) {
    let run = crate::new_id();
    let k = key("b", "STATE", &run);
    table.transact(vec![put(k.clone(), 1, Condition::NotExists)]).await.unwrap();
    let second = table.transact(vec![put(k.clone(), 9, Condition::NotExists)]).await;
    assert_eq!(second, Err(StoreError::ConditionFailed { index: 0 }));
    assert_eq!(table.get(&k).await.unwrap().unwrap().version, 1);
}

pub async fn version_condition_lets_exactly_one_writer_win(table: &dyn Table) {
    let run = crate::new_id();
    let k = key("c", "STATE", &run);
    table.transact(vec![put(k.clone(), 1, Condition::NotExists)]).await.unwrap();
    // Two writers both loaded version 1.
    table.transact(vec![put(k.clone(), 2, Condition::VersionIs(1))]).await.unwrap();
    let loser = table.transact(vec![put(k.clone(), 2, Condition::VersionIs(1))]).await;
    assert_eq!(loser, Err(StoreError::ConditionFailed { index: 0 }));
    let missing = table.transact(vec![put(key("never", "STATE", &run), 2, Condition::VersionIs(1))]).await;
    assert_eq!(missing, Err(StoreError::ConditionFailed { index: 0 }));
}

pub async fn a_failed_condition_writes_nothing_of_the_transaction(table: &dyn Table) {
    let run = crate::new_id();
    let existing = key("inbox", "INBOX", &run);
    table.transact(vec![put(existing.clone(), 1, Condition::NotExists)]).await.unwrap();
    let state = key("d", "STATE", &run);
    let outbox = key("out", "EVENT", &run);
    let result = table
        .transact(vec![
            put(state.clone(), 1, Condition::NotExists),
            put(outbox.clone(), 1, Condition::NotExists),
            put(existing, 1, Condition::NotExists),
        ])
        .await;
    assert_eq!(result, Err(StoreError::ConditionFailed { index: 2 }));
    assert_eq!(table.get(&state).await.unwrap(), None);
    assert_eq!(table.get(&outbox).await.unwrap(), None);
}

pub async fn delete_and_check_honour_their_conditions(table: &dyn Table) {
    let run = crate::new_id();
    let a = key("e", "STATE", &run);
    let b = key("f", "STATE", &run);
    table
        .transact(vec![put(a.clone(), 1, Condition::NotExists), put(b.clone(), 4, Condition::NotExists)])
        .await
        .unwrap();
    let refused = table
        .transact(vec![
            WriteOp::Delete { key: a.clone(), condition: Condition::VersionIs(1) },
            WriteOp::Check { key: b.clone(), condition: Condition::VersionIs(3) },
        ])
        .await;
    assert_eq!(refused, Err(StoreError::ConditionFailed { index: 1 }));
    assert!(table.get(&a).await.unwrap().is_some(), "refused transaction deleted");
    table
        .transact(vec![
            WriteOp::Delete { key: a.clone(), condition: Condition::VersionIs(1) },
            WriteOp::Check { key: b, condition: Condition::VersionIs(4) },
        ])
        .await
        .unwrap();
    assert_eq!(table.get(&a).await.unwrap(), None);
}

pub async fn one_item_twice_in_a_transaction_is_invalid(table: &dyn Table) {
    let run = crate::new_id();
    let k = key("g", "STATE", &run);
    let result = table.transact(vec![put(k.clone(), 1, Condition::Always), put(k.clone(), 2, Condition::Always)]).await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    assert_eq!(table.get(&k).await.unwrap(), None);
}

/// More items than one DynamoDB batch holds, one of them twice and one
/// never written: every one is gone, and nothing else.
pub async fn delete_each_removes_every_item_named_and_no_other(table: &dyn Table) {
    let run = crate::new_id();
    let keys: Vec<Key> = (0..30).map(|i| key(&format!("outbox-{i}"), "EVENT", &run)).collect();
    for chunk in keys.chunks(10) {
        table.transact(chunk.iter().map(|k| put(k.clone(), 1, Condition::Always)).collect()).await.unwrap();
    }
    let kept = key("kept", "EVENT", &run);
    table.transact(vec![put(kept.clone(), 1, Condition::Always)]).await.unwrap();
    let mut named = keys.clone();
    named.push(keys[3].clone());
    named.push(key("never-written", "EVENT", &run));
    table.delete_each(named).await.unwrap();
    for k in &keys {
        assert_eq!(table.get(k).await.unwrap(), None, "{k:?} still there");
    }
    assert!(table.get(&kept).await.unwrap().is_some(), "an item not named was deleted");
}

pub async fn a_partition_lists_in_sort_key_order(table: &dyn Table) {
    let run = crate::new_id();
    let pk = format!("{run}:books");
    let ops = ["b", "c", "a", "x#1"]
        .iter()
        .map(|sk| put(Key::new(pk.clone(), *sk), 1, Condition::Always))
        .chain([put(key("other", "a", &run), 1, Condition::Always)])
        .collect();
    table.transact(ops).await.unwrap();
    let sks = |items: Vec<Item>| items.into_iter().map(|i| i.key.sk).collect::<Vec<_>>();
    assert_eq!(sks(table.query(&Query::partition(&pk)).await.unwrap()), vec!["a", "b", "c", "x#1"]);
    assert_eq!(sks(table.query(&Query::partition(&pk).newest_first().limit(2)).await.unwrap()), vec!["x#1", "c"]);
    let mut prefixed = Query::partition(&pk);
    prefixed.sk_prefix = Some("x#".into());
    assert_eq!(sks(table.query(&prefixed).await.unwrap()), vec!["x#1"]);
}

pub async fn the_secondary_index_lists_by_its_own_keys(table: &dyn Table) {
    let run = crate::new_id();
    let owner = format!("{run}:alice");
    let ops = [("r2", "2"), ("r1", "1"), ("r3", "3")]
        .iter()
        .map(|(id, order)| {
            let mut item = Item::new(key(id, "STATE", &run), 1, json!({"id": id}));
            item.index = Some(Key::new(owner.clone(), *order));
            WriteOp::Put { item, condition: Condition::Always }
        })
        .chain([put(key("unindexed", "STATE", &run), 1, Condition::Always)])
        .collect();
    table.transact(ops).await.unwrap();
    let ids: Vec<String> = table
        .query(&Query::index(&owner).newest_first())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.body["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec!["r3", "r2", "r1"]);
}

/// Writing an item again keeps, moves or drops its index entry as the new
/// item says, whether or not its index key changed.
pub async fn a_rewritten_item_keeps_moves_or_drops_its_index_entry(table: &dyn Table) {
    let run = crate::new_id();
    let (first, second) = (format!("{run}:alice"), format!("{run}:bob"));
    let listed = |owner: String| async move {
        table.query(&Query::index(&owner)).await.unwrap().into_iter().map(|i| (i.version, i.body)).collect::<Vec<_>>()
    };
    let mut item = Item::new(key("r", "STATE", &run), 1, json!({"n": 1}));
    item.index = Some(Key::new(first.clone(), "1"));
    table.transact(vec![WriteOp::Put { item: item.clone(), condition: Condition::NotExists }]).await.unwrap();

    // The same index key, a new body and expiry.
    item.version = 2;
    item.body = json!({"n": 2});
    item.expires_at = Some(4_000_000_000);
    table.transact(vec![WriteOp::Put { item: item.clone(), condition: Condition::VersionIs(1) }]).await.unwrap();
    assert_eq!(listed(first.clone()).await, vec![(2, json!({"n": 2}))]);
    assert_eq!(table.get(&item.key).await.unwrap(), Some(item.clone()));

    // Another index key: listed there, no longer under the first.
    item.version = 3;
    item.body = json!({"n": 3});
    item.index = Some(Key::new(second.clone(), "1"));
    table.transact(vec![WriteOp::Put { item: item.clone(), condition: Condition::VersionIs(2) }]).await.unwrap();
    assert_eq!(listed(first.clone()).await, vec![]);
    assert_eq!(listed(second.clone()).await, vec![(3, json!({"n": 3}))]);

    // No index key: listed nowhere.
    item.version = 4;
    item.index = None;
    item.expires_at = None;
    table.transact(vec![WriteOp::Put { item: item.clone(), condition: Condition::VersionIs(3) }]).await.unwrap();
    assert_eq!(listed(second).await, vec![]);
    assert_eq!(table.get(&item.key).await.unwrap(), Some(item));
}

/// A list read page by page from a cursor holds every item once, in order,
/// forward and backward, with a prefix, and on the index.
pub async fn pages_follow_each_other_from_a_cursor(table: &dyn Table) {
    use crate::store::{Page, PageRequest, page};
    let run = crate::new_id();
    let pk = format!("{run}:rows");
    let owner = format!("{run}:owner");
    let mut ops: Vec<WriteOp> = (0..7)
        .map(|n| {
            let mut item = Item::new(Key::new(pk.clone(), format!("r#{n}")), 1, json!({"n": n}));
            item.index = Some(Key::new(owner.clone(), format!("{:02}", 10 - n)));
            WriteOp::Put { item, condition: Condition::Always }
        })
        .collect();
    ops.push(put(Key::new(pk.clone(), "other"), 1, Condition::Always));
    table.transact(ops).await.unwrap();
    async fn all(table: &dyn Table, query: Query, limit: usize) -> (Vec<String>, usize) {
        let mut request = PageRequest { limit, after: None };
        let (mut seen, mut pages) = (Vec::new(), 0);
        loop {
            let Page { items, next } = page(table, query.clone(), &request).await.unwrap();
            assert!(items.len() <= limit);
            seen.extend(items.into_iter().map(|i| i.key.sk));
            pages += 1;
            match next {
                Some(cursor) => request.after = Some(cursor),
                None => return (seen, pages),
            }
        }
    }
    let rows: Vec<String> = (0..7).map(|n| format!("r#{n}")).collect();
    let mut prefixed = Query::partition(&pk);
    prefixed.sk_prefix = Some("r#".into());
    assert_eq!(all(table, prefixed.clone(), 3).await, (rows.clone(), 3));
    let backward: Vec<String> = rows.iter().rev().cloned().collect();
    assert_eq!(all(table, prefixed.newest_first(), 2).await, (backward, 4));
    let (everything, _) = all(table, Query::partition(&pk), 5).await;
    assert_eq!(everything.len(), 8, "the prefix-less list holds the other row too");
    // The index orders by its own key (10 - n): r#6 first.
    let by_index: Vec<String> = rows.iter().rev().cloned().collect();
    assert_eq!(all(table, Query::index(&owner), 2).await, (by_index, 4));
    assert_eq!(all(table, Query::index(&owner), 7).await.1, 1, "a full page and no more: no next");
}

/// A claim is one item created only once: a second commit claiming it fails
/// naming it and writes nothing; given back, it can be claimed again.
pub async fn a_held_claim_fails_the_commit_naming_it(table: &dyn Table) {
    use crate::commit::{Commit, CommitError};
    let run = crate::new_id();
    let day = key("car-1", "Day#2026-12-24", &run);
    let mut first = Commit::new();
    first.claim(Item::new(day.clone(), 1, json!({"by": "r1"})));
    first.submit(table).await.unwrap();
    let mut second = Commit::new();
    let other = key("r2", "STATE", &run);
    second.put(Item::new(other.clone(), 1, json!({})), Condition::NotExists);
    second.claim(Item::new(day.clone(), 1, json!({"by": "r2"})));
    assert!(matches!(second.submit(table).await, Err(CommitError::Held(k)) if k == day));
    assert_eq!(table.get(&other).await.unwrap(), None, "nothing of the refused commit");
    let mut gone = Commit::new();
    gone.absent(key("car-1", "GONE", &run));
    gone.release(day.clone());
    gone.submit(table).await.unwrap();
    let mut again = Commit::new();
    again.claim(Item::new(day.clone(), 1, json!({"by": "r2"})));
    again.submit(table).await.unwrap();
    assert_eq!(table.get(&day).await.unwrap().unwrap().body["by"], "r2");
}

/// The stream carries every committed change once, in commit order per
/// item, and nothing of a refused transaction.
pub async fn the_stream_shows_commits_in_order(table: &dyn Table, stream: &dyn ChangeStream) {
    let run = crate::new_id();
    let start = stream.read(0, usize::MAX).await.unwrap().last().map_or(0, |c| c.sequence);
    let k = key("s", "STATE", &run);
    table.transact(vec![put(k.clone(), 1, Condition::NotExists)]).await.unwrap();
    table.transact(vec![put(k.clone(), 2, Condition::VersionIs(1))]).await.unwrap();
    let _ = table.transact(vec![put(k.clone(), 3, Condition::VersionIs(1))]).await;
    table.transact(vec![WriteOp::Delete { key: k.clone(), condition: Condition::Always }]).await.unwrap();
    let changes: Vec<_> = stream.read(start, usize::MAX).await.unwrap().into_iter().filter(|c| c.key == k).collect();
    let versions: Vec<Option<u64>> = changes.iter().map(|c| c.new_image.as_ref().map(|i| i.version)).collect();
    assert_eq!(versions, vec![Some(1), Some(2), None]);
    assert!(changes.windows(2).all(|w| w[0].sequence < w[1].sequence));
}

/// Expands to one `#[tokio::test]` per case, each on a table made by `$make`
/// (an async expression yielding `Arc<dyn Table>`).
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@cases $make;
            missing_item_reads_as_none,
            a_put_item_reads_back_whole,
            create_only_refuses_an_existing_item,
            version_condition_lets_exactly_one_writer_win,
            a_failed_condition_writes_nothing_of_the_transaction,
            delete_and_check_honour_their_conditions,
            one_item_twice_in_a_transaction_is_invalid,
            delete_each_removes_every_item_named_and_no_other,
            a_partition_lists_in_sort_key_order,
            the_secondary_index_lists_by_its_own_keys,
            a_rewritten_item_keeps_moves_or_drops_its_index_entry,
            a_held_claim_fails_the_commit_naming_it,
            pages_follow_each_other_from_a_cursor,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let table = $make.await;
                $crate::conformance::$case(&*table).await;
            }
        )*
    };
}
