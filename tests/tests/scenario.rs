//! Scenario parsing, validation and analysis, end to end.

use muster_core::analysis::{self, MonteCarloOptions};
use muster_core::render::{self, GraphFormat};
use muster_core::{Diagnostics, Format, Scenario};
use muster_tests::{data, read, shared_example};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

fn example() -> Scenario {
    Scenario::parse(
        "initial-attack.toml",
        &read("scenarios/initial-attack.toml"),
        Format::Toml,
    )
    .unwrap()
}

fn ids<'a>(s: &'a Scenario, path: &[usize]) -> Vec<&'a str> {
    path.iter().map(|&i| s.tasks()[i].id.as_str()).collect()
}

#[test]
fn the_fixture_is_the_shared_example_unchanged() {
    if let Some(dir) = shared_example() {
        let shared = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
        assert_eq!(shared, read("scenarios/initial-attack.toml"));
        let checked = Scenario::check("scenario.toml", &shared, Format::Toml);
        assert!(checked.scenario.is_some());
        assert!(checked.diagnostics.is_empty(), "{}", checked.diagnostics);
    }
}

#[test]
fn example_critical_path_and_pert() {
    let s = example();
    let cp = analysis::critical_path(&s);
    assert_eq!(
        ids(&s, cp.path()),
        [
            "muster",
            "move",
            "recon",
            "control-line",
            "mop-up",
            "headcount"
        ]
    );
    assert_eq!(cp.length().as_secs(), 44 * 60);
    let pert = analysis::pert(&s, &cp);
    assert_eq!(format!("{:.2}", pert.mean_secs / 60.0), "46.67");
    // Variances along the path: (5² + 9² + 7² + 15² + 10² + 2²) / 36 minutes².
    let var_min = (25.0 + 81.0 + 49.0 + 225.0 + 100.0 + 4.0) / 36.0_f64;
    assert!((pert.sd_secs / 60.0 - var_min.sqrt()).abs() < 1e-9);
    let safety = s.task_index("safety").unwrap();
    assert_eq!(cp.timings()[safety].slack.as_secs(), 60);
    let knockdown = s.task_index("knockdown").unwrap();
    assert_eq!(cp.timings()[knockdown].slack.as_secs(), 3 * 60);
}

#[test]
fn monte_carlo_is_pinned_by_seed() {
    let s = example();
    let options = MonteCarloOptions {
        runs: 10_000,
        seed: 2021,
        threads: 0,
    };
    let a = analysis::monte_carlo(&s, &options);
    for threads in [1, 3] {
        assert_eq!(
            analysis::monte_carlo(&s, &MonteCarloOptions { threads, ..options }),
            a,
            "{threads} threads"
        );
    }
    let b = analysis::monte_carlo(&s, &options);
    assert_eq!(a, b);
    insta::assert_json_snapshot!(a);
    // Every drawn drill is between the all-min and all-max critical paths.
    assert!(a.p50_secs <= a.p80_secs && a.p80_secs <= a.p95_secs);
    assert!(a.p50_secs > 30.0 * 60.0 && a.p95_secs < 76.0 * 60.0);
    // Tasks on every path through the graph are always critical.
    for id in ["muster", "move", "mop-up", "headcount"] {
        assert_eq!(a.criticality[s.task_index(id).unwrap()], 1.0, "{id}");
    }
    let other = analysis::monte_carlo(&s, &MonteCarloOptions { seed: 7, ..options });
    assert_ne!(a.p50_secs, other.p50_secs);
}

#[test]
fn json_gives_the_same_scenario() {
    let s = example();
    let json = serde_json::to_string_pretty(&s).unwrap();
    let again = Scenario::parse("initial-attack.json", &json, Format::Json).unwrap();
    assert_eq!(again.tasks(), s.tasks());
    assert_eq!(again.meta(), s.meta());
    assert_eq!(again.scoring(), s.scoring());
    assert_eq!(analysis::critical_path(&again), analysis::critical_path(&s));
}

