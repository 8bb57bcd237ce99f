//! A context table in SQLite, with DynamoDB's semantics where the contexts
//! rely on them: conditional all-or-nothing transactions, a secondary index,
//! and a change stream in commit order.
//!
//! SQLite holds the table in memory; on disk it is a snapshot and a redo log
//! of the statements committed since ([`crate::redo`]). A commit is in the
//! log (the OS's page cache) before `transact` returns, so a `kill -9` of the
//! runner loses nothing acknowledged; only a power cut could lose the last
//! commits, which is the trade a local runner can make.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use framework::store::{
    BoxFuture, Change, ChangeStream, Index, Item, Key, Query, StoreError, Table, WriteOp, validate_transaction,
};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::Notify;

use crate::redo::{self, Recorder, Redo, Tx};

/// Which changes the table's stream records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamCapture {
    /// No stream (a DynamoDB table without `StreamSpecification`).
    Off,
    /// Every change, as DynamoDB Streams records them.
    All,
    /// A relay's outbox: only puts of items whose `pk` starts with `prefix`
    /// are recorded (what the relay's event filter, `OUTBOX#` inserts, would
    /// let through anyway), and the stream holds them alone until the relay
    /// acknowledges them: one row a put, instead of an item, its index entry
    /// and a stream record, each on its own page. Reads find them as any
    /// item. Such an item may be indexed only under `index_prefix` (the
    /// sweeper's partitions), where index queries look in the stream too.
    Outbox { prefix: String, index_prefix: String },
}

impl StreamCapture {
    fn records_put(&self, key: &Key) -> bool {
        match self {
            Self::Off => false,
            Self::All => true,
            Self::Outbox { prefix, .. } => key.pk.starts_with(prefix.as_str()),
        }
    }

    /// Whether items of partition `pk` are held in the stream.
    fn holds(&self, pk: &str) -> bool {
        matches!(self, Self::Outbox { prefix, .. } if pk.starts_with(prefix.as_str()))
    }

    /// Whether index partition `pk` may list items held in the stream.
    fn lists_held(&self, pk: &str) -> bool {
        matches!(self, Self::Outbox { index_prefix, .. } if pk.starts_with(index_prefix.as_str()))
    }

    fn records_delete(&self) -> bool {
        *self == Self::All
    }
}

pub struct SqliteTable {
    /// Waited for without holding a thread: a reader or a writer queued
    /// behind a commit (and a snapshot's copy) leaves its worker free for
    /// other tasks.
    conn: tokio::sync::Mutex<Connection>,
    /// Transactions waiting for the next group commit.
    queued: Mutex<Vec<Queued>>,
    capture: StreamCapture,
    /// Woken after each commit, so a stream reader need not poll.
    committed: Arc<Notify>,
    /// The snapshot and redo log of a table on disk (held in memory); taken
    /// only with the connection.
    redo: Option<Mutex<Redo>>,
    /// When the next group commit also deletes items past their time to
    /// live (see [`EXPIRE_EVERY`]); taken only with the connection.
    next_expiry: Mutex<Instant>,
}

/// How often, at most, a group commit deletes the items past their time to
/// live (`expires_at`, seconds since the epoch: the inbox's records of
/// events handled, 15 days on). DynamoDB's TTL deletes them in the
/// background within a few days; here the first group commit at least this
/// long after the last expiry (or after opening) deletes up to
/// [`EXPIRE_BATCH`] of them, oldest first, in its transaction and redo
/// record, and the next commit goes on if there were more. A runner left on
/// for weeks does not hold every record it ever wrote in its memory. Until
/// then an expired item is read as any other, as on DynamoDB. The deletion
/// is not a stream record (on DynamoDB it would be a `REMOVE` by the
/// service): the stream's one reader, the relay, reads outbox puts alone.
const EXPIRE_EVERY: Duration = Duration::from_secs(60);
/// The most expired items one group commit deletes, so that a runner
/// reopened long after a busy day does not stall one commit on all of them.
const EXPIRE_BATCH: i64 = 1_000;

/// The stream from a position on, oldest first.
const READ_STREAM: &str = "SELECT sequence, pk, sk, version, body, gsi1pk, gsi1sk, expires_at FROM stream
     WHERE sequence > ?1 ORDER BY sequence LIMIT ?2";

/// The writes of a put: a new item, and an item whose index key changed,
/// each taking `pk, sk, version, body, gsi1pk, gsi1sk, expires_at`; an item
/// whose index key is unchanged takes `pk, sk, version, body, expires_at`
/// and does not name the index's columns, so SQLite leaves the index alone.
const INSERT_ITEM: &str = "INSERT INTO items (pk, sk, version, body, gsi1pk, gsi1sk, expires_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const UPDATE_ITEM: &str = "UPDATE items SET version = ?3, body = ?4, expires_at = ?5 WHERE pk = ?1 AND sk = ?2";
const UPDATE_ITEM_AND_INDEX: &str =
    "UPDATE items SET version = ?3, body = ?4, gsi1pk = ?5, gsi1sk = ?6, expires_at = ?7 WHERE pk = ?1 AND sk = ?2";

/// A transaction's check of one item, among the items or, for an item the
/// stream may hold, there too (a scan of what the relay has not yet
/// acknowledged: the stream has no index, which would cost a page a put).
const FIND_ITEM: &str = "SELECT version, gsi1pk, gsi1sk FROM items WHERE pk = ?1 AND sk = ?2";
const FIND_HELD: &str = "SELECT version, gsi1pk, gsi1sk FROM items WHERE pk = ?1 AND sk = ?2
     UNION ALL SELECT version, gsi1pk, gsi1sk FROM stream WHERE pk = ?1 AND sk = ?2 AND version IS NOT NULL";

/// A put, as the stream records it.
const RECORD_PUT: &str = "INSERT INTO stream (pk, sk, version, body, gsi1pk, gsi1sk, expires_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Every statement that writes, by number: a redo log records the number.
/// Numbers are in logs on disk, so the list only grows at its end.
const WRITES: &[&str] = &[
    INSERT_ITEM,
    UPDATE_ITEM,
    UPDATE_ITEM_AND_INDEX,
    RECORD_PUT,
    "DELETE FROM items WHERE pk = ?1 AND sk = ?2",
    "INSERT INTO stream (pk, sk) VALUES (?1, ?2)",
    "DELETE FROM stream WHERE sequence <= ?1",
    "DELETE FROM stream WHERE pk = ?1 AND sk = ?2",
    "DELETE FROM stream WHERE version IS NULL OR substr(pk, 1, length(?1)) != ?1",
    // Looked up from the stream's few rows, not by a scan of the items.
    "DELETE FROM items WHERE (pk, sk) IN (SELECT pk, sk FROM stream)",
    // Oldest first by the expiry index (its order is the same on replay).
    "DELETE FROM items WHERE (pk, sk) IN (SELECT pk, sk FROM items
     WHERE expires_at IS NOT NULL AND expires_at < ?1 ORDER BY expires_at, pk, sk LIMIT ?2)",
];

