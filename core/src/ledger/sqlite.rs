//! The SQLite ledger store: one file, WAL, full sync, append-only by trigger.
//!
//! Several processes may append to one file at once: every append runs in a
//! `BEGIN IMMEDIATE` transaction that takes the write lock first, then reads
//! the tip and checks the drafts, so the chain stays one chain.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::project::{HourLine, HourQuery, hour_lines};
use super::store::{kept_source, source_to_keep};
use super::{
    Draft, Entry, EntryHash, EntryKind, LedgerError, LedgerStore, Lookup, MemberState, RawEntry,
    StoredText, check, hex_text, seal_each, stored_kind,
};
use crate::score::{ScorerId, ScorerKind};

/// Bytes a ledger's WAL file is cut back to once a large write is
/// checkpointed (`PRAGMA journal_size_limit`).
pub const WAL_SIZE_LIMIT: i64 = 8 << 20;

/// Bytes in a page of a ledger file this Muster creates; an existing file
/// keeps its own.
const PAGE_SIZE: i64 = 32 << 10;

/// WAL bytes at which SQLite checkpoints it into the file
/// (`PRAGMA wal_autocheckpoint`, set in pages of the file's size).
const CHECKPOINT_BYTES: i64 = 4_096_000;

/// The newest schema version this Muster reads and writes, kept in
/// `PRAGMA user_version`.
///
/// Versions 1 and 2 made the tables; a file is brought up to 2
/// when it is opened. Versions above mark entries that a Muster reading up
/// to the version before cannot read, and a file is raised to one only
/// when such an entry is written into it, so that an
/// older Muster can go on reading a ledger this one has only opened:
///
/// - 3: a `score_computed` entry keeps its scenario's terms and refers to
///   its run instead of holding the whole input;
/// - 4: a `scores_computed` entry holds many runs' scores.
pub const SCHEMA_VERSION: i64 = 4;

/// Table migrations: `TABLES[i]` takes the tables from version `i` to `i + 1`.
const TABLES: &[&str] = &[
    r#"
CREATE TABLE entries (
    seq      INTEGER PRIMARY KEY,
    prev     TEXT NOT NULL,
    hash     TEXT NOT NULL,
    at       TEXT NOT NULL,
    at_ms    INTEGER NOT NULL,
    author   TEXT NOT NULL,
    kind     TEXT NOT NULL,
    subject  TEXT,
    scenario TEXT,
    corrects INTEGER,
    category TEXT,
    hours    REAL,
    body     TEXT NOT NULL
) STRICT;
CREATE INDEX entries_subject ON entries(subject) WHERE subject IS NOT NULL;
CREATE INDEX entries_membership ON entries(subject)
    WHERE kind IN ('member_joined', 'member_left');
CREATE INDEX entries_hours ON entries(subject, at_ms, category, hours, kind)
    WHERE kind = 'training_attended';
CREATE INDEX entries_scenario ON entries(scenario) WHERE scenario IS NOT NULL;
CREATE INDEX entries_corrects ON entries(corrects) WHERE corrects IS NOT NULL;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: entries cannot be changed'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: entries cannot be deleted'); END;
"#,
    r#"
CREATE TABLE scorer_sources (
    hash  TEXT PRIMARY KEY,
    kind  TEXT NOT NULL,
    name  TEXT NOT NULL,
    bytes BLOB NOT NULL
) STRICT;
CREATE TRIGGER scorer_sources_no_update BEFORE UPDATE ON scorer_sources
BEGIN SELECT RAISE(ABORT, 'scorer sources are kept as they were: they cannot be changed'); END;
CREATE TRIGGER scorer_sources_no_delete BEFORE DELETE ON scorer_sources
BEGIN SELECT RAISE(ABORT, 'scorer sources are kept as they were: they cannot be deleted'); END;
"#,
];

/// The schema version a file must have to hold `kind` (see [`SCHEMA_VERSION`]).
fn needed_version(kind: &EntryKind) -> i64 {
    match kind {
        EntryKind::ScoresComputed { .. } => 4,
        EntryKind::ScoreComputed { terms: Some(_), .. } => 3,
        _ => TABLES.len() as i64,
    }
}

