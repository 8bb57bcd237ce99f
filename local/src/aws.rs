//! `--aws`: the same runner on the AWS adapters, against `AWS_ENDPOINT_URL`
//! (moto's server locally, or an account). Tables, the topic, queues with
//! their dead-letter queues and the filtered subscriptions described by the
//! template are created when missing, named `<prefix>-<system>-<LogicalId>`.
//! The relay reads each table's stream through the DynamoDB Streams API;
//! consumers long-poll SQS.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_adapters::{DynamoTable, SnsPublisher};
use aws_config::SdkConfig;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodbstreams::types::{AttributeValue as StreamValue, ShardIteratorType};
use aws_sdk_sns::operation::publish_batch::PublishBatchInput;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use framework::relay::Publisher;
use framework::store::{BoxFuture, Change, Key, Table};
use tokio::sync::Notify;

use crate::backend::{Depth, Queues, Received, Stream};
use crate::template::System;

/// Every AWS request the runner has sent, by service and operation, counted
/// per attempt (as AWS bills them, retries included): `GET /_local/aws-requests`.
static REQUESTS: Mutex<BTreeMap<(String, String), u64>> = Mutex::new(BTreeMap::new());

/// The counts so far, `{"DynamoDB": {"TransactWriteItems": 12, …}, …}`.
pub fn requests() -> serde_json::Value {
    let requests = REQUESTS.lock().unwrap_or_else(|p| p.into_inner());
    let mut by_service = serde_json::Map::new();
    for ((service, operation), n) in requests.iter() {
        let entry = by_service.entry(service.clone()).or_insert_with(|| serde_json::json!({}));
        entry[operation] = serde_json::json!(n);
    }
    serde_json::Value::Object(by_service)
}

fn count(service: &str, operation: &str, n: u64) {
    let mut requests = REQUESTS.lock().unwrap_or_else(|p| p.into_inner());
    *requests.entry((service.to_owned(), operation.to_owned())).or_default() += n;
}

/// The SDK interceptor behind [`requests`].
#[derive(Debug)]
struct Counted;

impl Intercept for Counted {
    fn name(&self) -> &'static str {
        "local-request-counter"
    }

    /// Items written per transaction (DynamoDB bills each, twice), per
    /// batch write (once each) and events per batch publish, as
    /// `<Operation>.items`, once per request.
    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let items = if let Some(transaction) = input.downcast_ref::<TransactWriteItemsInput>() {
            Some(("DynamoDB", "TransactWriteItems.items", transaction.transact_items().len()))
        } else if let Some(batch) = input.downcast_ref::<BatchWriteItemInput>() {
            let requests = batch.request_items().map_or(0, |tables| tables.values().map(Vec::len).sum());
            Some(("DynamoDB", "BatchWriteItem.items", requests))
        } else {
            input
                .downcast_ref::<PublishBatchInput>()
                .map(|batch| ("SNS", "PublishBatch.items", batch.publish_batch_request_entries().len()))
        };
        if let Some((service, what, n)) = items {
            count(service, what, n as u64);
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            count(metadata.service(), metadata.name(), 1);
        }
        Ok(())
    }
}

fn failed<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> String + '_ {
    move |e| format!("{what}: {e:?}")
}

/// A context's table, and its stream when the table has one.
pub type TableAndStream = (Arc<dyn Table>, Option<Arc<dyn Stream>>);

pub struct Provisioned {
    /// By the table's logical id.
    pub tables: HashMap<String, TableAndStream>,
    pub queues: Arc<dyn Queues>,
}

