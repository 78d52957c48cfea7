//! Fixtures under `tests/data/compete/` with their rankings pinned.

use super::*;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../tests/data/compete/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    // Test-only: a missing fixture is a broken checkout, not an input error.
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn competition(name: &str) -> Competition {
    Competition::parse(name, &fixture(name)).unwrap_or_else(|d| panic!("{d}"))
}

fn attempts(name: &str) -> Vec<CompetitionEntry> {
    let text = fixture(name);
    let parsed = if name.ends_with(".csv") {
        Attempt::parse_csv(name, &text)
    } else {
        Attempt::parse_json(name, &text)
    };
    parsed
        .unwrap_or_else(|d| panic!("{d}"))
        .into_iter()
        .map(CompetitionEntry::Attempt)
        .collect()
}

fn log(name: &str) -> Vec<CompetitionEntry> {
    CompetitionEntry::parse_jsonl(name, &fixture(name)).unwrap_or_else(|d| panic!("{d}"))
}

/// Tables as aligned text, for snapshots.
fn show(tables: &[Table]) -> String {
    let mut out = String::new();
    for t in tables {
        out.push_str(&format!("## {}\n", t.title));
        let mut widths: Vec<usize> = t.header.iter().map(|h| h.chars().count()).collect();
        for r in &t.rows {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let cells: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
                .collect();
            format!("{}\n", cells.join(" | ").trim_end())
        };
        out.push_str(&line(&t.header));
        for r in &t.rows {
            out.push_str(&line(r));
        }
    }
    out
}

fn monthly() -> (Competition, Vec<CompetitionEntry>) {
    (
        competition("monthly.toml"),
        attempts("monthly-attempts.csv"),
    )
}

#[test]
fn monthly_standings_cover_ties_dq_dnf_dns_best_of_n_and_team_totals() {
    let (c, entries) = monthly();
    let s = standings(&c, &entries).unwrap();
    insta::assert_snapshot!("monthly", show(&s.tables()));
    // Pinned facts the snapshot shows, stated once more in words.
    let combat = &s.events[0];
    let n1 = combat.rows.iter().find(|r| r.entrant == "n1").unwrap();
    let n2 = combat.rows.iter().find(|r| r.entrant == "n2").unwrap();
    assert_eq!(
        (n1.place, n2.place),
        (Some(2), Some(3)),
        "98 s each, broken on next-best"
    );
    let knots = &s.events[2];
    assert_eq!(
        knots.rows[0].place, knots.rows[1].place,
        "9.0 each stays shared"
    );
    assert_eq!(knots.rows[2].place, Some(3), "next place skipped");
}

#[test]
fn protest_holds_the_result_then_an_upheld_decision_changes_the_ranking() {
    let (c, mut entries) = monthly();
    let protest = log("monthly-protest.jsonl");
    let before = standings(&c, &entries).unwrap();
    entries.extend(protest[..2].iter().cloned());
    let held = standings(&c, &entries).unwrap();
    assert_eq!(held.events[0].state, EventState::Protested);
    entries.extend(protest[2..].iter().cloned());
    let after = standings(&c, &entries).unwrap();
    assert_eq!(after.events[0].state, EventState::Official);
    let diff = RankingDiff::new(&before.events[0], &after.events[0]);
    assert!(diff.changed());
    insta::assert_snapshot!(
        "protest",
        show(&[
            held.events[0].table(),
            after.events[0].table(),
            diff.table()
        ])
    );
}

#[test]
fn rejudge_shows_the_ranking_before_and_after() {
    let c = competition("rejudge.toml");
    let entries = attempts("rejudge-attempts.json");
    let mut contest = Contest::from_entries(&c, &entries).unwrap();
    let CompetitionEntry::Rejudge {
        event,
        scorer,
        cards,
    } = serde_json::from_str(&fixture("rejudge-cards.json")).unwrap()
    else {
        panic!("the fixture is a rejudge entry")
    };
    let diff = contest.rejudge(&event, scorer, cards).unwrap();
    insta::assert_snapshot!("rejudge", show(&[diff.table()]));
    assert_eq!(contest.len(), 4);
}

