//! The ledger: refusals, tamper evidence, replay, projections, exports, roster import.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use muster_core::ledger::{
    self, Alert, Draft, EntryKind, HourQuery, LedgerStore, MemoryStore, Projection, RunScore,
    SqliteStore, Tamper, XapiOptions,
};
use muster_core::{
    DrillRecord, Format, Scenario, ScenarioTerms, ScoreCard, ScoreError, ScoreInput, Scorer,
    ScorerId, ScorerKind, TimeBonusScorer,
};

fn at(day: u32, hour: u32) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("2021-06-{day:02}T{hour:02}:00:00+08:00"))
        .expect("a valid test time")
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/ledger")
        .join(name);
    std::fs::read_to_string(&path).expect("fixture present")
}

fn draft(kind: EntryKind) -> Draft {
    Draft::new("m002", at(1, 8), kind)
}

fn joined(member: &str, squadron: &str, speciality: &str) -> Draft {
    draft(EntryKind::MemberJoined {
        member: member.into(),
        name: format!("Member {member}"),
        squadron: squadron.into(),
        speciality: speciality.into(),
    })
}

fn training(member: &str, category: &str, hours: f64, when: DateTime<FixedOffset>) -> Draft {
    Draft::new(
        "m002",
        when,
        EntryKind::TrainingAttended {
            member: member.into(),
            item: format!("{category}-drill"),
            category: category.into(),
            hours,
            instructor: "m002".into(),
        },
    )
}

fn qualification(member: &str, skill: &str, level: u8, until: Option<&str>) -> Draft {
    draft(EntryKind::QualificationGranted {
        member: member.into(),
        skill: skill.into(),
        level,
        valid_until: until.map(|d| d.parse().expect("a valid test date")),
    })
}

fn scenario() -> Scenario {
    Scenario::parse("scenario.toml", &fixture("scenario.toml"), Format::Toml)
        .expect("the fixture scenario is valid")
}

fn record(s: &Scenario) -> DrillRecord {
    DrillRecord::parse(
        "record-nantang.json",
        &fixture("record-nantang.json"),
        Format::Json,
        s,
    )
    .expect("the fixture record is valid")
}

fn registered() -> Draft {
    draft(EntryKind::ScenarioRegistered {
        scenario: "forest-fire.initial-attack".into(),
        version: "1.0.0".into(),
        package_hash: "sha256:pkg".into(),
    })
}

fn drill_run(members: &[&str]) -> Draft {
    let s = scenario();
    draft(EntryKind::DrillRun {
        scenario: "forest-fire.initial-attack".into(),
        version: "1.0.0".into(),
        package_hash: "sha256:pkg".into(),
        members: members.iter().map(|m| m.to_string()).collect(),
        record: record(&s),
    })
}

/// A score of the fixture's run (entry `run`) by the native rule, keeping
/// the scenario's terms as Muster writes it.
fn score(run: u64) -> Draft {
    let mut d = score_with_input(run);
    if let EntryKind::ScoreComputed { input, terms, .. } = &mut d.entry {
        *terms = input.take().map(|i| i.terms());
    }
    d
}

/// [`score`] holding the whole input, as scores were written before
/// 2026-12-02 and as an app's draft may give it.
fn score_with_input(run: u64) -> Draft {
    let s = scenario();
    let input = ScoreInput::new(&s, &record(&s));
    let params = s.scoring().params.clone();
    let scorer = TimeBonusScorer::default();
    let card = scorer
        .score(&input, &params)
        .expect("the native scorer scores the fixture");
    draft(EntryKind::ScoreComputed {
        run,
        scorer: scorer.id().clone(),
        params,
        runtime: "native".into(),
        input: Some(Box::new(input)),
        terms: None,
        card,
    })
}

/// Three members (two in Nantang, one in Wuyun) and the registered scenario: entries 1 to 4.
fn base() -> Vec<Draft> {
    vec![
        joined("m001", "nantang", "wind-extinguisher"),
        joined("m002", "nantang", "hand-tools"),
        joined("m003", "wuyun", "assault-boat"),
        registered(),
    ]
}

fn stores(setup: &[Draft]) -> Vec<Box<dyn LedgerStore>> {
    let mut out: Vec<Box<dyn LedgerStore>> = vec![
        Box::new(MemoryStore::new()),
        Box::new(SqliteStore::open_in_memory().expect("in-memory SQLite opens")),
    ];
    for s in &mut out {
        s.append(setup).expect("the setup entries are valid");
    }
    out
}

/// [`stores`] and a SQLite file, which reads on a connection of its own
/// while it writes ([`LedgerStore::scan_append`]); the folder must outlive
/// the stores.
fn stores_and_file(setup: &[Draft]) -> (tempfile::TempDir, Vec<Box<dyn LedgerStore>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = stores(setup);
    let mut file = SqliteStore::open(&dir.path().join("ledger.db")).expect("open");
    file.append(setup).expect("the setup entries are valid");
    all.push(Box::new(file));
    (dir, all)
}

/// Appends `setup`, then `batch`, on both stores; the batch must be refused with
/// the same message on both and leave the ledger as it was. Returns the message.
fn refused(setup: &[Draft], batch: &[Draft]) -> String {
    let mut messages = Vec::new();
    for mut store in stores(setup) {
        let before = store.tip().expect("tip");
        let err = store.append(batch).expect_err("the batch must be refused");
        assert_eq!(store.tip().expect("tip"), before, "nothing may be written");
        messages.push(err.to_string());
    }
    assert_eq!(messages[0], messages[1], "both stores refuse alike");
    messages.swap_remove(0)
}

#[test]
fn refuses_unknown_member_and_writes_none_of_the_batch() {
    let batch = [
        training("m001", "physical", 1.0, at(2, 8)),
        training("m999", "physical", 1.0, at(2, 8)),
    ];
    insta::assert_snapshot!(refused(&base(), &batch), @"entry 6 (training_attended): unknown member `m999` as member; record a member_joined entry first");
}

/// A large batch serialises its entries on every core while it writes; one
/// bad entry far into it still leaves every store as it was.
#[test]
fn refuses_a_bad_entry_late_in_a_large_batch_and_writes_none_of_it() {
    let mut batch: Vec<Draft> = (0..1_500)
        .map(|i| training("m001", "physical", 1.0, at(2 + i / 500, 8)))
        .collect();
    batch[1_321] = training("m999", "physical", 1.0, at(4, 8));
    let (_dir, all) = stores_and_file(&base());
    for mut store in all {
        let before = store.tip().expect("tip");
        let err = store.append(&batch).expect_err("the batch must be refused");
        assert_eq!(
            err.to_string(),
            "entry 1326 (training_attended): unknown member `m999` as member; record a member_joined entry first"
        );
        assert_eq!(store.tip().expect("tip"), before, "nothing may be written");
    }
}

#[test]
fn refuses_unknown_instructor() {
    let mut t = training("m001", "physical", 1.0, at(2, 8));
    if let EntryKind::TrainingAttended { instructor, .. } = &mut t.entry {
        *instructor = "m404".into();
    }
    insta::assert_snapshot!(refused(&base(), &[t]), @"entry 5 (training_attended): unknown member `m404` as instructor; record a member_joined entry first");
}

#[test]
fn refuses_member_who_left() {
    let mut setup = base();
    setup.push(draft(EntryKind::MemberLeft {
        member: "m003".into(),
        reason: "transferred".into(),
    }));
    let batch = [training("m003", "physical", 1.0, at(2, 8))];
    insta::assert_snapshot!(refused(&setup, &batch), @"entry 6 (training_attended): member `m003` has left the brigade (entry 5)");
}

#[test]
fn refuses_joining_twice() {
    let batch = [joined("m001", "wuyun", "drone")];
    insta::assert_snapshot!(refused(&base(), &batch), @"entry 5 (member_joined): member `m001` already joined (entry 1)");
}

#[test]
fn refuses_correction_of_unknown_entry() {
    let batch = [draft(EntryKind::Correction {
        reverses: 42,
        reason: "typo".into(),
    })];
    insta::assert_snapshot!(refused(&base(), &batch), @"entry 5 (correction): there is no entry 42; the ledger holds entries 1 to 4");
}

#[test]
fn refuses_second_correction_of_one_entry() {
    let mut setup = base();
    setup.push(training("m001", "physical", 1.0, at(2, 8)));
    setup.push(draft(EntryKind::Correction {
        reverses: 5,
        reason: "wrong member".into(),
    }));
    let batch = [draft(EntryKind::Correction {
        reverses: 5,
        reason: "again".into(),
    })];
    insta::assert_snapshot!(refused(&setup, &batch), @"entry 7 (correction): entry 5 was already corrected by entry 6");
}

#[test]
fn refuses_score_for_a_run_that_is_not_there() {
    insta::assert_snapshot!(refused(&base(), &[score(99)]), @"entry 5 (score_computed): there is no entry 99; the ledger holds entries 1 to 4");
    insta::assert_snapshot!(refused(&base(), &[score(2)]), @"entry 5 (score_computed): entry 2 is a member_joined, not a drill_run");
}

