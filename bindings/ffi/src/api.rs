//! The facade: what an app can do with Muster, in plain records and a few
//! objects. UniFFI exports these items as they are; the C ABI (`c.rs`) wraps
//! the same items in opaque handles and returns the records as JSON.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, NaiveDate};
use muster_core::analysis::{self, MonteCarloOptions};
use muster_core::ledger::{
    self, Draft, HourQuery, LedgerError, LedgerStore, Projection, SqliteStore,
};
use muster_core::schedule::{self, PlanOptions, Syllabus};
use muster_core::{Brigade, Diagnostics, Format};
use muster_plugins::{PackageError, PackageOptions};

/// Why a call failed. Every variant carries a message that says what is
/// wrong, where (`file:line:col` for diagnostics, the script and its line for
/// scorers) and what would be right.
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum MusterError {
    /// The input is wrong: a scenario, record, brigade, syllabus or draft with
    /// diagnostics, bad JSON, a bad date or option.
    #[error("{message}")]
    Invalid {
        /// One line per problem, `file:line:col: error: message` where there is a place.
        message: String,
    },
    /// A file, folder or built-in does not exist or cannot be read.
    #[error("{message}")]
    NotFound {
        /// Which and why, with the built-ins listed when an id is unknown.
        message: String,
    },
    /// The scorer could not be loaded or could not score: a script error or a
    /// broken sandbox limit.
    #[error("{message}")]
    Score {
        /// The script, its line and column where known, and what went wrong.
        message: String,
    },
    /// The ledger refused an entry or its storage failed.
    #[error("{message}")]
    Ledger {
        /// The ledger file and what went wrong; nothing was written.
        message: String,
    },
    /// A plan could not be made at all.
    #[error("{message}")]
    Plan {
        /// Why, in brigade terms.
        message: String,
    },
    /// The caller's [`ProgressListener`] asked to stop; nothing was written.
    #[error("{message}")]
    Cancelled {
        /// How far it had got.
        message: String,
    },
}

impl MusterError {
    /// The message, whatever the kind.
    pub fn message(&self) -> &str {
        match self {
            MusterError::Invalid { message }
            | MusterError::NotFound { message }
            | MusterError::Score { message }
            | MusterError::Ledger { message }
            | MusterError::Plan { message }
            | MusterError::Cancelled { message } => message,
        }
    }
}

fn invalid(message: impl Into<String>) -> MusterError {
    MusterError::Invalid {
        message: message.into(),
    }
}

fn diagnostics_error(d: &Diagnostics) -> MusterError {
    invalid(d.to_string().trim_end())
}

fn package_error(e: PackageError) -> MusterError {
    match e {
        PackageError::Invalid(d) => diagnostics_error(&d),
        PackageError::Score(s) => MusterError::Score {
            message: s.to_string(),
        },
        PackageError::Io { .. } => MusterError::NotFound {
            message: e.to_string(),
        },
        other => invalid(other.to_string()),
    }
}

/// One problem found in an input, with its place.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub severity: String,
    /// The file (or name given to the text).
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
    /// The task the problem belongs to, when there is one.
    pub task: Option<String>,
    /// What is wrong and what would be right.
    pub message: String,
    /// The whole line as the command prints it: `file:line:col: error: message`.
    pub display: String,
}

/// The result of checking a scenario's text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct ScenarioCheck {
    /// True when the scenario has no errors (it may have warnings).
    pub valid: bool,
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks a scenario's text (TOML, or JSON when `name` ends in `.json`) and
/// reports every problem with its line and column.
#[uniffi::export]
pub fn check_scenario(name: String, text: String) -> ScenarioCheck {
    let checked = muster_core::Scenario::check(&name, &text, Format::from_name(&name));
    ScenarioCheck {
        valid: checked.scenario.is_some() && !checked.diagnostics.has_errors(),
        diagnostics: checked
            .diagnostics
            .into_iter()
            .map(|d| Diagnostic {
                severity: d.severity.to_string(),
                file: d.file.clone(),
                line: d.line as u64,
                column: d.column as u64,
                task: d.task.clone(),
                message: d.message.clone(),
                display: d.to_string(),
            })
            .collect(),
    }
}

