//! `muster ledger`: keep the brigade's training and competition ledger.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate};
use clap::{Args, Subcommand, ValueEnum};
use muster_core::ledger::{
    self, Draft, HourQuery, LedgerError, LedgerStore, Projection, SqliteStore, XapiOptions,
};
use muster_core::{Scorer, ScorerId};

use crate::out::{self, Failure, Outcome};

/// Where the ledger file is.
#[derive(Debug, Args)]
pub struct Db {
    /// The ledger file (SQLite); created on first use.
    #[arg(long, default_value = "muster.db")]
    db: PathBuf,
}

impl std::ops::Deref for Db {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.db
    }
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Create the ledger file, or upgrade its schema, and show what it holds.
    Init(Db),
    /// Append entries from a JSON file: one draft or an array, all or none.
    ///
    /// A draft is `{"author": "m001", "at": "2021-06-01T08:00:00+08:00",
    /// "entry": {"kind": "training_attended", ...}}`.
    Record {
        #[command(flatten)]
        db: Db,
        /// The JSON file with the drafts.
        file: PathBuf,
        /// Also keep this package's scorer source in the ledger, for the
        /// scores the file holds, as `muster ledger keep` does (repeatable).
        /// Every package is opened before anything is written.
        #[arg(long = "keep", value_name = "PACKAGE")]
        keep: Vec<String>,
    },
    /// Answer a question from the ledger.
    Query {
        #[command(flatten)]
        db: Db,
        /// What to show.
        #[arg(value_enum)]
        what: Question,
        /// Only this member.
        #[arg(long)]
        member: Option<String>,
        /// Only this training category.
        #[arg(long)]
        category: Option<String>,
        /// From this time (RFC 3339), inclusive.
        #[arg(long)]
        from: Option<DateTime<FixedOffset>>,
        /// Until this time (RFC 3339), exclusive.
        #[arg(long)]
        to: Option<DateTime<FixedOffset>>,
        /// The day currency and readiness are judged on (YYYY-MM-DD).
        #[arg(long)]
        on: Option<NaiveDate>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check the whole hash chain and the kept scorer sources, and name the
    /// first entry edited, removed or inserted, or the source changed.
    Verify {
        #[command(flatten)]
        db: Db,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Keep a package's scorer source (its rhai script or wasm module) in the
    /// ledger, so the scores it gave replay after the package changes or goes.
    ///
    /// `muster day` and `muster ledger rescore` keep theirs themselves; use
    /// this after recording scores from a file with `muster ledger record`,
    /// or give that the package with `--keep`.
    Keep {
        #[command(flatten)]
        db: Db,
        /// A package folder, a .tar of one, or builtin:ID.
        package: String,
    },
    /// Re-run every stored score with its recorded scorer and report every difference.
    ///
    /// A scorer is found among Muster's native scorers, then the sources the
    /// ledger keeps, then the built-in packages.
    Replay {
        #[command(flatten)]
        db: Db,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Re-score every stored run of a package's scenario with the package's
    /// scorer and append the scores in one write: nothing written if any
    /// run fails.
    Rescore {
        #[command(flatten)]
        db: Db,
        /// A package folder, a .tar of one, or builtin:ID.
        package: String,
        /// Who records the scores.
        #[arg(long)]
        author: String,
        /// When (RFC 3339); now when left out.
        #[arg(long)]
        at: Option<DateTime<FixedOffset>>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write the ledger out as CSV, JSON lines or xAPI 1.0.3 statements.
    Export {
        #[command(flatten)]
        db: Db,
        /// The format.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The xAPI account home page and activity base.
        #[arg(long, default_value = "https://brigade.example")]
        home_page: String,
    },
    /// Add the members of a roster CSV (`id,name,squadron,speciality`), all or none.
    Import {
        #[command(flatten)]
        db: Db,
        /// The roster CSV.
        file: PathBuf,
        /// Who records the import.
        #[arg(long)]
        author: String,
        /// When (RFC 3339); now when left out.
        #[arg(long)]
        at: Option<DateTime<FixedOffset>>,
    },
}

/// The questions `muster ledger query` answers.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Question {
    /// Every entry.
    Entries,
    /// Training hours by member and category.
    Hours,
    /// Members × skills with level and expiry.
    Skills,
    /// Per squadron, members current in each hazard.
    Readiness,
    /// Qualifications expired or expiring within 30 days.
    Currency,
    /// Sessions, hours and drills per member.
    Attendance,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// One row per entry, with its canonical body.
    Csv,
    /// One JSON entry per line.
    Jsonl,
    /// xAPI 1.0.3 statements, as a JSON array.
    Xapi,
}

/// The scorers `replay` can re-run, found by their recorded id: the native
/// scorers, then the sources `store` keeps (see
/// [`muster_plugins::Package::keep_source`]), then the built-in packages as
/// this Muster ships them.
pub fn resolver(store: &dyn LedgerStore) -> impl Fn(&ScorerId) -> Option<Arc<dyn Scorer>> + '_ {
    move |id| muster_plugins::recorded_scorer(store, id).or_else(|| builtin_plugin_scorer(id))
}

/// The rhai or wasm scorer of a built-in package whose content hash is the
/// recorded one, loaded under its recorded name; for wasm, a module an
/// earlier release shipped is found too.
fn builtin_plugin_scorer(id: &ScorerId) -> Option<Arc<dyn Scorer>> {
    use muster_core::{ScorerKind, content_hash};
    let bytes = match id.kind {
        ScorerKind::Rhai => muster_scenarios::ids()
            .into_iter()
            .filter_map(muster_scenarios::find)
            .flat_map(|b| b.files().iter())
            .find(|(name, text)| {
                name.ends_with(".rhai") && content_hash(text.as_bytes()) == id.hash
            })?
            .1
            .as_bytes(),
        ScorerKind::Wasm => {
            muster_scenarios::builtin_wasm_modules().find(|bytes| content_hash(bytes) == id.hash)?
        }
        _ => return None,
    };
    muster_plugins::load_recorded(id, bytes)
}

fn open(db: &Path) -> Result<SqliteStore, Failure> {
    SqliteStore::open(db).map_err(|e| out::file_error(&db.display().to_string(), e))
}

/// Keeps `package`'s scorer source in the ledger and says so.
fn keep_source(
    store: &mut SqliteStore,
    package: &muster_plugins::Package,
    db: &Path,
) -> Result<(), Failure> {
    package.keep_source(store).map_err(|e| fail(db, e))?;
    let id = package.scorer().id();
    println!("kept {} ({})", id.name, id.hash);
    Ok(())
}

/// Turns Ctrl-C into a request to stop: the first press sets the flag this
/// returns, which a long write reads to abandon itself cleanly (SQLite then
/// rolls it back, so nothing is written); a second press stops the process
/// at once, which SQLite survives as well. Where no handler can be set the
/// flag is never set and Ctrl-C keeps its usual effect.
fn stop_on_ctrl_c(bar: &indicatif::ProgressBar) -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let (flag, bar) = (Arc::clone(&interrupted), bar.clone());
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::Relaxed) {
            std::process::exit(130);
        }
        bar.suspend(|| {
            eprintln!(
                "stopping: the re-score is abandoned at its next progress step and writes nothing \
                 (once every entry is read it finishes instead); press Ctrl-C again to stop at once"
            )
        });
    });
    interrupted
}

