//! Training schedules: the duty rotation, a syllabus of recurring items, a
//! planner that places sessions under hard and soft constraints and says why
//! it could not place the rest, an independent verifier, drill feasibility
//! against the day's roster, and calendar exports.
//!
//! Pure: dates come in as arguments, nothing reads a clock or a file.

mod drill;
mod export;
mod input;
mod planner;
mod rota;
mod verify;

use chrono::{NaiveDate, NaiveTime};

pub use drill::{DrillEquipment, DrillFeasibility, DrillStep, RoleFill, drill_feasibility};
pub use export::{csv, ics_for_member, ics_for_squadron};
pub use input::{
    Category, DayRules, DutyRules, Item, Leave, OnDuty, Outage, Period, Quota, RRULE_FORMS,
    Syllabus,
};
pub use planner::{
    Candidate, Expiry, History, Instance, PlanOptions, QuotaPeriod, Training, instance, plan,
};
pub use rota::{Rota, Shift};
pub use verify::{Violation, verify};

/// Largest number of days a plan may cover.
pub const MAX_PLAN_DAYS: i64 = 732;

/// Why a plan could not be made at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The brigade's time zone is not a known IANA zone.
    #[error("unknown time zone \"{0}\"; write an IANA zone name such as \"Asia/Shanghai\"")]
    TimeZone(String),
    /// The period is empty, reversed or too long.
    #[error(
        "bad period {from} to {to}: `to` must not be before `from`, and a plan covers at most {MAX_PLAN_DAYS} days"
    )]
    Period {
        /// First day asked for.
        from: NaiveDate,
        /// Last day asked for.
        to: NaiveDate,
    },
    /// A pinned session breaks a hard rule or names something unknown.
    #[error("pinned session {index} ({item} for {squadron} on {date}): {reason}")]
    Pin {
        /// Its place in the pins list, from 0.
        index: usize,
        /// Its item.
        item: String,
        /// Its squadron.
        squadron: String,
        /// Its date.
        date: NaiveDate,
        /// What is wrong with it.
        reason: String,
    },
    /// An item's recurrence rule failed when expanded over the period.
    #[error("item `{item}`: RRULE \"{rule}\" cannot be expanded: {reason}")]
    Recurrence {
        /// The item.
        item: String,
        /// The rule text.
        rule: String,
        /// Why.
        reason: String,
    },
}

/// One planned training session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Session {
    /// Local date.
    pub date: NaiveDate,
    /// Local start time.
    pub start: NaiveTime,
    /// Length in minutes.
    pub minutes: u32,
    /// The squadron that trains.
    pub squadron: String,
    /// The syllabus item.
    pub item: String,
    /// The instructor's member id, when the item has one.
    #[serde(default)]
    pub instructor: Option<String>,
    /// Attendees' member ids, sorted.
    pub members: Vec<String>,
    /// Equipment used: item → count.
    #[serde(default)]
    pub equipment: std::collections::BTreeMap<String, u32>,
    /// Pinned (published): kept as is by replanning.
    #[serde(default)]
    pub pinned: bool,
    /// Added by the planner beyond the item's recurrence rule to meet a quota.
    #[serde(default)]
    pub added: bool,
}

impl Session {
    /// A session, for pins written by a program.
    #[allow(clippy::too_many_arguments)] // Mirrors the fields one to one.
    pub fn new(
        date: NaiveDate,
        start: NaiveTime,
        minutes: u32,
        squadron: &str,
        item: &str,
        instructor: Option<&str>,
        members: Vec<String>,
    ) -> Session {
        Session {
            date,
            start,
            minutes,
            squadron: squadron.to_string(),
            item: item.to_string(),
            instructor: instructor.map(str::to_string),
            members,
            equipment: Default::default(),
            pinned: true,
            added: false,
        }
    }

    /// Start and end in minutes after local midnight.
    pub fn span_minutes(&self) -> (u32, u32) {
        let s = chrono::Timelike::num_seconds_from_midnight(&self.start) / 60;
        (s, s + self.minutes)
    }

    /// Everyone in the session: the instructor and the attendees.
    pub fn people(&self) -> impl Iterator<Item = &str> {
        self.instructor
            .iter()
            .map(String::as_str)
            .chain(self.members.iter().map(String::as_str))
    }
}

/// An item occurrence the planner could not place, with why, in brigade terms.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Unplaced {
    /// The item.
    pub item: String,
    /// The squadron.
    pub squadron: String,
    /// The constraint that stopped it: `duty`, `instructor`, `equipment`, `group`, `time`.
    pub constraint: String,
    /// The reason, naming the people or equipment.
    pub reason: String,
    /// The dates it happened on (same item, squadron and reason).
    pub dates: Vec<NaiveDate>,
}