/// A valid drill scenario (holding one means it passed every check).
#[derive(Debug, uniffi::Object)]
pub struct Scenario {
    inner: muster_core::Scenario,
}

/// How to analyse a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct AnalysisOptions {
    /// Monte Carlo runs, 1 to 10 000 000.
    pub runs: u32,
    /// Monte Carlo seed: the same seed gives the same numbers everywhere.
    pub seed: u64,
}

/// The timings of one task on likely durations.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct TaskTiming {
    /// Task id.
    pub id: String,
    /// Earliest start from the drill's start, seconds.
    pub earliest_start_secs: u64,
    /// Earliest finish, seconds.
    pub earliest_finish_secs: u64,
    /// How long the task may slip without delaying the drill, seconds.
    pub slack_secs: u64,
    /// True when the task is on the critical path.
    pub on_critical_path: bool,
    /// Share of simulated runs in which the task was critical.
    pub criticality: f64,
}

/// The spread of the drill's duration over simulated runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct MonteCarloSummary {
    /// Runs simulated.
    pub runs: u32,
    /// The seed used.
    pub seed: u64,
    /// Mean duration, seconds.
    pub mean_secs: f64,
    /// Median, seconds.
    pub p50_secs: f64,
    /// 80th percentile, seconds.
    pub p80_secs: f64,
    /// 95th percentile, seconds.
    pub p95_secs: f64,
}

/// Critical path, PERT and Monte Carlo of a scenario.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct Analysis {
    /// Scenario id.
    pub scenario: String,
    /// Task ids along the critical path, in order.
    pub critical_path: Vec<String>,
    /// The critical path's length on likely durations, seconds.
    pub length_secs: u64,
    /// PERT mean along the critical path, seconds.
    pub pert_mean_secs: f64,
    /// PERT standard deviation, seconds.
    pub pert_sd_secs: f64,
    /// Monte Carlo percentiles.
    pub monte_carlo: MonteCarloSummary,
    /// Every task's timings, in task order.
    pub tasks: Vec<TaskTiming>,
}

/// The most Monte Carlo runs one call may ask for.
const MAX_RUNS: u32 = 10_000_000;

#[uniffi::export]
impl Scenario {
    /// Loads a scenario from its text. `name` is used in diagnostics and picks
    /// the format (`.json` is JSON, anything else TOML). Fails with every
    /// error, one `file:line:col: error: message` line each.
    #[uniffi::constructor]
    pub fn from_text(name: String, text: String) -> Result<Arc<Scenario>, MusterError> {
        muster_core::Scenario::parse(&name, &text, Format::from_name(&name))
            .map(|inner| Arc::new(Scenario { inner }))
            .map_err(|d| diagnostics_error(&d))
    }

    /// Loads a scenario from a file, a package folder or `.tar`, or a
    /// built-in (`builtin:ID` or a bare built-in id). Generators run with
    /// their default parameters.
    #[uniffi::constructor]
    pub fn from_path(path: String) -> Result<Arc<Scenario>, MusterError> {
        let p = Path::new(&path);
        let needs_package = match builtin_id(&path) {
            Some(id) => muster_scenarios::generator(id).is_some(),
            None => path.ends_with(".tar") || p.join("generator.toml").is_file(),
        };
        if needs_package {
            let package = Package::open(path)?;
            return Ok(Arc::new(Scenario {
                inner: package.inner.scenario().clone(),
            }));
        }
        if let Some(id) = builtin_id(&path) {
            let b = find_builtin(id)?;
            let text = b.file("scenario.toml").unwrap_or_default();
            return Scenario::from_text(b.scenario_name(), text.to_string());
        }
        let file = if p.is_dir() {
            p.join("scenario.toml")
        } else {
            p.to_path_buf()
        };
        let text = read_text(&file)?;
        Scenario::from_text(file.display().to_string(), text)
    }

