//! Tests of the schedule: parsing and its messages, the duty rotation, the
//! planner on fixtures and on a generated year, drills, and exports.

use std::fmt::Write as _;

use chrono::{NaiveDate, TimeZone as _};

use super::*;
use crate::{Brigade, Format, Scenario};

const BRIGADE: &str = include_str!("../../../tests/data/schedule/brigade.toml");
const SYLLABUS: &str = include_str!("../../../tests/data/schedule/syllabus.toml");
const INFEASIBLE: &str = include_str!("../../../tests/data/schedule/infeasible.toml");
const TOP_UP: &str = include_str!("../../../tests/data/schedule/top-up.toml");
const SOLO_BRIGADE: &str = include_str!("../../../tests/data/schedule/solo-brigade.toml");
const SCARCE_INSTRUCTOR: &str = include_str!("../../../tests/data/schedule/scarce-instructor.toml");
const ONE_DAY: &str = include_str!("../../../tests/data/schedule/one-day.toml");
const DAILY_PHYSICAL: &str = include_str!("../../../tests/data/schedule/daily-physical.toml");
const YEAR_BRIGADE: &str = include_str!("../../../tests/data/schedule/year-brigade.toml");
const YEAR_SYLLABUS: &str = include_str!("../../../tests/data/schedule/year-syllabus.toml");

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn brigade() -> Brigade {
    Brigade::parse("brigade.toml", BRIGADE).unwrap()
}

fn syllabus(text: &str) -> Syllabus {
    Syllabus::parse("syllabus.toml", text, &brigade()).unwrap()
}

/// The diagnostics for a bad syllabus, one per line.
fn check_bad(text: &str) -> String {
    match Syllabus::parse("syllabus.toml", text, &brigade()) {
        Ok(_) => panic!("expected errors"),
        Err(d) => d.to_string(),
    }
}

