//! `muster`: check and analyse drill scenarios, score runs, keep ledgers.
//!
//! The command line only translates: it reads files, calls the library, and
//! prints. Exit codes: 0 done, 1 the input was wrong (diagnostics printed), 2 usage.

mod compete;
mod day;
mod drill;
mod ledger;
mod out;
mod plan;
mod plugin;
mod scenario;
mod score;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The command line's allocator. A season's re-score makes and lets go of
// millions of small strings and maps on several threads, and glibc's
// allocator took about a third of its time consolidating and unlinking
// chunks; the library leaves this choice to the app that embeds it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Muster plans, runs and scores a rescue brigade's drills and training.
///
/// Write a drill as a scenario file, check it, see how long it takes and
/// which tasks decide that, score a run, and keep the training ledger.
/// Start with `muster day` to see it all on the built-in drills.
#[derive(Debug, Parser)]
#[command(name = "muster", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write, check and analyse drill scenarios.
    #[command(subcommand)]
    Scenario(scenario::ScenarioCommand),
    /// Score a drill record with its scenario package's scorer.
    Score(score::ScoreArgs),
    /// Check scenario packages and run their scorers with resource reports.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Run a training day on the built-in drills and the sample brigade.
    Day(day::DayArgs),
    /// Run competitions in the ledger: create, attempts, protests, publish, standings, rejudge.
    #[command(subcommand)]
    Compete(compete::CompeteCommand),
    /// Plan the syllabus over a period: sessions, score, what was left out and why.
    Plan(plan::PlanArgs),
    /// Check drills against the day's roster.
    #[command(subcommand)]
    Drill(drill::DrillCommand),
    /// Keep the training ledger: record, query, verify, replay, export, import.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scenario(c) => scenario::run(c),
        Command::Score(a) => score::run(a),
        Command::Plugin(c) => plugin::run(c),
        Command::Day(a) => day::run(a),
        Command::Compete(c) => compete::run(c),
        Command::Plan(a) => plan::run(a),
        Command::Drill(c) => drill::run(c),
        Command::Ledger(c) => ledger::run(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(out::Failure::Input) => ExitCode::from(1),
        Err(out::Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(out::Failure::Interrupted) => ExitCode::from(130),
    }
}

/// `muster ... | head` closes the pipe early; stop quietly instead of
/// reporting a failed print as a crash.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