/// Creates what `system` needs on the endpoint (when missing) and returns
/// adapters bound to it.
pub async fn provision(config: &SdkConfig, prefix: &str, system: &System) -> Result<Provisioned, String> {
    let name = |logical: &str| format!("{prefix}-{}-{logical}", system.name);
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(config).interceptor(Counted).build(),
    );
    let streams = aws_sdk_dynamodbstreams::Client::from_conf(
        aws_sdk_dynamodbstreams::config::Builder::from(config).interceptor(Counted).build(),
    );
    let sqs = aws_sdk_sqs::Client::from_conf(aws_sdk_sqs::config::Builder::from(config).interceptor(Counted).build());
    let sns = aws_sdk_sns::Client::from_conf(aws_sdk_sns::config::Builder::from(config).interceptor(Counted).build());

    let mut tables = HashMap::new();
    for spec in &system.tables {
        let table = Arc::new(DynamoTable::new(dynamodb.clone(), name(&spec.logical_id)));
        table.ensure_exists().await.map_err(|e| format!("table {}: {e}", table.name()))?;
        let stream: Option<Arc<dyn Stream>> = if spec.stream {
            let described =
                dynamodb.describe_table().table_name(table.name()).send().await.map_err(failed("describe table"))?;
            let arn = described
                .table()
                .and_then(|t| t.latest_stream_arn())
                .ok_or_else(|| format!("table {} has no stream", table.name()))?
                .to_owned();
            Some(Arc::new(StreamReader {
                client: streams.clone(),
                arn,
                cursors: Mutex::new(Vec::new()),
                table: table.clone(),
            }))
        } else {
            None
        };
        tables.insert(spec.logical_id.clone(), (table as Arc<dyn Table>, stream));
    }

    let topic_arn = sns
        .create_topic()
        .name(name("events"))
        .send()
        .await
        .map_err(failed("create topic"))?
        .topic_arn
        .ok_or("no topic arn")?;

    let mut urls = HashMap::new();
    let mut arns = HashMap::new();
    // Dead-letter queues first: the others point at them.
    let mut ordered: Vec<_> = system.queues.iter().collect();
    ordered.sort_by_key(|q| {
        !system.queues.iter().any(|other| other.dead_letter.as_ref().is_some_and(|(d, _)| d == &q.logical_id))
    });
    let mut dead_letters = HashMap::new();
    for queue in ordered {
        let mut create = sqs
            .create_queue()
            .queue_name(name(&queue.logical_id))
            .attributes(QueueAttributeName::VisibilityTimeout, queue.visibility_timeout_secs.to_string());
        if let Some((dlq, max)) = &queue.dead_letter {
            let dlq_arn =
                arns.get(dlq).ok_or_else(|| format!("{}: unknown dead-letter queue {dlq}", queue.logical_id))?;
            let policy = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max}).to_string();
            create = create.attributes(QueueAttributeName::RedrivePolicy, policy);
            dead_letters.insert(queue.logical_id.clone(), dlq.clone());
        }
        let url = create.send().await.map_err(failed("create queue"))?.queue_url.ok_or("no queue url")?;
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(failed("queue attributes"))?;
        let arn = attributes
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .ok_or("no queue arn")?;
        urls.insert(queue.logical_id.clone(), url);
        arns.insert(queue.logical_id.clone(), arn);
    }

    for subscription in &system.subscriptions {
        let queue_arn = arns.get(&subscription.queue).ok_or_else(|| format!("unknown queue {}", subscription.queue))?;
        let mut subscribe = sns
            .subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", subscription.raw.to_string());
        if let Some(types) = &subscription.event_types {
            subscribe = subscribe
                .attributes("FilterPolicy", serde_json::json!({ "type": types }).to_string())
                .attributes("FilterPolicyScope", "MessageAttributes");
        }
        subscribe.send().await.map_err(failed("subscribe"))?;
    }

    Ok(Provisioned {
        tables,
        queues: Arc::new(SqsQueues { sqs, urls, dead_letters, topic: Arc::new(SnsPublisher::new(sns, topic_arn)) }),
    })
}

struct SqsQueues {
    sqs: aws_sdk_sqs::Client,
    urls: HashMap<String, String>,
    dead_letters: HashMap<String, String>,
    topic: Arc<SnsPublisher>,
}

impl SqsQueues {
    fn url(&self, queue: &str) -> Result<&String, String> {
        self.urls.get(queue).ok_or_else(|| format!("unknown queue {queue}"))
    }