#[test]
fn bad_input_messages() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "cycle = [\"nantang\", \"wuyun\", \"wangmudu\"]",
            "cycle = [\"nantang\", \"wuyun\", \"wangmudou\"]",
            "syllabus.toml:9:30: error: unknown squadron `wangmudou`; did you mean `wangmudu`?\n",
        ),
        (
            "rrule = \"FREQ=WEEKLY;BYDAY=MO,WE,FR\"",
            "rrule = \"FREQ=FORTNIGHTLY;BYDAY=MO\"",
            "syllabus.toml:35:9: error: bad RRULE \"FREQ=FORTNIGHTLY;BYDAY=MO\": ",
        ),
        (
            "rrule = \"FREQ=WEEKLY;BYDAY=MO,WE,FR\"",
            "rrule = \"DTSTART:20270101T000000Z;FREQ=DAILY\"",
            "syllabus.toml:35:9: error: bad RRULE \"DTSTART:20270101T000000Z;FREQ=DAILY\": DTSTART is set by the planner from the plan's dates; write an RFC 5545 rule without DTSTART, e.g. \"FREQ=WEEKLY;BYDAY=MO,TH\", \"FREQ=DAILY\" or \"FREQ=MONTHLY;BYMONTHDAY=1,15\"\n",
        ),
        (
            "start = \"08:30\"",
            "start = \"8.30am\"",
            "syllabus.toml:3:9: error: `start` is \"8.30am\"; write a local time as \"HH:MM\" from \"00:00\" to \"23:59\", e.g. \"08:30\"\n",
        ),
        (
            "start = \"16:00\"",
            "start = \"25:00\"",
            "syllabus.toml:47:9: error: `start` is \"25:00\"; write a local time as \"HH:MM\" from \"00:00\" to \"23:59\", e.g. \"08:30\"\n",
        ),
        (
            "end = \"17:30\"",
            "end = \"07:30\"",
            "syllabus.toml:4:7: error: the day ends at 07:30 before it starts at 08:30; `end` must be later than `start`\n",
        ),
        (
            "category = \"fire\"\nhours = 4",
            "category = \"fires\"\nhours = 4",
            "syllabus.toml:26:12: error: a quota refers to unknown category `fires`; did you mean `fire`?\n",
        ),
        (
            "category = \"fitness\"",
            "category = \"swimming\"",
            "syllabus.toml:45:12: error: an item refers to unknown category `swimming`; the categories are: fire, fitness\n",
        ),
        (
            "per = \"week\"",
            "per = \"fortnight\"",
            "syllabus.toml:28:7: error: `per` is \"fortnight\"; write \"week\", \"month\", \"quarter\" or \"year\"\n",
        ),
        (
            "length = \"2h\"",
            "length = \"two hours\"",
            "syllabus.toml:36:10: error: `length` is \"two hours\"; write whole minutes from 1m to 12h as ",
        ),
        (
            "length = \"1h\"",
            "length = \"3h\"",
            "syllabus.toml:47:9: error: the session (180 minutes from 16:00) does not fit in the training day 08:30–17:30 (540 minutes)\n",
        ),
        (
            "on_duty = \"station\"",
            "on_duty = \"home\"",
            "syllabus.toml:12:11: error: `on_duty` is \"home\"; write \"station\" (on-duty squadron trains on station items only), \"none\" or \"any\"\n",
        ),
        (
            "anchor = \"2027-01-01\"",
            "anchor = \"2027-13-01\"",
            "syllabus.toml:10:10: error: `anchor` is \"2027-13-01\"; write a date as YYYY-MM-DD, e.g. 2027-03-01\n",
        ),
        (
            "group = { min = 2, max = 4 }",
            "group = { min = 5, max = 4 }",
            "syllabus.toml:40:9: error: group max 4 is less than min 5\n",
        ),
        (
            "trains = \"wind-extinguisher\"",
            "train = \"wind-extinguisher\"",
            "syllabus.toml:37:1: error: unknown key `train` in an [[items]] table; did you mean `trains`?\n",
        ),
    ];
    let mut wrong = String::new();
    for (from, to, expected) in cases {
        assert!(SYLLABUS.contains(from), "fixture lacks {from}");
        let got = check_bad(&SYLLABUS.replacen(from, to, 1));
        if !got.starts_with(expected) {
            writeln!(wrong, "for {to}:\n got: {got}\nwant: {expected}").unwrap();
        }
    }
    assert!(wrong.is_empty(), "{wrong}");
    // Leave for an unknown member, an unknown outage squadron, a missing [duty].
    let extra = format!(
        "{SYLLABUS}\n[[leave]]\nmember = \"x9\"\nfrom = \"2027-01-02\"\nto = \"2027-01-01\"\n\n[[outages]]\nsquadron = \"north\"\nequipment = \"pump\"\nfrom = \"2027-01-01\"\nto = \"2027-01-02\"\n"
    );
    insta::assert_snapshot!(check_bad(&extra), @r"
    syllabus.toml:52:1: error: leave ends on 2027-01-01 before it starts on 2027-01-02
    syllabus.toml:53:10: error: leave for unknown member `x9`; member ids are in the brigade file, e.g. `n1`
    syllabus.toml:58:12: error: unknown squadron `north`; the squadrons are: nantang, wuyun, wangmudu
    ");
    let no_duty = SYLLABUS.replace("[duty]", "[dooty]");
    insta::assert_snapshot!(check_bad(&no_duty), @r"
    syllabus.toml:1:1: error: the syllabus needs a [duty] table: `cycle` (squadrons in the order they take duty) and `anchor` (a date the first takes duty)
    syllabus.toml:8:2: error: unknown key `dooty` in the syllabus file; did you mean `duty`?
    ");
    insta::assert_snapshot!(check_bad("items = 3"), @r"
    syllabus.toml:1:1: error: the syllabus needs a [duty] table: `cycle` (squadrons in the order they take duty) and `anchor` (a date the first takes duty)
    syllabus.toml:1:9: error: `items` must be a list of tables, found an integer
    ");
    insta::assert_snapshot!(check_bad("[day\n"), @"syllabus.toml:1:5: error: this is not valid TOML: unclosed table, expected `]`");
}

#[test]
fn duty_rotation_across_years_and_dates_before_the_anchor() {
    let s = syllabus(SYLLABUS);
    let rota = Rota::new(&s.duty, chrono_tz::Asia::Shanghai);
    let mut text = String::new();
    for d in [
        day(2026, 12, 29),
        day(2026, 12, 30),
        day(2026, 12, 31),
        day(2027, 1, 1),
        day(2027, 1, 2),
        day(2027, 1, 3),
        day(2028, 2, 29),
        day(2028, 12, 31),
        day(2029, 1, 1),
    ] {
        let shift = rota.shift(d).unwrap();
        let hours = (shift.ends - shift.starts).num_hours();
        writeln!(
            text,
            "{d} {} {} {hours}h",
            shift.squadron,
            shift.starts.format("%Y-%m-%dT%H:%MZ")
        )
        .unwrap();
    }
    insta::assert_snapshot!(text, @r"
    2026-12-29 nantang 2026-12-29T00:00Z 24h
    2026-12-30 wuyun 2026-12-30T00:00Z 24h
    2026-12-31 wangmudu 2026-12-31T00:00Z 24h
    2027-01-01 nantang 2027-01-01T00:00Z 24h
    2027-01-02 wuyun 2027-01-02T00:00Z 24h
    2027-01-03 wangmudu 2027-01-03T00:00Z 24h
    2028-02-29 wuyun 2028-02-29T00:00Z 24h
    2028-12-31 wuyun 2028-12-31T00:00Z 24h
    2029-01-01 wangmudu 2029-01-01T00:00Z 24h
    ");
    // Every shift in ten years is 24 hours long and the cycle never skips.
    let mut d = day(2020, 1, 1);
    let mut prev = rota.squadron_on(d - chrono::Days::new(1)).unwrap();
    while d < day(2030, 1, 1) {
        let shift = rota.shift(d).unwrap();
        assert_eq!((shift.ends - shift.starts).num_hours(), 24, "{d}");
        let i = s
            .duty
            .cycle
            .iter()
            .position(|x| *x == shift.squadron)
            .unwrap();
        let p = s.duty.cycle.iter().position(|x| x == prev).unwrap();
        assert_eq!(i, (p + 1) % 3, "{d}");
        prev = rota.squadron_on(d).unwrap();
        d = d.succ_opt().unwrap();
    }
}

fn summary(plan: &Plan) -> String {
    let mut out = String::new();
    for s in &plan.sessions {
        writeln!(
            out,
            "{} {} {} {} instr={} [{}]{}",
            s.date,
            s.start.format("%H:%M"),
            s.squadron,
            s.item,
            s.instructor.as_deref().unwrap_or("-"),
            s.members.join(","),
            if s.added { " added" } else { "" }
        )
        .unwrap();
    }
    for u in &plan.unplaced {
        let dates: Vec<String> = u.dates.iter().map(|d| d.to_string()).collect();
        writeln!(
            out,
            "UNPLACED {} for {} [{}] on {}: {}",
            u.item,
            u.squadron,
            u.constraint,
            dates.join(", "),
            u.reason
        )
        .unwrap();
    }
    for u in &plan.unmet {
        let m: Vec<String> = u.members.iter().map(|(m, h)| format!("{m} {h}h")).collect();
        writeln!(
            out,
            "UNMET {} {} from {} ({}h each): {}: {}",
            u.category,
            u.per.name(),
            u.period_start,
            u.required_hours,
            m.join(", "),
            u.reason
        )
        .unwrap();
    }
    for g in &plan.duty_gaps {
        writeln!(out, "GAP {g}").unwrap();
    }
    writeln!(
        out,
        "COVERAGE {:.1} of {:.1} member-hours",
        plan.coverage.met_hours, plan.coverage.required_hours
    )
    .unwrap();
    for l in &plan.score {
        writeln!(
            out,
            "SCORE {} {} {} × {} = {}",
            l.constraint, l.amount, l.unit, l.weight, l.penalty
        )
        .unwrap();
    }
    out
}

#[test]
fn week_plan_is_valid_and_deterministic() {
    let b = brigade();
    let s = syllabus(SYLLABUS);
    let opts = PlanOptions::new(day(2027, 1, 4), day(2027, 1, 10)).seed(7);
    let plan = plan(&b, &s, &opts).unwrap();
    assert_eq!(verify(&b, &s, &plan), []);
    assert_eq!(plan, super::plan(&b, &s, &opts).unwrap());
    insta::assert_snapshot!("week_plan", summary(&plan));
}

#[test]
fn infeasible_explanations() {
    let b = brigade();
    let s = syllabus(INFEASIBLE);
    let plan = plan(&b, &s, &PlanOptions::new(day(2027, 1, 4), day(2027, 1, 10))).unwrap();
    assert_eq!(verify(&b, &s, &plan), []);
    insta::assert_snapshot!("infeasible", summary(&plan));
}

#[test]
fn quota_is_met_only_thanks_to_added_sessions() {
    let b = brigade();
    let s = syllabus(TOP_UP);
    let opts = PlanOptions::new(day(2027, 1, 4), day(2027, 1, 10)).seed(3);
    let rules_only = plan(&b, &s, &opts.clone().top_up(false)).unwrap();
    let topped = plan(&b, &s, &opts).unwrap();
    assert_eq!(verify(&b, &s, &topped), []);
    // Twelve members need 6 hours each; the Monday rule gives at most 2 each.
    assert_eq!(rules_only.coverage.required_hours, 72.0);
    assert!(
        rules_only.coverage.ratio() < 0.4,
        "{:?}",
        rules_only.coverage
    );
    assert_eq!(topped.coverage.met_hours, 72.0, "{}", summary(&topped));
    assert!(topped.unmet.is_empty(), "{:?}", topped.unmet);
    // Only sessions beyond the rule are marked added, and none of them is on a
    // day the rule names.
    let added: Vec<&Session> = topped.sessions.iter().filter(|x| x.added).collect();
    assert!(added.len() >= 6, "{}", summary(&topped));
    assert!(added.iter().all(|x| x.date != day(2027, 1, 4)));
    assert!(rules_only.sessions.iter().all(|x| !x.added));
    // Each squadron's added sessions fall on different days.
    for sq in ["nantang", "wuyun", "wangmudu"] {
        let mut days: Vec<NaiveDate> = added
            .iter()
            .filter(|x| x.squadron == sq)
            .map(|x| x.date)
            .collect();
        let n = days.len();
        days.dedup();
        assert_eq!(days.len(), n, "{sq}: {}", summary(&topped));
    }
    assert_eq!(topped, plan(&b, &s, &opts).unwrap());
    // Replanning with a published session pinned keeps it, still meets the
    // quota, and changes few attendances.
    let pins = [Session::new(
        day(2027, 1, 8),
        chrono::NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
        120,
        "wangmudu",
        "wind-extinguisher",
        Some("g1"),
        vec!["g2".into(), "g3".into(), "g4".into()],
    )];
    let again = plan(&b, &s, &opts.clone().previous(&topped).pins(&pins)).unwrap();
    assert_eq!(verify(&b, &s, &again), []);
    assert!(
        again
            .sessions
            .iter()
            .any(|x| x.pinned && x.date == day(2027, 1, 8))
    );
    assert_eq!(again.coverage.met_hours, 72.0, "{}", summary(&again));
    let changes = again
        .score
        .iter()
        .find(|l| l.constraint == "changes")
        .unwrap();
    assert!(changes.amount <= 8.0, "{}", summary(&again));
    insta::assert_snapshot!("top_up", summary(&topped));
}

#[test]
fn quotas_that_added_sessions_cannot_meet_are_explained() {
    let b = brigade();
    // Wangmudu's only instructor is away every day it is not on duty after
    // Wednesday, and Nantang has too few wind extinguishers after a breakdown
    // on every day it is not on duty.
    let text = format!(
        "{TOP_UP}\n[[leave]]\nmember = \"g1\"\nfrom = \"2027-01-07\"\nto = \"2027-01-08\"\nreason = \"training course\"\n\n[[leave]]\nmember = \"g1\"\nfrom = \"2027-01-10\"\nto = \"2027-01-10\"\nreason = \"training course\"\n\n[[outages]]\nsquadron = \"nantang\"\nequipment = \"wind-extinguisher\"\ncount = 3\nfrom = \"2027-01-05\"\nto = \"2027-01-10\"\nreason = \"impeller cracked\"\n"
    );
    let s = syllabus(&text);
    let p = plan(&b, &s, &PlanOptions::new(day(2027, 1, 4), day(2027, 1, 10))).unwrap();
    assert_eq!(verify(&b, &s, &p), []);
    assert!(p.coverage.ratio() < 1.0);
    insta::assert_snapshot!("top_up_infeasible", summary(&p));
}

/// The one-squadron brigade and a syllabus for it.
fn solo(text: &str) -> (Brigade, Syllabus) {
    let b = Brigade::parse("solo-brigade.toml", SOLO_BRIGADE).unwrap();
    let s = Syllabus::parse("syllabus.toml", text, &b).unwrap();
    (b, s)
}

#[test]
fn a_scarce_instructor_teaches_where_the_quota_gains_most() {
    let (b, s) = solo(SCARCE_INSTRUCTOR);
    let p = plan(&b, &s, &PlanOptions::new(day(2027, 1, 4), day(2027, 1, 10))).unwrap();
    assert_eq!(verify(&b, &s, &p), []);
    // Five people need 3 hours of water and 2 of landslide; the instructor
    // can give two 2-hour sessions in the week. A second water session would
    // add an hour each (15 of 25 member-hours in all, as topping up one
    // category after the other gave); a landslide session adds two (20).
    assert_eq!(p.coverage.required_hours, 25.0);
    assert_eq!(p.coverage.met_hours, 20.0, "{}", summary(&p));
    let mut items: Vec<&str> = p.sessions.iter().map(|x| x.item.as_str()).collect();
    items.sort();
    assert_eq!(items, ["rope-rescue", "shoring"], "{}", summary(&p));
    insta::assert_snapshot!("scarce_instructor", summary(&p));
}

#[test]
fn the_top_up_adds_a_second_session_on_the_only_day_there_is() {
    let (b, s) = solo(ONE_DAY);
    let p = plan(&b, &s, &PlanOptions::new(day(2027, 1, 4), day(2027, 1, 10))).unwrap();
    assert_eq!(verify(&b, &s, &p), []);
    assert_eq!(p.coverage.met_hours, 20.0, "{}", summary(&p));
    let starts: Vec<String> = p
        .sessions
        .iter()
        .map(|x| format!("{} {}", x.date, x.start.format("%H:%M")))
        .collect();
    assert_eq!(starts, ["2027-01-04 08:00", "2027-01-04 10:30"]);
    assert!(p.unmet.is_empty(), "{:?}", p.unmet);
}

#[test]
fn a_session_without_a_quota_leaves_time_for_the_quotas() {
    let (b, s) = solo(DAILY_PHYSICAL);
    let opts = PlanOptions::new(day(2027, 1, 4), day(2027, 1, 10));
    let p = plan(&b, &s, &opts).unwrap();
    assert_eq!(verify(&b, &s, &p), []);
    // Physical training (no quota) every day for everyone would leave no
    // room for a 2-hour fire session in a 2-hour day, and no fire hours.
    assert_eq!(p.coverage.required_hours, 10.0);
    assert_eq!(p.coverage.met_hours, 10.0, "{}", summary(&p));
    // Everyone still trains physically on every day but their fire day.
    let physical: usize = p
        .sessions
        .iter()
        .filter(|x| x.item == "physical")
        .map(|x| x.members.len())
        .sum();
    assert_eq!(physical, 7 * 5 - 5, "{}", summary(&p));
    // Without the top-up the rule sessions are filled as before.
    let rules = plan(&b, &s, &opts.clone().top_up(false)).unwrap();
    assert!(
        rules
            .sessions
            .iter()
            .all(|x| x.item == "physical" && x.members.len() == 5),
        "{}",
        summary(&rules)
    );
    insta::assert_snapshot!("daily_physical", summary(&p));
}

#[test]
fn ledger_expiry_puts_a_lapsing_member_into_training_sooner() {
    use crate::ledger::{Draft, EntryKind, LedgerStore, MemoryStore};
    let b = brigade();
    let s = syllabus(
        r#"
[duty]
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
    );
    let opts = PlanOptions::new(day(2027, 1, 4), day(2027, 1, 17)).seed(5);
    let first_pump = |p: &Plan, who: &str| {
        p.sessions
            .iter()
            .find(|x| x.item == "pump-drill" && x.members.iter().any(|m| m == who))
            .map(|x| x.date)
    };
    let without = plan(&b, &s, &opts).unwrap();
    // The brigade file says n4's pump qualification never lapses, so n3
    // (lapsing on 2027-01-15) goes first.
    let before = first_pump(&without, "n4").unwrap_or_else(|| panic!("{}", summary(&without)));
    assert!(before > day(2027, 1, 4), "{}", summary(&without));
    // The ledger knows better: n4's qualification was renewed only to 2027-01-08.
    let at = chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2027, 1, 2, 9, 0, 0)
        .unwrap();
    let mut store = MemoryStore::new();
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
                    valid_until: Some(day(2027, 1, 8)),
                },
            ),
        ])
        .unwrap();
    let history = History::from_ledger(&store.entries().unwrap());
    assert_eq!(
        history.expiry,
        [Expiry::new("n4", "pump", Some(day(2027, 1, 8)))]
    );
    let with = plan(&b, &s, &opts.clone().history(&history)).unwrap();
    assert_eq!(verify(&b, &s, &with), []);
    let after = first_pump(&with, "n4").unwrap();
    assert_eq!(after, day(2027, 1, 4), "{}", summary(&with));
    assert!(after < before);
}

