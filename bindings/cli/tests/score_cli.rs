//! `muster score` and `muster plugin`: run the built binary on the example package.

mod common;

use common::{fails, ok, path, text};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scenarios/packages/forest-fire-initial-attack"
);

/// Runs `muster args`: its exit code, stdout, and stderr with the example's
/// path written `EXAMPLE`.
fn muster(args: &[&str]) -> (i32, String, String) {
    let out = common::muster(args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr).replace(EXAMPLE, "EXAMPLE"),
    )
}

fn record() -> String {
    format!("{EXAMPLE}/record-nantang.json")
}

/// The example package's scenario and record in a temporary folder, scored
/// by `script` as `score.rhai`.
fn example_with_script(script: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["scenario.toml", "record-nantang.json"] {
        std::fs::copy(format!("{EXAMPLE}/{f}"), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("score.rhai"), script).unwrap();
    dir
}

#[test]
fn score_prints_the_card() {
    let (code, out, err) = muster(&["score", EXAMPLE, &record()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("109.83"), "{out}");
    assert!(
        out.contains("地表火初期扑救 Initial attack on a surface fire"),
        "{out}"
    );
    assert!(out.contains("missing-kit x1 on muster: -2.0"), "{out}");
}

#[test]
fn score_json() {
    let (code, out, err) = muster(&[
        "score",
        "builtin:forest-fire.initial-attack",
        &record(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(format!("{:.2}", v["total"].as_f64().unwrap()), "109.83");
    assert_eq!(v["status"], "valid");
    assert_eq!(v["scorer"]["kind"], "rhai");
}

#[test]
fn score_a_bad_record() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("run.json");
    let json = std::fs::read_to_string(record())
        .unwrap()
        .replace("\"recon\":", "\"recce\":");
    std::fs::write(&bad, json).unwrap();
    let (code, _, err) = muster(&["score", EXAMPLE, bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    let err = err.replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!(err.trim_end(), @r#"TMP/run.json:10:5: error: task `recce`: `tasks` names unknown task `recce`; did you mean `recon`?"#);
}

#[test]
fn score_unknown_builtin() {
    let (code, _, err) = muster(&["score", "builtin:nope", &record()]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(err.trim_end(), @r#"builtin:nope: error: no built-in scenario `nope`; the built-ins are: forest-fire.initial-attack, forest-fire.pump-relay, forest-fire.night-mop-up, landslide.house-search, landslide.village-evacuation, water-rescue.assault-boat, water-rescue.throw-bag, water-rescue.capsize-self-rescue, water-rescue.flood-rescue"#);
}

#[test]
fn plugin_check_reports_the_scorer() {
    let (code, out, err) = muster(&["plugin", "check", EXAMPLE, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["scenario"], "forest-fire.initial-attack");
    assert_eq!(v["generator"], false);
    assert!(v["scorer"]["hash"].as_str().unwrap().starts_with("sha256:"));
}

#[test]
fn plugin_check_names_a_wasm_modules_abi() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in muster_scenarios::initial_attack_wasm_files() {
        let path = dir.path().join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let pkg = dir.path().to_str().unwrap();
    let (code, out, err) = muster(&["plugin", "check", pkg, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["abi"], "3");
    assert_eq!(v["scorer"]["kind"], "wasm");
    let (code, out, err) = muster(&["plugin", "check", pkg]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("score.wasm loads (Wasm, ABI 3)"), "{out}");
    let (_, out, _) = muster(&["plugin", "check", EXAMPLE, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["abi"], serde_json::Value::Null);
}

#[test]
fn plugin_check_a_script_that_does_not_compile() {
    let dir = example_with_script("fn score(record, params) {\n  record.\n}");
    let (code, _, err) = muster(&["plugin", "check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    let err = err.replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!(err.trim_end(), @r#"TMP/score.rhai:3:1: error: syntax error: Expecting name of a property"#);
}

#[test]
fn plugin_run_reports_usage_against_limits() {
    let (code, out, err) = muster(&["plugin", "run", EXAMPLE, &record(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        format!("{:.2}", v["result"]["total"].as_f64().unwrap()),
        "109.83"
    );
    assert_eq!(v["stats"]["work_unit"], "operations");
    assert!(v["stats"]["work_used"].as_u64().unwrap() > 0);
    assert_eq!(v["stats"]["work_limit"], 200_000);
    assert!(v["stats"]["input_bytes"].as_u64().unwrap() > 0);
    assert_eq!(v["stats"]["route"], "direct path");
    let (code, out, err) = muster(&["plugin", "run", EXAMPLE, &record()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ran on: direct path"), "{out}");
}

#[test]
fn plugin_run_a_script_that_loops() {
    let dir = example_with_script("fn score(record, params) {\n  loop { }\n}");
    let (code, out, err) = muster(&["plugin", "run", dir.path().to_str().unwrap(), &record()]);
    assert_eq!(code, 1);
    assert!(out.contains("operations"), "{out}");
    assert!(out.contains("ran on: interpreter (operations)"), "{out}");
    let err = err.replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!(err.trim_end(), @r#"TMP/score.rhai: error: the scorer hit the operation limit (more than 200000 operations)"#);
}

const FLOOD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../plugins/tests/data/rhai/flood"
);

#[test]
fn plugin_check_a_generator_with_params() {
    let (code, out, err) = muster(&["plugin", "check", FLOOD, "--param", "victims=5", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["tasks"], 6);
    assert_eq!(v["generator_params"]["victims"], 5);
    assert_eq!(v["manifest"], "generator.toml");
}

#[test]
fn a_param_without_equals_is_a_usage_error() {
    let (code, _, err) = muster(&["plugin", "check", FLOOD, "--param", "victims"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`victims` is not KEY=VALUE, e.g. victims=5"),
        "{err}"
    );
}

/// `muster ledger rescore` of the ledger `db` with the built-in initial
/// attack, by m001.
fn rescore_initial_attack(db: &str) -> Vec<&str> {
    vec![
        "ledger",
        "rescore",
        "--db",
        db,
        "builtin:forest-fire.initial-attack",
        "--author",
        "m001",
    ]
}

#[test]
fn ledger_rescore_appends_the_packages_scores_and_replay_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let db = path(&dir.path().join("day.db"));
    ok(&["day", "--db", &db]);
    let mut args = rescore_initial_attack(&db);
    args.extend(["--at", "2026-12-01T18:00:00+08:00"]);
    let s = ok(&args);
    assert!(
        s.starts_with("re-scored 3 runs of forest-fire.initial-attack with builtin:forest-fire-initial-attack/score.rhai: their scores are entry "),
        "{s}"
    );
    let r = ok(&["ledger", "replay", "--db", &db]);
    assert!(
        r.contains("0 differences, 0 scorers not found, 0 failed"),
        "{r}"
    );
    assert!(ok(&["ledger", "verify", "--db", &db]).starts_with("ok: "));
    let empty = path(&dir.path().join("empty.db"));
    let none = ok(&[
        "ledger",
        "rescore",
        "--db",
        &empty,
        "builtin:water-rescue.throw-bag",
        "--author",
        "m001",
    ]);
    assert_eq!(
        none.trim(),
        "no stored runs of water-rescue.throw-bag: nothing to re-score"
    );
    let err = fails(
        1,
        &[
            "ledger",
            "rescore",
            "--db",
            &db,
            "builtin:flood",
            "--author",
            "m001",
        ],
    );
    assert!(
        err.contains("builtin:flood: error: no built-in scenario `flood`"),
        "{err}"
    );
}

/// Ctrl-C during `muster ledger rescore` stops it cleanly: it says how far
/// it read and that nothing was written, exits 130, and the ledger is
/// entry for entry what it was.
#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_stops_a_rescore_and_nothing_is_written() {
    use muster_core::ledger::{Draft, EntryKind, LedgerStore, SqliteStore};
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("day.db");
    let db = path(&db_path);
    ok(&["day", "--db", &db]);
    // A season long enough that the interrupt lands while it is read.
    let tip = {
        let mut store = SqliteStore::open(&db_path).unwrap();
        let entries = store.entries().unwrap();
        let run = entries
            .iter()
            .find(|e| matches!(&e.kind, EntryKind::DrillRun { scenario, .. } if scenario == "forest-fire.initial-attack"))
            .expect("the day records an initial-attack run");
        let drafts: Vec<Draft> = (0..20_000)
            .map(|_| Draft::new(run.author.clone(), run.at, run.kind.clone()))
            .collect();
        store.append(&drafts).unwrap();
        store.tip().unwrap()
    };
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_muster"))
        .args(rescore_initial_attack(&db))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The handler runs on a thread of its own, named `ctrl-c`: once it is
    // there, Ctrl-C is the re-score's to handle.
    let tasks = format!("/proc/{}/task", child.id());
    let started = std::time::Instant::now();
    let has_handler = || {
        std::fs::read_dir(&tasks)
            .into_iter()
            .flatten()
            .flatten()
            .any(|t| {
                std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == "ctrl-c")
            })
    };
    while !has_handler() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no Ctrl-C handler after a minute"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{}{err}", text(&out.stdout));
    assert!(
        err.contains("stopping: the re-score is abandoned at its next progress step"),
        "{err}"
    );
    let said = format!("{db}: re-score interrupted: cancelled after reading ");
    let (_, tail) = err.split_once(&said).unwrap_or_else(|| panic!("{err}"));
    assert!(
        tail.trim_end().ends_with(&format!(
            " of {} entries; nothing was written",
            tip.unwrap().0
        )),
        "{err}"
    );
    let store = SqliteStore::open(&db_path).unwrap();
    assert_eq!(store.tip().unwrap(), tip);
    assert!(ok(&["ledger", "verify", "--db", &db]).starts_with("ok: "));
}

/// A ledger keeps the source of every scorer whose scores it holds, so its
/// scores replay after the package is edited or deleted; a source changed
/// in the file is caught by `verify` and not used.
#[test]
fn replay_uses_the_scorer_source_the_ledger_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = path(&dir.path().join("day.db"));
    ok(&["day", "--db", &db]);
    // The day keeps the source of each built-in package it scores with, and of the wasm module.
    let sources = |v: &str| -> u64 {
        let (_, tail) = v.split_once("; ").unwrap();
        tail.split(' ').next().unwrap().parse().unwrap()
    };
    let before = sources(&ok(&["ledger", "verify", "--db", &db]));
    assert!(before >= 4, "{before}");
    let script = std::fs::read_to_string(format!("{EXAMPLE}/score.rhai")).unwrap();
    let local = example_with_script(&format!("// the brigade's own copy\n{script}"));
    let package = path(local.path());
    let s = ok(&[
        "ledger", "rescore", "--db", &db, &package, "--author", "m001",
    ]);
    assert!(
        s.starts_with("re-scored 3 runs of forest-fire.initial-attack with "),
        "{s}"
    );
    let v = ok(&["ledger", "verify", "--db", &db]);
    assert!(
        v.ends_with(" scorer sources, each matching its hash\n"),
        "{v}"
    );
    assert_eq!(sources(&v), before + 1, "{v}");

    drop(local);
    let r = ok(&["ledger", "replay", "--db", &db]);
    assert!(
        r.contains("0 differences, 0 scorers not found, 0 failed"),
        "{r}"
    );

    // An edit of a kept source, made past the table's triggers as a tamperer would.
    let conn = rusqlite::Connection::open(dir.path().join("day.db")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER scorer_sources_no_update;
         UPDATE scorer_sources SET bytes = CAST('fn score(r, p) { #{ total: 1.0 } }' AS BLOB) WHERE kind = 'rhai' AND name NOT LIKE 'builtin:%';",
    )
    .unwrap();
    drop(conn);
    let err = fails(1, &["ledger", "verify", "--db", &db]);
    assert!(err.contains("error: scorer source sha256:"), "{err}");
    assert!(
        err.contains(" was changed: the kept bytes hash to sha256:"),
        "{err}"
    );
    let err = fails(1, &["ledger", "replay", "--db", &db]);
    assert_eq!(err.matches("/score.rhai` (sha256:").count(), 3, "{err}");
    assert!(err.contains(": no scorer `"), "{err}");
}

/// `muster ledger init` shows the schema and what the file holds;
/// `muster ledger keep` keeps a package's scorer source once, and says what
/// is wrong with a package it cannot open.
#[test]
fn ledger_init_and_keep() {
    let dir = tempfile::tempdir().unwrap();
    let db = path(&dir.path().join("l.db"));
    let s = ok(&["ledger", "init", "--db", &db]);
    assert_eq!(
        s,
        format!(
            "{db}: schema version 2 (this Muster reads up to 4), 0 entries, 0 scorer sources\n"
        )
    );
    let script = std::fs::read_to_string(format!("{EXAMPLE}/score.rhai")).unwrap();
    let local = example_with_script(&format!("// kept by hand\n{script}"));
    let package = path(local.path());
    let kept = ok(&["ledger", "keep", "--db", &db, &package]);
    assert!(
        kept.starts_with(&format!("kept {package}/score.rhai (sha256:")),
        "{kept}"
    );
    assert_eq!(ok(&["ledger", "keep", "--db", &db, &package]), kept);
    let s = ok(&["ledger", "init", "--db", &db]);
    assert_eq!(
        s,
        format!(
            "{db}: schema version 2 (this Muster reads up to 4), 0 entries, 1 scorer sources\n"
        )
    );
    let missing = path(&dir.path().join("nowhere"));
    let err = fails(1, &["ledger", "keep", "--db", &db, &missing]);
    assert_eq!(
        err,
        format!("error: {missing}: cannot read: No such file or directory (os error 2)\n")
    );
}

/// `muster ledger record --keep PACKAGE` records scores from a file and
/// keeps the package's scorer source with them, so they replay after the
/// package is gone; a package it cannot open stops it before anything is
/// written.
#[test]
fn ledger_record_keeps_the_sources_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let db = path(&dir.path().join("day.db"));
    ok(&["day", "--db", &db]);
    let script = std::fs::read_to_string(format!("{EXAMPLE}/score.rhai")).unwrap();
    let local = example_with_script(&format!("// scored at the station\n{script}"));
    let package = path(local.path());
    // The local package's scorer id, as `ledger keep` names it in a scratch ledger.
    let scratch = path(&dir.path().join("scratch.db"));
    let kept = ok(&["ledger", "keep", "--db", &scratch, &package]);
    let hash = kept
        .trim_end()
        .rsplit_once(" (")
        .and_then(|(_, h)| h.strip_suffix(')'))
        .unwrap()
        .to_string();
    let name = format!("{package}/score.rhai");

    // A stored score, recorded again as the local package's.
    let scorer = serde_json::json!({ "kind": "rhai", "name": name, "hash": hash });
    let file = dir.path().join("scores.json");
    let draft = score_draft(&db, "initial-attack/score.rhai", scorer);
    std::fs::write(&file, draft.to_string()).unwrap();
    let file = path(&file);
    let sources = |v: &str| -> u64 {
        let (_, tail) = v.split_once("; ").unwrap();
        tail.split(' ').next().unwrap().parse().unwrap()
    };
    let before = ok(&["ledger", "verify", "--db", &db]);

    let missing = path(&dir.path().join("nowhere"));
    let err = fails(
        1,
        &[
            "ledger", "record", "--db", &db, &file, "--keep", &package, "--keep", &missing,
        ],
    );
    assert_eq!(
        err,
        format!("error: {missing}: cannot read: No such file or directory (os error 2)\n")
    );
    assert_eq!(ok(&["ledger", "verify", "--db", &db]), before);

    let s = ok(&["ledger", "record", "--db", &db, &file, "--keep", &package]);
    let (recorded, kept_line) = s.split_once('\n').unwrap();
    assert!(recorded.starts_with("recorded entries "), "{s}");
    assert_eq!(kept_line, kept);
    let after = ok(&["ledger", "verify", "--db", &db]);
    assert_eq!(sources(&after), sources(&before) + 1, "{after}");

    // The same file recorded without `--keep` into a copy of the day's ledger.
    let bare = path(&dir.path().join("bare.db"));
    ok(&["day", "--db", &bare]);
    ok(&["ledger", "record", "--db", &bare, &file]);

    drop(local);
    let r = ok(&["ledger", "replay", "--db", &db]);
    assert!(
        r.contains("0 differences, 0 scorers not found, 0 failed"),
        "{r}"
    );
    let err = fails(1, &["ledger", "replay", "--db", &bare]);
    assert!(err.contains(&format!("{name}` ({hash})")), "{err}");
    assert!(err.contains(": no scorer `"), "{err}");
}

/// The first stored score whose line holds `scorer_name`, as a draft of the
/// same score by `scorer`.
fn score_draft(db: &str, scorer_name: &str, scorer: serde_json::Value) -> serde_json::Value {
    let export = ok(&["ledger", "export", "--db", db, "--format", "jsonl"]);
    let line = export
        .lines()
        .find(|l| l.contains(r#""kind":"score_computed""#) && l.contains(scorer_name))
        .unwrap_or_else(|| panic!("no score by {scorer_name} in {db}"));
    let mut entry: serde_json::Value = serde_json::from_str(line).unwrap();
    entry["scorer"] = scorer.clone();
    entry["card"]["scorer"] = scorer;
    let o = entry.as_object_mut().unwrap();
    for sealed in ["seq", "prev", "hash"] {
        o.remove(sealed);
    }
    let (author, at) = (o.remove("author").unwrap(), o.remove("at").unwrap());
    serde_json::json!({ "author": author, "at": at, "entry": entry })
}

/// A wasm score made with a built-in module an earlier release shipped
/// replays with that module, from the binary alone (no source kept); a
/// module of another hash is reported as not found.
#[test]
fn replay_finds_a_retired_builtin_wasm_module() {
    const RETIRED: [&str; 7] = [
        "sha256:646a72cce6c943c28e014e3cdd1f684463ed3cfe70ec7695c6464c06ba64607c",
        "sha256:bcaf9fe4f656c31c2dc7adcf5545b892844c45339ff82302264c74e1ed7422d3",
        "sha256:381c1244d89d5f6b380e56cc61e24d278050ec28b5ac7c394eeeabb2affd0f8b",
        "sha256:9ba1c04fc630e843568be6e1c0d022ed785f75886dd3edd304b2e8541a7461c8",
        "sha256:022cd63242a2692e15782ca1150c85e953ac3e030269a9911f0ce506a6ba16b0",
        "sha256:e8265be8f472d7eeebff0eda15c8954c4fadb466a7ef31d52cb9f0546795883f",
        "sha256:46663602066229f50d180c4de9fdbc1a0eb3d40d66399e09daf5fabaafe12af2",
    ];
    let dir = tempfile::tempdir().unwrap();
    let db = path(&dir.path().join("day.db"));
    ok(&["day", "--db", &db]);
    let replayed = |r: &str| -> u64 {
        let n = r.split_once("replayed ").unwrap().1;
        n.split(' ').next().unwrap().parse().unwrap()
    };
    let before = replayed(&ok(&["ledger", "replay", "--db", &db]));
    let file = dir.path().join("retired.json");
    let as_scored_by = |hash: &str| {
        let scorer =
            serde_json::json!({ "kind": "wasm", "name": "builtin:time-bonus.wasm", "hash": hash });
        std::fs::write(
            &file,
            score_draft(&db, r#""kind":"wasm""#, scorer).to_string(),
        )
        .unwrap();
        path(&file)
    };
    for (n, hash) in RETIRED.iter().enumerate() {
        ok(&["ledger", "record", "--db", &db, &as_scored_by(hash)]);
        let r = ok(&["ledger", "replay", "--db", &db]);
        assert!(
            r.contains("0 differences, 0 scorers not found, 0 failed"),
            "{hash}: {r}"
        );
        assert_eq!(replayed(&r), before + 1 + n as u64, "{hash}: {r}");
    }

    let unknown = format!("sha256:{}", "0".repeat(64));
    ok(&["ledger", "record", "--db", &db, &as_scored_by(&unknown)]);
    let err = fails(1, &["ledger", "replay", "--db", &db]);
    assert!(
        err.contains(&format!("builtin:time-bonus.wasm` ({unknown})")),
        "{err}"
    );
}
