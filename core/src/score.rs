//! The scoring contract: what a scorer sees, what it returns, and the
//! [`Scorer`] trait that native, rhai and wasm scorers implement.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::record::{DrillRecord, Penalty, Rating, TaskRun, TaskStatus};
use crate::scenario::Scenario;

/// What a scoring script sees as `record`: seconds as floats.
///
/// `elapsed` is the latest task end minus the earliest task start;
/// `time_limit` is the scenario's limit in seconds (absent when it has none);
/// `critical` lists the scenario's critical task ids.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ScoreInput {
    /// Scenario id.
    pub scenario: String,
    /// Scenario version.
    pub version: String,
    /// The team that ran the drill.
    pub team: String,
    /// Attempt number.
    pub attempt: u32,
    /// Whole drill time in seconds.
    pub elapsed: f64,
    /// The scenario's time limit in seconds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_limit: Option<f64>,
    /// The critical task ids.
    pub critical: Vec<String>,
    /// Task runs by id.
    pub tasks: BTreeMap<String, TaskRun>,
    /// Penalties.
    pub penalties: Vec<Penalty>,
}

impl ScoreInput {
    /// The view of a checked record that scorers receive.
    pub fn new(scenario: &Scenario, record: &DrillRecord) -> ScoreInput {
        ScoreInput::from_record(scenario, record.clone())
    }

    /// [`ScoreInput::new`] taking the record, whose task runs and penalties
    /// move into the input instead of being copied: for a caller done with
    /// the record, such as a re-score reading a season from the ledger.
    pub fn from_record(scenario: &Scenario, record: DrillRecord) -> ScoreInput {
        ScoreInput::from_terms(record, ScenarioTerms::of(scenario))
    }

    /// The input a scorer sees for `record` under a scenario with these
    /// `terms`: what a stored score that keeps only its scenario's terms
    /// (not a copy of the input) is replayed with.
    ///
    /// This is the one way an input is built from a record, so an input
    /// rebuilt from a stored run is the input its scorer saw.
    pub fn from_terms(record: DrillRecord, terms: ScenarioTerms) -> ScoreInput {
        ScoreInput {
            elapsed: record.elapsed_secs(),
            version: record.version.to_string(),
            time_limit: terms.time_limit,
            critical: terms.critical,
            attempt: record.attempt,
            scenario: record.scenario,
            team: record.team,
            tasks: record.tasks,
            penalties: record.penalties,
        }
    }

    /// The scenario's part of this input: its time limit and critical tasks.
    pub fn terms(&self) -> ScenarioTerms {
        ScenarioTerms {
            time_limit: self.time_limit,
            critical: self.critical.clone(),
        }
    }
}

/// What a scenario adds to a run's record to make its scorer's input: the
/// time limit and the critical tasks.
///
/// A stored score keeps these and refers to its stored run, rather than
/// holding a copy of the whole input: [`ScoreInput::from_terms`] rebuilds
/// the input from the two.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ScenarioTerms {
    /// The scenario's time limit in seconds; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_limit: Option<f64>,
    /// The critical task ids, in the scenario's order.
    pub critical: Vec<String>,
}

impl ScenarioTerms {
    /// The terms of `scenario`.
    pub fn of(scenario: &Scenario) -> ScenarioTerms {
        ScenarioTerms {
            time_limit: scenario.meta().time_limit.map(|d| d.as_secs() as f64),
            critical: scenario.critical_tasks().map(str::to_string).collect(),
        }
    }

    /// Terms given field by field, as an app that keeps its own scenarios
    /// would.
    pub fn new(time_limit: Option<f64>, critical: Vec<String>) -> ScenarioTerms {
        ScenarioTerms {
            time_limit,
            critical,
        }
    }
}

/// The outcome class of a scored run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreStatus {
    /// A valid, ranked result.
    Valid,
    /// Did not finish.
    Dnf,
    /// Disqualified.
    Dq,
}

/// What kind of scorer produced a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScorerKind {
    /// Rust code compiled into Muster.
    Native,
    /// A rhai script.
    Rhai,
    /// A wasm module.
    Wasm,
}

