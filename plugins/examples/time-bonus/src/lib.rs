//! The forest-fire time-bonus rule (`score.rhai` of the initial-attack
//! drill), ported to a Muster wasm scorer:
//!
//! - DQ when a critical task is missing or not done;
//! - DNF past the time limit;
//! - otherwise `base + (time_limit − elapsed) / seconds_per_point`, less the
//!   points of each penalty (`penalty_points[code] × count`).
//!
//! Build: `cargo build --release --target wasm32-unknown-unknown
//! -p muster-example-time-bonus`.

use muster_guest::{Record, ScoreCard, Status, TaskStatus};

/// The rule; exported as the module's `score`.
pub fn time_bonus(record: &Record, params: &serde_json::Value) -> Result<ScoreCard, String> {
    for id in &record.critical {
        if record
            .tasks
            .get(id)
            .is_none_or(|t| t.status != TaskStatus::Done)
        {
            return Ok(ScoreCard::out(
                Status::Dq,
                format!("critical task {id} not done"),
            ));
        }
    }
    let limit = record.time_limit.ok_or("the scenario has no time_limit")?;
    if record.elapsed > limit {
        return Ok(ScoreCard::out(Status::Dnf, "time limit exceeded"));
    }
    let number = |key: &str| {
        params[key]
            .as_f64()
            .ok_or_else(|| format!("params.{key} must be a number"))
    };
    let bonus = (limit - record.elapsed) / number("seconds_per_point")?;
    let mut card = ScoreCard::valid(number("base")? + bonus);
    card.note(format_args!("time bonus {bonus}"));
    for p in &record.penalties {
        let each = params["penalty_points"][&p.code]
            .as_f64()
            .ok_or_else(|| format!("unknown penalty code {}", p.code))?;
        let lost = each * f64::from(p.count);
        card.total -= lost;
        card.note(format_args!(
            "{} x{} on {}: -{lost}",
            p.code,
            p.count,
            p.task.as_deref().unwrap_or("-")
        ));
    }
    Ok(card)
}

muster_guest::export_scorer!(time_bonus);
