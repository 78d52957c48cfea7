//! The four implementations of the initial-attack rule that the scoring
//! benchmarks compare must give the same total (bit for bit), status and
//! reason for every record of the bench set, or the comparison is void.

use muster_benches::scoring::{
    LuaSandbox, LuaScorer, Rule, bench_set, disagreement, outcome, rhai_script,
};
use muster_core::{ScoreStatus, Scorer, TimeBonusScorer};
use muster_plugins::{RhaiLimits, RhaiRuntime, WasmLimits, WasmRuntime};

#[test]
fn native_rhai_wasm_and_lua_give_the_same_scores() {
    let (params, records) = bench_set(256, 9);
    let native = TimeBonusScorer::default();
    let rhai_rt = RhaiRuntime::new(RhaiLimits::default());
    let rhai = rhai_rt.load("score.rhai", rhai_script()).unwrap();
    let wasm_rt = WasmRuntime::new(WasmLimits::default()).unwrap();
    let wasm = wasm_rt
        .load("time-bonus.wasm", muster_scenarios::time_bonus_wasm())
        .unwrap();
    let lua = LuaScorer::new(LuaSandbox::Bare).unwrap();
    let lua_limited = LuaScorer::new(LuaSandbox::Limited).unwrap();
    let all: [(&str, Rule<'_>); 5] = [
        ("native", &|r, p| native.score(r, p)),
        ("rhai", &|r, p| rhai.score(r, p)),
        ("wasm", &|r, p| wasm.score(r, p)),
        ("lua", &|r, p| lua.score(r, p)),
        ("lua-limited", &|r, p| lua_limited.score(r, p)),
    ];
    assert_eq!(disagreement(&all, &params, &records), None);
    let batch = wasm.score_batch(&records, &params);
    for (r, b) in records.iter().zip(batch) {
        assert_eq!(
            outcome(&b.unwrap()),
            outcome(&native.score(r, &params).unwrap())
        );
    }

    // The set covers every outcome, so agreement means something.
    let statuses: Vec<ScoreStatus> = records
        .iter()
        .map(|r| native.score(r, &params).unwrap().status)
        .collect();
    for s in [ScoreStatus::Valid, ScoreStatus::Dnf, ScoreStatus::Dq] {
        assert!(statuses.contains(&s), "no {s:?} record in the bench set");
    }
    assert!(records.iter().any(|r| r.penalties.len() >= 2));
}

#[test]
fn a_changed_rule_is_caught() {
    let (params, records) = bench_set(64, 9);
    let native = TimeBonusScorer::default();
    let rhai_rt = RhaiRuntime::new(RhaiLimits::default());
    let changed = rhai_script().replace("total -= lost;", "total -= lost * 2.0;");
    let rhai = rhai_rt.load("changed.rhai", &changed).unwrap();
    let found = disagreement(
        &[
            ("native", &|r, p| native.score(r, p)),
            ("rhai", &|r, p| rhai.score(r, p)),
        ],
        &params,
        &records,
    );
    assert!(found.is_some_and(|d| d.contains("native gives")));
}

#[test]
fn the_limited_lua_sandbox_stops_a_runaway_script() {
    let lua = LuaScorer::with_script(
        LuaSandbox::Limited,
        "function score(r, p) while true do end end",
    )
    .unwrap();
    let (params, records) = bench_set(1, 9);
    let err = lua.score(&records[0], &params).unwrap_err();
    assert!(
        err.to_string().contains("instruction limit reached"),
        "{err}"
    );
}
