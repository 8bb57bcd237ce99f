//! The relay Lambda: DynamoDB stream records of a context table → the
//! system's topic. The event source mapping only hands over `INSERT`s of
//! outbox items (its filter), in order per shard. On a failed publish the
//! handler reports that record's sequence number, so Lambda retries from it
//! (`ReportBatchItemFailures`, `MaximumRetryAttempts: -1`): never skipped.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use framework::relay::{Publisher, forget, outbox_keys, relay};
use framework::store::{Change, Item, Key, Table};
use serde_json::Value;

use crate::dynamo::from_attributes;

/// The stream records as the port's changes; the sequence here is the
/// record's position in the batch.
pub fn changes_of(event: &Event) -> Vec<(String, Change)> {
    event
        .records
        .iter()
        .enumerate()
        .map(|(position, record)| {
            let sequence_number = record.change.sequence_number.clone().unwrap_or_default();
            let image = image_of(&record.change.new_image);
            if image.is_none() {
                // Not an item of ours: the relay cannot publish it, and says so.
                tracing::error!(%sequence_number, event_id = %record.event_id, "stream record without a readable new image; skipped");
            }
            let key = image.as_ref().map_or_else(|| Key::new("", ""), |i| i.key.clone());
            (sequence_number, Change { sequence: position as u64, key, new_image: image })
        })
        .collect()
}

fn image_of(image: &impl serde::Serialize) -> Option<Item> {
    // serde_dynamo's item serializes as DynamoDB JSON ({"pk":{"S":..}}),
    // which the SDK's attribute values read back.
    let Value::Object(map) = serde_json::to_value(image).ok()? else { return None };
    let attributes = map.into_iter().filter_map(|(name, value)| Some((name, attribute_of(&value)?))).collect();
    from_attributes(&attributes).ok()
}

fn attribute_of(value: &Value) -> Option<aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue;
    if let Some(s) = value.get("S").and_then(Value::as_str) {
        return Some(AttributeValue::S(s.to_owned()));
    }
    if let Some(n) = value.get("N").and_then(Value::as_str) {
        return Some(AttributeValue::N(n.to_owned()));
    }
    None
}

/// Publishes the batch's outbox events, then deletes their outbox items
/// from `table` (a failed delete only means the sweeper publishes them again
/// later, which consumers absorb).
pub async fn handle(event: Event, publisher: &dyn Publisher, table: &dyn Table) -> DynamoDbEventResponse {
    let numbered = changes_of(&event);
    let changes: Vec<Change> = numbered.iter().map(|(_, c)| c.clone()).collect();
    let mut response = DynamoDbEventResponse::default();
    match relay(&changes, publisher).await {
        Ok(_) => {
            if let Err(e) = forget(table, outbox_keys(&changes)).await {
                tracing::warn!(error = %e, "published outbox items not deleted; the sweeper will publish them again");
            }
        }
        Err(failure) => {
            let mut item = DynamoDbBatchItemFailure::default();
            item.item_identifier = numbered.get(failure.sequence as usize).map(|(n, _)| n.clone());
            response.batch_item_failures.push(item);
        }
    }
    response
}
