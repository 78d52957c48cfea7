//! `muster drill feasible`: can the on-duty squadron run a drill on a day,
//! who fills which role, and the levelled schedule of who does what when.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use muster_core::schedule::{self, Rota};

use crate::out::{self, Failure, Outcome};
use crate::plan::{load_brigade, load_syllabus};

#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// Check a drill against the day's roster: roles, equipment, schedule.
    ///
    /// SCENARIO is a scenario file, a package folder, or `builtin:ID`. The
    /// on-duty squadron comes from `--squadron`, or from the duty rotation
    /// in `--syllabus` (which also brings leave and equipment outages).
    Feasible(FeasibleArgs),
}

#[derive(Debug, Args)]
pub struct FeasibleArgs {
    /// The scenario: a file, a package folder or builtin:ID.
    pub scenario: String,
    /// The brigade file (`builtin:brigade.toml` for the sample brigade).
    #[arg(long, value_name = "FILE")]
    pub brigade: PathBuf,
    /// The day (YYYY-MM-DD, local).
    #[arg(long, value_name = "DATE")]
    pub date: NaiveDate,
    /// The syllabus file, for the duty rotation, leave and outages
    /// (`builtin:syllabus.toml` for the sample syllabus).
    #[arg(long, value_name = "FILE")]
    pub syllabus: Option<PathBuf>,
    /// The on-duty squadron, overriding the rotation.
    #[arg(long)]
    pub squadron: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(c: DrillCommand) -> Outcome {
    match c {
        DrillCommand::Feasible(a) => feasible(a),
    }
}

pub fn feasible(a: FeasibleArgs) -> Outcome {
    let scenario = crate::scenario::load(&a.scenario)?;
    let brigade = load_brigade(&a.brigade)?;
    let syllabus = match &a.syllabus {
        Some(p) => Some(load_syllabus(p, &brigade)?),
        None => None,
    };
    let squadron = match (&a.squadron, &syllabus) {
        (Some(s), _) => s.clone(),
        (None, Some(s)) => {
            let tz: chrono_tz::Tz = brigade.brigade.time_zone.parse().map_err(|_| {
                out::file_error(
                    &a.brigade.display().to_string(),
                    format!("unknown time zone \"{}\"", brigade.brigade.time_zone),
                )
            })?;
            match Rota::new(&s.duty, tz).squadron_on(a.date) {
                Some(sq) => sq.to_string(),
                None => {
                    return Err(Failure::Usage(
                        "the duty cycle is empty; pass --squadron".into(),
                    ));
                }
            }
        }
        (None, None) => {
            return Err(Failure::Usage(
                "say who is on duty: pass --squadron ID or --syllabus FILE".into(),
            ));
        }
    };
    if brigade.squadron(&squadron).is_none() {
        let known: Vec<&str> = brigade.squadrons.iter().map(|s| s.id.as_str()).collect();
        return Err(out::file_error(
            &a.brigade.display().to_string(),
            format!(
                "unknown squadron `{squadron}`; the squadrons are: {}",
                known.join(", ")
            ),
        ));
    }
    let (leave, outages) = syllabus
        .as_ref()
        .map_or((&[][..], &[][..]), |s| (&s.leave[..], &s.outages[..]));
    let f = schedule::drill_feasibility(&scenario, &brigade, &squadron, a.date, leave, outages);
    if a.json {
        return out::json(&f);
    }
    println!(
        "{} on {} with {} on duty: {}",
        f.scenario,
        f.date,
        squadron,
        if f.feasible() {
            "can run"
        } else {
            "cannot run as written"
        }
    );
    let mut t = out::table(&["role", "skill", "needed", "assigned", "candidates"]);
    for r in &f.roles {
        t.add_row(vec![
            r.role.clone(),
            r.skill.clone(),
            r.count.to_string(),
            r.members.join(" "),
            r.candidates.join(" "),
        ]);
    }
    println!("{t}");
    if !f.equipment.is_empty() {
        let mut t = out::table(&["equipment", "needed", "available"]);
        for e in &f.equipment {
            t.add_row(vec![
                e.equipment.clone(),
                e.needed.to_string(),
                e.available.to_string(),
            ]);
        }
        println!("{t}");
    }
    for p in &f.problems {
        println!("problem: {p}");
    }
    let mut t = out::table(&["task", "start (min)", "end (min)", "who"]);
    for s in &f.schedule {
        t.add_row(vec![
            s.task.clone(),
            out::minutes(s.start_minutes * 60.0),
            out::minutes(s.end_minutes * 60.0),
            s.members.join(" "),
        ]);
    }
    println!("{t}");
    println!(
        "levelled length {} min; critical path {} min",
        out::minutes(f.makespan_minutes * 60.0),
        out::minutes(f.critical_path_minutes * 60.0)
    );
    if f.feasible() {
        Ok(())
    } else {
        Err(Failure::Input)
    }
}
