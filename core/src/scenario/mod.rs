//! Drill scenarios: versioned task graphs, parsed from TOML or JSON and validated.

mod decode;
mod graph;

use std::collections::BTreeMap;

use crate::diag::Diagnostics;
use crate::duration::Duration;
pub use crate::node::Format;

pub use graph::TaskGraph;

/// A checked drill scenario: every reference resolves, every duration is
/// ordered, and the tasks form an acyclic graph.
///
/// Built only by [`Scenario::parse`], so holding one means it is valid.
///
/// ```
/// use muster_core::{Format, Scenario};
/// let text = r#"
/// [scenario]
/// id = "demo"
/// version = "1.0.0"
/// hazard = "forest-fire"
/// name = "Demo"
///
/// [[tasks]]
/// id = "muster"
/// name = "Muster"
/// duration = "5m"
///
/// [[tasks]]
/// id = "move"
/// name = "Move"
/// after = ["muster"]
/// duration = { min = "6m", likely = "9m", max = "15m" }
/// "#;
/// let scenario = Scenario::parse("demo.toml", text, Format::Toml).unwrap();
/// assert_eq!(scenario.tasks().len(), 2);
/// ```
#[derive(Debug, Clone, serde::Serialize)]
pub struct Scenario {
    #[serde(rename = "scenario")]
    meta: ScenarioMeta,
    roles: Vec<Role>,
    tasks: Vec<Task>,
    scoring: Scoring,
    #[serde(skip)]
    graph: TaskGraph,
}

/// The `[scenario]` table: what the drill is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ScenarioMeta {
    /// Stable id, e.g. `forest-fire.initial-attack`.
    pub id: String,
    /// Semantic version of the scenario; records name the version they were run against.
    pub version: semver::Version,
    /// The hazard the drill trains for, e.g. `forest-fire`, `landslide`, `water-rescue`.
    pub hazard: String,
    /// English name.
    pub name: String,
    /// Chinese name, where the trainer gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// A paragraph on what happens in the drill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The time the drill must be finished in, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<Duration>,
}

/// A role the drill needs: `count` people with a skill.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Role {
    /// Role id, referenced by tasks.
    pub id: String,
    /// The skill from the brigade's skill list that the role needs.
    pub skill: String,
    /// How many people fill the role.
    pub count: u32,
}

/// One task of the drill.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Task {
    /// Task id, unique in the scenario.
    pub id: String,
    /// English name.
    pub name: String,
    /// Chinese name, where given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// Tasks that must finish before this one starts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// How long the task takes.
    pub duration: TaskDuration,
    /// Roles that work on this task.
    pub roles: Vec<String>,
    /// Equipment the task uses: item → how many.
    pub equipment: BTreeMap<String, u32>,
    /// Critical in the evaluation sense: failing it fails the drill.
    pub critical: bool,
    /// Where the numbers come from, or anything else a trainer should know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A task's duration: fixed, or three-point (optimistic, most likely, pessimistic).
/// A fixed duration has all three equal. Invariant: `min <= likely <= max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDuration {
    min: Duration,
    likely: Duration,
    max: Duration,
}

impl TaskDuration {
    /// A three-point duration, or `None` unless `min <= likely <= max`.
    pub fn three_point(min: Duration, likely: Duration, max: Duration) -> Option<Self> {
        (min <= likely && likely <= max).then_some(TaskDuration { min, likely, max })
    }

    /// A fixed duration.
    pub fn fixed(d: Duration) -> Self {
        TaskDuration {
            min: d,
            likely: d,
            max: d,
        }
    }

    /// The optimistic duration.
    pub fn min(&self) -> Duration {
        self.min
    }

    /// The most likely duration.
    pub fn likely(&self) -> Duration {
        self.likely
    }

    /// The pessimistic duration.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// True when min, likely and max are the same.
    pub fn is_fixed(&self) -> bool {
        self.min == self.max
    }

    /// PERT mean in seconds: (min + 4·likely + max) / 6.
    pub fn pert_mean(&self) -> f64 {
        (self.min.as_secs() as f64 + 4.0 * self.likely.as_secs() as f64 + self.max.as_secs() as f64)
            / 6.0
    }

