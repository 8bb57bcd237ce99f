//! Embedded adapters: what the local runner stores in by default, with no
//! Docker and no account. SQLite was chosen because it is the most deployed
//! embedded engine there is, its WAL mode survives `kill -9` of the writer,
//! it gives transactions and secondary indexes for free, and its files can be
//! opened with any `sqlite3` shell to see what the runner holds.

mod broker;
mod table;

pub use broker::{Broker, BrokerError, QueueDepth, QueueSpec, Receipt, Received, Subscription};
pub use table::{SqliteTable, StreamCapture};