    /// The scenario's id, e.g. `forest-fire.initial-attack`.
    pub fn id(&self) -> String {
        self.inner.meta().id.clone()
    }

    /// The scenario's English name.
    pub fn name(&self) -> String {
        self.inner.meta().name.clone()
    }

    /// How many tasks the scenario has.
    pub fn task_count(&self) -> u32 {
        u32::try_from(self.inner.tasks().len()).unwrap_or(u32::MAX)
    }

    /// Critical path, PERT and a seeded Monte Carlo simulation.
    pub fn analyse(&self, options: AnalysisOptions) -> Result<Analysis, MusterError> {
        if options.runs == 0 || options.runs > MAX_RUNS {
            return Err(invalid(format!(
                "runs must be between 1 and {MAX_RUNS}, not {}",
                options.runs
            )));
        }
        let s = &self.inner;
        let cp = analysis::critical_path(s);
        let pert = analysis::pert(s, &cp);
        let mc = analysis::monte_carlo(
            s,
            &MonteCarloOptions {
                runs: options.runs,
                seed: options.seed,
                threads: 0,
            },
        );
        let tasks = s
            .tasks()
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let timing = cp.timings()[i];
                TaskTiming {
                    id: t.id.clone(),
                    earliest_start_secs: timing.earliest_start.as_secs(),
                    earliest_finish_secs: timing.earliest_finish.as_secs(),
                    slack_secs: timing.slack.as_secs(),
                    on_critical_path: cp.path().contains(&i),
                    criticality: mc.criticality.get(i).copied().unwrap_or_default(),
                }
            })
            .collect();
        Ok(Analysis {
            scenario: s.meta().id.clone(),
            critical_path: cp.path().iter().map(|&i| s.tasks()[i].id.clone()).collect(),
            length_secs: cp.length().as_secs(),
            pert_mean_secs: pert.mean_secs,
            pert_sd_secs: pert.sd_secs,
            monte_carlo: MonteCarloSummary {
                runs: mc.runs,
                seed: mc.seed,
                mean_secs: mc.mean_secs,
                p50_secs: mc.p50_secs,
                p80_secs: mc.p80_secs,
                p95_secs: mc.p95_secs,
            },
            tasks,
        })
    }
}

/// The built-in id a spec names: `builtin:ID`, or a bare id of a built-in.
fn builtin_id(spec: &str) -> Option<&str> {
    match spec.strip_prefix("builtin:") {
        Some(id) => Some(id),
        None => muster_scenarios::find(spec).map(|_| spec),
    }
}

fn find_builtin(id: &str) -> Result<&'static muster_scenarios::Builtin, MusterError> {
    muster_scenarios::find(id).ok_or_else(|| unknown_builtin(id))
}

fn unknown_builtin(id: &str) -> MusterError {
    MusterError::NotFound {
        message: format!(
            "builtin:{id}: no built-in scenario `{id}`; the built-ins are: {}",
            muster_scenarios::ids().join(", ")
        ),
    }
}

fn read_text(path: &Path) -> Result<String, MusterError> {
    std::fs::read_to_string(path).map_err(|e| MusterError::NotFound {
        message: format!("{}: cannot read the file: {e}", path.display()),
    })
}

/// A scenario package: a scenario and its sandboxed scorer (rhai or wasm).
#[derive(Debug, uniffi::Object)]
pub struct Package {
    inner: muster_plugins::Package,
}

/// One task's line on a score card.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct TaskScore {
    /// Task id.
    pub id: String,
    /// How long it took, seconds.
    pub seconds: f64,
    /// How it ended, e.g. `done`.
    pub status: String,
    /// The evaluator's HSEEP rating (P, S, M, U), if given.
    pub rating: Option<String>,
    /// Points the scorer gave the task, if it gives per-task points.
    pub points: Option<f64>,
    /// The scorer's note on the task.
    pub note: Option<String>,
}