/// Which scorer made a card: its kind, its name, and the hash of its content,
/// so any score can be reproduced later with the same scorer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ScorerId {
    /// Native, rhai or wasm.
    pub kind: ScorerKind,
    /// The script or module name, e.g. `score.rhai`.
    pub name: String,
    /// `sha256:` and the hex digest of the script or module bytes.
    pub hash: String,
}

impl ScorerId {
    /// A scorer id with the hash of `content`.
    pub fn new(kind: ScorerKind, name: impl Into<String>, content: &[u8]) -> ScorerId {
        ScorerId {
            kind,
            name: name.into(),
            hash: content_hash(content),
        }
    }
}

/// One task of a scored run, as [`ScoreCard::task_details`] gives it: the
/// run's own time, status and rating, with the scorer's points and note.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct TaskDetail {
    /// How long the task took, in seconds.
    pub seconds: f64,
    /// How it ended.
    pub status: TaskStatus,
    /// The evaluator's rating.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rating: Option<Rating>,
    /// Points the scorer gave for the task, if it gives per-task points.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub points: Option<f64>,
    /// The scorer's note on the task.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

/// What a scorer said of one task: its points, its note, or both.
///
/// Cards made before 2026-12-02 also copied the run's own time, status and
/// rating into every task; those stay in the entry so that the card writes
/// back as the ledger stores it, but they are not read. The run's detail
/// is the input's ([`ScoreCard::task_details`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct TaskScore {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    status: Option<TaskStatus>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    rating: Option<Rating>,
    /// Points the scorer gave for the task.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub points: Option<f64>,
    /// The scorer's note on the task.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

impl TaskScore {
    /// Whether the scorer gave the task neither points nor a note.
    pub fn is_empty(&self) -> bool {
        self.points.is_none() && self.note.is_none()
    }
}

/// A scored run.
///
/// The card holds what the scorer decided; the run it scored is the
/// [`ScoreInput`], which a score entry keeps beside it. Each task's time,
/// status and rating with the scorer's points and note are
/// [`ScoreCard::task_details`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ScoreCard {
    /// The total score (finite).
    pub total: f64,
    /// Valid, DNF or DQ.
    pub status: ScoreStatus,
    /// Why the status is DNF or DQ; empty when valid.
    pub reason: String,
    /// The scorer's notes, in order.
    pub notes: Vec<String>,
    /// The tasks the scorer gave points or a note, by task id; a task it
    /// said nothing of is not here.
    pub tasks: BTreeMap<String, TaskScore>,
    /// Which scorer made the card.
    pub scorer: ScorerId,
}

/// Most notes a scorer may return, and the longest note.
pub const MAX_NOTES: usize = 256;
/// Longest note or reason, in bytes.
pub const MAX_NOTE_LEN: usize = 1024;

