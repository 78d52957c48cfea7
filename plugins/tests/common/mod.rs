//! What the rhai direct path's tests share: the records, the params and
//! a script function that prints any value with its type.

use muster_core::ScoreInput;
use serde_json::{Value, json};

/// Three records: one with tasks, ratings and penalties, one with a single
/// skipped task and no time limit, one with no tasks and a huge count.
pub fn inputs() -> Vec<ScoreInput> {
    let parse = |v: Value| serde_json::from_value::<ScoreInput>(v).expect("a valid input");
    vec![
        parse(json!({
            "scenario": "forest-fire.initial-attack", "version": "1.0.0", "team": "nantang",
            "attempt": 1, "elapsed": 2555.0, "time_limit": 3600.0,
            "critical": ["knockdown", "muster"],
            "tasks": {
                "muster": { "start": 0.0, "end": 280.0, "status": "done" },
                "move": { "start": 280.0, "end": 790.0, "status": "done", "rating": "S" },
                "knockdown": { "start": 1050.0, "end": 1740.0, "status": "done", "rating": "P" },
                "mop-up": { "start": 2000.0, "end": 2555.5, "status": "failed", "rating": "U" }
            },
            "penalties": [
                { "code": "missing-kit", "task": "muster", "count": 1 },
                { "code": "late-report", "count": 2 }
            ]
        })),
        parse(json!({
            "scenario": "landslide.house-search", "version": "2.1.0", "team": "五云",
            "attempt": 3, "elapsed": 0.1, "critical": [],
            "tasks": {
                "a": { "start": 0.0, "end": 0.1, "status": "skipped", "rating": "M" }
            },
            "penalties": []
        })),
        parse(json!({
            "scenario": "x", "version": "0.0.1", "team": "", "attempt": 2,
            "elapsed": 7200.25, "time_limit": 60.0, "critical": ["ghost"],
            "tasks": {},
            "penalties": [ { "code": "unsafe-act", "task": "ghost", "count": 4000000000u32 } ]
        })),
    ]
}

pub fn params() -> Value {
    json!({
        "base": 100, "seconds_per_point": 30, "ratio": 0.25, "neg": -7, "big": 18446744073709551615u64,
        "name": "南塘", "flag": true, "nothing": null,
        "penalty_points": { "missing-kit": 2, "unsafe-act": 10, "late-report": 3 },
        "dq_codes": ["unsafe-act", "no-life-jacket"],
        "nested": { "list": [1, 2.5, "three", [4], { "five": 5 }], "deep": { "er": { "est": 1 } } }
    })
}

/// Prints any value with its type, recursively, so that results compare
/// exactly; `id` hides a literal from rhai's optimizer.
pub const SHOW: &str = r##"
fn id(x) { x }
fn show(v) {
    let t = type_of(v);
    if t == "array" {
        let s = "[";
        for x in v { s += show(x); s += ","; }
        s + "]"
    } else if t == "map" {
        let s = "#{";
        for k in v.keys() { s += k + ":" + show(v[k]) + ","; }
        s + "}"
    } else {
        t + ":" + `${v}`
    }
}
"##;