fn fail(db: &Path, e: impl std::fmt::Display) -> Failure {
    out::file_error(&db.display().to_string(), e)
}

/// Runs a `muster ledger` command.
pub fn run(cmd: LedgerCommand) -> Outcome {
    match cmd {
        LedgerCommand::Init(Db { db }) => {
            let store = open(&db)?;
            let version = store.schema_version().map_err(|e| fail(&db, e))?;
            let tip = store.tip().map_err(|e| fail(&db, e))?;
            let sources = store.source_hashes().map_err(|e| fail(&db, e))?.len();
            println!(
                "{}: schema version {version} (this Muster reads up to {}), {} entries, \
                 {sources} scorer sources",
                db.display(),
                muster_core::ledger::SCHEMA_VERSION,
                tip.map_or(0, |t| t.0)
            );
            Ok(())
        }
        LedgerCommand::Keep { db, package } => {
            let package = crate::score::open(&package, &[])?;
            keep_source(&mut open(&db)?, &package, &db)
        }
        LedgerCommand::Record { db, file, keep } => {
            let text = out::read_text(&file)?;
            let name = file.display().to_string();
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                eprintln!("{name}:{}:{}: error: {e}", e.line(), e.column());
                Failure::Input
            })?;
            let drafts: Vec<Draft> = if value.is_array() {
                serde_json::from_value(value)
            } else {
                serde_json::from_value(value).map(|d| vec![d])
            }
            .map_err(|e| out::file_error(&name, format!("not a ledger draft: {e}")))?;
            let packages = keep
                .iter()
                .map(|p| crate::score::open(p, &[]))
                .collect::<Result<Vec<_>, _>>()?;
            let mut store = open(&db)?;
            let written = store
                .append(&drafts)
                .map_err(|e| out::file_error(&name, format!("{e}; nothing was written")))?;
            match (written.first(), written.last()) {
                (Some(a), Some(b)) => println!("recorded entries {} to {}", a.seq, b.seq),
                _ => println!("nothing to record"),
            }
            for package in &packages {
                keep_source(&mut store, package, &db)?;
            }
            Ok(())
        }
        LedgerCommand::Query {
            db,
            what,
            member,
            category,
            from,
            to,
            on,
            json,
        } => {
            let store = open(&db)?;
            query(&store, &db, what, member, category, from, to, on, json)
        }
        LedgerCommand::Verify { db, json } => {
            let store = open(&db)?;
            let report = ledger::verify(&store).map_err(|e| fail(&db, e))?;
            if json {
                out::json(&report)?;
            } else if report.problem.is_none() {
                println!(
                    "ok: {} entries, one chain, tip {}; {} scorer sources, each matching its hash",
                    report.entries, report.tip, report.sources
                );
            }
            match &report.problem {
                None => Ok(()),
                Some(p) => Err(fail(&db, p)),
            }
        }
        LedgerCommand::Replay { db, json } => {
            let store = open(&db)?;
            let report = ledger::replay(&store, &resolver(&store)).map_err(|e| fail(&db, e))?;
            if json {
                out::json(&report)?;
            } else {
                println!(
                    "replayed {} scores: {} identical, {} differences, {} scorers not found, {} failed",
                    report.replayed,
                    report.identical,
                    report.diffs.len(),
                    report.unresolved.len(),
                    report.failed.len()
                );
                if !report.diffs.is_empty() {
                    let mut t = out::table(&["entry", "field", "stored", "replayed"]);
                    for d in &report.diffs {
                        t.add_row([
                            d.seq.to_string(),
                            d.field.clone(),
                            d.stored.clone(),
                            d.replayed.clone(),
                        ]);
                    }
                    println!("{t}");
                }
                for (seq, id) in &report.unresolved {
                    eprintln!(
                        "{}: error: entry {seq}: no scorer `{}` ({})",
                        db.display(),
                        id.name,
                        id.hash
                    );
                }
                for (seq, e) in &report.failed {
                    eprintln!("{}: error: entry {seq}: {e}", db.display());
                }
            }
            let clean =
                report.diffs.is_empty() && report.unresolved.is_empty() && report.failed.is_empty();
            if clean { Ok(()) } else { Err(Failure::Input) }
        }
        LedgerCommand::Export {
            db,
            format,
            out: path,
            home_page,
        } => {
            let store = open(&db)?;
            let entries = store.entries().map_err(|e| fail(&db, e))?;
            let mut buf = Vec::new();
            let written = match format {
                ExportFormat::Csv => ledger::export_csv(&entries, &mut buf),
                ExportFormat::Jsonl => ledger::export_jsonl(&entries, &mut buf),
                ExportFormat::Xapi => {
                    let opts = XapiOptions {
                        activity_base: format!("{}/muster", home_page.trim_end_matches('/')),
                        home_page,
                    };
                    let statements = ledger::export_xapi(&entries, &opts);
                    serde_json::to_writer_pretty(&mut buf, &statements)
                        .map_err(|e| std::io::Error::other(e.to_string()))
                }
            };
            written.map_err(|e| out::file_error("<output>", e))?;
            match path {
                Some(p) => std::fs::write(&p, &buf)
                    .map_err(|e| out::file_error(&p.display().to_string(), e)),
                None => {
                    use std::io::Write;
                    std::io::stdout()
                        .write_all(&buf)
                        .map_err(|e| out::file_error("<stdout>", e))
                }
            }
        }
        LedgerCommand::Rescore {
            db,
            package,
            author,
            at,
            json,
        } => {
            let bar = out::progress(0, "re-scoring: entries read");
            let interrupted = stop_on_ctrl_c(&bar);
            let package = crate::score::open(&package, &[])?;
            let at = at.unwrap_or_else(|| chrono::Local::now().fixed_offset());
            let mut store = open(&db)?;
            let scorer = package.scorer();
            let report =
                package.rescore_with_progress(&mut store, &author, at, &mut |read, stored| {
                    bar.set_length(stored);
                    bar.set_position(read);
                    if interrupted.load(Ordering::Relaxed) {
                        std::ops::ControlFlow::Break(())
                    } else {
                        std::ops::ControlFlow::Continue(())
                    }
                });
            bar.finish_and_clear();
            let report = match report {
                // Ctrl-C after the last progress step: the re-score had read
                // every entry and went on to write, so say it was written.
                Ok(r) if interrupted.load(Ordering::Relaxed) => {
                    eprintln!(
                        "{}: Ctrl-C came after the re-score had read every entry; \
                         it was not stopped, and its scores were written",
                        db.display()
                    );
                    r
                }
                Ok(r) => r,
                Err(e @ LedgerError::Cancelled { .. }) => {
                    eprintln!("{}: re-score interrupted: {e}", db.display());
                    return Err(Failure::Interrupted);
                }
                Err(e) => return Err(fail(&db, format!("{e}; nothing more was written"))),
            };
            if json {
                out::json(&report)?;
            } else {
                let scenario = &package.scenario().meta().id;
                match report.appended {
                    Some((from, to)) => println!(
                        "re-scored {} runs of {scenario} with {}: {}",
                        report.runs,
                        scorer.id().name,
                        if from == to {
                            format!("their scores are entry {from}")
                        } else {
                            format!("their scores are entries {from} to {to}")
                        }
                    ),
                    None if report.failed.is_empty() => {
                        println!("no stored runs of {scenario}: nothing to re-score")
                    }
                    None => {}
                }
            }
            for (seq, e) in &report.failed {
                eprintln!("{}: error: drill run {seq}: {e}", db.display());
            }
            if report.failed.is_empty() {
                Ok(())
            } else {
                eprintln!(
                    "{}: error: {} of {} runs could not be scored; nothing was written",
                    db.display(),
                    report.failed.len(),
                    report.runs
                );
                Err(Failure::Input)
            }
        }
        LedgerCommand::Import {
            db,
            file,
            author,
            at,
        } => {
            let text = out::read_text(&file)?;
            let name = file.display().to_string();
            let rows = ledger::import_roster(&name, &text).map_err(|d| {
                out::diagnostics(&d);
                Failure::Input
            })?;
            let at = at.unwrap_or_else(|| chrono::Local::now().fixed_offset());
            let drafts: Vec<Draft> = rows.iter().map(|r| r.draft(&author, at)).collect();
            let mut store = open(&db)?;
            let written = store.append(&drafts).map_err(|e| {
                let line = match &e {
                    ledger::LedgerError::AlreadyMember { member, .. } => rows
                        .iter()
                        .find(|r| &r.id == member)
                        .map_or(String::new(), |r| format!(":{}:1", r.line)),
                    _ => String::new(),
                };
                eprintln!("{name}{line}: error: {e}; nothing was written");
                Failure::Input
            })?;
            println!("imported {} members", written.len());
            Ok(())
        }
    }
}

