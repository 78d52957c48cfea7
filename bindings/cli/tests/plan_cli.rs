//! `muster plan` and `muster drill feasible` as a trainer runs them: tables,
//! JSON, calendars, CSV, pins, the ledger, and every bad input's message and
//! exit code (1 input wrong, 2 usage; see src/out.rs).

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use common::{data, muster, path, text};

/// `muster plan` for `brigade` and `syllabus` over the days `from` to `to`,
/// with extra arguments.
fn plan_for(brigade: &str, syllabus: &str, [from, to]: [&str; 2], extra: &[&str]) -> Output {
    let mut args = vec![
        "plan",
        "--brigade",
        brigade,
        "--syllabus",
        syllabus,
        "--from",
        from,
        "--to",
        to,
    ];
    args.extend_from_slice(extra);
    muster(&args)
}

/// `muster plan` on the small test brigade and the top-up syllabus for the
/// week of 2027-01-04, with extra arguments.
fn plan(extra: &[&str]) -> Output {
    let mut args = vec!["--seed", "3"];
    args.extend_from_slice(extra);
    plan_for(
        &data("schedule/brigade.toml"),
        &data("schedule/top-up.toml"),
        ["2027-01-04", "2027-01-10"],
        &args,
    )
}

fn plan_json(extra: &[&str]) -> Value {
    let mut args = extra.to_vec();
    args.push("--json");
    let out = plan(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn table_shows_sessions_coverage_score_and_what_was_not_placed() {
    let out = plan(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.starts_with(
            "Plan 2027-01-04 to 2027-01-10 (Asia/Shanghai), seed 3: 9 sessions, 7 of them added to meet quotas\nQuota coverage: 100.0% (72.0 of 72.0 member-hours)\n"
        ),
        "{s}"
    );
    assert!(
        s.contains("│ 2027-01-05 ┆ 08:30–10:30 (added) ┆ Nantang 南塘"),
        "{s}"
    );
    assert!(s.contains("Score (lower is better): 6.5"), "{s}");
    assert!(
        s.contains("Not placed:\n  wind-extinguisher for nantang (duty), 2027-01-04: `nantang` is on 24-hour duty and trains on station only; `wind-extinguisher` is not an on-station item"),
        "{s}"
    );
    assert!(!s.contains("Quotas not met"), "{s}");
}

#[test]
fn rules_only_leaves_the_quota_short_and_says_why() {
    let out = plan(&["--rules-only"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("2 sessions, 0 of them added"), "{s}");
    assert!(
        s.contains("Quota coverage: 22.2% (16.0 of 72.0 member-hours)"),
        "{s}"
    );
    assert!(
        s.contains("fire week from 2027-01-04 (6h each): g1 2h, g2 2h, g3 2h, g4 2h: `wangmudu` had 1 `fire` sessions with 3 places in all for 4 members: the syllabus offers too few sessions for the quota"),
        "{s}"
    );
}

#[test]
fn json_is_the_whole_plan() {
    let v = plan_json(&[]);
    let sessions = v["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 9);
    assert_eq!(sessions.iter().filter(|s| s["added"] == true).count(), 7);
    assert_eq!(v["coverage"]["met_hours"], 72.0);
    assert_eq!(v["coverage"]["required_hours"], 72.0);
    assert_eq!(v["unplaced"][0]["constraint"], "duty");
    assert_eq!(v["score"][0]["constraint"], "hard");
    assert_eq!(v["score"][0]["amount"], 0.0);
}

/// Which sessions of the JSON plan a calendar file should hold.
type Want = dyn Fn(&Value) -> bool;

#[test]
fn ics_calendars_are_written_and_parse_back() {
    use icalendar::{Calendar, CalendarComponent};
    let dir = tempfile::tempdir().unwrap();
    let cal_dir = dir.path().join("calendars");
    let v = plan_json(&["--ics", &path(&cal_dir)]);
    let mut names: Vec<String> = std::fs::read_dir(&cal_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 12 + 3, "{names:?}");
    assert!(names.contains(&"squadron-wuyun.ics".to_string()));
    assert!(names.contains(&"member-w2.ics".to_string()));
    let in_wuyun = |s: &Value| s["squadron"] == "wuyun";
    let n3_there = |s: &Value| {
        s["members"].as_array().unwrap().iter().any(|m| m == "n3") || s["instructor"] == "n3"
    };
    let checks: [(&str, &Want); 2] = [
        ("squadron-wuyun.ics", &in_wuyun),
        ("member-n3.ics", &n3_there),
    ];
    for (file, want) in checks {
        let body = std::fs::read_to_string(cal_dir.join(file)).unwrap();
        let cal: Calendar = body.parse().unwrap();
        let events = cal
            .components
            .iter()
            .filter(|c| matches!(c, CalendarComponent::Event(_)))
            .count();
        let expected = v["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| want(s))
            .count();
        assert!(expected > 0, "{file}");
        assert_eq!(events, expected, "{file}");
    }
}

#[test]
fn csv_has_a_row_per_session() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("plan.csv");
    let out = plan(&["--csv", &path(&csv)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "date,start,end,squadron,item,instructor,members,equipment,pinned,added"
    );
    assert_eq!(lines.len(), 1 + 9);
    assert!(
        lines.iter().any(|l| l.starts_with(
            "2027-01-05,08:30,10:30,nantang,wind-extinguisher,n2,\"n1 Nantang leader; n3 Nantang three; n4 Nantang four\",wind-extinguisher=2,false,true"
        )),
        "{body}"
    );
}

#[test]
fn pins_are_kept_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let pins = dir.path().join("pins.json");
    std::fs::write(
        &pins,
        r#"[{"date": "2027-01-08", "start": "14:00:00", "minutes": 120, "squadron": "wangmudu",
             "item": "wind-extinguisher", "instructor": "g1", "members": ["g2", "g3"]}]"#,
    )
    .unwrap();
    let v = plan_json(&["--pins", &path(&pins)]);
    let pinned: Vec<&Value> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["pinned"] == true)
        .collect();
    assert_eq!(pinned.len(), 1);
    assert_eq!(pinned[0]["date"], "2027-01-08");
    assert_eq!(pinned[0]["start"], "14:00:00");
    assert_eq!(pinned[0]["members"], serde_json::json!(["g2", "g3"]));
    let out = plan(&["--pins", &path(&pins)]);
    assert!(text(&out.stdout).contains("14:00–16:00 (pinned)"));
}

#[test]
fn a_pin_for_an_unknown_squadron_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pins = dir.path().join("pins.json");
    std::fs::write(
        &pins,
        r#"[{"date": "2027-01-08", "start": "14:00:00", "minutes": 120, "squadron": "atlantis",
             "item": "wind-extinguisher", "members": ["g2"]}]"#,
    )
    .unwrap();
    let out = plan(&["--pins", &path(&pins)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}: error: pinned session 0 (wind-extinguisher for atlantis on 2027-01-08): unknown squadron `atlantis`; the squadrons are: nantang, wuyun, wangmudu\n",
            path(&pins)
        )
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_pins_file_that_is_not_json_sessions_is_refused_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let pins = dir.path().join("pins.json");
    std::fs::write(&pins, "[{\"date\": \"2027-01-08\",\n  \"start\": 9}]").unwrap();
    let out = plan(&["--pins", &path(&pins)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}:2:12: error: invalid type: integer `9`, expected a formatted time string at line 2 column 12; write a JSON list of sessions as `muster plan --json` prints them\n",
            path(&pins)
        )
    );
}