/// A member short of a quota in one period, with why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct UnmetQuota {
    /// The category.
    pub category: String,
    /// The period kind.
    pub per: Period,
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Hours the member needed in the part of the period planned.
    pub required_hours: f64,
    /// Members short of it, with the hours each got, grouped by reason.
    pub members: Vec<(String, f64)>,
    /// Why, naming the constraint.
    pub reason: String,
}

/// One line of the score breakdown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ScoreLine {
    /// The constraint, e.g. `quota`, `fairness`.
    pub constraint: String,
    /// Hard or soft.
    pub hard: bool,
    /// The measured amount, in the unit named.
    pub amount: f64,
    /// What `amount` counts.
    pub unit: String,
    /// Weight per unit.
    pub weight: f64,
    /// amount × weight: the penalty.
    pub penalty: f64,
}

/// A plan: the sessions, what was left out and why, and the score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// First day planned.
    pub from: NaiveDate,
    /// Last day planned.
    pub to: NaiveDate,
    /// The seed the plan was made with.
    pub seed: u64,
    /// The time zone of the dates and times.
    pub time_zone: String,
    /// The sessions, by date, start, squadron and item.
    pub sessions: Vec<Session>,
    /// Item occurrences not placed, with reasons.
    pub unplaced: Vec<Unplaced>,
    /// Quotas not met, with reasons.
    pub unmet: Vec<UnmetQuota>,
    /// Shifts without a leader free to lead them.
    pub duty_gaps: Vec<String>,
    /// The score broken down by constraint; lower is better.
    pub score: Vec<ScoreLine>,
    /// How much of the quotas the plan meets.
    pub coverage: Coverage,
}

/// Quota coverage: member-hours asked for and met, summed over every quota,
/// period (scaled to the part planned) and member.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Coverage {
    /// Member-hours the quotas ask for.
    pub required_hours: f64,
    /// Member-hours met, each member counted up to the quota.
    pub met_hours: f64,
}

impl Coverage {
    /// Met over required, from 0 to 1; 1 when nothing is required.
    pub fn ratio(&self) -> f64 {
        if self.required_hours <= 0.0 {
            1.0
        } else {
            self.met_hours / self.required_hours
        }
    }
}

impl Plan {
    /// The total penalty: the sum of the score lines.
    pub fn total_penalty(&self) -> f64 {
        self.score.iter().map(|l| l.penalty).sum()
    }
}

/// Parses a brigade time zone name.
pub(crate) fn zone(name: &str) -> Result<chrono_tz::Tz, PlanError> {
    name.parse::<chrono_tz::Tz>()
        .map_err(|_| PlanError::TimeZone(name.to_string()))
}

/// Minutes after midnight of a local time.
pub(crate) fn mins(t: NaiveTime) -> u32 {
    chrono::Timelike::num_seconds_from_midnight(&t) / 60
}

/// True when a member is on leave on a day.
pub(crate) fn on_leave<'a>(leave: &'a [Leave], member: &str, day: NaiveDate) -> Option<&'a Leave> {
    leave
        .iter()
        .find(|l| l.member == member && l.from <= day && day <= l.to)
}

/// How many of an equipment item a squadron has on a day, outages deducted.
pub(crate) fn pool_on(
    brigade: &crate::Brigade,
    outages: &[Outage],
    squadron: &str,
    equipment: &str,
    day: NaiveDate,
) -> u32 {
    let held = brigade
        .squadron(squadron)
        .and_then(|s| s.equipment.get(equipment).copied())
        .unwrap_or(0);
    let out: u32 = outages
        .iter()
        .filter(|o| {
            o.squadron == squadron && o.equipment == equipment && o.from <= day && day <= o.to
        })
        .map(|o| o.count)
        .sum();
    held.saturating_sub(out)
}

/// The leader of the on-duty squadron kept out of training to lead the shift:
/// the first leader in roster order not on leave.
pub(crate) fn shift_leader<'a>(
    brigade: &'a crate::Brigade,
    leave: &[Leave],
    squadron: &str,
    day: NaiveDate,
) -> Option<&'a str> {
    brigade
        .members
        .iter()
        .find(|m| m.squadron == squadron && m.leader && on_leave(leave, &m.id, day).is_none())
        .map(|m| m.id.as_str())
}

#[cfg(test)]
mod tests;