/// A scored run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct ScoreCard {
    /// The total.
    pub total: f64,
    /// `valid`, `dnf` or `dq`.
    pub status: String,
    /// Why the status is DNF or DQ; empty when valid.
    pub reason: String,
    /// The scorer's notes.
    pub notes: Vec<String>,
    /// Per-task detail, by task id.
    pub tasks: Vec<TaskScore>,
    /// `native`, `rhai` or `wasm`.
    pub scorer_kind: String,
    /// The script or module name.
    pub scorer_name: String,
    /// `sha256:` and the digest of the script or module: reproduces the score.
    pub scorer_hash: String,
}

/// The snake-case name serde gives a unit enum value.
fn serde_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[uniffi::export]
impl Package {
    /// Opens a package: a folder, a `.tar` of one, or a built-in
    /// (`builtin:ID` or a bare built-in id such as `forest-fire.initial-attack`).
    #[uniffi::constructor]
    pub fn open(spec: String) -> Result<Arc<Package>, MusterError> {
        let options = PackageOptions::default();
        let opened = match builtin_id(&spec) {
            Some(id) => {
                let b = muster_scenarios::find(id)
                    .or_else(|| muster_scenarios::generator(id))
                    .ok_or_else(|| unknown_builtin(id))?;
                let files = b
                    .files()
                    .iter()
                    .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()));
                muster_plugins::Package::from_files(
                    &format!("builtin:{}", b.dir()),
                    files,
                    &options,
                )
            }
            None => muster_plugins::Package::open_with(&spec, &options),
        };
        opened
            .map(|inner| Arc::new(Package { inner }))
            .map_err(package_error)
    }

    /// The id of the package's scenario.
    pub fn scenario_id(&self) -> String {
        self.inner.scenario().meta().id.clone()
    }

    /// Scores a drill record (JSON text; `record_name` is used in
    /// diagnostics) with the package's scorer.
    pub fn score(
        &self,
        record_name: String,
        record_json: String,
    ) -> Result<ScoreCard, MusterError> {
        let scored = self
            .inner
            .score_record(&record_name, &record_json)
            .map_err(package_error)?;
        let tasks = scored
            .task_details()
            .map(|(id, d)| TaskScore {
                id: id.to_string(),
                seconds: d.seconds,
                status: serde_name(&d.status),
                rating: d.rating.map(|r| serde_name(&r)),
                points: d.points,
                note: d.note,
            })
            .collect();
        let card = scored.card;
        Ok(ScoreCard {
            total: card.total,
            status: serde_name(&card.status),
            reason: card.reason,
            notes: card.notes,
            tasks,
            scorer_kind: serde_name(&card.scorer.kind),
            scorer_name: card.scorer.name,
            scorer_hash: card.scorer.hash,
        })
    }
}

/// Told how far a long job has got, and asked whether to go on: an app
/// implements it to draw a progress bar and to let its user stop. (Not
/// `Progress`, which would clash with Foundation's in Swift.)
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    /// `done` of `total` (for a re-score, entries read of those stored);
    /// `false` stops the job, which then writes nothing. An error (an
    /// exception in the app's code) stops it too, and the job fails with it.
    fn update(&self, done: u64, total: u64) -> Result<bool, MusterError>;
}

/// An exception a [`ProgressListener`] raised that is not a [`MusterError`].
impl From<uniffi::UnexpectedUniFFICallbackError> for MusterError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> MusterError {
        MusterError::Cancelled {
            message: format!("the progress callback failed: {}", e.reason),
        }
    }
}

/// A training and competition ledger in a SQLite file: append-only and
/// hash-chained.
#[derive(Debug, uniffi::Object)]
pub struct Ledger {
    path: String,
    store: Mutex<SqliteStore>,
}

/// Which training hours to add up; empty fields mean "all".
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct HoursQuery {
    /// Only this member.
    pub member: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// From this time (RFC 3339), inclusive.
    pub since: Option<String>,
    /// Until this time (RFC 3339), exclusive.
    pub until: Option<String>,
}

