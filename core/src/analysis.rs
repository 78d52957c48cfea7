//! Scenario analysis: critical path (CPM), PERT, and seeded Monte Carlo.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::duration::Duration;
use crate::scenario::{Scenario, TaskGraph};

/// Earliest and latest times of one task on likely durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct TaskTiming {
    /// Earliest the task can start, from the drill's start.
    pub earliest_start: Duration,
    /// Earliest the task can finish.
    pub earliest_finish: Duration,
    /// Latest the task can start without delaying the drill.
    pub latest_start: Duration,
    /// Latest the task can finish without delaying the drill.
    pub latest_finish: Duration,
    /// How long the task can slip without delaying the drill.
    pub slack: Duration,
}

/// The critical path method's result on likely durations.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CriticalPath {
    timings: Vec<TaskTiming>,
    length: Duration,
    path: Vec<usize>,
}

impl CriticalPath {
    /// Timings per task, in the scenario's task order.
    pub fn timings(&self) -> &[TaskTiming] {
        &self.timings
    }

    /// How long the drill takes when every task takes its likely duration.
    pub fn length(&self) -> Duration {
        self.length
    }

    /// Task indices of one critical path from start to end: each has zero slack
    /// and starts when the one before finishes. Where several exist, the one
    /// through the earliest tasks in file order.
    pub fn path(&self) -> &[usize] {
        &self.path
    }
}

/// Forward and backward passes over a graph with the given durations (any unit).
///
/// Returns per task (earliest start, latest start) and the project length.
/// `es` and `ls` are reused buffers, resized to the graph.
pub fn cpm_passes(
    graph: &TaskGraph,
    durations: &[u64],
    es: &mut Vec<u64>,
    ls: &mut Vec<u64>,
) -> u64 {
    let n = graph.len();
    es.clear();
    es.resize(n, 0);
    ls.clear();
    ls.resize(n, 0);
    let order = graph.topological_order();
    let mut length = 0;
    for &i in order {
        let i = i as usize;
        let start = graph
            .predecessors(i)
            .iter()
            .map(|&p| es[p as usize] + durations[p as usize])
            .max()
            .unwrap_or(0);
        es[i] = start;
        length = length.max(start + durations[i]);
    }
    for &i in order.iter().rev() {
        let i = i as usize;
        let finish = graph
            .successors(i)
            .iter()
            .map(|&s| ls[s as usize])
            .min()
            .unwrap_or(length);
        ls[i] = finish - durations[i];
    }
    length
}

/// Critical path of the scenario on likely durations.
///
/// ```
/// # let text = include_str!("../../tests/data/scenarios/initial-attack.toml");
/// use muster_core::{analysis, Format, Scenario};
/// let s = Scenario::parse("initial-attack.toml", text, Format::Toml).unwrap();
/// let cp = analysis::critical_path(&s);
/// assert_eq!(cp.length().as_secs(), 44 * 60);
/// ```
pub fn critical_path(s: &Scenario) -> CriticalPath {
    let graph = s.graph();
    let d: Vec<u64> = s
        .tasks()
        .iter()
        .map(|t| t.duration.likely().as_secs())
        .collect();
    let (mut es, mut ls) = (Vec::new(), Vec::new());
    let length = cpm_passes(graph, &d, &mut es, &mut ls);
    let timings: Vec<TaskTiming> = (0..d.len())
        .map(|i| TaskTiming {
            earliest_start: Duration::from_secs(es[i]),
            earliest_finish: Duration::from_secs(es[i] + d[i]),
            latest_start: Duration::from_secs(ls[i]),
            latest_finish: Duration::from_secs(ls[i] + d[i]),
            slack: Duration::from_secs(ls[i] - es[i]),
        })
        .collect();
    // Walk from a zero-slack task that starts at 0 through zero-slack tasks that
    // start exactly when the current one finishes.
    let mut path = Vec::new();
    let mut current =
        (0..d.len()).find(|&i| es[i] == 0 && ls[i] == 0 && graph.predecessors(i).is_empty());
    while let Some(i) = current {
        path.push(i);
        current = graph
            .successors(i)
            .iter()
            .map(|&x| x as usize)
            .filter(|&x| ls[x] == es[x] && es[x] == es[i] + d[i])
            .min();
    }
    CriticalPath {
        timings,
        length: Duration::from_secs(length),
        path,
    }
}

/// PERT estimate of the drill's duration along the critical path.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Pert {
    /// Sum of (min + 4·likely + max) / 6 over the critical path, in seconds.
    pub mean_secs: f64,
    /// Square root of the summed variances ((max − min) / 6)², in seconds.
    pub sd_secs: f64,
}

