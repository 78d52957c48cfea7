//! `muster plugin ...`: check a scenario package and run its scorer with
//! what it used against the sandbox limits.

use std::path::Path;

use clap::Subcommand;
use muster_plugins::RunStats;

use crate::out::{self, Outcome};
use crate::score::{card_report, open, parse_param, print_card, report, score_error};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Check a package: its manifest, its scenario, and that its scorer loads
    /// (rhai: compiles; wasm: the ABI). Exits 0 when it is sound, 1 otherwise.
    Check {
        /// A package folder, a .tar of one, or builtin:ID.
        package: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// A generator parameter, KEY=VALUE (VALUE as JSON, else text); repeatable.
        #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
        params: Vec<(String, serde_json::Value)>,
    },
    /// Score a record and report, beside the result, the operations or fuel
    /// used, memory, input and output sizes and wall time against their limits.
    Run {
        /// A package folder, a .tar of one, or builtin:ID.
        package: String,
        /// The drill record (JSON).
        record: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// A generator parameter, KEY=VALUE (VALUE as JSON, else text); repeatable.
        #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
        params: Vec<(String, serde_json::Value)>,
    },
}

pub fn run(c: PluginCommand) -> Outcome {
    match c {
        PluginCommand::Check {
            package,
            json,
            params,
        } => check(&package, &params, json),
        PluginCommand::Run {
            package,
            record,
            json,
            params,
        } => run_one(&package, &record, &params, json),
    }
}

fn check(spec: &str, params: &[(String, serde_json::Value)], json: bool) -> Outcome {
    let p = open(spec, params)?;
    let scorer = p.scorer();
    if json {
        return out::json(&serde_json::json!({
            "package": p.name(),
            "manifest": p.manifest(),
            "scenario": p.scenario().meta().id,
            "version": p.scenario().meta().version.to_string(),
            "tasks": p.scenario().tasks().len(),
            "scorer": scorer.id(),
            "abi": scorer.abi_version(),
            "generator": scorer.has_generator(),
            "generator_params": p.generator_params(),
            "ok": true,
        }));
    }
    let mut t = out::table(&["check", "result"]);
    t.add_row(vec!["manifest".to_string(), format!("{} ok", p.manifest())]);
    t.add_row(vec![
        "scenario".to_string(),
        format!(
            "{} {} ok ({} tasks)",
            p.scenario().meta().id,
            p.scenario().meta().version,
            p.scenario().tasks().len()
        ),
    ]);
    t.add_row(vec![
        "scorer".to_string(),
        match scorer.abi_version() {
            Some(abi) => format!(
                "{} loads ({:?}, ABI {abi})",
                p.scoring_file(),
                scorer.id().kind
            ),
            None => format!("{} loads ({:?})", p.scoring_file(), scorer.id().kind),
        },
    ]);
    t.add_row(vec![
        "generator".to_string(),
        match p.generator_params() {
            Some(params) => format!("scenario(params) ran with {params}"),
            None => "none".to_string(),
        },
    ]);
    t.add_row(vec!["hash".to_string(), scorer.id().hash.clone()]);
    println!("{t}");
    Ok(())
}

fn run_one(
    spec: &str,
    record: &str,
    params: &[(String, serde_json::Value)],
    json: bool,
) -> Outcome {
    let p = open(spec, params)?;
    let text = out::read_text(Path::new(record))?;
    let run = p.run(record, &text).map_err(|e| report(&e))?;
    if json {
        out::json(&serde_json::json!({
            "result": run.result.as_ref().ok().map(|card| card_report(&run.input, card)),
            "error": run.result.as_ref().err().map(ToString::to_string),
            "stats": run.stats,
            "log": run.log,
        }))?;
    } else {
        if let Ok(card) = &run.result {
            print_card(&p, &run.input, card);
        }
        print_stats(&run.stats);
        if !run.log.is_empty() {
            println!("printed by the script:");
            for l in &run.log {
                println!("  {l}");
            }
        }
    }
    match &run.result {
        Ok(_) => Ok(()),
        Err(e) => {
            score_error(e);
            Err(out::Failure::Input)
        }
    }
}

fn print_stats(s: &RunStats) {
    let pct = |used: u64, limit: u64| {
        if limit == 0 {
            String::new()
        } else {
            format!("{:.1}%", used as f64 * 100.0 / limit as f64)
        }
    };
    let mut t = out::table(&["resource", "used", "limit", "share"]);
    t.add_row(vec![
        s.work_unit.to_string(),
        s.work_used.to_string(),
        s.work_limit.to_string(),
        pct(s.work_used, s.work_limit),
    ]);
    t.add_row(vec![
        "peak memory (bytes)".to_string(),
        s.peak_memory_bytes
            .map_or("not measured".to_string(), |m| m.to_string()),
        if s.memory_limit_bytes == 0 {
            "bounded by size limits".to_string()
        } else {
            s.memory_limit_bytes.to_string()
        },
        s.peak_memory_bytes
            .map(|m| pct(m, s.memory_limit_bytes))
            .unwrap_or_default(),
    ]);
    t.add_row(vec![
        "input (bytes)".to_string(),
        s.input_bytes.to_string(),
        s.input_limit_bytes.to_string(),
        pct(s.input_bytes, s.input_limit_bytes),
    ]);
    t.add_row(vec![
        "output (bytes)".to_string(),
        s.output_bytes.to_string(),
        s.output_limit_bytes.to_string(),
        pct(s.output_bytes, s.output_limit_bytes),
    ]);
    t.add_row(vec![
        "wall time (µs)".to_string(),
        s.wall_micros.to_string(),
        s.wall_limit_micros.to_string(),
        pct(s.wall_micros, s.wall_limit_micros),
    ]);
    println!("{t}");
    if let Some(route) = &s.route {
        println!("ran on: {route}");
    }
}
