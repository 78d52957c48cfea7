//! Drill records: one run of a scenario by a team, as a judge enters it.

use std::collections::BTreeMap;

use crate::diag::{Diagnostics, Severity, SourceMap};
use crate::duration::Duration;
use crate::node::{self, Entry, Format, Node, Value};
use crate::scenario::Scenario;

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    /// Finished as the scenario asks.
    Done,
    /// Attempted and failed.
    Failed,
    /// Not attempted.
    Skipped,
}

/// An evaluator's rating in the HSEEP scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Rating {
    /// Performed without challenges.
    P,
    /// Performed with some challenges.
    S,
    /// Performed with major challenges.
    M,
    /// Unable to be performed.
    U,
}

/// One task as run: times are seconds from the drill's start.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct TaskRun {
    /// Seconds from the drill's start when the task started.
    pub start: f64,
    /// Seconds from the drill's start when the task ended.
    pub end: f64,
    /// How the task ended.
    pub status: TaskStatus,
    /// The evaluator's rating, where one was given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rating: Option<Rating>,
}

/// A penalty a judge gave.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Penalty {
    /// The penalty code, e.g. `missing-kit`; the scorer's params give its points.
    pub code: String,
    /// The task it was given on, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub task: Option<String>,
    /// How many times.
    pub count: u32,
}

/// A checked drill record.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct DrillRecord {
    /// The scenario id.
    pub scenario: String,
    /// The scenario version the drill was run against.
    pub version: semver::Version,
    /// The team (squad, squadron or member) that ran it.
    pub team: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// When the drill started, as RFC 3339 text with its offset.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub started_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Task runs by task id.
    pub tasks: BTreeMap<String, TaskRun>,
    /// Penalties, in the order given.
    #[serde(default)]
    pub penalties: Vec<Penalty>,
}

/// Keys allowed at the top of a record, in the order they are written.
pub(crate) const RECORD_KEYS: &[&str] = &[
    "scenario",
    "version",
    "team",
    "attempt",
    "started_at",
    "tasks",
    "penalties",
];
const TASK_RUN_KEYS: &[&str] = &["start", "end", "status", "rating"];
/// Keys of a penalty, in the order they are written.
pub(crate) const PENALTY_KEYS: &[&str] = &["code", "task", "count"];

impl DrillRecord {
    /// Parses a record (JSON, or the same shape in TOML) and checks it against
    /// its scenario: the scenario id and version match, every task id and
    /// penalty task is one of the scenario's, no task ends before it starts.
    ///
    /// Every problem is reported with its line and column.
    pub fn parse(
        name: &str,
        text: &str,
        format: Format,
        scenario: &Scenario,
    ) -> Result<DrillRecord, Diagnostics> {
        let map = SourceMap::new(name, text);
        let mut diags = Diagnostics::default();
        let record = node::parse(&map, text, format, &mut diags).and_then(|root| {
            RecordDecoder {
                map: &map,
                diags: &mut diags,
                scenario,
            }
            .record(&root)
        });
        diags.sort();
        match record {
            Some(r) if !diags.has_errors() => Ok(r),
            _ => Err(diags),
        }
    }

    /// Seconds from the earliest task start to the latest task end.
    pub fn elapsed_secs(&self) -> f64 {
        elapsed_of(&self.tasks)
    }
}

/// Seconds from the earliest start to the latest end of `tasks`; 0 for none.
pub(crate) fn elapsed_of(tasks: &BTreeMap<String, TaskRun>) -> f64 {
    let start = tasks
        .values()
        .map(|t| t.start)
        .fold(f64::INFINITY, f64::min);
    let end = tasks
        .values()
        .map(|t| t.end)
        .fold(f64::NEG_INFINITY, f64::max);
    if tasks.is_empty() { 0.0 } else { end - start }
}

/// The ids of `scenario`'s tasks, in file order.
fn task_ids(scenario: &Scenario) -> Vec<&str> {
    scenario.tasks().iter().map(|t| t.id.as_str()).collect()
}

struct RecordDecoder<'a, 'm> {
    map: &'a SourceMap<'m>,
    diags: &'a mut Diagnostics,
    scenario: &'a Scenario,
}

impl RecordDecoder<'_, '_> {
    fn error(&mut self, span: &std::ops::Range<usize>, task: Option<&str>, msg: impl Into<String>) {
        let d = self.map.diag(Severity::Error, span, task, msg);
        self.diags.push(d);
    }