/// Hours of one member in one category.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct HoursLine {
    /// Member id.
    pub member: String,
    /// Training category.
    pub category: String,
    /// Hours.
    pub hours: f64,
    /// Sessions attended.
    pub sessions: u64,
}

/// A qualification expired or expiring soon.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct CurrencyLine {
    /// Member id.
    pub member: String,
    /// Skill id.
    pub skill: String,
    /// Last day current (YYYY-MM-DD).
    pub valid_until: String,
    /// Days left on the report date (negative when expired).
    pub days_left: i64,
    /// The alert band.
    pub alert: String,
}

/// The result of checking a ledger's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// The hash of the last good entry.
    pub tip: String,
    /// Scorer sources kept beside the chain (see `Ledger.keep_source`), each
    /// checked against its hash.
    pub sources: u64,
    /// The first entry edited, removed or inserted, or a kept source
    /// changed; none when the ledger is whole.
    pub problem: Option<String>,
}

/// What re-scoring a package's stored runs did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct RescoreSummary {
    /// Stored drill runs of the package's scenario (its id and version).
    pub runs: u64,
    /// The first score entry appended; none when nothing was.
    pub first_entry: Option<u64>,
    /// The last score entry appended; none when nothing was.
    pub last_entry: Option<u64>,
    /// Runs the scorer could not score, as `drill run N: ERROR`; when there
    /// are any, nothing was appended.
    pub failed: Vec<String>,
}

/// One way a replayed score differs from the stored one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct ReplayDifference {
    /// The score entry: a `score_computed` entry, or a `scores_computed`
    /// entry of many runs' scores, as a re-score writes them.
    pub entry: u64,
    /// The drill run whose score differs.
    pub run: u64,
    /// Which part differs, e.g. `total` or `tasks.pump.points`.
    pub field: String,
    /// What was stored.
    pub stored: String,
    /// What the scorer gives now.
    pub replayed: String,
}

/// What re-running every stored score found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct ReplayReport {
    /// Scores re-run.
    pub replayed: u64,
    /// Scores reproduced bit for bit.
    pub identical: u64,
    /// Every difference.
    pub differences: Vec<ReplayDifference>,
    /// Scores whose scorer is neither native nor kept in the ledger, as
    /// `entry N: KIND NAME (HASH)`.
    pub unresolved: Vec<String>,
    /// Scores whose scorer failed now, as `entry N: ERROR`.
    pub failed: Vec<String>,
}

fn rfc3339(what: &str, text: &str) -> Result<DateTime<FixedOffset>, MusterError> {
    DateTime::parse_from_rfc3339(text).map_err(|e| {
        invalid(format!(
            "{what} `{text}` is not an RFC 3339 time ({e}); write e.g. 2026-12-01T08:00:00+08:00"
        ))
    })
}

fn date(what: &str, text: &str) -> Result<NaiveDate, MusterError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| {
        invalid(format!(
            "{what} `{text}` is not a date ({e}); write YYYY-MM-DD, e.g. 2026-12-01"
        ))
    })
}

impl Ledger {
    fn fail(&self, e: impl std::fmt::Display) -> MusterError {
        MusterError::Ledger {
            message: format!("{}: {e}", self.path),
        }
    }

