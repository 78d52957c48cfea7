//! Ledger speed goals, side by side with raw rusqlite:
//!
//! - durable append ≥ 20,000 entries/s, and ≥ 50% of raw batched inserts;
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
    let bodies: Vec<String> = drafts
        .iter()
        .map(|d| ledger::canonical_body(&d.entry))
        .collect();
    g.bench_function("raw rusqlite batch of 20k", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let conn = rusqlite::Connection::open(dir.path().join("raw.db")).expect("open");
                conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))
                    .expect("wal");
                conn.pragma_update(None, "synchronous", "FULL")
                    .expect("sync");
                conn.execute_batch("CREATE TABLE t (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)")
                    .expect("table");
                (dir, conn)
            },
            |(dir, mut conn)| {
                let tx = conn.transaction().expect("tx");
                {
                    let mut st = tx
                        .prepare("INSERT INTO t (body) VALUES (?1)")
                        .expect("prepare");
                    for b in &bodies {
                        st.execute([b]).expect("insert");
                    }
                }
                tx.commit().expect("commit");
                (dir, conn)
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
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
