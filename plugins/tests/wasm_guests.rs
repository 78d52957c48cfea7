//! The Rust example guests, built for wasm32-unknown-unknown by this test
//! and run through the wasm runtime: the time-bonus port must give 109.83 on
//! the example record, as the rhai script does; the flood-rescue generator
//! must produce a scenario that passes the same checks as a file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use muster_core::{
    DrillRecord, Format, Scenario, ScoreInput, ScoreStatus, Scorer, TimeBonusScorer,
};
use muster_plugins::{PluginScorer, WasmLimits, WasmRuntime};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds both example crates once, into their own target directory so the
/// build does not wait on the lock of the `cargo test` that runs us.
fn built() -> &'static Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let target_dir = root().join("target/wasm-guests");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(root())
            .env("CARGO_TARGET_DIR", &target_dir)
            .args([
                "build",
                "--profile",
                "guest",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "muster-example-time-bonus",
                "-p",
                "muster-example-flood-rescue",
            ])
            .output()
            .map_err(|e| format!("could not run cargo: {e}"))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let hint = if stderr.contains("wasm32-unknown-unknown") && stderr.contains("target") {
                "\nIs the target installed? Run `rustup target add wasm32-unknown-unknown`."
            } else {
                ""
            };
            return Err(format!(
                "building the example guests failed:\n{stderr}{hint}"
            ));
        }
        Ok(target_dir.join("wasm32-unknown-unknown/guest"))
    })
}