#[test]
fn refuses_run_of_unknown_scenario_or_other_package() {
    let all = base();
    let members = &all[..3];
    insta::assert_snapshot!(refused(members, &[drill_run(&["m001"])]), @"entry 4 (drill_run): unknown scenario `forest-fire.initial-attack@1.0.0`; record a scenario_registered entry first");
    let mut run = drill_run(&["m001"]);
    if let EntryKind::DrillRun { package_hash, .. } = &mut run.entry {
        *package_hash = "sha256:other".into();
    }
    insta::assert_snapshot!(refused(&base(), &[run]), @"entry 5 (drill_run): scenario `forest-fire.initial-attack@1.0.0` was registered with package sha256:pkg, not sha256:other");
    insta::assert_snapshot!(refused(&base(), &[drill_run(&["m001", "m777"])]), @"entry 5 (drill_run): unknown member `m777` as participant; record a member_joined entry first");
}

#[test]
fn refuses_impossible_values() {
    insta::assert_snapshot!(refused(&base(), &[training("m001", "physical", -1.0, at(2, 8))]), @"entry 5 (training_attended): hours -1 is not between 0 (exclusive) and 24");
    insta::assert_snapshot!(refused(&base(), &[qualification("m001", "diving", 4, None)]), @"entry 5 (qualification_granted): level 4 is not 1, 2 or 3");
    let mut bad_version = registered();
    if let EntryKind::ScenarioRegistered { version, .. } = &mut bad_version.entry {
        *version = "one".into();
    }
    insta::assert_snapshot!(refused(&base(), &[bad_version]), @"entry 5 (scenario_registered): version `one` is not a semantic version like 1.0.0");
    insta::assert_snapshot!(refused(&base(), &[registered()]), @"entry 5 (scenario_registered): `forest-fire.initial-attack@1.0.0` is already registered (entry 4)");
}

#[test]
fn extension_entries_check_their_references() {
    let ext = |members: Vec<String>, entries: Vec<u64>| {
        draft(EntryKind::Extension {
            module: "compete".into(),
            name: "attempt".into(),
            members,
            entries,
            payload: serde_json::json!({ "event": "relay", "attempt": 1 }),
        })
    };
    insta::assert_snapshot!(refused(&base(), &[ext(vec!["m404".into()], vec![])]), @"entry 5 (extension): unknown member `m404` as member; record a member_joined entry first");
    insta::assert_snapshot!(refused(&base(), &[ext(vec![], vec![9])]), @"entry 5 (extension): there is no entry 9; the ledger holds entries 1 to 4");
    for mut store in stores(&base()) {
        let written = store
            .append(&[ext(vec!["m001".into()], vec![1])])
            .expect("a valid extension entry is appended");
        assert_eq!(written[0].seq, 5);
        assert!(
            ledger::verify(store.as_ref())
                .expect("verify")
                .problem
                .is_none()
        );
    }
}

fn file_ledger(dir: &tempfile::TempDir, extra: usize) -> PathBuf {
    let path = dir.path().join("ledger.db");
    let mut store = SqliteStore::open(&path).expect("open");
    store.append(&base()).expect("base");
    let more: Vec<Draft> = (0..extra)
        .map(|i| training("m001", "physical", 1.5, at(2 + i as u32, 8)))
        .collect();
    store.append(&more).expect("training");
    path
}

/// A new ledger file has pages of 32 KiB; a file made with SQLite's 4 KiB
/// pages keeps them, and both take appends and verify.
#[test]
fn a_new_ledger_has_large_pages_and_an_old_one_keeps_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pragma = |path: &std::path::Path, name: &str| -> i64 {
        let conn = rusqlite::Connection::open(path).expect("raw open");
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .expect("pragma")
    };
    let new = file_ledger(&dir, 3);
    assert_eq!(pragma(&new, "page_size"), 32_768);
    // A file SQLite made with its default pages, before Muster opened it.
    let old = dir.path().join("old.db");
    rusqlite::Connection::open(&old)
        .expect("raw open")
        .execute_batch("PRAGMA page_size = 4096; CREATE TABLE t (x); DROP TABLE t;")
        .expect("a 4 KiB file");
    let mut store = SqliteStore::open(&old).expect("open");
    store.append(&base()).expect("base");
    assert_eq!(pragma(&old, "page_size"), 4096);
    for path in [&new, &old] {
        let mut store = SqliteStore::open(path).expect("reopen");
        store
            .append(&[training("m001", "physical", 1.5, at(9, 8))])
            .expect("appends");
        assert!(ledger::verify(&store).expect("verify").problem.is_none());
    }
}

/// A large write grows the WAL to its own size; once it is checkpointed,
/// the next write cuts the file back to the limit, so an app that keeps a
/// ledger open does not keep a season's WAL on disk beside it.
#[test]
fn the_wal_is_cut_back_after_a_large_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let wal = || std::fs::metadata(dir.path().join("ledger.db-wal")).map_or(0, |m| m.len());
    let mut store = SqliteStore::open(&path).expect("open");
    let mut season = base();
    season.extend((0..12_000).map(|_| drill_run(&["m001", "m002"])));
    store.append(&season).expect("the season");
    let grown = wal();
    assert!(grown > ledger::WAL_SIZE_LIMIT as u64, "{grown}");
    store
        .append(&[training("m001", "physical", 1.5, at(2, 8))])
        .expect("one more");
    let cut = wal();
    assert!(cut <= ledger::WAL_SIZE_LIMIT as u64, "{grown} then {cut}");
    assert_eq!(ledger::verify(&store).expect("verify").entries, 12_005);
}

#[test]
fn triggers_refuse_update_and_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = file_ledger(&dir, 2);
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    let update = conn
        .execute("UPDATE entries SET author = 'x' WHERE seq = 2", [])
        .expect_err("update refused");
    insta::assert_snapshot!(update.to_string(), @"the ledger is append-only: entries cannot be changed");
    let delete = conn
        .execute("DELETE FROM entries WHERE seq = 2", [])
        .expect_err("delete refused");
    insta::assert_snapshot!(delete.to_string(), @"the ledger is append-only: entries cannot be deleted");
}

fn tampered(sql: &str) -> (Option<Tamper>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = file_ledger(&dir, 6);
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute_batch(&format!(
            "DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete; {sql}"
        ))
        .expect("the attacker's SQL runs");
    }
    let store = SqliteStore::open(&path).expect("reopen");
    let report = ledger::verify(&store).expect("verify reads the file");
    let text = report
        .problem
        .as_ref()
        .map_or(String::new(), |p| p.to_string());
    (report.problem, text)
}

#[test]
fn verify_names_an_edited_entry() {
    let (problem, text) = tampered(
        "UPDATE entries SET body = replace(body, '\"hours\":1.5', '\"hours\":9.5') WHERE seq = 7",
    );
    assert_eq!(problem, Some(Tamper::Edited { seq: 7 }));
    insta::assert_snapshot!(text, @"entry 7 was edited: its content does not match its hash");
}

#[test]
fn verify_names_a_removed_entry() {
    let (problem, text) = tampered("DELETE FROM entries WHERE seq = 6");
    assert_eq!(problem, Some(Tamper::Removed { seq: 6, next: 7 }));
    insta::assert_snapshot!(text, @"entry 6 was removed: the next entry stored is 7");
}

#[test]
fn verify_names_a_resealed_replacement() {
    // An attacker who knows the hash rule rewrites entry 7 and its hash;
    // entry 8 no longer follows it.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = file_ledger(&dir, 6);
    let store = SqliteStore::open(&path).expect("open");
    let mut raw = None;
    store
        .scan(6, &mut |r| {
            raw = Some(r);
            false
        })
        .expect("scan");
    let prev = raw.expect("entry 6").hash;
    let forged = ledger::RawEntry::seal(7, prev, &training("m001", "physical", 9.5, at(5, 8)));
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.execute_batch("DROP TRIGGER entries_no_update")
        .expect("drop trigger");
    conn.execute(
        "UPDATE entries SET body = ?1, hash = ?2, at = ?3 WHERE seq = 7",
        rusqlite::params![forged.body, forged.hash.to_string(), forged.at],
    )
    .expect("forge");
    drop(conn);
    let store = SqliteStore::open(&path).expect("reopen");
    let report = ledger::verify(&store).expect("verify");
    assert_eq!(report.problem, Some(Tamper::Inserted { seq: 8 }));
    insta::assert_snapshot!(report.problem.map(|p| p.to_string()).unwrap_or_default(), @"entry 8 was inserted or replaced: it does not follow entry 7's hash");
}

#[test]
fn verify_accepts_an_untouched_chain() {
    for store in stores(&base()) {
        let report = ledger::verify(store.as_ref()).expect("verify");
        assert_eq!(report.entries, 4);
        assert_eq!(report.problem, None);
        assert_eq!(store.tip().expect("tip").map(|t| t.1), Some(report.tip));
    }
}

