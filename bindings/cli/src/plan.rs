//! `muster plan`: plan the syllabus for a period and show the plan, its score
//! and what could not be placed, with exports to .ics, CSV and JSON.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Args;
use muster_core::Brigade;
use muster_core::schedule::{self, Plan, PlanOptions, Session, Syllabus};

use crate::out::{self, Failure, Outcome};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The brigade file: squadrons, members, skills, equipment
    /// (`builtin:brigade.toml` for the sample brigade).
    #[arg(long, value_name = "FILE")]
    pub brigade: PathBuf,
    /// The syllabus file: day rules, duty rotation, items, quotas, leave
    /// (`builtin:syllabus.toml` for the sample syllabus).
    #[arg(long, value_name = "FILE")]
    pub syllabus: PathBuf,
    /// First day to plan (YYYY-MM-DD, local).
    #[arg(long, value_name = "DATE")]
    pub from: NaiveDate,
    /// Last day to plan, included.
    #[arg(long, value_name = "DATE")]
    pub to: NaiveDate,
    /// Seed of the improvement search; the same seed gives the same plan.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Published sessions to keep: a JSON list of sessions, as `--json` prints them.
    #[arg(long, value_name = "FILE")]
    pub pins: Option<PathBuf>,
    /// Write one .ics calendar per member and per squadron into this folder.
    #[arg(long, value_name = "DIR")]
    pub ics: Option<PathBuf>,
    /// Write the sessions as CSV to this file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Read members' training and qualification expiries from this SQLite
    /// ledger: those whose qualification lapses soonest train it first.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Place only the items' rule occurrences; add no sessions for quotas.
    #[arg(long)]
    pub rules_only: bool,
    /// Also write the planning problem as JSON (for another solver, e.g. the
    /// CP-SAT model in benches/cpsat/) to this file.
    #[arg(long, value_name = "FILE")]
    pub export_instance: Option<PathBuf>,
    /// Print the whole plan as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Reads training and qualification expiries from a ledger that must exist.
fn read_history(path: &Path) -> Result<schedule::History, Failure> {
    use muster_core::ledger::{LedgerStore, SqliteStore};
    let name = path.display().to_string();
    if !path.is_file() {
        return Err(out::file_error(
            &name,
            "no ledger here; give the file `muster ledger init` or `muster day --db` wrote",
        ));
    }
    let store = SqliteStore::open(path).map_err(|e| out::file_error(&name, e))?;
    let entries = store.entries().map_err(|e| out::file_error(&name, e))?;
    Ok(schedule::History::from_ledger(&entries))
}

/// The embedded sample file a path names (`builtin:brigade.toml`,
/// `builtin:syllabus.toml`), if it names one.
fn builtin_text(path: &Path) -> Option<&'static str> {
    match path.to_str()? {
        muster_scenarios::SAMPLE_BRIGADE_NAME => Some(muster_scenarios::sample_brigade_text()),
        muster_scenarios::SAMPLE_SYLLABUS_NAME => Some(muster_scenarios::sample_syllabus_text()),
        _ => None,
    }
}

fn read(path: &Path) -> Result<String, Failure> {
    match builtin_text(path) {
        Some(text) => Ok(text.to_string()),
        None => out::read_text(path),
    }
}

/// Reads and checks the brigade file (or `builtin:brigade.toml`, the sample brigade).
pub fn load_brigade(path: &Path) -> Result<Brigade, Failure> {
    let text = read(path)?;
    Brigade::parse(&path.display().to_string(), &text).map_err(|d| {
        out::diagnostics(&d);
        Failure::Input
    })
}

/// Reads and checks the syllabus file (or `builtin:syllabus.toml`) against the brigade.
pub fn load_syllabus(path: &Path, brigade: &Brigade) -> Result<Syllabus, Failure> {
    let text = read(path)?;
    Syllabus::parse(&path.display().to_string(), &text, brigade).map_err(|d| {
        out::diagnostics(&d);
        Failure::Input
    })
}

pub fn run(a: PlanArgs) -> Outcome {
    let days = (a.to - a.from).num_days();
    if days < 0 {
        return Err(Failure::Usage(format!(
            "--to {} is before --from {}; give a last day on or after the first",
            a.to, a.from
        )));
    }
    if days >= schedule::MAX_PLAN_DAYS {
        return Err(Failure::Usage(format!(
            "--from {} to --to {} is {} days; a plan covers at most {}",
            a.from,
            a.to,
            days + 1,
            schedule::MAX_PLAN_DAYS
        )));
    }
    let brigade = load_brigade(&a.brigade)?;
    let syllabus = load_syllabus(&a.syllabus, &brigade)?;
    let pins: Vec<Session> = match &a.pins {
        None => Vec::new(),
        Some(p) => {
            let text = out::read_text(p)?;
            serde_json::from_str(&text).map_err(|e| {
                eprintln!(
                    "{}:{}:{}: error: {e}; write a JSON list of sessions as `muster plan --json` prints them",
                    p.display(),
                    e.line(),
                    e.column()
                );
                Failure::Input
            })?
        }
    };
    let history = match &a.db {
        Some(db) => read_history(db)?,
        None => schedule::History::default(),
    };
    let bar = out::progress(1, "planning");
    let options = PlanOptions::new(a.from, a.to)
        .seed(a.seed)
        .pins(&pins)
        .history(&history)
        .top_up(!a.rules_only);
    if let Some(path) = &a.export_instance {
        let inst = schedule::instance(&brigade, &syllabus, &options)
            .map_err(|e| out::file_error(&a.syllabus.display().to_string(), e))?;
        let text = serde_json::to_string(&inst)
            .map_err(|e| out::file_error("<output>", format!("cannot write JSON: {e}")))?;
        std::fs::write(path, text).map_err(|e| {
            out::file_error(&path.display().to_string(), format!("cannot write: {e}"))
        })?;
    }
    let plan = schedule::plan(&brigade, &syllabus, &options).map_err(|e| {
        // A pin that cannot stand is the pins file's fault; the rest the syllabus's.
        let file = match (&e, &a.pins) {
            (schedule::PlanError::Pin { .. }, Some(p)) => p,
            _ => &a.syllabus,
        };
        out::file_error(&file.display().to_string(), e)
    })?;
    bar.finish_and_clear();
    if let Some(dir) = &a.ics {
        write_ics(dir, &plan, &brigade, &syllabus)?;
    }
    if let Some(path) = &a.csv {
        std::fs::write(path, schedule::csv(&plan, &brigade)).map_err(|e| {
            out::file_error(&path.display().to_string(), format!("cannot write: {e}"))
        })?;
    }
    if a.json {
        return out::json(&plan);
    }
    if let Some(db) = &a.db {
        println!(
            "Ledger {}: {} training records and {} qualifications read",
            db.display(),
            history.training.len(),
            history.expiry.len()
        );
    }
    print_plan(&plan, &brigade, &syllabus);
    Ok(())
}

