//! Several processes on one SQLite ledger: writers killed with SIGKILL, and
//! writers racing each other. Nothing reported committed may be lost, and the
//! chain must verify.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::DateTime;
use muster_core::ledger::{self, Draft, EntryKind, LedgerStore, SqliteStore};

fn setup(path: &Path) {
    let at = DateTime::parse_from_rfc3339("2021-06-01T08:00:00+08:00").expect("time");
    let member = |id: &str| {
        Draft::new(
            "admin",
            at,
            EntryKind::MemberJoined {
                member: id.into(),
                name: format!("Member {id}"),
                squadron: "nantang".into(),
                speciality: "wind-extinguisher".into(),
            },
        )
    };
    let mut store = SqliteStore::open(path).expect("open");
    store
        .append(&[member("m001"), member("m002")])
        .expect("members");
}

fn writer(db: &Path, tag: &str, count: usize, batch: usize) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ledger-writer"))
        .args([
            db.to_str().expect("utf-8 temp path"),
            tag,
            &count.to_string(),
            &batch.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the writer starts")
}

/// The `committed SEQ ITEM` lines a writer printed in full.
fn committed(child: &mut Child) -> Vec<(u64, String)> {
    let mut text = String::new();
    if let Some(out) = child.stdout.as_mut() {
        out.read_to_string(&mut text).expect("read stdout");
    }
    // A line cut by the kill has no newline and proves nothing.
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    complete
        .lines()
        .map(|l| {
            let mut parts = l.split(' ');
            assert_eq!(parts.next(), Some("committed"), "unexpected line {l:?}");
            let seq = parts.next().and_then(|s| s.parse().ok()).expect("seq");
            let item = parts.next().expect("item").to_string();
            (seq, item)
        })
        .collect()
}

/// Every training item in the ledger, by sequence number; checks the chain too.
fn ledger_items(path: &Path) -> BTreeMap<u64, String> {
    let store = SqliteStore::open(path).expect("reopen");
    let report = ledger::verify(&store).expect("verify");
    assert_eq!(report.problem, None, "the chain verifies");
    store
        .entries()
        .expect("every entry parses: none is torn")
        .into_iter()
        .filter_map(|e| match e.kind {
            EntryKind::TrainingAttended { item, .. } => Some((e.seq, item)),
            _ => None,
        })
        .collect()
}

/// A small deterministic generator for kill moments and batch sizes.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[test]
fn writers_killed_at_random_moments_lose_nothing_committed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("crash.db");
    setup(&db);
    let mut rng = XorShift(0x5eed_2021_0601);
    let mut promised: Vec<(u64, String)> = Vec::new();
    let rounds = 30;
    let mut killed_mid_run = 0;
    for round in 0..rounds {
        let batch = 1 + rng.next(8) as usize;
        let mut child = writer(&db, &format!("r{round}"), 100_000, batch);
        std::thread::sleep(Duration::from_millis(5 + rng.next(60)));
        if child.try_wait().expect("poll").is_none() {
            killed_mid_run += 1;
        }
        // Child::kill sends SIGKILL on Unix.
        let _ = child.kill();
        child.wait().expect("reap");
        promised.extend(committed(&mut child));
        let items = ledger_items(&db);
        for (seq, item) in &promised {
            assert_eq!(
                items.get(seq),
                Some(item),
                "round {round}: entry {seq} ({item}) was reported committed"
            );
        }
    }
    assert!(
        killed_mid_run >= rounds / 2,
        "most writers must be killed while still writing ({killed_mid_run} of {rounds})"
    );
    assert!(!promised.is_empty(), "the writers committed something");
}

#[test]
fn concurrent_writers_keep_one_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("shared.db");
    setup(&db);
    let plan = [("a", 60, 1), ("b", 60, 1), ("c", 60, 7), ("d", 60, 3)];
    let mut children: Vec<(&str, Child)> = plan
        .iter()
        .map(|(tag, count, batch)| (*tag, writer(&db, tag, *count, *batch)))
        .collect();
    let mut reported = Vec::new();
    for (tag, child) in &mut children {
        let lines = committed(child);
        let status = child.wait().expect("reap");
        let mut err = String::new();
        if let Some(e) = child.stderr.as_mut() {
            e.read_to_string(&mut err).expect("stderr");
        }
        assert!(status.success(), "writer {tag} failed: {err}");
        assert_eq!(lines.len(), 60, "writer {tag} committed all its entries");
        reported.extend(lines);
    }
    let items = ledger_items(&db);
    assert_eq!(items.len(), 240, "no entry lost");
    assert_eq!(items.keys().next(), Some(&3));
    assert_eq!(
        items.keys().last(),
        Some(&242),
        "one gapless chain after the two members"
    );
    for (seq, item) in reported {
        assert_eq!(items.get(&seq), Some(&item));
    }
}
