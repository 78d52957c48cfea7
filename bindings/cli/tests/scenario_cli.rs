//! The `muster scenario` commands as a trainer runs them.

mod common;

use std::process::Command;

use common::{data, fails, muster, ok, path, repo, text};

/// `muster scenario show` on the initial attack file as JSON, 2000 runs, seed 5.
fn show_json() -> serde_json::Value {
    let out = muster(&[
        "scenario",
        "show",
        &data("scenarios/initial-attack.toml"),
        "--json",
        "--runs",
        "2000",
        "--seed",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn check_passes_a_valid_scenario() {
    let out = ok(&["scenario", "check", &data("scenarios/initial-attack.toml")]);
    assert!(out.contains("forest-fire.initial-attack 1.0.0 (8 tasks, 44m on likely durations)"));
}

#[test]
fn check_prints_editor_diagnostics_and_exits_1() {
    let bad = data("scenarios/bad/unknown-after.toml");
    let err = fails(
        1,
        &[
            "scenario",
            "check",
            &data("scenarios/initial-attack.toml"),
            &bad,
        ],
    );
    assert!(
        err.contains(&format!(
            "{bad}:22:10: error: task `move`: `after` names unknown task `mustr`; did you mean `muster`?"
        )),
        "{err}"
    );
}

#[test]
fn check_json_reports_each_file() {
    let bad = data("scenarios/bad/cycle.toml");
    let out = muster(&["scenario", "check", "--json", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["valid"], false);
    assert_eq!(v[0]["diagnostics"][0]["task"], "move");
    assert_eq!(v[0]["diagnostics"][0]["line"], 22);
}

#[test]
fn a_missing_file_is_an_input_error() {
    let err = fails(1, &["scenario", "check", "no-such-file.toml"]);
    assert!(err.starts_with("no-such-file.toml: error: cannot read the file:"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(muster(&["scenario", "check"]).status.code(), Some(2));
    assert_eq!(
        muster(&["scenario", "show", "x", "--runs", "0"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(muster(&["no-such-command"]).status.code(), Some(2));
}

#[test]
fn show_prints_the_table_and_estimates() {
    let s = ok(&["scenario", "show", "builtin:forest-fire.initial-attack"]);
    assert!(
        s.contains("Initial attack on a surface fire 地表火初期扑救"),
        "{s}"
    );
    assert!(s.contains("Critical path: muster → move → recon → control-line → mop-up → headcount  (44.0 min on likely durations)"), "{s}");
    assert!(
        s.contains("PERT along the critical path: 46.7 ± 3.7 min"),
        "{s}"
    );
    assert!(
        s.contains("Monte Carlo (10000 runs, seed 2021, triangular durations): P50"),
        "{s}"
    );
}

#[test]
fn show_json_has_the_same_figures() {
    let v = show_json();
    assert_eq!(v["length_secs"], 2640);
    assert_eq!(v["critical_path"][3], "control-line");
    assert_eq!(v["monte_carlo"]["runs"], 2000);
    assert_eq!(v["monte_carlo"]["seed"], 5);
    assert_eq!(v["tasks"][3]["slack"], "1m");
    let p50 = v["monte_carlo"]["p50_secs"].as_f64().unwrap();
    let w = show_json();
    assert_eq!(w["monte_carlo"]["p50_secs"].as_f64().unwrap(), p50);
}

#[test]
fn graph_writes_each_format() {
    let dir = std::env::temp_dir().join(format!("muster-graph-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (format, head) in [
        ("dot", "// forest-fire.initial-attack"),
        ("mermaid", "flowchart LR"),
        ("svg", "<svg"),
    ] {
        let file = dir.join(format!("g.{format}"));
        ok(&[
            "scenario",
            "graph",
            &data("scenarios/initial-attack.toml"),
            "--format",
            format,
            "-o",
            &path(&file),
        ]);
        assert!(
            std::fs::read_to_string(&file).unwrap().starts_with(head),
            "{format}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unknown_builtin_lists_the_builtins() {
    let err = fails(1, &["scenario", "show", "builtin:flood"]);
    assert!(err.contains("builtin:flood: error: no built-in scenario `flood`; the built-ins are: forest-fire.initial-attack"));
}

#[test]
fn schema_matches_the_committed_file() {
    let out = muster(&["scenario", "schema"]);
    let committed = std::fs::read_to_string(repo("schema/scenario.schema.json")).unwrap();
    assert_eq!(text(&out.stdout), committed);
}

#[test]
fn the_main_job_runs_on_embedded_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let db = path(&dir.path().join("day.db"));
    let s = ok(&["day", "--db", &db]);
    assert!(s.contains("80 members in 3 squadrons"), "{s}");
    assert!(s.contains("Critical path: muster → move → recon → control-line → mop-up → headcount"));
    assert!(s.contains("109.83"), "the example run scores 109.83:\n{s}");
    assert!(
        s.contains("Daily contest 每日比武 overall (provisional)"),
        "{s}"
    );
    assert!(
        s.contains("the daily contest is competition `daily-contest-2026-12-01`: wrote its 10 steps; replayed from the ledger, its standings are the ones shown above"),
        "{s}"
    );
    let overall = &s[s.find("Daily contest 每日比武 overall").unwrap()..];
    let first = overall.lines().find(|l| l.contains("│ 1 ")).unwrap();
    assert!(first.contains("wuyun") && first.contains(" 6 "), "{first}");
    for hazard in ["forest-fire", "landslide", "water-rescue"] {
        assert!(s.matches(hazard).count() >= 2, "{hazard}");
    }
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_muster"))
        .args(["day", "--db"])
        .arg(dir.path().join("day.db"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is dropped here: the reader has gone away.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn list_and_export_the_builtins() {
    let v: serde_json::Value = serde_json::from_str(&ok(&["scenario", "list", "--json"])).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    for hazard in ["forest-fire.", "landslide.", "water-rescue."] {
        assert!(
            ids.iter().filter(|i| i.starts_with(hazard)).count() >= 2,
            "{hazard}: {ids:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("throw-bag");
    let to_s = path(&to);
    ok(&["scenario", "export", "water-rescue.throw-bag", &to_s]);
    ok(&["scenario", "check", &to_s]);
    // Exporting again over the same files writes nothing and names the clash.
    let again = fails(1, &["scenario", "export", "water-rescue.throw-bag", &to_s]);
    assert!(again.contains("scenario.toml"), "{again}");
    fails(1, &["scenario", "export", "flood", &to_s]);
}
