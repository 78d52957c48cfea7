//! `muster compete` against a real SQLite ledger, as a judge runs it from an
//! empty folder: create → attempts → protest → decision → publish, then
//! `muster ledger verify`; and every refused step leaves the ledger as it was.

mod common;

use std::path::Path;
use std::process::Output;

use common::{assert_exit, data, muster_in, text};

/// A folder holding the monthly competition's files under the names a judge
/// would give them, and a ledger `muster.db` made on first use.
struct Desk {
    dir: tempfile::TempDir,
}

impl Desk {
    fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        for (from, to) in [
            ("monthly.toml", "contest.toml"),
            ("monthly-attempts.csv", "attempts.csv"),
            ("monthly-protest.jsonl", "protests.jsonl"),
            ("rejudge.toml", "drill.toml"),
            ("rejudge-attempts.json", "drill-attempts.json"),
            ("rejudge-cards.json", "cards.json"),
        ] {
            std::fs::copy(data(&format!("compete/{from}")), dir.path().join(to)).unwrap();
        }
        Desk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, content: &str) {
        std::fs::write(self.path().join(name), content).unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        muster_in(self.path(), args)
    }

    /// Runs a command that must succeed and returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_exit(&out, 0, args);
        text(&out.stdout)
    }

    /// Runs a command that must be refused with exit code 1, checks that the
    /// ledger's entry count and tip hash did not change, and returns stderr.
    fn refused(&self, args: &[&str]) -> String {
        let before = self.tip();
        let out = self.run(args);
        assert_exit(&out, 1, args);
        assert_eq!(self.tip(), before, "{args:?} changed the ledger");
        text(&out.stderr).trim_end().to_string()
    }

    /// The ledger's entry count and tip hash, from `muster ledger verify --json`.
    fn tip(&self) -> (u64, String) {
        let v: serde_json::Value =
            serde_json::from_str(&self.ok(&["ledger", "verify", "--json"])).unwrap();
        assert!(v["problem"].is_null(), "{v}");
        (
            v["entries"].as_u64().unwrap(),
            v["tip"].as_str().unwrap().to_string(),
        )
    }

    /// The monthly competition created and its attempts imported; posted at 10:00.
    fn monthly(&self) {
        assert_eq!(
            self.ok(&[
                "compete",
                "create",
                "contest.toml",
                "--at",
                "2026-12-05T08:00:00+08:00"
            ]),
            "2026-12\n"
        );
        self.ok(&["compete", "attempt", "import", "2026-12", "attempts.csv"]);
        self.ok(&[
            "compete",
            "post",
            "2026-12",
            "--event",
            "combat",
            "--at",
            "2026-12-05T10:00:00+08:00",
        ]);
    }

    fn lodge_p1(&self) {
        self.ok(&[
            "compete",
            "protest",
            "lodge",
            "2026-12",
            "--id",
            "p1",
            "--event",
            "combat",
            "--entrant",
            "g1",
            "--reason",
            "the timing gate failed on both runs; the hand timer shows 91 s",
            "--at",
            "2026-12-05T10:20:00+08:00",
        ]);
    }
}

