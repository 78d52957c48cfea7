//! `muster scenario ...`: check, show and draw drill scenarios.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use muster_core::analysis::{self, MonteCarloOptions};
use muster_core::render::{self, GraphFormat};
use muster_core::{Format, Scenario};

use crate::out::{self, Failure, Outcome};

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Check scenario files and report every mistake with its line and column.
    ///
    /// Each PATH is a scenario file (.toml or .json), a package folder holding
    /// scenario.toml, or `builtin:ID` for a drill that ships with Muster.
    /// Exits 0 when every file is valid, 1 otherwise.
    Check {
        /// Scenario files, package folders or builtin:ID.
        #[arg(required = true)]
        paths: Vec<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a scenario's timings: critical path, PERT estimate and Monte Carlo spread.
    ///
    /// The table lists each task's earliest start and finish and its slack
    /// (how long it may slip without delaying the drill), on likely durations.
    /// The Monte Carlo simulation draws every task's duration between its min
    /// and max (triangular, peaked at likely) and reports how long the drill
    /// takes in half (P50), 80% (P80) and 95% (P95) of runs.
    Show {
        /// A scenario file, package folder or builtin:ID.
        path: String,
        /// How many drills to simulate.
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
        runs: u32,
        /// Seed for the simulation: the same seed gives the same numbers.
        #[arg(long, default_value_t = 2021)]
        seed: u64,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draw a scenario's task graph with the critical path marked.
    Graph {
        /// A scenario file, package folder or builtin:ID.
        path: String,
        /// dot (Graphviz), mermaid (for Markdown pages) or svg (a Gantt chart).
        #[arg(long, value_enum, default_value_t = PictureFormat::Dot)]
        format: PictureFormat,
        /// Write to this file instead of the screen.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Print the JSON Schema of the scenario format, for editor completion.
    Schema,
    /// List the drills that ship with Muster: id, hazard, names, tasks and
    /// expected duration (the critical path on likely durations).
    ///
    /// Generators (drills sized by parameters, e.g. the number of people to
    /// rescue) are listed after the fixed drills, with their default parameters.
    List {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Copy a built-in package (scenario, scoring script, sample records) into
    /// a folder, as a starting point for a drill of your own.
    ///
    /// The folder is created if needed. Nothing is overwritten: if any of the
    /// package's files is already there, nothing is written and the command exits 1.
    Export {
        /// The built-in's id, e.g. `landslide.house-search` (see `muster scenario list`).
        id: String,
        /// The folder to write the package into.
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PictureFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
    /// SVG Gantt chart of earliest starts.
    Svg,
}

pub fn run(c: ScenarioCommand) -> Outcome {
    match c {
        ScenarioCommand::Check { paths, json } => check(&paths, json),
        ScenarioCommand::Show {
            path,
            runs,
            seed,
            json,
        } => show(
            &path,
            MonteCarloOptions {
                runs,
                seed,
                threads: 0,
            },
            json,
        ),
        ScenarioCommand::Graph {
            path,
            format,
            output,
        } => graph(&path, format, output.as_deref()),
        ScenarioCommand::Schema => {
            print!("{}", muster_core::scenario_schema());
            Ok(())
        }
        ScenarioCommand::List { json } => list(json),
        ScenarioCommand::Export { id, dir } => export(&id, &dir),
    }
}

/// The text of a scenario, its display name and format, from a file, a package
/// folder, or `builtin:ID`.
pub fn scenario_source(path: &str) -> Result<(String, String, Format), Failure> {
    if let Some(id) = path.strip_prefix("builtin:") {
        let b = builtin(path, id)?;
        let text = b.file("scenario.toml").unwrap_or_default().to_string();
        return Ok((b.scenario_name(), text, Format::Toml));
    }
    let p = Path::new(path);
    let file = if p.is_dir() {
        p.join("scenario.toml")
    } else {
        p.to_path_buf()
    };
    let text = out::read_text(&file)?;
    let name = file.display().to_string();
    let format = Format::from_name(&name);
    Ok((name, text, format))
}

/// The built-in package or generator `id`, or an input error listing them all.
pub fn builtin(spec: &str, id: &str) -> Result<&'static muster_scenarios::Builtin, Failure> {
    muster_scenarios::find(id).ok_or_else(|| {
        out::file_error(
            spec,
            format!(
                "no built-in scenario `{id}`; the built-ins are: {}",
                muster_scenarios::ids().join(", ")
            ),
        )
    })
}

/// True when the scenario at `path` comes out of a package run (a generator or
/// a .tar), not from a scenario file read as it is.
fn needs_package(path: &str) -> bool {
    match path.strip_prefix("builtin:") {
        Some(id) => muster_scenarios::generator(id).is_some(),
        None => path.ends_with(".tar") || Path::new(path).join("generator.toml").is_file(),
    }
}

/// Loads and checks a scenario, printing diagnostics when it is not valid.
/// Generators run with their default parameters.
pub fn load(path: &str) -> Result<Scenario, Failure> {
    if needs_package(path) {
        return Ok(crate::score::open(path, &[])?.scenario().clone());
    }
    let (name, text, format) = scenario_source(path)?;
    let checked = Scenario::check(&name, &text, format);
    out::diagnostics(&checked.diagnostics);
    checked.into_result().map_err(|_| Failure::Input)
}

fn check(paths: &[String], json: bool) -> Outcome {
    let mut failed = false;
    let mut report = Vec::new();
    for path in paths {
        if needs_package(path) {
            match load(path) {
                Ok(s) if !json => println!(
                    "ok: {path}: {} {} ({} tasks, generated)",
                    s.meta().id,
                    s.meta().version,
                    s.tasks().len()
                ),
                Ok(_) => report
                    .push(serde_json::json!({ "file": path, "valid": true, "diagnostics": [] })),
                Err(_) => {
                    failed = true;
                    if json {
                        report.push(serde_json::json!({ "file": path, "valid": false }));
                    }
                }
            }
            continue;
        }
        let (name, text, format) = match scenario_source(path) {
            Ok(x) => x,
            Err(_) => {
                failed = true;
                continue;
            }
        };
        let checked = Scenario::check(&name, &text, format);
        let ok = checked.scenario.is_some();
        failed |= !ok;
        if json {
            report.push(serde_json::json!({
                "file": name,
                "valid": ok,
                "diagnostics": checked.diagnostics,
            }));
        } else {
            out::diagnostics(&checked.diagnostics);
            if let Some(s) = &checked.scenario {
                println!(
                    "ok: {name}: {} {} ({} tasks, {} on likely durations)",
                    s.meta().id,
                    s.meta().version,
                    s.tasks().len(),
                    analysis::critical_path(s).length()
                );
            }
        }
    }
    if json {
        out::json(&report)?;
    }
    if failed { Err(Failure::Input) } else { Ok(()) }
}

/// Everything `scenario show` reports, as printed with `--json`.
#[derive(serde::Serialize)]
pub struct Report<'a> {
    pub scenario: &'a muster_core::ScenarioMeta,
    pub tasks: Vec<TaskRow<'a>>,
    pub critical_path: Vec<&'a str>,
    pub length_secs: u64,
    pub pert: analysis::Pert,
    pub monte_carlo: analysis::MonteCarlo,
}

#[derive(serde::Serialize)]
pub struct TaskRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub name_zh: Option<&'a str>,
    pub duration: &'a muster_core::TaskDuration,
    pub critical: bool,
    #[serde(flatten)]
    pub timing: analysis::TaskTiming,
    pub on_critical_path: bool,
    pub criticality: f64,
}

pub fn report<'a>(s: &'a Scenario, options: &MonteCarloOptions) -> Report<'a> {
    let cp = analysis::critical_path(s);
    let pert = analysis::pert(s, &cp);
    let bar = out::progress(u64::from(options.runs), "simulating");
    let mc = analysis::monte_carlo_with_progress(s, options, &mut |done| {
        bar.set_position(u64::from(done))
    });
    bar.finish_and_clear();
    let tasks = s
        .tasks()
        .iter()
        .enumerate()
        .map(|(i, t)| TaskRow {
            id: &t.id,
            name: &t.name,
            name_zh: t.name_zh.as_deref(),
            duration: &t.duration,
            critical: t.critical,
            timing: cp.timings()[i],
            on_critical_path: cp.path().contains(&i),
            criticality: mc.criticality[i],
        })
        .collect();
    Report {
        scenario: s.meta(),
        tasks,
        critical_path: cp
            .path()
            .iter()
            .map(|&i| s.tasks()[i].id.as_str())
            .collect(),
        length_secs: cp.length().as_secs(),
        pert,
        monte_carlo: mc,
    }
}

