//! `muster compete ...`: standings and rejudging from files.
//!
//! Competitions live in the ledger; until a command has a ledger to read,
//! these commands read the competition file, attempts (CSV or JSON) and an
//! optional log of entries (JSON lines) and fold them.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use muster_core::compete::{Attempt, Competition, CompetitionEntry, Contest, Standings, Table};

use crate::out::{self, Failure, Outcome};

#[derive(Debug, Subcommand)]
pub enum CompeteCommand {
    /// Check a competition file and report every mistake with its line and column.
    Check {
        /// The competition file (TOML).
        competition: PathBuf,
        /// Print the competition as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show standings: every event, then the overall table.
    ///
    /// ATTEMPTS are CSV files (header row naming columns such as
    /// event,entrant,attempt,status,code,reason,time,penalties,items,marks,problems)
    /// or JSON files (one attempt object or a list). The log holds further
    /// entries as JSON lines: posted, protest, decision, publish, correction,
    /// rejudge. A refused attempt or entry is reported with its place and
    /// nothing is shown.
    Standings {
        /// The competition file (TOML).
        competition: PathBuf,
        /// Attempt files (.csv or .json).
        #[arg(required = true)]
        attempts: Vec<PathBuf>,
        /// A log of further entries, one JSON object per line.
        #[arg(long)]
        entries: Option<PathBuf>,
        /// Show only this event.
        #[arg(long)]
        event: Option<String>,
        /// table, csv, json or svg (a bar chart).
        #[arg(long, value_enum, default_value_t = StandingsFormat::Table)]
        format: StandingsFormat,
        /// The same as --format json.
        #[arg(long)]
        json: bool,
    },
    /// Re-score an event with a new scorer's cards and show the ranking before and after.
    ///
    /// CARDS is a JSON rejudge entry:
    /// {"entry": "rejudge", "event": ID, "scorer": {kind, name, hash},
    /// "cards": [{"entrant": ID, "attempt": N, "card": SCORE_CARD}, ...]}.
    Rejudge {
        /// The competition file (TOML).
        competition: PathBuf,
        /// Attempt files (.csv or .json).
        #[arg(required = true)]
        attempts: Vec<PathBuf>,
        /// The rejudge entry with the new score cards.
        #[arg(long)]
        cards: PathBuf,
        /// A log of further entries, one JSON object per line.
        #[arg(long)]
        entries: Option<PathBuf>,
        /// table, csv or json.
        #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
        format: DiffFormat,
        /// The same as --format json.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StandingsFormat {
    /// Tables for people.
    Table,
    /// CSV, each table after a `# title` line.
    Csv,
    /// JSON.
    Json,
    /// An SVG bar chart (overall totals, or the event's results with --event).
    Svg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A table for people.
    Table,
    /// CSV.
    Csv,
    /// JSON.
    Json,
}

pub fn run(c: CompeteCommand) -> Outcome {
    match c {
        CompeteCommand::Check { competition, json } => {
            let comp = load(&competition)?;
            if json {
                out::json(&comp)
            } else {
                println!(
                    "{}: ok, {} event(s), {} entrant(s)",
                    competition.display(),
                    comp.events.len(),
                    comp.entrants.len()
                );
                Ok(())
            }
        }
        CompeteCommand::Standings {
            competition,
            attempts,
            entries,
            event,
            format,
            json,
        } => {
            let comp = load(&competition)?;
            let contest = fold(&comp, &attempts, entries.as_deref())?;
            let s = contest.standings();
            let format = if json { StandingsFormat::Json } else { format };
            show_standings(&s, event.as_deref(), format)
        }
        CompeteCommand::Rejudge {
            competition,
            attempts,
            cards,
            entries,
            format,
            json,
        } => {
            let comp = load(&competition)?;
            let mut contest = fold(&comp, &attempts, entries.as_deref())?;
            let path = cards.display().to_string();
            let text = out::read_text(&cards)?;
            let entry: CompetitionEntry = serde_json::from_str(&text)
                .map_err(|e| out::file_error(&format!("{path}:{}:{}", e.line(), e.column()), e))?;
            let CompetitionEntry::Rejudge {
                event,
                scorer,
                cards,
            } = entry
            else {
                return Err(out::file_error(
                    &path,
                    "the file must hold one entry with \"entry\": \"rejudge\"",
                ));
            };
            let diff = contest
                .rejudge(&event, scorer, cards)
                .map_err(|e| out::file_error(&path, e))?;
            match if json { DiffFormat::Json } else { format } {
                DiffFormat::Json => out::json(&diff),
                DiffFormat::Csv => {
                    print!("{}", diff.table().csv());
                    Ok(())
                }
                DiffFormat::Table => {
                    print_table(&diff.table());
                    Ok(())
                }
            }
        }
    }
}

fn load(path: &Path) -> Result<Competition, Failure> {
    let text = out::read_text(path)?;
    Competition::parse(&path.display().to_string(), &text).map_err(|d| {
        out::diagnostics(&d);
        Failure::Input
    })
}

/// Applies every attempt file, then the log, reporting a refused one by its place.
fn fold<'c>(
    comp: &'c Competition,
    attempts: &[PathBuf],
    log: Option<&Path>,
) -> Result<Contest<'c>, Failure> {
    let mut contest = Contest::new(comp);
    for path in attempts {
        let name = path.display().to_string();
        let text = out::read_text(path)?;
        let csv = !name.to_ascii_lowercase().ends_with(".json");
        let parsed = if csv {
            Attempt::parse_csv(&name, &text)
        } else {
            Attempt::parse_json(&name, &text)
        };
        let list = parsed.map_err(|d| {
            out::diagnostics(&d);
            Failure::Input
        })?;
        // CSV rows are the non-blank lines after the header.
        let rows: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .skip(1)
            .map(|(i, _)| i + 1)
            .collect();
        for (i, a) in list.into_iter().enumerate() {
            if let Err(e) = contest.apply(&CompetitionEntry::Attempt(a)) {
                let at = match rows.get(i) {
                    Some(line) if csv => format!("{name}:{line}:1"),
                    _ => format!("{name}: attempt {}", i + 1),
                };
                return Err(out::file_error(&at, e));
            }
        }
    }
    if let Some(path) = log {
        let name = path.display().to_string();
        let text = out::read_text(path)?;
        let list = CompetitionEntry::parse_jsonl(&name, &text).map_err(|d| {
            out::diagnostics(&d);
            Failure::Input
        })?;
        let lines: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, _)| i + 1)
            .collect();
        for (i, e) in list.iter().enumerate() {
            if let Err(err) = contest.apply(e) {
                let line = lines.get(i).copied().unwrap_or(1);
                return Err(out::file_error(&format!("{name}:{line}:1"), err));
            }
        }
    }
    Ok(contest)
}