fn native(id: &ScorerId) -> Option<Arc<dyn Scorer>> {
    let s: Arc<dyn Scorer> = Arc::new(TimeBonusScorer::default());
    (s.id() == id).then_some(s)
}

/// The native rule, off by one unit in the last place of the total.
struct OffByOneUlp(TimeBonusScorer);

impl Scorer for OffByOneUlp {
    fn id(&self) -> &ScorerId {
        self.0.id()
    }
    fn score(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> Result<ScoreCard, ScoreError> {
        let mut card = self.0.score(input, params)?;
        card.total = f64::from_bits(card.total.to_bits() + 1);
        Ok(card)
    }
}

fn scored() -> Vec<Box<dyn LedgerStore>> {
    let mut setup = base();
    setup.push(drill_run(&["m001", "m002"]));
    setup.push(score(5));
    stores(&setup)
}

#[test]
fn replay_reproduces_native_scores_bit_for_bit() {
    for store in scored() {
        let report = ledger::replay(store.as_ref(), &native).expect("replay");
        assert_eq!((report.replayed, report.identical), (1, 1));
        assert!(
            report.diffs.is_empty() && report.unresolved.is_empty() && report.failed.is_empty()
        );
    }
}

#[test]
fn replay_reports_a_one_bit_difference() {
    let off = |id: &ScorerId| -> Option<Arc<dyn Scorer>> {
        native(id).map(|_| Arc::new(OffByOneUlp(TimeBonusScorer::default())) as Arc<dyn Scorer>)
    };
    insta::allow_duplicates! {
    for store in scored() {
        let report = ledger::replay(store.as_ref(), &off).expect("replay");
        assert_eq!(report.identical, 0);
        let diffs: Vec<String> = report
            .diffs
            .iter()
            .map(|d| format!("{} {}: {} -> {}", d.seq, d.field, d.stored, d.replayed))
            .collect();
        insta::assert_snapshot!(diffs.join("\n"), @"6 total: 109.83333333333333 (bits 0x405b755555555555) -> 109.83333333333334 (bits 0x405b755555555556)");
    }
    }
}

/// A score entry as they were written before 2026-12-02, its card
/// copying each task's time, status and rating from the run.
fn score_with_run_detail(run: u64) -> Draft {
    let mut d = score_with_input(run);
    let mut body = serde_json::to_value(&d.entry).unwrap();
    let mut tasks = serde_json::Map::new();
    for (id, t) in body["input"]["tasks"].as_object().unwrap() {
        let seconds = t["end"].as_f64().unwrap() - t["start"].as_f64().unwrap();
        let mut detail = serde_json::json!({ "seconds": seconds, "status": t["status"] });
        if let Some(r) = t.get("rating") {
            detail["rating"] = r.clone();
        }
        tasks.insert(id.clone(), detail);
    }
    body["card"]["tasks"] = tasks.into();
    d.entry = serde_json::from_value(body).unwrap();
    d
}

/// Such an entry is stored as written, verifies, replays as identical
/// (its copied detail is the input's), and exports byte for byte.
#[test]
fn a_score_entry_with_the_runs_detail_on_its_card_replays_and_exports_as_stored() {
    let mut setup = base();
    setup.push(drill_run(&["m001", "m002"]));
    setup.push(score_with_run_detail(5));
    for store in stores(&setup) {
        let mut body = String::new();
        store
            .scan(6, &mut |raw| {
                body = raw.body;
                false
            })
            .unwrap();
        assert!(
            body.contains(r#""card":{"total":109.83333333333333,"status":"valid","reason":"","notes":["time bonus 14.833333333333334","missing-kit x1 on muster: -2","late-report x1 on recon: -3"],"tasks":{"control-line":{"seconds":950.0,"status":"done"},"headcount":{"seconds":90.0,"status":"done","rating":"P"}"#),
            "{body}"
        );
        assert_eq!(ledger::verify(store.as_ref()).unwrap().entries, 6);
        let report = ledger::replay(store.as_ref(), &native).expect("replay");
        assert_eq!((report.replayed, report.identical), (1, 1), "{report:?}");
        let mut csv = Vec::new();
        ledger::export_csv(&store.entries().unwrap(), &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let quoted = format!("\"{}\"", body.replace('"', "\"\""));
        assert!(csv.contains(&quoted), "{csv}");
        let mut jsonl = Vec::new();
        ledger::export_jsonl(&store.entries().unwrap(), &mut jsonl).unwrap();
        let card = &body[body.find(r#""card":"#).unwrap()..body.len() - 1];
        assert!(String::from_utf8(jsonl).unwrap().contains(card));
    }
}

/// A score entry written now keeps on its card only what the scorer said:
/// the time-bonus rule gives no task points, so the card has no task.
#[test]
fn a_score_entry_leaves_the_runs_detail_to_its_input() {
    for store in scored() {
        let entries = store.entries().unwrap();
        let EntryKind::ScoreComputed { card, .. } = &entries[5].kind else {
            panic!("entry 6 is the score");
        };
        let input = entries[5].score_input(store.as_ref()).unwrap().unwrap();
        assert!(card.tasks.is_empty());
        let details: Vec<_> = card.task_details(&input).collect();
        assert_eq!(details.len(), input.tasks.len());
        assert_eq!(details[0].1.seconds, {
            let t = input.tasks.values().next().unwrap();
            t.end - t.start
        });
    }
}

/// A score entry Muster writes keeps the scenario's terms, not the input:
/// the input is rebuilt from its run, as the scorer saw it, and replays.
#[test]
fn a_score_keeps_the_scenarios_terms_and_its_input_is_rebuilt_from_the_run() {
    let s = scenario();
    let seen = ScoreInput::new(&s, &record(&s));
    for store in scored() {
        let body = store.get(6).unwrap().expect("entry 6").body;
        assert!(!body.contains(r#""input":"#), "{body}");
        assert!(
            body.contains(
                r#""terms":{"time_limit":3000.0,"critical":["safety","knockdown","headcount"]}"#
            ),
            "{body}"
        );
        let entry = store.get(6).unwrap().unwrap().parse().unwrap();
        assert_eq!(
            entry.score_input(store.as_ref()).unwrap(),
            Some(seen.clone())
        );
        let run = store.get(5).unwrap().unwrap().parse().unwrap();
        assert_eq!(
            run.score_input(store.as_ref()).unwrap(),
            None,
            "a run is not a score"
        );
        assert_eq!(store.get(7).unwrap(), None);
        assert_eq!(store.get(0).unwrap(), None);
    }
}

/// A score that holds its whole input, as they were written before and as
/// an app may give one, still appends, replays and exports.
#[test]
fn a_score_holding_its_whole_input_appends_replays_and_exports() {
    let s = scenario();
    let mut setup = base();
    setup.push(drill_run(&["m001", "m002"]));
    setup.push(score_with_input(5));
    for store in stores(&setup) {
        let entries = store.entries().unwrap();
        assert!(
            store
                .get(6)
                .unwrap()
                .unwrap()
                .body
                .contains(r#""input":{"scenario":"#)
        );
        assert_eq!(
            entries[5].score_input(store.as_ref()).unwrap(),
            Some(ScoreInput::new(&s, &record(&s)))
        );
        let report = ledger::replay(store.as_ref(), &native).expect("replay");
        assert_eq!((report.replayed, report.identical), (1, 1), "{report:?}");
        let opts = XapiOptions {
            home_page: "https://brigade.example".into(),
            activity_base: "https://brigade.example/muster".into(),
        };
        // Without its run, such a score still tells of its team.
        let alone = ledger::export_xapi(&entries[5..], &opts);
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0]["actor"]["account"]["name"], "nantang");
        assert_eq!(alone[0]["result"]["duration"], "PT2555S");
    }
    // One that keeps the terms is told of through its run, and left out
    // without it.
    for store in scored() {
        let entries = store.entries().unwrap();
        let opts = XapiOptions {
            home_page: "https://brigade.example".into(),
            activity_base: "https://brigade.example/muster".into(),
        };
        assert_eq!(ledger::export_xapi(&entries, &opts).len(), 2);
        assert!(ledger::export_xapi(&entries[5..], &opts).is_empty());
    }
}

#[test]
fn refuses_a_score_with_both_or_neither_input_and_terms_or_bad_terms() {
    let mut setup = base();
    setup.push(drill_run(&["m001"]));
    let with = |input: Option<Box<ScoreInput>>, given: Option<ScenarioTerms>| {
        let mut d = score(5);
        if let EntryKind::ScoreComputed {
            input: i, terms, ..
        } = &mut d.entry
        {
            (*i, *terms) = (input, given);
        }
        d
    };
    let s = scenario();
    let whole = Box::new(ScoreInput::new(&s, &record(&s)));
    let both = with(Some(whole), Some(ScenarioTerms::of(&s)));
    insta::assert_snapshot!(refused(&setup, &[both]), @"entry 6 (score_computed): it gives both `input` and `terms`: give the input the scorer saw, or the scenario's terms its input was built with from the run, not both");
    let neither = with(None, None);
    insta::assert_snapshot!(refused(&setup, &[neither]), @"entry 6 (score_computed): it gives neither `input` nor `terms`: give the input the scorer saw, or the scenario's terms (`time_limit`, `critical`) its input was built with from the run");
    let no_time = with(
        None,
        Some(ScenarioTerms::new(Some(-5.0), vec!["safety".into()])),
    );
    insta::assert_snapshot!(refused(&setup, &[no_time]), @"entry 6 (score_computed): the terms' time_limit -5 is not a positive number of seconds");
    let empty_id = with(
        None,
        Some(ScenarioTerms::new(None, vec!["safety".into(), " ".into()])),
    );
    insta::assert_snapshot!(refused(&setup, &[empty_id]), @"entry 6 (score_computed): the terms' critical task id 2 is empty; each is a task id of the scenario");
}

/// A ledger file in `dir` of the base entries, one drill run (entry 5) and
/// `score` of it (entry 6).
fn scored_file(dir: &tempfile::TempDir, score: Draft) -> PathBuf {
    let path = dir.path().join("ledger.db");
    let mut setup = base();
    setup.push(drill_run(&["m001"]));
    setup.push(score);
    SqliteStore::open(&path).unwrap().append(&setup).unwrap();
    path
}

/// A score whose body was edited to name another entry as its run: verify
/// names the edit, and replay says the run is not a run.
#[test]
fn replay_names_a_score_whose_run_is_not_a_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = scored_file(&dir, score(5));
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute_batch(
            "DROP TRIGGER entries_no_update; \
             UPDATE entries SET body = replace(body, '\"run\":5', '\"run\":2') WHERE seq = 6",
        )
        .expect("the attacker's SQL runs");
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        ledger::verify(&store).unwrap().problem,
        Some(Tamper::Edited { seq: 6 })
    );
    let err = ledger::replay(&store, &native).expect_err("the run is not a run");
    insta::assert_snapshot!(err, @"entry 6 cannot be read: its run, entry 2, is a member_joined, not a drill_run");
}

#[test]
fn replay_names_scorers_it_cannot_find() {
    for store in scored() {
        let report = ledger::replay(store.as_ref(), &|_| None).expect("replay");
        assert_eq!(report.unresolved.len(), 1);
        assert_eq!(report.unresolved[0].0, 6);
        assert_eq!(report.unresolved[0].1.name, "native:time-bonus");
    }
}

/// The native rule, counting how it is asked to score: the batch sizes it
/// was given, in order, and how many runs one by one.
#[derive(Default)]
struct Counting {
    rule: TimeBonusScorer,
    batches: std::sync::Mutex<Vec<usize>>,
    /// Results to leave out of every batch, to play a broken scorer.
    short_by: usize,
}

impl Scorer for Counting {
    fn id(&self) -> &ScorerId {
        self.rule.id()
    }
    fn score(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> Result<ScoreCard, ScoreError> {
        self.rule.score(input, params)
    }
    fn score_batch(
        &self,
        inputs: &[ScoreInput],
        params: &serde_json::Value,
    ) -> Vec<Result<ScoreCard, ScoreError>> {
        self.batches.lock().unwrap().push(inputs.len());
        let keep = inputs.len().saturating_sub(self.short_by);
        inputs[..keep]
            .iter()
            .map(|i| self.score(i, params))
            .collect()
    }
}

/// A drill run (entry 5) and `n` scores of it (entries 6 on); from score
/// `change_at` on, the params give a different base.
fn many_scores(n: usize, change_at: usize) -> Vec<Draft> {
    let mut setup = base();
    setup.push(drill_run(&["m001"]));
    for i in 0..n {
        let mut d = score(5);
        if i >= change_at
            && let EntryKind::ScoreComputed { params, card, .. } = &mut d.entry
        {
            params["base"] = serde_json::json!(50);
            card.total -= 50.0;
        }
        setup.push(d);
    }
    setup
}

#[test]
fn replay_asks_for_each_scorer_once_and_scores_in_batches() {
    for store in stores(&many_scores(2500, 2100)) {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let counting = Arc::new(Counting::default());
        let resolve = |id: &ScorerId| -> Option<Arc<dyn Scorer>> {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            native(id).map(|_| counting.clone() as Arc<dyn Scorer>)
        };
        let report = ledger::replay(store.as_ref(), &resolve).expect("replay");
        assert_eq!((report.replayed, report.identical), (2500, 2500));
        assert!(report.diffs.is_empty() && report.failed.is_empty());
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        // 1024 at most a batch, and a new batch where the params change.
        assert_eq!(*counting.batches.lock().unwrap(), vec![1024, 1024, 52, 400]);
    }
}

#[test]
fn replay_names_the_runs_a_scorer_gave_no_result_for() {
    for store in stores(&many_scores(3, 3)) {
        let counting = Arc::new(Counting {
            short_by: 1,
            ..Counting::default()
        });
        let resolve = |id: &ScorerId| -> Option<Arc<dyn Scorer>> {
            native(id).map(|_| counting.clone() as Arc<dyn Scorer>)
        };
        let report = ledger::replay(store.as_ref(), &resolve).expect("replay");
        assert_eq!((report.replayed, report.identical), (3, 2));
        assert_eq!(
            report.failed,
            vec![(
                8,
                "drill run 5: the scorer `native:time-bonus` gave 2 results for a batch of 3 runs"
                    .to_string()
            )]
        );
    }
}

/// Re-scores the scenario's stored runs as `m002` on 2021-06-09.
/// A re-score reads only the runs of its own scenario: a run of another
/// one is passed over without being read, so an edit deep in such a run
/// does not stop it (verify names the edit), while its own runs are read
/// in full.
#[test]
fn rescore_passes_over_the_runs_of_other_scenarios_unread() {
    let other = |d: Draft| -> Draft {
        let mut d = d;
        match &mut d.entry {
            EntryKind::ScenarioRegistered { scenario, .. } => {
                *scenario = "water-rescue.throw-bag".into()
            }
            EntryKind::DrillRun {
                scenario, record, ..
            } => {
                *scenario = "water-rescue.throw-bag".into();
                record.scenario = "water-rescue.throw-bag".into();
            }
            _ => unreachable!("only registrations and runs"),
        }
        d
    };
    let mut setup = base();
    setup.push(other(registered())); // 5
    setup.push(drill_run(&["m001"])); // 6
    setup.push(other(drill_run(&["m002"]))); // 7
    setup.push(drill_run(&["m003"])); // 8
    setup.push(other(drill_run(&["m001"]))); // 9
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    SqliteStore::open(&path).unwrap().append(&setup).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "DROP TRIGGER entries_no_update; \
             UPDATE entries SET body = replace(body, '\"attempt\":1', '\"attempt\":\"one\"') \
             WHERE seq = 7",
        )
        .expect("the attacker's SQL runs");
    let mut store = SqliteStore::open(&path).unwrap();
    let params = scenario().scoring().params.clone();
    let report = rescore_with(&mut store, &TimeBonusScorer::default(), &params).expect("rescore");
    assert_eq!((report.runs, report.appended), (2, Some((10, 10))));
    let runs: Vec<u64> = store
        .get(10)
        .unwrap()
        .unwrap()
        .parse()
        .unwrap()
        .scores(&store)
        .unwrap()
        .iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(runs, [6, 8]);
    assert_eq!(
        ledger::verify(&store).unwrap().problem,
        Some(Tamper::Edited { seq: 7 })
    );
    // The same edit in a run of its own scenario stops it, writing nothing.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "UPDATE entries SET body = replace(body, '\"attempt\":1', '\"attempt\":\"one\"') \
             WHERE seq = 8",
        )
        .expect("the attacker's SQL runs");
    let mut store = SqliteStore::open(&path).unwrap();
    let err = rescore_with(&mut store, &TimeBonusScorer::default(), &params)
        .expect_err("its own run does not parse");
    insta::assert_snapshot!(err, @r#"entry 8 cannot be read: bad body: invalid type: string "one", expected u32"#);
    assert_eq!(store.tip().unwrap().map(|t| t.0), Some(10));
}

fn rescore_with(
    store: &mut dyn LedgerStore,
    scorer: &dyn Scorer,
    params: &serde_json::Value,
) -> Result<ledger::RescoreReport, ledger::LedgerError> {
    ledger::rescore(
        store,
        &scenario(),
        scorer,
        params,
        "native",
        "m002",
        at(9, 8),
    )
}

#[test]
fn rescore_appends_each_runs_score_as_the_scorer_gives_it_alone() {
    let mut setup = base();
    for _ in 0..3 {
        setup.push(drill_run(&["m001"]));
    }
    for mut store in stores(&setup) {
        let s = scenario();
        let params = s.scoring().params.clone();
        let rule = TimeBonusScorer::default();
        let report = rescore_with(store.as_mut(), &rule, &params).expect("rescore");
        assert_eq!((report.runs, report.appended), (3, Some((8, 8))));
        assert!(report.failed.is_empty());
        let alone = rule
            .score(&ScoreInput::new(&s, &record(&s)), &params)
            .expect("scores");
        let entries = store.entries().expect("entries");
        assert_eq!(entries.len(), 8);
        let EntryKind::ScoresComputed {
            scorer,
            params: given,
            runtime,
            terms,
            scores,
        } = &entries[7].kind
        else {
            panic!("entry 8 is not a scores_computed entry");
        };
        assert_eq!(
            (scorer, given, runtime.as_str(), terms),
            (rule.id(), &params, "native", &ScenarioTerms::of(&s))
        );
        let runs: Vec<u64> = scores.iter().map(|s| s.run).collect();
        assert_eq!(runs, vec![5, 6, 7]);
        for (run, input, card) in entries[7].scores(store.as_ref()).expect("scores") {
            assert_eq!(card, alone, "run {run}");
            assert_eq!(input, ScoreInput::new(&s, &record(&s)), "run {run}");
        }
        let replayed = ledger::replay(store.as_ref(), &native).expect("replay");
        assert_eq!((replayed.replayed, replayed.identical), (3, 3));
    }
}

#[test]
fn rescore_writes_nothing_when_a_run_fails_to_score() {
    let mut setup = base();
    setup.push(drill_run(&["m001"]));
    setup.push(drill_run(&["m002"]));
    for mut store in stores(&setup) {
        let params =
            serde_json::json!({ "base": 100, "seconds_per_point": 30, "penalty_points": {} });
        let report =
            rescore_with(store.as_mut(), &TimeBonusScorer::default(), &params).expect("rescore");
        assert_eq!((report.runs, report.appended), (2, None));
        let failed: Vec<u64> = report.failed.iter().map(|f| f.0).collect();
        assert_eq!(failed, vec![5, 6]);
        assert!(
            report.failed[0].1.contains("unknown penalty code"),
            "{}",
            report.failed[0].1
        );
        assert_eq!(store.tip().expect("tip").map(|t| t.0), Some(6));
    }
}

#[test]
fn scan_append_reads_what_was_stored_and_writes_as_it_goes() {
    let mut setup = base();
    setup.push(drill_run(&["m001"]));
    setup.push(drill_run(&["m002"]));
    let (_dir, all) = stores_and_file(&setup);
    for mut store in all {
        let mut seen = vec![];
        let written = store
            .scan_append(2, &mut |raw| {
                seen.push(raw.as_ref().map(|r| r.seq));
                // A score for each drill run, written while the scan goes on.
                Some(match raw {
                    Some(r) if r.body.starts_with("{\"kind\":\"drill_run\"") => vec![score(r.seq)],
                    _ => vec![],
                })
            })
            .expect("scan_append");
        assert_eq!(written, Some((7, 8)));
        // The scan stops at the entries stored when it began.
        assert_eq!(
            seen,
            vec![Some(2), Some(3), Some(4), Some(5), Some(6), None]
        );
        let runs: Vec<u64> = store.entries().expect("entries")[6..]
            .iter()
            .map(|e| e.kind.reference().expect("a score names its run"))
            .collect();
        assert_eq!(runs, vec![5, 6]);
        assert_eq!(
            ledger::verify(store.as_ref()).expect("verify").problem,
            None
        );
    }
}

#[test]
fn scan_append_abandoned_writes_nothing() {
    let mut setup = base();
    setup.push(drill_run(&["m001"]));
    let (_dir, all) = stores_and_file(&setup);
    for mut store in all {
        let written = store
            .scan_append(1, &mut |raw| match raw {
                Some(r) if r.seq == 5 => Some(vec![score(5), score(5)]),
                Some(_) => Some(vec![]),
                None => None,
            })
            .expect("scan_append");
        assert_eq!(written, None);
        assert_eq!(store.tip().expect("tip").map(|t| t.0), Some(5));
    }
}

#[test]
fn scan_append_refused_draft_writes_nothing() {
    let mut setup = base();
    setup.push(drill_run(&["m001"]));
    let (_dir, all) = stores_and_file(&setup);
    for mut store in all {
        let err = store
            .scan_append(1, &mut |raw| match raw {
                Some(r) if r.seq == 5 => Some(vec![score(5)]),
                // Entry 7 would score entry 2, a member joining.
                None => Some(vec![score(2)]),
                Some(_) => Some(vec![]),
            })
            .expect_err("a score of a member is refused");
        assert_eq!(
            err.to_string(),
            "entry 7 (score_computed): entry 2 is a member_joined, not a drill_run"
        );
        assert_eq!(store.tip().expect("tip").map(|t| t.0), Some(5));
    }
}

/// The base entries, then `n` drill runs (entries 5 on), the i-th with
/// attempt number `i + 1`, so that a score's input tells which run it was
/// made from.
fn numbered_runs(n: usize) -> Vec<Draft> {
    let s = scenario();
    let mut setup = base();
    for i in 0..n {
        let mut r = record(&s);
        r.attempt = i as u32 + 1;
        setup.push(draft(EntryKind::DrillRun {
            scenario: "forest-fire.initial-attack".into(),
            version: "1.0.0".into(),
            package_hash: "sha256:pkg".into(),
            members: vec!["m001".into()],
            record: r,
        }));
    }
    setup
}

#[test]
fn rescore_keeps_each_score_with_its_run_over_many_batches() {
    // More than two scoring batches of 4,096, so the batches are scored on
    // several threads.
    let n = 9000;
    let (_dir, all) = stores_and_file(&numbered_runs(n));
    for mut store in all {
        let s = scenario();
        let params = s.scoring().params.clone();
        let report =
            rescore_with(store.as_mut(), &TimeBonusScorer::default(), &params).expect("rescore");
        // One entry for each scoring batch of 4,096 runs.
        let (first, last) = (n as u64 + 5, n as u64 + 7);
        assert_eq!(
            (report.runs, report.appended),
            (n as u64, Some((first, last)))
        );
        assert!(report.failed.is_empty());
        let entries = store.entries().expect("entries");
        assert_eq!(entries.len() as u64, last);
        let mut runs = vec![];
        for e in &entries[4 + n..] {
            for (run, input, _) in e.scores(store.as_ref()).expect("scores") {
                assert_eq!(u64::from(input.attempt), run - 4, "entry {}", e.seq);
                runs.push(run);
            }
        }
        assert_eq!(runs, (5..n as u64 + 5).collect::<Vec<_>>());
        let sizes: Vec<usize> = entries[4 + n..]
            .iter()
            .map(|e| match &e.kind {
                EntryKind::ScoresComputed { scores, .. } => scores.len(),
                _ => panic!("entry {} is not a scores_computed entry", e.seq),
            })
            .collect();
        assert_eq!(sizes, vec![4096, 4096, n - 8192]);
        // Each entry is the text sealing it alone gives, and the chain holds.
        let mut raws = vec![];
        store
            .scan(first, &mut |raw| {
                raws.push(raw);
                true
            })
            .expect("scan");
        for raw in &raws {
            let e = raw.parse().expect("parses");
            let alone =
                ledger::RawEntry::seal(raw.seq, raw.prev, &Draft::new(e.author, e.at, e.kind));
            assert_eq!(&alone, raw, "entry {}", raw.seq);
        }
        let verified = ledger::verify(store.as_ref()).expect("verify");
        assert_eq!(verified.problem, None);
    }
}

/// Re-scores with the native rule, by m002, telling `progress`.
fn rescore_native(
    store: &mut dyn LedgerStore,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ledger::RescoreReport, ledger::LedgerError> {
    let s = scenario();
    ledger::rescore_with_progress(
        store,
        &s,
        &TimeBonusScorer::default(),
        &s.scoring().params.clone(),
        "native",
        "m002",
        at(9, 8),
        progress,
    )
}

#[test]
fn rescore_reports_the_entries_it_has_read() {
    let (_dir, all) = stores_and_file(&numbered_runs(9000));
    for mut store in all {
        let mut calls = vec![];
        let report = rescore_native(store.as_mut(), &mut |read, stored| {
            calls.push((read, stored));
            ControlFlow::Continue(())
        })
        .expect("rescore");
        assert_eq!(report.appended, Some((9005, 9007)));
        // Every 4,096 entries, then once at the end.
        assert_eq!(calls, vec![(4096, 9004), (8192, 9004), (9004, 9004)]);
    }
}

/// A progress callback that breaks cancels the re-score, at its first call
/// or at the very end, and nothing is written either way.
#[test]
fn rescore_cancelled_from_its_progress_writes_nothing() {
    for stop_at in [1, 3] {
        let (_dir, all) = stores_and_file(&numbered_runs(9000));
        for mut store in all {
            let tip = store.tip().expect("tip");
            let mut calls = 0;
            let err = rescore_native(store.as_mut(), &mut |_, _| {
                calls += 1;
                if calls == stop_at {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .expect_err("cancelled");
            let read = if stop_at == 1 { 4096 } else { 9004 };
            assert_eq!(err, ledger::LedgerError::Cancelled { read, stored: 9004 });
            assert_eq!(
                err.to_string(),
                format!("cancelled after reading {read} of 9004 entries; nothing was written")
            );
            assert_eq!(calls, stop_at);
            assert_eq!(store.tip().expect("tip"), tip);
            assert_eq!(
                ledger::verify(store.as_ref()).expect("verify").problem,
                None
            );
        }
    }
}

#[test]
fn rescore_names_the_runs_a_scorer_gave_no_result_for() {
    for mut store in stores(&numbered_runs(3)) {
        let s = scenario();
        let params = s.scoring().params.clone();
        let short = Counting {
            short_by: 1,
            ..Counting::default()
        };
        let report = rescore_with(store.as_mut(), &short, &params).expect("rescore");
        assert_eq!((report.runs, report.appended), (3, None));
        assert_eq!(
            report.failed,
            vec![(
                7,
                "the scorer `native:time-bonus` gave 2 results for a batch of 3 runs".to_string()
            )]
        );
        assert_eq!(store.tip().expect("tip").map(|t| t.0), Some(7));
    }
}

/// Re-scores a file of 5,000 runs after `sql` has tampered with it; the
/// error, with the file left as it was.
fn rescore_tampered(sql: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    SqliteStore::open(&path)
        .expect("open")
        .append(&numbered_runs(5000))
        .expect("runs");
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute_batch(&format!("DROP TRIGGER entries_no_update; {sql}"))
            .expect("the attacker's SQL runs");
    }
    let mut store = SqliteStore::open(&path).expect("reopen");
    let err = rescore_with(
        &mut store,
        &TimeBonusScorer::default(),
        &scenario().scoring().params.clone(),
    )
    .expect_err("a corrupt run stops the re-score");
    assert_eq!(store.tip().expect("tip").map(|t| t.0), Some(5004));
    err.to_string()
}

#[test]
fn rescore_stops_at_a_run_that_does_not_parse_and_writes_nothing() {
    let err = rescore_tampered(
        "UPDATE entries SET body = '{\"kind\":\"drill_run\",\"scenario\":7}' WHERE seq = 4500",
    );
    insta::assert_snapshot!(err, @"entry 4500 cannot be read: bad body: invalid type: integer `7`, expected a string");
}

#[test]
fn rescore_stops_at_an_unreadable_row_and_writes_nothing() {
    // Read by the thread that reads the file while the re-score writes.
    let err = rescore_tampered("UPDATE entries SET hash = 'not a hash' WHERE seq = 4500");
    insta::assert_snapshot!(err, @"entry 4500 cannot be read: the entry hash `not a hash` is not 64 hex digits");
}

fn season() -> Vec<Draft> {
    let mut d = base();
    d.extend([
        qualification("m001", "wind-extinguisher", 2, Some("2021-06-30")),
        qualification("m001", "assault-boat", 1, Some("2021-06-08")),
        qualification("m002", "rope-rescue", 3, Some("2021-06-01")),
        qualification("m003", "hand-tools", 1, None),
        qualification("m003", "swift-water", 2, Some("2021-05-01")),
        training("m001", "physical", 1.5, at(1, 7)),
        training("m001", "physical", 2.0, at(2, 7)),
        training("m001", "water-rescue", 3.0, at(3, 7)),
        training("m002", "physical", 1.0, at(3, 7)),
        training("m003", "physical", 4.0, at(20, 7)),
    ]);
    // Entry 15: a training logged for the wrong member, then corrected.
    d.push(training("m003", "physical", 8.0, at(4, 7)));
    d.push(draft(EntryKind::Correction {
        reverses: 15,
        reason: "logged for the wrong member".into(),
    }));
    d.push(drill_run(&["m001", "m003"]));
    d
}

#[test]
fn hours_by_member_category_and_period() {
    insta::allow_duplicates! {
    for store in stores(&season()) {
        let all = store.hours(&HourQuery::default()).expect("hours");
        let lines: Vec<String> = all
            .iter()
            .map(|l| format!("{} {} {} {}", l.member, l.category, l.sessions, l.hours))
            .collect();
        insta::assert_snapshot!(lines.join("\n"), @r"
        m001 physical 2 3.5
        m001 water-rescue 1 3
        m002 physical 1 1
        m003 physical 1 4
        ");
        let june_first_week = HourQuery {
            member: Some("m001".into()),
            category: Some("physical".into()),
            from: Some(at(2, 0)),
            to: Some(at(8, 0)),
        };
        let one = store.hours(&june_first_week).expect("hours");
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].sessions, one[0].hours), (1, 2.0));
        let m003 = HourQuery {
            member: Some("m003".into()),
            to: Some(at(10, 0)),
            ..HourQuery::default()
        };
        assert!(
            store.hours(&m003).expect("hours").is_empty(),
            "the corrected entry does not count"
        );
    }
    }
}

#[test]
fn skills_matrix_currency_and_readiness() {
    let all = stores(&season());
    let store = &all[1];
    let p = Projection::build(&store.entries().expect("entries"));
    let day: NaiveDate = "2021-06-01".parse().expect("date");
    let currency: Vec<(String, String, i64, Alert)> = p
        .currency(day)
        .into_iter()
        .map(|c| (c.member, c.skill, c.days_left, c.alert))
        .collect();
    assert_eq!(
        currency,
        vec![
            ("m003".into(), "swift-water".into(), -31, Alert::Expired),
            ("m002".into(), "rope-rescue".into(), 0, Alert::Today),
            ("m001".into(), "assault-boat".into(), 7, Alert::Within7),
            (
                "m001".into(),
                "wind-extinguisher".into(),
                29,
                Alert::Within30
            ),
        ]
    );
    let matrix: Vec<String> = p
        .skills_matrix()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} L{} {:?}",
                c.squadron, c.member, c.skill, c.level, c.valid_until
            )
        })
        .collect();
    insta::assert_snapshot!(matrix.join("\n"), @r"
    nantang m001 assault-boat L1 Some(2021-06-08)
    nantang m001 wind-extinguisher L2 Some(2021-06-30)
    nantang m002 rope-rescue L3 Some(2021-06-01)
    wuyun m003 hand-tools L1 None
    wuyun m003 swift-water L2 Some(2021-05-01)
    ");
    let ready = |day: &str| -> String {
        p.readiness(day.parse().expect("date"))
            .iter()
            .map(|r| format!("{} {} {}/{}", r.squadron, r.hazard, r.current, r.members))
            .collect::<Vec<_>>()
            .join("\n")
    };
    insta::assert_snapshot!(ready("2021-06-01"), @r"
    nantang forest-fire 1/2
    nantang landslide 1/2
    nantang water-rescue 1/2
    wuyun forest-fire 1/1
    wuyun landslide 0/1
    wuyun water-rescue 0/1
    ");
    insta::assert_snapshot!(ready("2021-06-02"), @r"
    nantang forest-fire 1/2
    nantang landslide 0/2
    nantang water-rescue 1/2
    wuyun forest-fire 1/1
    wuyun landslide 0/1
    wuyun water-rescue 0/1
    ");
}

#[test]
fn attendance_counts_sessions_hours_and_drills() {
    let all = stores(&season());
    let store = &all[0];
    let p = Projection::build(&store.entries().expect("entries"));
    let lines: Vec<String> = p
        .attendance(Some(at(1, 0)), Some(at(15, 0)))
        .iter()
        .map(|a| format!("{} {} {} {}", a.member, a.sessions, a.hours, a.drills))
        .collect();
    insta::assert_snapshot!(lines.join("\n"), @r"
    m001 3 6.5 1
    m002 1 1 0
    m003 0 0 1
    ");
}

#[test]
fn exports_csv_jsonl_and_xapi() {
    let mut setup = season();
    setup.push(score(17));
    let all = stores(&setup);
    let store = &all[1];
    let entries = store.entries().expect("entries");
    let mut csv = Vec::new();
    ledger::export_csv(&entries, &mut csv).expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rows
        .records()
        .collect::<Result<_, _>>()
        .expect("csv reads back");
    assert_eq!(rows.len(), entries.len());
    assert_eq!(&rows[14][0], "15");
    assert_eq!(
        &rows[14][5], "16",
        "entry 15 is marked as corrected by entry 16"
    );
    let mut jsonl = Vec::new();
    ledger::export_jsonl(&entries, &mut jsonl).expect("jsonl");
    let jsonl = String::from_utf8(jsonl).expect("utf-8");
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), entries.len());
    assert_eq!(lines[9]["kind"], "training_attended");
    assert_eq!(lines[9]["hours"], 1.5);
    assert_eq!(lines[9]["seq"], 10);

    let opts = XapiOptions {
        home_page: "https://brigade.example".into(),
        activity_base: "https://brigade.example/muster".into(),
    };
    let statements = ledger::export_xapi(&entries, &opts);
    // Five trainings count (one corrected), and the score gives one statement per runner.
    assert_eq!(statements.len(), 5 + 2);
    let first = &statements[0];
    assert_eq!(
        first["actor"]["account"]["homePage"],
        "https://brigade.example"
    );
    assert_eq!(first["actor"]["account"]["name"], "m001");
    assert_eq!(
        first["verb"]["id"],
        "http://adlnet.gov/expapi/verbs/attended"
    );
    assert_eq!(
        first["object"]["id"],
        "https://brigade.example/muster/syllabus/physical-drill"
    );
    assert_eq!(first["result"]["duration"], "PT5400S");
    assert_eq!(first["timestamp"], "2021-06-01T07:00:00+08:00");
    let scored = &statements[5];
    assert_eq!(
        scored["verb"]["id"],
        "http://adlnet.gov/expapi/verbs/scored"
    );
    assert_eq!(scored["actor"]["account"]["name"], "m001");
    assert_eq!(statements[6]["actor"]["account"]["name"], "m003");
    assert_eq!(scored["result"]["score"]["raw"], 109.83333333333333);
    assert_eq!(scored["result"]["success"], true);
    assert_eq!(scored["result"]["duration"], "PT2555S");
    assert_ne!(
        scored["id"], statements[6]["id"],
        "each statement has its own id"
    );
}

#[test]
fn roster_import_names_every_bad_row() {
    let err = ledger::import_roster("roster-bad.csv", &fixture("roster-bad.csv"))
        .expect_err("the roster has bad rows");
    insta::assert_snapshot!(err.to_string(), @r"
    roster-bad.csv:3:1: error: empty name
    roster-bad.csv:4:1: error: member `m001` is already on line 2
    roster-bad.csv:5:1: error: the row has 3 fields; the header has 4
    ");
    let err =
        ledger::import_roster("roster.csv", "id,name,team\nm1,A,x\n").expect_err("bad header");
    insta::assert_snapshot!(err.to_string(), @r"
    roster.csv:1:1: error: unknown column `team`; the columns are id, name, squadron, speciality
    roster.csv:1:1: error: the header has no `squadron` column
    roster.csv:1:1: error: the header has no `speciality` column
    ");
    let err = ledger::import_roster("empty.csv", "").expect_err("empty");
    insta::assert_snapshot!(err.to_string(), @"empty.csv:1:1: error: the file is empty; expected the header `id,name,squadron,speciality`");
}

#[test]
fn roster_import_is_all_or_nothing() {
    let rows = ledger::import_roster("roster.csv", &fixture("roster.csv")).expect("good roster");
    assert_eq!(
        rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    let drafts: Vec<Draft> = rows.iter().map(|r| r.draft("admin", at(1, 8))).collect();
    insta::allow_duplicates! {
    for mut store in stores(&[]) {
        store.append(&drafts).expect("first import");
        let err = store.append(&drafts).expect_err("second import");
        insta::assert_snapshot!(err.to_string(), @"entry 4 (member_joined): member `m001` already joined (entry 1)");
        assert_eq!(store.tip().expect("tip").map(|t| t.0), Some(3));
    }
    }
}

#[test]
fn sqlite_schema_version_and_newer_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let store = SqliteStore::open(&path).expect("open");
    // A new file holds nothing a Muster of version 2 cannot read.
    assert_eq!(store.schema_version().expect("version"), 2);
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal mode");
    assert_eq!(mode, "wal");
    conn.pragma_update(None, "user_version", 99).expect("bump");
    drop(conn);
    let err = SqliteStore::open(&path).expect_err("a newer schema is refused");
    insta::assert_snapshot!(err.to_string(), @"the ledger has schema version 99; this Muster reads up to 4");
}

#[test]
fn verify_names_a_hash_that_is_not_hex() {
    let (problem, text) = tampered("UPDATE entries SET hash = 'not a hash' WHERE seq = 5");
    assert!(
        matches!(problem, Some(Tamper::Unreadable { seq: 5, .. })),
        "{problem:?}"
    );
    insta::assert_snapshot!(text, @"entry 5 cannot be read: the entry hash `not a hash` is not 64 lower-case hex digits");
}

#[test]
fn verify_refuses_an_upper_case_copy_of_a_hash() {
    // The same hash in capitals is not what was sealed: the chain is stored
    // in lower case, so a rewritten digit case is an edit of stored text.
    let (problem, _) = tampered("UPDATE entries SET prev = upper(prev) WHERE seq = 4");
    assert!(
        matches!(problem, Some(Tamper::Unreadable { seq: 4, .. })),
        "{problem:?}"
    );
}

#[test]
fn a_conditional_append_refuses_a_ledger_that_moved_on() {
    for mut store in stores(&base()) {
        let last = store.tip().expect("tip").expect("base written").0;
        let tip = store.tip().expect("tip");
        // Another writer gets in first.
        store
            .append(&[training("m001", "physical", 1.0, at(3, 8))])
            .expect("other writer");
        let moved = store
            .append_after(Some(last), &[training("m001", "physical", 2.0, at(3, 9))])
            .expect_err("stale write refused");
        assert_eq!(
            moved.to_string(),
            format!(
                "the ledger moved on: it was read up to entry {last} but now ends at entry {}; \
                 read it again and re-check before writing",
                last + 1
            )
        );
        assert_ne!(store.tip().expect("tip"), tip);
        assert_eq!(store.tip().expect("tip").expect("tip").0, last + 1);
        // Read again, the same write goes through.
        let written = store
            .append_after(
                Some(last + 1),
                &[training("m001", "physical", 2.0, at(3, 9))],
            )
            .expect("fresh write");
        assert_eq!(written[0].seq, last + 2);
    }
}

/// Both stores keep a scorer's source under its hash, once, check it when
/// it is read, and refuse what would not replay: bytes of another hash, or a
/// native scorer, keeping nothing.
#[test]
fn scorer_sources_are_kept_under_their_hash() {
    let script = b"fn score(record, params) { #{ total: 1.0 } }";
    let id = ScorerId::new(ScorerKind::Rhai, "score.rhai", script);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sqlite = SqliteStore::open(&dir.path().join("l.db")).expect("open");
    let mut memory = MemoryStore::new();
    for store in [&mut sqlite as &mut dyn LedgerStore, &mut memory] {
        assert_eq!(store.source(&id.hash).expect("reads"), None);
        store.keep_source(&id, script).expect("kept");
        store
            .keep_source(&id, script)
            .expect("kept again, changing nothing");
        assert_eq!(
            store.source(&id.hash).expect("reads").as_deref(),
            Some(&script[..])
        );
        assert_eq!(
            store.source_hashes().expect("hashes"),
            std::slice::from_ref(&id.hash)
        );

        let other = ScorerId::new(ScorerKind::Wasm, "score.wasm", b"\0asm");
        let err = store.keep_source(&other, script).expect_err("wrong bytes");
        assert_eq!(
            err.to_string(),
            format!(
                "scorer source {}: the bytes given for `score.wasm` hash to {}; keep the exact script or module the scores were computed with",
                other.hash, id.hash
            )
        );
        let native = TimeBonusScorer::default().id().clone();
        let err = store.keep_source(&native, b"").expect_err("native");
        assert!(
            err.to_string().ends_with(": `native:time-bonus` is a native scorer, compiled into Muster: it has no source to keep; keep rhai scripts and wasm modules"),
            "{err}"
        );
        assert_eq!(store.source_hashes().expect("hashes").len(), 1);
        let report = ledger::verify(&*store).expect("verify");
        assert_eq!((report.sources, report.problem), (1, None));
    }
}

/// A kept source edited in the file (past the table's triggers) is reported
/// by `verify` and never handed out; the triggers refuse plain edits.
#[test]
fn an_edited_scorer_source_is_caught() {
    let script = b"fn score(record, params) { #{ total: 1.0 } }";
    let id = ScorerId::new(ScorerKind::Rhai, "score.rhai", script);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("l.db");
    SqliteStore::open(&path)
        .expect("open")
        .keep_source(&id, script)
        .expect("kept");
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    let refused = conn
        .execute("UPDATE scorer_sources SET bytes = x'00'", [])
        .expect_err("the trigger refuses");
    assert!(
        refused
            .to_string()
            .contains("scorer sources are kept as they were: they cannot be changed"),
        "{refused}"
    );
    let refused = conn
        .execute("DELETE FROM scorer_sources", [])
        .expect_err("the trigger refuses");
    assert!(
        refused.to_string().contains("they cannot be deleted"),
        "{refused}"
    );
    conn.execute_batch(
        "DROP TRIGGER scorer_sources_no_update; UPDATE scorer_sources SET bytes = CAST('fn score(r, p) { #{ total: 9.0 } }' AS BLOB);",
    )
    .expect("tamper");
    drop(conn);
    let store = SqliteStore::open(&path).expect("open");
    let err = store.source(&id.hash).expect_err("changed");
    assert!(
        err.to_string().starts_with(&format!(
            "scorer source {}: the kept bytes hash to sha256:",
            id.hash
        )),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with(": the source was changed after it was kept, so it is not used"),
        "{err}"
    );
    let report = ledger::verify(&store).expect("verify");
    let problem = report.problem.expect("a problem").to_string();
    assert!(
        problem.starts_with(&format!(
            "scorer source {} was changed: the kept bytes hash to sha256:",
            id.hash
        )),
        "{problem}"
    );
}

/// A ledger file keeps schema version 2 (the tables of today) until an entry
/// that an older Muster cannot read is written into it: a score that keeps
/// its scenario's terms raises it to 3, a `scores_computed` entry to 4, so
/// that a Muster that reads up to the version before leaves it alone from
/// then on, and only then. A write that is refused leaves the version.
#[test]
fn a_ledger_is_raised_to_the_version_its_entries_need() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = scored_file(&dir, score_with_input(5));
    let version = |store: &SqliteStore| store.schema_version().expect("version");
    let mut store = SqliteStore::open(&path).expect("opens");
    assert_eq!(version(&store), 2);
    let report = ledger::replay(&store, &native).expect("replay");
    assert_eq!((report.replayed, report.identical), (1, 1));
    // Refused (entry 2 is no drill run): the version stays.
    store.append(&[score(2)]).expect_err("refused");
    assert_eq!(version(&store), 2);
    store.append(&[score(5)]).expect("a terms score");
    assert_eq!(version(&store), 3);
    let params = scenario().scoring().params.clone();
    rescore_with(&mut store, &TimeBonusScorer::default(), &params).expect("rescore");
    assert_eq!(version(&store), 4);
    drop(store);
    let store = SqliteStore::open(&path).expect("opens");
    assert_eq!(version(&store), ledger::SCHEMA_VERSION);
    let report = ledger::replay(&store, &native).expect("replay");
    assert_eq!((report.replayed, report.identical), (3, 3));
    assert!(ledger::verify(&store).unwrap().problem.is_none());
}

/// A ledger file of schema version 1 (before scorer sources) is migrated on
/// open, its entries untouched.
#[test]
fn a_version_1_ledger_is_migrated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("l.db");
    let mut store = SqliteStore::open(&path).expect("open");
    store
        .append(&[joined("m001", "wuyun", "fire-line")])
        .expect("append");
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.execute_batch("DROP TABLE scorer_sources; PRAGMA user_version = 1;")
        .expect("back to version 1");
    drop(conn);
    let mut store = SqliteStore::open(&path).expect("migrates");
    assert_eq!(store.schema_version().expect("version"), 2);
    let script = b"fn score(record, params) { #{ total: 1.0 } }";
    let id = ScorerId::new(ScorerKind::Rhai, "score.rhai", script);
    store.keep_source(&id, script).expect("kept");
    let report = ledger::verify(&store).expect("verify");
    assert_eq!(
        (report.entries, report.sources, report.problem),
        (1, 1, None)
    );
}

/// A `scores_computed` entry of the native rule's scores of `runs`, keeping
/// the fixture scenario's terms.
fn scores(runs: &[u64]) -> Draft {
    let s = scenario();
    let input = ScoreInput::new(&s, &record(&s));
    let params = s.scoring().params.clone();
    let rule = TimeBonusScorer::default();
    let card = rule.score(&input, &params).expect("scores");
    draft(EntryKind::ScoresComputed {
        scorer: rule.id().clone(),
        params,
        runtime: "native".into(),
        terms: ScenarioTerms::of(&s),
        scores: runs
            .iter()
            .map(|&run| RunScore::new(run, card.clone()))
            .collect(),
    })
}

#[test]
fn refuses_a_scores_entry_that_is_empty_out_of_order_too_large_or_not_of_runs() {
    let mut setup = base();
    setup.push(drill_run(&["m001"])); // 5
    setup.push(drill_run(&["m002"])); // 6
    insta::assert_snapshot!(refused(&setup, &[scores(&[])]), @"entry 7 (scores_computed): it holds no scores: give each run scored with its card");
    insta::assert_snapshot!(refused(&setup, &[scores(&[6, 5])]), @"entry 7 (scores_computed): score 2 is of run 5, which does not come after run 6 of score 1: give each run once, in increasing order");
    insta::assert_snapshot!(refused(&setup, &[scores(&[5, 5])]), @"entry 7 (scores_computed): score 2 is of run 5, which does not come after run 5 of score 1: give each run once, in increasing order");
    insta::assert_snapshot!(refused(&setup, &[scores(&[5, 99])]), @"entry 7 (scores_computed): there is no entry 99; the ledger holds entries 1 to 6");
    insta::assert_snapshot!(refused(&setup, &[scores(&[2, 5])]), @"entry 7 (scores_computed): entry 2 is a member_joined, not a drill_run");
    let mut infinite = scores(&[5, 6]);
    let mut too_many = scores(&[5]);
    let mut bad_terms = scores(&[5]);
    if let (
        EntryKind::ScoresComputed { scores: a, .. },
        EntryKind::ScoresComputed { scores: b, .. },
        EntryKind::ScoresComputed { terms, .. },
    ) = (
        &mut infinite.entry,
        &mut too_many.entry,
        &mut bad_terms.entry,
    ) {
        a[1].total = f64::INFINITY;
        *b = vec![b[0].clone(); ledger::MAX_SCORES + 1];
        *terms = ScenarioTerms::new(Some(0.0), vec![]);
    }
    insta::assert_snapshot!(refused(&setup, &[infinite]), @"entry 7 (scores_computed): the total of score 2 (run 6) is not a finite number");
    insta::assert_snapshot!(refused(&setup, &[too_many]), @"entry 7 (scores_computed): it holds 65537 scores; an entry holds at most 65536: split them over several entries");
    insta::assert_snapshot!(refused(&setup, &[bad_terms]), @"entry 7 (scores_computed): the terms' time_limit 0 is not a positive number of seconds");
    // A good one goes in after the refused ones, and reads back as given.
    for mut store in stores(&setup) {
        store.append(&[scores(&[5, 6])]).expect("appends");
        let entry = &store.entries().expect("entries")[6];
        let read: Vec<u64> = entry
            .scores(store.as_ref())
            .expect("scores")
            .iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(read, [5, 6]);
        assert_eq!(entry.score_input(store.as_ref()).expect("none"), None);
    }
}

#[test]
fn a_rescored_ledger_replays_and_exports_each_runs_score() {
    let mut setup = base();
    setup.push(drill_run(&["m001", "m002"])); // 5
    setup.push(drill_run(&["m003"])); // 6
    for mut store in stores(&setup) {
        let params = scenario().scoring().params.clone();
        let report =
            rescore_with(store.as_mut(), &TimeBonusScorer::default(), &params).expect("rescore");
        assert_eq!(report.appended, Some((7, 7)));
        // One statement per member of each run, each with an id of its own.
        let entries = store.entries().expect("entries");
        let opts = XapiOptions {
            home_page: "https://brigade.example".into(),
            activity_base: "https://brigade.example/muster".into(),
        };
        let statements = ledger::export_xapi(&entries, &opts);
        let actors: Vec<&str> = statements
            .iter()
            .map(|s| s["actor"]["account"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(actors, ["m001", "m002", "m003"]);
        let ids: std::collections::BTreeSet<&str> = statements
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 3);
        assert!(
            statements
                .iter()
                .all(|s| s["verb"]["display"]["en-US"] == "scored")
        );
        // Each tells of its entry and its run.
        let of = |s: &serde_json::Value, what: &str| {
            s["context"]["extensions"][format!("https://brigade.example/muster/ledger/{what}")]
                .as_u64()
                .expect("a number")
        };
        let told: Vec<(u64, u64)> = statements
            .iter()
            .map(|s| (of(s, "seq"), of(s, "run")))
            .collect();
        assert_eq!(told, [(7, 5), (7, 5), (7, 6)]);
        // Without the runs there is nothing to tell of the scores.
        assert!(ledger::export_xapi(&entries[6..], &opts).is_empty());
        // A replay that differs names the entry and each run.
        let off = |id: &ScorerId| -> Option<Arc<dyn Scorer>> {
            native(id).map(|_| Arc::new(OffByOneUlp(TimeBonusScorer::default())) as Arc<dyn Scorer>)
        };
        let report = ledger::replay(store.as_ref(), &off).expect("replay");
        assert_eq!((report.replayed, report.identical), (2, 0));
        let diffs: Vec<(u64, u64, &str)> = report
            .diffs
            .iter()
            .map(|d| (d.seq, d.run, d.field.as_str()))
            .collect();
        assert_eq!(diffs, [(7, 5, "total"), (7, 6, "total")]);
        // A correction of the entry reverses both scores.
        store
            .append(&[draft(EntryKind::Correction {
                reverses: 7,
                reason: "scored with the wrong params".into(),
            })])
            .expect("corrects");
        let entries = store.entries().expect("entries");
        assert!(ledger::export_xapi(&entries, &opts).is_empty());
    }
}
