//! A table's durability when SQLite holds it in memory: a snapshot file and
//! a redo log of the statements committed since.
//!
//! SQLite's own WAL writes a whole 4 KiB page for every leaf a commit
//! touches; a saga's commits changed about 40 pages (160 KiB) to store a few
//! KiB of rows, and writing them back cost a third of the runner's CPU. Here
//! a group commit appends what it executed instead: each write statement (by
//! its number in the table's list) with its parameters, one checksummed
//! record a group, written to the file before SQLite commits. Once `write`
//! returns the record is in the OS's page cache, so a `kill -9` of the runner
//! loses nothing acknowledged; the log is synced every few MiB (as SQLite's
//! `synchronous=NORMAL` syncs its WAL at each checkpoint) and when the table
//! closes, so a power cut may lose the last commits and never leaves a
//! record half applied: replay stops at the first record cut short or whose
//! checksum fails, and sets what follows aside. A failure that cannot be
//! undone (a failed sync, a record that could not be cut back, a snapshot
//! that failed after its rename) stops the file taking commits: writers get
//! an error rather than an acknowledgement that might not last.
//!
//! Replaying the statements in order against the snapshot they followed
//! gives the same rows, because each one is deterministic (no clock, no
//! random value: a time, as the expiry's, is a parameter; the stream's
//! sequence is `max + 1`). The numbers only grow at the end of a list, so a
//! newer runner reads an older one's log; an older runner refuses a log
//! with a statement it does not know.
//!
//! When the log has grown past both [`MIN_LOG_BEFORE_SNAPSHOT`] and the
//! snapshot's size, a new snapshot is taken without holding the table for
//! its sync: between two group commits SQLite's backup copies the database
//! into a temporary file (no journal, no sync: into the page cache), and a
//! thread syncs that file while commits go on into the log. At the
//! first commit after that, the records appended since the copy become a
//! new log (a temporary file, synced, renamed over the old), then the
//! temporary snapshot is renamed over the old one. The snapshot's
//! `user_version` and the log's header carry a generation. A runner stopped
//! between the two renames leaves a log one generation ahead of the
//! snapshot, and the synced temporary snapshot of that generation beside
//! them: opening renames it into place. A log whose generation is below the
//! snapshot's (an earlier runner's order of steps) is already in it.
//!
//! Files: `<table>.db` (an ordinary SQLite database, readable with any
//! `sqlite3` shell, as of the last snapshot) and `<table>.redo`, which is
//! also locked while the table is open, so a second runner on the same data
//! directory is refused rather than interleaved; while a snapshot is taken,
//! `<table>.db-snapshot` and `<table>.redo-next`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use framework::store::StoreError;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, MAIN_DB, ToSql, params_from_iter};

const MAGIC: &[u8; 8] = b"CTXREDO1";
/// The magic, then the generation (`i64`, little-endian).
const HEADER_LEN: u64 = 16;
/// A record: payload length and CRC-32 of the length and the payload
/// (`u32` each, little-endian), then the payload. Zeros where a record
/// should be (a file system's filler after a power cut) fail the check: the
/// CRC of four zero bytes is not zero.
const RECORD_HEADER_LEN: usize = 8;
/// Below this the log is never folded into a snapshot.
pub(crate) const MIN_LOG_BEFORE_SNAPSHOT: u64 = 32 << 20;
/// Bytes appended between two syncs of the log.
const SYNC_EVERY: u64 = 4 << 20;
/// After a snapshot failed, bytes appended before the next try.
const SNAPSHOT_RETRY_AFTER: u64 = 4 << 20;

/// The value tags of a record's parameters.
const NULL: u8 = 0;
const INTEGER: u8 = 1;
const REAL: u8 = 2;
const TEXT: u8 = 3;
const BLOB: u8 = 4;

fn unavailable(what: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(what.to_string())
}

