//! Scenario analysis speed: CPM on a 1,000-task graph (goal ≤ 1 ms) beside a
//! straightforward petgraph + hash-map version, and Monte Carlo of 10,000 runs
//! on a 60-task scenario (goal ≤ 15 ms).

use criterion::{Criterion, criterion_group, criterion_main};
use muster_benches::{layered_scenario, straightforward_cpm};
use muster_core::analysis::{self, MonteCarloOptions};
use std::hint::black_box;

fn cpm(c: &mut Criterion) {
    let s = layered_scenario(1000, 1);
    assert_eq!(
        analysis::critical_path(&s).length().as_secs(),
        straightforward_cpm(&s),
        "both versions agree"
    );
    let mut g = c.benchmark_group("cpm_1000_tasks");
    g.bench_function("muster", |b| {
        b.iter(|| analysis::critical_path(black_box(&s)))
    });
    g.bench_function("straightforward_petgraph", |b| {
        b.iter(|| straightforward_cpm(black_box(&s)))
    });
    g.finish();
}

fn monte_carlo(c: &mut Criterion) {
    let s = layered_scenario(60, 2);
    let mut g = c.benchmark_group("monte_carlo_10000_runs_60_tasks");
    g.sample_size(20);
    // Every core the machine offers (the default), and one core alone.
    for (name, threads) in [("muster", 0), ("muster, one thread", 1)] {
        let options = MonteCarloOptions {
            runs: 10_000,
            seed: 2021,
            threads,
        };
        g.bench_function(name, |b| {
            b.iter(|| analysis::monte_carlo(black_box(&s), &options))
        });
    }
    g.finish();
}

criterion_group!(benches, cpm, monte_carlo);
criterion_main!(benches);
