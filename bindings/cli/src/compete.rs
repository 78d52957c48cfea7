//! `muster compete ...`: competitions kept in the ledger, and standings and
//! rejudging straight from files.
//!
//! `create` adopts a competition file into the ledger; `attempt`, `post`,
//! `protest`, `publish`, `correct` and `rejudge` append its steps, each
//! checked against the competition as the ledger holds it before anything
//! is written. `standings` and `rejudge` take either a competition id (read
//! from `--db`) or, when the argument names a file, the competition file with
//! attempt files and an optional log of entries (JSON lines), folded without
//! a ledger.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use clap::{Args, Subcommand, ValueEnum};
use muster_core::compete::{
    Attempt, Competition, CompetitionEntry, CompetitionLog, Contest, LogError, Outcome as Verdict,
    Standings, Table,
};
use muster_core::ledger::SqliteStore;

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
    /// Adopt a competition file into the ledger and print its id.
    ///
    /// The ledger keeps the file's text and content hash; every later step
    /// names the competition by this id.
    Create {
        /// The competition file (TOML).
        file: PathBuf,
        /// Record it under this id instead of the file's (e.g. one id per day
        /// for a file used every day).
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        book: Book,
    },
    /// Record attempts: one from flags, or many from a file, all or none.
    #[command(subcommand)]
    Attempt(AttemptCommand),
    /// Post an event's provisional results: its protest window opens now (or --at).
    Post {
        /// The competition id.
        competition: String,
        /// The event.
        #[arg(long)]
        event: String,
        #[command(flatten)]
        book: Book,
    },
    /// Lodge or decide protests.
    #[command(subcommand)]
    Protest(ProtestCommand),
    /// Make results official: one event, or every event not yet official.
    ///
    /// Refused while a protest on the event is open.
    Publish {
        /// The competition id.
        competition: String,
        /// Only this event.
        #[arg(long)]
        event: Option<String>,
        #[command(flatten)]
        book: Book,
    },
    /// Correct a recorded attempt with a new entry; the old one stays in the ledger.
    Correct {
        /// The competition id.
        competition: String,
        /// The event.
        #[arg(long)]
        event: String,
        /// The entrant.
        #[arg(long)]
        entrant: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        fields: Box<Fields>,
        #[command(flatten)]
        book: Book,
    },
    /// Show standings: every event, then the overall table.
    ///
    /// TARGET is a competition id in the ledger (--db), whose standings are
    /// live: each event is marked provisional, protested or official. When
    /// TARGET names a file, it is a competition file and ATTEMPTS are CSV
    /// files (header row naming columns such as
    /// event,entrant,attempt,status,code,reason,time,penalties,items,marks,problems)
    /// or JSON files (one attempt object or a list); --entries holds further
    /// entries as JSON lines: posted, protest, decision, publish, correction,
    /// rejudge. A refused attempt or entry is reported with its place and
    /// nothing is shown.
    Standings {
        /// A competition id in the ledger, or a competition file (TOML).
        target: String,
        /// With a competition file: attempt files (.csv or .json).
        attempts: Vec<PathBuf>,
        /// With a competition file: a log of further entries, one JSON object per line.
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
        /// The ledger file (SQLite), when TARGET is a competition id.
        #[arg(long, default_value = "muster.db")]
        db: PathBuf,
    },
    /// Re-score an event with a new scorer's cards and show the ranking before and after.
    ///
    /// CARDS is a JSON rejudge entry:
    /// {"entry": "rejudge", "event": ID, "scorer": {kind, name, hash},
    /// "cards": [{"entrant": ID, "attempt": N, "card": SCORE_CARD}, ...]}.
    /// With a competition id the rejudge is recorded in the ledger; with a
    /// competition file and attempt files it is only shown.
    Rejudge {
        /// A competition id in the ledger, or a competition file (TOML).
        target: String,
        /// With a competition file: attempt files (.csv or .json).
        attempts: Vec<PathBuf>,
        /// The rejudge entry with the new score cards.
        #[arg(long)]
        cards: PathBuf,
        /// With a competition file: a log of further entries, one JSON object per line.
        #[arg(long)]
        entries: Option<PathBuf>,
        /// table, csv or json.
        #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
        format: DiffFormat,
        /// The same as --format json.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        book: Book,
    },
}