/// A table's snapshot and log, open.
pub(crate) struct Redo {
    snapshot: PathBuf,
    log: File,
    /// The log's length: its header and every whole record.
    len: u64,
    unsynced: u64,
    snapshot_len: u64,
    generation: i64,
    /// Set when the log can no longer be trusted to hold what is appended
    /// (a write that could not be undone, a failed sync, a snapshot that
    /// failed half way): every commit is refused from then on, rather than
    /// acknowledged and lost.
    broken: Option<String>,
    /// Below this the log is never folded into a snapshot.
    min_log: u64,
    /// No snapshot is tried before the log reaches this (after a failure).
    retry_at: u64,
    /// The snapshot being written, if one is.
    pending: Option<Pending>,
    /// Test hook: the next append fails as a full disk would.
    #[cfg(test)]
    pub(crate) refuse_next_append: bool,
    /// Test hook: the next snapshot stops (as the runner would) once its
    /// log is in place, before the snapshot is renamed.
    #[cfg(test)]
    pub(crate) stop_before_snapshot_rename: bool,
}

/// A snapshot on its way to disk: the database as it was when the log was
/// `from` bytes long, being written to the temporary file by `writer`
/// (which returns the file's length).
struct Pending {
    generation: i64,
    from: u64,
    writer: std::thread::JoinHandle<std::io::Result<u64>>,
}

/// Where a record starts, to cut the log back to ([`Redo::undo`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark(u64);

impl Redo {
    /// Loads `snapshot` (when there is one) into `conn`, an empty in-memory
    /// database, creates what `schema` creates, and replays the log of
    /// `statements` (the table's write statements, by number). The log is
    /// folded into a new snapshot once it is past `min_log` bytes and the
    /// snapshot's size.
    pub(crate) fn open(
        conn: &mut Connection,
        snapshot: &Path,
        schema: &str,
        statements: &[&str],
        min_log: u64,
    ) -> Result<Self, StoreError> {
        let at = |e: &dyn std::fmt::Display| unavailable(format!("{}: {e}", snapshot.display()));
        let mut log = lock_log(&log_path(snapshot)).map_err(|e| at(&e))?;
        let mut bytes = Vec::new();
        log.read_to_end(&mut bytes).map_err(|e| at(&e))?;
        finish_interrupted_snapshot(snapshot, header_generation(&bytes)).map_err(|e| at(&e))?;

        let (generation, snapshot_len) = if snapshot.exists() {
            settle_earlier_wal(snapshot).map_err(|e| at(&e))?;
            conn.restore(MAIN_DB, snapshot, None::<fn(rusqlite::backup::Progress)>).map_err(|e| at(&e))?;
            let generation: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| at(&e))?;
            (generation, std::fs::metadata(snapshot).map_err(|e| at(&e))?.len())
        } else {
            (0, 0)
        };
        conn.execute_batch(schema).map_err(|e| at(&e))?;

