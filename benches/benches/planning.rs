//! Planning speed: a year (2027) for the 80-member brigade of the year-plan
//! test, 20 syllabus items with monthly and yearly quotas, leave and an
//! outage (goal ≤ 2 s in a release build). Prints once the plan's size, its
//! quota coverage beside the rules alone, and the hard violations `verify`
//! finds, so the numbers can be set beside the CP-SAT model in `cpsat/`.

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use muster_core::Brigade;
use muster_core::schedule::{self, PlanOptions, Syllabus};
use std::hint::black_box;

const BRIGADE: &str = include_str!("../../tests/data/schedule/year-brigade.toml");
const SYLLABUS: &str = include_str!("../../tests/data/schedule/year-syllabus.toml");

fn year_plan(c: &mut Criterion) {
    let brigade = Brigade::parse("year-brigade.toml", BRIGADE).expect("the year brigade parses");
    let syllabus = Syllabus::parse("year-syllabus.toml", SYLLABUS, &brigade)
        .expect("the year syllabus parses");
    let from = NaiveDate::from_ymd_opt(2027, 1, 1).expect("a date");
    let to = NaiveDate::from_ymd_opt(2027, 12, 31).expect("a date");
    let options = PlanOptions::new(from, to).seed(42);
    let started = std::time::Instant::now();
    let plan = schedule::plan(&brigade, &syllabus, &options).expect("the year plans");
    let once = started.elapsed();
    let rules = schedule::plan(&brigade, &syllabus, &options.clone().top_up(false))
        .expect("the year plans");
    let violations = schedule::verify(&brigade, &syllabus, &plan);
    println!(
        "year plan: {} members, {} items, {} days: {} sessions ({} added for quotas) in {:.2?} (first run); \
         quota coverage {:.4} ({:.1} of {:.1} member-hours), rules alone {:.4}; \
         {} hard violations; {} item occurrences unplaced",
        brigade.members.len(),
        syllabus.items.len(),
        (to - from).num_days() + 1,
        plan.sessions.len(),
        plan.sessions.iter().filter(|s| s.added).count(),
        once,
        plan.coverage.ratio(),
        plan.coverage.met_hours,
        plan.coverage.required_hours,
        rules.coverage.ratio(),
        violations.len(),
        plan.unplaced.iter().map(|u| u.dates.len()).sum::<usize>(),
    );
    assert!(violations.is_empty(), "{violations:?}");

    // The sample brigade's December: the instance the CP-SAT script solves
    // (benches/report.py runs it on plan-instance.json).
    let sample = muster_scenarios::sample_brigade().expect("the sample brigade parses");
    let sample_syllabus = Syllabus::parse(
        muster_scenarios::SAMPLE_SYLLABUS_NAME,
        muster_scenarios::sample_syllabus_text(),
        &sample,
    )
    .expect("the sample syllabus parses");
    let december = PlanOptions::new(
        NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"),
        NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date"),
    )
    .seed(42);
    let dec_plan = schedule::plan(&sample, &sample_syllabus, &december).expect("December plans");
    let dec_violations = schedule::verify(&sample, &sample_syllabus, &dec_plan);
    let instance =
        schedule::instance(&sample, &sample_syllabus, &december).expect("December's instance");
    let dir = muster_benches::figures_dir();
    std::fs::create_dir_all(&dir).expect("figures folder");
    std::fs::write(
        dir.join("plan-instance.json"),
        serde_json::to_string(&instance).expect("instance JSON"),
    )
    .expect("instance written");
    muster_benches::write_figures(
        "planning",
        &serde_json::json!({
            "year": {
                "members": brigade.members.len(),
                "items": syllabus.items.len(),
                "days": (to - from).num_days() + 1,
                "sessions": plan.sessions.len(),
                "added": plan.sessions.iter().filter(|s| s.added).count(),
                "coverage": plan.coverage.ratio(),
                "rules_coverage": rules.coverage.ratio(),
                "violations": violations.len(),
            },
            "december": {
                "coverage": dec_plan.coverage.ratio(),
                "sessions": dec_plan.sessions.len(),
                "violations": dec_violations.len(),
            },
        }),
    );
    let mut g = c.benchmark_group("year_plan_80_members_20_items");
    g.sample_size(10);
    g.bench_function("muster", |b| {
        b.iter(|| schedule::plan(black_box(&brigade), black_box(&syllabus), &options))
    });
    g.bench_function("muster_rules_only", |b| {
        let rules_only = options.clone().top_up(false);
        b.iter(|| schedule::plan(black_box(&brigade), black_box(&syllabus), &rules_only))
    });
    g.finish();
}

criterion_group!(benches, year_plan);
criterion_main!(benches);