/// The ledger a step is written to, who writes it, and when.
#[derive(Debug, Args)]
pub struct Book {
    /// The ledger file (SQLite); created on first use.
    #[arg(long, default_value = "muster.db")]
    db: PathBuf,
    /// Who records the step (a member id or account).
    #[arg(long, default_value = "judge")]
    author: String,
    /// When it happened (RFC 3339, e.g. 2026-12-05T10:20:00+08:00); now when left out.
    #[arg(long)]
    at: Option<DateTime<FixedOffset>>,
}

impl Book {
    fn at(&self) -> DateTime<FixedOffset> {
        use chrono::SubsecRound;
        // Whole seconds: the time is shown to judges and kept in the ledger.
        self.at
            .unwrap_or_else(|| chrono::Local::now().fixed_offset().trunc_subsecs(0))
    }

    fn name(&self) -> String {
        self.db.display().to_string()
    }

    fn open(&self) -> Result<SqliteStore, Failure> {
        SqliteStore::open(&self.db).map_err(|e| out::file_error(&self.name(), e))
    }

    /// Opens the ledger and loads a competition from it.
    fn load(&self, id: &str) -> Result<(SqliteStore, CompetitionLog), Failure> {
        let store = self.open()?;
        let log = CompetitionLog::load(&store, id).map_err(|e| self.refused(&e))?;
        Ok((store, log))
    }

    /// Reports an error that left the ledger unchanged.
    fn refused(&self, e: &LogError) -> Failure {
        out::file_error(&self.name(), format!("{e} (nothing was written)"))
    }

    /// Checks and appends steps; returns the first and last entry written.
    fn record(
        &self,
        store: &mut SqliteStore,
        log: &mut CompetitionLog,
        steps: &[CompetitionEntry],
    ) -> Result<(u64, u64), Failure> {
        let written = log
            .record(store, &self.author, self.at(), steps)
            .map_err(|e| self.refused(&e))?;
        Ok((
            written.first().map_or(0, |e| e.seq),
            written.last().map_or(0, |e| e.seq),
        ))
    }
}

/// An attempt's fields, written as in an attempts CSV.
#[derive(Debug, Args)]
pub struct Fields {
    /// Attempt number from 1; the next free number when left out (a
    /// correction must name it).
    #[arg(long)]
    attempt: Option<String>,
    /// ok, dns, dnf or dq.
    #[arg(long)]
    status: Option<String>,
    /// The fault or reason code of a DNS, DNF or DQ.
    #[arg(long)]
    code: Option<String>,
    /// Seconds (time-penalty rule).
    #[arg(long)]
    time: Option<String>,
    /// Fault codes with counts, e.g. "drop:1;cone:2" (time-penalty rule).
    #[arg(long)]
    penalties: Option<String>,
    /// Item codes with counts, e.g. "correct:3;partial:1" (points rule).
    #[arg(long)]
    items: Option<String>,
    /// Judges' marks, e.g. "8;9;9;9;10" (marks rule).
    #[arg(long)]
    marks: Option<String>,
    /// Problems as ID:SOLVED_AT:WRONG, e.g. "A:34:1;B::2" (count-time rule).
    #[arg(long)]
    problems: Option<String>,
}

impl Fields {
    fn given(&self) -> bool {
        [
            &self.attempt,
            &self.status,
            &self.code,
            &self.time,
            &self.penalties,
            &self.items,
            &self.marks,
            &self.problems,
        ]
        .iter()
        .any(|f| f.is_some())
    }

    /// The attempt the flags describe, each value checked as a CSV cell is.
    fn attempt(
        &self,
        event: &str,
        entrant: &str,
        reason: Option<&str>,
    ) -> Result<Attempt, Failure> {
        let mut a = Attempt::new(event, entrant);
        let cells = [
            ("attempt", &self.attempt),
            ("status", &self.status),
            ("code", &self.code),
            ("time", &self.time),
            ("penalties", &self.penalties),
            ("items", &self.items),
            ("marks", &self.marks),
            ("problems", &self.problems),
        ];
        for (column, value) in cells {
            if let Some(v) = value {
                a.set(column, v).map_err(|e| {
                    eprintln!("--{column}: error: {e} (nothing was written)");
                    Failure::Input
                })?;
            }
        }
        if let Some(r) = reason {
            a.reason = Some(r.to_string());
        }
        Ok(a)
    }
}