        let len = match header_generation(&bytes) {
            Some(logged) if logged == generation => {
                HEADER_LEN + replay(conn, &bytes[HEADER_LEN as usize..], statements).map_err(|e| at(&e))?
            }
            // The snapshot is older than its log (a file put back by hand?):
            // replaying would skip what lies between.
            Some(logged) if logged > generation => {
                return Err(at(&format!(
                    "the snapshot (generation {generation}) is older than its redo log (generation {logged})"
                )));
            }
            // Empty, cut short in its header, or of an earlier generation
            // (already in the snapshot): started again.
            _ => 0,
        };
        let mut redo = Self {
            snapshot: snapshot.to_owned(),
            log,
            len,
            unsynced: 0,
            snapshot_len,
            generation,
            broken: None,
            min_log,
            retry_at: 0,
            pending: None,
            #[cfg(test)]
            refuse_next_append: false,
            #[cfg(test)]
            stop_before_snapshot_rename: false,
        };
        if !snapshot.exists() {
            // A new table: its file is there from the start (and any
            // record replayed is folded in).
            redo.snapshot(conn)?;
        } else if len == 0 {
            redo.restart_log(generation).map_err(|e| at(&e))?;
        } else if len < bytes.len() as u64 {
            // A record cut short by a power cut, or unreadable: what follows
            // the last whole record is set aside (not applied, not lost) and
            // the log goes on from there.
            let kept = snapshot.with_extension(format!("redo-dropped-{}", framework::now_millis()));
            std::fs::write(&kept, &bytes[len as usize..]).map_err(|e| at(&e))?;
            tracing::warn!(
                log = %log_path(snapshot).display(),
                dropped_bytes = bytes.len() as u64 - len,
                kept_in = %kept.display(),
                "the redo log ends in a record cut short or unreadable; replayed up to it"
            );
            redo.log.set_len(len).map_err(|e| at(&e))?;
            redo.log.sync_data().map_err(|e| at(&e))?;
        }
        Ok(redo)
    }

    fn refuse(&self) -> Result<(), StoreError> {
        match &self.broken {
            Some(why) => Err(unavailable(why)),
            None => Ok(()),
        }
    }

    fn break_with(&mut self, what: impl std::fmt::Display) -> StoreError {
        let why = format!("{}: {what}; restart the runner", log_path(&self.snapshot).display());
        self.broken = Some(why.clone());
        unavailable(why)
    }

    /// Appends a group commit's record ([`Recorder`]) and returns where it
    /// starts. On failure the log is cut back to where it was and the group
    /// must not commit; if the group fails after this, [`Self::undo`].
    pub(crate) fn append(&mut self, payload: &[u8]) -> Result<Mark, StoreError> {
        self.refuse()?;
        let mark = Mark(self.len);
        let length = (payload.len() as u32).to_le_bytes();
        let mut crc = crc32fast::Hasher::new();
        crc.update(&length);
        crc.update(payload);
        let mut record = Vec::with_capacity(RECORD_HEADER_LEN + payload.len());
        record.extend_from_slice(&length);
        record.extend_from_slice(&crc.finalize().to_le_bytes());
        record.extend_from_slice(payload);
        #[cfg(test)]
        if std::mem::take(&mut self.refuse_next_append) {
            // Half the record on disk, then the disk is full.
            let _ = self.log.write_all(&record[..record.len() / 2]);
            self.undo(mark);
            return Err(unavailable("no space left on device (test)"));
        }
        if let Err(e) = self.log.write_all(&record) {
            self.undo(mark);
            return Err(unavailable(format!("{}: {e}", log_path(&self.snapshot).display())));
        }
        self.len += record.len() as u64;
        self.unsynced += record.len() as u64;
        if self.unsynced >= SYNC_EVERY {
            self.unsynced = 0;
            // A failed sync may have dropped earlier records' pages (Linux
            // marks them clean): nothing appended from here is trusted.
            if let Err(e) = self.log.sync_data() {
                self.undo(mark);
                return Err(self.break_with(format!("the redo log could not be synced ({e})")));
            }
        }
        Ok(mark)
    }

    /// Commits `tx`, whose writes `record` holds: to the log first, then to
    /// SQLite; a commit that fails cuts its record off again.
    pub(crate) fn commit(redo: Option<&mut Self>, tx: Tx<'_>, record: &[u8]) -> Result<(), StoreError> {
        let Some(redo) = redo.filter(|_| !record.is_empty()) else {
            return tx.commit().map_err(unavailable);
        };
        let mark = redo.append(record)?;
        tx.commit().map_err(|e| {
            // Not committed: neither may its record be replayed.
            redo.undo(mark);
            unavailable(e)
        })
    }

    /// Cuts the log back to `mark`: the record appended there belongs to a
    /// group that did not commit. If that fails, the log is broken.
    pub(crate) fn undo(&mut self, mark: Mark) {
        match self.log.set_len(mark.0) {
            Ok(()) => self.len = mark.0,
            Err(e) => {
                self.break_with(format!("a record of a group that did not commit could not be cut off ({e})"));
            }
        }
    }

    /// Whether the log has grown enough to be folded into a new snapshot.
    fn wants_snapshot(&self) -> bool {
        self.broken.is_none() && self.len >= self.min_log.max(self.snapshot_len).max(self.retry_at)
    }

    /// Takes a snapshot now and waits for it: the database as it is, and an
    /// empty log.
    pub(crate) fn snapshot(&mut self, conn: &mut Connection) -> Result<(), StoreError> {
        self.start_snapshot(conn)?;
        self.finish_snapshot()
    }

    /// Folds the log into a new snapshot if it has grown enough (the copy
    /// now, the writing on a thread of its own), and puts a snapshot whose
    /// writing is done in place. Called between group commits; a failure is
    /// logged (the log goes on, see [`Self::finish_snapshot`]).
    pub(crate) fn snapshot_if_due(&mut self, conn: &mut Connection) {
        let done = match &self.pending {
            Some(pending) if !pending.writer.is_finished() => return,
            Some(_) => self.finish_snapshot(),
            None if self.wants_snapshot() => self.start_snapshot(conn),
            None => return,
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "a snapshot was not written");
        }
    }

    /// Copies `conn`'s database, as of the log's present length, for the
    /// next generation, and starts a thread writing it to the temporary
    /// snapshot, synced.
    pub(crate) fn start_snapshot(&mut self, conn: &mut Connection) -> Result<(), StoreError> {
        self.refuse()?;
        if let Some(pending) = self.pending.take() {
            // Its copy is older than this one: put aside.
            let _ = pending.writer.join();
        }
        let generation = self.generation + 1;
        let temporary = pending_path(&self.snapshot);
        let at = |e: &dyn std::fmt::Display| unavailable(format!("{}: snapshot: {e}", self.snapshot.display()));
        let copied = (|| {
            conn.pragma_update(None, "user_version", generation).map_err(|e| at(&e))?;
            // SQLite's backup into the temporary file, which is synced on a
            // thread of its own: no journal (the file is not the snapshot
            // until it is whole and synced), no sync here.
            let _ = std::fs::remove_file(&temporary);
            let mut copy = Connection::open(&temporary).map_err(|e| at(&e))?;
            copy.pragma_update(None, "journal_mode", "OFF").map_err(|e| at(&e))?;
            copy.pragma_update(None, "synchronous", "OFF").map_err(|e| at(&e))?;
            match rusqlite::backup::Backup::new(conn, &mut copy).and_then(|b| b.step(-1)).map_err(|e| at(&e))? {
                rusqlite::backup::StepResult::Done => Ok(()),
                other => Err(at(&format!("the copy stopped short ({other:?})"))),
            }
        })();
        let writer = copied.and_then(|()| {
            let temporary = temporary.clone();
            std::thread::Builder::new()
                .name("snapshot".into())
                .spawn(move || -> std::io::Result<u64> {
                    let file = File::open(&temporary)?;
                    file.sync_all()?;
                    file.metadata().map(|m| m.len())
                })
                .map_err(|e| at(&e))
        });
        match writer {
            Ok(writer) => {
                self.pending = Some(Pending { generation, from: self.len, writer });
                Ok(())
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temporary);
                self.retry_at = self.len + SNAPSHOT_RETRY_AFTER;
                Err(e)
            }
        }
    }

    /// Waits for the snapshot being written, then puts it in place: the
    /// records appended since its copy become the new log (a temporary file,
    /// synced, renamed over the log), then the snapshot is renamed over the
    /// old one. A failure before the new log is in place leaves the old
    /// snapshot and the whole log (the next try waits for a few more MiB of
    /// log); a failure after it breaks the log (opening finishes the
    /// snapshot's rename, see [`finish_interrupted_snapshot`]).
    pub(crate) fn finish_snapshot(&mut self) -> Result<(), StoreError> {
        let Some(Pending { generation, from, writer }) = self.pending.take() else {
            return Ok(());
        };
        let path = self.snapshot.clone();
        let at = |e: &dyn std::fmt::Display| unavailable(format!("{}: snapshot: {e}", path.display()));
        let written = writer.join().unwrap_or_else(|_| Err(std::io::Error::other("its writer panicked")));
        let switched = self.refuse().and_then(|()| {
            let snapshot_len = written.map_err(|e| at(&e))?;
            let log = self.next_log(generation, from).map_err(|e| at(&e))?;
            std::fs::rename(next_log_path(&path), log_path(&path)).map_err(|e| at(&e))?;
            Ok((snapshot_len, log))
        });
        let (snapshot_len, (log, len)) = match switched {
            Ok(switched) => switched,
            Err(e) => {
                let _ = std::fs::remove_file(next_log_path(&path));
                let _ = std::fs::remove_file(pending_path(&path));
                self.retry_at = self.len + SNAPSHOT_RETRY_AFTER;
                return Err(e);
            }
        };
        // From here the new log is the table's: what it lacks is in the
        // temporary snapshot.
        self.len = len;
        self.log = log;
        self.unsynced = 0;
        self.generation = generation;
        // The log's rename is on disk before the snapshot's: after a power
        // cut, a new snapshot never stands beside the old log (which opening
        // would discard, records since the copy with it).
        if let Err(e) = sync_directory(&path) {
            return Err(self.break_with(format!("new log in place, not synced ({e})")));
        }
        #[cfg(test)]
        if std::mem::take(&mut self.stop_before_snapshot_rename) {
            return Err(self.break_with("stopped before the snapshot's rename (test)"));
        }
        if let Err(e) = std::fs::rename(pending_path(&path), &path).and_then(|()| sync_directory(&path)) {
            return Err(self.break_with(format!("new log in place, snapshot not renamed ({e})")));
        }
        self.snapshot_len = snapshot_len;
        Ok(())
    }

    /// The log of `generation`: its header, then the records from byte
    /// `from` of this one, synced and locked, at [`next_log_path`]; and its
    /// length.
    fn next_log(&mut self, generation: i64, from: u64) -> std::io::Result<(File, u64)> {
        use std::io::{Seek, SeekFrom};
        let mut bytes = log_header(generation);
        self.log.seek(SeekFrom::Start(from))?;
        (&mut self.log).take(self.len - from).read_to_end(&mut bytes)?;
        let path = next_log_path(&self.snapshot);
        let mut log = OpenOptions::new().read(true).append(true).create(true).truncate(false).open(&path)?;
        log.try_lock().map_err(std::io::Error::other)?;
        log.set_len(0)?;
        log.write_all(&bytes)?;
        log.sync_data()?;
        Ok((log, bytes.len() as u64))
    }

    /// Empties the log and writes its header for `generation`.
    fn restart_log(&mut self, generation: i64) -> std::io::Result<()> {
        self.log.set_len(0)?;
        self.len = 0;
        self.log.write_all(&log_header(generation))?;
        self.log.sync_data()?;
        self.len = HEADER_LEN;
        self.unsynced = 0;
        Ok(())
    }
}

