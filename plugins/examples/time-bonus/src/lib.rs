//! The forest-fire time-bonus rule (`score.rhai` of the initial-attack
//! drill), ported to a Muster wasm scorer:
//!
//! - DQ when a critical task is missing or not done;
//! - DNF past the time limit;
//! - otherwise `base + (time_limit − elapsed) / seconds_per_point`, less the
//!   points of each penalty (`penalty_points[code] × count`).
//!
//! The params are read once per instance into [`TimeBonus`], and notes are
//! pushed piece by piece with [`Num`] for numbers: they are the ones
//! `format!` would write, without `core::fmt`'s cost under wasm.
//!
//! Build: `cargo build --profile guest --target wasm32-unknown-unknown
//! -p muster-example-time-bonus` (the workspace's `guest` profile: LTO, one
//! codegen unit); `build.rs` gives the module a 64 KiB stack.

use muster_guest::params::{Number, Numbers};
use muster_guest::{Num, Record, ScoreCard, Status, TaskStatus};

/// The rule's params, read as the rhai script reads them: a missing or
/// non-number value is refused only when a valid run needs it, so a DQ or
/// DNF run is scored without them.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct TimeBonus {
    /// `base`: points before the bonus and penalties.
    #[serde(default)]
    pub base: Number,
    /// `seconds_per_point`: seconds under the limit that earn a point.
    #[serde(default)]
    pub seconds_per_point: Number,
    /// `penalty_points`: points lost per penalty, by code.
    #[serde(default)]
    pub penalty_points: Numbers,
}

/// The rule; exported as the module's `score`.
pub fn time_bonus(record: &Record, params: &TimeBonus) -> Result<ScoreCard, String> {
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
    let number = |value: Number, key: &str| {
        value
            .0
            .ok_or_else(|| format!("params.{key} must be a number"))
    };
    let per_point = number(params.seconds_per_point, "seconds_per_point")?;
    let bonus = (limit - record.elapsed) / per_point;
    let mut card = ScoreCard::valid(number(params.base, "base")? + bonus);
    card.note_with(|n| {
        n.push_str("time bonus ");
        Num(bonus).push_to(n);
    });
    for p in &record.penalties {
        let each = params
            .penalty_points
            .get(&p.code)
            .ok_or_else(|| format!("unknown penalty code {}", p.code))?;
        let lost = each * f64::from(p.count);
        card.total -= lost;
        // "{code} x{count} on {task or -}: -{lost}", pushed piece by piece.
        card.note_with(|n| {
            n.push_str(&p.code);
            n.push_str(" x");
            Num(f64::from(p.count)).push_to(n);
            n.push_str(" on ");
            n.push_str(p.task.as_deref().unwrap_or("-"));
            n.push_str(": -");
            Num(lost).push_to(n);
        });
    }
    Ok(card)
}

muster_guest::export_scorer!(time_bonus);