/// Prints a report as a trainer reads it.
pub fn print_report(r: &Report<'_>) {
    let m = r.scenario;
    println!(
        "{}{}  ({} {}, {})",
        m.name,
        m.name_zh
            .as_deref()
            .map(|z| format!(" {z}"))
            .unwrap_or_default(),
        m.id,
        m.version,
        m.hazard
    );
    if let Some(limit) = m.time_limit {
        println!("Time limit: {limit}");
    }
    let mut t = out::table(&[
        "task",
        "name",
        "duration min/likely/max",
        "earliest start",
        "earliest finish",
        "slack",
        "critical path",
        "critical task",
        "critical in runs",
    ]);
    for row in &r.tasks {
        let name = match row.name_zh {
            Some(zh) => format!("{}\n{zh}", row.name),
            None => row.name.to_string(),
        };
        let d = row.duration;
        t.add_row(vec![
            row.id.to_string(),
            name,
            format!("{} / {} / {}", d.min(), d.likely(), d.max()),
            row.timing.earliest_start.to_string(),
            row.timing.earliest_finish.to_string(),
            row.timing.slack.to_string(),
            if row.on_critical_path { "yes" } else { "" }.to_string(),
            if row.critical { "yes" } else { "" }.to_string(),
            format!("{:.0}%", row.criticality * 100.0),
        ]);
    }
    println!("{t}");
    println!(
        "Critical path: {}  ({} min on likely durations)",
        r.critical_path.join(" → "),
        out::minutes(r.length_secs as f64)
    );
    println!(
        "PERT along the critical path: {} ± {} min",
        out::minutes(r.pert.mean_secs),
        out::minutes(r.pert.sd_secs)
    );
    let mc = &r.monte_carlo;
    println!(
        "Monte Carlo ({} runs, seed {}, triangular durations): P50 {} min, P80 {} min, P95 {} min",
        mc.runs,
        mc.seed,
        out::minutes(mc.p50_secs),
        out::minutes(mc.p80_secs),
        out::minutes(mc.p95_secs)
    );
}