#[test]
fn leaders_all_on_leave_is_a_duty_gap_and_a_violation() {
    let b = brigade();
    let text = format!(
        "{SYLLABUS}\n[[leave]]\nmember = \"n1\"\nfrom = \"2027-01-04\"\nto = \"2027-01-04\"\n\n[[leave]]\nmember = \"n2\"\nfrom = \"2027-01-04\"\nto = \"2027-01-04\"\n"
    );
    let s = syllabus(&text);
    let plan = plan(&b, &s, &PlanOptions::new(day(2027, 1, 4), day(2027, 1, 4))).unwrap();
    assert_eq!(
        plan.duty_gaps,
        [
            "2027-01-04: no leader of `nantang` is free to lead the duty shift (every leader is on leave)"
        ]
    );
    let v = verify(&b, &s, &plan);
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0].message,
        "no leader of `nantang` is free to lead the duty shift on 2027-01-04"
    );
}

#[test]
fn pins_stay_and_replanning_changes_little() {
    let b = brigade();
    let s = syllabus(SYLLABUS);
    let opts = PlanOptions::new(day(2027, 1, 4), day(2027, 1, 10)).seed(1);
    let first = plan(&b, &s, &opts).unwrap();
    let pin = Session::new(
        day(2027, 1, 8),
        chrono::NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
        120,
        "wangmudu",
        "wind-extinguisher",
        Some("g1"),
        vec!["g3".into(), "g4".into()],
    );
    let pins = [pin];
    let second = plan(&b, &s, &opts.clone().pins(&pins).previous(&first)).unwrap();
    assert_eq!(verify(&b, &s, &second), []);
    let kept = second.sessions.iter().find(|x| x.pinned).unwrap();
    assert_eq!(
        (kept.instructor.as_deref(), kept.members.clone()),
        (Some("g1"), vec!["g3".to_string(), "g4".to_string()])
    );
    let changes = second
        .score
        .iter()
        .find(|l| l.constraint == "changes")
        .unwrap()
        .amount;
    assert!(changes <= 6.0, "replanning changed {changes} attendances");
    // A pin that breaks a hard rule is refused with the reason.
    let bad = [Session::new(
        day(2027, 1, 8),
        chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        120,
        "wangmudu",
        "wind-extinguisher",
        Some("g1"),
        vec!["n3".into()],
    )];
    let err = plan(&b, &s, &opts.clone().pins(&bad)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pinned session 0 (wind-extinguisher for wangmudu on 2027-01-08): member `n3` is not in squadron `wangmudu`"
    );
}