/// PERT mean and standard deviation along the critical path.
pub fn pert(s: &Scenario, cp: &CriticalPath) -> Pert {
    let (mut mean, mut var) = (0.0, 0.0);
    for &i in cp.path() {
        let d = &s.tasks()[i].duration;
        mean += d.pert_mean();
        var += d.pert_variance();
    }
    Pert {
        mean_secs: mean,
        sd_secs: var.sqrt(),
    }
}

/// How to run a Monte Carlo simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonteCarloOptions {
    /// How many simulated drills (at least 1).
    pub runs: u32,
    /// The seed: the same seed gives the same numbers on every machine.
    pub seed: u64,
    /// Threads to run on; 0 means as many as the machine offers. The
    /// figures are the same whatever the number.
    pub threads: u32,
}

impl Default for MonteCarloOptions {
    fn default() -> Self {
        MonteCarloOptions {
            runs: 10_000,
            seed: 2021,
            threads: 0,
        }
    }
}

/// The distribution of the drill's duration over simulated runs.
///
/// Each task's duration is drawn from the triangular distribution on
/// (min, likely, max), by inverse transform from a ChaCha8 stream, rounded to
/// whole milliseconds. Triangular rather than PERT-beta because its inverse
/// needs only `sqrt`, which IEEE 754 rounds exactly: the numbers are then the
/// same on every machine, which beta sampling (through `ln`/`exp`) cannot promise.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct MonteCarlo {
    /// How many runs were simulated.
    pub runs: u32,
    /// The seed used.
    pub seed: u64,
    /// Mean duration, seconds.
    pub mean_secs: f64,
    /// Median duration, seconds (nearest rank).
    pub p50_secs: f64,
    /// 80th percentile, seconds.
    pub p80_secs: f64,
    /// 95th percentile, seconds.
    pub p95_secs: f64,
    /// Per task, in task order: the share of runs in which it was critical (zero slack).
    pub criticality: Vec<f64>,
}

/// Monte Carlo simulation of the drill's duration.
pub fn monte_carlo(s: &Scenario, options: &MonteCarloOptions) -> MonteCarlo {
    monte_carlo_with_progress(s, options, &mut |_| {})
}

/// [`monte_carlo`], calling `progress` with the number of runs done every 1,024 runs
/// and at the end.
pub fn monte_carlo_with_progress(
    s: &Scenario,
    options: &MonteCarloOptions,
    progress: &mut dyn FnMut(u32),
) -> MonteCarlo {
    let runs = options.runs.max(1);
    let graph = s.graph();
    let n = graph.len();
    // Per task: min, likely, max in milliseconds, and the CDF at likely.
    let shape: Vec<Triangle> = s
        .tasks()
        .iter()
        .map(|t| {
            Triangle::new(
                t.duration.min().as_secs() as f64 * 1000.0,
                t.duration.likely().as_secs() as f64 * 1000.0,
                t.duration.max().as_secs() as f64 * 1000.0,
            )
        })
        .collect();
    // Renumber the tasks in topological order so each pass walks the arrays
    // front to back; tasks are still drawn in file order, so a seed gives the
    // same durations whatever the graph's shape.
    let order = graph.topological_order();
    let mut pos = vec![0usize; n];
    for (p, &i) in order.iter().enumerate() {
        pos[i as usize] = p;
    }
    let (pred_start, preds) = renumbered(order, &pos, |i| graph.predecessors(i));
    let (succ_start, succs) = renumbered(order, &pos, |i| graph.successors(i));
    let sim = Simulation {
        shape: &shape,
        pos: &pos,
        pred_start: &pred_start,
        preds: &preds,
        succ_start: &succ_start,
        succs: &succs,
        seed: options.seed,
    };
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |p| p.get()),
        t => t as usize,
    };
    let (mut lengths, critical) = sim.run_split(runs, threads, progress);
    let mean = lengths.iter().map(|&l| l as f64).sum::<f64>() / runs as f64 / 1000.0;
    lengths.sort_unstable();
    let pct = |p: f64| {
        let rank = ((p * runs as f64).ceil() as usize).clamp(1, lengths.len());
        lengths[rank - 1] as f64 / 1000.0
    };
    MonteCarlo {
        runs,
        seed: options.seed,
        mean_secs: mean,
        p50_secs: pct(0.50),
        p80_secs: pct(0.80),
        p95_secs: pct(0.95),
        criticality: pos
            .iter()
            .map(|&p| critical[p] as f64 / runs as f64)
            .collect(),
    }
}