impl Drop for Redo {
    /// A runner that stops cleanly leaves its last records synced, as
    /// SQLite synced its WAL when a connection closed. A snapshot still
    /// being written is waited for (and left aside: the log holds it all),
    /// so that no writer outlives its table.
    fn drop(&mut self) {
        if let Some(pending) = self.pending.take() {
            let _ = pending.writer.join();
        }
        if self.broken.is_none() {
            let _ = self.log.sync_data();
        }
    }
}

/// Where the log of the table whose snapshot is `snapshot` lives.
pub(crate) fn log_path(snapshot: &Path) -> PathBuf {
    snapshot.with_extension("redo")
}

/// Opens the log at `path` and locks it. Appended to: every write lands at
/// the end, also after the file was cut back. A snapshot replaces the log
/// by a rename (its new log locked first): a lock taken on a file that the
/// rename has just replaced locks nothing anyone uses, so the file at the
/// path is opened again.
fn lock_log(path: &Path) -> Result<File, String> {
    loop {
        let log = OpenOptions::new().read(true).append(true).create(true).open(path).map_err(|e| e.to_string())?;
        if let Some(locked) = locked_at(log, path)? {
            return Ok(locked);
        }
    }
}

/// Locks `log`, opened at `path`; `None` if a rename has put another file
/// at the path since.
fn locked_at(log: File, path: &Path) -> Result<Option<File>, String> {
    log.try_lock().map_err(|e| format!("in use by another runner ({e})"))?;
    Ok(is_at(&log, path).map_err(|e| e.to_string())?.then_some(log))
}