#[test]
fn bad_periods_and_zones_are_errors() {
    let b = brigade();
    let s = syllabus(SYLLABUS);
    let err = plan(&b, &s, &PlanOptions::new(day(2027, 1, 4), day(2027, 1, 3))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad period 2027-01-04 to 2027-01-03: `to` must not be before `from`, and a plan covers at most 732 days"
    );
    let mut b2 = b.clone();
    b2.brigade.time_zone = "Asia/Shangahi".into();
    let err = plan(&b2, &s, &PlanOptions::new(day(2027, 1, 4), day(2027, 1, 5))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown time zone \"Asia/Shangahi\"; write an IANA zone name such as \"Asia/Shanghai\""
    );
}

#[test]
fn verify_catches_broken_plans() {
    let b = brigade();
    let s = syllabus(SYLLABUS);
    let mut p = plan(&b, &s, &PlanOptions::new(day(2027, 1, 4), day(2027, 1, 10))).unwrap();
    let i = p
        .sessions
        .iter()
        .position(|x| x.item == "wind-extinguisher")
        .unwrap();
    let mut copy = p.sessions[i].clone();
    copy.item = "physical".into();
    copy.equipment.clear();
    p.sessions.push(copy);
    p.sessions[i].members.push("w9".into());
    let v: Vec<String> = verify(&b, &s, &p)
        .into_iter()
        .map(|v| v.constraint)
        .collect();
    assert!(v.contains(&"double-booked".to_string()), "{v:?}");
    assert!(v.contains(&"unknown".to_string()), "{v:?}");
}

