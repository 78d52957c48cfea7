//! `Ledger.keep_source` and `Ledger.replay` through the facade: a score by a
//! package that is then deleted replays from the source the ledger kept,
//! and without it is reported as unresolved.

use muster_core::ledger::{Draft, EntryKind, LedgerStore, SqliteStore};
use muster_core::{DrillRecord, Format, ScoreInput};
use std::sync::Arc;

use muster_ffi::{Ledger, Package};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scenarios/packages/forest-fire-initial-attack"
);

/// A ledger at `db` holding one drill run of the example and its score by
/// the package at `package`.
fn scored_ledger(db: &std::path::Path, package: &std::path::Path) {
    let p = muster_plugins::Package::open(package).unwrap();
    let s = p.scenario();
    let text = std::fs::read_to_string(format!("{EXAMPLE}/record-nantang.json")).unwrap();
    let record = DrillRecord::parse("record-nantang.json", &text, Format::Json, s).unwrap();
    let input = ScoreInput::new(s, &record);
    let card = p.score("record-nantang.json", &text).unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T08:00:00+08:00").unwrap();
    let d = |kind| Draft::new("m001", at, kind);
    let mut store = SqliteStore::open(db).unwrap();
    store
        .append(&[
            d(EntryKind::MemberJoined {
                member: "m001".into(),
                name: "Li".into(),
                squadron: "nantang".into(),
                speciality: "forest-fire".into(),
            }),
            d(EntryKind::ScenarioRegistered {
                scenario: s.meta().id.clone(),
                version: s.meta().version.to_string(),
                package_hash: "sha256:pkg".into(),
            }),
            d(EntryKind::DrillRun {
                scenario: s.meta().id.clone(),
                version: s.meta().version.to_string(),
                package_hash: "sha256:pkg".into(),
                members: vec!["m001".into()],
                record,
            }),
            d(EntryKind::ScoreComputed {
                run: 3,
                scorer: card.scorer.clone(),
                params: p.params().clone(),
                runtime: "test".into(),
                input: None,
                terms: Some(input.terms()),
                card,
            }),
        ])
        .unwrap();
}

#[test]
fn a_kept_source_replays_after_its_package_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("my-drill");
    std::fs::create_dir(&package).unwrap();
    for f in ["scenario.toml", "score.rhai"] {
        std::fs::copy(format!("{EXAMPLE}/{f}"), package.join(f)).unwrap();
    }
    let script = std::fs::read_to_string(package.join("score.rhai")).unwrap();
    std::fs::write(package.join("score.rhai"), format!("// our copy\n{script}")).unwrap();

    let kept = dir.path().join("kept.db");
    let bare = dir.path().join("bare.db");
    scored_ledger(&kept, &package);
    scored_ledger(&bare, &package);
    let ledger = Ledger::open(kept.display().to_string()).unwrap();
    ledger
        .keep_source(Package::open(package.display().to_string()).unwrap())
        .unwrap();
    std::fs::remove_dir_all(&package).unwrap();

    let report = ledger.replay().unwrap();
    assert_eq!((report.replayed, report.identical), (1, 1), "{report:?}");
    assert!(
        report.differences.is_empty() && report.unresolved.is_empty() && report.failed.is_empty()
    );
    let v = ledger.verify().unwrap();
    assert_eq!((v.entries, v.sources, v.problem), (4, 1, None));

    // Re-scored with the built-in package: one more score, its source kept.
    let builtin = Package::open("forest-fire.initial-attack".into()).unwrap();
    let err = ledger
        .rescore(Arc::clone(&builtin), "m001".into(), "yesterday".into())
        .unwrap_err();
    assert_eq!(
        err.message(),
        "at `yesterday` is not an RFC 3339 time (premature end of input); write e.g. 2026-12-01T08:00:00+08:00"
    );
    let summary = ledger
        .rescore(builtin, "m001".into(), "2026-12-02T08:00:00+08:00".into())
        .unwrap();
    assert_eq!(
        (summary.runs, summary.first_entry, summary.last_entry),
        (1, Some(5), Some(5))
    );
    assert!(summary.failed.is_empty());
    let v = ledger.verify().unwrap();
    assert_eq!((v.entries, v.sources, v.problem), (5, 2, None));
    let report = ledger.replay().unwrap();
    assert_eq!((report.replayed, report.identical), (2, 2), "{report:?}");

    let report = Ledger::open(bare.display().to_string())
        .unwrap()
        .replay()
        .unwrap();
    assert_eq!((report.replayed, report.identical), (1, 0), "{report:?}");
    assert_eq!(report.unresolved.len(), 1, "{report:?}");
    assert!(
        report.unresolved[0].starts_with("entry 4: rhai ")
            && report.unresolved[0].contains("/my-drill/score.rhai (sha256:"),
        "{report:?}"
    );
}

/// Counts the calls it gets and answers `go_on`.
struct Counting {
    calls: std::sync::Mutex<Vec<(u64, u64)>>,
    go_on: bool,
}

impl muster_ffi::ProgressListener for Counting {
    fn update(&self, done: u64, total: u64) -> Result<bool, muster_ffi::MusterError> {
        self.calls.lock().unwrap().push((done, total));
        Ok(self.go_on)
    }
}

/// `rescore_with_progress` tells the caller the entries read; a `false`
/// answer cancels it with nothing written.
#[test]
fn rescore_with_progress_reports_and_cancels() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.db");
    scored_ledger(&db, std::path::Path::new(EXAMPLE));
    let ledger = Ledger::open(db.display().to_string()).unwrap();
    let builtin = Package::open("forest-fire.initial-attack".into()).unwrap();
    let at = "2026-12-02T08:00:00+08:00";

    let stop = Arc::new(Counting {
        calls: Default::default(),
        go_on: false,
    });
    let err = ledger
        .rescore_with_progress(Arc::clone(&builtin), "m001".into(), at.into(), stop.clone())
        .unwrap_err();
    assert!(
        matches!(err, muster_ffi::MusterError::Cancelled { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.message(),
        format!(
            "{}: re-score cancelled after reading 4 of 4 entries; nothing was written",
            db.display()
        )
    );
    assert_eq!(*stop.calls.lock().unwrap(), vec![(4, 4)]);
    assert_eq!(ledger.verify().unwrap().entries, 4);

    let go = Arc::new(Counting {
        calls: Default::default(),
        go_on: true,
    });
    let summary = ledger
        .rescore_with_progress(builtin, "m001".into(), at.into(), go.clone())
        .unwrap();
    assert_eq!((summary.runs, summary.first_entry), (1, Some(5)));
    assert_eq!(*go.calls.lock().unwrap(), vec![(4, 4)]);
    assert_eq!(ledger.verify().unwrap().entries, 5);
}