/// Whether `file` is the file at `path` (not one a rename replaced).
#[cfg(unix)]
fn is_at(file: &File, path: &Path) -> std::io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let (open, named) = (file.metadata()?, std::fs::metadata(path)?);
    Ok((open.dev(), open.ino()) == (named.dev(), named.ino()))
}

#[cfg(not(unix))]
fn is_at(_: &File, _: &Path) -> std::io::Result<bool> {
    Ok(true)
}

/// Where a snapshot is written before it is renamed into place.
fn pending_path(snapshot: &Path) -> PathBuf {
    snapshot.with_extension("db-snapshot")
}

/// Where a snapshot's new log is written before it is renamed into place.
fn next_log_path(snapshot: &Path) -> PathBuf {
    snapshot.with_extension("redo-next")
}

/// A runner stopped between a snapshot's two renames left its new log in
/// place (of generation `logged`) and the snapshot of that generation,
/// synced, beside the older one: it is renamed into place. Any other
/// temporary file is a snapshot or a log that never took over, removed.
fn finish_interrupted_snapshot(snapshot: &Path, logged: Option<i64>) -> Result<(), String> {
    let generation_of = |file: &Path| -> rusqlite::Result<i64> {
        let conn = Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
    };
    let pending = pending_path(snapshot);
    let _ = std::fs::remove_file(next_log_path(snapshot));
    if !pending.exists() {
        return Ok(());
    }
    let current = if snapshot.exists() { generation_of(snapshot).map_err(|e| e.to_string())? } else { 0 };
    match logged {
        Some(logged) if logged > current => {
            // The log goes on from this file: it is never removed, and it
            // must be the one the log follows.
            let pending_generation = generation_of(&pending).map_err(|e| format!("{}: {e}", pending.display()))?;
            if pending_generation != logged {
                return Err(format!(
                    "{} is of generation {pending_generation}, its log of generation {logged}",
                    pending.display()
                ));
            }
            tracing::warn!(snapshot = %snapshot.display(), generation = logged, "finishing a snapshot the last runner stopped in");
            std::fs::rename(&pending, snapshot).and_then(|()| sync_directory(snapshot)).map_err(|e| e.to_string())
        }
        // A copy whose log never took over.
        _ => {
            let _ = std::fs::remove_file(&pending);
            Ok(())
        }
    }
}