fn storage(e: rusqlite::Error) -> LedgerError {
    LedgerError::Storage(e.to_string())
}

/// A ledger in a SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens the ledger at `path`, creating the file and schema on first use
    /// and migrating an older schema.
    pub fn open(path: &Path) -> Result<SqliteStore, LedgerError> {
        SqliteStore::setup(Connection::open(path).map_err(storage)?)
    }

    /// A ledger in a private in-memory database.
    pub fn open_in_memory() -> Result<SqliteStore, LedgerError> {
        SqliteStore::setup(Connection::open_in_memory().map_err(storage)?)
    }

    fn setup(mut conn: Connection) -> Result<SqliteStore, LedgerError> {
        // Pages of a new ledger are 32 KiB (SQLite's default is 4 KiB); an
        // existing file keeps the size it was made with. A write as large as
        // a season's re-score spills pages to the WAL before it commits, and
        // each spilled page is looked up among the frames the write has made
        // so far, so the write slows with the square of its frame count;
        // larger pages make eight times fewer frames. Must come before the
        // WAL mode, which fixes the page size of a new file.
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(storage)?;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(storage)?;
        // Without the query planner stability guarantee, SQLite re-plans a
        // statement whenever a bound value meets a partial index's WHERE
        // clause; that re-preparation was most of the cost of an append.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(storage)?;
        // journal_mode answers with a row, so it is read rather than set.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(storage)?;
        write_settings(&conn).map_err(storage)?;
        // Reads of a long chain (verify, replay, exports) map the file
        // rather than copying every page through read calls.
        // (An in-memory database answers with no row, so none is read.)
        conn.execute_batch("PRAGMA mmap_size=268435456")
            .map_err(storage)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let found: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(storage)?;
        if found > SCHEMA_VERSION {
            return Err(LedgerError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for (from, sql) in TABLES.iter().enumerate().skip(found.max(0) as usize) {
            tx.execute_batch(sql).map_err(storage)?;
            tx.pragma_update(None, "user_version", from as i64 + 1)
                .map_err(storage)?;
        }
        tx.commit().map_err(storage)?;
        Ok(SqliteStore { conn })
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, LedgerError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(storage)
    }
}

/// The settings a ledger's connection writes under: full durability, a
/// page cache, its checkpoint interval and WAL limit. Public, hidden from
/// the docs, so that the benchmarks' raw-SQLite peer writes under the same.
#[doc(hidden)]
pub fn write_settings(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "synchronous", "FULL")?;
    // 32 MiB of page cache (SQLite's default is 2 MiB): a big append
    // otherwise spills pages to the WAL before it commits.
    conn.pragma_update(None, "cache_size", -32_768)?;
    // A write holds its pages in the WAL until it commits, so a season's
    // re-score grows the WAL to the size of the season. The checkpoint
    // after the commit copies them into the file, but the WAL file keeps
    // its size until the connection closes; with this limit the next
    // write cuts it back to 8 MiB (about twice what SQLite's own
    // checkpoints let it reach otherwise).
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    // SQLite checkpoints the WAL once it holds this many pages; kept at
    // the 4 MiB of SQLite's default (1,000 pages of 4 KiB) whatever the
    // file's page size.
    let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    conn.pragma_update(None, "wal_autocheckpoint", CHECKPOINT_BYTES / page.max(512))?;
    Ok(())
}

/// [`Lookup`] over the open write transaction. Member states are remembered
/// for the rest of one append until a draft that can change them (a join, a
/// leave or a correction) is written: a day's attendance names the same few
/// members over and over.
struct SqlLookup<'a> {
    conn: &'a Connection,
    members: HashMap<String, Option<MemberState>>,
    /// The kinds of the stored entries a scan inside this write has just
    /// read, from entry `read_from` on, so that drafts naming them need not
    /// look them up again. A scan reads entries in order, so the kinds of
    /// the entries it has read are a run of numbers.
    read: Vec<Cow<'static, str>>,
    read_from: u64,
}

/// Most entry kinds [`SqlLookup`] keeps from a scan; then it keeps the
/// newer half.
const READ_KINDS: usize = 1 << 16;