#[test]
fn programming_contest_preset_ranks_count_then_time() {
    let c = competition("search.toml");
    let s = standings(&c, &attempts("search-attempts.json")).unwrap();
    insta::assert_snapshot!("search", show(&s.tables()));
}

#[test]
fn dq_voids_the_attempt_or_the_entrant_as_the_event_says() {
    let c = competition("dq.toml");
    assert_eq!(
        (c.events[0].dq, c.events[1].dq),
        (DqRule::Attempt, DqRule::Entrant)
    );
    let s = standings(&c, &attempts("dq-attempts.csv")).unwrap();
    insta::assert_snapshot!("dq", show(&s.tables()));
    let row = |e: usize, id: &str| {
        s.events[e]
            .rows
            .iter()
            .find(|r| r.entrant == id)
            .unwrap()
            .clone()
    };
    // a1's first run has a disqualifying fault; the clean 95 s run counts on
    // the course but not on the ladder.
    assert_eq!(row(0, "a1").place, Some(2));
    assert_eq!(row(0, "a1").value, Some(95.0));
    assert_eq!(row(1, "a1").status, ResultStatus::Dq);
    // With no valid run, a3 is DQ under either rule, not DNF.
    assert_eq!(row(0, "a3").status, ResultStatus::Dq);
    assert_eq!(row(1, "a3").status, ResultStatus::Dq);
}

#[test]
fn programming_contest_preset_disqualifies_the_entrant_and_dq_is_checked() {
    let c = competition("search.toml");
    assert!(c.events.iter().all(|e| e.dq == DqRule::Entrant));
    let bad = file_errors(&format!(
        "{HEAD}[[events]]\nid = \"e\"\nname = \"E\"\nkind = \"team\"\npreset = \"combat-challenge\"\ndq = \"run\"\n"
    ));
    insta::assert_snapshot!(bad, @"bad.toml:9:6: error: unknown variant `run`, expected `attempt` or `entrant`");
}

#[test]
fn combat_challenge_preset_fills_in_penalties_and_dq_faults() {
    let c = competition("daily.toml");
    let e = &c.events[0];
    assert_eq!(e.preset, Some(Preset::CombatChallenge));
    let Rule::TimePenalty {
        penalties,
        dq_faults,
    } = &e.rule
    else {
        panic!("combat challenge is a time-penalty rule")
    };
    let mut secs: Vec<f64> = penalties.values().copied().collect();
    secs.dedup();
    secs.sort_by(f64::total_cmp);
    secs.dedup();
    assert_eq!(secs, [2.0, 5.0, 10.0]);
    assert!(dq_faults.iter().any(|f| f == "helmet-off"));
    assert_eq!((e.attempts, e.combine), (2, Combine::Best));
}

#[test]
fn season_table_ranks_squadrons_month_by_month() {
    let c = competition("daily.toml");
    let months: Vec<(&str, Standings)> = [
        ("2026-10", "season-10.csv"),
        ("2026-11", "season-11.csv"),
        ("2026-12", "season-12.csv"),
    ]
    .iter()
    .map(|(m, f)| (*m, standings(&c, &attempts(f)).unwrap()))
    .collect();
    let refs: Vec<(&str, &Competition, &Standings)> =
        months.iter().map(|(m, s)| (*m, &c, s)).collect();
    let season = SeasonTable::new(&refs, &[3.0, 2.0, 1.0]);
    insta::assert_snapshot!("season", show(&[season.table()]));
}

#[test]
fn outputs_csv_json_and_svg() {
    let (c, entries) = monthly();
    let s = standings(&c, &entries).unwrap();
    let csv = s.overall_table().csv();
    insta::assert_snapshot!(csv, @r"
    place,entrant,name,blower-team,first-aid,total,note
    1,wangmudu,Wangmudu squadron 王母渡中队,10,10,20,
    2,nantang,Nantang squadron 南塘中队,8,8,16,
    3,wuyun,Wuyun squadron 五云中队,6,8,14,
    ");
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["overall"][0]["entrant"], "wangmudu");
    assert_eq!(json["events"][0]["rows"][0]["status"], "ranked");
    let svg = s.svg();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(svg.matches("<rect").count(), 3);
    assert!(svg.contains("王母渡中队"));
}

