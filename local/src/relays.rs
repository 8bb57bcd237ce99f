//! Outboxes → the system's topic: one relay per table stream, in order, as
//! the relay Lambda on the stream does; and the sweep of what a relay never
//! handed over, as its schedule does.

use std::sync::Arc;
use std::time::Duration;

use framework::relay::Publisher;
use framework::store::{Change, Table};

use crate::backend::Stream;
use crate::runner::Shared;

/// A table's stream, and the outbox its relay publishes from.
pub(crate) type Relay = (Arc<dyn Stream>, Outbox);

/// One context's outbox, for the sweeper.
pub(crate) struct Outbox {
    pub(crate) system: String,
    pub(crate) context: String,
    pub(crate) table: Arc<dyn Table>,
    pub(crate) topic: Arc<dyn Publisher>,
    /// The relay's `SWEEP_AFTER_SECONDS`: items older than this are swept.
    pub(crate) after: Duration,
}

/// Outbox → topic, for one table's stream, in order. On a failed publish
/// the relay resumes from the event that failed, as Lambda resumes a stream
/// batch from the item its relay reports (`ReportBatchItemFailures`): what
/// went out is not sent again, what failed is never skipped. The stream
/// is acknowledged once the whole batch is out.
pub(crate) async fn relay(
    owner: (String, String),
    stream: Arc<dyn Stream>,
    topic: Arc<dyn Publisher>,
    shared: Arc<Shared>,
) {
    let committed = stream.committed();
    let (system, context) = owner;
    let mut backoff = Duration::from_millis(50);
    // The batch read from the stream, and where publishing resumes in it.
    let mut batch: Vec<Change> = Vec::new();
    let mut from = 0;
    loop {
        // The relay is one of its context's functions: it stops with them.
        if shared.control.is_stopped(&system, &context) {
            let _ = tokio::time::timeout(Duration::from_millis(250), shared.control.resumed.notified()).await;
            continue;
        }
        if batch.is_empty() {
            batch = match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
                Ok(Ok(changes)) => changes,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "stream read failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Err(_) => {
                    tracing::error!("stream read hung for 10 s; reading again");
                    continue;
                }
            };
            from = 0;
        }
        if batch.is_empty() {
            match &committed {
                Some(committed) => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), committed.notified()).await;
                }
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            }
            continue;
        }
        match framework::relay::relay(&batch[from..], &*topic).await {
            Ok(_) => {
                if let Err(e) = stream.acknowledge(&batch).await {
                    tracing::error!(error = %e, "could not acknowledge the stream; events will be relayed again");
                }
                batch.clear();
                backoff = Duration::from_millis(50);
            }
            Err(failure) => {
                let failed_at = batch.iter().position(|c| c.sequence == failure.sequence).unwrap_or(from);
                if failed_at > from {
                    // Some went out: that is progress, not a reason to wait.
                    // The rest is tried again at once, as Lambda retries a
                    // stream batch from the item its relay reports.
                    backoff = Duration::from_millis(50);
                    from = failed_at;
                    continue;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// How often the runner sweeps each outbox (the relay functions' schedule
/// on AWS is `rate(5 minutes)`; locally a minute, so a demo need not wait).
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Publishes what the relay has not, past each relay's `SWEEP_AFTER_SECONDS`.
pub(crate) async fn sweep_every(every: Duration, shared: Arc<Shared>) {
    loop {
        tokio::time::sleep(every).await;
        for outbox in &shared.outboxes {
            // The sweep is the relay function's other trigger: it stops with it.
            if shared.control.is_stopped(&outbox.system, &outbox.context) {
                continue;
            }
            if let Err(e) = framework::relay::sweep(&*outbox.table, &*outbox.topic, outbox.after).await {
                tracing::error!(system = %outbox.system, context = %outbox.context, error = %e, "sweep failed");
            }
        }
    }
}
