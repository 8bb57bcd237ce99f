//! A context table in SQLite, with DynamoDB's semantics where the contexts
//! rely on them: conditional all-or-nothing transactions, a secondary index,
//! and a change stream in commit order.
//!
//! Durability: WAL journal with `synchronous=NORMAL`. A commit is in the
//! WAL (the OS's page cache) before `transact` returns, so a `kill -9` of the
//! runner loses nothing acknowledged; only a power cut could lose the last
//! commits, which is the trade a local runner can make.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use framework::store::{
    BoxFuture, Change, ChangeStream, Index, Item, Key, Query, StoreError, Table, WriteOp, validate_transaction,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::Notify;

/// Which changes the table's stream records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamCapture {
    /// No stream (a DynamoDB table without `StreamSpecification`).
    Off,
    /// Every change, as DynamoDB Streams records them.
    All,
    /// Only puts of items whose `pk` starts with this prefix: what a
    /// relay's event filter (`OUTBOX#` inserts) would let through anyway,
    /// applied when writing so the rest is never stored.
    PutsWithPrefix(String),
}

impl StreamCapture {
    fn records_put(&self, key: &Key) -> bool {
        match self {
            Self::Off => false,
            Self::All => true,
            Self::PutsWithPrefix(prefix) => key.pk.starts_with(prefix.as_str()),
        }
    }

    fn records_delete(&self) -> bool {
        *self == Self::All
    }
}

pub struct SqliteTable {
    conn: Mutex<Connection>,
    capture: StreamCapture,
    /// Woken after each commit, so a stream reader need not poll.
    committed: Arc<Notify>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL, sk TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    gsi1pk TEXT, gsi1sk TEXT, expires_at INTEGER,
    PRIMARY KEY (pk, sk)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk) WHERE gsi1pk IS NOT NULL;
CREATE TABLE IF NOT EXISTS stream (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT, pk TEXT NOT NULL, sk TEXT NOT NULL,
    version INTEGER, body TEXT, gsi1pk TEXT, gsi1sk TEXT, expires_at INTEGER);
";

