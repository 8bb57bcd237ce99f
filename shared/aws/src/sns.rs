//! The system topic on SNS: `PublishBatch` (10 per call) with the event
//! `type` as the string message attribute `type` that subscriptions filter on.

use aws_sdk_sns::Client;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use framework::envelope::Envelope;
use framework::relay::{PublishError, Publisher};
use framework::store::BoxFuture;

const BATCH: usize = 10;

pub struct SnsPublisher {
    client: Client,
    topic_arn: String,
}

impl SnsPublisher {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self { client, topic_arn: topic_arn.into() }
    }

    async fn publish_all(&self, events: &[Envelope]) -> Result<(), PublishError> {
        for (chunk_index, chunk) in events.chunks(BATCH).enumerate() {
            let offset = chunk_index * BATCH;
            let fail = |at: usize, reason: String| PublishError { first_failed: offset + at, reason };
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, event) in chunk.iter().enumerate() {
                let attribute = MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(&event.event_type)
                    .build()
                    .map_err(|e| fail(i, e.to_string()))?;
                let entry = PublishBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message(serde_json::to_string(event).expect("an envelope always serializes"))
                    .message_attributes("type", attribute)
                    .build()
                    .map_err(|e| fail(i, e.to_string()))?;
                entries.push(entry);
            }
            let output = self
                .client
                .publish_batch()
                .topic_arn(&self.topic_arn)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(|e| fail(0, format!("{e:?}")))?;
            let first_failed = output.failed().iter().filter_map(|f| f.id().parse::<usize>().ok()).min();
            if let Some(at) = first_failed {
                let reason = output
                    .failed()
                    .iter()
                    .map(|f| format!("{}: {:?}", f.id(), f.message()))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(fail(at, reason));
            }
        }
        Ok(())
    }
}

impl Publisher for SnsPublisher {
    fn publish<'a>(&'a self, events: &'a [Envelope]) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(self.publish_all(events))
    }
}
