//! `muster`: check and analyse drill scenarios, score runs, keep ledgers.
//!
//! The command line only translates: it reads files, calls the library, and
//! prints. Exit codes: 0 done, 1 the input was wrong (diagnostics printed), 2 usage.

mod day;
mod ledger;
mod out;
mod scenario;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Run a training day on the built-in drills and the sample brigade.
    Day(day::DayArgs),
    /// Keep the training ledger: record, query, verify, replay, export, import.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scenario(c) => scenario::run(c),
        Command::Day(a) => day::run(a),
        Command::Ledger(c) => ledger::run(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(out::Failure::Input) => ExitCode::from(1),
        Err(out::Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