    /// The re-score behind [`Ledger::rescore`], [`Ledger::rescore_with_progress`]
    /// and the C ABI's, with the progress as a plain callback.
    pub(crate) fn rescore_inner(
        &self,
        package: &Package,
        author: &str,
        at: &str,
        progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
    ) -> Result<RescoreSummary, MusterError> {
        let at = rfc3339("at", at)?;
        let report = package
            .inner
            .rescore_with_progress(&mut *self.lock()?, author, at, progress)
            .map_err(|e| match e {
                LedgerError::Cancelled { .. } => MusterError::Cancelled {
                    message: format!("{}: re-score {e}", self.path),
                },
                e => self.fail(format!("{e}; nothing more was written")),
            })?;
        Ok(RescoreSummary {
            runs: report.runs,
            first_entry: report.appended.map(|a| a.0),
            last_entry: report.appended.map(|a| a.1),
            failed: report
                .failed
                .iter()
                .map(|(seq, e)| format!("drill run {seq}: {e}"))
                .collect(),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, SqliteStore>, MusterError> {
        self.store
            .lock()
            .map_err(|_| self.fail("an earlier call panicked while it held the ledger"))
    }
}

#[uniffi::export]
impl Ledger {
    /// Opens the ledger at `path`, creating the file on first use.
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Ledger>, MusterError> {
        let store = SqliteStore::open(Path::new(&path)).map_err(|e| MusterError::Ledger {
            message: format!("{path}: {e}"),
        })?;
        Ok(Arc::new(Ledger {
            path,
            store: Mutex::new(store),
        }))
    }

    /// Appends drafts — one JSON object or an array of them, each
    /// `{"author", "at", "entry": {"kind": ...}}` — all or none, and returns
    /// the sequence numbers written.
    pub fn append(&self, drafts_json: String) -> Result<Vec<u64>, MusterError> {
        let value: serde_json::Value = serde_json::from_str(&drafts_json).map_err(|e| {
            invalid(format!(
                "<drafts>:{}:{}: error: {e}; write one ledger draft or an array of them",
                e.line(),
                e.column()
            ))
        })?;
        let drafts: Vec<Draft> = if value.is_array() {
            serde_json::from_value(value)
        } else {
            serde_json::from_value(value).map(|d| vec![d])
        }
        .map_err(|e| invalid(format!("<drafts>: error: not a ledger draft: {e}")))?;
        let written = self
            .lock()?
            .append(&drafts)
            .map_err(|e| self.fail(format!("{e}; nothing was written")))?;
        Ok(written.iter().map(|w| w.seq).collect())
    }

    /// How many entries the ledger holds.
    pub fn entry_count(&self) -> Result<u64, MusterError> {
        let tip = self.lock()?.tip().map_err(|e| self.fail(e))?;
        Ok(tip.map_or(0, |t| t.0))
    }

    /// Training hours by member and category.
    pub fn hours(&self, query: HoursQuery) -> Result<Vec<HoursLine>, MusterError> {
        let q = HourQuery {
            member: query.member.filter(|m| !m.is_empty()),
            category: query.category.filter(|c| !c.is_empty()),
            from: query.since.map(|t| rfc3339("since", &t)).transpose()?,
            to: query.until.map(|t| rfc3339("until", &t)).transpose()?,
        };
        let lines = self.lock()?.hours(&q).map_err(|e| self.fail(e))?;
        Ok(lines
            .into_iter()
            .map(|l| HoursLine {
                member: l.member,
                category: l.category,
                hours: l.hours,
                sessions: l.sessions,
            })
            .collect())
    }

    /// Qualifications expired or expiring within 30 days of `on` (YYYY-MM-DD).
    pub fn currency(&self, on: String) -> Result<Vec<CurrencyLine>, MusterError> {
        let day = date("on", &on)?;
        let entries = self.lock()?.entries().map_err(|e| self.fail(e))?;
        Ok(Projection::build(&entries)
            .currency(day)
            .into_iter()
            .map(|l| CurrencyLine {
                member: l.member,
                skill: l.skill,
                valid_until: l.valid_until.to_string(),
                days_left: l.days_left,
                alert: l.alert.to_string(),
            })
            .collect())
    }

    /// Checks the whole hash chain and names the first entry edited, removed
    /// or inserted.
    pub fn verify(&self) -> Result<VerifyReport, MusterError> {
        let store = self.lock()?;
        let report = ledger::verify(&*store).map_err(|e| self.fail(e))?;
        Ok(VerifyReport {
            entries: report.entries,
            tip: report.tip.to_string(),
            sources: report.sources,
            problem: report.problem.map(|p| p.to_string()),
        })
    }

    /// Keeps the package's scorer source (its rhai script or wasm module)
    /// in the ledger under its content hash, so that the scores it gives
    /// replay after the package is changed or gone. Call it when appending
    /// scores by the package; keeping it again changes nothing.
    pub fn keep_source(&self, package: Arc<Package>) -> Result<(), MusterError> {
        package
            .inner
            .keep_source(&mut *self.lock()?)
            .map_err(|e| self.fail(e))
    }

    /// Re-scores every stored run of the package's scenario (its id and
    /// version) with the package's scorer and appends the scores, by
    /// `author` at `at` (RFC 3339), in one write: nothing is written when
    /// any run fails. The scorer's source is kept in the ledger.
    pub fn rescore(
        &self,
        package: Arc<Package>,
        author: String,
        at: String,
    ) -> Result<RescoreSummary, MusterError> {
        self.rescore_inner(
            &package,
            &author,
            &at,
            &mut |_, _| ControlFlow::Continue(()),
        )
    }

    /// [`Ledger::rescore`], telling `progress` the entries read of those
    /// stored, every 4,096 entries and once at the end; its answer `false`
    /// stops the re-score with [`MusterError::Cancelled`] and nothing
    /// written. It is called on the thread that called this.
    pub fn rescore_with_progress(
        &self,
        package: Arc<Package>,
        author: String,
        at: String,
        progress: Arc<dyn ProgressListener>,
    ) -> Result<RescoreSummary, MusterError> {
        let mut raised = None;
        let summary = self.rescore_inner(&package, &author, &at, &mut |done, total| match progress
            .update(done, total)
        {
            Ok(true) => ControlFlow::Continue(()),
            Ok(false) => ControlFlow::Break(()),
            Err(e) => {
                raised = Some(e);
                ControlFlow::Break(())
            }
        });
        match raised {
            Some(e) => Err(MusterError::Cancelled {
                message: format!(
                    "{}: re-score stopped: {}; nothing was written",
                    self.path,
                    e.message()
                ),
            }),
            None => summary,
        }
    }

    /// Re-runs every stored score with its recorded scorer (a native one, or
    /// one whose source the ledger keeps) and reports every difference,
    /// comparing numbers by their bits.
    pub fn replay(&self) -> Result<ReplayReport, MusterError> {
        let store = self.lock()?;
        let resolve = |id: &muster_core::ScorerId| muster_plugins::recorded_scorer(&*store, id);
        let report = ledger::replay(&*store, &resolve).map_err(|e| self.fail(e))?;
        Ok(ReplayReport {
            replayed: report.replayed,
            identical: report.identical,
            differences: report
                .diffs
                .into_iter()
                .map(|d| ReplayDifference {
                    entry: d.seq,
                    run: d.run,
                    field: d.field,
                    stored: d.stored,
                    replayed: d.replayed,
                })
                .collect(),
            unresolved: report
                .unresolved
                .iter()
                .map(|(seq, id)| {
                    format!(
                        "entry {seq}: {} {} ({})",
                        serde_name(&id.kind),
                        id.name,
                        id.hash
                    )
                })
                .collect(),
            failed: report
                .failed
                .iter()
                .map(|(seq, e)| format!("entry {seq}: {e}"))
                .collect(),
        })
    }
}

/// What to plan: the brigade and syllabus, each TOML text or the name of the
/// sample (`builtin:brigade.toml`, `builtin:syllabus.toml`), and the days.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlanRequest {
    /// Brigade TOML, or `builtin:brigade.toml`.
    pub brigade: String,
    /// Syllabus TOML, or `builtin:syllabus.toml`.
    pub syllabus: String,
    /// First day (YYYY-MM-DD, local).
    pub first_day: String,
    /// Last day, included.
    pub last_day: String,
    /// Seed of the improvement search.
    pub seed: u64,
}

/// One planned session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct PlanSession {
    /// Local date, YYYY-MM-DD.
    pub date: String,
    /// Local start, HH:MM.
    pub start: String,
    /// Length in minutes.
    pub minutes: u32,
    /// Squadron id.
    pub squadron: String,
    /// Syllabus item id.
    pub item: String,
    /// Instructor's member id, when the item has one.
    pub instructor: Option<String>,
    /// Attendees' member ids.
    pub members: Vec<String>,
}

/// A plan: its sessions, its score and what it could not do.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct PlanSummary {
    /// First day planned.
    pub first_day: String,
    /// Last day planned.
    pub last_day: String,
    /// The brigade's time zone.
    pub time_zone: String,
    /// The sessions, by date and start.
    pub sessions: Vec<PlanSession>,
    /// Total penalty; lower is better.
    pub score: f64,
    /// Items not placed, each with its reason.
    pub unplaced: Vec<String>,
    /// Quotas not met, each with its reason.
    pub unmet: Vec<String>,
    /// Duty shifts without a leader.
    pub duty_gaps: Vec<String>,
}

