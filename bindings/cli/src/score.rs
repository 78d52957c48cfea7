//! `muster score PACKAGE RECORD`: score a drill run with its package's scorer.

use std::path::Path;

use clap::Args;
use muster_core::{ScoreCard, ScoreError, ScoreInput, ScoreStatus};
use muster_plugins::{Package, PackageError, PackageOptions};

use crate::out::{self, Failure, Outcome};

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// A package folder, a .tar of one, or builtin:ID.
    pub package: String,
    /// The drill record (JSON).
    pub record: String,
    /// Print the score card as JSON.
    #[arg(long)]
    pub json: bool,
    /// A generator parameter, KEY=VALUE (VALUE as JSON, else text); repeatable.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, serde_json::Value)>,
}

/// Parses `KEY=VALUE`, reading VALUE as JSON and falling back to text.
pub fn parse_param(s: &str) -> Result<(String, serde_json::Value), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE, e.g. victims=5"))?;
    if k.is_empty() {
        return Err(format!("`{s}` has no KEY before `=`, e.g. victims=5"));
    }
    let value =
        serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()));
    Ok((k.to_string(), value))
}

pub fn run(a: ScoreArgs) -> Outcome {
    let package = open(&a.package, &a.params)?;
    let text = out::read_text(Path::new(&a.record))?;
    let scored = package
        .score_record(&a.record, &text)
        .map_err(|e| report(&e))?;
    if a.json {
        return out::json(&card_report(&scored.input, &scored.card));
    }
    print_card(&package, &scored.input, &scored.card);
    Ok(())
}

/// A card as the command line writes it in JSON: its fields in their own
/// order, with each task of the record under `tasks` (its seconds, status
/// and rating with the scorer's points and note).
#[derive(serde::Serialize)]
pub struct CardReport<'a> {
    total: f64,
    status: ScoreStatus,
    reason: &'a str,
    notes: &'a [String],
    tasks: std::collections::BTreeMap<&'a str, muster_core::TaskDetail>,
    scorer: &'a muster_core::ScorerId,
}

/// The [`CardReport`] of `card`, which scored `input`.
pub fn card_report<'a>(input: &'a ScoreInput, card: &'a ScoreCard) -> CardReport<'a> {
    CardReport {
        total: card.total,
        status: card.status,
        reason: &card.reason,
        notes: &card.notes,
        tasks: card.task_details(input).collect(),
        scorer: &card.scorer,
    }
}

/// Opens a package from a folder, a tar, or `builtin:ID`, printing what is
/// wrong when it cannot.
pub fn open(spec: &str, params: &[(String, serde_json::Value)]) -> Result<Package, Failure> {
    let mut options = PackageOptions::default();
    options.params.extend(params.iter().cloned());
    let opened = if let Some(id) = spec.strip_prefix("builtin:") {
        let b = crate::scenario::builtin(spec, id)?;
        let files = b
            .files()
            .iter()
            .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()));
        Package::from_files(&format!("builtin:{}", b.dir()), files, &options)
    } else {
        Package::open_with(spec, &options)
    };
    opened.map_err(|e| report(&e))
}

/// Prints a package error as `file:line:col: error: message` lines.
pub fn report(e: &PackageError) -> Failure {
    match e {
        PackageError::Invalid(d) => out::diagnostics(d),
        PackageError::Score(s) => score_error(s),
        PackageError::Manifest {
            file,
            line,
            column,
            message,
        } => eprintln!("{file}:{line}:{column}: error: {message}"),
        PackageError::Layout { path, message } => eprintln!("{path}: error: {message}"),
        other => eprintln!("error: {other}"),
    }
    Failure::Input
}

/// Prints a scorer error as `script:line:col: error: message`.
pub fn score_error(e: &ScoreError) {
    let place = |script: &str, line: &Option<usize>, column: &Option<usize>| match (line, column) {
        (Some(l), Some(c)) => format!("{script}:{l}:{c}"),
        (Some(l), None) => format!("{script}:{l}"),
        _ => script.to_string(),
    };
    match e {
        ScoreError::Runtime {
            script,
            line,
            column,
            message,
        }
        | ScoreError::Load {
            script,
            line,
            column,
            message,
        } => eprintln!("{}: error: {message}", place(script, line, column)),
        ScoreError::Limit {
            script,
            limit,
            detail,
        } => eprintln!("{script}: error: the scorer hit the {limit} limit ({detail})"),
        ScoreError::Output { script, message } => {
            eprintln!("{script}: error: bad result: {message}")
        }
        other => eprintln!("error: {other}"),
    }
}

fn status(s: ScoreStatus) -> &'static str {
    match s {
        ScoreStatus::Valid => "valid",
        ScoreStatus::Dnf => "dnf",
        ScoreStatus::Dq => "dq",
    }
}

/// Prints a score card as tables: the summary, then per-task detail.
pub fn print_card(package: &Package, input: &ScoreInput, card: &ScoreCard) {
    let meta = package.scenario().meta();
    let title = match &meta.name_zh {
        Some(zh) => format!("{zh} {}", meta.name),
        None => meta.name.clone(),
    };
    let mut t = out::table(&["scenario", "total", "status", "reason"]);
    t.add_row(vec![
        title,
        format!("{:.2}", card.total),
        status(card.status).to_string(),
        card.reason.clone(),
    ]);
    println!("{t}");
    if !card.notes.is_empty() {
        println!("notes:");
        for n in &card.notes {
            println!("  {n}");
        }
    }
    let mut t = out::table(&["task", "name", "min", "status", "rating", "points", "note"]);
    for (id, d) in card.task_details(input) {
        let name = package
            .scenario()
            .task(id)
            .map(|task| match &task.name_zh {
                Some(zh) => format!("{zh} {}", task.name),
                None => task.name.clone(),
            })
            .unwrap_or_default();
        let st = serde_json::to_value(d.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let rating = d
            .rating
            .and_then(|r| serde_json::to_value(r).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        t.add_row(vec![
            id.to_string(),
            name,
            out::minutes(d.seconds),
            st,
            rating,
            d.points.map(|p| format!("{p:.2}")).unwrap_or_default(),
            d.note.unwrap_or_default(),
        ]);
    }
    println!("{t}");
    println!(
        "scorer: {} {} ({:?})",
        card.scorer.name, card.scorer.hash, card.scorer.kind
    );
}
