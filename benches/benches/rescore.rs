//! Re-scoring a season end to end: read every drill run from a SQLite
//! ledger, score it with the initial-attack rule (wasm batches, then rhai)
//! on every core, and append the score entries back.
//!
//! Goal for 1,000,000 records on a 2-core machine: ≤ 3 s with wasm, ≤ 5 s
//! with rhai. `MUSTER_RESCORE_N` sets the number of records (default
//! 1,000,000); `MUSTER_RESCORE_THREADS` the threads (default: all cores).
//!
//! First the library's one call, `ledger::rescore` (what `muster ledger
//! rescore` runs), on a copy of the season for each runtime, with the
//! process's resident memory before and at the peak; then the same work
//! phase by phase (read, score, append) to show where the time goes.
//!
//! A plain harness (no criterion): one season takes seconds to score and
//! minutes to build, so each phase is timed once and printed; run it again
//! to see the spread.

use std::time::Instant;

use chrono::DateTime;
use muster_benches::scoring::{PACKAGE, bench_records, params, rhai_script};
use muster_core::ledger::{self, Draft, EntryKind, LedgerStore, RunScore, SqliteStore};
use muster_core::{ScenarioTerms, ScoreCard, ScoreError, ScoreInput, Scorer, content_hash};
use muster_plugins::{RhaiLimits, RhaiRuntime, WasmLimits, WasmRuntime};

/// Entries per ledger transaction.
const APPEND_BATCH: usize = 50_000;
/// Records per wasm batch (one instance each).
const SCORE_BATCH: usize = 4096;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// The process's user and system CPU time so far, where Linux's
/// `/proc/self/stat` gives it (in clock ticks of 1/100 s).
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut f = rest.split(' ').skip(11);
    let user: f64 = f.next()?.parse().ok()?;
    let system: f64 = f.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// Resets the process's peak resident size to its current size, where
/// Linux allows it (`/proc/self/clear_refs`).
fn drop_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A size from Linux's `/proc/self/status` in MiB: `VmRSS` (resident now)
/// or `VmHWM` (the peak since [`drop_peak`]).
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Scores a chunk of records, one result each.
type ScoreChunk<'a> = dyn Fn(&[ScoreInput]) -> Vec<Result<ScoreCard, ScoreError>> + Sync + 'a;