/// A log's header: the magic, then `generation`.
fn log_header(generation: i64) -> Vec<u8> {
    let mut header = Vec::with_capacity(HEADER_LEN as usize);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&generation.to_le_bytes());
    header
}

fn header_generation(bytes: &[u8]) -> Option<i64> {
    let header = bytes.get(..HEADER_LEN as usize)?;
    (&header[..8] == MAGIC).then(|| i64::from_le_bytes(header[8..].try_into().expect("eight bytes")))
}

/// A table file of an earlier runner (SQLite's WAL mode) has its WAL folded
/// in and becomes an ordinary (rollback-journal) file, as every snapshot
/// is: otherwise its header, copied into memory and into each later
/// snapshot, would keep saying WAL. Such a file has a `-wal` beside it or
/// says so in its header (byte 18 is 2); a snapshot has neither.
fn settle_earlier_wal(snapshot: &Path) -> rusqlite::Result<()> {
    let mut wal = snapshot.as_os_str().to_owned();
    wal.push("-wal");
    let mut header = [0u8; 20];
    let says_wal = File::open(snapshot).and_then(|mut f| f.read_exact(&mut header)).is_ok() && header[18] == 2;
    if says_wal || Path::new(&wal).exists() {
        Connection::open(snapshot)?.pragma_update(None, "journal_mode", "DELETE")?;
    }
    Ok(())
}

fn sync_directory(file: &Path) -> std::io::Result<()> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

/// Replays the whole records of `log` (after its header) in one transaction;
/// returns the length they take. A record cut short or failing its checksum
/// ends the log. A statement that fails stops the opening: its rows would
/// not be the ones committed.
fn replay(conn: &mut Connection, log: &[u8], statements: &[&str]) -> Result<u64, String> {
    let tx = Tx::begin(conn).map_err(|e| e.to_string())?;
    let mut end = 0usize;
    for (number, (at, payload)) in whole_records(log).enumerate() {
        apply_record(&tx, payload, statements).map_err(|e| format!("redo record {number} (byte {at}): {e}"))?;
        end = at + RECORD_HEADER_LEN + payload.len();
    }
    tx.commit().map_err(|e| e.to_string())?;
    Ok(end as u64)
}