impl ScoreCard {
    /// Checks a scorer's raw output and turns it into a card.
    ///
    /// The output must be an object `{ total, status, reason, notes }` with an
    /// optional `tasks` object of task id → `{ points, note }`; `total` must be
    /// finite, `status` one of "valid", "dnf", "dq". Returns what is wrong otherwise.
    pub fn from_output(
        output: &serde_json::Value,
        input: &ScoreInput,
        scorer: ScorerId,
    ) -> Result<ScoreCard, String> {
        use serde_json::Value;
        let Value::Object(o) = output else {
            return Err(format!(
                "the scorer returned {}, but must return a map #{{ total, status, reason, notes }}",
                json_kind(output)
            ));
        };
        const ALLOWED: &[&str] = &["total", "status", "reason", "notes", "tasks"];
        if let Some(k) = o.keys().find(|k| !ALLOWED.contains(&k.as_str())) {
            return Err(format!(
                "the result has an unknown field `{k}`; allowed fields: {}",
                ALLOWED.join(", ")
            ));
        }
        let total = match o.get("total") {
            Some(Value::Number(n)) => n.as_f64().filter(|f| f.is_finite()),
            _ => None,
        }
        .ok_or_else(|| {
            format!(
                "`total` must be a finite number, found {}",
                o.get("total").map_or("nothing".into(), json_kind)
            )
        })?;
        let status = match o.get("status") {
            Some(Value::String(s)) if s == "valid" => ScoreStatus::Valid,
            Some(Value::String(s)) if s == "dnf" => ScoreStatus::Dnf,
            Some(Value::String(s)) if s == "dq" => ScoreStatus::Dq,
            other => {
                return Err(format!(
                    "`status` must be \"valid\", \"dnf\" or \"dq\", found {}",
                    other.map_or("nothing".into(), json_kind)
                ));
            }
        };
        let reason = match o.get("reason") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) if s.len() <= MAX_NOTE_LEN => s.clone(),
            Some(other) => {
                return Err(format!(
                    "`reason` must be a string of at most {MAX_NOTE_LEN} bytes, found {}",
                    json_kind(other)
                ));
            }
        };
        let notes = match o.get("notes") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) if items.len() <= MAX_NOTES => items
                .iter()
                .map(|n| match n {
                    Value::String(s) if s.len() <= MAX_NOTE_LEN => Ok(s.clone()),
                    other => Err(format!(
                        "`notes` must hold strings of at most {MAX_NOTE_LEN} bytes, found {}",
                        json_kind(other)
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(format!(
                    "`notes` must be a list of at most {MAX_NOTES} strings, found {}",
                    json_kind(other)
                ));
            }
        };
        let mut card = ScoreCard::from_parts(total, status, reason, notes, scorer)?;
        match o.get("tasks") {
            None | Some(Value::Null) => {}
            Some(Value::Object(per_task)) => {
                for (id, v) in per_task {
                    let Value::Object(d) = v else {
                        return Err(format!(
                            "`tasks.{id}` must be a map #{{ points, note }}, found {}",
                            json_kind(v)
                        ));
                    };
                    let points = match d.get("points") {
                        None | Some(Value::Null) => None,
                        Some(Value::Number(n)) if n.as_f64().is_some() => n.as_f64(),
                        Some(other) => {
                            return Err(format!(
                                "`tasks.{id}.points` must be a finite number, found {}",
                                json_kind(other)
                            ));
                        }
                    };
                    let note = match d.get("note") {
                        None | Some(Value::Null) => None,
                        Some(Value::String(s)) => Some(s.clone()),
                        Some(other) => {
                            return Err(format!(
                                "`tasks.{id}.note` must be a string, found {}",
                                json_kind(other)
                            ));
                        }
                    };
                    card.set_task(input, id, points, note)?;
                }
            }
            Some(other) => {
                return Err(format!(
                    "`tasks` must be a map of task id → #{{ points, note }}, found {}",
                    json_kind(other)
                ));
            }
        }
        Ok(card)
    }

    /// A card from a result the scorer gives as values rather than JSON, as
    /// Rust scorers do: the same checks as [`ScoreCard::from_output`] (a
    /// finite total, at most [`MAX_NOTES`] notes, no reason or note longer
    /// than [`MAX_NOTE_LEN`] bytes), with no per-task points or notes yet
    /// ([`ScoreCard::set_task`] gives them).
    pub fn from_parts(
        total: f64,
        status: ScoreStatus,
        reason: String,
        notes: Vec<String>,
        scorer: ScorerId,
    ) -> Result<ScoreCard, String> {
        if !total.is_finite() {
            return Err(format!(
                "`total` must be a finite number, found the number {total}"
            ));
        }
        if reason.len() > MAX_NOTE_LEN {
            return Err(format!(
                "`reason` must be a string of at most {MAX_NOTE_LEN} bytes, found a long string"
            ));
        }
        if notes.len() > MAX_NOTES {
            return Err(format!(
                "`notes` must be a list of at most {MAX_NOTES} strings, found a list"
            ));
        }
        if notes.iter().any(|n| n.len() > MAX_NOTE_LEN) {
            return Err(format!(
                "`notes` must hold strings of at most {MAX_NOTE_LEN} bytes, found a long string"
            ));
        }
        Ok(ScoreCard {
            total,
            status,
            reason,
            notes,
            tasks: BTreeMap::new(),
            scorer,
        })
    }
}

