//! The store port on DynamoDB: `GetItem` (consistent), `Query` (table or
//! `gsi1`), `TransactWriteItems` with the conditions of the port, and
//! `BatchWriteItem` for the deletes that need no transaction.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, ConditionCheck, Delete, DeleteRequest, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, Put, ScalarAttributeType, StreamSpecification, StreamViewType,
    TransactWriteItem, WriteRequest,
};
use framework::store::{
    BoxFuture, Condition, Index, Item, Key, Query, StoreError, Table, WriteOp, distinct, validate_transaction,
};

pub const INDEX_NAME: &str = "gsi1";

/// Requests in one `BatchWriteItem`, DynamoDB's limit.
const MAX_BATCH_WRITE: usize = 25;
/// Tries of one batch while DynamoDB leaves some of it unprocessed
/// (throttling), backing off 50 ms, 100 ms, 200 ms, …
const BATCH_ATTEMPTS: u32 = 6;

pub struct DynamoTable {
    client: Client,
    name: String,
}

type Attributes = HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key_attributes(key: &Key) -> Attributes {
    HashMap::from([("pk".to_owned(), s(&key.pk)), ("sk".to_owned(), s(&key.sk))])
}

/// An item as a DynamoDB attribute map (`body` is the JSON text).
pub fn to_attributes(item: &Item) -> Attributes {
    let mut attributes = key_attributes(&item.key);
    attributes.insert("version".into(), n(item.version));
    attributes.insert("body".into(), s(item.body.to_string()));
    if let Some(index) = &item.index {
        attributes.insert("gsi1pk".into(), s(&index.pk));
        attributes.insert("gsi1sk".into(), s(&index.sk));
    }
    if let Some(expires_at) = item.expires_at {
        attributes.insert("expiresAt".into(), n(expires_at));
    }
    attributes
}

pub fn from_attributes(attributes: &Attributes) -> Result<Item, StoreError> {
    let text = |name: &str| attributes.get(name).and_then(|v| v.as_s().ok()).cloned();
    let number = |name: &str| attributes.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<u64>().ok());
    let unreadable = |what: &str| StoreError::Invalid(format!("item without a readable {what}"));
    let key = Key::new(text("pk").ok_or_else(|| unreadable("pk"))?, text("sk").ok_or_else(|| unreadable("sk"))?);
    let body = text("body").ok_or_else(|| unreadable("body"))?;
    Ok(Item {
        version: number("version").ok_or_else(|| unreadable("version"))?,
        body: serde_json::from_str(&body).map_err(|e| StoreError::Invalid(format!("{}/{}: {e}", key.pk, key.sk)))?,
        index: text("gsi1pk").zip(text("gsi1sk")).map(|(pk, sk)| Key::new(pk, sk)),
        expires_at: number("expiresAt"),
        key,
    })
}

/// `(expression, names, values)` of a condition, `None` for `Always`.
fn condition_expression(condition: Condition) -> Option<(String, HashMap<String, String>, Attributes)> {
    match condition {
        Condition::Always => None,
        Condition::NotExists => Some(("attribute_not_exists(pk)".into(), HashMap::new(), HashMap::new())),
        Condition::VersionIs(version) => Some((
            "#version = :version".into(),
            HashMap::from([("#version".to_owned(), "version".to_owned())]),
            HashMap::from([(":version".to_owned(), n(version))]),
        )),
    }
}

fn unavailable<E: std::fmt::Debug>(e: E) -> StoreError {
    StoreError::Unavailable(format!("{e:?}"))
}

impl DynamoTable {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self { client, name: name.into() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Creates the table with the shape every context table has (keys,
    /// `gsi1`, stream of new images), unless it exists.
    pub async fn ensure_exists(&self) -> Result<(), StoreError> {
        if self.client.describe_table().table_name(&self.name).send().await.is_ok() {
            return Ok(());
        }
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("complete attribute definition")
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder().attribute_name(name).key_type(kind).build().expect("complete key")
        };
        let index = GlobalSecondaryIndex::builder()
            .index_name(INDEX_NAME)
            .key_schema(key("gsi1pk", KeyType::Hash))
            .key_schema(key("gsi1sk", KeyType::Range))
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .expect("complete index");
        self.client
            .create_table()
            .table_name(&self.name)
            .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
            .attribute_definitions(attribute("pk"))
            .attribute_definitions(attribute("sk"))
            .attribute_definitions(attribute("gsi1pk"))
            .attribute_definitions(attribute("gsi1sk"))
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .global_secondary_indexes(index)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .expect("complete stream specification"),
            )
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_item(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        output.item.as_ref().map(from_attributes).transpose()
    }