/// The whole records of `log` (after its header), each with where it
/// starts: up to the first one cut short or failing its checksum.
fn whole_records(log: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let header = log.get(at..at + RECORD_HEADER_LEN)?;
        let len = u32::from_le_bytes(header[..4].try_into().expect("four bytes")) as usize;
        let crc = u32::from_le_bytes(header[4..].try_into().expect("four bytes"));
        let payload = log.get(at + RECORD_HEADER_LEN..at + RECORD_HEADER_LEN + len)?;
        let mut check = crc32fast::Hasher::new();
        check.update(&header[..4]);
        check.update(payload);
        (check.finalize() == crc).then(|| {
            let start = at;
            at += RECORD_HEADER_LEN + len;
            (start, payload)
        })
    })
}

/// The statements of a record's payload: each one's number and parameters.
fn statements_of(mut payload: &[u8]) -> impl Iterator<Item = Result<(u8, Vec<Value>), &'static str>> {
    std::iter::from_fn(move || {
        let (&number, rest) = payload.split_first()?;
        let decoded = (|| {
            let (&count, mut rest) = rest.split_first().ok_or("a statement without its parameter count")?;
            let mut values = Vec::with_capacity(usize::from(count));
            for _ in 0..count {
                let (value, after) = decode(rest).ok_or("a parameter cut short")?;
                values.push(value);
                rest = after;
            }
            Ok((values, rest))
        })();
        Some(match decoded {
            Ok((values, rest)) => {
                payload = rest;
                Ok((number, values))
            }
            Err(e) => {
                payload = &[];
                Err(e)
            }
        })
    })
}

fn apply_record(conn: &Connection, payload: &[u8], statements: &[&str]) -> Result<(), String> {
    for statement in statements_of(payload) {
        let (number, values) = statement?;
        let sql = statements.get(usize::from(number)).ok_or_else(|| format!("no statement {number}"))?;
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute(params_from_iter(values.iter())))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A length-prefixed run of bytes, and what follows it.
fn sized(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    Some((bytes.get(4..4 + len)?, &bytes[4 + len..]))
}

fn decode(bytes: &[u8]) -> Option<(Value, &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let eight = |rest: &[u8]| rest.get(..8).map(|b| <[u8; 8]>::try_from(b).expect("eight bytes"));
    Some(match tag {
        NULL => (Value::Null, rest),
        INTEGER => (Value::Integer(i64::from_le_bytes(eight(rest)?)), &rest[8..]),
        REAL => (Value::Real(f64::from_le_bytes(eight(rest)?)), &rest[8..]),
        TEXT => {
            let (text, rest) = sized(rest)?;
            (Value::Text(String::from_utf8(text.to_vec()).ok()?), rest)
        }
        BLOB => {
            let (blob, rest) = sized(rest)?;
            (Value::Blob(blob.to_vec()), rest)
        }
        _ => return None,
    })
}

/// A write transaction, begun and ended by statements kept prepared:
/// rusqlite's `Transaction` parses `BEGIN` and `COMMIT` again each time,
/// which cost 1.6 % of the runner's CPU under load. Dropped uncommitted, it
/// rolls back.
pub(crate) struct Tx<'a> {
    conn: &'a Connection,
    committed: bool,
}

impl<'a> Tx<'a> {
    /// `BEGIN IMMEDIATE` on `conn` (`&mut`: one transaction at a time),
    /// after rolling back one left open (a `ROLLBACK` on drop that failed).
    pub(crate) fn begin(conn: &'a mut Connection) -> rusqlite::Result<Self> {
        if !conn.is_autocommit() {
            conn.prepare_cached("ROLLBACK")?.execute([])?;
        }
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(Self { conn, committed: false })
    }

    /// `COMMIT`; if it fails, the transaction is rolled back when dropped.
    pub(crate) fn commit(mut self) -> rusqlite::Result<()> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.committed = true;
        Ok(())
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.committed && !self.conn.is_autocommit() {
            let _ = self.conn.prepare_cached("ROLLBACK").and_then(|mut s| s.execute([]));
        }
    }
}