fn show(path: &str, options: MonteCarloOptions, json: bool) -> Outcome {
    let s = load(path)?;
    let r = report(&s, &options);
    if json {
        out::json(&r)
    } else {
        print_report(&r);
        Ok(())
    }
}

fn graph(path: &str, format: PictureFormat, output: Option<&Path>) -> Outcome {
    let s = load(path)?;
    let cp = analysis::critical_path(&s);
    let format = match format {
        PictureFormat::Dot => GraphFormat::Dot,
        PictureFormat::Mermaid => GraphFormat::Mermaid,
        PictureFormat::Svg => GraphFormat::Svg,
    };
    let picture = render::render(&s, &cp, format);
    match output {
        Some(file) => std::fs::write(file, picture).map_err(|e| {
            out::file_error(&file.display().to_string(), format!("cannot write: {e}"))
        }),
        None => {
            print!("{picture}");
            Ok(())
        }
    }
}

/// One line of `scenario list`, as printed with `--json`.
#[derive(serde::Serialize)]
struct ListRow {
    id: &'static str,
    kind: &'static str,
    hazard: String,
    name: String,
    name_zh: Option<String>,
    /// Tasks; absent for a generator, whose size depends on its parameters.
    tasks: Option<usize>,
    /// Critical path on likely durations, in seconds; absent for a generator.
    expected_secs: Option<u64>,
    /// A generator's default parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<String>,
}