    async fn receive_now(
        &self,
        queue: &str,
        max: usize,
        visibility_ms: u64,
        wait_secs: i32,
    ) -> Result<Vec<Received>, String> {
        let output = self
            .sqs
            .receive_message()
            .queue_url(self.url(queue)?)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .visibility_timeout(visibility_ms.div_ceil(1000).max(1) as i32)
            .wait_time_seconds(wait_secs)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(failed("receive"))?;
        Ok(output
            .messages()
            .iter()
            .map(|m| {
                let attribute = |name: MessageSystemAttributeName| {
                    m.attributes().and_then(|a| a.get(&name)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
                };
                Received {
                    receipt: m.receipt_handle().unwrap_or_default().to_owned(),
                    message_id: m.message_id().unwrap_or_default().to_owned(),
                    body: m.body().unwrap_or_default().to_owned(),
                    receive_count: attribute(MessageSystemAttributeName::ApproximateReceiveCount) as u32,
                    sent_at_ms: attribute(MessageSystemAttributeName::SentTimestamp),
                }
            })
            .collect())
    }

    async fn delete_now(&self, queue: &str, receipts: Vec<String>) -> Result<(), String> {
        for chunk in receipts.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| DeleteMessageBatchRequestEntry::builder().id(i.to_string()).receipt_handle(r).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed("delete entry"))?;
            self.sqs
                .delete_message_batch()
                .queue_url(self.url(queue)?)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(failed("delete"))?;
        }
        Ok(())
    }

    async fn depth_now(&self, queue: &str) -> Result<Depth, String> {
        let output = self
            .sqs
            .get_queue_attributes()
            .queue_url(self.url(queue)?)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(failed("queue attributes"))?;
        let count = |name: QueueAttributeName| {
            output.attributes().and_then(|a| a.get(&name)).and_then(|v| v.parse().ok()).unwrap_or(0)
        };
        Ok(Depth {
            visible: count(QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        })
    }

    async fn redrive_now(&self, queue: &str) -> Result<u64, String> {
        let dlq = self.dead_letters.get(queue).ok_or_else(|| format!("{queue} has no dead-letter queue"))?.clone();
        let target = self.url(queue)?.clone();
        let mut moved = 0;
        loop {
            let messages = self.receive_now(&dlq, 10, 30_000, 0).await?;
            if messages.is_empty() {
                return Ok(moved);
            }
            for message in &messages {
                self.sqs
                    .send_message()
                    .queue_url(&target)
                    .message_body(&message.body)
                    .send()
                    .await
                    .map_err(failed("send"))?;
                moved += 1;
            }
            self.delete_now(&dlq, messages.into_iter().map(|m| m.receipt).collect()).await?;
        }
    }
}

impl Queues for SqsQueues {
    fn receive<'a>(
        &'a self,
        queue: &'a str,
        max: usize,
        visibility_ms: u64,
    ) -> BoxFuture<'a, Result<Vec<Received>, String>> {
        Box::pin(self.receive_now(queue, max, visibility_ms, 1))
    }

    fn delete<'a>(&'a self, queue: &'a str, receipts: Vec<String>) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(self.delete_now(queue, receipts))
    }

    fn depth<'a>(&'a self, queue: &'a str) -> BoxFuture<'a, Result<Depth, String>> {
        Box::pin(self.depth_now(queue))
    }

    fn dead_letter_queue(&self, queue: &str) -> Option<String> {
        self.dead_letters.get(queue).cloned()
    }

    fn redrive<'a>(&'a self, queue: &'a str) -> BoxFuture<'a, Result<u64, String>> {
        Box::pin(self.redrive_now(queue))
    }

    fn arrivals(&self, _queue: &str) -> Option<Arc<Notify>> {
        None
    }

    fn topic(&self) -> Arc<dyn Publisher> {
        self.topic.clone()
    }
}

/// One table's DynamoDB stream, read shard by shard from the trim horizon.
/// A batch is handed out again until acknowledged, so a failed publish is
/// retried; a restarted runner reads the stream again from its start, which
/// consumers absorb by their inbox.
struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    cursors: Mutex<Vec<Cursor>>,
    /// Published outbox items are deleted from it, as the relay Lambda does.
    table: Arc<DynamoTable>,
}

#[derive(Clone)]
struct Cursor {
    shard_id: String,
    iterator: Option<String>,
    /// The iterator after the batch last handed out.
    next: Option<String>,
    /// The last record of the batch handed out, and of the last batch relayed.
    next_sequence: Option<String>,
    relayed_sequence: Option<String>,
}

fn stream_value(value: &StreamValue) -> Option<aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue;
    match value {
        StreamValue::S(s) => Some(AttributeValue::S(s.clone())),
        StreamValue::N(n) => Some(AttributeValue::N(n.clone())),
        _ => None,
    }
}

