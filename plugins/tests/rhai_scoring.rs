//! The rhai runtime: the example scorer, and the hostile corpus. Every hostile
//! script must fail with a typed error, and the same runtime must then score
//! the example record normally.

use std::time::{Duration, Instant};

use muster_core::{
    DrillRecord, Format, Limit, Scenario, ScoreError, ScoreInput, ScoreStatus, Scorer,
};
use muster_plugins::{CACHED_SOURCES, PluginScorer, RhaiLimits, RhaiRuntime};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scenarios/packages/forest-fire-initial-attack/"
);

fn example() -> (Scenario, ScoreInput, String) {
    let read = |f: &str| std::fs::read_to_string(format!("{EXAMPLE}{f}")).expect("example file");
    let scenario = Scenario::parse("scenario.toml", &read("scenario.toml"), Format::Toml)
        .expect("the example scenario is valid");
    let record = DrillRecord::parse(
        "record-nantang.json",
        &read("record-nantang.json"),
        Format::Json,
        &scenario,
    )
    .expect("the example record is valid");
    let input = ScoreInput::new(&scenario, &record);
    (scenario, input, read("score.rhai"))
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/rhai/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Scores the example with `rt` and checks the 109.83.
fn scores_example(rt: &RhaiRuntime) {
    let (scenario, input, source) = example();
    let scorer = rt
        .load("score.rhai", &source)
        .expect("the example script loads");
    let card = scorer
        .score(&input, &scenario.scoring().params)
        .expect("the example scores");
    assert_eq!(format!("{:.2}", card.total), "109.83");
    assert_eq!(card.status, ScoreStatus::Valid);
}

/// Loads and runs a hostile fixture; returns its error, checking it failed the
/// same way twice, within 2 s, and that the runtime still scores afterwards.
fn hostile(rt: &RhaiRuntime, name: &str) -> ScoreError {
    let (scenario, input, _) = example();
    let params = &scenario.scoring().params;
    let source = fixture(name);
    let mut errors = Vec::new();
    for _ in 0..2 {
        let start = Instant::now();
        let err = match rt.load(name, &source) {
            Err(e) => e,
            Ok(s) => s
                .score(&input, params)
                .expect_err("a hostile script must fail"),
        };
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{name} took {:?}",
            start.elapsed()
        );
        errors.push(err);
    }
    assert_eq!(
        errors[0], errors[1],
        "{name} must fail identically on every run"
    );
    scores_example(rt);
    errors.remove(0)
}

fn limit_of(e: &ScoreError) -> Option<Limit> {
    match e {
        ScoreError::Limit { limit, .. } => Some(*limit),
        _ => None,
    }
}