impl<'a> SqlLookup<'a> {
    fn new(conn: &'a Connection) -> SqlLookup<'a> {
        SqlLookup {
            conn,
            members: HashMap::new(),
            read: Vec::new(),
            read_from: 0,
        }
    }

    /// Remembers the kind of stored entry `seq`, just read.
    fn was_read(&mut self, seq: u64, kind: Cow<'static, str>) {
        if self.read_from + self.read.len() as u64 != seq {
            self.read.clear();
            self.read_from = seq;
        } else if self.read.len() >= READ_KINDS {
            // The older half goes; drafts name the runs read last.
            self.read.drain(..READ_KINDS / 2);
            self.read_from += (READ_KINDS / 2) as u64;
        }
        self.read.push(kind);
    }

    /// Forgets remembered member states if `kind` can change them.
    fn written(&mut self, kind: &EntryKind) {
        if matches!(
            kind,
            EntryKind::MemberJoined { .. }
                | EntryKind::MemberLeft { .. }
                | EntryKind::Correction { .. }
        ) {
            self.members.clear();
        }
    }
}

/// Sequence numbers are stored as SQLite integers; they never exceed `i64::MAX`.
fn sql_seq(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn seq_of(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    let v: i64 = r.get(i)?;
    u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
}

const NOT_CORRECTED: &str = "NOT EXISTS (SELECT 1 FROM entries c WHERE c.corrects = e.seq)";

impl Lookup for SqlLookup<'_> {
    fn member(&mut self, id: &str) -> Result<Option<MemberState>, LedgerError> {
        if let Some(state) = self.members.get(id) {
            return Ok(*state);
        }
        let sql = format!(
            "SELECT seq, kind FROM entries e INDEXED BY entries_membership WHERE subject = ?1 \
             AND kind IN ('member_joined', 'member_left') AND {NOT_CORRECTED} \
             ORDER BY seq DESC LIMIT 1"
        );
        let row: Option<(u64, String)> = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_row([id], |r| Ok((seq_of(r, 0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(storage)?;
        let state = row.map(|(seq, kind)| {
            if kind == "member_left" {
                MemberState::Left(seq)
            } else {
                MemberState::Active(seq)
            }
        });
        self.members.insert(id.to_string(), state);
        Ok(state)
    }

    fn scenario(
        &mut self,
        scenario: &str,
        version: &str,
    ) -> Result<Option<(u64, String)>, LedgerError> {
        let sql = format!(
            "SELECT seq, body FROM entries e WHERE scenario = ?1 AND {NOT_CORRECTED} \
             ORDER BY seq LIMIT 1"
        );
        let row: Option<(u64, String)> = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_row([format!("{scenario}@{version}")], |r| {
                    Ok((seq_of(r, 0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(storage)?;
        let Some((seq, body)) = row else {
            return Ok(None);
        };
        match serde_json::from_str(&body) {
            Ok(EntryKind::ScenarioRegistered { package_hash, .. }) => Ok(Some((seq, package_hash))),
            _ => Err(LedgerError::Corrupt {
                seq,
                message: "not a readable scenario_registered entry".into(),
            }),
        }
    }

    fn kind_of(&mut self, seq: u64) -> Result<Option<Cow<'static, str>>, LedgerError> {
        let read = seq
            .checked_sub(self.read_from)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.read.get(i));
        if let Some(kind) = read {
            return Ok(Some(kind.clone()));
        }
        self.conn
            .prepare_cached("SELECT kind FROM entries WHERE seq = ?1")
            .and_then(|mut s| {
                s.query_row([sql_seq(seq)], |r| {
                    r.get_ref(0)?.as_str().map(stored_kind).map_err(Into::into)
                })
                .optional()
            })
            .map_err(storage)
    }

    fn corrected_by(&mut self, seq: u64) -> Result<Option<u64>, LedgerError> {
        self.conn
            .prepare_cached("SELECT seq FROM entries WHERE corrects = ?1 LIMIT 1")
            .and_then(|mut s| s.query_row([sql_seq(seq)], |r| seq_of(r, 0)).optional())
            .map_err(storage)
    }
}

/// A row of [`SELECT_RAW`] as a [`RawEntry`]; its hashes are decoded from
/// the row's text in place.
fn raw_of(r: &rusqlite::Row<'_>) -> Result<RawEntry, LedgerError> {
    let seq = seq_of(r, 0).map_err(storage)?;
    let hash = |i: usize, what: &str| -> Result<EntryHash, LedgerError> {
        let text = r
            .get_ref(i)
            .and_then(|v| v.as_str().map_err(Into::into))
            .map_err(storage)?;
        EntryHash::from_hex(text).ok_or_else(|| LedgerError::Corrupt {
            seq,
            message: format!("the {what} hash `{text}` is not 64 hex digits"),
        })
    };
    Ok(RawEntry {
        seq,
        prev: hash(1, "previous")?,
        hash: hash(2, "entry")?,
        at: r.get(3).map_err(storage)?,
        author: r.get(4).map_err(storage)?,
        body: r.get(5).map_err(storage)?,
    })
}

const SELECT_RAW: &str = "SELECT seq, prev, hash, at, author, body FROM entries";

const INSERT_ENTRY: &str = "INSERT INTO entries (seq, prev, hash, at, at_ms, author, kind, \
     subject, scenario, corrects, category, hours, body) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/// The last entry's number and hash, read inside a write.
fn tip_of(tx: &Connection) -> Result<(u64, EntryHash), LedgerError> {
    let tip: Option<(u64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((seq_of(r, 0)?, r.get(1)?)),
        )
        .optional()
        .map_err(storage)?;
    match tip {
        Some((seq, hash)) => Ok((
            seq,
            EntryHash::from_hex(&hash).ok_or_else(|| LedgerError::Corrupt {
                seq,
                message: "the last entry's hash is not 64 hex digits".into(),
            })?,
        )),
        None => Ok((0, EntryHash::GENESIS)),
    }
}

/// Checks, seals and inserts drafts inside one write, after the entry the
/// write started from.
struct Writer<'t> {
    insert: rusqlite::CachedStatement<'t>,
    look: SqlLookup<'t>,
    /// The file's schema version, raised inside the write when a draft
    /// needs it ([`needed_version`]).
    version: i64,
    /// The last entry written or found.
    seq: u64,
    prev: EntryHash,
}

impl<'t> Writer<'t> {
    fn new(tx: &'t Connection, seq: u64, prev: EntryHash) -> Result<Writer<'t>, LedgerError> {
        Ok(Writer {
            insert: tx.prepare_cached(INSERT_ENTRY).map_err(storage)?,
            look: SqlLookup::new(tx),
            version: tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(storage)?,
            seq,
            prev,
        })
    }

    /// Writes `drafts` in order, handing each entry written to `out`.
    fn write(
        &mut self,
        drafts: &[Draft],
        out: &mut dyn FnMut(RawEntry),
    ) -> Result<(), LedgerError> {
        seal_each(drafts, |d, at, body| {
            let seq = self.seq + 1;
            check(seq, d, &mut self.look)?;
            self.look.written(&d.entry);
            let raw = RawEntry::seal_text(seq, self.prev, &d.author, at, body);
            let k = &d.entry;
            let needs = needed_version(k);
            if needs > self.version {
                // In the write: abandoned, the file keeps its version.
                self.look
                    .conn
                    .pragma_update(None, "user_version", needs)
                    .map_err(storage)?;
                self.version = needs;
            }
            let scenario = match k {
                EntryKind::ScenarioRegistered {
                    scenario, version, ..
                } => Some(format!("{scenario}@{version}")),
                _ => None,
            };
            let corrects = match k {
                EntryKind::Correction { reverses, .. } => Some(*reverses),
                _ => None,
            };
            let (category, hours) = match k {
                EntryKind::TrainingAttended {
                    category, hours, ..
                } => (Some(category.as_str()), Some(*hours)),
                _ => (None, None),
            };
            let (prev, hash) = (raw.prev.hex_bytes(), raw.hash.hex_bytes());
            self.insert
                .execute(params![
                    sql_seq(seq),
                    hex_text(&prev),
                    hex_text(&hash),
                    raw.at,
                    d.at.timestamp_millis(),
                    raw.author,
                    k.name(),
                    k.subject(),
                    scenario,
                    corrects.map(sql_seq),
                    category,
                    hours,
                    raw.body,
                ])
                .map_err(storage)?;
            self.seq = seq;
            self.prev = raw.hash;
            out(raw);
            Ok(())
        })
    }
}

/// Rows a [`read_aside`] thread hands over at a time.
const READ_ASIDE_CHUNK: usize = 1024;

/// The entries from `from` to `tip`, bounded so that a scan inside a write
/// never meets what the write adds.
const SELECT_RANGE: &str = "SELECT seq, prev, hash, at, author, body, kind FROM entries \
     WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq";

/// A row of [`SELECT_RANGE`], borrowed from the row: the entry's text and
/// its kind. Its hashes are checked to be 64 hex digits.
fn range_row<'r>(
    r: &'r rusqlite::Row<'_>,
) -> Result<(StoredText<'r>, Cow<'static, str>), LedgerError> {
    let seq = seq_of(r, 0).map_err(storage)?;
    let text = |i: usize| -> Result<&'r str, LedgerError> {
        r.get_ref(i)
            .and_then(|v| v.as_str().map_err(Into::into))
            .map_err(storage)
    };
    let hash = |i: usize, what: &str| -> Result<&'r str, LedgerError> {
        let hex = text(i)?;
        match EntryHash::from_hex(hex) {
            Some(_) => Ok(hex),
            None => Err(LedgerError::Corrupt {
                seq,
                message: format!("the {what} hash `{hex}` is not 64 hex digits"),
            }),
        }
    };
    let entry = StoredText {
        seq,
        prev: hash(1, "previous")?,
        hash: hash(2, "entry")?,
        at: text(3)?,
        author: text(4)?,
        body: text(5)?,
    };
    Ok((entry, stored_kind(text(6)?)))
}

/// Takes a row read by a scan inside a write (the entry's text, lent for
/// the call, and its kind); false to stop.
type TakeRow<'f> = dyn FnMut(StoredText<'_>, Cow<'static, str>) -> Result<bool, LedgerError> + 'f;

/// Hands `take` the entries from `from` to `tip`, read on `conn`, until it
/// returns false; returns whether every entry went.
fn read_range(
    conn: &Connection,
    from: u64,
    tip: u64,
    take: &mut TakeRow<'_>,
) -> Result<bool, LedgerError> {
    let mut select = conn.prepare(SELECT_RANGE).map_err(storage)?;
    let mut rows = select
        .query([sql_seq(from), sql_seq(tip)])
        .map_err(storage)?;
    while let Some(r) = rows.next().map_err(storage)? {
        let (entry, kind) = range_row(r)?;
        if !take(entry, kind)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Rows read by a [`read_aside`] thread, their text kept in one buffer so
/// that a row costs no allocation of its own: the reading thread fills a
/// chunk, the writer's thread lends its rows out and sends it back to be
/// filled again.
#[derive(Default)]
struct TextChunk {
    /// The rows' columns, one after another.
    text: String,
    /// Each row: its number, its kind and where its columns end in `text`
    /// (prev, hash, at, author, body).
    rows: Vec<(u64, Cow<'static, str>, [u32; 5])>,
}

impl TextChunk {
    /// Adds a row, copying its text. Fails only for a chunk past 4 GiB,
    /// which [`READ_ASIDE_CHUNK`] rows of a ledger cannot reach.
    fn push(&mut self, row: StoredText<'_>, kind: Cow<'static, str>) -> Result<(), LedgerError> {
        let mut ends = [0u32; 5];
        for (end, column) in ends
            .iter_mut()
            .zip([row.prev, row.hash, row.at, row.author, row.body])
        {
            self.text.push_str(column);
            *end = u32::try_from(self.text.len()).map_err(|_| LedgerError::Corrupt {
                seq: row.seq,
                message: "the rows read at once pass 4 GiB".into(),
            })?;
        }
        self.rows.push((row.seq, kind, ends));
        Ok(())
    }

    /// Lends each row in turn to `take`, until it returns false.
    fn lend(&self, take: &mut TakeRow<'_>) -> Result<bool, LedgerError> {
        let mut start = 0;
        for (seq, kind, ends) in &self.rows {
            let mut columns = ends.iter().map(|&end| {
                let column = &self.text[start..end as usize];
                start = end as usize;
                column
            });
            let mut next = || columns.next().unwrap_or_default();
            let entry = StoredText {
                seq: *seq,
                prev: next(),
                hash: next(),
                at: next(),
                author: next(),
                body: next(),
            };
            if !take(entry, kind.clone())? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn clear(&mut self) {
        self.text.clear();
        self.rows.clear();
    }
}

/// [`read_range`] on another thread, through a read-only connection of the
/// file at `path` whose snapshot is the ledger as the write found it: the
/// reading is off the writer's thread, and SQLite looks the pages it reads
/// up in the WAL as of that snapshot, not through every frame the write has
/// added since.
fn read_aside(
    path: &str,
    from: u64,
    tip: u64,
    take: &mut TakeRow<'_>,
) -> Result<bool, LedgerError> {
    /// Chunks in flight between the two threads.
    const CHUNKS: usize = 8;
    std::thread::scope(|s| {
        let (rows, got) = std::sync::mpsc::sync_channel::<Result<TextChunk, LedgerError>>(CHUNKS);
        // Chunks taken go back to be filled again, keeping their buffers.
        let (used, empty) = std::sync::mpsc::sync_channel::<TextChunk>(CHUNKS + 1);
        s.spawn(move || {
            let read = || -> Result<(), LedgerError> {
                let conn = Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(storage)?;
                conn.execute_batch("PRAGMA mmap_size=268435456")
                    .map_err(storage)?;
                let mut chunk = TextChunk::default();
                read_range(&conn, from, tip, &mut |row, kind| {
                    chunk.push(row, kind)?;
                    if chunk.rows.len() < READ_ASIDE_CHUNK {
                        return Ok(true);
                    }
                    let mut next = empty.try_recv().unwrap_or_default();
                    next.clear();
                    let full = std::mem::replace(&mut chunk, next);
                    // Fails when the writer has stopped taking rows.
                    Ok(rows.send(Ok(full)).is_ok())
                })?;
                if !chunk.rows.is_empty() {
                    let _ = rows.send(Ok(chunk));
                }
                Ok(())
            };
            if let Err(e) = read() {
                let _ = rows.send(Err(e));
            }
        });
        // Returning drops `got`, which stops the reading thread.
        for chunk in &got {
            let chunk = chunk?;
            if !chunk.lend(take)? {
                return Ok(false);
            }
            // Fails when the reading thread is done; the chunk goes here.
            let _ = used.try_send(chunk);
        }
        Ok(true)
    })
}

impl LedgerStore for SqliteStore {
    fn append_after(
        &mut self,
        last: Option<u64>,
        drafts: &[Draft],
    ) -> Result<Vec<RawEntry>, LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let (seq, prev) = tip_of(&tx)?;
        if let Some(expected) = last.filter(|&e| e != seq) {
            return Err(LedgerError::Moved {
                expected,
                found: seq,
            });
        }
        let mut out = Vec::with_capacity(drafts.len());
        Writer::new(&tx, seq, prev)?.write(drafts, &mut |raw| out.push(raw))?;
        tx.commit().map_err(storage)?;
        Ok(out)
    }

    fn scan_append(
        &mut self,
        from: u64,
        f: &mut dyn FnMut(Option<StoredText<'_>>) -> Option<Vec<Draft>>,
    ) -> Result<Option<(u64, u64)>, LedgerError> {
        // A file is read on a connection of its own; an in-memory ledger
        // has no other connection to read it.
        let file = self
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let (tip, prev) = tip_of(&tx)?;
        let mut writer = Writer::new(&tx, tip, prev)?;
        let finished = std::thread::scope(|s| -> Result<bool, LedgerError> {
            // Letting go of the drafts written is a good part of the
            // writer's time; another thread does it.
            let (bin, garbage) = std::sync::mpsc::sync_channel::<Vec<Draft>>(4);
            s.spawn(move || garbage.into_iter().for_each(drop));
            let mut take = |read: Option<(StoredText<'_>, Cow<'static, str>)>| {
                let entry = read.map(|(entry, kind)| {
                    writer.look.was_read(entry.seq, kind);
                    entry
                });
                let Some(drafts) = f(entry) else {
                    return Ok(false);
                };
                if !drafts.is_empty() {
                    writer.write(&drafts, &mut drop)?;
                    // Fails only when the other thread is gone; then they go here.
                    let _ = bin.send(drafts);
                }
                Ok(true)
            };
            let done = match &file {
                Some(path) => {
                    read_aside(path, from, tip, &mut |row, kind| take(Some((row, kind))))?
                }
                None => read_range(&tx, from, tip, &mut |row, kind| take(Some((row, kind))))?,
            };
            Ok(done && take(None)?)
        })?;
        // Abandoned: the write is rolled back when dropped.
        if !finished {
            return Ok(None);
        }
        let last = writer.seq;
        drop(writer);
        tx.commit().map_err(storage)?;
        Ok((last > tip).then_some((tip + 1, last)))
    }

    fn get(&self, seq: u64) -> Result<Option<RawEntry>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_RAW} WHERE seq = ?1"))
            .map_err(storage)?;
        let mut rows = stmt.query([sql_seq(seq)]).map_err(storage)?;
        rows.next().map_err(storage)?.map(raw_of).transpose()
    }

    fn scan(&self, from: u64, f: &mut dyn FnMut(RawEntry) -> bool) -> Result<(), LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_RAW} WHERE seq >= ?1 ORDER BY seq"))
            .map_err(storage)?;
        let mut rows = stmt.query([sql_seq(from)]).map_err(storage)?;
        while let Some(r) = rows.next().map_err(storage)? {
            if !f(raw_of(r)?) {
                break;
            }
        }
        Ok(())
    }

    fn scan_text(
        &self,
        from: u64,
        f: &mut dyn FnMut(StoredText<'_>) -> bool,
    ) -> Result<(), LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_RAW} WHERE seq >= ?1 ORDER BY seq"))
            .map_err(storage)?;
        let mut rows = stmt.query([sql_seq(from)]).map_err(storage)?;
        while let Some(r) = rows.next().map_err(storage)? {
            let seq = seq_of(r, 0).map_err(storage)?;
            let text = |i: usize| -> Result<&str, LedgerError> {
                r.get_ref(i)
                    .and_then(|v| v.as_str().map_err(Into::into))
                    .map_err(|e| LedgerError::Corrupt {
                        seq,
                        message: format!("column {i} is not text: {e}"),
                    })
            };
            let entry = StoredText {
                seq,
                prev: text(1)?,
                hash: text(2)?,
                at: text(3)?,
                author: text(4)?,
                body: text(5)?,
            };
            if !f(entry) {
                break;
            }
        }
        Ok(())
    }

    fn tip(&self) -> Result<Option<(u64, EntryHash)>, LedgerError> {
        let row: Option<(u64, String)> = self
            .conn
            .query_row(
                "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((seq_of(r, 0)?, r.get(1)?)),
            )
            .optional()
            .map_err(storage)?;
        row.map(|(seq, hash)| {
            EntryHash::from_hex(&hash)
                .map(|h| (seq, h))
                .ok_or_else(|| LedgerError::Corrupt {
                    seq,
                    message: "the entry hash is not 64 hex digits".into(),
                })
        })
        .transpose()
    }

    fn member_entries(&self, member: &str) -> Result<Vec<Entry>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_RAW} WHERE subject = ?1 ORDER BY seq"))
            .map_err(storage)?;
        let mut rows = stmt.query([member]).map_err(storage)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(storage)? {
            out.push(raw_of(r)?.parse()?);
        }
        Ok(out)
    }

    fn keep_source(&mut self, id: &ScorerId, bytes: &[u8]) -> Result<(), LedgerError> {
        source_to_keep(id, bytes)?;
        let kind = match id.kind {
            ScorerKind::Rhai => "rhai",
            ScorerKind::Wasm => "wasm",
            ScorerKind::Native => "native",
        };
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO scorer_sources (hash, kind, name, bytes) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![id.hash, kind, id.name, bytes]))
            .map_err(storage)?;
        Ok(())
    }

    fn source(&self, hash: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT bytes FROM scorer_sources WHERE hash = ?1")
            .and_then(|mut s| s.query_row([hash], |r| r.get(0)).optional())
            .map_err(storage)?;
        bytes.map(|b| kept_source(hash, b)).transpose()
    }

    fn source_hashes(&self) -> Result<Vec<String>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hash FROM scorer_sources ORDER BY hash")
            .map_err(storage)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(storage)?;
        rows.collect::<Result<_, _>>().map_err(storage)
    }

