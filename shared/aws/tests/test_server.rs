//! The moto server the tests use (`scripts/moto_server.py`) keeps what real
//! DynamoDB keeps: a canceled transaction writes nothing, takes back no one
//! else's writes, and leaves no record in the table's stream. Plain
//! `moto_server` loses the writes other clients make while a transaction is
//! being canceled (it restores a deep copy of the table), answers some
//! concurrent requests with a 500, and shows open stream iterators the
//! records of canceled transactions; pointing `MOTO_ENDPOINT` at one makes
//! these tests fail (docs/testing.md).

use std::sync::Arc;

use aws_adapters::DynamoTable;
use aws_adapters::testing::moto_config;
use framework::store::{Condition, Item, Key, StoreError, Table, WriteOp};
use serde_json::json;

const WRITERS: usize = 8;
const WRITES_EACH: usize = 40;
const CANCELERS: usize = 4;
const CANCELS_EACH: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_made_while_other_transactions_are_canceled_are_all_kept() {
    let client = aws_sdk_dynamodb::Client::new(&moto_config().await);
    let table = DynamoTable::new(client, format!("canceled-{}", framework::new_id()));
    table.ensure_exists().await.expect("table created on moto");
    let table = Arc::new(table);
    let taken = Key::new("taken", "STATE");
    table.transact(vec![put(taken.clone())]).await.expect("the item every cancel collides with");

    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let table = table.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..WRITES_EACH {
                table.transact(vec![put(Key::new(format!("w{writer}-{n}"), "STATE"))]).await.expect("a plain write");
            }
        }));
    }
    for canceler in 0..CANCELERS {
        let (table, taken) = (table.clone(), taken.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..CANCELS_EACH {
                let fresh = Key::new(format!("c{canceler}-{n}"), "STATE");
                let result = table.transact(vec![put(fresh), put(taken.clone())]).await;
                assert_eq!(result, Err(StoreError::ConditionFailed { index: 1 }));
            }
        }));
    }
    for task in tasks {
        task.await.expect("no request failed");
    }

    let mut lost = Vec::new();
    for writer in 0..WRITERS {
        for n in 0..WRITES_EACH {
            let key = Key::new(format!("w{writer}-{n}"), "STATE");
            if table.get(&key).await.expect("read").is_none() {
                lost.push(key.pk);
            }
        }
    }
    assert!(lost.is_empty(), "{} of {} acknowledged writes lost: {lost:?}", lost.len(), WRITERS * WRITES_EACH);
    for canceler in 0..CANCELERS {
        let canceled = Key::new(format!("c{canceler}-0"), "STATE");
        assert_eq!(table.get(&canceled).await.expect("read"), None, "a canceled transaction wrote");
    }
}

/// A stream reader that resumes after the last record it read sees each
/// committed write once, and nothing of a transaction that was canceled.
#[tokio::test]
async fn a_canceled_transaction_leaves_no_record_in_the_stream() {
    use aws_sdk_dynamodbstreams::types::ShardIteratorType;
    let config = moto_config().await;
    let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(&config), format!("stream-{}", framework::new_id()));
    table.ensure_exists().await.expect("table created on moto");
    let taken = Key::new("taken", "STATE");
    table.transact(vec![put(taken.clone())]).await.expect("a first write");

    let streams = aws_sdk_dynamodbstreams::Client::new(&config);
    let described = aws_sdk_dynamodb::Client::new(&config).describe_table().table_name(table.name()).send().await;
    let arn = described.expect("described").table().and_then(|t| t.latest_stream_arn()).expect("a stream").to_owned();
    let shards = streams.describe_stream().stream_arn(&arn).send().await.expect("stream described");
    let shard = shards.stream_description().and_then(|d| d.shards().first().cloned()).expect("a shard");
    let shard_id = shard.shard_id().expect("an id").to_owned();
    let iterator = |kind: ShardIteratorType, after: Option<String>| {
        let request = streams.get_shard_iterator().stream_arn(&arn).shard_id(&shard_id).shard_iterator_type(kind);
        async move { request.set_sequence_number(after).send().await.expect("an iterator").shard_iterator }
    };
    // Read everything so far; keep the iterator open across the cancel.
    let mut open = iterator(ShardIteratorType::TrimHorizon, None).await;
    let mut last = None;
    let mut seen: Vec<String> = Vec::new();
    let mut read = |records: &[aws_sdk_dynamodbstreams::types::Record], last: &mut Option<String>| {
        for record in records {
            let data = record.dynamodb().expect("a change");
            *last = data.sequence_number().map(str::to_owned);
            seen.push(data.keys().and_then(|k| k.get("pk")).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default());
        }
    };
    let first = streams.get_records().shard_iterator(open.clone().unwrap()).send().await.expect("records");
    read(first.records(), &mut last);
    open = first.next_shard_iterator;

    let canceled = table.transact(vec![put(Key::new("phantom", "STATE")), put(taken)]).await;
    assert_eq!(canceled, Err(StoreError::ConditionFailed { index: 1 }));
    table.transact(vec![put(Key::new("real", "STATE"))]).await.expect("a write after the cancel");

    // The iterator opened before the cancel, then a fresh one after the
    // last record read (as the --aws relay resumes).
    let before = streams.get_records().shard_iterator(open.unwrap()).send().await.expect("records");
    read(before.records(), &mut last);
    let resumed = iterator(ShardIteratorType::AfterSequenceNumber, last.clone()).await;
    let after = streams.get_records().shard_iterator(resumed.unwrap()).send().await.expect("records");
    read(after.records(), &mut last);
    assert_eq!(seen, vec!["taken", "real"], "each committed write once, nothing of the canceled transaction");
}

fn put(key: Key) -> WriteOp {
    WriteOp::Put { item: Item::new(key, 1, json!({})), condition: Condition::NotExists }
}
