//! Inputs for Muster's benchmarks, generated from a seed so every run measures
//! the same work.

use muster_core::{Format, Scenario};

/// A layered random scenario of `n` tasks: each task after up to three tasks of
/// the layer before, three-point durations between 1 and 20 minutes.
pub fn layered_scenario(n: usize, seed: u64) -> Scenario {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let width = ((n as f64).sqrt() as usize).max(1);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let layer = i / width;
        let mut after = Vec::new();
        if layer > 0 {
            for _ in 0..1 + next() % 3 {
                let j = (layer - 1) * width + (next() as usize % width);
                let id = format!("t{j}");
                if !after.contains(&id) {
                    after.push(id);
                }
            }
        }
        let likely = 2 + next() % 15;
        tasks.push(serde_json::json!({
            "id": format!("t{i}"),
            "name": format!("Task {i}"),
            "after": after,
            "duration": {
                "min": format!("{}m", likely - 1),
                "likely": format!("{likely}m"),
                "max": format!("{}m", likely + 1 + next() % 5),
            },
        }));
    }
    let doc = serde_json::json!({
        "scenario": { "id": "bench", "version": "1.0.0", "hazard": "forest-fire", "name": "Bench" },
        "tasks": tasks,
    });
    match Scenario::parse("bench.json", &doc.to_string(), Format::Json) {
        Ok(s) => s,
        Err(d) => panic!("the generated scenario is valid by construction:\n{d}"),
    }
}

/// The critical path length computed the straightforward way, as a first
/// version would: a petgraph graph, a fresh topological sort and hash maps on
/// every call. The baseline the tuned passes are compared with.
pub fn straightforward_cpm(s: &Scenario) -> u64 {
    use petgraph::graph::DiGraph;
    use std::collections::HashMap;
    let mut g: DiGraph<&str, ()> = DiGraph::new();
    let mut idx = HashMap::new();
    for t in s.tasks() {
        idx.insert(t.id.as_str(), g.add_node(t.id.as_str()));
    }
    for t in s.tasks() {
        for a in &t.after {
            g.add_edge(idx[a.as_str()], idx[t.id.as_str()], ());
        }
    }
    let order = petgraph::algo::toposort(&g, None).unwrap_or_default();
    let dur: HashMap<&str, u64> = s
        .tasks()
        .iter()
        .map(|t| (t.id.as_str(), t.duration.likely().as_secs()))
        .collect();
    let mut finish: HashMap<&str, u64> = HashMap::new();
    for n in order {
        let id = g[n];
        let start = g
            .neighbors_directed(n, petgraph::Direction::Incoming)
            .map(|p| finish[g[p]])
            .max()
            .unwrap_or(0);
        finish.insert(id, start + dur[id]);
    }
    finish.values().copied().max().unwrap_or(0)
}

/// Where the benches leave figures that criterion does not keep (coverage,
/// counts, one-off timings) for `benches/report.py`: `target/muster-bench`.
pub fn figures_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .map_or_else(|| "target".into(), |root| root.join("target"))
        });
    target.join("muster-bench")
}

/// Writes `value` as `target/muster-bench/NAME.json`.
pub fn write_figures(name: &str, value: &serde_json::Value) {
    let dir = figures_dir();
    let path = dir.join(format!("{name}.json"));
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, format!("{value:#}\n")));
    if let Err(e) = written {
        eprintln!("cannot write {}: {e}", path.display());
    }
}
pub mod scoring;