#[test]
fn ics_round_trips_through_a_calendar_parser() {
    use icalendar::{Calendar, CalendarComponent, Component};
    let b = brigade();
    let s = syllabus(SYLLABUS);
    let p = plan(&b, &s, &PlanOptions::new(day(2027, 1, 4), day(2027, 1, 10))).unwrap();
    let text = ics_for_squadron(&p, &s, "nantang");
    let cal: Calendar = text.parse().unwrap();
    let events: Vec<&icalendar::Event> = cal
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    let ours: Vec<&Session> = p
        .sessions
        .iter()
        .filter(|x| x.squadron == "nantang")
        .collect();
    assert_eq!(events.len(), ours.len());
    assert!(!ours.is_empty());
    for (e, o) in events.iter().zip(&ours) {
        let start = match e.get_start() {
            Some(icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(t))) => t,
            other => panic!("{other:?}"),
        };
        // Asia/Shanghai is UTC+8 all year.
        assert_eq!(
            start.naive_utc() + chrono::Duration::hours(8),
            o.date.and_time(o.start)
        );
        let summary = e.get_summary().unwrap();
        assert!(
            summary.contains(if o.item == "physical" {
                "Physical training"
            } else {
                "Wind extinguisher drill 风力灭火机操作"
            }),
            "{summary}"
        );
        assert!(e.get_description().unwrap().contains(&o.members.join(", ")));
    }
    let member = ics_for_member(&p, &s, "n3");
    let cal: Calendar = member.parse().unwrap();
    let n = p
        .sessions
        .iter()
        .filter(|x| x.people().any(|m| m == "n3"))
        .count();
    assert_eq!(
        cal.components
            .iter()
            .filter(|c| matches!(c, CalendarComponent::Event(_)))
            .count(),
        n
    );
    let csv_text = csv(&p, &b);
    assert_eq!(csv_text.lines().count(), p.sessions.len() + 1);
}