    async fn query_items(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        let (pk, sk, index) = match query.index {
            Index::Primary => ("pk", "sk", None),
            Index::Gsi1 => ("gsi1pk", "gsi1sk", Some(INDEX_NAME)),
        };
        let mut expression = "#pk = :pk".to_owned();
        let mut names = HashMap::from([("#pk".to_owned(), pk.to_owned())]);
        let mut values = HashMap::from([(":pk".to_owned(), s(&query.pk))]);
        if let Some(prefix) = &query.sk_prefix {
            expression.push_str(" AND begins_with(#sk, :prefix)");
            names.insert("#sk".into(), sk.into());
            values.insert(":prefix".into(), s(prefix));
        }
        let mut items = Vec::new();
        let mut start: Option<Attributes> = query.after.as_ref().map(|cursor| {
            let mut key = HashMap::from([("pk".to_owned(), s(&cursor.key.pk)), ("sk".to_owned(), s(&cursor.key.sk))]);
            if let Some(index) = &cursor.index {
                key.insert("gsi1pk".to_owned(), s(&index.pk));
                key.insert("gsi1sk".to_owned(), s(&index.sk));
            }
            key
        });
        loop {
            let remaining = query.limit.map(|l| l.saturating_sub(items.len()));
            if remaining == Some(0) {
                break;
            }
            let output = self
                .client
                .query()
                .table_name(&self.name)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression(&expression)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(query.forward)
                .set_limit(remaining.map(|r| r.min(1000) as i32))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for attributes in output.items() {
                items.push(from_attributes(attributes)?);
            }
            match output.last_evaluated_key {
                Some(last) if !last.is_empty() => start = Some(last),
                _ => break,
            }
        }
        Ok(items)
    }

    async fn transact_items(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_transaction(&ops)?;
        let mut items = Vec::with_capacity(ops.len());
        for op in &ops {
            let condition = condition_expression(op.condition());
            let item = match op {
                WriteOp::Put { item, .. } => {
                    let mut put = Put::builder().table_name(&self.name).set_item(Some(to_attributes(item)));
                    if let Some((expression, names, values)) = condition {
                        put = put
                            .condition_expression(expression)
                            .set_expression_attribute_names((!names.is_empty()).then_some(names))
                            .set_expression_attribute_values((!values.is_empty()).then_some(values));
                    }
                    TransactWriteItem::builder().put(put.build().map_err(unavailable)?).build()
                }
                WriteOp::Delete { key, .. } => {
                    let mut delete = Delete::builder().table_name(&self.name).set_key(Some(key_attributes(key)));
                    if let Some((expression, names, values)) = condition {
                        delete = delete
                            .condition_expression(expression)
                            .set_expression_attribute_names((!names.is_empty()).then_some(names))
                            .set_expression_attribute_values((!values.is_empty()).then_some(values));
                    }
                    TransactWriteItem::builder().delete(delete.build().map_err(unavailable)?).build()
                }
                WriteOp::Check { key, .. } => {
                    let (expression, names, values) = condition.unwrap_or_else(|| {
                        ("attribute_exists(pk) OR attribute_not_exists(pk)".into(), HashMap::new(), HashMap::new())
                    });
                    let check = ConditionCheck::builder()
                        .table_name(&self.name)
                        .set_key(Some(key_attributes(key)))
                        .condition_expression(expression)
                        .set_expression_attribute_names((!names.is_empty()).then_some(names))
                        .set_expression_attribute_values((!values.is_empty()).then_some(values));
                    TransactWriteItem::builder().condition_check(check.build().map_err(unavailable)?).build()
                }
            };
            items.push(item);
        }
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => Err(match e.into_err() {
                TransactWriteItemsError::TransactionCanceledException(cancel) => {
                    let reasons = cancel.cancellation_reasons();
                    let code = |i: usize| reasons.get(i).and_then(|r| r.code()).unwrap_or("None");
                    match (0..reasons.len()).find(|&i| code(i) == "ConditionalCheckFailed") {
                        Some(index) => StoreError::ConditionFailed { index },
                        None if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) => StoreError::Conflict,
                        None => StoreError::Unavailable(format!("transaction canceled: {cancel:?}")),
                    }
                }
                other if other.meta().code() == Some("TransactionConflictException") => StoreError::Conflict,
                other if other.meta().code() == Some("ValidationException") => {
                    StoreError::Invalid(format!("{other:?}"))
                }
                other => StoreError::Unavailable(format!("{other:?}")),
            }),
            Err(other) => Err(unavailable(other)),
        }
    }

    async fn delete_items(&self, keys: Vec<Key>) -> Result<(), StoreError> {
        for chunk in distinct(keys).chunks(MAX_BATCH_WRITE) {
            let mut requests = chunk
                .iter()
                .map(|key| {
                    let delete = DeleteRequest::builder().set_key(Some(key_attributes(key))).build();
                    Ok(WriteRequest::builder().delete_request(delete.map_err(unavailable)?).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            for attempt in 0..BATCH_ATTEMPTS {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(50 << (attempt - 1))).await;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.name, requests)
                    .send()
                    .await
                    .map_err(unavailable)?;
                requests = output.unprocessed_items.and_then(|mut left| left.remove(&self.name)).unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
            }
            if !requests.is_empty() {
                return Err(StoreError::Unavailable(format!("{} deletes left unprocessed", requests.len())));
            }
        }
        Ok(())
    }
}

impl Table for DynamoTable {
    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>> {
        Box::pin(self.get_item(key))
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>> {
        Box::pin(self.query_items(query))
    }

    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.transact_items(ops))
    }

    fn delete_each(&self, keys: Vec<Key>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.delete_items(keys))
    }
}