impl ScoreCard {
    /// Gives the task `id` of `input` (the record the card scores) the
    /// scorer's `points` and `note`, with the same checks as
    /// [`ScoreCard::from_output`]: a task of the record, finite points, a
    /// note of at most [`MAX_NOTE_LEN`] bytes. Neither points nor a note
    /// leaves the card without the task.
    pub fn set_task(
        &mut self,
        input: &ScoreInput,
        id: &str,
        points: Option<f64>,
        note: Option<String>,
    ) -> Result<(), String> {
        if !input.tasks.contains_key(id) {
            return Err(format!(
                "`tasks` names `{id}`, which is not a task of this record"
            ));
        }
        if let Some(p) = points.filter(|p| !p.is_finite()) {
            return Err(format!(
                "`tasks.{id}.points` must be a finite number, found the number {p}"
            ));
        }
        if note.as_ref().is_some_and(|n| n.len() > MAX_NOTE_LEN) {
            return Err(format!(
                "`tasks.{id}.note` must be a string of at most {MAX_NOTE_LEN} bytes, found a long string"
            ));
        }
        let score = TaskScore {
            points,
            note,
            ..TaskScore::default()
        };
        if score.is_empty() {
            self.tasks.remove(id);
        } else {
            self.tasks.insert(id.to_string(), score);
        }
        Ok(())
    }

    /// Each task of `input`, the record the card scores, in id order: its
    /// time, status and rating, with the points and note the card gives it.
    pub fn task_details<'a>(
        &'a self,
        input: &'a ScoreInput,
    ) -> impl Iterator<Item = (&'a str, TaskDetail)> + 'a {
        input.tasks.iter().map(|(id, run)| {
            let given = self.tasks.get(id);
            (
                id.as_str(),
                TaskDetail {
                    seconds: run.end - run.start,
                    status: run.status,
                    rating: run.rating,
                    points: given.and_then(|t| t.points),
                    note: given.and_then(|t| t.note.clone()),
                },
            )
        })
    }
}

fn json_kind(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "nothing (unit or null)".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.len() > 40 => "a long string".into(),
        Value::String(s) => format!("the string \"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

/// The sandbox limit a scorer ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Limit {
    /// rhai operation count.
    Operations,
    /// wasm fuel.
    Fuel,
    /// Wall-clock deadline.
    Time,
    /// Memory.
    Memory,
    /// Function call depth, or the wasm stack.
    CallDepth,
    /// Expression nesting depth.
    ExpressionDepth,
    /// Length of a string.
    StringSize,
    /// Length of an array.
    ArraySize,
    /// Size of a map.
    MapSize,
    /// Size of the input handed to the scorer.
    InputSize,
    /// Size of the scorer's output.
    OutputSize,
    /// Amount of printed or logged text.
    Log,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::Operations => "operation",
            Limit::Fuel => "fuel",
            Limit::Time => "time",
            Limit::Memory => "memory",
            Limit::CallDepth => "call depth",
            Limit::ExpressionDepth => "expression depth",
            Limit::StringSize => "string size",
            Limit::ArraySize => "array size",
            Limit::MapSize => "map size",
            Limit::InputSize => "input size",
            Limit::OutputSize => "output size",
            Limit::Log => "log size",
        })
    }
}

/// Why a scorer could not score a run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreError {
    /// The scorer broke a sandbox limit.
    #[error("{script}: the scorer hit the {limit} limit ({detail})")]
    Limit {
        /// Script or module name.
        script: String,
        /// Which limit.
        limit: Limit,
        /// The limit's value and what was reached.
        detail: String,
    },
    /// The script failed while running: it threw, or an operation failed.
    #[error("{script}{}: {message}", position(*line, *column))]
    Runtime {
        /// Script or module name.
        script: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// What went wrong.
        message: String,
    },
    /// The script could not be loaded: syntax error, forbidden feature, bad module.
    #[error("{script}{}: {message}", position(*line, *column))]
    Load {
        /// Script or module name.
        script: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The scorer returned something that is not a valid score card.
    #[error("{script}: bad result: {message}")]
    Output {
        /// Script or module name.
        script: String,
        /// What is wrong with the result.
        message: String,
    },
}

fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// Turns a drill run and the scenario's `[scoring.params]` into a score card.
///
/// Implementations must be deterministic: the same input and params give the
/// same card, bit for bit, so that ledgers can replay scores.
pub trait Scorer: Send + Sync {
    /// Which scorer this is.
    fn id(&self) -> &ScorerId;