#[test]
fn create_attempts_protest_decide_publish_then_verify() {
    let desk = Desk::new();
    desk.monthly();
    // One more attempt from flags: n3 was not in the file.
    let out = desk.ok(&[
        "compete",
        "attempt",
        "add",
        "2026-12",
        "--event",
        "combat",
        "--entrant",
        "n3",
        "--status",
        "DNF",
        "--code",
        "fall",
        "--reason",
        "slipped on the stairs",
    ]);
    assert_eq!(
        out,
        "recorded the attempt of `n3` in `combat` as ledger entry 27\n"
    );
    desk.lodge_p1();
    let held = desk.ok(&["compete", "standings", "2026-12", "--event", "combat"]);
    assert!(
        held.contains("Combat course 战斗体能综合赛 (protested)"),
        "{held}"
    );
    desk.ok(&[
        "compete",
        "protest",
        "decide",
        "2026-12",
        "p1",
        "--uphold",
        "--reason",
        "the hand time stands",
        "--attempt",
        "1",
        "--time",
        "91",
        "--at",
        "2026-12-05T11:00:00+08:00",
    ]);
    let published = desk.ok(&["compete", "publish", "2026-12", "--event", "combat"]);
    assert_eq!(
        published,
        "published `combat`: official (ledger entries 30 to 30)\n"
    );
    // The upheld protest moved g1 from DNF to first.
    let csv = desk.ok(&[
        "compete",
        "standings",
        "2026-12",
        "--event",
        "combat",
        "--format",
        "csv",
    ]);
    insta::assert_snapshot!(csv, @r"
    place,entrant,name,result,attempts,status,note
    1,g1,Huang Bo,91 s,91 s; DNF,corrected,
    2,w1,Wang Lei,94 s,94 s; DNF,,
    3,n1,Chen Hao,98 s,100 s; 98 s,,ahead on tie-break: next-best attempt
    4,n2,Liu Yang,98 s,98 s; 101 s,,behind on tie-break: next-best attempt
    5,g2,Xu Tao,99 s,99 s; 99 s,,
    -,n3,Zhou Jie,DNF,DNF,DNF,fall: slipped on the stairs
    -,w2,Zhang Min,DQ,DQ,DQ,helmet-off: disqualifying fault
    ");
    // The ledger's standings are the file fold's standings.
    let from_ledger: serde_json::Value =
        serde_json::from_str(&desk.ok(&["compete", "standings", "2026-12", "--json"])).unwrap();
    let from_files: serde_json::Value = serde_json::from_str(&desk.ok(&[
        "compete",
        "standings",
        "contest.toml",
        "attempts.csv",
        "--entries",
        "protests.jsonl",
        "--json",
    ]))
    .unwrap();
    assert_eq!(from_ledger["overall"], from_files["overall"]);
    // A correction after publishing is a new entry; the old attempt stays.
    desk.ok(&[
        "compete",
        "correct",
        "2026-12",
        "--event",
        "combat",
        "--entrant",
        "w2",
        "--attempt",
        "1",
        "--time",
        "90",
        "--reason",
        "video review: the helmet stayed on",
    ]);
    let after = desk.ok(&[
        "compete",
        "standings",
        "2026-12",
        "--event",
        "combat",
        "--json",
    ]);
    let after: serde_json::Value = serde_json::from_str(&after).unwrap();
    assert_eq!(after["rows"][0]["entrant"], "w2");
    assert_eq!(after["state"], "official");
    let verify = desk.ok(&["ledger", "verify"]);
    assert!(verify.starts_with("ok: 31 entries, one chain"), "{verify}");
    let entries: serde_json::Value =
        serde_json::from_str(&desk.ok(&["ledger", "query", "entries", "--json"])).unwrap();
    let names: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["module"], "compete");
            e["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(names[0], "competition");
    let table = desk.ok(&["ledger", "query", "entries"]);
    assert!(table.contains("compete/decision"), "{table}");
    assert_eq!(
        names[25..],
        [
            "posted",
            "attempt",
            "protest",
            "decision",
            "publish",
            "correction"
        ]
    );
}

#[test]
fn bad_input_changes_nothing_and_says_what_is_wrong() {
    let desk = Desk::new();
    desk.monthly();
    let add = |entrant: &str, event: &str| {
        desk.refused(&[
            "compete",
            "attempt",
            "add",
            "2026-12",
            "--event",
            event,
            "--entrant",
            entrant,
            "--time",
            "90",
        ])
    };
    insta::assert_snapshot!(add("n9", "combat"), @"muster.db: error: unknown entrant `n9`; did you mean `n1`? The entrants of `combat` are: n1, n2, n3, w1, w2, g1, g2 (nothing was written)");
    insta::assert_snapshot!(add("n1", "combt"), @"muster.db: error: unknown event `combt`; did you mean `combat`? (nothing was written)");
    insta::assert_snapshot!(desk.refused(&[
        "compete", "attempt", "add", "2026-12", "--event", "combat", "--entrant", "n3",
        "--time", "soon",
    ]), @r#"--time: error: time "soon" is not a number of 0 or more (nothing was written)"#);
    insta::assert_snapshot!(desk.refused(&[
        "compete", "protest", "lodge", "2026-12", "--id", "p2", "--event", "combat",
        "--entrant", "g2", "--reason", "late", "--at", "2026-12-05T10:31:00+08:00",
    ]), @"muster.db: error: protest `p2` was lodged at 2026-12-05 10:31:00 +08:00, after the 30m protest window of `combat` closed at 2026-12-05 10:30:00 +08:00 (results posted at 2026-12-05 10:00:00 +08:00) (nothing was written)");
    desk.lodge_p1();
    insta::assert_snapshot!(desk.refused(&["compete", "publish", "2026-12", "--event", "combat"]), @"muster.db: error: cannot publish `combat`: protest(s) p1 still open; decide them first (nothing was written)");
    // Publishing every event is all or nothing: combat's open protest stops the others too.
    insta::assert_snapshot!(desk.refused(&["compete", "publish", "2026-12"]), @"muster.db: error: cannot publish `combat`: protest(s) p1 still open; decide them first (nothing was written)");
    insta::assert_snapshot!(desk.refused(&[
        "compete", "protest", "decide", "2026-12", "p9", "--reject", "--reason", "-",
    ]), @"muster.db: error: no protest `p9` was lodged; a decision must name a lodged protest, and the open ones are: p1 (nothing was written)");
    desk.ok(&[
        "compete",
        "protest",
        "decide",
        "2026-12",
        "p1",
        "--reject",
        "--reason",
        "the gate worked",
    ]);
    insta::assert_snapshot!(desk.refused(&[
        "compete", "protest", "decide", "2026-12", "p1", "--uphold", "--reason", "on appeal",
    ]), @"muster.db: error: protest `p1` was already decided; record a correction instead (nothing was written)");
    // A CSV whose third line is refused writes none of its lines.
    desk.write(
        "more.csv",
        "event,entrant,time,marks\nknots,n3,,8;8;8;8;8\ncombat,x7,91,\n",
    );
    insta::assert_snapshot!(desk.refused(&["compete", "attempt", "import", "2026-12", "more.csv"]), @"more.csv:3:1: error: unknown entrant `x7`; did you mean `g1`? The entrants of `combat` are: n1, n2, n3, w1, w2, g1, g2 (nothing was written)");
    desk.write(
        "broken.csv",
        "event,entrant,time\ncombat,n3,90\ncombat,n3,-1\n",
    );
    insta::assert_snapshot!(desk.refused(&["compete", "attempt", "import", "2026-12", "broken.csv"]), @r#"broken.csv:3:11: error: time "-1" is not a number of 0 or more"#);
    insta::assert_snapshot!(desk.refused(&["compete", "create", "contest.toml"]), @"muster.db: error: competition `2026-12` is already in the ledger (entry 1); record its steps against it, or give the new one another id (nothing was written)");
    insta::assert_snapshot!(desk.refused(&["compete", "standings", "2026-11"]), @"muster.db: error: no competition `2026-11` in the ledger; did you mean `2026-12`? (a competition file is adopted with `muster compete create FILE`) (nothing was written)");
}

#[test]
fn rejudge_from_the_ledger_records_the_new_cards_and_shows_the_diff() {
    let desk = Desk::new();
    assert_eq!(
        desk.ok(&["compete", "create", "drill.toml", "--id", "drill-1"]),
        "drill-1\n"
    );
    desk.ok(&[
        "compete",
        "attempt",
        "import",
        "drill-1",
        "drill-attempts.json",
    ]);
    let diff = desk.ok(&[
        "compete",
        "rejudge",
        "drill-1",
        "--cards",
        "cards.json",
        "--format",
        "csv",
    ]);
    insta::assert_snapshot!(diff, @r"
    entrant,name,before,result before,after,result after,moved
    wuyun,Wuyun squadron,2,104.5,1,104.5,+1
    wangmudu,Wangmudu squadron,-,DNF,2,102,
    nantang,Nantang squadron,1,109.83,3,101.2,-2
    ");
    let s: serde_json::Value =
        serde_json::from_str(&desk.ok(&["compete", "standings", "drill-1", "--json"])).unwrap();
    assert_eq!(s["events"][0]["rows"][0]["entrant"], "wuyun");
    // The file form shows the same diff and writes nothing.
    let before = desk.tip();
    let files = desk.ok(&[
        "compete",
        "rejudge",
        "drill.toml",
        "drill-attempts.json",
        "--cards",
        "cards.json",
        "--format",
        "csv",
    ]);
    assert_eq!(files, diff);
    assert_eq!(desk.tip(), before);
}

#[test]
fn an_upheld_protest_against_a_team_corrects_a_members_attempt() {
    let desk = Desk::new();
    desk.monthly();
    let lodge = [
        "compete",
        "protest",
        "lodge",
        "2026-12",
        "--id",
        "p5",
        "--event",
        "blower-team",
        "--entrant",
        "wuyun",
        "--reason",
        "w2 was started late by the starter",
    ];
    desk.ok(&lodge);
    // --entrant without the corrected attempt is a usage error and writes nothing.
    let uphold = |reason: &'static str, correction: &[&'static str]| {
        let mut args = vec![
            "compete",
            "protest",
            "decide",
            "2026-12",
            "p5",
            "--uphold",
            "--reason",
            reason,
            "--entrant",
            "w2",
        ];
        args.extend_from_slice(correction);
        args
    };
    let before = desk.tip();
    let out = desk.run(&uphold("-", &[]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(desk.tip(), before);
    desk.ok(&uphold(
        "the late start was the starter's",
        &["--attempt", "1", "--time", "60"],
    ));
    let s: serde_json::Value = serde_json::from_str(&desk.ok(&[
        "compete",
        "standings",
        "2026-12",
        "--event",
        "blower-team",
        "--json",
    ]))
    .unwrap();
    // Wuyun was third on 58 + 70 s; with w2's 60 s it leads on 118 s.
    assert_eq!(s["rows"][0]["entrant"], "wuyun");
    assert_eq!(s["rows"][0]["result"], "118 s");
}