fn guest(file: &str) -> Vec<u8> {
    let dir = match built() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn package() -> PathBuf {
    root().join("scenarios/packages/forest-fire-initial-attack")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn example() -> (ScoreInput, serde_json::Value) {
    let scenario = Scenario::parse(
        "scenario.toml",
        &read(&package().join("scenario.toml")),
        Format::Toml,
    )
    .unwrap();
    let record = DrillRecord::parse(
        "record-nantang.json",
        &read(&package().join("record-nantang.json")),
        Format::Json,
        &scenario,
    )
    .unwrap();
    let params = scenario.scoring().params.clone();
    (ScoreInput::new(&scenario, &record), params)
}

/// The time-bonus guest, freshly built, loaded in a runtime of its own.
fn time_bonus() -> muster_plugins::WasmScorer {
    let rt = WasmRuntime::new(WasmLimits::default()).unwrap();
    rt.load("time-bonus.wasm", &guest("muster_example_time_bonus.wasm"))
        .unwrap()
}

#[test]
fn time_bonus_guest_gives_109_83() {
    let scorer = time_bonus();
    let (input, params) = example();
    let (card, stats) = scorer.score_with_stats(&input, &params);
    let card = card.unwrap();
    assert_eq!(format!("{:.2}", card.total), "109.83");
    assert_eq!(card.status, ScoreStatus::Valid);
    assert_eq!(card.scorer.name, "time-bonus.wasm");
    // The native rule and the wasm port agree bit for bit.
    let native = TimeBonusScorer::default().score(&input, &params).unwrap();
    assert_eq!(card.total.to_bits(), native.total.to_bits());
    assert_eq!(card.notes, native.notes);
    // Fuel is deterministic for a good run too.
    let (_, again) = scorer.score_with_stats(&input, &params);
    assert_eq!(stats.work_used, again.work_used);
    assert!(stats.work_used < stats.work_limit / 10, "{stats:?}");
}

#[test]
fn time_bonus_guest_rules_and_errors() {
    let scorer = time_bonus();
    let (input, params) = example();

    let mut late = input.clone();
    late.elapsed = 4000.0;
    let card = scorer.score(&late, &params).unwrap();
    assert_eq!(
        (card.status, card.reason.as_str()),
        (ScoreStatus::Dnf, "time limit exceeded")
    );

    let mut dq = input.clone();
    dq.tasks.remove("safety");
    let card = scorer.score(&dq, &params).unwrap();
    assert_eq!(card.status, ScoreStatus::Dq);
    assert_eq!(card.reason, "critical task safety not done");

    let mut bad = params.clone();
    bad["penalty_points"] = serde_json::json!({});
    let e = scorer.score(&input, &bad).unwrap_err();
    insta::assert_snapshot!(e, @"time-bonus.wasm: unknown penalty code missing-kit");

    // Batch scoring gives the same cards as one call each.
    let batch = scorer.score_batch(&[input.clone(), late, input.clone()], &params);
    assert_eq!(
        batch[0].as_ref().unwrap(),
        &scorer.score(&input, &params).unwrap()
    );
    assert_eq!(batch[1].as_ref().unwrap().status, ScoreStatus::Dnf);
    assert_eq!(batch[2].as_ref().unwrap(), batch[0].as_ref().unwrap());
}

/// The port's notes are the native rule's, number for number: the guest
/// writes them with `muster_guest::Num` (zmij), the native rule with
/// `format!`. Elapsed times and params are picked to give long fractions,
/// whole numbers past 1e15, two shortest decimals equally near (ties) and
/// numbers `Display` writes with many zeros.
#[test]
fn the_port_writes_every_number_as_the_native_rule_does() {
    let scorer = time_bonus();
    let native = TimeBonusScorer::default();
    let (input, params) = example();
    let mut state = 0x853c_49e6_748f_ea9bu64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let limit = input.time_limit.unwrap();
    let mut checked = 0;
    for per_point in [30.0, 7.0, 0.1, 2f64.powi(-40), 1e-300, 3e300, -0.5] {
        let mut p = params.clone();
        p["seconds_per_point"] = serde_json::json!(per_point);
        p["penalty_points"]["missing-kit"] = serde_json::json!(0.1);
        p["penalty_points"]["unsafe-act"] = serde_json::json!(1e20);
        let inputs: Vec<ScoreInput> = (0..200)
            .map(|i| {
                let mut r = input.clone();
                r.elapsed = match i % 4 {
                    0 => limit - (next() % 4000) as f64 / 16.0,
                    1 => limit - f64::from_bits(0x3ff0_0000_0000_0000 | (next() >> 12)),
                    2 => limit - (next() % 100_000) as f64 * 0.37,
                    _ => limit,
                };
                r
            })
            .collect();
        for (r, got) in inputs.iter().zip(scorer.score_batch(&inputs, &p)) {
            let got = got.unwrap();
            let want = native.score(r, &p).unwrap();
            assert_eq!(got.total.to_bits(), want.total.to_bits(), "{}", r.elapsed);
            assert_eq!(
                (got.status, &got.reason, &got.notes),
                (want.status, &want.reason, &want.notes),
                "elapsed {}, seconds per point {per_point}",
                r.elapsed
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 1400);
}

/// The port reads its params as the rhai script does: a run that ends in
/// a DQ or DNF needs none, and a valid run names the value it is missing.
#[test]
fn the_port_refuses_bad_params_only_where_a_run_needs_them() {
    let scorer = time_bonus();
    let (input, params) = example();
    let mut dq = input.clone();
    dq.tasks.remove("safety");
    let mut late = input.clone();
    late.elapsed = 4000.0;
    for (key, value) in [
        ("base", serde_json::json!("100")),
        ("seconds_per_point", serde_json::Value::Null),
        ("penalty_points", serde_json::json!([1, 2])),
    ] {
        let mut bad = params.clone();
        bad[key] = value;
        assert_eq!(
            scorer.score(&dq, &bad).unwrap().status,
            ScoreStatus::Dq,
            "{key}"
        );
        assert_eq!(
            scorer.score(&late, &bad).unwrap().status,
            ScoreStatus::Dnf,
            "{key}"
        );
        let e = scorer.score(&input, &bad).unwrap_err().to_string();
        let want = match key {
            "penalty_points" => "time-bonus.wasm: unknown penalty code missing-kit".to_string(),
            _ => format!("time-bonus.wasm: params.{key} must be a number"),
        };
        assert_eq!(e, want);
        let native = TimeBonusScorer::default().score(&input, &bad).unwrap_err();
        assert!(
            native
                .to_string()
                .ends_with(&want["time-bonus.wasm: ".len()..]),
            "{native}"
        );
    }
    let e = scorer
        .score(&input, &serde_json::json!({ "base": 1, "base": 2 }))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "time-bonus.wasm: params.seconds_per_point must be a number"
    );
}

#[test]
fn each_call_is_sent_the_params_it_is_given() {
    // The params' JSON is kept from one call to the next while they are the
    // same; other params must reach the guest as given.
    let scorer = time_bonus();
    let (input, params) = example();
    let mut more = params.clone();
    more["base"] = serde_json::json!(params["base"].as_f64().unwrap() + 10.0);
    let total = |p: &serde_json::Value| scorer.score(&input, p).unwrap().total;
    let (a, b, again) = (total(&params), total(&more), total(&params));
    assert_eq!(b - a, 10.0);
    assert_eq!(again.to_bits(), a.to_bits());
    let batch = scorer.score_batch(std::slice::from_ref(&input), &more);
    assert_eq!(batch[0].as_ref().unwrap().total.to_bits(), b.to_bits());
    assert_eq!(total(&params).to_bits(), a.to_bits());
}

/// The SDK hands the same input buffer out again for the next record of a
/// batch: records that grow past it, shrink and grow again must each score
/// as they do alone, and the notes must be those of the native rule.
#[test]
fn a_batch_of_growing_and_shrinking_records_scores_as_single_calls() {
    let scorer = time_bonus();
    let (input, params) = example();
    let sized = |extra: usize| {
        let mut r = input.clone();
        r.team = "t".repeat(extra * 100);
        let p = r.penalties[0].clone();
        r.penalties.extend(std::iter::repeat_n(p, extra));
        r
    };
    let inputs: Vec<ScoreInput> = [0, 40, 3, 200, 0, 41].into_iter().map(sized).collect();
    let native = TimeBonusScorer::default();
    let batch = scorer.score_batch(&inputs, &params);
    for (i, (input, got)) in inputs.iter().zip(&batch).enumerate() {
        let got = got.as_ref().unwrap_or_else(|e| panic!("record {i}: {e}"));
        assert_eq!(got, &scorer.score(input, &params).unwrap(), "record {i}");
        let want = native.score(input, &params).unwrap();
        assert_eq!(got.total.to_bits(), want.total.to_bits(), "record {i}");
        assert_eq!(got.notes, want.notes, "record {i}");
    }
    // The time bonus, then a note for each penalty.
    let notes = 1 + input.penalties.len() + 200;
    assert_eq!(batch[3].as_ref().unwrap().notes.len(), notes);
}

#[test]
fn flood_rescue_generates_a_valid_scenario_and_scores_it() {
    let rt = WasmRuntime::new(WasmLimits::default()).unwrap();
    let plugin = rt
        .load(
            "flood-rescue.wasm",
            &guest("muster_example_flood_rescue.wasm"),
        )
        .unwrap();
    assert!(plugin.has_generator());
    let text = plugin
        .generate(&serde_json::json!({ "victims": 5, "boats": 2 }))
        .unwrap();
    let scenario = Scenario::parse("flood-5.json", &text, Format::Json)
        .unwrap_or_else(|d| panic!("{d:?}\n{text}"));
    assert_eq!(scenario.meta().id, "water-rescue.flood-5");
    assert_eq!(scenario.critical_tasks().count(), 2);

    let record_text = serde_json::json!({
        "scenario": "water-rescue.flood-5", "version": "1.0.0", "team": "wuyun", "attempt": 1,
        "tasks": {
            "muster": { "start": "0s", "end": "5m", "status": "done" },
            "launch": { "start": "5m", "end": "11m", "status": "done" },
            "rescue-1": { "start": "11m", "end": "16m", "status": "done" },
            "rescue-2": { "start": "11m", "end": "17m", "status": "done" },
            "rescue-3": { "start": "16m", "end": "21m", "status": "failed" },
            "rescue-4": { "start": "17m", "end": "22m", "status": "done" },
            "rescue-5": { "start": "21m", "end": "26m", "status": "done" },
            "headcount": { "start": "26m", "end": "28m", "status": "done" }
        }
    })
    .to_string();
    let record = DrillRecord::parse("flood.json", &record_text, Format::Json, &scenario).unwrap();
    let input = ScoreInput::new(&scenario, &record);
    let (card, _, log) = plugin.score_with_log(&input, &scenario.scoring().params);
    let card = card.unwrap();
    // 4 rescued × 10, plus (38 min − 28 min) / 60 s a point = 10.
    assert_eq!(card.total, 50.0);
    assert_eq!(card.tasks["rescue-1"].points, Some(10.0));
    // The card holds the tasks the scorer gave points; the failed rescue
    // is only in the record's detail.
    assert!(!card.tasks.contains_key("rescue-3"));
    let (_, failed) = card
        .task_details(&input)
        .find(|(id, _)| *id == "rescue-3")
        .unwrap();
    assert_eq!(
        (failed.status, failed.seconds, failed.points),
        (muster_core::TaskStatus::Failed, 300.0, None)
    );
    assert_eq!(log, ["flood-rescue: 4 rescued"]);

    let e = plugin
        .generate(&serde_json::json!({ "victims": 0 }))
        .unwrap_err();
    insta::assert_snapshot!(e, @"flood-rescue.wasm: params.victims must be a whole number from 1 to 200");
}

/// The copy of the time-bonus guest that muster-scenarios embeds (for the main
/// job) must score exactly as a fresh build of plugins/examples/time-bonus.
/// Bytes can differ between build folders (panic locations carry paths), so
/// the behaviour on every shipped initial-attack record is what is pinned.
#[test]
fn the_embedded_time_bonus_module_matches_a_fresh_build() {
    let fresh = guest("muster_example_time_bonus.wasm");
    let committed = std::fs::read(root().join("scenarios/wasm/time-bonus.wasm")).unwrap();
    let rt = WasmRuntime::new(WasmLimits::default()).unwrap();
    let a = rt.load("fresh.wasm", &fresh).unwrap();
    let b = rt.load("embedded.wasm", &committed).unwrap();
    assert_eq!((a.abi_version(), b.abi_version()), (Some("3"), Some("3")));
    let scenario = Scenario::parse(
        "scenario.toml",
        &read(&package().join("scenario.toml")),
        Format::Toml,
    )
    .unwrap();
    let params = &scenario.scoring().params;
    let mut records = 0;
    for entry in std::fs::read_dir(package()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with("record-") && name.ends_with(".json")) {
            continue;
        }
        let r = DrillRecord::parse(&name, &read(&path), Format::Json, &scenario).unwrap();
        let input = ScoreInput::new(&scenario, &r);
        let (x, y) = (
            a.score(&input, params).unwrap(),
            b.score(&input, params).unwrap(),
        );
        assert_eq!(x.total.to_bits(), y.total.to_bits(), "{name}");
        assert_eq!(
            (x.status, &x.reason, &x.notes),
            (y.status, &y.reason, &y.notes),
            "{name}"
        );
        records += 1;
    }
    assert_eq!(records, 3);
}

/// The time-bonus module built for ABI v3 scores exactly as the last one
/// built for v2 (shipped until 2026-12-04): one record per instance, and in
/// a batch whose records change task ids, critical ids and version part way,
/// so that v3 sends each part of the context only when it changes.
#[test]
fn the_abi_v3_module_scores_as_the_abi_v2_module_did() {
    let v2_bytes =
        std::fs::read(root().join("scenarios/wasm/retired/time-bonus-022cd632.wasm")).unwrap();
    let rt = WasmRuntime::new(WasmLimits::default()).unwrap();
    let v2 = rt.load("v2.wasm", &v2_bytes).unwrap();
    let v3 = rt
        .load("v3.wasm", &guest("muster_example_time_bonus.wasm"))
        .unwrap();
    assert_eq!((v2.abi_version(), v3.abi_version()), (Some("2"), Some("3")));
    let (a, params) = example();
    let mut b = a.clone();
    b.tasks.pop_last();
    b.team = "wuyun".into();
    let mut c = a.clone();
    c.critical.pop();
    c.tasks.values_mut().for_each(|t| t.end += 900.0);
    c.elapsed = c.time_limit.unwrap() + 1.0;
    let mut d = b.clone();
    d.version = "1.0.1".into();
    d.penalties.clear();
    let mut e = a.clone();
    let first = e.critical[0].clone();
    e.tasks.get_mut(&first).unwrap().status = muster_core::TaskStatus::Failed;
    let batch = [&a, &a, &b, &b, &c, &a, &d, &e, &d, &a]
        .map(Clone::clone)
        .to_vec();
    let (x, y) = (
        v2.score_batch(&batch, &params),
        v3.score_batch(&batch, &params),
    );
    for (i, input) in batch.iter().enumerate() {
        let one = v3.score(input, &params).unwrap();
        for card in [x[i].as_ref().unwrap(), y[i].as_ref().unwrap()] {
            assert_eq!(card.total.to_bits(), one.total.to_bits(), "record {i}");
            assert_eq!(
                (card.status, &card.reason, &card.notes),
                (one.status, &one.reason, &one.notes),
                "record {i}"
            );
        }
    }
    let statuses: Vec<_> = y.iter().map(|c| c.as_ref().unwrap().status).collect();
    for status in [ScoreStatus::Valid, ScoreStatus::Dnf, ScoreStatus::Dq] {
        assert!(statuses.contains(&status), "{statuses:?}");
    }
}