    /// Scores one run.
    fn score(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> Result<ScoreCard, ScoreError>;

    /// Scores many runs with the same params: one result per run, in order,
    /// each the card [`Scorer::score`] gives for that run alone.
    ///
    /// This scores them one by one; a scorer with a cheaper way to score
    /// many (a wasm module keeps one instance for the batch) overrides it.
    fn score_batch(
        &self,
        inputs: &[ScoreInput],
        params: &serde_json::Value,
    ) -> Vec<Result<ScoreCard, ScoreError>> {
        inputs.iter().map(|i| self.score(i, params)).collect()
    }
}

/// `sha256:` and the hex digest of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256:");
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The time-bonus rule of the forest-fire drills, as native Rust:
/// DQ when a critical task is not done, DNF past the time limit, otherwise
/// `base + (time_limit − elapsed) / seconds_per_point − Σ penalty points`.
///
/// Params: `base`, `seconds_per_point`, `penalty_points` (code → points).
#[derive(Debug, Clone)]
pub struct TimeBonusScorer {
    id: ScorerId,
}

impl Default for TimeBonusScorer {
    fn default() -> Self {
        TimeBonusScorer {
            id: ScorerId::new(
                ScorerKind::Native,
                "native:time-bonus",
                b"muster native time-bonus rule v1",
            ),
        }
    }
}

impl Scorer for TimeBonusScorer {
    fn id(&self) -> &ScorerId {
        &self.id
    }