/// Runs per piece of work handed to a thread, and between progress calls.
const CHUNK: u32 = 1024;

/// One Monte Carlo set-up, shared read-only by the threads that run it.
struct Simulation<'a> {
    shape: &'a [Triangle],
    /// Each task's topological position.
    pos: &'a [usize],
    pred_start: &'a [usize],
    preds: &'a [u32],
    succ_start: &'a [usize],
    succs: &'a [u32],
    seed: u64,
}

impl Simulation<'_> {
    /// Runs `runs` drills on up to `threads` threads: each takes a
    /// contiguous range of runs and jumps its ChaCha8 stream to the first
    /// of them, so run `r` draws the same numbers whoever runs it and the
    /// result does not depend on the thread count. Returns every run's
    /// length and how often each position was critical.
    fn run_split(
        &self,
        runs: u32,
        threads: usize,
        progress: &mut dyn FnMut(u32),
    ) -> (Vec<u64>, Vec<u32>) {
        let threads = (threads as u32).clamp(1, runs.div_ceil(CHUNK).max(1));
        let bounds: Vec<u32> = (0..=threads)
            .map(|k| (u64::from(runs) * u64::from(k) / u64::from(threads)) as u32)
            .collect();
        let done = std::sync::atomic::AtomicU32::new(0);
        let (mut lengths, mut critical) = std::thread::scope(|scope| {
            let helpers: Vec<_> = bounds[1..]
                .windows(2)
                .map(|w| {
                    let done = &done;
                    scope.spawn(move || self.run_range(w[0], w[1], done, &mut |_| {}))
                })
                .collect();
            let mut own = self.run_range(bounds[0], bounds[1], &done, progress);
            for h in helpers {
                // A helper only does arithmetic on slices it owns; should it
                // panic anyway, its runs are redone here rather than lost.
                let (lengths, critical) = match h.join() {
                    Ok(r) => r,
                    Err(_) => (Vec::new(), vec![0; self.pos.len()]),
                };
                own.0.extend(lengths);
                for (c, k) in own.1.iter_mut().zip(critical) {
                    *c += k;
                }
            }
            own
        });
        if lengths.len() < runs as usize {
            // Only after a helper's panic: run the whole set on this thread.
            (lengths, critical) = self.run_range(0, runs, &done, &mut |_| {});
        }
        progress(runs);
        (lengths, critical)
    }

    /// Runs drills `from..to`, adding to `done` and calling `progress` with
    /// its value every [`CHUNK`] runs.
    fn run_range(
        &self,
        from: u32,
        to: u32,
        done: &std::sync::atomic::AtomicU32,
        progress: &mut dyn FnMut(u32),
    ) -> (Vec<u64>, Vec<u32>) {
        use std::sync::atomic::Ordering;
        let n = self.pos.len();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        // Each run draws one u64, two 32-bit words, per task.
        rng.set_word_pos(u128::from(from) * 2 * n as u128);
        let mut d = vec![0u64; n];
        let mut ef = vec![0u64; n];
        let mut lf = vec![0u64; n];
        let mut lengths = Vec::with_capacity((to - from) as usize);
        let mut critical = vec![0u32; n];
        for run in from..to {
            for (tri, &p) in self.shape.iter().zip(self.pos) {
                d[p] = tri.sample(unit(rng.next_u64()));
            }
            let mut length = 0;
            for p in 0..n {
                let start = self.preds[self.pred_start[p]..self.pred_start[p + 1]]
                    .iter()
                    .fold(0, |m, &q| m.max(ef[q as usize]));
                ef[p] = start + d[p];
                length = length.max(ef[p]);
            }
            for p in (0..n).rev() {
                lf[p] = self.succs[self.succ_start[p]..self.succ_start[p + 1]]
                    .iter()
                    .fold(length, |m, &q| m.min(lf[q as usize] - d[q as usize]));
            }
            // Zero slack: the latest finish is the earliest finish.
            for (c, (l, e)) in critical.iter_mut().zip(lf.iter().zip(&ef)) {
                *c += u32::from(l == e);
            }
            lengths.push(length);
            if (run - from + 1).is_multiple_of(CHUNK) {
                let total = done.fetch_add(CHUNK, Ordering::Relaxed) + CHUNK;
                progress(total);
            }
        }
        (lengths, critical)
    }
}