/// An 80-member brigade in three squadrons, with instructors, leaders, and
/// qualifications that lapse through the year.
fn year_brigade() -> Brigade {
    Brigade::parse("year-brigade.toml", YEAR_BRIGADE).unwrap()
}

fn year_syllabus(b: &Brigade) -> Syllabus {
    Syllabus::parse("year-syllabus.toml", YEAR_SYLLABUS, b).unwrap()
}

#[test]
fn year_plan_for_eighty_members_has_no_hard_violations() {
    let b = year_brigade();
    assert_eq!(b.members.len(), 80);
    let s = year_syllabus(&b);
    assert_eq!(s.items.len(), 20);
    let p = plan(
        &b,
        &s,
        &PlanOptions::new(day(2027, 1, 1), day(2027, 12, 31)).seed(42),
    )
    .unwrap();
    assert_eq!(verify(&b, &s, &p), []);
    assert!(p.sessions.len() > 3000, "{} sessions", p.sessions.len());
    assert_eq!(p.score[0].amount, 0.0);
    // The benchmark `planning` compares this with the rules alone.
    eprintln!(
        "year plan: {} sessions ({} added), quota coverage {:.4} ({:.1} of {:.1} member-hours)",
        p.sessions.len(),
        p.sessions.iter().filter(|x| x.added).count(),
        p.coverage.ratio(),
        p.coverage.met_hours,
        p.coverage.required_hours,
    );
    assert!(p.sessions.iter().any(|x| x.added));
    assert!(p.coverage.ratio() > 0.99, "{:?}", p.coverage);
    // Every member trains, and the load is fair within a few hours a squadron.
    for m in &b.members {
        assert!(
            p.sessions.iter().any(|s| s.members.contains(&m.id)),
            "{} never trains",
            m.id
        );
    }
}