    fn table<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
        task: Option<&str>,
    ) -> Option<&'n [Entry]> {
        let Value::Table(entries) = &node.value else {
            let msg = format!("{what} must be an object, found {}", node.value.kind());
            self.error(&node.span, task, msg);
            return None;
        };
        for e in entries {
            if !allowed.contains(&e.key.as_str()) {
                let hint = crate::scenario::closest_key(&e.key, allowed)
                    .map(|b| format!("; did you mean `{b}`?"))
                    .unwrap_or_default();
                let msg = format!(
                    "unknown field `{}` in {what}{hint} Allowed fields: {}",
                    e.key,
                    allowed.join(", ")
                );
                self.error(&e.key_span, task, msg);
            }
        }
        Some(entries)
    }

    fn string(
        &mut self,
        entries: &[Entry],
        key: &str,
        parent: &Node,
        task: Option<&str>,
    ) -> Option<(String, std::ops::Range<usize>)> {
        match entries.iter().find(|e| e.key == key) {
            Some(Entry {
                node:
                    Node {
                        value: Value::Str(s),
                        span,
                    },
                ..
            }) => Some((s.clone(), span.clone())),
            Some(e) => {
                let msg = format!(
                    "field `{key}` must be a string, found {}",
                    e.node.value.kind()
                );
                self.error(&e.node.span, task, msg);
                None
            }
            None => {
                self.error(
                    &parent.span,
                    task,
                    format!("the record has no field `{key}`"),
                );
                None
            }
        }
    }

    fn record(&mut self, root: &Node) -> Option<DrillRecord> {
        let entries = self.table(root, "the record", RECORD_KEYS, None)?;
        let meta = self.scenario.meta();
        let scenario = self.string(entries, "scenario", root, None);
        if let Some((id, span)) = &scenario
            && id != &meta.id
        {
            let msg = format!(
                "field `scenario` is \"{id}\" but this record is checked against scenario \"{}\"",
                meta.id
            );
            self.error(span, None, msg);
        }
        let version = match self.string(entries, "version", root, None) {
            Some((v, span)) => match semver::Version::parse(&v) {
                Ok(ver) if ver == meta.version => Some(ver),
                Ok(ver) => {
                    let msg = format!(
                        "field `version` is {ver} but the scenario is version {}; score the record with the scenario version it was run against",
                        meta.version
                    );
                    self.error(&span, None, msg);
                    None
                }
                Err(e) => {
                    let msg = format!(
                        "field `version` \"{v}\" is not a semantic version ({e}); write e.g. \"1.0.0\""
                    );
                    self.error(&span, None, msg);
                    None
                }
            },
            None => None,
        };
        let team = self.string(entries, "team", root, None);
        let attempt = match entries.iter().find(|e| e.key == "attempt") {
            None => Some(1),
            Some(e) => match e.node.value {
                Value::Int(n) if (1..=1000).contains(&n) => Some(n as u32),
                ref v => {
                    let msg = format!(
                        "field `attempt` must be a whole number from 1 to 1000, found {}",
                        describe(v)
                    );
                    self.error(&e.node.span, None, msg);
                    None
                }
            },
        };
        let started_at = match entries.iter().find(|e| e.key == "started_at") {
            None => Some(None),
            Some(e) => match &e.node.value {
                Value::Str(s) | Value::Datetime(s) => match chrono::DateTime::parse_from_rfc3339(s)
                {
                    Ok(t) => Some(Some(t)),
                    Err(err) => {
                        let msg = format!(
                            "field `started_at` \"{s}\" is not an RFC 3339 time ({err}); write e.g. \"2026-12-01T09:00:00+08:00\""
                        );
                        self.error(&e.node.span, None, msg);
                        None
                    }
                },
                v => {
                    let msg = format!("field `started_at` must be a time text, found {}", v.kind());
                    self.error(&e.node.span, None, msg);
                    None
                }
            },
        };
        let tasks = match entries.iter().find(|e| e.key == "tasks") {
            Some(e) => self.tasks(&e.node),
            None => {
                self.error(&root.span, None, "the record has no field `tasks`; add an object of task id → { start, end, status }");
                None
            }
        };
        let penalties = match entries.iter().find(|e| e.key == "penalties") {
            Some(e) => self.penalties(&e.node),
            None => Some(Vec::new()),
        };
        Some(DrillRecord {
            scenario: scenario?.0,
            version: version?,
            team: team?.0,
            attempt: attempt?,
            started_at: started_at?,
            tasks: tasks?,
            penalties: penalties?,
        })
    }

    fn tasks(&mut self, node: &Node) -> Option<BTreeMap<String, TaskRun>> {
        let Value::Table(entries) = &node.value else {
            let msg = format!(
                "field `tasks` must be an object of task id → run, found {}",
                node.value.kind()
            );
            self.error(&node.span, None, msg);
            return None;
        };
        let ids = task_ids(self.scenario);
        let mut out = BTreeMap::new();
        let mut ok = true;
        for e in entries {
            let id = e.key.as_str();
            if !ids.contains(&id) {
                let hint = crate::scenario::closest_key(id, &ids)
                    .map(|b| format!("did you mean `{b}`?"))
                    .unwrap_or_else(|| format!("the scenario's tasks are: {}", ids.join(", ")));
                let msg = format!("`tasks` names unknown task `{id}`; {hint}");
                self.error(&e.key_span, Some(id), msg);
                ok = false;
                continue;
            }
            match self.task_run(&e.node, id) {
                Some(run) => {
                    out.insert(id.to_string(), run);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn task_run(&mut self, node: &Node, id: &str) -> Option<TaskRun> {
        let entries = self.table(node, "a task run", TASK_RUN_KEYS, Some(id))?;
        let start = self.time(entries, "start", node, id);
        let end = self.time(entries, "end", node, id);
        let status = match self.string(entries, "status", node, Some(id)) {
            Some((s, span)) => match s.as_str() {
                "done" => Some(TaskStatus::Done),
                "failed" => Some(TaskStatus::Failed),
                "skipped" => Some(TaskStatus::Skipped),
                _ => {
                    let msg = format!(
                        "field `status` is \"{s}\"; write \"done\", \"failed\" or \"skipped\""
                    );
                    self.error(&span, Some(id), msg);
                    None
                }
            },
            None => None,
        };
        let rating = match entries.iter().find(|e| e.key == "rating") {
            None => Some(None),
            Some(e) => match &e.node.value {
                Value::Str(s) if s == "P" => Some(Some(Rating::P)),
                Value::Str(s) if s == "S" => Some(Some(Rating::S)),
                Value::Str(s) if s == "M" => Some(Some(Rating::M)),
                Value::Str(s) if s == "U" => Some(Some(Rating::U)),
                v => {
                    let msg = format!(
                        "field `rating` is {}; write one of the HSEEP ratings \"P\", \"S\", \"M\" or \"U\"",
                        describe(v)
                    );
                    self.error(&e.node.span, Some(id), msg);
                    None
                }
            },
        };
        let (start, end) = (start?, end?);
        if end < start {
            let span = entries
                .iter()
                .find(|e| e.key == "end")
                .map_or(node.span.clone(), |e| e.node.span.clone());
            let msg = format!(
                "field `end` ({}) is before field `start` ({}); a task cannot end before it starts",
                secs_text(end),
                secs_text(start)
            );
            self.error(&span, Some(id), msg);
            return None;
        }
        Some(TaskRun {
            start,
            end,
            status: status?,
            rating: rating?,
        })
    }

    /// A time from the drill's start: duration text ("4m40s") or seconds (280, 280.5).
    fn time(&mut self, entries: &[Entry], key: &str, parent: &Node, id: &str) -> Option<f64> {
        let Some(e) = entries.iter().find(|e| e.key == key) else {
            self.error(
                &parent.span,
                Some(id),
                format!("the task run has no field `{key}`; write e.g. \"4m40s\" or 280"),
            );
            return None;
        };
        let secs = match &e.node.value {
            Value::Str(s) => Duration::parse(s).ok().map(|d| d.as_secs() as f64),
            Value::Int(n) => Some(*n as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        };
        match secs {
            Some(s)
                if s.is_finite()
                    && (0.0..=crate::duration::MAX_DURATION_SECS as f64).contains(&s) =>
            {
                Some(s)
            }
            _ => {
                let msg = format!(
                    "field `{key}` is {}; write a time from the drill's start as duration text such as \"4m40s\" or as seconds such as 280",
                    describe(&e.node.value)
                );
                self.error(&e.node.span, Some(id), msg);
                None
            }
        }
    }

    fn penalties(&mut self, node: &Node) -> Option<Vec<Penalty>> {
        let Value::Array(items) = &node.value else {
            let msg = format!(
                "field `penalties` must be a list, found {}",
                node.value.kind()
            );
            self.error(&node.span, None, msg);
            return None;
        };
        let ids = task_ids(self.scenario);
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            let Some(entries) = self.table(item, "a penalty", PENALTY_KEYS, None) else {
                ok = false;
                continue;
            };
            let code = self.string(entries, "code", item, None);
            let task = match entries.iter().find(|e| e.key == "task") {
                None => Some(None),
                Some(e) => match &e.node.value {
                    Value::Str(t) if ids.contains(&t.as_str()) => Some(Some(t.clone())),
                    Value::Str(t) => {
                        let hint = crate::scenario::closest_key(t, &ids)
                            .map(|b| format!("did you mean `{b}`?"))
                            .unwrap_or_else(|| {
                                format!("the scenario's tasks are: {}", ids.join(", "))
                            });
                        let msg = format!("penalty field `task` names unknown task `{t}`; {hint}");
                        self.error(&e.node.span, None, msg);
                        None
                    }
                    v => {
                        let msg =
                            format!("penalty field `task` must be a task id, found {}", v.kind());
                        self.error(&e.node.span, None, msg);
                        None
                    }
                },
            };
            let count = match entries.iter().find(|e| e.key == "count") {
                None => Some(1),
                Some(e) => match e.node.value {
                    Value::Int(n) if (1..=1000).contains(&n) => Some(n as u32),
                    ref v => {
                        let msg = format!(
                            "penalty field `count` must be a whole number from 1 to 1000, found {}",
                            describe(v)
                        );
                        self.error(&e.node.span, None, msg);
                        None
                    }
                },
            };
            match (code, task, count) {
                (Some((code, _)), Some(task), Some(count)) => {
                    out.push(Penalty { code, task, count })
                }
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("\"{s}\""),
        Value::Int(n) => n.to_string(),
        Value::Float(f) => f.to_string(),
        other => other.kind().to_string(),
    }
}

fn secs_text(s: f64) -> String {
    if s.fract() == 0.0 {
        Duration::from_secs(s as u64).to_string()
    } else {
        format!("{s}s")
    }
}
