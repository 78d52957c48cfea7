//! From a spanned document tree to a [`Scenario`], reporting every problem.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use super::{Checked, Role, Scenario, ScenarioMeta, Scoring, Task, TaskDuration, TaskGraph};
use crate::diag::{Diagnostics, Severity, SourceMap};
use crate::duration::{DURATION_FORMS, Duration};
use crate::node::{self, Entry, Format, Node, Value};

/// Keys allowed at the top of a scenario file.
pub(crate) const TOP_KEYS: &[&str] = &["scenario", "roles", "tasks", "scoring"];
/// Keys allowed in `[scenario]`.
pub(crate) const META_KEYS: &[&str] = &[
    "id",
    "version",
    "hazard",
    "name",
    "name_zh",
    "summary",
    "time_limit",
];
/// Keys allowed in a `[[roles]]` table.
pub(crate) const ROLE_KEYS: &[&str] = &["id", "skill", "count"];
/// Keys allowed in a `[[tasks]]` table.
pub(crate) const TASK_KEYS: &[&str] = &[
    "id",
    "name",
    "name_zh",
    "after",
    "duration",
    "roles",
    "equipment",
    "critical",
    "note",
];
/// Keys allowed in a three-point duration.
pub(crate) const DURATION_KEYS: &[&str] = &["min", "likely", "max"];
/// Keys allowed in `[scoring]`.
pub(crate) const SCORING_KEYS: &[&str] = &["script", "wasm", "params"];

/// Hazards Muster ships scenarios for; others are allowed with a warning.
pub(crate) const KNOWN_HAZARDS: &[&str] = &["forest-fire", "landslide", "water-rescue"];

/// Longest id accepted for scenarios, tasks, roles, skills and equipment.
const MAX_ID_LEN: usize = 64;

pub(super) fn parse(name: &str, text: &str, format: Format) -> Checked {
    let map = SourceMap::new(name, text);
    let mut d = Decoder {
        map: &map,
        diags: Diagnostics::default(),
    };
    let scenario = node::parse(&map, text, format, &mut d.diags).and_then(|root| d.scenario(&root));
    if d.diags.has_errors() {
        // Warnings about an input that does not load are noise; fix the errors first.
        d.diags.retain_errors();
    }
    d.diags.sort();
    Checked {
        scenario: if d.diags.has_errors() { None } else { scenario },
        diagnostics: d.diags,
    }
}

struct Decoder<'m> {
    map: &'m SourceMap<'m>,
    diags: Diagnostics,
}

/// Where a task's parts were written, for diagnostics found after decoding.
struct TaskSpans {
    id: Range<usize>,
    after: Vec<Range<usize>>,
}

