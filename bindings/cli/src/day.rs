//! `muster day`: the main job on embedded defaults — a training day of the
//! sample brigade on the built-in drills.

use clap::Args;
use muster_core::ScoreStatus;
use muster_core::analysis::{self, MonteCarloOptions};

use crate::out::{self, Failure, Outcome};
use crate::scenario;

#[derive(Debug, Args)]
pub struct DayArgs {
    /// Seed for the simulations.
    #[arg(long, default_value_t = 2021)]
    seed: u64,
    /// The day (YYYY-MM-DD): the sample data's qualifications are set around 2026-12-01.
    #[arg(long, default_value = "2026-12-01")]
    date: chrono::NaiveDate,
    /// The built-in drill to show in full as the day's drill.
    #[arg(long, default_value = "forest-fire.initial-attack")]
    drill: String,
}

/// Checks every built-in drill, shows the day's drill, and scores the sample
/// runs shipped with the built-ins in the sandboxed runtimes.
pub fn run(args: DayArgs) -> Outcome {
    let brigade = muster_scenarios::sample_brigade().map_err(|d| {
        out::diagnostics(&d);
        Failure::Input
    })?;
    println!(
        "Muster — a training day of {} ({} members in {} squadrons: {})",
        brigade
            .brigade
            .name_zh
            .as_deref()
            .unwrap_or(&brigade.brigade.name),
        brigade.members.len(),
        brigade.squadrons.len(),
        brigade
            .squadrons
            .iter()
            .map(|s| format!("{} {}", s.name, s.name_zh.as_deref().unwrap_or("")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!();
    let options = MonteCarloOptions {
        runs: 10_000,
        seed: args.seed,
    };
    drills(&options)?;
    let today = crate::scenario::builtin(&format!("builtin:{}", args.drill), &args.drill)?;
    let s = scenario::load(&format!("builtin:{}", today.id()))?;
    println!("Today's drill");
    scenario::print_report(&scenario::report(&s, &options));
    println!();
    let cards = score_samples()?;
    println!();
    score_wasm(&cards)?;
    println!();
    contest(cards)?;
    println!();
    week(&args)
}

/// Plans the sample brigade's coming week and checks today's drill against
/// the on-duty squadron.
fn week(args: &DayArgs) -> Outcome {
    let brigade = std::path::PathBuf::from(muster_scenarios::SAMPLE_BRIGADE_NAME);
    let syllabus = std::path::PathBuf::from(muster_scenarios::SAMPLE_SYLLABUS_NAME);
    println!("The coming week's training plan");
    crate::plan::run(crate::plan::PlanArgs {
        brigade: brigade.clone(),
        syllabus: syllabus.clone(),
        from: args.date,
        to: args.date + chrono::Days::new(6),
        seed: args.seed,
        pins: None,
        ics: None,
        csv: None,
        json: false,
    })?;
    println!();
    println!("Today's drill against the squadron on duty");
    crate::drill::feasible(crate::drill::FeasibleArgs {
        scenario: format!("builtin:{}", args.drill),
        brigade,
        date: args.date,
        syllabus: Some(syllabus),
        squadron: None,
        json: false,
    })
}

/// Scores the initial attack's runs again with the same rule written in Rust
/// and compiled to wasm, and shows that both scorers agree.
fn score_wasm(rhai_cards: &[(String, String, muster_core::ScoreCard)]) -> Outcome {
    let id = "forest-fire.initial-attack";
    let package = muster_plugins::Package::from_files(
        "builtin:forest-fire-initial-attack-wasm",
        muster_scenarios::initial_attack_wasm_files(),
        &muster_plugins::PackageOptions::default(),
    )
    .map_err(|e| crate::score::report(&e))?;
    let Some(b) = muster_scenarios::find(id) else {
        return Ok(());
    };
    println!("The initial attack's runs, scored again by the same rule compiled to wasm");
    let mut t = out::table(&[
        "run",
        "wasm total",
        "status",
        "fuel used",
        "rhai total",
        "agree",
    ]);
    for ((name, text), (_, _, rhai)) in b
        .records()
        .zip(rhai_cards.iter().filter(|(d, _, _)| d == id))
    {
        let run = package
            .run(name, text)
            .map_err(|e| crate::score::report(&e))?;
        let card = run.result.map_err(|e| {
            crate::score::score_error(&e);
            Failure::Input
        })?;
        t.add_row(vec![
            name.trim_start_matches("record-")
                .trim_end_matches(".json")
                .to_string(),
            format!("{:.2}", card.total),
            format!("{:?}", card.status).to_lowercase(),
            format!("{} of {}", run.stats.work_used, run.stats.work_limit),
            format!("{:.2}", rhai.total),
            if card.total.to_bits() == rhai.total.to_bits() && card.status == rhai.status {
                "yes, bit for bit".to_string()
            } else {
                "NO".to_string()
            },
        ]);
    }
    println!("{t}");
    Ok(())
}

/// The daily contest among the three squadrons, from the day's scored runs.
fn contest(cards: Vec<(String, String, muster_core::ScoreCard)>) -> Outcome {
    use muster_core::compete::{Attempt, CompetitionEntry, Contest};
    let comp = muster_core::compete::Competition::parse(
        muster_scenarios::DAILY_CONTEST_NAME,
        muster_scenarios::daily_contest_text(),
    )
    .map_err(|d| {
        out::diagnostics(&d);
        Failure::Input
    })?;
    let mut contest = Contest::new(&comp);
    for (drill, team, card) in cards {
        if !comp.events.iter().any(|e| e.id == drill) {
            continue;
        }
        let mut a = Attempt::new(drill, team);
        a.card = Some(card);
        if let Err(e) = contest.apply(&CompetitionEntry::Attempt(a)) {
            eprintln!("{}: error: {e}", muster_scenarios::DAILY_CONTEST_NAME);
            return Err(Failure::Input);
        }
    }
    println!("The daily contest 每日比武");
    crate::compete::print_standings(&contest.standings());
    Ok(())
}

/// One line per built-in drill: checked, with its expected and P80 durations.
fn drills(options: &MonteCarloOptions) -> Outcome {
    println!("Built-in drills, checked");
    let mut t = out::table(&[
        "drill",
        "hazard",
        "name",
        "tasks",
        "likely",
        "P80",
        "critical path",
    ]);
    let mut failed = false;
    for id in muster_scenarios::ids() {
        let Ok(s) = scenario::load(&format!("builtin:{id}")) else {
            failed = true;
            continue;
        };
        let cp = analysis::critical_path(&s);
        let mc = analysis::monte_carlo(&s, options);
        let m = s.meta();
        t.add_row(vec![
            m.id.clone(),
            m.hazard.clone(),
            format!("{}\n{}", m.name, m.name_zh.as_deref().unwrap_or("")),
            s.tasks().len().to_string(),
            format!("{} min", out::minutes(cp.length().as_secs() as f64)),
            format!("{} min", out::minutes(mc.p80_secs)),
            cp.path().len().to_string() + " tasks",
        ]);
    }
    println!("{t}");
    println!();
    if failed { Err(Failure::Input) } else { Ok(()) }
}

/// Scores every sample run shipped with the built-ins with its package's script;
/// returns (drill, team, card) for each.
fn score_samples() -> Result<Vec<(String, String, muster_core::ScoreCard)>, Failure> {
    let mut cards = Vec::new();
    println!("The day's runs, scored in the sandbox");
    let mut t = out::table(&[
        "drill", "run", "team", "total", "status", "reason", "scorer",
    ]);
    for id in muster_scenarios::ids() {
        let Some(b) = muster_scenarios::find(id) else {
            continue;
        };
        let package = crate::score::open(&format!("builtin:{id}"), &[])?;
        for (name, text) in b.records() {
            let card = package
                .score(name, text)
                .map_err(|e| crate::score::report(&e))?;
            let status = match card.status {
                ScoreStatus::Valid => "valid",
                ScoreStatus::Dnf => "DNF",
                ScoreStatus::Dq => "DQ",
            };
            let team = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v["team"].as_str().map(str::to_string))
                .unwrap_or_default();
            t.add_row(vec![
                id.to_string(),
                name.trim_start_matches("record-")
                    .trim_end_matches(".json")
                    .to_string(),
                team.clone(),
                format!("{:.2}", card.total),
                status.to_string(),
                card.reason.clone(),
                format!("{:?} {}", card.scorer.kind, &card.scorer.hash[..15]).to_lowercase(),
            ]);
            cards.push((id.to_string(), team, card));
        }
    }
    println!("{t}");
    Ok(cards)
}