/// A group commit's write statements as they execute: on a table that keeps
/// a redo log, each is recorded (its number, its parameters) for the
/// group's record.
pub(crate) struct Recorder<'a> {
    conn: &'a Connection,
    record: Option<&'a mut Vec<u8>>,
    statements: &'static [&'static str],
}

impl<'a> Recorder<'a> {
    pub(crate) fn new(
        conn: &'a Connection,
        record: Option<&'a mut Vec<u8>>,
        statements: &'static [&'static str],
    ) -> Self {
        Self { conn, record, statements }
    }

    /// The connection, for reads.
    pub(crate) fn conn(&self) -> &Connection {
        self.conn
    }

    /// Executes statement `number` of the table's list; returns the rows it changed.
    pub(crate) fn execute(&mut self, number: usize, params: &[&dyn ToSql]) -> Result<usize, StoreError> {
        let changed = self
            .conn
            .prepare_cached(self.statements[number])
            .and_then(|mut s| s.execute(params))
            .map_err(unavailable)?;
        if let Some(record) = self.record.as_deref_mut() {
            record.push(u8::try_from(number).map_err(unavailable)?);
            record.push(u8::try_from(params.len()).map_err(unavailable)?);
            for param in params {
                match param.to_sql().map_err(unavailable)? {
                    ToSqlOutput::Borrowed(value) => encode(record, value),
                    ToSqlOutput::Owned(value) => encode(record, (&value).into()),
                    other => return Err(unavailable(format!("a parameter the redo log cannot hold: {other:?}"))),
                }
            }
        }
        Ok(changed)
    }
}

fn encode(record: &mut Vec<u8>, value: ValueRef<'_>) {
    let sized = |record: &mut Vec<u8>, tag: u8, bytes: &[u8]| {
        record.push(tag);
        record.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        record.extend_from_slice(bytes);
    };
    match value {
        ValueRef::Null => record.push(NULL),
        ValueRef::Integer(i) => {
            record.push(INTEGER);
            record.extend_from_slice(&i.to_le_bytes());
        }
        ValueRef::Real(f) => {
            record.push(REAL);
            record.extend_from_slice(&f.to_le_bytes());
        }
        ValueRef::Text(text) => sized(record, TEXT, text),
        ValueRef::Blob(blob) => sized(record, BLOB, blob),
    }
}

/// A statement as a record holds it: its number and its parameters.
#[cfg(test)]
pub(crate) type Logged = (usize, Vec<Value>);

/// Each whole record of the log of `snapshot`: the bytes it takes, and its
/// statements.
#[cfg(test)]
pub(crate) fn records(snapshot: &Path) -> Vec<(usize, Vec<Logged>)> {
    let bytes = std::fs::read(log_path(snapshot)).expect("a log");
    whole_records(&bytes[HEADER_LEN as usize..])
        .map(|(_, payload)| {
            let statements = statements_of(payload).map(|s| s.map(|(n, v)| (usize::from(n), v)).unwrap()).collect();
            (RECORD_HEADER_LEN + payload.len(), statements)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_log_locked_after_a_rename_replaced_it_is_opened_again_at_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.redo");
        std::fs::write(&path, b"old").unwrap();
        // Another runner opened the log, then a snapshot put a new one,
        // locked, in its place.
        let opened_before = OpenOptions::new().read(true).append(true).open(&path).unwrap();
        let next = dir.path().join("t.redo-next");
        let new = OpenOptions::new().read(true).append(true).create(true).open(&next).unwrap();
        new.try_lock().unwrap();
        std::fs::rename(&next, &path).unwrap();

        // Its lock, taken after the rename, is on a file nobody uses.
        assert!(locked_at(opened_before, &path).unwrap().is_none(), "the file opened before the rename is not the log");
        let refused = lock_log(&path).unwrap_err();
        assert!(refused.contains("in use by another runner"), "{refused}");
        drop(new);
        assert!(is_at(&lock_log(&path).unwrap(), &path).unwrap());
    }
}