#[test]
fn drill_feasibility_on_the_day_roster() {
    let b = brigade();
    let scenario = Scenario::parse(
        "d.toml",
        r#"
[scenario]
id = "demo.pump"
version = "1.0.0"
hazard = "forest-fire"
name = "Pump and blowers"

[[roles]]
id = "pump-crew"
skill = "pump"
count = 2

[[roles]]
id = "blowers"
skill = "wind-extinguisher"
count = 2

[[roles]]
id = "boat"
skill = "boat"
count = 1

[[tasks]]
id = "pump"
name = "Set up the pump"
duration = "10m"
roles = ["pump-crew"]
equipment = { pump = 1 }

[[tasks]]
id = "hose"
name = "Lay the hose"
after = ["pump"]
duration = "15m"
roles = ["pump-crew"]

[[tasks]]
id = "blow"
name = "Blow the fire line"
duration = "20m"
roles = ["blowers"]
equipment = { wind-extinguisher = 2 }

[[tasks]]
id = "mop"
name = "Mop up"
after = ["hose", "blow"]
duration = "5m"
roles = ["pump-crew", "blowers"]
"#,
        Format::Toml,
    )
    .unwrap();
    let f = drill_feasibility(&scenario, &b, "wangmudu", day(2027, 1, 6), &[], &[]);
    let mut out = String::new();
    for r in &f.roles {
        writeln!(
            out,
            "role {} ({} × {}): {:?} of {:?}, missing {}",
            r.role, r.count, r.skill, r.members, r.candidates, r.missing
        )
        .unwrap();
    }
    for p in &f.problems {
        writeln!(out, "problem: {p}").unwrap();
    }
    for s in &f.schedule {
        writeln!(
            out,
            "{:>5.1}–{:>5.1} {} {:?}",
            s.start_minutes, s.end_minutes, s.task, s.members
        )
        .unwrap();
    }
    writeln!(
        out,
        "makespan {} critical path {}",
        f.makespan_minutes, f.critical_path_minutes
    )
    .unwrap();
    insta::assert_snapshot!("drill_wangmudu", out);
    assert!(!f.feasible());
    // Nobody in two tasks at once.
    for a in &f.schedule {
        for c in &f.schedule {
            if a.task < c.task && a.start_minutes < c.end_minutes && c.start_minutes < a.end_minutes
            {
                assert!(
                    a.members.iter().all(|m| !c.members.contains(m)),
                    "{} and {}",
                    a.task,
                    c.task
                );
            }
        }
    }
}
