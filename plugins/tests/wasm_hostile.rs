//! The hostile wasm corpus: each guest under `tests/data/wasm/` breaks one
//! rule. Every case asserts the typed error and its message, and then that
//! the same runtime scores a good record normally. The guests are WAT, so
//! these tests need no wasm toolchain.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use muster_core::{
    DrillRecord, Format, Limit, Scenario, ScoreError, ScoreInput, ScoreStatus, Scorer,
};
use muster_plugins::{CACHED_SOURCES, PluginScorer, RunStats, WasmLimits, WasmRuntime, WasmScorer};

/// Most wall time any hostile case may take.
const BUDGET: Duration = Duration::from_secs(2);

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/wasm")
        .join(name)
}

fn wat(name: &str) -> Vec<u8> {
    wat::parse_file(data(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The example drill: the Nantang record of the forest-fire initial attack.
fn example() -> (ScoreInput, serde_json::Value) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/packages/forest-fire-initial-attack");
    let text = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
    let scenario = Scenario::parse("scenario.toml", &text, Format::Toml).unwrap();
    let text = std::fs::read_to_string(dir.join("record-nantang.json")).unwrap();
    let record = DrillRecord::parse("record-nantang.json", &text, Format::Json, &scenario).unwrap();
    let params = scenario.scoring().params.clone();
    (ScoreInput::new(&scenario, &record), params)
}

fn runtime() -> WasmRuntime {
    WasmRuntime::new(WasmLimits::default()).unwrap()
}

fn load(rt: &WasmRuntime, name: &str) -> WasmScorer {
    rt.load(name, &wat(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// The runtime still scores a good record after whatever came before.
fn assert_scores_normally(rt: &WasmRuntime) {
    let good = load(rt, "good.wat");
    let (input, params) = example();
    let card = good.score(&input, &params).unwrap();
    assert_eq!(card.total, 42.5);
    assert_eq!(card.status, ScoreStatus::Valid);
    assert_eq!(card.notes, ["fixed"]);
    assert!(card.tasks.is_empty());
    assert_eq!(card.task_details(&input).count(), 8);
}

/// Runs a hostile guest's `score` twice; both runs must fail the same way,
/// with the same fuel, within the wall-time budget. A batch of two, which
/// runs on the batch engine (bounds left to guard pages, traps by signal),
/// must fail the same way for each record.
fn run_hostile(rt: &WasmRuntime, name: &str) -> (ScoreError, RunStats) {
    let scorer = load(rt, name);
    let (input, params) = example();
    let start = Instant::now();
    let (first, stats) = scorer.score_with_stats(&input, &params);
    let (second, again) = scorer.score_with_stats(&input, &params);
    let took = start.elapsed();
    assert!(took < BUDGET * 2, "{name}: two runs took {took:?}");
    assert!(
        stats.wall_micros < BUDGET.as_micros() as u64,
        "{name}: {stats:?}"
    );
    let first = first.expect_err(name);
    assert_eq!(Err::<(), _>(first.clone()), second.map(|_| ()), "{name}");
    assert_eq!(
        stats.work_used, again.work_used,
        "{name}: fuel must be deterministic"
    );
    let start = Instant::now();
    let batch = scorer.score_batch(&[input.clone(), input], &params);
    let took = start.elapsed();
    assert!(took < BUDGET * 2, "{name}: a batch of two took {took:?}");
    for (i, got) in batch.into_iter().enumerate() {
        assert_eq!(
            Err::<(), _>(first.clone()),
            got.map(|_| ()),
            "{name}, batch record {i}"
        );
    }
    (first, stats)
}

fn limit_of(e: &ScoreError) -> Option<Limit> {
    match e {
        ScoreError::Limit { limit, .. } => Some(*limit),
        _ => None,
    }
}

fn load_error(rt: &WasmRuntime, name: &str, bytes: &[u8]) -> ScoreError {
    let e = rt.load(name, bytes).expect_err(name);
    assert!(matches!(e, ScoreError::Load { .. }), "{e:?}");
    e
}

#[test]
fn good_guest_scores_and_logs() {
    let rt = runtime();
    let good = load(&rt, "good.wat");
    let (input, params) = example();
    let (card, stats, log) = good.score_with_log(&input, &params);
    assert_eq!(card.unwrap().total, 42.5);
    assert_eq!(log, ["good.wat scored"]);
    assert_eq!(stats.work_unit, "fuel");
    assert!(stats.work_used > 0 && stats.work_used < 1_000, "{stats:?}");
    assert_eq!(stats.output_bytes, 61);
    assert_eq!(stats.peak_memory_bytes, Some(65536));
    assert!(stats.input_bytes > 500, "{stats:?}");
    assert!(!good.has_generator());
    // Loading the same bytes again hits the cache and gives the same id.
    let again = load(&rt, "good.wat");
    assert_eq!(again.id(), good.id());
    assert!(good.id().hash.starts_with("sha256:"));
}

/// `module` with a custom section holding `tag`: other bytes, the same code.
fn tagged(module: &[u8], tag: usize) -> Vec<u8> {
    let tag = tag.to_le_bytes();
    let mut bytes = module.to_vec();
    // Section 0 (custom), its size, then the name `t` and the payload.
    bytes.extend_from_slice(&[0, 2 + tag.len() as u8, 1, b't']);
    bytes.extend_from_slice(&tag);
    bytes
}

#[test]
fn the_module_cache_keeps_the_most_recently_loaded() {
    let rt = runtime();
    let good = wat("good.wat");
    let first = rt.load("good-0.wasm", &tagged(&good, 0)).unwrap();
    for tag in 1..=CACHED_SOURCES {
        let scorer = rt.load(&format!("good-{tag}.wasm"), &tagged(&good, tag));
        assert_ne!(scorer.unwrap().id().hash, first.id().hash);
    }
    assert_eq!(rt.cached_modules(), CACHED_SOURCES);
    // The first module fell out of the cache; its scorer still holds it.
    let (input, params) = example();
    assert_eq!(first.score(&input, &params).unwrap().total, 42.5);
    let again = rt.load("good-0.wasm", &tagged(&good, 0)).unwrap();
    assert_eq!(again.id(), first.id());
    assert_eq!(again.score(&input, &params).unwrap().total, 42.5);
    assert_eq!(rt.cached_modules(), CACHED_SOURCES);
}

#[test]
fn infinite_loop_runs_out_of_fuel() {
    let rt = runtime();
    let (e, stats) = run_hostile(&rt, "loop.wat");
    assert_eq!(limit_of(&e), Some(Limit::Fuel));
    assert_eq!(stats.work_used, stats.work_limit);
    insta::assert_snapshot!(e, @"loop.wat: the scorer hit the fuel limit (it used all 50000000 units of fuel)");
    assert_scores_normally(&rt);
}

#[test]
fn infinite_loop_hits_the_deadline_when_fuel_is_plenty() {
    let mut limits = WasmLimits::default();
    limits.fuel = u64::MAX / 4;
    limits.deadline = Duration::from_millis(100);
    let rt = WasmRuntime::new(limits).unwrap();
    let scorer = load(&rt, "loop.wat");
    let (input, params) = example();
    let start = Instant::now();
    let e = scorer.score(&input, &params).unwrap_err();
    assert!(start.elapsed() < BUDGET, "{:?}", start.elapsed());
    assert_eq!(limit_of(&e), Some(Limit::Time));
    insta::assert_snapshot!(e, @"loop.wat: the scorer hit the time limit (it ran past the 100 ms deadline)");
    assert_scores_normally(&rt);
}

#[test]
fn memory_grow_until_refused() {
    let rt = runtime();
    let (e, stats) = run_hostile(&rt, "grow.wat");
    assert_eq!(limit_of(&e), Some(Limit::Memory));
    assert_eq!(stats.peak_memory_bytes, Some(16 << 20));
    insta::assert_snapshot!(e, @"grow.wat: the scorer hit the memory limit (it asked for 16842752 bytes of memory; the limit is 16777216 bytes)");
    assert_scores_normally(&rt);
}

#[test]
fn initial_memory_above_the_cap() {
    let rt = runtime();
    let e = load_error(&rt, "huge-memory.wat", &wat("huge-memory.wat"));
    insta::assert_snapshot!(e, @"huge-memory.wat: declares 67108864 bytes of initial memory; the limit is 16777216 bytes");
    assert_scores_normally(&rt);
}

#[test]
fn unbounded_recursion_is_a_call_depth_error() {
    let rt = runtime();
    let (e, _) = run_hostile(&rt, "recurse.wat");
    assert_eq!(limit_of(&e), Some(Limit::CallDepth));
    insta::assert_snapshot!(e, @"recurse.wat: the scorer hit the call depth limit (it recursed past the 524288 byte wasm stack)");
    assert_scores_normally(&rt);
}

#[test]
fn oversized_output() {
    let rt = runtime();
    let (e, stats) = run_hostile(&rt, "big-output.wat");
    assert_eq!(limit_of(&e), Some(Limit::OutputSize));
    assert_eq!(stats.output_bytes, 300_000);
    insta::assert_snapshot!(e, @"big-output.wat: the scorer hit the output size limit (the output is 300000 bytes; the limit is 262144 bytes)");
    assert_scores_normally(&rt);
}

#[test]
fn output_that_is_not_json() {
    let rt = runtime();
    let (e, _) = run_hostile(&rt, "not-json.wat");
    assert!(matches!(e, ScoreError::Output { .. }), "{e:?}");
    insta::assert_snapshot!(e, @"not-json.wat: bad result: the output is not JSON: expected ident at line 1 column 2");
    assert_scores_normally(&rt);
}

#[test]
fn output_with_the_wrong_shape() {
    let rt = runtime();
    let (e, _) = run_hostile(&rt, "bad-shape.wat");
    assert!(matches!(e, ScoreError::Output { .. }), "{e:?}");
    insta::assert_snapshot!(e, @r#"bad-shape.wat: bad result: `total` must be a finite number, found the string "lots""#);
    assert_scores_normally(&rt);
}

#[test]
fn output_outside_memory() {
    let rt = runtime();
    let (e, _) = run_hostile(&rt, "out-of-bounds.wat");
    assert!(matches!(e, ScoreError::Runtime { .. }), "{e:?}");
    insta::assert_snapshot!(e, @"out-of-bounds.wat: returned output at 65530 of 100 bytes, which is outside memory");
    assert_scores_normally(&rt);
}

#[test]
fn alloc_outside_memory() {
    let rt = runtime();
    let (e, _) = run_hostile(&rt, "bad-alloc.wat");
    assert!(matches!(e, ScoreError::Runtime { .. }), "{e:?}");
    insta::assert_snapshot!(e, @"bad-alloc.wat: `alloc(895)` returned -16, which is not 895 bytes inside memory");
    assert_scores_normally(&rt);
}

#[test]
fn guest_reported_error() {
    let rt = runtime();
    let (e, _) = run_hostile(&rt, "guest-error.wat");
    assert!(matches!(e, ScoreError::Runtime { .. }), "{e:?}");
    insta::assert_snapshot!(e, @"guest-error.wat: unknown penalty code smoke");
    assert_scores_normally(&rt);
}

#[test]
fn unreachable_traps() {
    let rt = runtime();
    let (e, _) = run_hostile(&rt, "unreachable.wat");
    assert!(matches!(e, ScoreError::Runtime { .. }), "{e:?}");
    insta::assert_snapshot!(e, @"unreachable.wat: wasm trap: wasm `unreachable` instruction executed");
    assert_scores_normally(&rt);
}

#[test]
fn a_load_past_memory_traps_on_both_engines() {
    let rt = runtime();
    let (e, _) = run_hostile(&rt, "load-past-memory.wat");
    assert!(matches!(e, ScoreError::Runtime { .. }), "{e:?}");
    insta::assert_snapshot!(e, @"load-past-memory.wat: wasm trap: out of bounds memory access");
    let (e, _) = run_hostile(&rt, "load-near-4gib.wat");
    insta::assert_snapshot!(e, @"load-near-4gib.wat: wasm trap: out of bounds memory access");
    assert_scores_normally(&rt);
}

#[test]
fn log_flood() {
    let rt = runtime();
    let (e, _) = run_hostile(&rt, "log-flood.wat");
    assert_eq!(limit_of(&e), Some(Limit::Log));
    insta::assert_snapshot!(e, @"log-flood.wat: the scorer hit the log size limit (it logged more than 16384 bytes)");
    assert_scores_normally(&rt);
}

#[test]
fn input_too_large() {
    let mut limits = WasmLimits::default();
    limits.input_bytes = 100;
    let rt = WasmRuntime::new(limits).unwrap();
    let scorer = load(&rt, "good.wat");
    let (input, params) = example();
    let (e, stats) = scorer.score_with_stats(&input, &params);
    let e = e.unwrap_err();
    assert_eq!(limit_of(&e), Some(Limit::InputSize));
    assert_eq!(stats.work_used, 0);
    insta::assert_snapshot!(e, @"good.wat: the scorer hit the input size limit (the input is 895 bytes; the limit is 100 bytes)");
}

#[test]
fn wasi_import_is_refused_at_load() {
    let rt = runtime();
    let e = load_error(&rt, "wasi.wat", &wat("wasi.wat"));
    insta::assert_snapshot!(e, @"wasi.wat: imports `wasi_snapshot_preview1.fd_write`: WASI is not available to scorers (no files, clock or network); build for wasm32-unknown-unknown, not wasm32-wasip1");
    assert_scores_normally(&rt);
}

#[test]
fn unknown_import_is_refused_at_load() {
    let rt = runtime();
    let e = load_error(&rt, "unknown-import.wat", &wat("unknown-import.wat"));
    insta::assert_snapshot!(e, @"unknown-import.wat: imports `env.now`, which Muster does not provide; a scorer may import only `muster.log`");
    assert_scores_normally(&rt);
}

#[test]
fn missing_export_is_refused_at_load() {
    let rt = runtime();
    let e = load_error(&rt, "missing-export.wat", &wat("missing-export.wat"));
    insta::assert_snapshot!(e, @"missing-export.wat: does not export `score`; the ABI needs `memory`, `alloc` and `score`");
    assert_scores_normally(&rt);
}

#[test]
fn code_that_does_not_validate_is_refused_at_load() {
    let rt = runtime();
    let e = load_error(&rt, "invalid-code.wat", &wat("invalid-code.wat"));
    let text = e.to_string();
    assert!(
        text.starts_with("invalid-code.wat: is not valid wasm: "),
        "{text}"
    );
    assert!(text.contains("type mismatch"), "{text}");
    assert_scores_normally(&rt);
}

#[test]
fn a_64_bit_memory_is_refused_at_load() {
    let rt = runtime();
    let e = load_error(&rt, "memory-64.wat", &wat("memory-64.wat"));
    insta::assert_snapshot!(e, @"memory-64.wat: exports `memory`, but not as a 32-bit unshared linear memory");
    assert_scores_normally(&rt);
}

#[test]
fn export_with_the_wrong_type_is_refused_at_load() {
    let rt = runtime();
    let e = load_error(&rt, "wrong-type.wat", &wat("wrong-type.wat"));
    insta::assert_snapshot!(e, @"wrong-type.wat: exports `score` with the wrong type; the ABI wants `(type (func (param i32 i32) (result i64)))`");
    assert_scores_normally(&rt);
}

#[test]
fn wrong_abi_version_is_refused_at_load() {
    let rt = runtime();
    let e = load_error(&rt, "wrong-abi.wat", &wat("wrong-abi.wat"));
    insta::assert_snapshot!(e, @r#"wrong-abi.wat: declares ABI version "4" in its `muster-abi` section, but this Muster speaks versions "1", "2" and "3""#);
    let e = load_error(&rt, "no-abi.wat", &wat("no-abi.wat"));
    insta::assert_snapshot!(e, @r#"no-abi.wat: has no `muster-abi` custom section; a Muster scorer declares ABI version "3" there (the muster-guest SDK adds it)"#);
    assert_scores_normally(&rt);
}

#[test]
fn bytes_that_are_not_a_module() {
    let rt = runtime();
    let e = load_error(&rt, "junk.wasm", b"PK\x03\x04 a zip file, not wasm");
    insta::assert_snapshot!(e, @r"junk.wasm: not a wasm module (it does not start with the `\0asm` magic bytes); build the scorer for wasm32-unknown-unknown");
    let e = load_error(&rt, "cut.wasm", b"\0asm\x01\0\0\0\x01\xff");
    insta::assert_snapshot!(e, @"cut.wasm: not a valid wasm module: unexpected end-of-file (at offset 0xa)");
    let e = load_error(&rt, "text.wat", b"(module)");
    insta::assert_snapshot!(e, @r"text.wat: not a wasm module (it does not start with the `\0asm` magic bytes); build the scorer for wasm32-unknown-unknown");
    assert_scores_normally(&rt);
}

#[test]
fn generate_without_a_scenario_export() {
    let rt = runtime();
    let good = load(&rt, "good.wat");
    let e = good.generate(&serde_json::json!({})).unwrap_err();
    insta::assert_snapshot!(e, @"good.wat: does not export `scenario`, so it cannot generate a scenario");
}

#[test]
fn batch_recovers_after_a_failing_record() {
    let rt = runtime();
    let good = load(&rt, "good.wat");
    let (input, params) = example();
    let mut late = input.clone();
    late.team = "x".repeat(2 << 20);
    let results = good.score_batch(&[input.clone(), late, input], &params);
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap().total, 42.5);
    assert_eq!(
        limit_of(results[1].as_ref().unwrap_err()),
        Some(Limit::InputSize)
    );
    assert_eq!(results[2].as_ref().unwrap().total, 42.5);
}

#[test]
fn bad_limits_are_refused() {
    let mut limits = WasmLimits::default();
    limits.max_concurrent = 0;
    let e = WasmRuntime::new(limits).unwrap_err();
    insta::assert_snapshot!(e, @"wasm runtime: memory_bytes and max_concurrent must be above zero");
}

/// A fresh instance starts from the module's own memory, whatever the call
/// before it wrote into the same pooled slot (kept resident and reset in
/// place). The batch path shares one instance between records, so there
/// the guest does see its earlier write: that shows the check can fail.
#[test]
fn every_fresh_instance_starts_from_clean_memory() {
    let rt = runtime();
    let guest = load(&rt, "fresh-memory.wat");
    let (input, params) = example();
    for call in 0..200 {
        let card = guest
            .score(&input, &params)
            .unwrap_or_else(|e| panic!("call {call}: {e}"));
        assert_eq!(card.total, 1.0, "call {call}");
    }
    let batch = guest.score_batch(&[input.clone(), input], &params);
    assert!(batch[0].is_ok(), "{:?}", batch[0]);
    let e = batch[1].as_ref().unwrap_err();
    assert_eq!(
        e.to_string(),
        "fresh-memory.wat: saw a previous call's data"
    );
}

#[test]
fn abi_v2_guest_reads_the_binary_record_and_returns_a_binary_card() {
    let rt = runtime();
    let v2 = load(&rt, "v2-good.wat");
    assert_eq!(v2.abi_version(), Some("2"));
    assert_eq!(load(&rt, "good.wat").abi_version(), Some("1"));
    let (input, params) = example();
    let card = v2.score(&input, &params).unwrap();
    assert_eq!(card.total.to_bits(), input.elapsed.to_bits());
    assert_eq!(card.status, ScoreStatus::Valid);
    assert_eq!(card.notes, ["v2"]);
    assert_eq!(card.tasks["knockdown"].points, Some(10.0));
    assert_eq!(card.tasks.keys().collect::<Vec<_>>(), ["knockdown"]);
    assert_eq!(card.task_details(&input).count(), input.tasks.len());
    // The same in a batch, on one instance.
    let inputs = vec![input.clone(); 3];
    for r in v2.score_batch(&inputs, &params) {
        assert_eq!(r.unwrap(), card);
    }
}

/// Under ABI v3 a fresh instance is sent the record's whole context
/// (flags 7: scenario, critical ids, task ids); an instance kept for a batch
/// is sent only the parts that changed since its last record.
#[test]
fn abi_v3_sends_a_records_context_only_as_it_changes() {
    let rt = runtime();
    let v3 = load(&rt, "v3-context.wat");
    assert_eq!(v3.abi_version(), Some("3"));
    let (a, params) = example();
    let flags = |r: Result<muster_core::ScoreCard, ScoreError>| r.unwrap().total;
    assert_eq!(flags(v3.score(&a, &params)), 7.0);
    assert_eq!(flags(v3.score(&a, &params)), 7.0);
    let mut other_team = a.clone();
    other_team.team = "wuyun".into();
    let mut fewer_tasks = a.clone();
    fewer_tasks.tasks.pop_first();
    let mut no_critical = fewer_tasks.clone();
    no_critical.critical.clear();
    let mut new_version = no_critical.clone();
    new_version.version = "2.0.0".into();
    let batch = [
        &a,
        &other_team,
        &a,
        &fewer_tasks,
        &no_critical,
        &new_version,
        &a,
    ]
    .map(Clone::clone)
    .to_vec();
    let sent: Vec<f64> = v3
        .score_batch(&batch, &params)
        .into_iter()
        .map(flags)
        .collect();
    assert_eq!(sent, [7.0, 0.0, 0.0, 4.0, 2.0, 1.0, 7.0]);
    // A call that fails ends its instance; the next instance holds nothing,
    // so it is sent the whole context again.
    let mut trapping = a.clone();
    trapping.team = "trap-the-call".into();
    let batch = [&a, &a, &trapping, &a, &a].map(Clone::clone).to_vec();
    let mut results = v3.score_batch(&batch, &params);
    let e = results.remove(2).unwrap_err();
    assert!(matches!(e, ScoreError::Runtime { .. }), "{e:?}");
    let sent: Vec<f64> = results.into_iter().map(flags).collect();
    assert_eq!(sent, [7.0, 0.0, 7.0, 0.0]);
}

#[test]
fn abi_v2_guest_reported_error() {
    let rt = runtime();
    let (e, _) = run_hostile(&rt, "v2-error.wat");
    assert!(matches!(e, ScoreError::Runtime { .. }), "{e:?}");
    insta::assert_snapshot!(e, @"v2-error.wat: unknown penalty code smoke");
    assert_scores_normally(&rt);
}

#[test]
fn abi_v2_malformed_cards_say_what_and_where() {
    let rt = runtime();
    for (name, want) in [
        (
            "v2-bad-status.wat",
            "v2-bad-status.wat: bad result: the result has status 7 at byte 9; it must be 0 (valid), 1 (dnf) or 2 (dq)",
        ),
        (
            "v2-truncated.wat",
            "v2-truncated.wat: bad result: the result ends at byte 1 in the middle of an 8-byte number (8 bytes wanted, 4 left)",
        ),
        (
            "v2-stranger-task.wat",
            "v2-stranger-task.wat: bad result: `tasks` names `ghosts`, which is not a task of this record",
        ),
    ] {
        let (e, _) = run_hostile(&rt, name);
        assert!(matches!(e, ScoreError::Output { .. }), "{e:?}");
        assert_eq!(e.to_string(), want);
    }
    assert_scores_normally(&rt);
}

/// A wasm module kept in a ledger is loaded back by [`muster_plugins::kept_scorer`]
/// under its recorded id and scores as it did; an id with nothing kept, or
/// whose source is refused at load, resolves to nothing.
#[test]
fn a_kept_module_is_loaded_from_the_ledger() {
    use muster_core::ledger::{LedgerStore, MemoryStore};
    let rt = runtime();
    let good = load(&rt, "good.wat");
    let mut store = MemoryStore::new();
    assert!(muster_plugins::kept_scorer(&store, good.id()).is_none());
    store.keep_source(good.id(), &wat("good.wat")).unwrap();
    let kept = muster_plugins::kept_scorer(&store, good.id()).expect("kept");
    assert_eq!(kept.id(), good.id());
    let (input, params) = example();
    assert_eq!(kept.score(&input, &params).unwrap().total, 42.5);

    // Kept bytes that do not load (a WASI import) give no scorer, not an error in the replay.
    let refused = wat("wasi.wat");
    let id = muster_core::ScorerId::new(muster_core::ScorerKind::Wasm, "wasi.wasm", &refused);
    store.keep_source(&id, &refused).unwrap();
    assert!(muster_plugins::kept_scorer(&store, &id).is_none());
}