    fn score(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> Result<ScoreCard, ScoreError> {
        let fail = |message: String| ScoreError::Runtime {
            script: self.id.name.clone(),
            line: None,
            column: None,
            message,
        };
        let num = |key: &str| {
            params[key]
                .as_f64()
                .ok_or_else(|| fail(format!("params.{key} must be a number")))
        };
        let card = |total: f64, status: ScoreStatus, reason: &str, notes: Vec<String>| {
            ScoreCard::from_parts(total, status, reason.into(), notes, self.id.clone()).map_err(
                |message| ScoreError::Output {
                    script: self.id.name.clone(),
                    message,
                },
            )
        };
        for id in &input.critical {
            if input
                .tasks
                .get(id)
                .is_none_or(|t| t.status != TaskStatus::Done)
            {
                return card(
                    0.0,
                    ScoreStatus::Dq,
                    &format!("critical task {id} not done"),
                    vec![],
                );
            }
        }
        let limit = input
            .time_limit
            .ok_or_else(|| fail("the scenario has no time_limit".into()))?;
        if input.elapsed > limit {
            return card(0.0, ScoreStatus::Dnf, "time limit exceeded", vec![]);
        }
        let mut total = num("base")?;
        let bonus = (limit - input.elapsed) / num("seconds_per_point")?;
        total += bonus;
        let mut notes = vec![format!("time bonus {bonus}")];
        for p in &input.penalties {
            let each = params["penalty_points"][&p.code]
                .as_f64()
                .ok_or_else(|| fail(format!("unknown penalty code {}", p.code)))?;
            let lost = each * f64::from(p.count);
            total -= lost;
            notes.push(format!(
                "{} x{} on {}: -{lost}",
                p.code,
                p.count,
                p.task.as_deref().unwrap_or("-")
            ));
        }
        card(total, ScoreStatus::Valid, "", notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Penalty, TaskRun};

    fn input() -> ScoreInput {
        let run = |start: f64, end: f64| TaskRun {
            start,
            end,
            status: TaskStatus::Done,
            rating: None,
        };
        ScoreInput {
            scenario: "s".into(),
            version: "1.0.0".into(),
            team: "t".into(),
            attempt: 1,
            elapsed: 90.0,
            time_limit: Some(100.0),
            critical: vec!["a".into()],
            tasks: [
                ("a".to_string(), run(0.0, 30.0)),
                ("b".into(), run(30.0, 90.0)),
            ]
            .into_iter()
            .collect(),
            penalties: Vec::<Penalty>::new(),
        }
    }

    fn id() -> ScorerId {
        ScorerId::new(ScorerKind::Native, "test", b"test")
    }

    #[test]
    fn from_parts_gives_the_same_card_as_from_output() {
        let notes = vec!["time bonus 0.5".to_string()];
        let parts = ScoreCard::from_parts(
            100.5,
            ScoreStatus::Valid,
            String::new(),
            notes.clone(),
            id(),
        )
        .unwrap();
        let json = serde_json::json!({
            "total": 100.5, "status": "valid", "reason": "", "notes": notes,
        });
        assert_eq!(
            parts,
            ScoreCard::from_output(&json, &input(), id()).unwrap()
        );
        assert!(parts.tasks.is_empty());
        let run = input();
        let detail: Vec<_> = parts.task_details(&run).collect();
        assert_eq!((detail[1].0, detail[1].1.seconds), ("b", 60.0));
    }

    #[test]
    fn from_parts_refuses_what_from_output_refuses() {
        let card = |total: f64, reason: &str, notes: Vec<String>| {
            ScoreCard::from_parts(total, ScoreStatus::Dq, reason.into(), notes, id()).unwrap_err()
        };
        assert_eq!(
            card(f64::NAN, "", vec![]),
            "`total` must be a finite number, found the number NaN"
        );
        assert_eq!(
            card(0.0, &"x".repeat(MAX_NOTE_LEN + 1), vec![]),
            "`reason` must be a string of at most 1024 bytes, found a long string"
        );
        assert_eq!(
            card(0.0, "", vec![String::new(); MAX_NOTES + 1]),
            "`notes` must be a list of at most 256 strings, found a list"
        );
        assert_eq!(
            card(0.0, "", vec!["y".repeat(MAX_NOTE_LEN + 1)]),
            "`notes` must hold strings of at most 1024 bytes, found a long string"
        );
    }

    /// A card as cards were written before 2026-12-02: every task of the
    /// record copied in with its time, status and rating.
    const CARD_WITH_RUN_DETAIL: &str = r#"{"total":100.5,"status":"valid","reason":"","notes":["time bonus 0.5"],"tasks":{"a":{"seconds":30.0,"status":"done","points":2.0},"b":{"seconds":60.0,"status":"done","rating":"S"}},"scorer":{"kind":"native","name":"test","hash":"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}"#;

    #[test]
    fn a_card_with_the_runs_detail_reads_and_writes_back_as_stored() {
        let card: ScoreCard = serde_json::from_str(CARD_WITH_RUN_DETAIL).unwrap();
        // Stored entries are hashed as text: the card must write back byte for byte.
        assert_eq!(serde_json::to_string(&card).unwrap(), CARD_WITH_RUN_DETAIL);
        // What the scorer said is read; the copied detail is left to the input.
        assert_eq!(card.tasks["a"].points, Some(2.0));
        assert!(card.tasks["b"].is_empty());
        let run = input();
        let detail: Vec<_> = card.task_details(&run).collect();
        assert_eq!(detail[0].1.points, Some(2.0));
        assert_eq!((detail[1].1.seconds, detail[1].1.points), (60.0, None));
    }

    #[test]
    fn a_card_keeps_only_the_tasks_the_scorer_spoke_of() {
        let run = input();
        let json = serde_json::json!({
            "total": 1, "status": "valid",
            "tasks": { "a": { "points": 2 }, "b": { "points": null } },
        });
        let mut card = ScoreCard::from_output(&json, &run, id()).unwrap();
        assert_eq!(card.tasks.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(
            serde_json::to_value(&card).unwrap()["tasks"],
            serde_json::json!({ "a": { "points": 2.0 } })
        );
        card.set_task(&run, "b", None, Some("late".into())).unwrap();
        card.set_task(&run, "a", None, None).unwrap();
        assert_eq!(card.tasks.keys().collect::<Vec<_>>(), ["b"]);
        assert_eq!(
            card.set_task(&run, "c", Some(1.0), None).unwrap_err(),
            "`tasks` names `c`, which is not a task of this record"
        );
        assert_eq!(
            card.set_task(&run, "a", Some(f64::INFINITY), None)
                .unwrap_err(),
            "`tasks.a.points` must be a finite number, found the number inf"
        );
        assert_eq!(
            card.set_task(&run, "a", None, Some("n".repeat(MAX_NOTE_LEN + 1)))
                .unwrap_err(),
            "`tasks.a.note` must be a string of at most 1024 bytes, found a long string"
        );
        // A refused task changes nothing.
        assert_eq!(card.tasks.keys().collect::<Vec<_>>(), ["b"]);
        let detail: Vec<_> = card.task_details(&run).collect();
        assert_eq!(detail.len(), 2);
        assert_eq!(detail[1].1.note.as_deref(), Some("late"));
        assert_eq!(detail[0].1.seconds, 30.0);
    }
}