#[derive(Debug, Subcommand)]
pub enum AttemptCommand {
    /// Record one attempt.
    Add {
        /// The competition id.
        competition: String,
        /// The event.
        #[arg(long)]
        event: String,
        /// The entrant.
        #[arg(long)]
        entrant: String,
        /// Why a DNS, DNF or DQ, in words.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        fields: Box<Fields>,
        #[command(flatten)]
        book: Book,
    },
    /// Record every attempt of a CSV or JSON file, all or none.
    Import {
        /// The competition id.
        competition: String,
        /// Attempts: CSV (header row naming columns) or JSON (one attempt or a list).
        file: PathBuf,
        #[command(flatten)]
        book: Book,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProtestCommand {
    /// Lodge a protest against an entrant's result; it holds that result.
    Lodge {
        /// The competition id.
        competition: String,
        /// The protest's id, unique in the competition.
        #[arg(long)]
        id: String,
        /// The event.
        #[arg(long)]
        event: String,
        /// The entrant whose result is protested.
        #[arg(long)]
        entrant: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        book: Book,
    },
    /// Decide a protest: uphold it (optionally with the corrected attempt) or reject it.
    Decide {
        /// The competition id.
        competition: String,
        /// The protest's id.
        protest: String,
        /// Uphold the protest; with attempt flags (--attempt N and the
        /// rule's fields) the corrected attempt replaces that attempt.
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        uphold: bool,
        /// Reject the protest; the result stands.
        #[arg(long)]
        reject: bool,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Whose attempt the correction replaces, when not the protested
        /// entrant's (e.g. a member of a protested team).
        #[arg(long)]
        entrant: Option<String>,
        #[command(flatten)]
        fields: Box<Fields>,
        #[command(flatten)]
        book: Book,
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
        CompeteCommand::Create { file, id, book } => {
            let text = out::read_text(&file)?;
            let name = file.display().to_string();
            let mut store = book.open()?;
            let log = CompetitionLog::create(
                &mut store,
                &name,
                &text,
                id.as_deref(),
                &book.author,
                book.at(),
            )
            .map_err(|e| match e {
                LogError::File(d) => {
                    out::diagnostics(&d);
                    Failure::Input
                }
                e => book.refused(&e),
            })?;
            println!("{}", log.competition().id);
            Ok(())
        }
        CompeteCommand::Attempt(AttemptCommand::Add {
            competition,
            event,
            entrant,
            reason,
            fields,
            book,
        }) => {
            let a = fields.attempt(&event, &entrant, reason.as_deref())?;
            let (mut store, mut log) = book.load(&competition)?;
            let (seq, _) = book.record(&mut store, &mut log, &[CompetitionEntry::Attempt(a)])?;
            println!("recorded the attempt of `{entrant}` in `{event}` as ledger entry {seq}");
            Ok(())
        }
        CompeteCommand::Attempt(AttemptCommand::Import {
            competition,
            file,
            book,
        }) => {
            let (name, text, list) = read_attempts(&file)?;
            let (mut store, mut log) = book.load(&competition)?;
            let steps: Vec<CompetitionEntry> =
                list.into_iter().map(CompetitionEntry::Attempt).collect();
            if steps.is_empty() {
                return Err(out::file_error(&name, "the file holds no attempts"));
            }
            let written = log.record(&mut store, &book.author, book.at(), &steps);
            match written {
                Ok(w) => {
                    println!(
                        "recorded {} attempts as ledger entries {} to {}",
                        w.len(),
                        w.first().map_or(0, |e| e.seq),
                        w.last().map_or(0, |e| e.seq)
                    );
                    Ok(())
                }
                Err(LogError::Refused { index, error }) => Err(out::file_error(
                    &attempt_place(&name, &text, index - 1),
                    format!("{error} (nothing was written)"),
                )),
                Err(e) => Err(book.refused(&e)),
            }
        }
        CompeteCommand::Post {
            competition,
            event,
            book,
        } => {
            let (mut store, mut log) = book.load(&competition)?;
            let at = book.at();
            let (seq, _) = book.record(
                &mut store,
                &mut log,
                &[CompetitionEntry::Posted {
                    event: event.clone(),
                    at,
                }],
            )?;
            let window = log
                .competition()
                .event(&event)
                .map_or(0, |e| e.protest_window_secs);
            println!(
                "posted the results of `{event}` at {at} (ledger entry {seq}); protests may be lodged until {}",
                at + chrono::Duration::seconds(i64::try_from(window).unwrap_or(0))
            );
            Ok(())
        }
        CompeteCommand::Protest(ProtestCommand::Lodge {
            competition,
            id,
            event,
            entrant,
            reason,
            book,
        }) => {
            let (mut store, mut log) = book.load(&competition)?;
            let step = CompetitionEntry::Protest {
                id: id.clone(),
                event: event.clone(),
                entrant: entrant.clone(),
                at: book.at(),
                reason,
            };
            let (seq, _) = book.record(&mut store, &mut log, &[step])?;
            println!(
                "lodged protest `{id}` against `{entrant}` in `{event}` (ledger entry {seq}); the result is held until the protest is decided"
            );
            Ok(())
        }
        CompeteCommand::Protest(ProtestCommand::Decide {
            competition,
            protest,
            uphold,
            reject: _,
            reason,
            entrant: whose,
            fields,
            book,
        }) => {
            if whose.is_some() && !fields.given() {
                return Err(Failure::Usage(
                    "--entrant names whose attempt an upheld protest corrects; give the corrected attempt too (--attempt N and the rule's fields)".into(),
                ));
            }
            let (mut store, mut log) = book.load(&competition)?;
            let mut corrected = Vec::new();
            if fields.given() {
                // The corrected attempt is the protested entrant's, in the protest's event.
                let (event, entrant) = log.protest(&protest).ok_or_else(|| {
                    book.refused(&LogError::Refused {
                        index: 1,
                        error: Box::new(muster_core::compete::CompeteError::UnknownProtest {
                            protest: protest.clone(),
                            message: format!(
                                "no protest `{protest}` was lodged in `{competition}`, so there is no attempt to correct"
                            ),
                        }),
                    })
                })?;
                let entrant = whose.as_deref().unwrap_or(entrant);
                corrected.push(fields.attempt(event, entrant, None)?);
            }
            let outcome = if uphold {
                Verdict::Upheld
            } else {
                Verdict::Rejected
            };
            let step = CompetitionEntry::Decision {
                protest: protest.clone(),
                at: book.at(),
                outcome,
                reason,
                corrected,
            };
            let (seq, _) = book.record(&mut store, &mut log, &[step])?;
            println!(
                "protest `{protest}` {} (ledger entry {seq})",
                if uphold { "upheld" } else { "rejected" }
            );
            Ok(())
        }
        CompeteCommand::Publish {
            competition,
            event,
            book,
        } => {
            let (mut store, mut log) = book.load(&competition)?;
            let at = book.at();
            let events: Vec<String> = match event {
                Some(e) => vec![e],
                None => {
                    let contest = log.contest().map_err(|e| book.refused(&e))?;
                    log.competition()
                        .events
                        .iter()
                        .filter(|e| {
                            contest.event_state(&e.id) != muster_core::compete::EventState::Official
                        })
                        .map(|e| e.id.clone())
                        .collect()
                }
            };
            if events.is_empty() {
                println!("every event of `{competition}` is already official");
                return Ok(());
            }
            let steps: Vec<CompetitionEntry> = events
                .iter()
                .map(|e| CompetitionEntry::Publish {
                    event: e.clone(),
                    at,
                })
                .collect();
            let (first, last) = book.record(&mut store, &mut log, &steps)?;
            println!(
                "published {}: official (ledger entries {first} to {last})",
                events
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        CompeteCommand::Correct {
            competition,
            event,
            entrant,
            reason,
            fields,
            book,
        } => {
            let attempt = fields.attempt(&event, &entrant, None)?;
            let (mut store, mut log) = book.load(&competition)?;
            let (seq, _) = book.record(
                &mut store,
                &mut log,
                &[CompetitionEntry::Correction { attempt, reason }],
            )?;
            println!(
                "recorded the correction of `{entrant}` in `{event}` as ledger entry {seq}; the old attempt stays in the ledger"
            );
            Ok(())
        }
        CompeteCommand::Standings {
            target,
            attempts,
            entries,
            event,
            format,
            json,
            db,
        } => {
            let format = if json { StandingsFormat::Json } else { format };
            if let Some(file) = competition_file(&target, &attempts, entries.as_deref())? {
                let comp = load(&file)?;
                let contest = fold(&comp, &attempts, entries.as_deref())?;
                return show_standings(&contest.standings(), event.as_deref(), format);
            }
            let book = Book {
                db,
                author: String::new(),
                at: None,
            };
            let (_, log) = book.load(&target)?;
            let contest = log
                .contest()
                .map_err(|e| out::file_error(&book.name(), e))?;
            show_standings(&contest.standings(), event.as_deref(), format)
        }
        CompeteCommand::Rejudge {
            target,
            attempts,
            cards,
            entries,
            format,
            json,
            book,
        } => {
            let path = cards.display().to_string();
            let text = out::read_text(&cards)?;
            let entry: CompetitionEntry = serde_json::from_str(&text)
                .map_err(|e| out::file_error(&format!("{path}:{}:{}", e.line(), e.column()), e))?;
            let CompetitionEntry::Rejudge {
                event,
                scorer,
                cards,
            } = entry.clone()
            else {
                return Err(out::file_error(
                    &path,
                    "the file must hold one entry with \"entry\": \"rejudge\"",
                ));
            };
            let diff = if let Some(file) = competition_file(&target, &attempts, entries.as_deref())?
            {
                let comp = load(&file)?;
                let mut contest = fold(&comp, &attempts, entries.as_deref())?;
                contest
                    .rejudge(&event, scorer, cards)
                    .map_err(|e| out::file_error(&path, e))?
            } else {
                let (mut store, mut log) = book.load(&target)?;
                let diff = {
                    let mut contest = log.contest().map_err(|e| book.refused(&e))?;
                    contest
                        .rejudge(&event, scorer, cards)
                        .map_err(|e| out::file_error(&path, format!("{e} (nothing was written)")))?
                };
                book.record(&mut store, &mut log, &[entry])?;
                diff
            };
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

/// `Some(file)` when TARGET names a file (the file form); `None` for a
/// competition id in the ledger, which takes no attempt files or log.
fn competition_file(
    target: &str,
    attempts: &[PathBuf],
    entries: Option<&Path>,
) -> Result<Option<PathBuf>, Failure> {
    let path = PathBuf::from(target);
    if path.is_file() {
        if attempts.is_empty() {
            return Err(Failure::Usage(format!(
                "`{target}` is a competition file, so name its attempt files too (e.g. `{target} attempts.csv`); to read a competition from the ledger, give its id"
            )));
        }
        return Ok(Some(path));
    }
    if target.ends_with(".toml") {
        return Err(out::file_error(
            target,
            "cannot read the file: there is no such file (a competition id in the ledger has no .toml)",
        ));
    }
    if !attempts.is_empty() || entries.is_some() {
        return Err(Failure::Usage(format!(
            "there is no file `{target}`; attempt files and --entries go with a competition file, while a competition id is read from the ledger alone"
        )));
    }
    Ok(None)
}

/// Reads an attempts file: CSV unless it ends in .json.
fn read_attempts(path: &Path) -> Result<(String, String, Vec<Attempt>), Failure> {
    let name = path.display().to_string();
    let text = out::read_text(path)?;
    let parsed = if is_csv(&name) {
        Attempt::parse_csv(&name, &text)
    } else {
        Attempt::parse_json(&name, &text)
    };
    let list = parsed.map_err(|d| {
        out::diagnostics(&d);
        Failure::Input
    })?;
    Ok((name, text, list))
}

fn is_csv(name: &str) -> bool {
    !name.to_ascii_lowercase().ends_with(".json")
}

/// Where the `index`th (0-based) attempt of a file is: `file:line:1` for CSV
/// (rows are the non-blank lines after the header), `file: attempt N` for JSON.
fn attempt_place(name: &str, text: &str, index: usize) -> String {
    let line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .skip(1)
        .nth(index)
        .map(|(i, _)| i + 1);
    match line {
        Some(line) if is_csv(name) => format!("{name}:{line}:1"),
        _ => format!("{name}: attempt {}", index + 1),
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
        let (name, text, list) = read_attempts(path)?;
        for (i, a) in list.into_iter().enumerate() {
            if let Err(e) = contest.apply(&CompetitionEntry::Attempt(a)) {
                return Err(out::file_error(&attempt_place(&name, &text, i), e));
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
