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
    /// The SQLite ledger the day is written into; created on first use.
    #[arg(long, default_value = "muster-day.db")]
    db: std::path::PathBuf,
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
        threads: 0,
    };
    drills(&options)?;
    let today = crate::scenario::builtin(&format!("builtin:{}", args.drill), &args.drill)?;
    let s = scenario::load(&format!("builtin:{}", today.id()))?;
    println!("Today's drill");
    scenario::print_report(&scenario::report(&s, &options));
    println!();
    let mut scored = score_samples()?;
    println!();
    score_wasm(&mut scored)?;
    println!();
    let steps = contest(&scored.runs)?;
    println!();
    ledger(&args, &brigade, &steps, &scored)?;
    println!();
    week(&args)
}

/// One of the day's sample runs, with the cards it was given.
struct DayRun {
    /// The built-in drill.
    drill: &'static str,
    /// The record's file name and text.
    name: &'static str,
    text: &'static str,
    team: String,
    /// The card from the drill's own (rhai) scorer.
    card: muster_core::ScoreCard,
    /// The card from the same rule compiled to wasm, where there is one.
    wasm: Option<muster_core::ScoreCard>,
}

/// The day's scoring: each built-in package opened once, the wasm package,
/// and every run with its cards; the ledger step records these rather than
/// scoring again.
struct Scored {
    packages: Vec<(&'static str, muster_plugins::Package)>,
    wasm: muster_plugins::Package,
    runs: Vec<DayRun>,
}

/// The drill whose runs are scored again in wasm.
const WASM_DRILL: &str = "forest-fire.initial-attack";

/// Writes the day into the SQLite ledger — the roster and qualifications on
/// first use, the built-in scenarios, every run and its rhai score, and the
/// initial attack's wasm scores, and the daily contest as a competition of
/// its own for the day — then verifies the chain, replays every stored score
/// and the contest, and prints readiness by hazard from the ledger.
fn ledger(
    args: &DayArgs,
    brigade: &muster_core::Brigade,
    contest: &[muster_core::compete::CompetitionEntry],
    scored: &Scored,
) -> Outcome {
    use chrono::{FixedOffset, TimeZone};
    use muster_core::ledger::{self, Draft, EntryKind, LedgerStore, Projection, SqliteStore};
    use muster_core::{DrillRecord, Format, ScoreInput, content_hash};

    let db = args.db.display().to_string();
    let fail = |e: &dyn std::fmt::Display| out::file_error(&db, e);
    let mut store = SqliteStore::open(&args.db).map_err(|e| fail(&e))?;
    let offset = FixedOffset::east_opt(8 * 3600).ok_or_else(|| fail(&"bad offset"))?;
    let at = offset
        .from_local_datetime(&args.date.and_hms_opt(18, 0, 0).unwrap_or_default())
        .single()
        .ok_or_else(|| fail(&"bad time"))?;
    let author = "muster-day";
    let append = |store: &mut SqliteStore, drafts: Vec<Draft>| -> Result<u64, Failure> {
        let written = store.append(&drafts).map_err(|e| fail(&e))?;
        Ok(written.last().map_or(0, |e| e.seq))
    };
    let first_use = store.tip().map_err(|e| fail(&e))?.is_none();
    if first_use {
        let mut roster = Vec::new();
        for m in &brigade.members {
            roster.push(Draft::new(
                author,
                at,
                EntryKind::MemberJoined {
                    member: m.id.clone(),
                    name: m.name.clone(),
                    squadron: m.squadron.clone(),
                    speciality: m.speciality.clone(),
                },
            ));
            for q in &m.skills {
                roster.push(Draft::new(
                    author,
                    at,
                    EntryKind::QualificationGranted {
                        member: m.id.clone(),
                        skill: q.skill.clone(),
                        level: q.level,
                        valid_until: q.valid_until,
                    },
                ));
            }
        }
        append(&mut store, roster)?;
    }
    let mut runs = 0;
    let mut scores = 0;
    for (id, package) in &scored.packages {
        let s = package.scenario();
        let package_hash = content_hash(serde_json::to_string(s).unwrap_or_default().as_bytes());
        if first_use {
            append(
                &mut store,
                vec![Draft::new(
                    author,
                    at,
                    EntryKind::ScenarioRegistered {
                        scenario: s.meta().id.clone(),
                        version: s.meta().version.to_string(),
                        package_hash: package_hash.clone(),
                    },
                )],
            )?;
        }
        for r in scored.runs.iter().filter(|r| r.drill == *id) {
            let record = DrillRecord::parse(r.name, r.text, Format::Json, s).map_err(|d| {
                out::diagnostics(&d);
                Failure::Input
            })?;
            let input = ScoreInput::new(s, &record);
            let members: Vec<String> = brigade
                .members_of(&record.team)
                .filter(|m| m.leader)
                .map(|m| m.id.clone())
                .collect();
            let run = append(
                &mut store,
                vec![Draft::new(
                    author,
                    at,
                    EntryKind::DrillRun {
                        scenario: s.meta().id.clone(),
                        version: s.meta().version.to_string(),
                        package_hash: package_hash.clone(),
                        members,
                        record,
                    },
                )],
            )?;
            runs += 1;
            let cards = std::iter::once((package, &r.card))
                .chain(r.wasm.as_ref().map(|c| (&scored.wasm, c)));
            for (p, card) in cards {
                append(
                    &mut store,
                    vec![Draft::new(
                        author,
                        at,
                        EntryKind::ScoreComputed {
                            run,
                            scorer: card.scorer.clone(),
                            params: p.params().clone(),
                            runtime: format!("muster-plugins {}", env!("CARGO_PKG_VERSION")),
                            input: None,
                            terms: Some(input.terms()),
                            card: card.clone(),
                        },
                    )],
                )?;
                scores += 1;
            }
        }
        package.keep_source(&mut store).map_err(|e| fail(&e))?;
    }
    if scored.runs.iter().any(|r| r.wasm.is_some()) {
        scored.wasm.keep_source(&mut store).map_err(|e| fail(&e))?;
    }
    let (contest_line, contest_same) =
        record_contest(&mut store, args, at, contest).map_err(|e| fail(&e))?;
    let report = ledger::verify(&store).map_err(|e| fail(&e))?;
    let replay = ledger::replay(&store, &crate::ledger::resolver(&store)).map_err(|e| fail(&e))?;
    println!("The day's ledger: {db}");
    println!(
        "  wrote {runs} drill runs and {scores} scores; {} entries in all, chain {} (tip {})",
        report.entries,
        match &report.problem {
            None => "verified".to_string(),
            Some(p) => format!("BROKEN: {p}"),
        },
        report.tip
    );
    println!(
        "  replayed {} stored scores with their recorded scorers: {} identical bit for bit, {} different, {} unresolved",
        replay.replayed,
        replay.identical,
        replay.diffs.len(),
        replay.unresolved.len()
    );
    println!("  {contest_line}");
    let entries = store.entries().map_err(|e| fail(&e))?;
    let projection = Projection::build(&entries);
    let alerts = projection.currency(args.date);
    println!(
        "  qualifications lapsing within 30 days of {}: {}",
        args.date,
        alerts.len()
    );
    println!(
        "Readiness by hazard on {} (members current in a skill of the hazard)",
        args.date
    );
    let mut t = out::table(&["squadron", "hazard", "current", "members"]);
    for l in projection.readiness(args.date) {
        t.add_row(vec![
            l.squadron,
            l.hazard,
            l.current.to_string(),
            l.members.to_string(),
        ]);
    }
    println!("{t}");
    if report.problem.is_some() || !replay.diffs.is_empty() || !contest_same {
        return Err(Failure::Input);
    }
    Ok(())
}

/// Records the daily contest in the ledger as competition
/// `daily-contest-DATE` (once per day and ledger), replays it from the
/// ledger, and says whether the replayed standings are the ones shown.
fn record_contest(
    store: &mut muster_core::ledger::SqliteStore,
    args: &DayArgs,
    at: chrono::DateTime<chrono::FixedOffset>,
    steps: &[muster_core::compete::CompetitionEntry],
) -> Result<(String, bool), muster_core::compete::LogError> {
    use muster_core::compete::{self, CompetitionLog, LogError};
    let id = format!("daily-contest-{}", args.date);
    let recorded = match CompetitionLog::load(store, &id) {
        Ok(_) => false,
        Err(LogError::UnknownCompetition { .. }) => {
            let mut log = CompetitionLog::create(
                store,
                muster_scenarios::DAILY_CONTEST_NAME,
                muster_scenarios::daily_contest_text(),
                Some(&id),
                "muster-day",
                at,
            )?;
            log.record(store, "muster-day", at, steps)?;
            true
        }
        Err(e) => return Err(e),
    };
    let log = CompetitionLog::load(store, &id)?;
    let replayed = log.contest()?.standings();
    let shown = compete::standings(log.competition(), steps).map_err(|e| LogError::Refused {
        index: e.index,
        error: Box::new(e.error),
    })?;
    let same = replayed == shown;
    let line = format!(
        "the daily contest is competition `{id}`: {} its {} steps; replayed from the ledger, its standings are {}",
        if recorded { "wrote" } else { "already held" },
        log.steps().len(),
        if same {
            "the ones shown above"
        } else {
            "DIFFERENT from the ones shown above"
        }
    );
    Ok((line, same))
}

/// Plans the sample brigade's coming week from the day's ledger (training
/// done, qualifications lapsing) and checks today's drill against the
/// on-duty squadron.
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
        db: Some(args.db.clone()),
        rules_only: false,
        export_instance: None,
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
fn score_wasm(scored: &mut Scored) -> Outcome {
    println!("The initial attack's runs, scored again by the same rule compiled to wasm");
    let mut t = out::table(&[
        "run",
        "wasm total",
        "status",
        "fuel used",
        "rhai total",
        "agree",
    ]);
    for r in scored.runs.iter_mut().filter(|r| r.drill == WASM_DRILL) {
        let run = scored
            .wasm
            .run(r.name, r.text)
            .map_err(|e| crate::score::report(&e))?;
        let card = run.result.map_err(|e| {
            crate::score::score_error(&e);
            Failure::Input
        })?;
        t.add_row(vec![
            run_name(r.name),
            format!("{:.2}", card.total),
            format!("{:?}", card.status).to_lowercase(),
            format!("{} of {}", run.stats.work_used, run.stats.work_limit),
            format!("{:.2}", r.card.total),
            if card.total.to_bits() == r.card.total.to_bits() && card.status == r.card.status {
                "yes, bit for bit".to_string()
            } else {
                "NO".to_string()
            },
        ]);
        r.wasm = Some(card);
    }
    println!("{t}");
    Ok(())
}

/// A run's short name: `record-a.json` → `a`.
fn run_name(file: &str) -> String {
    file.trim_start_matches("record-")
        .trim_end_matches(".json")
        .to_string()
}

/// The daily contest among the three squadrons, from the day's scored runs;
/// returns its steps, which the ledger records later.
fn contest(runs: &[DayRun]) -> Result<Vec<muster_core::compete::CompetitionEntry>, Failure> {
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
    let mut steps = Vec::new();
    for r in runs {
        if !comp.events.iter().any(|e| e.id == r.drill) {
            continue;
        }
        let mut a = Attempt::new(r.drill, r.team.clone());
        a.card = Some(r.card.clone());
        let step = CompetitionEntry::Attempt(a);
        if let Err(e) = contest.apply(&step) {
            eprintln!("{}: error: {e}", muster_scenarios::DAILY_CONTEST_NAME);
            return Err(Failure::Input);
        }
        steps.push(step);
    }
    println!("The daily contest 每日比武");
    crate::compete::print_standings(&contest.standings());
    Ok(steps)
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
fn score_samples() -> Result<Scored, Failure> {
    let mut packages = Vec::new();
    let mut runs = Vec::new();
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
                run_name(name),
                team.clone(),
                format!("{:.2}", card.total),
                status.to_string(),
                card.reason.clone(),
                format!("{:?} {}", card.scorer.kind, &card.scorer.hash[..15]).to_lowercase(),
            ]);
            runs.push(DayRun {
                drill: id,
                name,
                text,
                team,
                card,
                wasm: None,
            });
        }
        packages.push((id, package));
    }
    println!("{t}");
    let wasm = muster_plugins::Package::from_files(
        "builtin:forest-fire-initial-attack-wasm",
        muster_scenarios::initial_attack_wasm_files(),
        &muster_plugins::PackageOptions::default(),
    )
    .map_err(|e| crate::score::report(&e))?;
    Ok(Scored {
        packages,
        wasm,
        runs,
    })
}