#[test]
fn entries_round_trip_as_stable_json() {
    let protest = log("monthly-protest.jsonl");
    let line = serde_json::to_string(&protest[1]).unwrap();
    insta::assert_snapshot!(line, @r#"{"entry":"protest","id":"p1","event":"combat","entrant":"g1","at":"2026-12-05T10:20:00+08:00","reason":"the timing gate failed on both runs; the hand timer shows 91 s"}"#);
    let back: CompetitionEntry = serde_json::from_str(&line).unwrap();
    assert_eq!(back, protest[1]);
    let mut a = Attempt::new("combat", "n1");
    a.time = Some(90.5);
    let line = serde_json::to_string(&CompetitionEntry::Attempt(a)).unwrap();
    insta::assert_snapshot!(line, @r#"{"entry":"attempt","event":"combat","entrant":"n1","status":"ok","time":90.5}"#);
}

// ------------------------------------------------------------- bad input

/// Applies `entry` after the monthly attempts and returns the error message;
/// checks that the refused entry changed nothing.
fn refused(extra: &[CompetitionEntry], entry: &str) -> String {
    let (c, mut entries) = monthly();
    entries.extend(extra.iter().cloned());
    let mut contest = Contest::from_entries(&c, &entries).unwrap();
    let before = contest.standings();
    let n = contest.len();
    let entry: CompetitionEntry = serde_json::from_str(entry).unwrap();
    let err = contest.apply(&entry).unwrap_err().to_string();
    assert_eq!(
        contest.standings(),
        before,
        "a refused entry changes nothing"
    );
    assert_eq!(contest.len(), n);
    err
}

#[test]
fn attempt_for_an_unknown_entrant() {
    insta::assert_snapshot!(
        refused(&[], r#"{"entry":"attempt","event":"combat","entrant":"n9","time":90}"#),
        @"unknown entrant `n9`; did you mean `n1`? The entrants of `combat` are: n1, n2, n3, w1, w2, g1, g2"
    );
}

#[test]
fn attempt_for_an_unknown_event() {
    insta::assert_snapshot!(
        refused(&[], r#"{"entry":"attempt","event":"combt","entrant":"n1","time":90}"#),
        @"unknown event `combt`; did you mean `combat`?"
    );
}

#[test]
fn attempt_for_an_entrant_not_in_the_event() {
    insta::assert_snapshot!(
        refused(&[], r#"{"entry":"attempt","event":"combat","entrant":"nantang","time":90}"#),
        @"entrant `nantang` does not take part in event `combat`"
    );
}

#[test]
fn more_attempts_than_the_rule_allows() {
    insta::assert_snapshot!(
        refused(&[], r#"{"entry":"attempt","event":"combat","entrant":"n1","time":90}"#),
        @"event `combat` allows 2 attempt(s) per entrant; `n1` already has 2, so attempt 3 is refused"
    );
}

#[test]
fn attempt_number_already_recorded() {
    insta::assert_snapshot!(
        refused(&[], r#"{"entry":"attempt","event":"knots","entrant":"n1","attempt":1,"marks":[9,9,9,9,9]}"#),
        @"attempt 1 of `n1` in `knots` is already recorded; record a correction instead"
    );
}

#[test]
fn attempt_without_what_the_rule_needs() {
    insta::assert_snapshot!(
        refused(&[], r#"{"entry":"attempt","event":"combat","entrant":"n3"}"#),
        @"attempt of `n3` in `combat`: rule time-penalty needs `time` in seconds"
    );
    insta::assert_snapshot!(
        refused(&[], r#"{"entry":"attempt","event":"combat","entrant":"n3","time":80,"penalties":{"dorp":1}}"#),
        @"attempt of `n3` in `combat`: unknown penalty code `dorp`; did you mean `drop`?"
    );
    insta::assert_snapshot!(
        refused(&[], r#"{"entry":"attempt","event":"knots","entrant":"n3","marks":[9,9]}"#),
        @"attempt of `n3` in `knots`: the event has 5 judges but the attempt carries 2 marks"
    );
    insta::assert_snapshot!(
        refused(&[], r#"{"entry":"attempt","event":"blower-team","entrant":"nantang","time":80}"#),
        @"attempt of `nantang` in `blower-team`: this team event is scored from its members' attempts; record the members' attempts"
    );
}

const POSTED: &str = r#"{"entry":"posted","event":"combat","at":"2026-12-05T10:00:00+08:00"}"#;

/// Protest p1 against g1 in combat, lodged at 10:10 within the window.
const OPEN_PROTEST: &str = r#"{"entry":"protest","id":"p1","event":"combat","entrant":"g1","at":"2026-12-05T10:10:00+08:00","reason":"gate"}"#;

fn entry(json: &str) -> CompetitionEntry {
    serde_json::from_str(json).unwrap()
}

#[test]
fn protest_after_its_window() {
    insta::assert_snapshot!(
        refused(&[entry(POSTED)], r#"{"entry":"protest","id":"p1","event":"combat","entrant":"g1","at":"2026-12-05T10:31:00+08:00","reason":"late"}"#),
        @"protest `p1` was lodged at 2026-12-05 10:31:00 +08:00, after the 30m protest window of `combat` closed at 2026-12-05 10:30:00 +08:00 (results posted at 2026-12-05 10:00:00 +08:00)"
    );
}

#[test]
fn publishing_with_an_open_protest() {
    let protest = entry(OPEN_PROTEST);
    insta::assert_snapshot!(
        refused(&[entry(POSTED), protest], r#"{"entry":"publish","event":"combat","at":"2026-12-05T12:00:00+08:00"}"#),
        @"cannot publish `combat`: protest(s) p1 still open; decide them first"
    );
}

#[test]
fn decision_on_an_unknown_protest() {
    let protest = entry(OPEN_PROTEST);
    insta::assert_snapshot!(
        refused(&[protest], r#"{"entry":"decision","protest":"p2","at":"2026-12-05T11:00:00+08:00","outcome":"rejected","reason":"-"}"#),
        @"no protest `p2` was lodged; a decision must name a lodged protest, and the open ones are: p1"
    );
}

#[test]
fn decisions_that_cannot_be_taken() {
    let protest = entry(OPEN_PROTEST);
    let rejected = entry(
        r#"{"entry":"decision","protest":"p1","at":"2026-12-05T11:00:00+08:00","outcome":"rejected","reason":"-"}"#,
    );
    insta::assert_snapshot!(
        refused(&[protest.clone(), rejected], r#"{"entry":"decision","protest":"p1","at":"2026-12-05T11:10:00+08:00","outcome":"upheld","reason":"-"}"#),
        @"protest `p1` was already decided; record a correction instead"
    );
    insta::assert_snapshot!(
        refused(std::slice::from_ref(&protest), r#"{"entry":"decision","protest":"p1","at":"2026-12-05T11:00:00+08:00","outcome":"rejected","reason":"-","corrected":[{"event":"combat","entrant":"g1","attempt":1,"time":91}]}"#),
        @"protest `p1` is rejected, so the decision cannot correct attempts"
    );
    insta::assert_snapshot!(
        refused(&[protest], r#"{"entry":"decision","protest":"p1","at":"2026-12-05T11:00:00+08:00","outcome":"upheld","reason":"-","corrected":[{"event":"combat","entrant":"g1","attempt":3,"time":91}]}"#),
        @"there is no attempt 3 of `g1` in `combat` to replace"
    );
}

#[test]
fn entries_after_publishing() {
    let publish = entry(r#"{"entry":"publish","event":"combat","at":"2026-12-05T12:00:00+08:00"}"#);
    insta::assert_snapshot!(
        refused(std::slice::from_ref(&publish), r#"{"entry":"attempt","event":"combat","entrant":"n3","time":90}"#),
        @"the results of `combat` are official; record a correction instead"
    );
    insta::assert_snapshot!(
        refused(&[publish], r#"{"entry":"protest","id":"p1","event":"combat","entrant":"g1","at":"2026-12-05T12:10:00+08:00","reason":"gate"}"#),
        @"the results of `combat` are official; record a correction instead"
    );
}

#[test]
fn a_correction_after_publishing_is_a_new_entry() {
    let (c, mut entries) = monthly();
    entries.push(entry(
        r#"{"entry":"publish","event":"combat","at":"2026-12-05T12:00:00+08:00"}"#,
    ));
    entries.push(entry(r#"{"entry":"correction","reason":"video review","attempt":{"event":"combat","entrant":"w2","attempt":1,"time":90}}"#));
    let s = standings(&c, &entries).unwrap();
    let w2 = &s.events[0].rows[0];
    assert_eq!(
        (w2.entrant.as_str(), w2.place, w2.corrected),
        ("w2", Some(1), true)
    );
    assert_eq!(s.events[0].state, EventState::Official);
}

#[test]
fn rejudge_refusals() {
    let c = competition("rejudge.toml");
    let entries = attempts("rejudge-attempts.json");
    let mut contest = Contest::from_entries(&c, &entries).unwrap();
    let scorer = crate::ScorerId::new(crate::ScorerKind::Rhai, "score.rhai", b"v3");
    let CompetitionEntry::Attempt(a) = &entries[0] else {
        panic!("an attempt")
    };
    let card = a.card.clone().unwrap();
    let err = contest
        .rejudge(
            "initial-attack",
            scorer.clone(),
            vec![Rescore::new("nantang", 2, card)],
        )
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"there is no attempt 2 of `nantang` in `initial-attack` to replace");
    let (m, _) = monthly();
    let mut contest = Contest::new(&m);
    let err = contest.rejudge("combat", scorer, vec![]).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"event `combat` is not scored by a scenario scorer, so it cannot be rejudged with new score cards");
}

#[test]
fn folding_names_the_refused_entry() {
    let (c, mut entries) = monthly();
    entries.push(entry(
        r#"{"entry":"attempt","event":"combat","entrant":"x","time":1}"#,
    ));
    let err = standings(&c, &entries).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"entry 25: unknown entrant `x`; did you mean `g1`? The entrants of `combat` are: n1, n2, n3, w1, w2, g1, g2");
}

// ------------------------------------------------------------- bad files

fn file_errors(text: &str) -> String {
    Competition::parse("bad.toml", text)
        .unwrap_err()
        .to_string()
}

const HEAD: &str = "[competition]\nid = \"c\"\nname = \"C\"\n";

#[test]
fn competition_file_errors_have_line_and_column() {
    insta::assert_snapshot!(file_errors("[competition\n"), @"bad.toml:1:13: error: this is not valid TOML: unclosed table, expected `]`");
    insta::assert_snapshot!(file_errors(&format!("{HEAD}colour = 1\n")), @"bad.toml:4:1: error: unknown field `colour`, expected one of `id`, `name`, `name_zh`, `protest_window`");
    insta::assert_snapshot!(file_errors(HEAD), @"bad.toml:1:1: error: the competition has no events; add at least one [[events]] table");
    insta::assert_snapshot!(file_errors(&format!("{HEAD}[[events]]\nid = \"e\"\nname = \"E\"\nkind = \"team\"\nrule = \"time-penalti\"\n")), @r#"bad.toml:8:8: error: event `e` has unknown rule "time-penalti"; did you mean "time-penalty"?"#);
    insta::assert_snapshot!(file_errors(&format!("{HEAD}[[events]]\nid = \"e\"\nname = \"E\"\nkind = \"team\"\n")), @"bad.toml:5:6: error: event `e` has no `rule` and no `preset`; write rule = one of time-penalty, points, marks, count-time, scorer, or a preset");
    insta::assert_snapshot!(file_errors(&format!("{HEAD}[[entrants]]\nid = \"s\"\nname = \"S\"\nkind = \"squadron\"\nmembers = [\"m1\"]\n[[events]]\nid = \"e\"\nname = \"E\"\nkind = \"individual\"\nrule = \"points\"\npoints = {{ hit = 1 }}\nattempts = 0\n")), @r"
    bad.toml:8:12: error: unknown member `m1`; there are none
    bad.toml:15:12: error: event `e` allows 0 attempts; write 1 to 100
    ");
    insta::assert_snapshot!(file_errors(&format!("{HEAD}[[entrants]]\nid = \"a b\"\nname = \"S\"\nkind = \"squad\"\n[[entrants]]\nid = \"a b\"\nname = \"S\"\nkind = \"squad\"\n[[events]]\nid = \"e\"\nname = \"E\"\nkind = \"team\"\nrule = \"marks\"\nmarks = \"drop-high-low\"\njudges = 2\n")), @r#"
    bad.toml:5:6: error: entrant id "a b" is not a valid id; use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit
    bad.toml:9:6: error: entrant id "a b" is not a valid id; use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit
    bad.toml:9:6: error: duplicate entrant id `a b`
    bad.toml:18:10: error: event `e` has 2 judges; the marks method needs 3 to 50
    "#);
    insta::assert_snapshot!(file_errors(&format!("{HEAD}[overall]\nmethod = \"points-by-place\"\nevents = [\"x\"]\n[[events]]\nid = \"e\"\nname = \"E\"\nkind = \"team\"\npreset = \"combat-challenge\"\nprotest_window = \"soon\"\n")), @r#"
    bad.toml:4:1: error: [overall] method "points-by-place" needs `points`, e.g. points = [10, 8, 6]
    bad.toml:6:11: error: unknown event `x`; did you mean `e`?
    bad.toml:12:18: error: protest_window: bad duration "soon": write it as "90s", "5m", "1h30m" or "1h5m30s" (hours h, minutes m, seconds s, largest first), at most 30 days
    "#);
}

#[test]
fn attempts_csv_errors_have_line_and_column() {
    let err = |t: &str| Attempt::parse_csv("a.csv", t).unwrap_err().to_string();
    insta::assert_snapshot!(err(""), @"a.csv:1:1: error: the file is empty; the first line must name the columns, e.g. event,entrant,time");
    insta::assert_snapshot!(err("event,entrant,tme\n"), @"a.csv:1:15: error: unknown column `tme`; did you mean `time`?");
    insta::assert_snapshot!(err("event,time\nc,1\n"), @"a.csv:1:1: error: the header has no `entrant` column");
    insta::assert_snapshot!(err("event,entrant,time,penalties,status\nc,n1,-3,drop:x,maybe\nc,n1\n,n2,1,,\nc,n1,\"open,,\n"), @r#"
    a.csv:2:6: error: time "-3" is not a number of 0 or more
    a.csv:2:9: error: `drop:x` must be CODE or CODE:COUNT with a count from 1 to 1000
    a.csv:2:16: error: status "maybe" must be ok, dns, dnf or dq
    a.csv:3:1: error: the row has 2 cells but the header names 5 columns
    a.csv:4:1: error: the row has no `event`
    a.csv:5:6: error: a quoted cell is not closed; end it with "
    "#);
}

#[test]
fn attempts_json_and_entries_errors_have_line_and_column() {
    insta::assert_snapshot!(Attempt::parse_json("a.json", "[{\"event\":\"c\",\"entrant\":\"n\",\"tiem\":1}]").unwrap_err().to_string(), @"a.json:1:34: error: unknown field `tiem`, expected one of `event`, `entrant`, `attempt`, `status`, `code`, `reason`, `time`, `penalties`, `items`, `marks`, `problems`, `card`");
    insta::assert_snapshot!(CompetitionEntry::parse_jsonl("log.jsonl", "{\"entry\":\"posted\",\"event\":\"c\",\"at\":\"2026-12-05T10:00:00+08:00\"}\n\n{\"entry\":\"publish\",\"event\":\"c\",\"at\":\"noon\"}\n").unwrap_err().to_string(), @r#"log.jsonl:3:1: error: `at` is "noon", not an RFC 3339 time; write e.g. "2026-12-05T10:00:00+08:00""#);
}

// ------------------------------------------------------------- the ledger

fn at(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

/// The monthly competition adopted into an in-memory ledger with its attempts.
fn monthly_ledger() -> (crate::ledger::MemoryStore, CompetitionLog) {
    use crate::ledger::MemoryStore;
    let mut store = MemoryStore::new();
    let t = at("2026-12-05T09:00:00+08:00");
    let mut log = CompetitionLog::create(
        &mut store,
        "monthly.toml",
        &fixture("monthly.toml"),
        None,
        "judge",
        t,
    )
    .unwrap();
    log.record(&mut store, "judge", t, &attempts("monthly-attempts.csv"))
        .unwrap();
    (store, log)
}

fn tip(store: &dyn crate::ledger::LedgerStore) -> (u64, crate::ledger::EntryHash) {
    store.tip().unwrap().unwrap()
}

#[test]
fn replaying_the_ledger_reproduces_the_standings() {
    use crate::ledger::{self, EntryKind, LedgerStore};
    let (mut store, mut log) = monthly_ledger();
    let t = at("2026-12-05T12:00:00+08:00");
    for step in log_entries() {
        log.record(&mut store, "jury", t, std::slice::from_ref(&step))
            .unwrap();
    }
    let (c, mut entries) = monthly();
    entries.extend(log_entries());
    let from_files = standings(&c, &entries).unwrap();
    let loaded = CompetitionLog::load(&store, "2026-12").unwrap();
    assert_eq!(loaded.contest().unwrap().standings(), from_files);
    assert_eq!(loaded.steps().len(), entries.len());
    assert_eq!(
        loaded.hash(),
        crate::content_hash(fixture("monthly.toml").as_bytes())
    );
    // One competition entry, then one entry per step, each linked to it.
    let stored = store.entries().unwrap();
    assert_eq!(stored.len(), 1 + entries.len());
    let EntryKind::Extension {
        module,
        name,
        payload,
        ..
    } = &stored[0].kind
    else {
        panic!("a compete extension entry")
    };
    assert_eq!((module.as_str(), name.as_str()), ("compete", "competition"));
    assert_eq!(payload["text"], fixture("monthly.toml"));
    let names: Vec<String> = stored[stored.len() - 4..]
        .iter()
        .map(|e| match &e.kind {
            EntryKind::Extension { name, entries, .. } => {
                assert_eq!(entries, &[1]);
                name.clone()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["posted", "protest", "decision", "publish"]);
    assert!(ledger::verify(&store).unwrap().problem.is_none());
    assert_eq!(CompetitionLog::ids(&store).unwrap(), ["2026-12"]);
}

fn log_entries() -> Vec<CompetitionEntry> {
    log("monthly-protest.jsonl")
}

#[test]
fn a_refused_step_appends_nothing() {
    let (mut store, mut log) = monthly_ledger();
    let before = tip(&store);
    let good = entry(r#"{"entry":"attempt","event":"combat","entrant":"n3","time":90}"#);
    let bad = entry(r#"{"entry":"attempt","event":"combat","entrant":"n9","time":90}"#);
    let err = log
        .record(
            &mut store,
            "judge",
            at("2026-12-05T09:30:00+08:00"),
            &[good, bad],
        )
        .unwrap_err();
    assert!(matches!(err, LogError::Refused { index: 2, .. }), "{err:?}");
    insta::assert_snapshot!(err.to_string(), @"unknown entrant `n9`; did you mean `n1`? The entrants of `combat` are: n1, n2, n3, w1, w2, g1, g2");
    assert_eq!(tip(&store), before);
    assert_eq!(log.steps().len(), 24);
}

#[test]
fn creating_twice_and_unknown_competitions_are_refused() {
    let (mut store, _) = monthly_ledger();
    let before = tip(&store);
    let t = at("2026-12-05T09:00:00+08:00");
    let text = fixture("monthly.toml");
    let err =
        CompetitionLog::create(&mut store, "monthly.toml", &text, None, "judge", t).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"competition `2026-12` is already in the ledger (entry 1); record its steps against it, or give the new one another id");
    let err = CompetitionLog::create(
        &mut store,
        "monthly.toml",
        &text,
        Some("bad id"),
        "judge",
        t,
    )
    .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"competition id `bad id` is not valid; use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit");
    assert_eq!(tip(&store), before);
    let err = CompetitionLog::load(&store, "2026-11").unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"no competition `2026-11` in the ledger; did you mean `2026-12`? (a competition file is adopted with `muster compete create FILE`)");
    // The same file again under another id is another competition.
    let again = CompetitionLog::create(
        &mut store,
        "monthly.toml",
        &text,
        Some("2027-01"),
        "judge",
        t,
    )
    .unwrap();
    assert_eq!(again.competition().id, "2027-01");
    assert!(again.steps().is_empty());
    assert_eq!(CompetitionLog::ids(&store).unwrap(), ["2026-12", "2027-01"]);
}

#[test]
fn a_step_reversed_in_the_ledger_is_skipped_on_replay() {
    use crate::ledger::{Draft, EntryKind, LedgerStore};
    let (mut store, _) = monthly_ledger();
    // Entry 2 is n1's first combat run (95 s + drop); reverse it.
    store
        .append(&[Draft::new(
            "judge",
            at("2026-12-05T09:40:00+08:00"),
            EntryKind::Correction {
                reverses: 2,
                reason: "recorded against the wrong competitor".into(),
            },
        )])
        .unwrap();
    let log = CompetitionLog::load(&store, "2026-12").unwrap();
    assert_eq!(log.steps().len(), 23);
    let s = log.contest().unwrap().standings();
    let n1 = s.events[0].rows.iter().find(|r| r.entrant == "n1").unwrap();
    assert_eq!(n1.attempts, ["98 s"]);
}

/// A store where another judge writes a step just before our first write.
struct Racing {
    inner: crate::ledger::MemoryStore,
    rival: Option<CompetitionEntry>,
    refused: u32,
}

impl crate::ledger::LedgerStore for Racing {
    fn append_after(
        &mut self,
        last: Option<u64>,
        drafts: &[crate::ledger::Draft],
    ) -> Result<Vec<crate::ledger::RawEntry>, crate::ledger::LedgerError> {
        if let Some(step) = self.rival.take() {
            let mut other = CompetitionLog::load(&self.inner, "2026-12").unwrap();
            other
                .record(
                    &mut self.inner,
                    "judge-2",
                    at("2026-12-05T09:31:00+08:00"),
                    &[step],
                )
                .unwrap();
        }
        let r = self.inner.append_after(last, drafts);
        if matches!(r, Err(crate::ledger::LedgerError::Moved { .. })) {
            self.refused += 1;
        }
        r
    }
    fn scan(
        &self,
        from: u64,
        f: &mut dyn FnMut(crate::ledger::RawEntry) -> bool,
    ) -> Result<(), crate::ledger::LedgerError> {
        self.inner.scan(from, f)
    }
    fn tip(&self) -> Result<Option<(u64, crate::ledger::EntryHash)>, crate::ledger::LedgerError> {
        self.inner.tip()
    }
    fn member_entries(
        &self,
        member: &str,
    ) -> Result<Vec<crate::ledger::Entry>, crate::ledger::LedgerError> {
        self.inner.member_entries(member)
    }
    fn corrected(&self) -> Result<std::collections::BTreeSet<u64>, crate::ledger::LedgerError> {
        self.inner.corrected()
    }
    fn keep_source(
        &mut self,
        id: &crate::ScorerId,
        bytes: &[u8],
    ) -> Result<(), crate::ledger::LedgerError> {
        self.inner.keep_source(id, bytes)
    }
    fn source(&self, hash: &str) -> Result<Option<Vec<u8>>, crate::ledger::LedgerError> {
        self.inner.source(hash)
    }
    fn source_hashes(&self) -> Result<Vec<String>, crate::ledger::LedgerError> {
        self.inner.source_hashes()
    }
}

#[test]
fn a_step_written_meanwhile_by_another_judge_is_read_before_ours() {
    let (inner, mut log) = monthly_ledger();
    let before = tip(&inner);
    let mut store = Racing {
        inner,
        rival: Some(entry(
            r#"{"entry":"attempt","event":"combat","entrant":"w2","time":95}"#,
        )),
        refused: 0,
    };
    // w2 has one of its two attempts left; both judges record it.
    let ours = entry(r#"{"entry":"attempt","event":"combat","entrant":"w2","time":91}"#);
    let err = log
        .record(
            &mut store,
            "judge",
            at("2026-12-05T09:32:00+08:00"),
            &[ours],
        )
        .unwrap_err();
    // The first write found the ledger moved on; the state was read again,
    // with the rival's attempt, and ours was then refused: w2 had no attempt
    // left. Only the rival's step is in the ledger.
    assert_eq!(store.refused, 1);
    insta::assert_snapshot!(err.to_string(), @"event `combat` allows 2 attempt(s) per entrant; `w2` already has 2, so attempt 3 is refused");
    assert_eq!(tip(&store.inner).0, before.0 + 1);
    assert_eq!(
        CompetitionLog::load(&store.inner, "2026-12")
            .unwrap()
            .steps()
            .len(),
        25
    );
}
