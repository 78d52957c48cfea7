//! The JSON Schema of the scenario format, generated from the types below so
//! that trainers get completion and checking in their editor.
//!
//! These types describe the file; [`crate::Scenario::parse`] decodes it with full
//! diagnostics. A test keeps the two in step: every table's allowed keys here
//! are the keys the decoder accepts.

// The types exist to be described, never built.
#![allow(dead_code)]

use std::collections::BTreeMap;

use schemars::JsonSchema;

const ID: &str = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";
const DURATION: &str = r"^\s*([0-9]+h)?([0-9]+m)?([0-9]+s)?\s*$";

/// A Muster drill scenario: a versioned task graph with roles, equipment and scoring.
#[derive(JsonSchema)]
#[schemars(title = "Muster drill scenario", deny_unknown_fields)]
pub(crate) struct ScenarioFile {
    scenario: MetaFile,
    /// The people the drill needs, by skill.
    #[schemars(default)]
    roles: Vec<RoleFile>,
    /// The tasks of the drill; at least one.
    #[schemars(length(min = 1))]
    tasks: Vec<TaskFile>,
    scoring: Option<ScoringFile>,
}

/// What the drill is.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct MetaFile {
    /// Stable id, e.g. "forest-fire.initial-attack".
    #[schemars(regex(pattern = ID))]
    id: String,
    /// Semantic version, MAJOR.MINOR.PATCH, e.g. "1.0.0".
    #[schemars(regex(pattern = r"^\d+\.\d+\.\d+"))]
    version: String,
    /// The hazard trained for: "forest-fire", "landslide", "water-rescue", or another.
    #[schemars(regex(pattern = ID))]
    hazard: String,
    /// English name.
    name: String,
    /// Chinese name.
    name_zh: Option<String>,
    /// A paragraph on what happens in the drill.
    summary: Option<String>,
    /// The time the drill must be finished in: "90s", "5m", "1h30m".
    #[schemars(regex(pattern = DURATION))]
    time_limit: Option<String>,
}

/// A role: how many people with which skill.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct RoleFile {
    /// Role id, referenced from tasks' `roles`.
    #[schemars(regex(pattern = ID))]
    id: String,
    /// A skill from the brigade's skill list, e.g. "wind-extinguisher".
    #[schemars(regex(pattern = ID))]
    skill: String,
    /// How many people fill the role (default 1).
    #[schemars(range(min = 1, max = 10000))]
    count: Option<u32>,
}

/// One task of the drill.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct TaskFile {
    /// Task id, unique in the scenario.
    #[schemars(regex(pattern = ID))]
    id: String,
    /// English name.
    name: String,
    /// Chinese name.
    name_zh: Option<String>,
    /// Ids of the tasks that must finish before this one starts.
    #[schemars(default)]
    after: Vec<String>,
    duration: DurationFile,
    /// Ids of the roles that work on this task.
    #[schemars(default)]
    roles: Vec<String>,
    /// Equipment used: item id → count, e.g. { wind-extinguisher = 4 }.
    #[schemars(default)]
    equipment: BTreeMap<String, u32>,
    /// Failing a critical task fails the drill (lookouts, escape routes, headcount).
    #[schemars(default)]
    critical: bool,
    /// Where the numbers come from, or anything else a trainer should know.
    note: Option<String>,
}

/// How long a task takes: fixed ("5m") or three-point.
#[derive(JsonSchema)]
#[schemars(untagged)]
enum DurationFile {
    /// A fixed duration: "90s", "5m", "1h30m".
    Fixed(#[schemars(regex(pattern = DURATION))] String),
    /// Optimistic, most likely and pessimistic durations, min ≤ likely ≤ max.
    ThreePoint(ThreePointFile),
}

/// Optimistic, most likely and pessimistic durations.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct ThreePointFile {
    /// Optimistic duration.
    #[schemars(regex(pattern = DURATION))]
    min: String,
    /// Most likely duration.
    #[schemars(regex(pattern = DURATION))]
    likely: String,
    /// Pessimistic duration.
    #[schemars(regex(pattern = DURATION))]
    max: String,
}

/// Which script scores the drill, and its parameters.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct ScoringFile {
    /// A rhai script in the package, e.g. "score.rhai".
    script: Option<String>,
    /// A wasm module in the package, e.g. "score.wasm".
    wasm: Option<String>,
    /// Parameters handed to the scorer unchanged.
    params: Option<BTreeMap<String, serde_json::Value>>,
}

/// The JSON Schema of the scenario format, pretty-printed with a final newline.
///
/// The committed copy is `schema/scenario.schema.json`; a test fails when it drifts.
pub fn scenario_schema() -> String {
    let schema = schemars::schema_for!(ScenarioFile);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::decode_keys;

    fn keys(schema: &serde_json::Value, def: Option<&str>) -> Vec<String> {
        let node = match def {
            Some(d) => &schema["$defs"][d],
            None => schema,
        };
        let mut k: Vec<String> = node["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    }

    fn sorted(k: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = k.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn schema_keys_match_the_decoder() {
        let schema: serde_json::Value = serde_json::from_str(&scenario_schema()).unwrap();
        let k = decode_keys();
        assert_eq!(keys(&schema, None), sorted(k.top));
        assert_eq!(keys(&schema, Some("MetaFile")), sorted(k.meta));
        assert_eq!(keys(&schema, Some("RoleFile")), sorted(k.role));
        assert_eq!(keys(&schema, Some("TaskFile")), sorted(k.task));
        assert_eq!(keys(&schema, Some("ThreePointFile")), sorted(k.duration));
        assert_eq!(keys(&schema, Some("ScoringFile")), sorted(k.scoring));
    }

    #[test]
    fn committed_schema_has_not_drifted() {
        let committed = include_str!("../../schema/scenario.schema.json");
        assert!(
            committed == scenario_schema(),
            "schema/scenario.schema.json is out of date; regenerate it with `cargo run -p muster-cli -- scenario schema > schema/scenario.schema.json`"
        );
    }
}
