//! Queues → policy functions, batch by batch, as Lambda's SQS event source
//! mapping does: receive up to the batch size, invoke, delete what
//! succeeded; failures come back after the visibility timeout. The faults
//! of `--faults` (`dup`, `fail`, `delay`, `reorder`) are injected here.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use framework::QueueFn;

use crate::backend::{Queues, Received};
use crate::faults::Dice;
use crate::runner::Shared;

pub(crate) struct Consumer {
    pub(crate) system: String,
    pub(crate) context: String,
    pub(crate) function: String,
    /// Its name on the board (the Lambda `Handler`).
    pub(crate) handler: String,
    pub(crate) queue: String,
    pub(crate) batch_size: usize,
    pub(crate) partial_failures: bool,
    pub(crate) visibility_ms: u64,
    pub(crate) run: QueueFn,
}

/// One queue's event source mapping: receive a batch, invoke, delete what
/// succeeded; failures come back after the visibility timeout.
pub(crate) async fn consume(consumer: Arc<Consumer>, queues: Arc<dyn Queues>, shared: Arc<Shared>, mut dice: Dice) {
    let arrivals = queues.arrivals(&consumer.queue);
    // What the last batch finished: deleted with the next receive.
    let mut settled: Vec<String> = Vec::new();
    loop {
        if shared.control.is_stopped(&consumer.system, &consumer.context) {
            if !settled.is_empty()
                && let Err(e) = queues.delete(&consumer.queue, std::mem::take(&mut settled)).await
            {
                tracing::error!(queue = %consumer.queue, error = %e, "delete failed; messages will be redelivered");
            }
            let _ = tokio::time::timeout(Duration::from_millis(250), shared.control.resumed.notified()).await;
            continue;
        }
        let received = match queues
            .settle_and_receive(
                &consumer.queue,
                std::mem::take(&mut settled),
                consumer.batch_size,
                consumer.visibility_ms,
            )
            .await
        {
            Ok(received) => received,
            Err(e) => {
                tracing::error!(queue = %consumer.queue, error = %e, "receive failed; finished messages will be redelivered");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if shared.control.is_stopped(&consumer.system, &consumer.context) {
            // Stopped while this receive was waiting (SQS long polling): the
            // messages go back to the queue when their visibility times out.
            continue;
        }
        if received.is_empty() {
            if let Some(arrivals) = &arrivals {
                let _ = tokio::time::timeout(Duration::from_millis(500), arrivals.notified()).await;
            }
            continue;
        }
        if received.len() == consumer.batch_size
            && let Some(arrivals) = &arrivals
        {
            // A full batch: more may be waiting, so wake a sibling poller.
            arrivals.notify_one();
        }
        let mut batch = SqsEvent::default();
        batch.records = received.iter().map(|m| sqs_message(&consumer.queue, m)).collect();
        let plan = dice.plan();
        if let Some(delay) = dice.delay(plan.delay_ms) {
            dice.injected().delayed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
        }
        if plan.reorder && batch.records.len() > 1 {
            dice.injected().reordered.fetch_add(1, Ordering::Relaxed);
            dice.shuffle(&mut batch.records);
        }
        // `fail` and `dup` strike a message on its first delivery only: the
        // platform misbehaves now and then, and injection alone never sends
        // a message to its dead-letter queue (stopping a context is the
        // fault that lasts).
        let first_delivery = received.iter().all(|m| m.receive_count == 1);
        if dice.roll(plan.fail) && first_delivery {
            // The invocation failed before the handler ran (a crash, a
            // timeout, a throttle): the whole batch comes back.
            dice.injected().failed.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        // Watched by the live board, the batch also tells which deliveries
        // its inbox absorbed.
        let (taken, run) = shared.activity.spawn((consumer.run)(batch, framework::queue::Deadline::none()));
        let (response, absorbed) = match run.await {
            Ok((response, seen)) => (Ok(response), seen.absorbed),
            Err(e) => (Err(e), Vec::new()),
        };
        let failed: Option<HashSet<String>> = match response {
            Ok(response) if consumer.partial_failures => {
                Some(response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect())
            }
            Ok(response) if response.batch_item_failures.is_empty() => Some(HashSet::new()),
            // Without ReportBatchItemFailures, one failure fails the batch.
            Ok(_) => None,
            Err(e) => {
                tracing::error!(function = %consumer.function, error = %e, "consumer panicked; the batch will be retried");
                None
            }
        };
        if shared.activity.watched() {
            shared.activity.consumed(&consumer, taken, &received, failed.as_ref(), absorbed);
        }
        let Some(failed) = failed else { continue };
        settled = received
            .iter()
            .filter(|m| !failed.contains(&m.message_id))
            // A lost delete: the message is delivered again after its
            // visibility timeout, though it was handled.
            .filter(|m| {
                let lost = dice.roll(plan.dup) && m.receive_count == 1;
                if lost {
                    dice.injected().duplicated.fetch_add(1, Ordering::Relaxed);
                }
                !lost
            })
            .map(|m| m.receipt.clone())
            .collect();
    }
}

fn sqs_message(queue: &str, m: &Received) -> SqsMessage {
    let mut message = SqsMessage::default();
    message.message_id = Some(m.message_id.clone());
    message.receipt_handle = Some(m.receipt.to_string());
    message.body = Some(m.body.clone());
    message.attributes = HashMap::from([
        ("ApproximateReceiveCount".to_owned(), m.receive_count.to_string()),
        ("SentTimestamp".to_owned(), m.sent_at_ms.to_string()),
    ]);
    message.event_source = Some("aws:sqs".into());
    message.event_source_arn = Some(format!("arn:aws:sqs:local:000000000000:{queue}"));
    message.aws_region = Some("local".into());
    message
}