/// The numbers of [`WRITES`], in its order.
#[derive(Clone, Copy)]
enum W {
    InsertItem,
    UpdateItem,
    UpdateItemAndIndex,
    RecordPut,
    DeleteItem,
    RecordDelete,
    ForgetRelayed,
    ForgetHeld,
    KeepOutboxOnly,
    DropHeldItems,
    Expire,
}
const _: () = assert!(WRITES.len() == W::Expire as usize + 1, "a number for every write statement");

/// An item's columns, in the order [`RawItem::read`] takes them.
macro_rules! columns {
    () => {
        "pk, sk, version, body, gsi1pk, gsi1sk, expires_at"
    };
}

/// Every item: the table's, and those the stream holds ([`StreamCapture::Outbox`]).
macro_rules! all_items {
    () => {
        concat!(
            "(SELECT ",
            columns!(),
            " FROM items UNION ALL SELECT ",
            columns!(),
            " FROM stream WHERE version IS NOT NULL)"
        )
    };
}
const ALL_ITEMS: &str = all_items!();

/// One item by key, among the items or also among those the stream holds.
const READ_ITEM: &str = concat!("SELECT ", columns!(), " FROM items WHERE pk = ?1 AND sk = ?2");
const READ_HELD: &str = concat!("SELECT ", columns!(), " FROM ", all_items!(), " WHERE pk = ?1 AND sk = ?2");

/// An item's version and index key, as a transaction's checks find them.
struct Stored {
    version: u64,
    gsi1pk: Option<String>,
    gsi1sk: Option<String>,
}