#[allow(clippy::too_many_arguments)] // The query's flags, passed through as clap parsed them.
fn query(
    store: &SqliteStore,
    db: &Path,
    what: Question,
    member: Option<String>,
    category: Option<String>,
    from: Option<DateTime<FixedOffset>>,
    to: Option<DateTime<FixedOffset>>,
    on: Option<NaiveDate>,
    json: bool,
) -> Outcome {
    let day = on.unwrap_or_else(|| chrono::Local::now().date_naive());
    let projection = || -> Result<Projection, Failure> {
        Ok(Projection::build(
            &store.entries().map_err(|e| fail(db, e))?,
        ))
    };
    match what {
        Question::Entries => {
            let entries = store.entries().map_err(|e| fail(db, e))?;
            if json {
                return out::json(&entries);
            }
            let mut t = out::table(&["seq", "at", "author", "kind", "member"]);
            for e in &entries {
                t.add_row([
                    e.seq.to_string(),
                    e.at.to_rfc3339(),
                    e.author.clone(),
                    match &e.kind {
                        // Another module's fact: show whose and which, e.g. compete/attempt.
                        ledger::EntryKind::Extension { module, name, .. } => {
                            format!("{module}/{name}")
                        }
                        k => k.name().to_string(),
                    },
                    e.kind.subject().unwrap_or("").to_string(),
                ]);
            }
            println!("{t}");
        }
        Question::Hours => {
            let q = HourQuery {
                member,
                category,
                from,
                to,
            };
            let lines = store.hours(&q).map_err(|e| fail(db, e))?;
            if json {
                return out::json(&lines);
            }
            let mut t = out::table(&["member", "category", "sessions", "hours"]);
            for l in &lines {
                t.add_row([
                    l.member.clone(),
                    l.category.clone(),
                    l.sessions.to_string(),
                    format!("{:.2}", l.hours),
                ]);
            }
            println!("{t}");
        }
        Question::Skills => {
            let cells = projection()?.skills_matrix();
            if json {
                return out::json(&cells);
            }
            let mut t = out::table(&["member", "squadron", "skill", "level", "valid until"]);
            for c in &cells {
                t.add_row([
                    c.member.clone(),
                    c.squadron.clone(),
                    c.skill.clone(),
                    c.level.to_string(),
                    c.valid_until.map_or("-".into(), |d| d.to_string()),
                ]);
            }
            println!("{t}");
        }
        Question::Readiness => {
            let lines = projection()?.readiness(day);
            if json {
                return out::json(&lines);
            }
            let mut t = out::table(&["squadron", "hazard", "current", "members"]);
            for l in &lines {
                t.add_row([
                    l.squadron.clone(),
                    l.hazard.clone(),
                    l.current.to_string(),
                    l.members.to_string(),
                ]);
            }
            println!("{t}");
        }
        Question::Currency => {
            let lines = projection()?.currency(day);
            if json {
                return out::json(&lines);
            }
            let mut t = out::table(&["member", "skill", "valid until", "days left", "alert"]);
            for l in &lines {
                t.add_row([
                    l.member.clone(),
                    l.skill.clone(),
                    l.valid_until.to_string(),
                    l.days_left.to_string(),
                    l.alert.to_string(),
                ]);
            }
            println!("{t}");
        }
        Question::Attendance => {
            let lines = projection()?.attendance(from, to);
            if json {
                return out::json(&lines);
            }
            let mut t = out::table(&["member", "sessions", "hours", "drills"]);
            for l in &lines {
                t.add_row([
                    l.member.clone(),
                    l.sessions.to_string(),
                    format!("{:.2}", l.hours),
                    l.drills.to_string(),
                ]);
            }
            println!("{t}");
        }
    }
    Ok(())
}