/// Splits `runs` over `threads` scoped threads, each scoring its share in
/// chunks with `f`, and returns the cards in order.
fn parallel(
    runs: &[ScoreInput],
    threads: usize,
    f: &ScoreChunk<'_>,
) -> Vec<Result<ScoreCard, ScoreError>> {
    let per = runs.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .chunks(per)
            .map(|part| {
                s.spawn(move || {
                    let mut out = Vec::with_capacity(part.len());
                    for chunk in part.chunks(SCORE_BATCH) {
                        out.extend(f(chunk));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a scoring thread panicked"))
            .collect()
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is ignored.
    let n = env("MUSTER_RESCORE_N", 1_000_000);
    let threads = env(
        "MUSTER_RESCORE_THREADS",
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    );
    println!("re-score a season: {n} drill runs, {threads} scoring threads");
    let at = DateTime::parse_from_rfc3339("2026-12-01T08:00:00+08:00").expect("time");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("season.db");
    let mut store = SqliteStore::open(&path).expect("open ledger");
    let params = params();

    // The season: three members, the scenario registered, n drill runs.
    let t = Instant::now();
    let (scenario, records) = bench_records(n.min(4096), 7);
    let package_hash = content_hash(rhai_script().as_bytes());
    let mut head = vec![];
    for (i, sq) in ["nantang", "wuyun", "wangmudu"].iter().enumerate() {
        head.push(Draft::new(
            "admin",
            at,
            EntryKind::MemberJoined {
                member: format!("m{i}"),
                name: format!("Member {i}"),
                squadron: (*sq).into(),
                speciality: "wind-extinguisher".into(),
            },
        ));
    }
    head.push(Draft::new(
        "admin",
        at,
        EntryKind::ScenarioRegistered {
            scenario: PACKAGE.into(),
            version: "1.0.0".into(),
            package_hash: package_hash.clone(),
        },
    ));
    store.append(&head).expect("append members");
    let mut written = 0;
    while written < n {
        let k = APPEND_BATCH.min(n - written);
        let drafts: Vec<Draft> = (written..written + k)
            .map(|i| {
                Draft::new(
                    "m0",
                    at,
                    EntryKind::DrillRun {
                        scenario: PACKAGE.into(),
                        version: "1.0.0".into(),
                        package_hash: package_hash.clone(),
                        members: vec![format!("m{}", i % 3)],
                        record: records[i % records.len()].clone(),
                    },
                )
            })
            .collect();
        store.append(&drafts).expect("append runs");
        written += k;
    }
    println!("setup: {n} drill runs appended in {:.2} s", secs(t));

    let wasm_rt = WasmRuntime::new(WasmLimits::default()).expect("wasm runtime");
    let wasm = wasm_rt
        .load("time-bonus.wasm", muster_scenarios::time_bonus_wasm())
        .expect("wasm loads");
    let rhai_rt = RhaiRuntime::new(RhaiLimits::default());
    let rhai = rhai_rt
        .load("score.rhai", rhai_script())
        .expect("rhai loads");

    // The same through the library's one call, which the command line's
    // `muster ledger rescore` makes: scan, score on every core, append.
    let mut library = serde_json::Map::new();
    // Each on its own copy of the season, so each reads the same n runs.
    drop(store);
    for (name, scorer) in [("wasm", &wasm as &dyn Scorer), ("rhai", &rhai)] {
        let copy = dir.path().join(format!("season-{name}.db"));
        std::fs::copy(&path, &copy).expect("copy the season");
        // On disk before the clock starts, as a stored season is.
        std::fs::File::open(&copy)
            .and_then(|f| f.sync_all())
            .expect("sync the copy");
        let mut store = SqliteStore::open(&copy).expect("open the copy");
        let stored = store.tip().expect("tip").map_or(0, |t| t.0);
        drop_peak();
        let before = status_mib("VmRSS:");
        let cpu = cpu_secs();
        let t = Instant::now();
        let report = ledger::rescore(&mut store, &scenario, scorer, &params, name, "m0", at)
            .expect("rescore");
        let took = secs(t);
        let cpu = cpu.zip(cpu_secs()).map(|(a, b)| b - a);
        let peak = status_mib("VmHWM:");
        assert_eq!(report.runs, n as u64);
        assert!(report.failed.is_empty() && report.appended.is_some());
        let mib = |m: Option<f64>| m.map_or("?".into(), |m| format!("{m:.0} MiB"));
        println!(
            "ledger::rescore with {name}: {took:.2} s ({} s of CPU) over a ledger of {stored} \
             entries, resident {} before, {} at the peak",
            cpu.map_or("?".into(), |c| format!("{c:.2}")),
            mib(before),
            mib(peak)
        );
        library.insert(format!("library_{name}_s"), took.into());
        if let Some(cpu) = cpu {
            library.insert(format!("library_{name}_cpu_s"), cpu.into());
        }
        library.insert(format!("library_{name}_entries"), stored.into());
        if let (Some(before), Some(peak)) = (before, peak) {
            library.insert(format!("library_{name}_rss_before_mib"), before.into());
            library.insert(format!("library_{name}_peak_mib"), peak.into());
        }
        drop(store);
        std::fs::remove_file(&copy).expect("remove the copy");
    }
    let mut store = SqliteStore::open(&path).expect("reopen ledger");

    // Read them back.
    let t = Instant::now();
    let mut seqs: Vec<u64> = Vec::with_capacity(n);
    let mut runs: Vec<ScoreInput> = Vec::with_capacity(n);
    store
        .scan(1, &mut |raw| {
            if raw.body.starts_with("{\"kind\":\"drill_run\"") {
                let e = raw.parse().expect("a stored entry parses");
                if let EntryKind::DrillRun { record, .. } = e.kind {
                    seqs.push(e.seq);
                    runs.push(ScoreInput::from_record(&scenario, record));
                }
            }
            true
        })
        .expect("scan");
    let read = secs(t);
    assert_eq!(runs.len(), n);
    println!(
        "read: {n} runs in {read:.2} s ({:.0} runs/s)",
        n as f64 / read
    );

    let t = Instant::now();
    let wasm_cards = parallel(&runs, threads, &|chunk| wasm.score_batch(chunk, &params));
    let score_wasm = secs(t);
    println!(
        "score wasm (batches of {SCORE_BATCH}): {score_wasm:.2} s ({:.0} records/s)",
        n as f64 / score_wasm
    );
    let t = Instant::now();
    let rhai_cards = parallel(&runs, threads, &|chunk| {
        chunk.iter().map(|i| rhai.score(i, &params)).collect()
    });
    let score_rhai = secs(t);
    println!(
        "score rhai: {score_rhai:.2} s ({:.0} records/s)",
        n as f64 / score_rhai
    );
    for (i, (w, r)) in wasm_cards.iter().zip(&rhai_cards).enumerate() {
        let (w, r) = (
            w.as_ref().expect("wasm scores"),
            r.as_ref().expect("rhai scores"),
        );
        assert_eq!(w.total.to_bits(), r.total.to_bits(), "run {i}");
    }

    drop(rhai_cards);

    // Append the wasm scores back as the library writes them: one
    // `scores_computed` entry per batch of runs, keeping the scenario's terms
    // once and referring to each run; the cards move into the entries, as a
    // re-scoring job that is done with them would.
    drop(runs);
    let terms = ScenarioTerms::of(&scenario);
    let cpu = cpu_secs();
    let t = Instant::now();
    let runtime = "wasmtime 48".to_string();
    let mut scores = seqs
        .iter()
        .zip(wasm_cards)
        .map(|(seq, card)| RunScore::new(*seq, card.expect("wasm scores")));
    loop {
        let drafts: Vec<Draft> = std::iter::from_fn(|| {
            let batch: Vec<RunScore> = scores.by_ref().take(SCORE_BATCH).collect();
            (!batch.is_empty()).then(|| {
                Draft::new(
                    "m0",
                    at,
                    EntryKind::ScoresComputed {
                        scorer: wasm.id().clone(),
                        params: params.clone(),
                        runtime: runtime.clone(),
                        terms: terms.clone(),
                        scores: batch,
                    },
                )
            })
        })
        .take(APPEND_BATCH / SCORE_BATCH)
        .collect();
        if drafts.is_empty() {
            break;
        }
        store.append(&drafts).expect("append scores");
    }
    let append = secs(t);
    let append_cpu = cpu.zip(cpu_secs()).map(|(a, b)| b - a);
    println!(
        "append: {n} scores in {append:.2} s ({:.0} scores/s), {} s of CPU",
        n as f64 / append,
        append_cpu.map_or("?".into(), |c| format!("{c:.2}"))
    );
    println!(
        "end to end, read + score + append: wasm {:.2} s, rhai {:.2} s",
        read + score_wasm + append,
        read + score_rhai + append
    );
    println!(
        "read + score only: wasm {:.2} s, rhai {:.2} s",
        read + score_wasm,
        read + score_rhai
    );
    muster_benches::write_figures(
        "rescore",
        &serde_json::json!({
            "records": n,
            "threads": threads,
            "read_s": read,
            "score_wasm_s": score_wasm,
            "score_rhai_s": score_rhai,
            "append_s": append,
            "append_cpu_s": append_cpu,
            "end_to_end_wasm_s": read + score_wasm + append,
            "end_to_end_rhai_s": read + score_rhai + append,
            "library": library,
        }),
    );
}