/// The text and name of a brigade or syllabus given as text or a sample name.
fn sample_or_text<'a>(text: &'a str, kind: &str) -> (String, &'a str) {
    match text.trim() {
        muster_scenarios::SAMPLE_BRIGADE_NAME => (
            muster_scenarios::SAMPLE_BRIGADE_NAME.into(),
            muster_scenarios::sample_brigade_text(),
        ),
        muster_scenarios::SAMPLE_SYLLABUS_NAME => (
            muster_scenarios::SAMPLE_SYLLABUS_NAME.into(),
            muster_scenarios::sample_syllabus_text(),
        ),
        _ => (format!("<{kind}>"), text),
    }
}

/// Plans the syllabus over the days asked for.
#[uniffi::export]
pub fn plan_period(request: PlanRequest) -> Result<PlanSummary, MusterError> {
    let from = date("first_day", &request.first_day)?;
    let to = date("last_day", &request.last_day)?;
    if to < from {
        return Err(invalid(format!(
            "last_day {to} is before first_day {from}; the last day must not come before the first"
        )));
    }
    let (name, text) = sample_or_text(&request.brigade, "brigade");
    let brigade = Brigade::parse(&name, text).map_err(|d| diagnostics_error(&d))?;
    let (name, text) = sample_or_text(&request.syllabus, "syllabus");
    let syllabus = Syllabus::parse(&name, text, &brigade).map_err(|d| diagnostics_error(&d))?;
    let options = PlanOptions::new(from, to).seed(request.seed);
    let plan = schedule::plan(&brigade, &syllabus, &options).map_err(|e| MusterError::Plan {
        message: format!("{name}: {e}"),
    })?;
    Ok(PlanSummary {
        first_day: plan.from.to_string(),
        last_day: plan.to.to_string(),
        time_zone: plan.time_zone.clone(),
        score: plan.total_penalty(),
        sessions: plan
            .sessions
            .iter()
            .map(|s| PlanSession {
                date: s.date.to_string(),
                start: s.start.format("%H:%M").to_string(),
                minutes: s.minutes,
                squadron: s.squadron.clone(),
                item: s.item.clone(),
                instructor: s.instructor.clone(),
                members: s.members.clone(),
            })
            .collect(),
        unplaced: plan
            .unplaced
            .iter()
            .map(|u| {
                let dates: Vec<String> = u.dates.iter().map(|d| d.to_string()).collect();
                format!(
                    "{} for {} ({}) on {}: {}",
                    u.item,
                    u.squadron,
                    u.constraint,
                    dates.join(", "),
                    u.reason
                )
            })
            .collect(),
        unmet: plan
            .unmet
            .iter()
            .map(|u| {
                let who: Vec<String> = u.members.iter().map(|(m, h)| format!("{m} {h}h")).collect();
                format!(
                    "{} {} from {} ({}h each): {}: {}",
                    u.category,
                    u.per.name(),
                    u.period_start,
                    u.required_hours,
                    who.join(", "),
                    u.reason
                )
            })
            .collect(),
        duty_gaps: plan.duty_gaps.clone(),
    })
}