impl Decoder<'_> {
    fn error(&mut self, span: &Range<usize>, task: Option<&str>, message: impl Into<String>) {
        let d = self.map.diag(Severity::Error, span, task, message);
        self.diags.push(d);
    }

    fn warn(&mut self, span: &Range<usize>, task: Option<&str>, message: impl Into<String>) {
        let d = self.map.diag(Severity::Warning, span, task, message);
        self.diags.push(d);
    }

    fn scenario(&mut self, root: &Node) -> Option<Scenario> {
        let entries = self.table(root, "the file", TOP_KEYS, None)?;
        if entries.is_empty() {
            self.error(
                &root.span,
                None,
                "the file is empty: a scenario needs a [scenario] table and at least one [[tasks]] table",
            );
            return None;
        }
        let meta = match field(entries, "scenario") {
            Some(e) => self.meta(&e.node),
            None => {
                self.error(
                    &(0..0),
                    None,
                    "there is no [scenario] table; add one with id, version, hazard and name",
                );
                None
            }
        };
        let roles = match field(entries, "roles") {
            Some(e) => self.roles(&e.node),
            None => Vec::new(),
        };
        let (tasks, spans) = match field(entries, "tasks") {
            Some(e) => self.tasks(&e.node, &roles),
            None => (Vec::new(), Vec::new()),
        };
        if tasks.is_empty() && spans.is_empty() {
            let span = field(entries, "tasks").map_or(0..0, |e| e.key_span.clone());
            self.error(
                &span,
                None,
                "the scenario has no tasks; add at least one [[tasks]] table with id, name and duration",
            );
        }
        let scoring = match field(entries, "scoring") {
            Some(e) => self.scoring(&e.node),
            None => Some(Scoring {
                params: serde_json::Value::Object(Default::default()),
                ..Scoring::default()
            }),
        };
        let graph = self.graph(&tasks, &spans)?;
        self.warn_unused_roles(entries, &roles, &tasks);
        let scenario = Scenario {
            meta: meta?,
            roles,
            tasks,
            scoring: scoring?,
            graph,
        };
        self.warn_time_limit(entries, &scenario);
        Some(scenario)
    }

    fn meta(&mut self, node: &Node) -> Option<ScenarioMeta> {
        let entries = self.table(node, "[scenario]", META_KEYS, None)?;
        let id = self.required_id(entries, "id", "[scenario]", &node.span, None);
        let version = match self.required_str(entries, "version", "[scenario]", &node.span, None) {
            Some((text, span)) => match semver::Version::parse(&text) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.error(
                        &span,
                        None,
                        format!(
                            "version \"{text}\" is not a semantic version ({e}); write MAJOR.MINOR.PATCH, e.g. \"1.0.0\""
                        ),
                    );
                    None
                }
            },
            None => None,
        };
        let hazard = self.required_id(entries, "hazard", "[scenario]", &node.span, None);
        if let (Some(h), Some(e)) = (&hazard, field(entries, "hazard"))
            && !KNOWN_HAZARDS.contains(&h.as_str())
        {
            let span = e.node.span.clone();
            self.warn(
                &span,
                None,
                format!(
                    "hazard `{h}` is not one of Muster's built-in hazards ({}); check the spelling",
                    KNOWN_HAZARDS.join(", ")
                ),
            );
        }
        let name = self.required_str(entries, "name", "[scenario]", &node.span, None);
        let name_zh = self.optional_str(entries, "name_zh", None);
        let summary = self
            .optional_str(entries, "summary", None)
            .map(|s| s.trim().to_string());
        let time_limit = match field(entries, "time_limit") {
            Some(e) => Some(self.duration(&e.node, None, "time_limit")?),
            None => None,
        };
        Some(ScenarioMeta {
            id: id?,
            version: version?,
            hazard: hazard?,
            name: name?.0,
            name_zh,
            summary,
            time_limit,
        })
    }

    fn roles(&mut self, node: &Node) -> Vec<Role> {
        let Some(items) = self.array(node, "roles", None) else {
            return Vec::new();
        };
        let mut roles: Vec<Role> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for item in items {
            let Some(entries) = self.table(item, "a role", ROLE_KEYS, None) else {
                continue;
            };
            let id = self.required_id(entries, "id", "a role", &item.span, None);
            let skill = self.required_id(entries, "skill", "a role", &item.span, None);
            let count = match field(entries, "count") {
                Some(e) => self.count(&e.node, None, "`count`"),
                None => Some(1),
            };
            let (Some(id), Some(skill), Some(count)) = (id, skill, count) else {
                continue;
            };
            if let Some(e) = field(entries, "id") {
                let span = e.node.span.clone();
                if let Some(line) = seen.get(&id) {
                    self.error(
                        &span,
                        None,
                        format!("duplicate role id `{id}`: it is already used on line {line}; give each role its own id"),
                    );
                    continue;
                }
                seen.insert(id.clone(), self.map.line_col(span.start).0);
            }
            roles.push(Role { id, skill, count });
        }
        roles
    }

    fn tasks(&mut self, node: &Node, roles: &[Role]) -> (Vec<Task>, Vec<TaskSpans>) {
        let Some(items) = self.array(node, "tasks", None) else {
            return (
                Vec::new(),
                vec![TaskSpans {
                    id: node.span.clone(),
                    after: vec![],
                }],
            );
        };
        let mut tasks = Vec::new();
        let mut spans = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut any_bad = false;
        for item in items {
            match self.task(item, roles) {
                Some((task, span)) => {
                    if let Some(line) = seen.get(&task.id) {
                        let msg = format!(
                            "duplicate task id `{}`: it is already used on line {line}; give each task its own id",
                            task.id
                        );
                        self.error(&span.id, Some(&task.id), msg);
                        any_bad = true;
                        continue;
                    }
                    seen.insert(task.id.clone(), self.map.line_col(span.id.start).0);
                    tasks.push(task);
                    spans.push(span);
                }
                None => any_bad = true,
            }
        }
        if any_bad && spans.is_empty() {
            // Tasks were written but none decoded: say nothing more about "no tasks".
            spans.push(TaskSpans {
                id: node.span.clone(),
                after: vec![],
            });
            tasks.clear();
            return (tasks, spans);
        }
        (tasks, spans)
    }

    fn task(&mut self, node: &Node, roles: &[Role]) -> Option<(Task, TaskSpans)> {
        let entries = self.table(node, "a task", TASK_KEYS, None)?;
        let id = self.required_id(entries, "id", "a task", &node.span, None);
        let tid = id.as_deref();
        let name = self.required_str(entries, "name", "a task", &node.span, tid);
        let name_zh = self.optional_str(entries, "name_zh", tid);
        let note = self.optional_str(entries, "note", tid);
        let duration = match field(entries, "duration") {
            Some(e) => self.task_duration(&e.node, tid),
            None => {
                self.error(
                    &node.span,
                    tid,
                    "the task has no `duration`; add e.g. `duration = \"5m\"` or `duration = { min = \"3m\", likely = \"5m\", max = \"8m\" }`",
                );
                None
            }
        };
        let (after, after_spans) = match field(entries, "after") {
            Some(e) => self.id_list(&e.node, tid, "after"),
            None => (Some(Vec::new()), Vec::new()),
        };
        let (role_ids, role_spans) = match field(entries, "roles") {
            Some(e) => self.id_list(&e.node, tid, "roles"),
            None => (Some(Vec::new()), Vec::new()),
        };
        if let Some(role_ids) = &role_ids {
            for (r, span) in role_ids.iter().zip(&role_spans) {
                if roles.iter().any(|x| &x.id == r) {
                    continue;
                }
                let msg = if roles.is_empty() {
                    format!(
                        "unknown role `{r}`: the scenario declares no [[roles]]; add one with id = \"{r}\", a skill and a count"
                    )
                } else {
                    let ids: Vec<&str> = roles.iter().map(|x| x.id.as_str()).collect();
                    unknown(&format!("unknown role `{r}`"), r, &ids, "declared roles")
                };
                self.error(span, tid, msg);
            }
        }
        let equipment = match field(entries, "equipment") {
            Some(e) => self.equipment(&e.node, tid),
            None => Some(BTreeMap::new()),
        };
        let critical = match field(entries, "critical") {
            Some(e) => match e.node.value {
                Value::Bool(b) => Some(b),
                ref other => {
                    let msg = format!("`critical` must be true or false, found {}", other.kind());
                    self.error(&e.node.span, tid, msg);
                    None
                }
            },
            None => Some(false),
        };
        let id_span = field(entries, "id").map_or(node.span.clone(), |e| e.node.span.clone());
        let task = Task {
            id: id?,
            name: name?.0,
            name_zh,
            after: after?,
            duration: duration?,
            roles: role_ids?,
            equipment: equipment?,
            critical: critical?,
            note,
        };
        Some((
            task,
            TaskSpans {
                id: id_span,
                after: after_spans,
            },
        ))
    }

    fn task_duration(&mut self, node: &Node, task: Option<&str>) -> Option<TaskDuration> {
        if let Value::Table(_) = node.value {
            let entries = self.table(node, "a three-point duration", DURATION_KEYS, task)?;
            let mut get = |key: &str| match field(entries, key) {
                Some(e) => self.duration(&e.node, task, key),
                None => {
                    let msg = format!(
                        "the three-point duration has no `{key}`; write {{ min = \"3m\", likely = \"5m\", max = \"8m\" }}"
                    );
                    self.error(&node.span, task, msg);
                    None
                }
            };
            let (min, likely, max) = (get("min"), get("likely"), get("max"));
            let (min, likely, max) = (min?, likely?, max?);
            let d = TaskDuration::three_point(min, likely, max);
            if d.is_none() {
                self.error(
                    &node.span,
                    task,
                    format!(
                        "three-point duration out of order: min {min}, likely {likely}, max {max}; it needs min ≤ likely ≤ max"
                    ),
                );
            }
            d
        } else {
            self.duration(node, task, "duration")
                .map(TaskDuration::fixed)
        }
    }

    fn duration(&mut self, node: &Node, task: Option<&str>, key: &str) -> Option<Duration> {
        match &node.value {
            Value::Str(s) => match Duration::parse(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.error(&node.span, task, format!("`{key}`: {e}"));
                    None
                }
            },
            other => {
                let msg = format!(
                    "`{key}` must be a duration text such as {DURATION_FORMS}; found {}",
                    other.kind()
                );
                self.error(&node.span, task, msg);
                None
            }
        }
    }

    fn equipment(&mut self, node: &Node, task: Option<&str>) -> Option<BTreeMap<String, u32>> {
        let Value::Table(entries) = &node.value else {
            let msg = format!(
                "`equipment` must be a table of item = count, e.g. {{ wind-extinguisher = 4 }}; found {}",
                node.value.kind()
            );
            self.error(&node.span, task, msg);
            return None;
        };
        let mut out = BTreeMap::new();
        let mut ok = true;
        for e in entries {
            if !valid_id(&e.key) {
                self.error(&e.key_span, task, id_message("equipment item", &e.key));
                ok = false;
                continue;
            }
            match self.count(&e.node, task, &format!("equipment `{}`", e.key)) {
                Some(n) => {
                    out.insert(e.key.clone(), n);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A count of people or items: a whole number from 1 to 10,000.
    fn count(&mut self, node: &Node, task: Option<&str>, what: &str) -> Option<u32> {
        match node.value {
            Value::Int(n) if (1..=10_000).contains(&n) => Some(n as u32),
            Value::Int(n) => {
                self.error(
                    &node.span,
                    task,
                    format!("{what} is {n}; it must be a whole number from 1 to 10000"),
                );
                None
            }
            ref other => {
                let msg = format!(
                    "{what} must be a whole number from 1 to 10000, found {}",
                    other.kind()
                );
                self.error(&node.span, task, msg);
                None
            }
        }
    }

    fn scoring(&mut self, node: &Node) -> Option<Scoring> {
        let entries = self.table(node, "[scoring]", SCORING_KEYS, None)?;
        let script = self.optional_str(entries, "script", None);
        let wasm = self.optional_str(entries, "wasm", None);
        if script.is_some() && wasm.is_some() {
            self.error(
                &node.span,
                None,
                "[scoring] names both a `script` and a `wasm` module; keep one of them",
            );
        }
        let params = match field(entries, "params") {
            Some(e) => {
                if let Value::Table(_) = e.node.value {
                    e.node.to_json()
                } else {
                    let msg = format!(
                        "[scoring.params] must be a table of values for the scorer, found {}",
                        e.node.value.kind()
                    );
                    self.error(&e.node.span, None, msg);
                    return None;
                }
            }
            None => serde_json::Value::Object(Default::default()),
        };
        Some(Scoring {
            script,
            wasm,
            params,
        })
    }

    fn graph(&mut self, tasks: &[Task], spans: &[TaskSpans]) -> Option<TaskGraph> {
        let index: HashMap<&str, usize> = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
        let mut edges = Vec::new();
        // Which `after` entry made each edge, for pointing at a cycle.
        let mut edge_span: HashMap<(usize, usize), Range<usize>> = HashMap::new();
        for (i, (t, s)) in tasks.iter().zip(spans).enumerate() {
            for (a, span) in t.after.iter().zip(&s.after) {
                match index.get(a.as_str()) {
                    Some(&j) if j == i => {
                        self.error(
                            span,
                            Some(&t.id),
                            "a task cannot come `after` itself; remove it from its own `after` list",
                        );
                    }
                    Some(&j) => {
                        edges.push((j, i));
                        edge_span.entry((j, i)).or_insert_with(|| span.clone());
                    }
                    None => {
                        let msg = unknown(
                            &format!("`after` names unknown task `{a}`"),
                            a,
                            &ids,
                            "tasks",
                        );
                        self.error(span, Some(&t.id), msg);
                    }
                }
            }
        }
        match TaskGraph::new(tasks.len(), &edges) {
            Ok(g) => Some(g),
            Err(cycles) => {
                for cycle in cycles {
                    let names: Vec<&str> = cycle.iter().map(|&i| ids[i]).collect();
                    let (last, first) = (cycle[cycle.len() - 2], cycle[cycle.len() - 1]);
                    let span = edge_span.get(&(last, first)).cloned().unwrap_or(0..0);
                    self.error(
                        &span,
                        Some(ids[first]),
                        format!(
                            "the tasks form a cycle: {}; each task in it waits for the one before, so none can start. Remove one of these `after` links",
                            names.join(" → ")
                        ),
                    );
                }
                None
            }
        }
    }

    fn warn_unused_roles(&mut self, entries: &[Entry], roles: &[Role], tasks: &[Task]) {
        let Some(Value::Array(items)) = field(entries, "roles").map(|e| &e.node.value) else {
            return;
        };
        for (role, item) in roles.iter().zip(items) {
            if !tasks.iter().any(|t| t.roles.contains(&role.id)) {
                self.warn(
                    &item.span,
                    None,
                    format!("role `{}` is declared but no task uses it", role.id),
                );
            }
        }
    }

    fn warn_time_limit(&mut self, entries: &[Entry], s: &Scenario) {
        let Some(limit) = s.meta.time_limit else {
            return;
        };
        let length = crate::analysis::critical_path(s).length();
        if length > limit {
            let span = field(entries, "scenario")
                .and_then(|e| match &e.node.value {
                    Value::Table(t) => field(t, "time_limit").map(|e| e.node.span.clone()),
                    _ => None,
                })
                .unwrap_or(0..0);
            self.warn(
                &span,
                None,
                format!(
                    "time_limit {limit} is shorter than the critical path on likely durations ({length}); most runs will not finish in time"
                ),
            );
        }
    }

    // ----- generic helpers -----

    fn table<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
        task: Option<&str>,
    ) -> Option<&'n [Entry]> {
        let Value::Table(entries) = &node.value else {
            let msg = format!("{what} must be a table, found {}", node.value.kind());
            self.error(&node.span, task, msg);
            return None;
        };
        let mut seen: Vec<&str> = Vec::new();
        for e in entries {
            if seen.contains(&e.key.as_str()) {
                let msg = format!("key `{}` appears twice in {what}; keep one", e.key);
                self.error(&e.key_span, task, msg);
            }
            seen.push(&e.key);
            if !allowed.contains(&e.key.as_str()) {
                let mut msg = format!("unknown key `{}` in {what}", e.key);
                if let Some(best) = closest(&e.key, allowed) {
                    msg.push_str(&format!("; did you mean `{best}`?"));
                }
                msg.push_str(&format!(" Allowed keys: {}", allowed.join(", ")));
                self.error(&e.key_span, task, msg);
            }
        }
        Some(entries)
    }

    fn array<'n>(&mut self, node: &'n Node, key: &str, task: Option<&str>) -> Option<&'n [Node]> {
        match &node.value {
            Value::Array(items) => Some(items),
            other => {
                let msg = format!("`{key}` must be a list, found {}", other.kind());
                self.error(&node.span, task, msg);
                None
            }
        }
    }

    fn required_str(
        &mut self,
        entries: &[Entry],
        key: &str,
        what: &str,
        parent: &Range<usize>,
        task: Option<&str>,
    ) -> Option<(String, Range<usize>)> {
        let Some(e) = field(entries, key) else {
            self.error(
                parent,
                task,
                format!("{what} has no `{key}`; add `{key} = \"...\"`"),
            );
            return None;
        };
        let s = self.string_value(&e.node, key, task)?;
        if s.trim().is_empty() {
            self.error(
                &e.node.span,
                task,
                format!("`{key}` is empty; write a value"),
            );
            return None;
        }
        Some((s, e.node.span.clone()))
    }

    fn required_id(
        &mut self,
        entries: &[Entry],
        key: &str,
        what: &str,
        parent: &Range<usize>,
        task: Option<&str>,
    ) -> Option<String> {
        let (s, span) = self.required_str(entries, key, what, parent, task)?;
        if valid_id(&s) {
            Some(s)
        } else {
            self.error(&span, task, id_message(&format!("{what}'s `{key}`"), &s));
            None
        }
    }

    fn optional_str(&mut self, entries: &[Entry], key: &str, task: Option<&str>) -> Option<String> {
        let e = field(entries, key)?;
        self.string_value(&e.node, key, task)
    }

    /// The string `key` holds; an error when it holds anything else.
    fn string_value(&mut self, node: &Node, key: &str, task: Option<&str>) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            other => {
                let msg = format!("`{key}` must be a string, found {}", other.kind());
                self.error(&node.span, task, msg);
                None
            }
        }
    }

    /// A list of ids, with the span of each; `None` when the list itself is malformed.
    fn id_list(
        &mut self,
        node: &Node,
        task: Option<&str>,
        key: &str,
    ) -> (Option<Vec<String>>, Vec<Range<usize>>) {
        let Some(items) = self.array(node, key, task) else {
            return (None, Vec::new());
        };
        let mut out = Vec::new();
        let mut spans = Vec::new();
        let mut ok = true;
        for item in items {
            match &item.value {
                Value::Str(s) if out.contains(s) => {
                    let msg = format!("`{key}` lists `{s}` twice; keep one");
                    self.error(&item.span, task, msg);
                    ok = false;
                }
                Value::Str(s) => {
                    out.push(s.clone());
                    spans.push(item.span.clone());
                }
                other => {
                    let msg = format!("`{key}` must list ids as strings, found {}", other.kind());
                    self.error(&item.span, task, msg);
                    ok = false;
                }
            }
        }
        (ok.then_some(out), spans)
    }
}

fn field<'e>(entries: &'e [Entry], key: &str) -> Option<&'e Entry> {
    entries.iter().find(|e| e.key == key)
}

/// Ids: 1–64 characters, letters, digits, '.', '-' and '_', starting with a letter or digit.
pub(crate) fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn id_message(what: &str, s: &str) -> String {
    format!(
        "{what} \"{s}\" is not a valid id; use 1 to {MAX_ID_LEN} letters, digits, '.', '-' or '_', starting with a letter or digit, e.g. \"control-line\""
    )
}

/// The candidate closest to `word`, when it is close enough to be a likely typo.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(2))
        .min()
        .map(|(_, c)| c)
}

/// "unknown X `y`; did you mean `z`?" or, with no close match, the list of known ones.
fn unknown(head: &str, word: &str, known: &[&str], plural: &str) -> String {
    match closest(word, known) {
        Some(best) => format!("{head}; did you mean `{best}`?"),
        None => format!("{head}; the {plural} are: {}", known.join(", ")),
    }
}