fn list(json: bool) -> Outcome {
    let mut rows = Vec::new();
    let mut failed = false;
    for b in muster_scenarios::builtins() {
        match b.scenario() {
            Ok(s) => {
                let m = s.meta();
                rows.push(ListRow {
                    id: b.id(),
                    kind: "scenario",
                    hazard: m.hazard.clone(),
                    name: m.name.clone(),
                    name_zh: m.name_zh.clone(),
                    tasks: Some(s.tasks().len()),
                    expected_secs: Some(analysis::critical_path(&s).length().as_secs()),
                    params: None,
                });
            }
            Err(d) => {
                out::diagnostics(&d);
                failed = true;
            }
        }
    }
    for g in muster_scenarios::generators() {
        let text = g.file("generator.toml").unwrap_or_default();
        let (name, name_zh) = g.generator_names().unwrap_or((g.id(), ""));
        rows.push(ListRow {
            id: g.id(),
            kind: "generator",
            hazard: g.id().split('.').next().unwrap_or_default().to_string(),
            name: name.to_string(),
            name_zh: (!name_zh.is_empty()).then(|| name_zh.to_string()),
            tasks: None,
            expected_secs: None,
            params: Some(generator_params(text)),
        });
    }
    if json {
        out::json(&rows)?;
    } else {
        let mut t = out::table(&["id", "hazard", "name", "tasks", "expected"]);
        for r in &rows {
            let name = match &r.name_zh {
                Some(zh) => format!("{}\n{zh}", r.name),
                None => r.name.clone(),
            };
            let (tasks, expected) = match (r.tasks, r.expected_secs, &r.params) {
                (Some(n), Some(secs), _) => {
                    (n.to_string(), format!("{} min", out::minutes(secs as f64)))
                }
                (_, _, Some(p)) => ("generator".to_string(), p.clone()),
                _ => (String::new(), String::new()),
            };
            t.add_row(vec![
                r.id.to_string(),
                r.hazard.clone(),
                name,
                tasks,
                expected,
            ]);
        }
        println!("{t}");
    }
    if failed { Err(Failure::Input) } else { Ok(()) }
}

/// A generator's default parameters as `key=value, ...`, from `[generator.params]`.
fn generator_params(text: &str) -> String {
    let mut in_params = false;
    let mut parts = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.starts_with('[') {
            in_params = line == "[generator.params]";
        } else if in_params && let Some((k, v)) = line.split_once('=') {
            parts.push(format!("{}={}", k.trim(), v.trim()));
        }
    }
    parts.join(", ")
}

fn export(id: &str, dir: &Path) -> Outcome {
    let Some(b) = muster_scenarios::builtin(id).or_else(|| muster_scenarios::generator(id)) else {
        let ids: Vec<&str> = muster_scenarios::builtins()
            .iter()
            .chain(muster_scenarios::generators())
            .map(|b| b.id())
            .collect();
        return Err(out::file_error(
            id,
            format!(
                "no built-in scenario `{id}`; the built-ins are: {}",
                ids.join(", ")
            ),
        ));
    };
    let taken: Vec<String> = b
        .files()
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !taken.is_empty() {
        return Err(out::file_error(
            &dir.display().to_string(),
            format!(
                "will not overwrite {}; export into an empty or new folder",
                taken.join(", ")
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        out::file_error(
            &dir.display().to_string(),
            format!("cannot create the folder: {e}"),
        )
    })?;
    for (name, text) in b.files() {
        let path = dir.join(name);
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
        if let Err(e) = written {
            return Err(out::file_error(
                &path.display().to_string(),
                format!("cannot write: {e}"),
            ));
        }
    }
    println!(
        "exported {} ({} files) to {}",
        b.id(),
        b.files().len(),
        dir.display()
    );
    Ok(())
}