pub(crate) fn open_connection(path: Option<&Path>) -> rusqlite::Result<Connection> {
    let conn = match path {
        Some(path) => Connection::open(path)?,
        None => Connection::open_in_memory()?,
    };
    // One process owns the files (a second runner on the same data directory
    // is refused rather than interleaved), so SQLite needs no file lock per
    // transaction; reads go through a memory map instead of read calls.
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
    Ok(conn)
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl SqliteTable {
    /// Opens (or creates) the table in a file; `None` keeps it in memory.
    /// Opens (or creates) the table with a full stream.
    pub fn open(path: Option<&Path>) -> Result<Self, StoreError> {
        Self::open_with(path, StreamCapture::All)
    }

    pub fn open_with(path: Option<&Path>, capture: StreamCapture) -> Result<Self, StoreError> {
        let conn = open_connection(path).map_err(unavailable)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        Ok(Self { conn: Mutex::new(conn), capture, committed: Arc::new(Notify::new()) })
    }

    pub fn committed(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half transaction
        // behind (SQLite rolls back), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get_now(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT pk, sk, version, body, gsi1pk, gsi1sk, expires_at FROM items WHERE pk = ?1 AND sk = ?2",
            )
            .map_err(unavailable)?;
        let row = stmt.query_row(params![key.pk, key.sk], row_to_item).optional().map_err(unavailable)?;
        row.transpose()
    }

    fn query_now(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        let (pk_col, sk_col) = match query.index {
            Index::Primary => ("pk", "sk"),
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        };
        let order = if query.forward { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT pk, sk, version, body, gsi1pk, gsi1sk, expires_at FROM items
             WHERE {pk_col} = ?1 AND (?2 IS NULL OR substr({sk_col}, 1, length(?2)) = ?2)
             ORDER BY {sk_col} {order} LIMIT ?3"
        );
        let limit = query.limit.map_or(-1, |l| l as i64);
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
        let rows = stmt.query_map(params![query.pk, query.sk_prefix, limit], row_to_item).map_err(unavailable)?;
        rows.map(|r| r.map_err(unavailable)?).collect()
    }

    fn transact_now(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_transaction(&ops)?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
        for (index, op) in ops.iter().enumerate() {
            let key = op.key();
            let current: Option<u64> = tx
                .prepare_cached("SELECT version FROM items WHERE pk = ?1 AND sk = ?2")
                .and_then(|mut s| s.query_row(params![key.pk, key.sk], |r| r.get(0)).optional())
                .map_err(unavailable)?;
            if !op.condition().holds(current) {
                return Err(StoreError::ConditionFailed { index });
            }
        }
        for op in &ops {
            match op {
                WriteOp::Put { item, .. } => {
                    let body = item.body.to_string();
                    let (gsi1pk, gsi1sk) = item.index.as_ref().map(|k| (&k.pk, &k.sk)).unzip();
                    let values = params![item.key.pk, item.key.sk, item.version, body, gsi1pk, gsi1sk, item.expires_at];
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO items (pk, sk, version, body, gsi1pk, gsi1sk, expires_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )
                    .and_then(|mut s| s.execute(values))
                    .map_err(unavailable)?;
                    if self.capture.records_put(&item.key) {
                        tx.prepare_cached(
                            "INSERT INTO stream (pk, sk, version, body, gsi1pk, gsi1sk, expires_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        )
                        .and_then(|mut s| s.execute(values))
                        .map_err(unavailable)?;
                    }
                }
                WriteOp::Delete { key, .. } => {
                    let deleted = tx
                        .prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
                        .and_then(|mut s| s.execute(params![key.pk, key.sk]))
                        .map_err(unavailable)?;
                    if deleted > 0 && self.capture.records_delete() {
                        tx.prepare_cached("INSERT INTO stream (pk, sk) VALUES (?1, ?2)")
                            .and_then(|mut s| s.execute(params![key.pk, key.sk]))
                            .map_err(unavailable)?;
                    }
                }
                WriteOp::Check { .. } => {}
            }
        }
        tx.commit().map_err(unavailable)?;
        drop(conn);
        self.committed.notify_one();
        Ok(())
    }

    fn read_now(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT sequence, pk, sk, version, body, gsi1pk, gsi1sk, expires_at FROM stream
                 WHERE sequence > ?1 ORDER BY sequence LIMIT ?2",
            )
            .map_err(unavailable)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![after, limit], |row| {
                let sequence: u64 = row.get(0)?;
                let key = Key::new(row.get::<_, String>(1)?, row.get::<_, String>(2)?);
                let version: Option<u64> = row.get(3)?;
                let image = match version {
                    None => None,
                    Some(_) => Some(row_to_item_at(row, 1)?),
                };
                Ok((sequence, key, image))
            })
            .map_err(unavailable)?;
        rows.map(|r| {
            let (sequence, key, image) = r.map_err(unavailable)?;
            Ok(Change { sequence, key, new_image: image.transpose()? })
        })
        .collect()
    }

    /// Forgets the stream up to `sequence` once it has been relayed, and
    /// removes the relayed outbox items (what DynamoDB's TTL does on AWS).
    /// Neither removal is itself a stream record.
    pub fn acknowledge(&self, sequence: u64, relayed: &[Key]) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(unavailable)?;
        tx.execute("DELETE FROM stream WHERE sequence <= ?1", params![sequence]).map_err(unavailable)?;
        for key in relayed {
            tx.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
                .and_then(|mut s| s.execute(params![key.pk, key.sk]))
                .map_err(unavailable)?;
        }
        tx.commit().map_err(unavailable)
    }

    /// Every item, for inspection and invariant checks.
    pub fn scan(&self) -> Result<Vec<Item>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT pk, sk, version, body, gsi1pk, gsi1sk, expires_at FROM items ORDER BY pk, sk")
            .map_err(unavailable)?;
        let rows = stmt.query_map([], row_to_item).map_err(unavailable)?;
        rows.map(|r| r.map_err(unavailable)?).collect()
    }
}

type ItemResult = Result<Item, StoreError>;

fn row_to_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemResult> {
    row_to_item_at(row, 0)
}

/// Reads `pk, sk, version, body, gsi1pk, gsi1sk, expires_at` from column `at` on.
fn row_to_item_at(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<ItemResult> {
    let key = Key::new(row.get::<_, String>(at)?, row.get::<_, String>(at + 1)?);
    let version: u64 = row.get(at + 2)?;
    let body: String = row.get(at + 3)?;
    let gsi1pk: Option<String> = row.get(at + 4)?;
    let gsi1sk: Option<String> = row.get(at + 5)?;
    let expires_at: Option<u64> = row.get(at + 6)?;
    Ok(serde_json::from_str(&body)
        .map_err(|e| StoreError::Invalid(format!("item {}/{} has an unreadable body: {e}", key.pk, key.sk)))
        .map(|body| Item {
            key,
            version,
            body,
            index: gsi1pk.zip(gsi1sk).map(|(pk, sk)| Key::new(pk, sk)),
            expires_at,
        }))
}

impl Table for SqliteTable {
    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>> {
        Box::pin(std::future::ready(self.get_now(key)))
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>> {
        Box::pin(std::future::ready(self.query_now(query)))
    }

    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(std::future::ready(self.transact_now(ops)))
    }
}

impl ChangeStream for SqliteTable {
    fn read(&self, after: u64, limit: usize) -> BoxFuture<'_, Result<Vec<Change>, StoreError>> {
        Box::pin(std::future::ready(self.read_now(after, limit)))
    }
}
