//! Ledger speed goals, side by side with raw rusqlite:
//!
//! - durable append ≥ 20,000 entries/s, and ≥ 50% of raw batched inserts;
//!   one entry per durable write is reported beside it;
//! - one member's hours over a 1M-entry ledger ≤ 5 ms;
//! - verify of a 1M-entry ledger ≤ 2 s.
//!
//! `MUSTER_BENCH_ENTRIES` sets the size of the big ledger (default 1,000,000).

use std::time::Duration;

use chrono::DateTime;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use muster_core::ledger::{self, Draft, EntryKind, HourQuery, LedgerStore, SqliteStore};

const BATCH: usize = 20_000;

fn members() -> Vec<Draft> {
    let at = DateTime::parse_from_rfc3339("2021-01-01T08:00:00+08:00").expect("time");
    (0..80)
        .map(|i| {
            Draft::new(
                "admin",
                at,
                EntryKind::MemberJoined {
                    member: format!("m{i:03}"),
                    name: format!("Member {i}"),
                    squadron: ["nantang", "wuyun", "wangmudu"][i % 3].into(),
                    speciality: "wind-extinguisher".into(),
                },
            )
        })
        .collect()
}

fn trainings(from: usize, n: usize) -> Vec<Draft> {
    let at = DateTime::parse_from_rfc3339("2021-01-01T08:00:00+08:00").expect("time");
    (from..from + n)
        .map(|i| {
            Draft::new(
                "m000",
                at + chrono::Duration::minutes(i as i64),
                EntryKind::TrainingAttended {
                    member: format!("m{:03}", i % 80),
                    item: "daily-physical".into(),
                    category: ["physical", "water-rescue", "landslide"][i % 3].into(),
                    hours: 1.5,
                    instructor: "m000".into(),
                },
            )
        })
        .collect()
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("ledger-append");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10);
    let drafts = trainings(0, BATCH);
    g.bench_function("muster durable batch of 20k", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let mut store = SqliteStore::open(&dir.path().join("l.db")).expect("open");
                store.append(&members()).expect("members");
                (dir, store)
            },
            |(dir, mut store)| {
                store.append(&drafts).expect("append");
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });
    // The peer: the same rows, sealed beforehand, inserted by plain rusqlite
    // into the same table (same columns, indexes, triggers and page size) in one
    // transaction, on a connection with the ledger's durability, cache and
    // checkpoint settings. What is left between the two is Muster's own work per
    // entry: checking it against the ledger, its canonical body and its hash.
    let rows = sealed_rows(&drafts);
    g.bench_function("raw rusqlite batch of 20k, same rows", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let path = dir.path().join("raw.db");
                let mut store = SqliteStore::open(&path).expect("open");
                store.append(&members()).expect("members");
                drop(store);
                let conn = rusqlite::Connection::open(&path).expect("open");
                // The ledger's own durability, cache and checkpoint
                // settings: with SQLite's default checkpoint interval (1,000
                // of the file's 32 KiB pages) the peer would leave its
                // checkpoint to the close, after the timing, where the
                // ledger checkpoints inside its commit.
                ledger::write_settings(&conn).expect("settings");
                (dir, conn)
            },
            |(dir, mut conn)| {
                let tx = conn.transaction().expect("tx");
                {
                    let mut st = tx
                        .prepare(
                            "INSERT INTO entries (seq, prev, hash, at, at_ms, author, kind, \
                             subject, scenario, corrects, category, hours, body) \
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL, ?9, ?10, ?11)",
                        )
                        .expect("prepare");
                    for r in &rows {
                        st.execute(rusqlite::params![
                            r.seq, r.prev, r.hash, r.at, r.at_ms, r.author, r.kind, r.subject,
                            r.category, r.hours, r.body
                        ])
                        .expect("insert");
                    }
                }
                tx.commit().expect("commit");
                (dir, conn)
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();

    // One entry at a time, each its own durable write, as a trainer records
    // an attendance: a few pages and a sync per append.
    let mut g = c.benchmark_group("ledger-append-one");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = SqliteStore::open(&dir.path().join("one.db")).expect("open");
    store.append(&members()).expect("members");
    store
        .append(&trainings(0, BATCH))
        .expect("a ledger to add to");
    let mut next = BATCH;
    g.bench_function("muster durable single entry", |b| {
        b.iter(|| {
            store.append(&trainings(next, 1)).expect("append");
            next += 1;
        });
    });
    g.finish();
}

/// One stored row, as the ledger writes it.
struct Row {
    seq: i64,
    prev: String,
    hash: String,
    at: String,
    at_ms: i64,
    author: String,
    kind: &'static str,
    subject: Option<String>,
    category: Option<String>,
    hours: Option<f64>,
    body: String,
}

/// Seals `drafts` as the entries that follow the 80 members.
fn sealed_rows(drafts: &[Draft]) -> Vec<Row> {
    let mut store = ledger::MemoryStore::new();
    store.append(&members()).expect("members");
    let (mut seq, mut prev) = store.tip().expect("tip").expect("members written");
    drafts
        .iter()
        .map(|d| {
            seq += 1;
            let raw = ledger::RawEntry::seal(seq, prev, d);
            prev = raw.hash;
            let (category, hours) = match &d.entry {
                EntryKind::TrainingAttended {
                    category, hours, ..
                } => (Some(category.clone()), Some(*hours)),
                _ => (None, None),
            };
            Row {
                seq: seq as i64,
                prev: raw.prev.to_string(),
                hash: raw.hash.to_string(),
                at_ms: d.at.timestamp_millis(),
                kind: d.entry.name(),
                subject: d.entry.subject().map(str::to_string),
                category,
                hours,
                at: raw.at,
                author: raw.author,
                body: raw.body,
            }
        })
        .collect()
}

fn big(c: &mut Criterion) {
    let n: usize = std::env::var("MUSTER_BENCH_ENTRIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = SqliteStore::open(&dir.path().join("big.db")).expect("open");
    store.append(&members()).expect("members");
    let mut done = 0;
    while done < n {
        let k = BATCH.min(n - done);
        store.append(&trainings(done, k)).expect("append");
        done += k;
    }
    let mut g = c.benchmark_group("ledger-read");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    let q = HourQuery {
        member: Some("m042".into()),
        ..HourQuery::default()
    };
    g.bench_function(format!("one member's hours over {n} entries"), |b| {
        b.iter(|| store.hours(&q).expect("hours"))
    });
    g.bench_function(format!("verify {n} entries"), |b| {
        b.iter(|| {
            let r = ledger::verify(&store).expect("verify");
            assert!(r.problem.is_none());
            r
        })
    });
    g.finish();
}

criterion_group!(benches, append, big);
criterion_main!(benches);