#[test]
fn a_reversed_date_range_is_a_usage_error() {
    let out = plan_for(
        &data("schedule/brigade.toml"),
        &data("schedule/top-up.toml"),
        ["2027-01-10", "2027-01-04"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: --to 2027-01-04 is before --from 2027-01-10; give a last day on or after the first\n"
    );
    let out = plan_for(
        "builtin:brigade.toml",
        "builtin:syllabus.toml",
        ["2027-01-01", "2029-01-02"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: --from 2027-01-01 to --to 2029-01-02 is 733 days; a plan covers at most 732\n"
    );
}

#[test]
fn a_bad_syllabus_line_is_reported_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("syllabus.toml");
    std::fs::write(
        &bad,
        "[duty]\ncycle = [\"nantang\"]\nanchor = \"2027-01-01\"\n\n[[quotas]]\ncategory = \"fire\"\nhours = 6\nper = \"fortnight\"\n",
    )
    .unwrap();
    let out = plan_for(
        &data("schedule/brigade.toml"),
        &path(&bad),
        ["2027-01-04", "2027-01-10"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:8:7: error: `per` is \"fortnight\"; write \"week\", \"month\", \"quarter\" or \"year\"\n",
            path(&bad)
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_missing_ledger_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nothing.db");
    let out = plan(&["--db", &path(&db)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}: error: no ledger here; give the file `muster ledger init` or `muster day --db` wrote\n",
            path(&db)
        )
    );
    assert!(!db.exists(), "reading must not create a ledger");
}

/// A ledger that says n4's pump qualification lapses on 2027-01-08.
fn ledger_with_lapsing_pump(db: &Path) {
    use chrono::TimeZone;
    use muster_core::ledger::{Draft, EntryKind, LedgerStore, SqliteStore};
    let at = chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2027, 1, 2, 9, 0, 0)
        .unwrap();
    let mut store = SqliteStore::open(db).unwrap();
    store
        .append(&[
            Draft::new(
                "trainer",
                at,
                EntryKind::MemberJoined {
                    member: "n4".into(),
                    name: "Nantang four".into(),
                    squadron: "nantang".into(),
                    speciality: "pump".into(),
                },
            ),
            Draft::new(
                "trainer",
                at,
                EntryKind::QualificationGranted {
                    member: "n4".into(),
                    skill: "pump".into(),
                    level: 1,
                    valid_until: chrono::NaiveDate::from_ymd_opt(2027, 1, 8),
                },
            ),
        ])
        .unwrap();
}

#[test]
fn the_ledger_puts_a_lapsing_member_into_training_sooner() {
    let dir = tempfile::tempdir().unwrap();
    let syllabus = dir.path().join("pump.toml");
    std::fs::write(
        &syllabus,
        r#"[duty]
cycle = ["nantang", "wuyun", "wangmudu"]
anchor = "2027-01-04"
on_duty = "any"
shift_leader = false

[[categories]]
id = "fire"

[[items]]
id = "pump-drill"
category = "fire"
rrule = "FREQ=WEEKLY;BYDAY=MO,WE,FR"
length = "2h"
trains = "pump"
instructor = "pump"
instructor_level = 3
group = { min = 1, max = 1 }
squadrons = ["nantang"]
"#,
    )
    .unwrap();
    let db = dir.path().join("ledger.db");
    ledger_with_lapsing_pump(&db);
    let brigade = data("schedule/brigade.toml");
    let syl = path(&syllabus);
    let run = |extra: &[&str]| -> Value {
        let mut args = vec!["--seed", "5", "--json"];
        args.extend_from_slice(extra);
        let out = plan_for(&brigade, &syl, ["2027-01-04", "2027-01-17"], &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first_n4 = |v: &Value| -> String {
        v["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["members"].as_array().unwrap().iter().any(|m| m == "n4"))
            .map(|s| s["date"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let without = first_n4(&run(&[]));
    let with = first_n4(&run(&["--db", &path(&db)]));
    assert_eq!(with, "2027-01-04");
    assert!(!without.is_empty() && without > with, "{without} vs {with}");
    // The table says what it read.
    let out = plan_for(
        &brigade,
        &syl,
        ["2027-01-04", "2027-01-10"],
        &["--db", &path(&db)],
    );
    assert!(
        text(&out.stdout).starts_with(&format!(
            "Ledger {}: 0 training records and 1 qualifications read\n",
            path(&db)
        )),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn the_instance_is_exported_for_another_solver() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("instance.json");
    let v = plan_json(&["--export-instance", &path(&file)]);
    assert_eq!(v["sessions"].as_array().unwrap().len(), 9);
    let inst: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(inst["members"].as_array().unwrap().len(), 12);
    assert_eq!(
        inst["quotas"],
        serde_json::json!([{"category": "fire", "first": "2027-01-04", "last": "2027-01-10", "minutes": 360}])
    );
    let cands = inst["candidates"].as_array().unwrap();
    // Mondays are rule occurrences; every other day a squadron is off duty is a candidate.
    assert!(cands.iter().any(|c| c["recurring"] == true));
    assert!(
        cands
            .iter()
            .all(|c| c["recurring"] == true || c["date"] != "2027-01-04")
    );
    // Nantang is on duty on the 4th, 7th and 10th and trains on station only.
    for d in ["2027-01-04", "2027-01-07", "2027-01-10"] {
        assert!(
            !cands
                .iter()
                .any(|c| c["squadron"] == "nantang" && c["date"] == d),
            "{d}"
        );
    }
}

/// `muster drill feasible` for the built-in initial attack with the built-in
/// brigade on 2026-12-01, with extra arguments.
fn feasible(extra: &[&str]) -> Output {
    let mut args = vec![
        "drill",
        "feasible",
        "builtin:forest-fire.initial-attack",
        "--brigade",
        "builtin:brigade.toml",
        "--date",
        "2026-12-01",
    ];
    args.extend_from_slice(extra);
    muster(&args)
}

#[test]
fn drill_feasible_table_and_json() {
    let out = feasible(&["--syllabus", "builtin:syllabus.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.starts_with(
            "forest-fire.initial-attack@1.0.0 on 2026-12-01 with nantang on duty: can run\n"
        ),
        "{s}"
    );
    assert!(s.contains("levelled length"), "{s}");
    let out = feasible(&["--syllabus", "builtin:syllabus.toml", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["date"], "2026-12-01");
    assert!(
        v["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role"] == "leader")
    );
}

#[test]
fn drill_feasible_bad_inputs() {
    let out = feasible(&["--squadron", "atlantis"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "builtin:brigade.toml: error: unknown squadron `atlantis`; the squadrons are: nantang, wuyun, wangmudu\n"
    );
    let out = feasible(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: say who is on duty: pass --squadron ID or --syllabus FILE\n"
    );
}