#[test]
fn scoring_params_are_kept_as_data() {
    let s = example();
    assert_eq!(s.scoring().script.as_deref(), Some("score.rhai"));
    assert_eq!(
        s.scoring().params,
        serde_json::json!({
            "base": 100,
            "seconds_per_point": 30,
            "penalty_points": { "missing-kit": 2, "unsafe-act": 10, "late-report": 3 }
        })
    );
}

fn diagnostics_text(name: &str, text: &str) -> String {
    let checked = Scenario::check(name, text, Format::from_name(name));
    assert!(checked.scenario.is_none(), "{name} should not be valid");
    assert!(checked.diagnostics.has_errors());
    checked.diagnostics.to_string()
}

#[test]
fn every_bad_fixture_reports_its_problems() {
    insta::glob!("../data/scenarios/bad", "*.*", |path| {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        insta::assert_snapshot!(diagnostics_text(&name, &text));
    });
}

#[test]
fn warnings_do_not_fail_a_scenario() {
    let text = read("scenarios/initial-attack.toml")
        .replace("time_limit = \"50m\"", "time_limit = \"40m\"")
        .replace("hazard = \"forest-fire\"", "hazard = \"wildfire\"")
        .replace("[[roles]]\nid = \"pilot\"", "[[roles]]\nid = \"spare\"\nskill = \"first-aid\"\ncount = 1\n\n[[roles]]\nid = \"pilot\"");
    let checked = Scenario::check("warn.toml", &text, Format::Toml);
    assert!(checked.scenario.is_some());
    insta::assert_snapshot!(checked.diagnostics.to_string(), @r"
    warn.toml:8:10: warning: hazard `wildfire` is not one of Muster's built-in hazards (forest-fire, landslide, water-rescue); check the spelling
    warn.toml:16:14: warning: time_limit 40m is shorter than the critical path on likely durations (44m); most runs will not finish in time
    warn.toml:34:1: warning: role `spare` is declared but no task uses it
    ");
}

#[test]
fn pictures_mark_the_critical_path() {
    let s = example();
    let cp = analysis::critical_path(&s);
    insta::assert_snapshot!("dot", render::render(&s, &cp, GraphFormat::Dot));
    insta::assert_snapshot!("mermaid", render::render(&s, &cp, GraphFormat::Mermaid));
    let svg = render::render(&s, &cp, GraphFormat::Svg);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(
        svg.matches("fill=\"#d33\"").count(),
        6,
        "six bars on the critical path"
    );
    insta::assert_snapshot!("gantt_svg", svg);
}

/// A random acyclic scenario in JSON: edges only go from lower to higher index.
fn random_scenario(rng: &mut ChaCha8Rng, n: usize) -> (String, Vec<u64>) {
    let mut tasks = Vec::new();
    let mut likely = Vec::new();
    for i in 0..n {
        let mut after = Vec::new();
        for j in 0..i {
            if rng.next_u32() % 100 < 15 {
                after.push(format!("t{j}"));
            }
        }
        let l = 1 + u64::from(rng.next_u32() % 600);
        likely.push(l);
        tasks.push(serde_json::json!({
            "id": format!("t{i}"),
            "name": format!("Task {i}"),
            "after": after,
            "duration": { "min": format!("{}s", l / 2), "likely": format!("{l}s"), "max": format!("{}s", l * 2) },
        }));
    }
    let doc = serde_json::json!({
        "scenario": { "id": "random", "version": "0.1.0", "hazard": "forest-fire", "name": "Random" },
        "tasks": tasks,
    });
    (doc.to_string(), likely)
}

#[test]
fn cpm_invariants_hold_on_random_graphs() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    for round in 0..300 {
        let n = 1 + (rng.next_u32() % 40) as usize;
        let (json, likely) = random_scenario(&mut rng, n);
        let s = Scenario::parse("random.json", &json, Format::Json)
            .unwrap_or_else(|d| panic!("round {round}: {d}"));
        let cp = analysis::critical_path(&s);
        let t = cp.timings();
        let length = cp.length().as_secs();
        for (i, timing) in t.iter().enumerate() {
            let (es, ef) = (
                timing.earliest_start.as_secs(),
                timing.earliest_finish.as_secs(),
            );
            let (ls, lf) = (
                timing.latest_start.as_secs(),
                timing.latest_finish.as_secs(),
            );
            assert_eq!(ef, es + likely[i], "finish = start + duration");
            assert_eq!(lf, ls + likely[i]);
            assert!(ls >= es, "slack ≥ 0");
            assert_eq!(timing.slack.as_secs(), ls - es);
            assert!(lf <= length);
            for &p in s.graph().predecessors(i) {
                assert!(
                    t[p as usize].earliest_finish.as_secs() <= es,
                    "starts after its predecessors"
                );
                assert!(t[p as usize].latest_finish.as_secs() <= ls);
            }
        }
        let path = cp.path();
        assert!(!path.is_empty());
        assert_eq!(t[path[0]].earliest_start.as_secs(), 0);
        let mut sum = 0;
        for (k, &i) in path.iter().enumerate() {
            assert_eq!(t[i].slack.as_secs(), 0, "zero slack on the critical path");
            if k > 0 {
                assert!(s.graph().predecessors(i).contains(&(path[k - 1] as u32)));
            }
            sum += likely[i];
        }
        assert_eq!(
            sum, length,
            "the critical path's length is the drill's length"
        );
        assert_eq!(t[*path.last().unwrap()].earliest_finish.as_secs(), length);
    }
}

