//! Embedded adapters: what the local runner stores in by default, with no
//! Docker and no account. SQLite was chosen because it is the most deployed
//! embedded engine there is and gives transactions and secondary indexes for
//! free. It holds each table and queue in memory; on disk each is a snapshot
//! (an ordinary SQLite file, for any `sqlite3` shell) and a redo log of what
//! was committed since, which survives `kill -9` of the runner ([`redo`]).

mod broker;
mod redo;
mod table;

pub use broker::{Broker, BrokerError, QueueDepth, QueueSpec, Receipt, Received, Subscription};
pub use table::{SqliteTable, StreamCapture};
