//! A system's tables (with their streams) and queues on the embedded
//! store, in `<data-dir>/<system>/` (or in memory); `--aws` provisions them
//! in [`crate::aws`].

use std::collections::HashMap;
use std::sync::Arc;

use embedded::{Broker, QueueSpec as BrokerQueue, SqliteTable, StreamCapture, Subscription};
use framework::store::Table;

use crate::backend::{EmbeddedQueues, EmbeddedStream, Queues, Stream};
use crate::runner::{Config, StartError};
use crate::template::System;

pub(crate) type Tables = HashMap<String, (Arc<dyn Table>, Option<Arc<dyn Stream>>)>;

/// The system's tables (with their streams) and queues on the embedded store.
pub(crate) fn provision_embedded(system: &System, config: &Config) -> Result<(Tables, Arc<dyn Queues>), StartError> {
    let dir = config.data_dir.join(&system.name);
    if !config.in_memory {
        std::fs::create_dir_all(&dir).map_err(|e| StartError::Storage(format!("{}: {e}", dir.display())))?;
    }
    let path_of = |file: &str| (!config.in_memory).then(|| dir.join(file));
    let mut tables: Tables = HashMap::new();
    for spec in &system.tables {
        // The relay's filter passes only outbox inserts, so the stream holds
        // the outbox alone; a table without a stream keeps no changes at all.
        let capture = if spec.stream {
            StreamCapture::Outbox {
                prefix: framework::commit::OUTBOX_PREFIX.to_owned(),
                index_prefix: framework::commit::OUTBOX_INDEX_PREFIX.to_owned(),
            }
        } else {
            StreamCapture::Off
        };
        let table = Arc::new(
            SqliteTable::open_with(path_of(&format!("{}.db", spec.logical_id)).as_deref(), capture)
                .map_err(|e| StartError::Storage(e.to_string()))?,
        );
        let stream: Option<Arc<dyn Stream>> =
            spec.stream.then(|| Arc::new(EmbeddedStream(table.clone())) as Arc<dyn Stream>);
        tables.insert(spec.logical_id.clone(), (table, stream));
    }
    let broker_queues = system
        .queues
        .iter()
        .map(|q| BrokerQueue { name: q.logical_id.clone(), dead_letter: q.dead_letter.clone() })
        .collect();
    let subscriptions = system
        .subscriptions
        .iter()
        .map(|s| Subscription { queue: s.queue.clone(), event_types: s.event_types.clone(), raw: s.raw })
        .collect();
    let topic = format!("arn:aws:sns:local:000000000000:{}-events", system.name);
    // One file per queue, under `broker/`.
    let broker = Broker::open(path_of("broker").as_deref(), topic, broker_queues, subscriptions)
        .map_err(|e| StartError::Storage(e.to_string()))?;
    // A data directory of an earlier version kept every queue in one file.
    if let Some(legacy) = path_of("broker.db") {
        let moved = broker.import(&legacy).map_err(|e| StartError::Storage(e.to_string()))?;
        if moved > 0 {
            tracing::info!(system = %system.name, moved, "queued messages moved to one file per queue");
        }
    }
    Ok((tables, Arc::new(EmbeddedQueues(Arc::new(broker)))))
}