fn show_standings(s: &Standings, event: Option<&str>, format: StandingsFormat) -> Outcome {
    let one = match event {
        None => None,
        Some(id) => match s.events.iter().find(|e| e.event == id) {
            Some(e) => Some(e),
            None => {
                let ids: Vec<&str> = s.events.iter().map(|e| e.event.as_str()).collect();
                return Err(Failure::Usage(format!(
                    "no event `{id}` in this competition; its events are: {}",
                    ids.join(", ")
                )));
            }
        },
    };
    match (format, one) {
        (StandingsFormat::Json, Some(e)) => out::json(e),
        (StandingsFormat::Json, None) => out::json(s),
        (StandingsFormat::Csv, Some(e)) => {
            print!("{}", e.table().csv());
            Ok(())
        }
        (StandingsFormat::Csv, None) => {
            print!("{}", s.csv());
            Ok(())
        }
        (StandingsFormat::Svg, Some(e)) => {
            print!("{}", e.svg());
            Ok(())
        }
        (StandingsFormat::Svg, None) => {
            print!("{}", s.svg());
            Ok(())
        }
        (StandingsFormat::Table, Some(e)) => {
            print_table(&e.table());
            Ok(())
        }
        (StandingsFormat::Table, None) => {
            print_standings(s);
            Ok(())
        }
    }
}

/// Prints every table of the standings, events first, then the overall table.
pub fn print_standings(s: &Standings) {
    for (i, t) in s.tables().iter().enumerate() {
        if i > 0 {
            println!();
        }
        print_table(t);
    }
}

fn print_table(t: &Table) {
    let header: Vec<&str> = t.header.iter().map(String::as_str).collect();
    let mut table = out::table(&header);
    for r in &t.rows {
        table.add_row(r.iter().map(String::as_str));
    }
    println!("{}\n{table}", t.title);
}