impl StreamReader {
    async fn refresh_shards(&self) -> Result<(), String> {
        let described =
            self.client.describe_stream().stream_arn(&self.arn).send().await.map_err(failed("describe stream"))?;
        let shards = described.stream_description().map(|d| d.shards().to_vec()).unwrap_or_default();
        let known: Vec<String> =
            self.cursors.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|c| c.shard_id.clone()).collect();
        for shard in shards {
            let Some(id) = shard.shard_id() else { continue };
            if known.iter().any(|k| k == id) {
                continue;
            }
            let iterator = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.arn)
                .shard_id(id)
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .map_err(failed("shard iterator"))?
                .shard_iterator;
            self.cursors.lock().unwrap_or_else(|p| p.into_inner()).push(Cursor {
                shard_id: id.to_owned(),
                iterator,
                next: None,
                next_sequence: None,
                relayed_sequence: None,
            });
        }
        Ok(())
    }

    /// A fresh iterator just after the last relayed record (or at the
    /// shard's start). Shard iterators expire after 15 minutes on DynamoDB
    /// Streams, and moto strands them when it rolls a refused transaction
    /// back; one taken anew on every empty read never goes stale.
    async fn renewed(&self, cursor: &Cursor) -> Result<Option<String>, String> {
        let request = self.client.get_shard_iterator().stream_arn(&self.arn).shard_id(&cursor.shard_id);
        let request = match &cursor.relayed_sequence {
            Some(sequence) => {
                request.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).sequence_number(sequence)
            }
            None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        Ok(request.send().await.map_err(failed("shard iterator"))?.shard_iterator)
    }

    async fn next_batch(&self) -> Result<Vec<Change>, String> {
        if self.cursors.lock().unwrap_or_else(|p| p.into_inner()).iter().all(|c| c.iterator.is_none()) {
            self.refresh_shards().await?;
        }
        let cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for (index, cursor) in cursors.iter().enumerate() {
            let Some(iterator) = &cursor.iterator else { continue };
            let output = self
                .client
                .get_records()
                .shard_iterator(iterator)
                .limit(100)
                .send()
                .await
                .map_err(failed("get records"))?;
            let changes: Vec<Change> = output
                .records()
                .iter()
                .enumerate()
                .filter_map(|(position, record)| {
                    let data = record.dynamodb()?;
                    let keys = data.keys()?;
                    let text = |name: &str| keys.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                    let new_image = data.new_image().and_then(|image| {
                        let attributes =
                            image.iter().filter_map(|(k, v)| Some((k.clone(), stream_value(v)?))).collect();
                        aws_adapters::dynamo::from_attributes(&attributes).ok()
                    });
                    Some(Change { sequence: position as u64, key: Key::new(text("pk"), text("sk")), new_image })
                })
                .collect();
            let last_sequence =
                output.records().iter().rev().find_map(|r| r.dynamodb()?.sequence_number()).map(str::to_owned);
            if changes.is_empty() {
                // Nothing here: move on (a closed shard's iterator ends as
                // None); an open one is taken anew from the last record relayed.
                let next = match output.next_shard_iterator {
                    Some(_) => self.renewed(cursor).await?,
                    None => None,
                };
                self.cursors.lock().unwrap_or_else(|p| p.into_inner())[index].iterator = next;
                continue;
            }
            let mut guard = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
            guard[index].next = output.next_shard_iterator;
            guard[index].next_sequence = last_sequence;
            return Ok(changes);
        }
        Ok(Vec::new())
    }

    fn acknowledge_batch(&self) {
        let mut cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(cursor) = cursors.iter_mut().find(|c| c.next.is_some()) {
            cursor.iterator = cursor.next.take();
            if let Some(sequence) = cursor.next_sequence.take() {
                cursor.relayed_sequence = Some(sequence);
            }
        }
    }
}

impl Stream for StreamReader {
    fn next(&self) -> BoxFuture<'_, Result<Vec<Change>, String>> {
        Box::pin(self.next_batch())
    }

    fn acknowledge<'a>(&'a self, changes: &'a [Change]) -> BoxFuture<'a, Result<(), String>> {
        self.acknowledge_batch();
        Box::pin(async move {
            framework::relay::forget(&*self.table, framework::relay::outbox_keys(changes))
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn committed(&self) -> Option<Arc<Notify>> {
        None
    }
}