#[test]
fn example_scores_109_83() {
    let rt = RhaiRuntime::default();
    let (scenario, input, source) = example();
    let scorer = rt.load("score.rhai", &source).unwrap();
    let card = scorer.score(&input, &scenario.scoring().params).unwrap();
    assert_eq!(format!("{:.2}", card.total), "109.83");
    insta::assert_snapshot!(card.notes.join("\n"), @r#"
        time bonus 14.833333333333334
        missing-kit x1 on muster: -2.0
        late-report x1 on recon: -3.0
        "#);
    assert_eq!(card.scorer.name, "score.rhai");
    assert!(card.scorer.hash.starts_with("sha256:"));
}

#[test]
fn ast_is_compiled_once_per_content() {
    let rt = RhaiRuntime::default();
    let (_, _, source) = example();
    rt.load("a.rhai", &source).unwrap();
    rt.load("b.rhai", &source).unwrap();
    assert_eq!(rt.cached_scripts(), 1);
    rt.load("c.rhai", &format!("{source}\n// changed")).unwrap();
    assert_eq!(rt.cached_scripts(), 2);
}

#[test]
fn the_script_cache_keeps_the_most_recently_loaded() {
    let rt = RhaiRuntime::default();
    let (scenario, input, source) = example();
    let params = &scenario.scoring().params;
    let version = |n: usize| format!("{source}\n// version {n}");
    let first = rt.load("v0.rhai", &version(0)).unwrap();
    for n in 1..=CACHED_SOURCES {
        rt.load(&format!("v{n}.rhai"), &version(n)).unwrap();
    }
    assert_eq!(rt.cached_scripts(), CACHED_SOURCES);
    // The first script fell out of the cache; its scorer still holds it.
    let total = |card: muster_core::ScoreCard| format!("{:.2}", card.total);
    assert_eq!(total(first.score(&input, params).unwrap()), "109.83");
    let again = rt.load("v0.rhai", &version(0)).unwrap();
    assert_eq!(total(again.score(&input, params).unwrap()), "109.83");
    assert_eq!(rt.cached_scripts(), CACHED_SOURCES);
}

#[test]
fn stats_report_operations_and_sizes() {
    let rt = RhaiRuntime::default();
    let (scenario, input, source) = example();
    let scorer = rt.load("score.rhai", &source).unwrap();
    let (card, stats) = scorer.score_with_stats(&input, &scenario.scoring().params);
    assert!(card.is_ok());
    assert!(
        stats.work_used > 0 && stats.work_used < stats.work_limit,
        "{stats:?}"
    );
    assert_eq!(stats.work_unit, "operations");
    assert!(
        stats.input_bytes > 500 && stats.input_bytes < stats.input_limit_bytes,
        "{stats:?}"
    );
    assert!(
        stats.output_bytes > 50 && stats.output_bytes < stats.output_limit_bytes,
        "{stats:?}"
    );
}

#[test]
fn print_and_debug_are_captured_not_scored() {
    let rt = RhaiRuntime::default();
    let (scenario, input, _) = example();
    let scorer = rt.load("prints.rhai", &fixture("prints.rhai")).unwrap();
    let run = scorer.run(&input, &scenario.scoring().params);
    assert_eq!(run.result.unwrap().notes, vec!["attempt 1"]);
    insta::assert_snapshot!(run.log.join("\n"), @r#"
        team nantang
        [debug 3:5] 1
        "#);
}

#[test]
fn infinite_loop() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "infinite-loop.rhai");
    assert_eq!(limit_of(&e), Some(Limit::Operations));
    insta::assert_snapshot!(e, @r#"infinite-loop.rhai: the scorer hit the operation limit (more than 200000 operations)"#);
}

#[test]
fn unbounded_recursion() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "recursion.rhai");
    assert_eq!(limit_of(&e), Some(Limit::CallDepth));
    insta::assert_snapshot!(e, @r#"recursion.rhai: the scorer hit the call depth limit (calls nested deeper than 24 levels)"#);
}

#[test]
fn doubling_string() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "doubling-string.rhai");
    assert_eq!(limit_of(&e), Some(Limit::StringSize));
    insta::assert_snapshot!(e, @r#"doubling-string.rhai: the scorer hit the string size limit (a string longer than 65536 bytes)"#);
}

#[test]
fn growing_array() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "growing-array.rhai");
    assert_eq!(limit_of(&e), Some(Limit::ArraySize));
    insta::assert_snapshot!(e, @r#"growing-array.rhai: the scorer hit the array size limit (an array longer than 10000 items)"#);
}

#[test]
fn growing_map() {
    let rt = RhaiRuntime::default();
    // rhai does not measure a map on `m[key] = value`; the operation limit
    // stops it (see RhaiLimits::max_map_size). A map built whole is measured.
    let e = hostile(&rt, "growing-map.rhai");
    assert_eq!(limit_of(&e), Some(Limit::Operations));
    insta::assert_snapshot!(e, @r#"growing-map.rhai: the scorer hit the operation limit (more than 200000 operations)"#);
}

#[test]
fn map_built_too_large() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "big-map.rhai");
    assert_eq!(limit_of(&e), Some(Limit::MapSize));
    insta::assert_snapshot!(e, @r#"big-map.rhai: the scorer hit the map size limit (a map larger than 1000 entries)"#);
}

#[test]
fn eval_is_refused() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "eval.rhai");
    assert!(matches!(e, ScoreError::Load { line: Some(2), .. }), "{e:?}");
    insta::assert_snapshot!(e, @r#"eval.rhai:2:5: `eval` is not allowed in a scoring script: scripts run sandboxed, with no eval and no modules"#);
}

#[test]
fn import_is_refused() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "import.rhai");
    assert!(
        matches!(
            e,
            ScoreError::Load {
                line: Some(1),
                column: Some(1),
                ..
            }
        ),
        "{e:?}"
    );
    insta::assert_snapshot!(e, @r#"import.rhai:1:1: `import` is not allowed in a scoring script: scripts run sandboxed, with no eval and no modules"#);
}

#[test]
fn throw() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "throw.rhai");
    assert!(
        matches!(e, ScoreError::Runtime { line: Some(3), .. }),
        "{e:?}"
    );
    insta::assert_snapshot!(e, @r#"throw.rhai:3:9: the script threw: the judge's sheet is missing"#);
}

#[test]
fn wrong_return_type() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "wrong-type.rhai");
    assert!(matches!(e, ScoreError::Output { .. }), "{e:?}");
    insta::assert_snapshot!(e, @r#"wrong-type.rhai: bad result: the scorer returned the string "a hundred points", but must return a map #{ total, status, reason, notes }"#);
}