/// The stream's sequence is a plain row id (no `AUTOINCREMENT`, whose
/// bookkeeping would add a page write to every commit): the table's one relay
/// reads from the oldest change and deletes what it acknowledged, so a number
/// reused once the stream is empty names nothing anyone still holds.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL, sk TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    gsi1pk TEXT, gsi1sk TEXT, expires_at INTEGER,
    PRIMARY KEY (pk, sk)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_expiry ON items (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS stream (
    sequence INTEGER PRIMARY KEY, pk TEXT NOT NULL, sk TEXT NOT NULL,
    version INTEGER, body TEXT, gsi1pk TEXT, gsi1sk TEXT, expires_at INTEGER);
";

/// An empty in-memory database, as a table or a queue is held (its file, if
/// any, is loaded into it by [`Redo::open`]).
pub(crate) fn memory_connection() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    // Plans never depend on the values bound (SQLite's query planner
    // stability guarantee). Without it, SQLite plans a statement with a
    // `LIMIT ?` or a range scan using the values bound, and marks it to be
    // parsed again when they change; rusqlite's statement cache clears the
    // bindings each time a statement is returned, so such a statement was
    // parsed again on every use: an eighth of the runner's CPU under load.
    // The plans are the same either way (one index per query, no statistics).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // Room for every statement a table or a queue uses, kept prepared.
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Work waiting for its group commit, and where its result goes.
struct Queued {
    work: Work,
    reply: tokio::sync::oneshot::Sender<Result<(), StoreError>>,
}

enum Work {
    /// A transaction: its writes, and the puts' bodies serialized.
    Transaction { ops: Vec<WriteOp>, bodies: Vec<Option<String>> },
    /// The relay's acknowledgement: the stream up to `sequence` and the
    /// outbox items it published are forgotten.
    Acknowledge { sequence: u64, relayed: Vec<Key> },
}

impl SqliteTable {
    /// Opens (or creates) the table with a full stream: `path` is its
    /// snapshot on disk, beside which its redo log is kept (see
    /// [`crate::redo`]); `None` keeps it in memory alone. Either way SQLite
    /// holds it in memory.
    pub fn open(path: Option<&Path>) -> Result<Self, StoreError> {
        Self::open_with(path, StreamCapture::All)
    }

    pub fn open_with(path: Option<&Path>, capture: StreamCapture) -> Result<Self, StoreError> {
        Self::open_logged(path, capture, redo::MIN_LOG_BEFORE_SNAPSHOT)
    }

    /// [`Self::open_with`], folding the log into a new snapshot once it is
    /// past `min_log` bytes (and the snapshot's size).
    fn open_logged(path: Option<&Path>, capture: StreamCapture, min_log: u64) -> Result<Self, StoreError> {
        let mut conn = memory_connection().map_err(unavailable)?;
        let mut redo = match path {
            Some(path) => Some(Redo::open(&mut conn, path, SCHEMA, WRITES, min_log)?),
            None => {
                conn.execute_batch(SCHEMA).map_err(unavailable)?;
                None
            }
        };
        if let StreamCapture::Outbox { prefix, .. } = &capture {
            let mut record = Vec::new();
            let mut writes = Recorder::new(&conn, redo.as_ref().map(|_| &mut record), WRITES);
            hold_in_stream(&mut writes, prefix)?;
            if let Some(redo) = redo.as_mut() {
                redo.append(&record)?;
            }
        }
        Ok(Self {
            conn: tokio::sync::Mutex::new(conn),
            queued: Mutex::new(Vec::new()),
            capture,
            committed: Arc::new(Notify::new()),
            redo: redo.map(Mutex::new),
            next_expiry: Mutex::new(Instant::now() + EXPIRE_EVERY),
        })
    }

    pub fn committed(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    /// The connection, once every transaction queued for a group commit is
    /// committed: whoever takes the lock next commits them, so a writer that
    /// stopped waiting (its future dropped) never leaves its transaction
    /// behind. A panic while holding the connection cannot leave a half
    /// transaction (SQLite rolls back), and tokio's lock is not poisoned by one.
    async fn lock(&self) -> tokio::sync::MutexGuard<'_, Connection> {
        let mut conn = self.conn.lock().await;
        let group = std::mem::take(&mut *self.queued.lock().unwrap_or_else(|p| p.into_inner()));
        if !group.is_empty() {
            self.commit_group(&mut conn, group);
        }
        conn
    }

    async fn read_item(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let sql = if self.capture.holds(&key.pk) { READ_HELD } else { READ_ITEM };
        let row = {
            let conn = self.lock().await;
            let mut stmt = conn.prepare_cached(sql).map_err(unavailable)?;
            stmt.query_row(params![key.pk, key.sk], |row| RawItem::read(row, 0)).optional().map_err(unavailable)?
        };
        // JSON is parsed after the lock is released.
        row.map(RawItem::parse).transpose()
    }

    async fn read_query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        let held = match query.index {
            Index::Primary => self.capture.holds(&query.pk),
            Index::Gsi1 => self.capture.lists_held(&query.pk),
        };
        let sql = query_sql(&query.index, query.forward, if held { ALL_ITEMS } else { "items" });
        let limit = query.limit.map_or(-1, |l| l as i64);
        let cursor = query.after.as_ref();
        let index_sk = cursor.and_then(|c| c.index.as_ref()).map(|k| k.sk.clone());
        let (item_pk, item_sk) = (cursor.map(|c| c.key.pk.clone()), cursor.map(|c| c.key.sk.clone()));
        let rows: Vec<RawItem> = {
            let conn = self.lock().await;
            let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
            let read = |row: &rusqlite::Row<'_>| RawItem::read(row, 0);
            let rows = match query.index {
                Index::Primary => stmt.query_map(params![query.pk, query.sk_prefix, limit, item_sk], read),
                Index::Gsi1 => {
                    stmt.query_map(params![query.pk, query.sk_prefix, limit, item_sk, index_sk, item_pk], read)
                }
            };
            rows.map_err(unavailable)?.collect::<Result<_, _>>().map_err(unavailable)?
        };
        rows.into_iter().map(RawItem::parse).collect()
    }

    /// Group commit: a writer queues its transaction and takes the lock;
    /// whoever holds it commits every transaction queued by then in one
    /// SQLite transaction, in order (each sees the writes of the ones before
    /// it; a refused condition is found before its transaction writes). The
    /// group is one record of the redo log, one `write`, and pages several of
    /// them touch (the stream's tail, an index leaf) are changed once.
    /// Results are handed out only after the commit.
    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_transaction(&ops)?;
        for op in &ops {
            if let WriteOp::Put { item, .. } = op
                && self.capture.holds(&item.key.pk)
                && let Some(index) = item.index.as_ref().filter(|index| !self.capture.lists_held(&index.pk))
            {
                return Err(StoreError::Invalid(format!(
                    "outbox item {} / {} is indexed under {}, outside the outbox's index partitions",
                    item.key.pk, item.key.sk, index.pk
                )));
            }
        }
        // Serialized before taking the lock: other writers wait only for SQLite.
        let bodies: Vec<Option<String>> = ops
            .iter()
            .map(|op| match op {
                WriteOp::Put { item, .. } => Some(item.body.to_string()),
                _ => None,
            })
            .collect();
        self.commit_with_group(Work::Transaction { ops, bodies }).await
    }

    /// Queues `work` for the next group commit, takes the lock and commits
    /// what is queued; returns once `work` is committed (by this writer or
    /// by another that held the lock first).
    async fn commit_with_group(&self, work: Work) -> Result<(), StoreError> {
        let (reply, result) = tokio::sync::oneshot::channel();
        self.queued.lock().unwrap_or_else(|p| p.into_inner()).push(Queued { work, reply });
        // Taking the lock commits what is queued: ours, in this group or in
        // one committed before we got the lock.
        drop(self.lock().await);
        result.await.unwrap_or_else(|_| Err(StoreError::Unavailable("a group commit was abandoned".into())))
    }

    /// Commits a group. On a table with a redo log, the group's record is
    /// written to the log before SQLite commits; if it cannot be, nothing
    /// of the group is committed.
    fn commit_group(&self, conn: &mut Connection, group: Vec<Queued>) {
        let mut outcomes = Vec::with_capacity(group.len());
        let mut redo = self.redo.as_ref().map(|redo| redo.lock().unwrap_or_else(|p| p.into_inner()));
        let committed = (|| -> Result<(), String> {
            let tx = Tx::begin(conn).map_err(|e| e.to_string())?;
            let mut record = Vec::new();
            let mut writes = Recorder::new(&tx, redo.as_ref().map(|_| &mut record), WRITES);
            for queued in &group {
                let outcome = match &queued.work {
                    Work::Transaction { ops, bodies } => self.apply(&mut writes, ops, bodies),
                    Work::Acknowledge { sequence, relayed } => forget(&mut writes, *sequence, relayed),
                };
                match outcome {
                    // A refused condition is found before anything of its
                    // transaction is written: the others go on.
                    outcome @ (Ok(()) | Err(StoreError::ConditionFailed { .. })) => outcomes.push(outcome),
                    // A write that failed half way fails the whole group: it
                    // is rolled back, and every writer may try again.
                    Err(e) => return Err(e.to_string()),
                }
            }
            self.expire_if_due(&mut writes)?;
            Redo::commit(redo.as_deref_mut(), tx, &record).map_err(|e| e.to_string())
        })();
        if let (Ok(()), Some(redo)) = (&committed, redo.as_mut()) {
            redo.snapshot_if_due(conn);
        }
        drop(redo);
        match committed {
            Ok(()) => {
                // New changes for the stream's reader (its own acknowledgement is none).
                let any_applied = group
                    .iter()
                    .zip(&outcomes)
                    .any(|(queued, outcome)| matches!(queued.work, Work::Transaction { .. }) && outcome.is_ok());
                for (queued, outcome) in group.into_iter().zip(outcomes) {
                    let _ = queued.reply.send(outcome);
                }
                if any_applied {
                    self.committed.notify_one();
                }
            }
            Err(e) => {
                for queued in group {
                    let _ = queued.reply.send(Err(StoreError::Unavailable(e.clone())));
                }
            }
        }
    }

    /// Deletes items past their time to live when due (see
    /// [`EXPIRE_EVERY`]), inside the group's transaction. The time compared
    /// is a parameter of the statement, so replay deletes the same items.
    /// A deletion that fails is left for the next time: the group's own
    /// transactions still commit, unless SQLite rolled the whole
    /// transaction back (then the group fails, as for any write).
    fn expire_if_due(&self, writes: &mut Recorder<'_>) -> Result<(), String> {
        let mut next = self.next_expiry.lock().unwrap_or_else(|p| p.into_inner());
        if Instant::now() < *next {
            return Ok(());
        }
        let now = framework::now_secs() as i64;
        match writes.execute(W::Expire as usize, params![now, EXPIRE_BATCH]) {
            // More left: the next group commit goes on.
            Ok(deleted) if deleted as i64 >= EXPIRE_BATCH => *next = Instant::now(),
            Ok(_) => *next = Instant::now() + EXPIRE_EVERY,
            Err(e) if !writes.conn().is_autocommit() => {
                tracing::warn!(error = %e, "items past their time to live were not deleted; next time");
                *next = Instant::now() + EXPIRE_EVERY;
            }
            Err(e) => return Err(e.to_string()),
        }
        Ok(())
    }

    /// One transaction's checks and writes, inside its savepoint.
    fn apply(&self, writes: &mut Recorder<'_>, ops: &[WriteOp], bodies: &[Option<String>]) -> Result<(), StoreError> {
        let mut found: Vec<Option<Stored>> = Vec::with_capacity(ops.len());
        for (index, op) in ops.iter().enumerate() {
            let key = op.key();
            let current: Option<Stored> = writes
                .conn()
                .prepare_cached(if self.capture.holds(&key.pk) { FIND_HELD } else { FIND_ITEM })
                .and_then(|mut s| {
                    s.query_row(params![key.pk, key.sk], |r| {
                        Ok(Stored { version: r.get(0)?, gsi1pk: r.get(1)?, gsi1sk: r.get(2)? })
                    })
                    .optional()
                })
                .map_err(unavailable)?;
            if !op.condition().holds(current.as_ref().map(|c| c.version)) {
                return Err(StoreError::ConditionFailed { index });
            }
            found.push(current);
        }
        for ((op, body), current) in ops.iter().zip(bodies).zip(found) {
            match op {
                WriteOp::Delete { key, .. } if self.capture.holds(&key.pk) => {
                    if current.is_some() {
                        forget_held(writes, key)?;
                    }
                }
                WriteOp::Put { item, .. } => {
                    let (gsi1pk, gsi1sk) = item.index.as_ref().map(|k| (k.pk.as_str(), k.sk.as_str())).unzip();
                    let values = params![item.key.pk, item.key.sk, item.version, body, gsi1pk, gsi1sk, item.expires_at];
                    if self.capture.holds(&item.key.pk) {
                        // In the stream alone, once.
                        if current.is_some() {
                            forget_held(writes, &item.key)?;
                        }
                        writes.execute(W::RecordPut as usize, values)?;
                        continue;
                    }
                    match current {
                        None => writes.execute(W::InsertItem as usize, values)?,
                        // The index key stays as it was: the update does not
                        // name the index's columns, so the index's leaf is not
                        // written again (a replace would delete and insert its
                        // entry).
                        Some(c) if c.gsi1pk.as_deref() == gsi1pk && c.gsi1sk.as_deref() == gsi1sk => writes.execute(
                            W::UpdateItem as usize,
                            params![item.key.pk, item.key.sk, item.version, body, item.expires_at],
                        )?,
                        Some(_) => writes.execute(W::UpdateItemAndIndex as usize, values)?,
                    };
                    if self.capture.records_put(&item.key) {
                        writes.execute(W::RecordPut as usize, values)?;
                    }
                }
                WriteOp::Delete { key, .. } => {
                    let deleted = writes.execute(W::DeleteItem as usize, params![key.pk, key.sk])?;
                    if deleted > 0 && self.capture.records_delete() {
                        writes.execute(W::RecordDelete as usize, params![key.pk, key.sk])?;
                    }
                }
                WriteOp::Check { .. } => {}
            }
        }
        Ok(())
    }

    async fn read_stream(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(u64, Key, Option<RawItem>)> = {
            let conn = self.lock().await;
            let mut stmt = conn.prepare_cached(READ_STREAM).map_err(unavailable)?;
            stmt.query_map(params![after, limit], |row| {
                let sequence: u64 = row.get(0)?;
                let key = Key::new(row.get::<_, String>(1)?, row.get::<_, String>(2)?);
                let version: Option<u64> = row.get(3)?;
                let image = match version {
                    None => None,
                    Some(_) => Some(RawItem::read(row, 1)?),
                };
                Ok((sequence, key, image))
            })
            .map_err(unavailable)?
            .collect::<Result<_, _>>()
            .map_err(unavailable)?
        };
        rows.into_iter()
            .map(|(sequence, key, image)| {
                Ok(Change { sequence, key, new_image: image.map(RawItem::parse).transpose()? })
            })
            .collect()
    }

    /// Whether the stream rows are the outbox items themselves
    /// ([`StreamCapture::Outbox`]): an acknowledgement then needs no keys.
    fn stream_holds_outbox(&self) -> bool {
        matches!(self.capture, StreamCapture::Outbox { .. })
    }

    /// Forgets the stream up to the last of `relayed` (changes read from
    /// it, handed to the topic), and removes the relayed outbox items where
    /// they are items (not with [`StreamCapture::Outbox`], whose stream rows
    /// are the items: no keys are collected then). Neither removal is itself
    /// a stream record. It joins the next group commit: under load the pages
    /// it changes (the stream's head, the outbox's) are the ones the
    /// transactions committed with it write anyway.
    pub async fn acknowledge(&self, relayed: &[Change]) -> Result<(), StoreError> {
        let Some(last) = relayed.last() else { return Ok(()) };
        let keys = if self.stream_holds_outbox() { Vec::new() } else { framework::relay::outbox_keys(relayed) };
        self.commit_with_group(Work::Acknowledge { sequence: last.sequence, relayed: keys }).await
    }

    /// Every item, for inspection and invariant checks.
    pub async fn scan(&self) -> Result<Vec<Item>, StoreError> {
        let rows: Vec<RawItem> = {
            let conn = self.lock().await;
            let source = if self.stream_holds_outbox() { ALL_ITEMS } else { "items" };
            let mut stmt = conn
                .prepare_cached(&format!("SELECT {} FROM {source} ORDER BY pk, sk", columns!()))
                .map_err(unavailable)?;
            stmt.query_map([], |row| RawItem::read(row, 0))
                .map_err(unavailable)?
                .collect::<Result<_, _>>()
                .map_err(unavailable)?
        };
        rows.into_iter().map(RawItem::parse).collect()
    }
}

