//! Scoring speed, per record, side by side with a peer: the forest-fire
//! initial-attack time-bonus rule as native Rust (the limit), rhai, wasm (the
//! Rust guest) and Lua 5.4 through mlua, each with its own marshalling of the
//! record, on one core. Also start-up: cold compile and cached load.
//!
//! Goals: rhai ≤ Lua and ≥ 200,000 records/s; wasm with a fresh instance per
//! record ≤ 10 µs; wasm batch ≥ 500,000 records/s. rhai is timed as scorers
//! run it (the direct path, which every record of the set takes) and with
//! the direct path off (rhai's interpreter alone), side by side.
//!
//! The setup checks that all scorers give the same total (bit for bit),
//! status and reason for every record of the set before anything is timed.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use muster_benches::scoring::{LuaSandbox, LuaScorer, Rule, bench_set, disagreement, rhai_script};
use muster_core::{Scorer, TimeBonusScorer};
use muster_plugins::{RhaiLimits, RhaiRoute, RhaiRuntime, WasmLimits, WasmRuntime};

/// Records per timed iteration.
const SET: usize = 256;

fn per_record(c: &mut Criterion) {
    let (params, records) = bench_set(SET, 9);
    let native = TimeBonusScorer::default();
    let lua = LuaScorer::new(LuaSandbox::Bare).expect("lua loads");
    let lua_limited = LuaScorer::new(LuaSandbox::Limited).expect("lua loads");
    let rhai_rt = RhaiRuntime::new(RhaiLimits::default());
    let rhai = rhai_rt
        .load("score.rhai", rhai_script())
        .expect("rhai loads");
    // The same script with the direct path off: every call on rhai's
    // interpreter, as before the direct path existed.
    let rhai_interpreter = RhaiRuntime::new(RhaiLimits::default())
        .direct(false)
        .load("score.rhai", rhai_script())
        .expect("rhai loads");
    for r in &records {
        let run = rhai.run(r, &params);
        assert_eq!(
            run.route(),
            RhaiRoute::Direct,
            "every record runs on the direct path"
        );
        let other = rhai_interpreter.run(r, &params);
        assert_eq!(
            run.stats.work_used, other.stats.work_used,
            "the same operations"
        );
    }
    let wasm_rt = WasmRuntime::new(WasmLimits::default()).expect("wasm runtime");
    let wasm = wasm_rt
        .load("time-bonus.wasm", muster_scenarios::time_bonus_wasm())
        .expect("wasm loads");
    let all: [(&str, Rule<'_>); 6] = [
        ("native", &|r, p| native.score(r, p)),
        ("rhai", &|r, p| rhai.score(r, p)),
        ("rhai-interpreter", &|r, p| rhai_interpreter.score(r, p)),
        ("wasm", &|r, p| wasm.score(r, p)),
        ("lua", &|r, p| lua.score(r, p)),
        ("lua-limited", &|r, p| lua_limited.score(r, p)),
    ];
    if let Some(d) = disagreement(&all, &params, &records) {
        panic!("the scorers disagree: {d}");
    }
    for (i, r) in wasm.score_batch(&records, &params).into_iter().enumerate() {
        let want = native.score(&records[i], &params).expect("native scores");
        let got = r.expect("wasm batch scores");
        assert_eq!(got.total.to_bits(), want.total.to_bits(), "record {i}");
    }

    let mut g = c.benchmark_group("score-per-record");
    g.throughput(Throughput::Elements(SET as u64));
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(4));
    for (name, s) in all {
        let name = match name {
            "wasm" => "wasm-fresh-instance",
            n => n,
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                for r in &records {
                    std::hint::black_box(s(std::hint::black_box(r), &params).ok());
                }
            })
        });
    }
    g.bench_function("wasm-reused-instance", |b| {
        b.iter(|| std::hint::black_box(wasm.score_batch(&records, &params)))
    });
    g.finish();
}

fn time_once(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn start_up(c: &mut Criterion) {
    let script = rhai_script();
    let module = muster_scenarios::time_bonus_wasm();
    let (params, first) = bench_set(1, 9);
    let mut g = c.benchmark_group("start-up");
    g.sample_size(20);
    g.bench_function("rhai runtime + cold compile", |b| {
        b.iter(|| {
            let rt = RhaiRuntime::new(RhaiLimits::default());
            std::hint::black_box(rt.load("score.rhai", script).expect("loads"));
        })
    });
    let rt = RhaiRuntime::new(RhaiLimits::default());
    rt.load("score.rhai", script).expect("loads");
    g.bench_function("rhai cached load", |b| {
        b.iter(|| std::hint::black_box(rt.load("score.rhai", script).expect("loads")))
    });
    g.bench_function("lua state + load", |b| {
        b.iter(|| std::hint::black_box(LuaScorer::new(LuaSandbox::Bare).expect("loads")))
    });
    g.sample_size(10);
    g.bench_function("wasm runtime + cold compile", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    time_once(|| {
                        // A module compiles when it first runs: the load
                        // checks it, the first call compiles it.
                        let rt = WasmRuntime::new(WasmLimits::default()).expect("runtime");
                        let scorer = rt.load("time-bonus.wasm", module).expect("loads");
                        std::hint::black_box(scorer.score(&first[0], &params).expect("scores"));
                    })
                })
                .sum()
        })
    });
    let wrt = WasmRuntime::new(WasmLimits::default()).expect("runtime");
    g.bench_function("wasm runtime only", |b| {
        b.iter(|| std::hint::black_box(WasmRuntime::new(WasmLimits::default()).expect("runtime")))
    });
    wrt.load("time-bonus.wasm", module).expect("loads");
    g.sample_size(50);
    g.bench_function("wasm cached load", |b| {
        b.iter(|| std::hint::black_box(wrt.load("time-bonus.wasm", module).expect("loads")))
    });
    g.finish();
}

criterion_group!(benches, per_record, start_up);
criterion_main!(benches);