#[test]
fn nan_total() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "nan-total.rhai");
    assert!(matches!(e, ScoreError::Output { .. }), "{e:?}");
    insta::assert_snapshot!(e, @r#"nan-total.rhai: bad result: `total` is NaN, but numbers in a result must be finite"#);
}

#[test]
fn expression_nested_300_deep() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "deep-expression.rhai");
    assert_eq!(limit_of(&e), Some(Limit::ExpressionDepth));
    insta::assert_snapshot!(e, @r#"deep-expression.rhai: the scorer hit the expression depth limit (an expression at 2:27 nests deeper than 64 levels (32 inside functions))"#);
}

#[test]
fn print_flood() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "print-flood.rhai");
    assert_eq!(limit_of(&e), Some(Limit::Log));
    insta::assert_snapshot!(e, @r#"print-flood.rhai: the scorer hit the log size limit (printed more than 100 lines or 16384 bytes)"#);
}

#[test]
fn syntax_error_has_line_and_column() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "syntax-error.rhai");
    assert!(
        matches!(
            e,
            ScoreError::Load {
                line: Some(3),
                column: Some(5),
                ..
            }
        ),
        "{e:?}"
    );
    insta::assert_snapshot!(e, @r#"syntax-error.rhai:3:5: syntax error: Expecting ';' to terminate this statement"#);
}