/// The statement of a query on `index` in that direction. Ties of the
/// index's sort key are ordered by the item's key, and a cursor resumes on
/// the same tuple, so a page never repeats or skips.
fn query_sql(index: &Index, forward: bool, source: &str) -> String {
    let (pk_col, sk_col) = match index {
        Index::Primary => ("pk", "sk"),
        Index::Gsi1 => ("gsi1pk", "gsi1sk"),
    };
    let (order, after) = if forward { ("ASC", ">") } else { ("DESC", "<") };
    let (order_by, start) = match index {
        Index::Primary => (format!("sk {order}"), format!("(?4 IS NULL OR sk {after} ?4)")),
        Index::Gsi1 => (
            format!("gsi1sk {order}, pk {order}, sk {order}"),
            format!("(?4 IS NULL OR (gsi1sk, pk, sk) {after} (?5, ?6, ?4))"),
        ),
    };
    format!(
        "SELECT {columns} FROM {source}
         WHERE {pk_col} = ?1 AND (?2 IS NULL OR substr({sk_col}, 1, length(?2)) = ?2) AND {start}
         ORDER BY {order_by} LIMIT ?3",
        columns = columns!()
    )
}

/// The relay's acknowledgement, inside a group commit.
fn forget(writes: &mut Recorder<'_>, sequence: u64, relayed: &[Key]) -> Result<(), StoreError> {
    writes.execute(W::ForgetRelayed as usize, params![sequence])?;
    for key in relayed {
        writes.execute(W::DeleteItem as usize, params![key.pk, key.sk])?;
    }
    Ok(())
}

/// Removes an item the stream may hold, wherever it is: a rewrite or a
/// delete of an outbox item (the sweeper's). What the relay read of it
/// before stays read; what it had not read, it never will.
fn forget_held(writes: &mut Recorder<'_>, key: &Key) -> Result<(), StoreError> {
    writes.execute(W::DeleteItem as usize, params![key.pk, key.sk])?;
    writes.execute(W::ForgetHeld as usize, params![key.pk, key.sk])?;
    Ok(())
}

/// On opening an outbox table: the stream keeps only puts under `prefix`
/// (anything else it recorded the relay would skip), and an item an earlier
/// runner kept both among the items and in the stream stays in the stream
/// alone, so that no read finds it twice.
fn hold_in_stream(writes: &mut Recorder<'_>, prefix: &str) -> Result<(), StoreError> {
    writes.execute(W::KeepOutboxOnly as usize, params![prefix])?;
    writes.execute(W::DropHeldItems as usize, params![])?;
    Ok(())
}

/// A row as SQLite holds it; its body is parsed by [`RawItem::parse`].
struct RawItem {
    key: Key,
    version: u64,
    body: String,
    index: Option<Key>,
    expires_at: Option<u64>,
}