fn write_ics(dir: &Path, plan: &Plan, brigade: &Brigade, syllabus: &Syllabus) -> Outcome {
    let fail = |e: std::io::Error| {
        out::file_error(&dir.display().to_string(), format!("cannot write: {e}"))
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    for s in &brigade.squadrons {
        let text = schedule::ics_for_squadron(plan, syllabus, &s.id);
        std::fs::write(dir.join(format!("squadron-{}.ics", s.id)), text).map_err(fail)?;
    }
    for m in &brigade.members {
        let text = schedule::ics_for_member(plan, syllabus, &m.id);
        std::fs::write(dir.join(format!("member-{}.ics", m.id)), text).map_err(fail)?;
    }
    Ok(())
}

fn print_plan(plan: &Plan, brigade: &Brigade, syllabus: &Syllabus) {
    println!(
        "Plan {} to {} ({}), seed {}: {} sessions, {} of them added to meet quotas",
        plan.from,
        plan.to,
        plan.time_zone,
        plan.seed,
        plan.sessions.len(),
        plan.sessions.iter().filter(|s| s.added).count()
    );
    println!(
        "Quota coverage: {:.1}% ({:.1} of {:.1} member-hours)",
        plan.coverage.ratio() * 100.0,
        plan.coverage.met_hours,
        plan.coverage.required_hours
    );
    let mut t = out::table(&["date", "time", "squadron", "item", "instructor", "members"]);
    const SHOWN: usize = 60;
    for s in plan.sessions.iter().take(SHOWN) {
        let sq = brigade
            .squadron(&s.squadron)
            .map_or(s.squadron.clone(), |x| match &x.name_zh {
                Some(zh) => format!("{} {zh}", x.name),
                None => x.name.clone(),
            });
        let item = syllabus
            .item(&s.item)
            .map_or(s.item.clone(), |i| match &i.name_zh {
                Some(zh) => format!("{} {zh}", i.name),
                None => i.name.clone(),
            });
        let (a, b) = s.span_minutes();
        t.add_row(vec![
            s.date.to_string(),
            format!(
                "{:02}:{:02}–{:02}:{:02}{}",
                a / 60,
                a % 60,
                b / 60,
                b % 60,
                if s.pinned {
                    " (pinned)"
                } else if s.added {
                    " (added)"
                } else {
                    ""
                }
            ),
            sq,
            item,
            s.instructor.clone().unwrap_or_else(|| "-".into()),
            format!("{} ({})", s.members.len(), s.members.join(" ")),
        ]);
    }
    println!("{t}");
    if plan.sessions.len() > SHOWN {
        println!(
            "… and {} more sessions (use --json, --csv or --ics for all)",
            plan.sessions.len() - SHOWN
        );
    }
    println!("\nScore (lower is better): {:.1}", plan.total_penalty());
    let mut t = out::table(&["constraint", "kind", "amount", "unit", "weight", "penalty"]);
    for l in &plan.score {
        t.add_row(vec![
            l.constraint.clone(),
            if l.hard { "hard".into() } else { "soft".into() },
            format!("{}", l.amount),
            l.unit.clone(),
            format!("{}", l.weight),
            format!("{}", l.penalty),
        ]);
    }
    println!("{t}");
    if !plan.duty_gaps.is_empty() {
        println!("\nDuty shifts without a leader:");
        for g in &plan.duty_gaps {
            println!("  {g}");
        }
    }
    if !plan.unplaced.is_empty() {
        println!("\nNot placed:");
        for u in &plan.unplaced {
            let dates = match u.dates.as_slice() {
                [d] => d.to_string(),
                [first, .., last] => format!("{} days from {first} to {last}", u.dates.len()),
                [] => String::new(),
            };
            println!(
                "  {} for {} ({}), {dates}: {}",
                u.item, u.squadron, u.constraint, u.reason
            );
        }
    }
    if !plan.unmet.is_empty() {
        println!("\nQuotas not met:");
        for u in &plan.unmet {
            let who: Vec<String> = u.members.iter().map(|(m, h)| format!("{m} {h}h")).collect();
            println!(
                "  {} {} from {} ({}h each): {}: {}",
                u.category,
                u.per.name(),
                u.period_start,
                u.required_hours,
                who.join(", "),
                u.reason
            );
        }
    }
}