#[test]
fn missing_score_function() {
    let rt = RhaiRuntime::default();
    let e = hostile(&rt, "no-score.rhai");
    insta::assert_snapshot!(e, @r#"no-score.rhai: the script defines no `fn score(record, params)`; a scoring script must define it"#);
}

#[test]
fn wall_clock_deadline() {
    // Operations high enough that only the deadline can stop the loop.
    let mut limits = RhaiLimits::default();
    limits.max_operations = 0; // 0 = no operation limit in rhai
    limits.deadline = Duration::from_millis(100);
    let rt = RhaiRuntime::new(limits);
    let (scenario, input, _) = example();
    let scorer = rt
        .load("infinite-loop.rhai", &fixture("infinite-loop.rhai"))
        .unwrap();
    let start = Instant::now();
    let e = scorer
        .score(&input, &scenario.scoring().params)
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(limit_of(&e), Some(Limit::Time));
    insta::assert_snapshot!(e, @r#"infinite-loop.rhai: the scorer hit the time limit (ran longer than 100 ms)"#);
    scores_example(&rt);
}

#[test]
fn oversized_input() {
    let mut limits = RhaiLimits::default();
    limits.max_input_bytes = 100;
    let rt = RhaiRuntime::new(limits);
    let (scenario, input, source) = example();
    let scorer = rt.load("score.rhai", &source).unwrap();
    let e = scorer
        .score(&input, &scenario.scoring().params)
        .unwrap_err();
    assert_eq!(limit_of(&e), Some(Limit::InputSize));
    insta::assert_snapshot!(e, @r#"score.rhai: the scorer hit the input size limit (the record and params are 1056 bytes; at most 100 are allowed)"#);
}

#[test]
fn oversized_output() {
    let mut limits = RhaiLimits::default();
    limits.max_output_bytes = 1000;
    let rt = RhaiRuntime::new(limits);
    let (scenario, input, _) = example();
    let src = "fn score(record, params) {\n let s = \"\"; s.pad(200, 'x');\n let n = [];\n for i in 0..10 { n.push(s); }\n #{ total: 1.0, status: \"valid\", reason: \"\", notes: n }\n}";
    let scorer = rt.load("big.rhai", src).unwrap();
    let e = scorer
        .score(&input, &scenario.scoring().params)
        .unwrap_err();
    assert_eq!(limit_of(&e), Some(Limit::OutputSize));
    insta::assert_snapshot!(e, @r#"big.rhai: the scorer hit the output size limit (the result is larger than 1000 bytes)"#);
    scores_example(&rt);
}

#[test]
fn no_clock() {
    let rt = RhaiRuntime::default();
    let (scenario, input, _) = example();
    let src = "fn score(record, params) {\n  let t = timestamp();\n  #{ total: 1.0, status: \"valid\" }\n}";
    let scorer = rt.load("clock.rhai", src).unwrap();
    let e = scorer
        .score(&input, &scenario.scoring().params)
        .unwrap_err();
    insta::assert_snapshot!(e, @r#"clock.rhai:2:11: Function not found: timestamp ()"#);
}

#[test]
fn generator_returns_scenario_json() {
    let rt = RhaiRuntime::default();
    let src = r#"
fn scenario(params) {
    let tasks = [];
    for i in 0..params.victims {
        tasks.push(#{ id: `rescue-${i}`, name: `Rescue victim ${i + 1}`, duration: "5m" });
    }
    #{ scenario: #{ id: "water.flood", version: "1.0.0", hazard: "water-rescue", name: "Flood" }, tasks: tasks }
}
fn score(record, params) { #{ total: 1.0, status: "valid" } }
"#;
    let scorer = rt.load("flood.rhai", src).unwrap();
    assert!(scorer.has_generator());
    let text = scorer
        .generate(&serde_json::json!({ "victims": 3 }))
        .unwrap();
    let s = Scenario::parse("flood.rhai:scenario", &text, Format::Json).unwrap();
    assert_eq!(s.tasks().len(), 3);
    let (_, _, example_src) = example();
    let plain = rt.load("score.rhai", &example_src).unwrap();
    assert!(!plain.has_generator());
    insta::assert_snapshot!(plain.generate(&serde_json::json!({})).unwrap_err(), @r#"score.rhai: the script defines no `fn scenario(params)` to generate a scenario"#);
}

#[test]
fn recursion_through_function_pointers_and_big_frames() {
    // Runs on the test thread's default 2 MiB stack: the call-depth limit
    // must stop these before the host stack overflows.
    let rt = RhaiRuntime::default();
    let (scenario, input, _) = example();
    for (name, src) in [
        (
            "fnptr.rhai",
            "fn down(f, n) { f.call(f, n + 1) }\nfn score(record, params) { let f = Fn(\"down\"); f.call(f, 0) }",
        ),
        (
            "frames.rhai",
            "fn down(n) { let a = [n, n + 1, n + 2, `${n}`, #{ x: n }]; down(n + 1) + a.len() }\nfn score(record, params) { down(0) }",
        ),
        (
            "mutual.rhai",
            "fn ping(n) { pong(n + 1) }\nfn pong(n) { ping(n + 1) }\nfn score(record, params) { ping(0) }",
        ),
    ] {
        let scorer = rt.load(name, src).unwrap();
        let e = scorer
            .score(&input, &scenario.scoring().params)
            .unwrap_err();
        assert_eq!(limit_of(&e), Some(Limit::CallDepth), "{name}: {e}");
    }
    scores_example(&rt);
}

#[test]
fn default_call_depth_fits_a_quarter_of_a_test_stack() {
    // A 512 KiB thread: the default limits leave at least four times this
    // margin on the 2 MiB stack test threads and most hosts use.
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(|| {
            let rt = RhaiRuntime::default();
            let (scenario, input, _) = example();
            let scorer = rt
                .load("recursion.rhai", &fixture("recursion.rhai"))
                .unwrap();
            let e = scorer
                .score(&input, &scenario.scoring().params)
                .unwrap_err();
            limit_of(&e)
        })
        .expect("spawn a small-stack thread");
    assert_eq!(handle.join().ok().flatten(), Some(Limit::CallDepth));
}

/// Anonymous functions work, but they do not capture variables (the engine
/// is built without rhai's closures, so no value is ever shared): a script
/// that reads an outer variable inside one gets an error naming it and
/// where it is, and the runtime scores normally afterwards.
#[test]
fn anonymous_functions_work_but_capture_nothing() {
    let (scenario, input, _) = example();
    let params = &scenario.scoring().params;
    let rt = RhaiRuntime::new(RhaiLimits::default());
    let plain = rt
        .load(
            "anon.rhai",
            "fn score(record, params) {\n  let late = record.penalties.map(|p| p.count * 2);\n  #{ total: late.len().to_float(), status: \"valid\", reason: \"\", notes: [] }\n}",
        )
        .expect("an anonymous function without captures loads");
    let card = plain.score(&input, params).expect("it scores");
    assert_eq!(card.total, input.penalties.len() as f64);

    let capturing = rt.load(
        "capture.rhai",
        "fn score(record, params) {\n  let k = 2;\n  let late = record.penalties.map(|p| p.count * k);\n  #{ total: 0.0, status: \"valid\", reason: \"\", notes: [] }\n}",
    );
    let err = match capturing {
        Err(e) => e,
        Ok(s) => s.score(&input, params).expect_err("a capture is refused"),
    };
    insta::assert_snapshot!(err.to_string(), @"capture.rhai:3:49: there is no variable `k` here: declare it with `let` before it is used; an anonymous function `|x| ...` sees only its own parameters, not the variables around it");
    scores_example(&rt);
}