impl RawItem {
    /// Reads `pk, sk, version, body, gsi1pk, gsi1sk, expires_at` from column `at` on.
    fn read(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
        let gsi1pk: Option<String> = row.get(at + 4)?;
        let gsi1sk: Option<String> = row.get(at + 5)?;
        Ok(Self {
            key: Key::new(row.get::<_, String>(at)?, row.get::<_, String>(at + 1)?),
            version: row.get(at + 2)?,
            body: row.get(at + 3)?,
            index: gsi1pk.zip(gsi1sk).map(|(pk, sk)| Key::new(pk, sk)),
            expires_at: row.get(at + 6)?,
        })
    }

    fn parse(self) -> Result<Item, StoreError> {
        let body = serde_json::from_str(&self.body).map_err(|e| {
            StoreError::Invalid(format!("item {}/{} has an unreadable body: {e}", self.key.pk, self.key.sk))
        })?;
        Ok(Item { key: self.key, version: self.version, body, index: self.index, expires_at: self.expires_at })
    }
}

impl Table for SqliteTable {
    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>> {
        Box::pin(self.read_item(key))
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>> {
        Box::pin(self.read_query(query))
    }

    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.write(ops))
    }
}

impl ChangeStream for SqliteTable {
    fn read(&self, after: u64, limit: usize) -> BoxFuture<'_, Result<Vec<Change>, StoreError>> {
        Box::pin(self.read_stream(after, limit))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use rusqlite::StatementStatus;
    use serde_json::json;

    fn reprepared(table: &SqliteTable, sql: &str) -> i32 {
        table.conn.blocking_lock().prepare_cached(sql).expect("cached").get_status(StatementStatus::RePrepare)
    }

    fn outbox_put(id: &str) -> WriteOp {
        let item = Item::new(Key::new(format!("OUTBOX#{id}"), "EVENT"), 1, json!({"eventId": id}));
        WriteOp::Put { item, condition: framework::store::Condition::NotExists }
    }

    /// The statements of each record of the table's redo log, by number.
    fn logged(db: &std::path::Path) -> Vec<Vec<usize>> {
        redo::records(db)
            .into_iter()
            .map(|(_, record)| record.into_iter().map(|(number, _)| number).collect())
            .collect()
    }