    fn corrected(&self) -> Result<BTreeSet<u64>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT corrects FROM entries WHERE corrects IS NOT NULL")
            .map_err(storage)?;
        let rows = stmt.query_map([], |r| seq_of(r, 0)).map_err(storage)?;
        rows.collect::<Result<_, _>>().map_err(storage)
    }

    fn hours(&self, query: &HourQuery) -> Result<Vec<HourLine>, LedgerError> {
        let Some(member) = &query.member else {
            return hour_lines(&self.entries()?, &self.corrected()?, query);
        };
        // The member's training rows straight from a covering index, without
        // parsing bodies; summed in entry order like the other stores.
        let corrected = self.corrected()?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, category, hours FROM entries INDEXED BY entries_hours \
                 WHERE kind = 'training_attended' AND subject = ?1 \
                 AND at_ms >= ?2 AND at_ms < ?3",
            )
            .map_err(storage)?;
        let from = query.from.map_or(i64::MIN, |t| t.timestamp_millis());
        let to = query.to.map_or(i64::MAX, |t| t.timestamp_millis());
        // Categories are few: each row names its category by index, so a
        // year of a member's sessions allocates no string per row.
        let mut categories: Vec<String> = Vec::new();
        let mut rows: Vec<(u64, usize, f64)> = Vec::new();
        let mut found = stmt.query(params![member, from, to]).map_err(storage)?;
        while let Some(r) = found.next().map_err(storage)? {
            let seq = seq_of(r, 0).map_err(storage)?;
            let category = r
                .get_ref(1)
                .and_then(|v| v.as_str().map_err(Into::into))
                .map_err(storage)?;
            if query.category.as_deref().is_some_and(|c| c != category) {
                continue;
            }
            let index = match categories.iter().position(|c| c == category) {
                Some(i) => i,
                None => {
                    categories.push(category.to_string());
                    categories.len() - 1
                }
            };
            rows.push((seq, index, r.get(2).map_err(storage)?));
        }
        rows.sort_unstable_by_key(|r| r.0);
        let mut sums = vec![(0.0f64, 0u64); categories.len()];
        for (seq, index, hours) in rows {
            if !corrected.contains(&seq) {
                sums[index].0 += hours;
                sums[index].1 += 1;
            }
        }
        let mut lines: Vec<HourLine> = categories
            .into_iter()
            .zip(sums)
            .filter(|(_, (_, sessions))| *sessions > 0)
            .map(|(category, (hours, sessions))| HourLine {
                member: member.clone(),
                category,
                hours,
                sessions,
            })
            .collect();
        lines.sort_by(|a, b| a.category.cmp(&b.category));
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scans_kinds_are_kept_for_the_entries_read_last() {
        let conn = Connection::open_in_memory().expect("open");
        // What a kind not kept is looked up in: every entry reads as `asked`.
        conn.execute_batch(
            "CREATE TABLE entries (seq INTEGER PRIMARY KEY, kind TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 90000)
             INSERT INTO entries SELECT i, 'asked' FROM n;",
        )
        .expect("table");
        let mut look = SqlLookup::new(&conn);
        let kind = |look: &mut SqlLookup<'_>, seq| look.kind_of(seq).expect("kind").expect("kept");
        for seq in 1..=70_000 {
            look.was_read(seq, "drill_run".into());
        }
        // The newer half of the first 65,536 and all read after them.
        for seq in [32_769, 40_000, 65_536, 70_000] {
            assert_eq!(kind(&mut look, seq), "drill_run", "entry {seq}");
        }
        for seq in [1, 32_768, 70_001] {
            assert_eq!(kind(&mut look, seq), "asked", "entry {seq}");
        }
        // A scan that starts again elsewhere keeps from there.
        look.was_read(80_000, "scores_computed".into());
        assert_eq!(kind(&mut look, 80_000), "scores_computed");
        assert_eq!(kind(&mut look, 69_999), "asked");
    }
}