/// Adjacency lists in topological positions: `start[p]..start[p + 1]` indexes
/// `items` for the task at position `p`.
fn renumbered<'g>(
    order: &[u32],
    pos: &[usize],
    neighbours: impl Fn(usize) -> &'g [u32],
) -> (Vec<usize>, Vec<u32>) {
    let mut start = Vec::with_capacity(order.len() + 1);
    let mut items = Vec::new();
    for &i in order {
        start.push(items.len());
        items.extend(
            neighbours(i as usize)
                .iter()
                .map(|&q| pos[q as usize] as u32),
        );
    }
    start.push(items.len());
    (start, items)
}

/// A uniform float in [0, 1) from the top 53 bits.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[derive(Debug, Clone, Copy)]
struct Triangle {
    a: f64,
    b: f64,
    split: f64,
    left: f64,
    right: f64,
}

impl Triangle {
    fn new(a: f64, m: f64, b: f64) -> Triangle {
        let w = b - a;
        Triangle {
            a,
            b,
            split: if w > 0.0 { (m - a) / w } else { 0.0 },
            left: w * (m - a),
            right: w * (b - m),
        }
    }

    /// Inverse CDF, rounded to whole milliseconds.
    ///
    /// Written to compile without branches: which side of the mode `u`
    /// falls on is unpredictable, and `f64::round` is a library call on
    /// baseline x86-64. The figures are bit-identical to the plain form
    /// `if u < split { a + sqrt(u·left) } else { b − sqrt((1−u)·right) }`
    /// followed by `round()`.
    fn sample(&self, u: f64) -> u64 {
        let left = u < self.split;
        let base = if left { self.a } else { self.b };
        let sign = if left { 1.0 } else { -1.0 };
        let area = if left {
            u * self.left
        } else {
            (1.0 - u) * self.right
        };
        let x = (base + sign * area.sqrt()).max(0.0);
        // Round half away from zero, for x ≥ 0: x − ⌊x⌋ is exact below 2^52.
        let whole = x as u64;
        whole + u64::from(x - whole as f64 >= 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triangle_stays_in_bounds() {
        let t = Triangle::new(1000.0, 2000.0, 5000.0);
        for u in [0.0, 0.1, 0.25, 0.5, 0.999_999] {
            let x = t.sample(u);
            assert!((1000..=5000).contains(&x), "{u} -> {x}");
        }
        assert_eq!(t.sample(0.25), 2000);
        let fixed = Triangle::new(3000.0, 3000.0, 3000.0);
        assert_eq!(fixed.sample(0.7), 3000);
    }

    #[test]
    fn thread_count_does_not_change_the_figures() {
        let shape = [
            Triangle::new(1000.0, 2000.0, 5000.0),
            Triangle::new(0.0, 500.0, 9000.0),
            Triangle::new(3000.0, 3000.0, 3000.0),
        ];
        // A diamond: 0 before 1 and 2.
        let sim = Simulation {
            shape: &shape,
            pos: &[0, 1, 2],
            pred_start: &[0, 0, 1, 2],
            preds: &[0, 0],
            succ_start: &[0, 2, 2, 2],
            succs: &[1, 2],
            seed: 9,
        };
        let one = sim.run_split(5000, 1, &mut |_| {});
        for threads in [2, 3, 8] {
            let mut seen = Vec::new();
            let many = sim.run_split(5000, threads, &mut |k| seen.push(k));
            assert_eq!(many, one, "{threads} threads");
            assert_eq!(seen.last(), Some(&5000));
            assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        }
        // One thread draws the stream straight through.
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let first: Vec<u64> = shape
            .iter()
            .map(|t| t.sample(unit(rng.next_u64())))
            .collect();
        assert_eq!(one.0[0], first[0] + first[1].max(first[2]));
    }

    #[test]
    fn sample_matches_the_plain_inverse_cdf_bit_for_bit() {
        let plain = |t: &Triangle, u: f64| -> u64 {
            let x = if u < t.split {
                t.a + (u * t.left).sqrt()
            } else {
                t.b - ((1.0 - u) * t.right).sqrt()
            };
            x.round() as u64
        };
        let shapes = [
            Triangle::new(1000.0, 2000.0, 5000.0),
            Triangle::new(0.0, 0.0, 7000.0),
            Triangle::new(60_000.0, 600_000.0, 600_000.0),
            Triangle::new(3000.0, 3000.0, 3000.0),
            Triangle::new(1.0, 2.0, 3.0),
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for t in &shapes {
            for _ in 0..20_000 {
                let u = unit(rng.next_u64());
                assert_eq!(t.sample(u), plain(t, u), "{t:?} at {u}");
            }
            for u in [0.0, t.split, 0.5, 1.0 - f64::EPSILON] {
                assert_eq!(t.sample(u), plain(t, u), "{t:?} at {u}");
            }
        }
    }
}