    #[tokio::test]
    async fn rewriting_an_item_under_the_same_index_key_leaves_the_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let table = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        let mut item = Item::new(Key::new("Reservation#r1", "STATE"), 1, json!({"status": "Requested"}));
        item.index = Some(Key::new("Customer#alice", "r1"));
        let put =
            |item: &Item| vec![WriteOp::Put { item: item.clone(), condition: framework::store::Condition::Always }];
        table.write(put(&item)).await.unwrap();
        item.version = 2;
        item.body = json!({"status": "Reserved"});
        table.write(put(&item)).await.unwrap();
        item.version = 3;
        item.index = Some(Key::new("Customer#bob", "r1"));
        table.write(put(&item)).await.unwrap();
        // An update naming the index's columns (or a replace) writes the
        // index's B-tree even when the entry is unchanged.
        let statements = logged(&db);
        assert_eq!(
            statements,
            [vec![W::InsertItem as usize], vec![W::UpdateItem as usize], vec![W::UpdateItemAndIndex as usize]]
        );
        assert!(!WRITES[W::UpdateItem as usize].contains("gsi1"), "the plain update leaves the index's columns alone");
        let second = SqliteTable::open_with(Some(&db), StreamCapture::Off).err();
        assert!(
            matches!(&second, Some(StoreError::Unavailable(e)) if e.contains("in use by another runner")),
            "{second:?}"
        );
        drop(table);
        let reopened = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        assert_eq!(reopened.read_query(&Query::index("Customer#bob")).await.unwrap(), vec![item]);
        assert!(reopened.read_query(&Query::index("Customer#alice")).await.unwrap().is_empty());
    }

    fn outbox() -> StreamCapture {
        StreamCapture::Outbox { prefix: "OUTBOX#".into(), index_prefix: "OutboxShard#".into() }
    }

    /// An outbox item as the framework writes it: indexed for the sweeper.
    fn outbox_item(id: &str) -> Item {
        let mut item = Item::new(Key::new(format!("OUTBOX#{id}"), "EVENT"), 1, json!({"eventId": id}));
        item.index = Some(Key::new("OutboxShard#3", format!("2026-12-07T16:00:00.000Z#{id}")));
        item
    }

    /// Rows of one SQLite table of `table`'s file, by name.
    async fn rows(table: &SqliteTable, of: &str) -> i64 {
        table.conn.lock().await.query_row(&format!("SELECT count(*) FROM {of}"), [], |r| r.get(0)).unwrap()
    }

    #[tokio::test]
    async fn an_outbox_item_is_held_in_the_stream_alone_and_read_as_any_item() {
        let table = SqliteTable::open_with(None, outbox()).unwrap();
        let item = outbox_item("e1");
        let stock = Item::new(Key::new("Stock#b1", "STATE"), 1, json!({"available": 2}));
        let create =
            |item: &Item| WriteOp::Put { item: item.clone(), condition: framework::store::Condition::NotExists };
        table.write(vec![create(&stock), create(&item)]).await.unwrap();
        let (items, stream) = (rows(&table, "items").await, rows(&table, "stream").await);
        assert_eq!((items, stream), (1, 1), "the stock among the items, the event in the stream alone");

        assert_eq!(table.read_item(&item.key).await.unwrap(), Some(item.clone()));
        let shard = Query::index("OutboxShard#3");
        assert_eq!(table.read_query(&shard).await.unwrap(), vec![item.clone()]);
        assert_eq!(table.read_query(&Query::partition("OUTBOX#e1")).await.unwrap(), vec![item.clone()]);
        let everything: Vec<String> = table.scan().await.unwrap().into_iter().map(|i| i.key.pk).collect();
        assert_eq!(everything, ["OUTBOX#e1", "Stock#b1"]);
        assert_eq!(
            table.write(vec![create(&item)]).await,
            Err(StoreError::ConditionFailed { index: 0 }),
            "created once"
        );
        let changes = table.read_stream(0, 10).await.unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].new_image.as_ref(), Some(&item));

        // The sweeper's path: published by it, then deleted.
        table.delete_each(vec![item.key.clone()]).await.unwrap();
        assert_eq!(table.read_item(&item.key).await.unwrap(), None);
        assert_eq!(table.read_query(&shard).await.unwrap(), vec![]);
        assert!(table.read_stream(0, 10).await.unwrap().is_empty(), "nothing left for the relay");
    }

    #[tokio::test]
    async fn an_outbox_put_writes_the_stream_row_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let table = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        let create = |item: Item| vec![WriteOp::Put { item, condition: framework::store::Condition::NotExists }];
        table.write(create(outbox_item("e1"))).await.unwrap();
        let records = logged(&db);
        // The record of opening (the outbox's cleanup), then the put's.
        assert_eq!(records.last(), Some(&vec![W::RecordPut as usize]), "no item, no index entry: {records:?}");
    }

    fn put_each(items: impl IntoIterator<Item = Item>) -> Vec<WriteOp> {
        items.into_iter().map(|item| WriteOp::Put { item, condition: framework::store::Condition::Always }).collect()
    }

    fn stock(n: usize) -> Item {
        let mut item =
            Item::new(Key::new(format!("Stock#b{n:03}"), "STATE"), 1, json!({"available": n, "pad": "x".repeat(200)}));
        item.index = Some(Key::new("Stocks", format!("{n:03}")));
        item
    }

    /// What a reader sees of a table: every item and the stream.
    async fn contents(table: &SqliteTable) -> (Vec<Item>, Vec<(u64, String)>) {
        let stream = table.read_stream(0, 10_000).await.unwrap().into_iter().map(|c| (c.sequence, c.key.pk)).collect();
        (table.scan().await.unwrap(), stream)
    }

    #[tokio::test]
    async fn a_reopened_table_has_every_commit_its_stream_and_its_acknowledgements() {
        let dir = tempfile::tempdir().unwrap();
        let (db, table) = stocks_on_disk(dir.path(), 5).await;
        let mut rewritten = stock(2);
        rewritten.version = 2;
        rewritten.index = None;
        table.write(put_each([rewritten])).await.unwrap();
        table.delete_each(vec![stock(3).key]).await.unwrap();
        let relayed = table.read_stream(0, 2).await.unwrap();
        table.acknowledge(&relayed).await.unwrap();
        let before = contents(&table).await;
        assert_eq!(before.0.len(), 4 + 3, "four stocks, three outbox items not yet relayed");
        // Dropping a table writes nothing: what it left is what `write` wrote.
        drop(table);

        let reopened = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        assert_eq!(contents(&reopened).await, before);
        reopened.write(put_each([outbox_item("e9")])).await.unwrap();
        let (_, stream) = contents(&reopened).await;
        assert_eq!(stream.last().map(|(_, pk)| pk.as_str()), Some("OUTBOX#e9"));
        assert!(stream.windows(2).all(|w| w[0].0 < w[1].0), "the stream's order goes on: {stream:?}");
    }

    /// `item` with a time to live.
    fn expiring(mut item: Item, expires_at: u64) -> Item {
        item.expires_at = Some(expires_at);
        item
    }

    /// Makes the next group commit delete the expired items.
    fn expiry_due(table: &SqliteTable) {
        *table.next_expiry.lock().unwrap() = Instant::now();
    }

    #[tokio::test]
    async fn items_past_their_time_to_live_are_deleted_by_the_next_commit_due_and_stay_deleted_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let table = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        let now = framework::now_secs();
        let (expired, alive, forever) = (expiring(stock(1), now - 1), expiring(stock(2), now + 3600), stock(3));
        // An outbox item the stream holds is never expired (the framework
        // gives outbox items no time to live; this one has one anyway).
        let held = expiring(outbox_item("e1"), now - 1);
        table.write(put_each([expired.clone(), alive.clone(), forever.clone(), held.clone()])).await.unwrap();
        // Not due yet (the first expiry is a minute after opening): an
        // expired item is read as any other until it is deleted.
        assert!(table.get(&expired.key).await.unwrap().is_some());

        expiry_due(&table);
        table.write(put_each([stock(4)])).await.unwrap();
        assert_eq!(table.get(&expired.key).await.unwrap(), None, "deleted with the commit due");
        for kept in [&alive, &forever, &held] {
            assert!(table.get(&kept.key).await.unwrap().is_some(), "{} is kept", kept.key.pk);
        }
        assert_eq!(logged(&db).last(), Some(&vec![W::InsertItem as usize, W::Expire as usize]));
        let after = contents(&table).await;
        drop(table);
        let reopened = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        assert_eq!(contents(&reopened).await, after, "the deletion is in the log");
    }

    #[tokio::test]
    async fn one_commit_deletes_at_most_a_batch_of_expired_items_and_the_next_commit_the_rest() {
        let table = SqliteTable::open_with(None, outbox()).unwrap();
        let past = framework::now_secs() - 1;
        let expired = EXPIRE_BATCH as usize + 50;
        for first in (0..expired).step_by(100) {
            table.write(put_each((first..expired.min(first + 100)).map(|n| expiring(stock(n), past)))).await.unwrap();
        }
        expiry_due(&table);
        table.write(put_each([stock(9_999)])).await.unwrap();
        assert_eq!(rows(&table, "items").await, 50 + 1, "one batch deleted");
        table.write(put_each([stock(9_998)])).await.unwrap();
        assert_eq!(rows(&table, "items").await, 2, "the rest deleted by the next commit");
    }

    #[tokio::test]
    async fn a_log_folded_into_snapshots_reopens_the_same_and_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let table = SqliteTable::open_logged(Some(&db), outbox(), 0).unwrap();
        for n in 0..300 {
            table.write(put_each([stock(n), outbox_item(&format!("e{n}"))])).await.unwrap();
            // The snapshot a commit started is written on a thread: put in
            // place before the next, so that the count below holds.
            table.redo.as_ref().unwrap().lock().unwrap().finish_snapshot().unwrap();
        }
        let before = contents(&table).await;
        let generation: i64 =
            rusqlite::Connection::open(&db).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert!(generation >= 3, "snapshots written: {generation}");
        let log = std::fs::metadata(redo::log_path(&db)).unwrap().len();
        let snapshot = std::fs::metadata(&db).unwrap().len();
        assert!(log < snapshot, "the log was started again: {log} bytes, snapshot {snapshot}");
        drop(table);
        let reopened = SqliteTable::open_logged(Some(&db), outbox(), 0).unwrap();
        assert_eq!(contents(&reopened).await, before);
    }

    fn generation_of(db: &Path) -> i64 {
        rusqlite::Connection::open(db).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
    }

    #[tokio::test]
    async fn commits_made_while_a_snapshot_is_written_are_kept_in_the_next_log() {
        let dir = tempfile::tempdir().unwrap();
        let (db, table) = stocks_on_disk(dir.path(), 5).await;
        let mut conn = table.conn.lock().await;
        table.redo.as_ref().unwrap().lock().unwrap().start_snapshot(&mut conn).unwrap();
        drop(conn);
        for n in 5..8 {
            table.write(put_each([stock(n)])).await.unwrap();
        }
        table.redo.as_ref().unwrap().lock().unwrap().finish_snapshot().unwrap();
        assert_eq!(generation_of(&db), 2, "the new snapshot is in place");
        assert_eq!(redo::records(&db).len(), 3, "the new log holds the commits made after the copy");
        let before = contents(&table).await;
        drop(table);
        let reopened = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        assert_eq!(contents(&reopened).await, before);
    }

    /// A table on disk in `dir`, `count` stock items and their events committed.
    async fn stocks_on_disk(dir: &Path, count: usize) -> (std::path::PathBuf, SqliteTable) {
        let db = dir.join("t.db");
        let table = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        for n in 0..count {
            table.write(put_each([stock(n), outbox_item(&format!("e{n}"))])).await.unwrap();
        }
        (db, table)
    }

    #[tokio::test]
    async fn a_runner_stopped_between_the_new_log_and_its_snapshot_finishes_the_snapshot_on_opening() {
        let dir = tempfile::tempdir().unwrap();
        let (db, table) = stocks_on_disk(dir.path(), 3).await;
        {
            let mut conn = table.conn.lock().await;
            let mut redo = table.redo.as_ref().unwrap().lock().unwrap();
            redo.start_snapshot(&mut conn).unwrap();
            redo.stop_before_snapshot_rename = true;
        }
        // After the copy: in the new log only.
        table.write(put_each([stock(3)])).await.unwrap();
        let before = contents(&table).await;
        // Stopped by the hook here, or already at that commit's own try.
        let _ = table.redo.as_ref().unwrap().lock().unwrap().finish_snapshot();
        drop(table);
        assert!(db.with_extension("db-snapshot").exists(), "the new snapshot waits beside the old one");
        assert_eq!(generation_of(&db), 1, "the old snapshot is still in place");

        let reopened = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        assert_eq!(contents(&reopened).await, before);
        assert_eq!(generation_of(&db), 2, "the snapshot was renamed into place");
        assert!(!db.with_extension("db-snapshot").exists());
        reopened.write(put_each([stock(9)])).await.unwrap();
        let after = contents(&reopened).await;
        drop(reopened);
        let again = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        assert_eq!(contents(&again).await, after);
    }

    #[tokio::test]
    async fn a_snapshot_written_but_never_put_in_place_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let (db, table) = stocks_on_disk(dir.path(), 3).await;
        let before = contents(&table).await;
        drop(table);
        // The runner stopped once the next generation's copy was written,
        // before its log took over: that copy (here the table as it was
        // opened, empty) lacks what the log holds.
        std::fs::copy(&db, db.with_extension("db-snapshot")).unwrap();
        let copy = rusqlite::Connection::open(db.with_extension("db-snapshot")).unwrap();
        copy.pragma_update(None, "user_version", 2).unwrap();
        drop(copy);

        let reopened = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        assert_eq!(contents(&reopened).await, before, "the log replayed on the old snapshot");
        assert!(!db.with_extension("db-snapshot").exists());
        assert_eq!(generation_of(&db), 1);
    }

    #[tokio::test]
    async fn a_log_already_in_the_snapshot_is_not_replayed_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let table = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        table.write(put_each([stock(1), outbox_item("e1")])).await.unwrap();
        let before = contents(&table).await;
        let log = std::fs::read(redo::log_path(&db)).unwrap();
        let mut conn = table.conn.lock().await;
        table.redo.as_ref().unwrap().lock().unwrap().snapshot(&mut conn).unwrap();
        drop(conn);
        drop(table);
        // The runner stopped after the snapshot was renamed into place and
        // before the log was started again.
        std::fs::write(redo::log_path(&db), &log).unwrap();
        let reopened = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        assert_eq!(contents(&reopened).await, before, "each item once, the event once in the stream");
    }

    #[tokio::test]
    async fn a_record_cut_short_is_dropped_and_the_log_goes_on_after_the_last_whole_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let table = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        for n in 1..=3 {
            table.write(put_each([stock(n)])).await.unwrap();
        }
        drop(table);
        // A power cut took the end of the last record.
        let log = std::fs::OpenOptions::new().write(true).open(redo::log_path(&db)).unwrap();
        let len = log.metadata().unwrap().len();
        log.set_len(len - 10).unwrap();
        drop(log);
        let names = |items: Vec<Item>| items.into_iter().map(|i| i.key.pk).collect::<Vec<_>>();

        let reopened = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        assert_eq!(names(reopened.scan().await.unwrap()), ["Stock#b001", "Stock#b002"]);
        reopened.write(put_each([stock(4)])).await.unwrap();
        drop(reopened);
        let again = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        assert_eq!(names(again.scan().await.unwrap()), ["Stock#b001", "Stock#b002", "Stock#b004"]);

        // A record whose bytes changed (the second of three) is not
        // applied, nor anything after it; what was dropped is kept aside.
        drop(again);
        let records = redo::records(&db);
        assert_eq!(records.len(), 3);
        let mut bytes = std::fs::read(redo::log_path(&db)).unwrap();
        let len = bytes.len();
        let third = records[2].0;
        bytes[len - third - 5] ^= 0xff;
        std::fs::write(redo::log_path(&db), &bytes).unwrap();
        let checked = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        assert_eq!(names(checked.scan().await.unwrap()), ["Stock#b001"]);
        let kept: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("t.redo-dropped-"))
            .collect();
        assert_eq!(kept.len(), 2, "the tail of each opening that dropped one: {kept:?}");
    }

    #[tokio::test]
    async fn zeros_where_a_record_should_be_end_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let table = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        table.write(put_each([stock(1)])).await.unwrap();
        drop(table);
        // A file system's filler after a power cut, then a record that
        // followed records lost in it.
        let mut bytes = std::fs::read(redo::log_path(&db)).unwrap();
        let whole = bytes.len();
        bytes.extend_from_slice(&[0; 64]);
        bytes.extend_from_within(16..whole);
        std::fs::write(redo::log_path(&db), &bytes).unwrap();
        let reopened = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        assert_eq!(reopened.scan().await.unwrap(), vec![stock(1)]);
        assert_eq!(
            std::fs::metadata(redo::log_path(&db)).unwrap().len(),
            whole as u64,
            "cut back to the last whole record"
        );
    }

    #[tokio::test]
    async fn a_group_whose_record_the_disk_refused_is_not_committed_and_the_log_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let table = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        table.write(put_each([stock(1)])).await.unwrap();
        table.redo.as_ref().unwrap().lock().unwrap().refuse_next_append = true;
        let refused = table.write(put_each([stock(2)])).await;
        assert!(matches!(refused, Err(StoreError::Unavailable(_))), "{refused:?}");
        assert_eq!(table.read_item(&stock(2).key).await.unwrap(), None, "rolled back in memory");
        table.write(put_each([stock(3)])).await.unwrap();
        drop(table);
        let reopened = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        let pks: Vec<String> = reopened.scan().await.unwrap().into_iter().map(|i| i.key.pk).collect();
        assert_eq!(pks, ["Stock#b001", "Stock#b003"], "the half record was cut off, the next one follows");
    }

    /// A table file as an earlier runner wrote it (WAL mode), holding one
    /// stock item; the connection is still open.
    fn earlier_runner_file(db: &std::path::Path) -> Connection {
        let earlier = Connection::open(db).unwrap();
        earlier.pragma_update(None, "journal_mode", "WAL").unwrap();
        earlier.execute_batch(SCHEMA).unwrap();
        earlier
            .execute(
                INSERT_ITEM,
                params!["Stock#b1", "STATE", 1, r#"{"available":2}"#, None::<String>, None::<String>, None::<u64>],
            )
            .unwrap();
        earlier
    }

    fn wal_of(db: &std::path::Path) -> std::path::PathBuf {
        let mut wal = db.to_owned().into_os_string();
        wal.push("-wal");
        wal.into()
    }

    #[tokio::test]
    async fn a_table_file_of_an_earlier_runner_is_read_with_its_write_ahead_log() {
        let dir = tempfile::tempdir().unwrap();
        let (live, copy) = (dir.path().join("live.db"), dir.path().join("t.db"));
        let earlier = earlier_runner_file(&live);
        // As a `kill -9` leaves them: the commit in the WAL, not yet in the file.
        std::fs::copy(&live, &copy).unwrap();
        std::fs::copy(wal_of(&live), wal_of(&copy)).unwrap();
        drop(earlier);

        let table = SqliteTable::open_with(Some(&copy), StreamCapture::Off).unwrap();
        let item = table.read_item(&Key::new("Stock#b1", "STATE")).await.unwrap().unwrap();
        assert_eq!(item.body, json!({"available": 2}));
        assert_not_in_wal_mode(&copy);
    }

    /// The file is an ordinary one, as every snapshot, and no WAL is left.
    fn assert_not_in_wal_mode(db: &std::path::Path) {
        let mut header = [0u8; 20];
        std::io::Read::read_exact(&mut std::fs::File::open(db).unwrap(), &mut header).unwrap();
        assert_eq!(header[18], 1, "rollback journal, not WAL");
        assert!(!wal_of(db).exists());
    }

    #[tokio::test]
    async fn a_table_file_an_earlier_runner_closed_becomes_an_ordinary_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        drop(earlier_runner_file(&db));
        let table = SqliteTable::open_with(Some(&db), StreamCapture::Off).unwrap();
        assert!(table.read_item(&Key::new("Stock#b1", "STATE")).await.unwrap().is_some());
        assert_not_in_wal_mode(&db);
        // Folded into a new snapshot: still an ordinary file.
        let mut conn = table.conn.lock().await;
        table.redo.as_ref().unwrap().lock().unwrap().snapshot(&mut conn).unwrap();
        drop(conn);
        assert_not_in_wal_mode(&db);
    }

    #[tokio::test]
    async fn an_outbox_item_indexed_outside_the_sweepers_partitions_is_refused() {
        let table = SqliteTable::open_with(None, outbox()).unwrap();
        let mut item = outbox_item("e1");
        item.index = Some(Key::new("Customer#alice", "e1"));
        let refused = table.write(vec![WriteOp::Put { item, condition: framework::store::Condition::Always }]).await;
        assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
        assert!(table.read_stream(0, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn outbox_items_an_earlier_runner_kept_twice_are_read_once_and_forgotten_on_acknowledgement() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        {
            // Every change recorded, the outbox item among the items too.
            let earlier = SqliteTable::open_with(Some(&db), StreamCapture::All).unwrap();
            let stock = Item::new(Key::new("Stock#b1", "STATE"), 1, json!({}));
            let puts = [stock, outbox_item("e1")]
                .into_iter()
                .map(|item| WriteOp::Put { item, condition: framework::store::Condition::Always })
                .collect();
            earlier.write(puts).await.unwrap();
        }
        let table = SqliteTable::open_with(Some(&db), outbox()).unwrap();
        assert_eq!(table.read_query(&Query::index("OutboxShard#3")).await.unwrap(), vec![outbox_item("e1")]);
        let changes = table.read_stream(0, 10).await.unwrap();
        let keys: Vec<&str> = changes.iter().map(|c| c.key.pk.as_str()).collect();
        assert_eq!(keys, ["OUTBOX#e1"], "the relay is handed the outbox alone");
        table.acknowledge(&changes[..1]).await.unwrap();
        let left: Vec<String> = table.scan().await.unwrap().into_iter().map(|i| i.key.pk).collect();
        assert_eq!(left, ["Stock#b1"]);
    }

    #[tokio::test]
    async fn an_acknowledgement_forgets_the_relayed_changes_and_their_outbox_items_only() {
        let table = SqliteTable::open_with(None, outbox()).unwrap();
        table.write(vec![outbox_put("e1"), outbox_put("e2")]).await.unwrap();
        let relayed = table.read_stream(0, 10).await.unwrap();
        assert_eq!(relayed.len(), 2);
        // Committed after the relay read: not acknowledged with it.
        table.write(vec![outbox_put("e3")]).await.unwrap();
        table.acknowledge(&relayed).await.unwrap();
        let left: Vec<String> = table.read_stream(0, 10).await.unwrap().into_iter().map(|c| c.key.pk).collect();
        assert_eq!(left, ["OUTBOX#e3"]);
        let items: Vec<String> = table.scan().await.unwrap().into_iter().map(|i| i.key.pk).collect();
        assert_eq!(items, ["OUTBOX#e3"], "the relayed outbox items are gone, the other stays");
    }

    #[tokio::test]
    async fn a_transaction_whose_writer_stopped_waiting_is_committed_by_the_next_to_take_the_table() {
        let table = SqliteTable::open(None).unwrap();
        let held = table.conn.lock().await;
        // Queued behind the holder, then given up on.
        let gave_up = tokio::time::timeout(Duration::from_millis(20), table.write(vec![outbox_put("e1")])).await;
        assert!(gave_up.is_err(), "the writer was still waiting for the table");
        drop(held);
        let key = Key::new("OUTBOX#e1", "EVENT");
        assert!(table.read_item(&key).await.unwrap().is_some(), "the next reader committed it first");
    }

    /// A statement parsed again on every use cost the runner an eighth of
    /// its CPU (see `open_connection`).
    #[test]
    fn reads_with_a_limit_reuse_their_prepared_statements() {
        let table = SqliteTable::open(None).expect("opens");
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        for n in 0..20u64 {
            let mut item = Item::new(Key::new("Car#1", format!("s{n:02}")), 1, json!({"n": n}));
            item.index = Some(Key::new("ByModel#Avante", format!("{n:02}")));
            runtime
                .block_on(table.write(vec![WriteOp::Put { item, condition: framework::store::Condition::Always }]))
                .unwrap();
        }
        for limit in 1..=20usize {
            assert_eq!(runtime.block_on(table.read_stream(0, limit)).unwrap().len(), limit);
            for (query, prefix) in [(Query::partition("Car#1"), "s1"), (Query::index("ByModel#Avante"), "1")] {
                assert_eq!(runtime.block_on(table.read_query(&query.clone().limit(limit))).unwrap().len(), limit);
                assert_eq!(
                    runtime.block_on(table.read_query(&query.clone().newest_first().limit(limit))).unwrap().len(),
                    limit
                );
                let prefixed = Query { sk_prefix: Some(prefix.into()), ..query.clone() };
                assert_eq!(runtime.block_on(table.read_query(&prefixed.limit(limit))).unwrap().len(), limit.min(10));
                // Page by page to the end.
                let mut read = 0;
                let mut page = query.clone().limit(limit);
                loop {
                    let items = runtime.block_on(table.read_query(&page)).unwrap();
                    read += items.len();
                    let Some(last) = items.last().filter(|_| items.len() == limit) else { break };
                    page.after = Some(framework::store::Cursor::after(last, page.index));
                }
                assert_eq!(read, 20);
            }
        }
        assert_eq!(reprepared(&table, READ_STREAM), 0);
        for index in [Index::Primary, Index::Gsi1] {
            for forward in [true, false] {
                assert_eq!(reprepared(&table, &query_sql(&index, forward, "items")), 0, "{index:?}, forward {forward}");
            }
        }
    }
}