fn assert_diagnosed(name: &str, text: &str) -> bool {
    let lines = text.lines().count() + 1;
    match Scenario::parse(name, text, Format::from_name(name)) {
        Ok(_) => false,
        Err(d) => {
            assert_well_formed(&d, lines, text);
            true
        }
    }
}

fn assert_well_formed(d: &Diagnostics, lines: usize, text: &str) {
    assert!(!d.is_empty(), "an invalid input must say why:\n{text}");
    for x in d {
        assert!(x.line >= 1 && x.line <= lines, "{x}");
        assert!(x.column >= 1, "{x}");
        assert!(!x.message.is_empty());
    }
}

#[test]
fn truncated_and_garbled_input_gives_diagnostics_not_panics() {
    let text = read("scenarios/initial-attack.toml");
    let json = serde_json::to_string_pretty(&example()).unwrap();
    let mut failed = 0;
    let mut total = 0;
    for (name, source) in [("t.toml", &text), ("t.json", &json)] {
        for (cut, _) in source.char_indices() {
            total += 1;
            failed += usize::from(assert_diagnosed(name, &source[..cut]));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let bytes = source.as_bytes();
        for _ in 0..2000 {
            let mut garbled = bytes.to_vec();
            for _ in 0..1 + rng.next_u32() % 4 {
                let at = rng.next_u32() as usize % garbled.len();
                garbled[at] = b"[]{}\"'=,.#\n xyz0\\"[rng.next_u32() as usize % 17];
            }
            let garbled = String::from_utf8_lossy(&garbled).to_string();
            total += 1;
            failed += usize::from(assert_diagnosed(name, &garbled));
        }
    }
    // Nearly every damaged copy is invalid; the few that stay valid are fine.
    assert!(failed * 10 > total * 8, "{failed} of {total} diagnosed");
}

#[test]
fn hostile_nesting_is_refused_without_recursion() {
    for (name, open, close) in [("deep.json", "[", "]"), ("deep.toml", "a = [", "]")] {
        let text = format!("{}{}", open.repeat(100_000), close.repeat(100_000));
        let d = Scenario::parse(name, &text, Format::from_name(name)).unwrap_err();
        assert!(
            d.to_string().contains("nesting deeper than 64 levels"),
            "{d}"
        );
    }
    assert!(data("scenarios/bad/too-deep.json").exists());
}