    /// PERT variance in seconds²: ((max − min) / 6)².
    pub fn pert_variance(&self) -> f64 {
        let sd = (self.max.as_secs() as f64 - self.min.as_secs() as f64) / 6.0;
        sd * sd
    }
}

impl serde::Serialize for TaskDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.is_fixed() {
            return self.likely.serialize(s);
        }
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("min", &self.min)?;
        m.serialize_entry("likely", &self.likely)?;
        m.serialize_entry("max", &self.max)?;
        m.end()
    }
}

/// The `[scoring]` table: which script scores the drill and with which parameters.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct Scoring {
    /// A rhai script in the package, e.g. `score.rhai`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// A wasm module in the package, e.g. `score.wasm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wasm: Option<String>,
    /// `[scoring.params]`, handed to the scorer unchanged; always a JSON object.
    pub params: serde_json::Value,
}

impl Scenario {
    /// Parses and validates a scenario. `name` is used in diagnostics (usually the
    /// file path); the text is read by the caller, since core reads no files.
    ///
    /// On failure, returns every problem found, each with its line and column.
    pub fn parse(name: &str, text: &str, format: Format) -> Result<Scenario, Diagnostics> {
        decode::parse(name, text, format).into_result()
    }

    /// Like [`Scenario::parse`], but also returns warnings when the scenario is valid.
    pub fn check(name: &str, text: &str, format: Format) -> Checked {
        decode::parse(name, text, format)
    }

    /// The `[scenario]` table.
    pub fn meta(&self) -> &ScenarioMeta {
        &self.meta
    }

    /// The roles, in file order.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The tasks, in file order; indices match [`TaskGraph`] indices.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// The task with this id.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// The index of the task with this id.
    pub fn task_index(&self, id: &str) -> Option<usize> {
        self.tasks.iter().position(|t| t.id == id)
    }

    /// The ids of the tasks marked critical, in file order.
    pub fn critical_tasks(&self) -> impl Iterator<Item = &str> {
        self.tasks
            .iter()
            .filter(|t| t.critical)
            .map(|t| t.id.as_str())
    }

    /// The `[scoring]` table.
    pub fn scoring(&self) -> &Scoring {
        &self.scoring
    }

    /// The dependency graph, in a form the analyses run on.
    pub fn graph(&self) -> &TaskGraph {
        &self.graph
    }

    /// `id@version`, the way records and ledgers name a scenario.
    pub fn key(&self) -> String {
        format!("{}@{}", self.meta.id, self.meta.version)
    }
}

/// The outcome of checking a scenario: the scenario when it is valid, and every
/// diagnostic (errors, or only warnings when valid).
#[derive(Debug)]
pub struct Checked {
    /// The scenario, when there were no errors.
    pub scenario: Option<Scenario>,
    /// Errors and warnings, in source order.
    pub diagnostics: Diagnostics,
}

impl Checked {
    /// The scenario, or the diagnostics when it has errors.
    pub fn into_result(self) -> Result<Scenario, Diagnostics> {
        match self.scenario {
            Some(s) if !self.diagnostics.has_errors() => Ok(s),
            _ => Err(self.diagnostics),
        }
    }
}

/// The decoder's allowed keys per table, for the schema's consistency test.
#[cfg(test)]
pub(crate) struct DecodeKeys {
    pub top: &'static [&'static str],
    pub meta: &'static [&'static str],
    pub role: &'static [&'static str],
    pub task: &'static [&'static str],
    pub duration: &'static [&'static str],
    pub scoring: &'static [&'static str],
}

#[cfg(test)]
pub(crate) fn decode_keys() -> DecodeKeys {
    DecodeKeys {
        top: decode::TOP_KEYS,
        meta: decode::META_KEYS,
        role: decode::ROLE_KEYS,
        task: decode::TASK_KEYS,
        duration: decode::DURATION_KEYS,
        scoring: decode::SCORING_KEYS,
    }
}

/// The candidate closest to `word`, when close enough to be a likely typo.
pub(crate) fn closest_key<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    decode::closest(word, candidates)
}

/// True when `s` is a valid id (scenarios, tasks, entrants, events).
pub(crate) fn valid_id(s: &str) -> bool {
    decode::valid_id(s)
}
