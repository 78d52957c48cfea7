//! A flood-rescue drill with N stranded people, as a Muster wasm plugin:
//!
//! - `scenario` (generator): params `{ "victims": N, "boats": B }` give a
//!   water-rescue scenario with one boat run (`rescue-1` … `rescue-N`) per
//!   person after launching the boats, and a critical headcount at the end;
//! - `score` (count-then-time): every rescued person is worth
//!   `points_per_victim`, and the time left under the limit breaks ties at
//!   `1 / seconds_per_point` a second. A failed headcount is a DQ.

use muster_guest::{Record, ScoreCard, Status, TaskPoints, TaskStatus};
use serde_json::{Value, json};

/// The most people a generated drill may have.
pub const MAX_VICTIMS: u64 = 200;

/// Builds the scenario for `params.victims` people and `params.boats` boats.
pub fn flood_scenario(params: &Value) -> Result<Value, String> {
    let victims = params["victims"]
        .as_u64()
        .filter(|n| (1..=MAX_VICTIMS).contains(n))
        .ok_or_else(|| format!("params.victims must be a whole number from 1 to {MAX_VICTIMS}"))?;
    let boats = params
        .get("boats")
        .map_or(Some(2), Value::as_u64)
        .filter(|n| (1..=20).contains(n))
        .ok_or("params.boats must be a whole number from 1 to 20")?;
    let mut tasks = vec![
        json!({
            "id": "muster", "name": "Alarm, muster and water kit check",
            "name_zh": "接警集结、水域装备检查",
            "duration": { "min": "3m", "likely": "5m", "max": "8m" },
            "roles": ["leader", "boat-crew"],
            "equipment": { "assault-boat": boats }
        }),
        json!({
            "id": "launch", "name": "Launch the boats", "name_zh": "冲锋舟下水",
            "after": ["muster"],
            "duration": { "min": "4m", "likely": "6m", "max": "10m" },
            "roles": ["boat-crew"],
            "critical": true
        }),
    ];
    let mut rescues = Vec::new();
    for i in 1..=victims {
        let id = format!("rescue-{i}");
        // Each boat shuttles people one after another.
        let after = if i > boats {
            format!("rescue-{}", i - boats)
        } else {
            "launch".to_string()
        };
        tasks.push(json!({
            "id": id, "name": format!("Bring person {i} ashore"),
            "name_zh": format!("转移第{i}名被困人员"),
            "after": [after],
            "duration": { "min": "3m", "likely": "5m", "max": "12m" },
            "roles": ["boat-crew"]
        }));
        rescues.push(id);
    }
    tasks.push(json!({
        "id": "headcount", "name": "Count rescuers and rescued", "name_zh": "清点人数",
        "after": rescues,
        "duration": { "min": "1m", "likely": "2m", "max": "4m" },
        "roles": ["leader"],
        "critical": true
    }));
    let minutes = 20 + 6 * victims.div_ceil(boats);
    Ok(json!({
        "scenario": {
            "id": format!("water-rescue.flood-{victims}"),
            "version": "1.0.0",
            "hazard": "water-rescue",
            "name": format!("Flood rescue of {victims} stranded people"),
            "name_zh": format!("洪涝转移{victims}名被困群众"),
            "time_limit": format!("{minutes}m")
        },
        "roles": [
            { "id": "leader", "skill": "command", "count": 1 },
            { "id": "boat-crew", "skill": "boat", "count": 2 * boats }
        ],
        "tasks": tasks,
        "scoring": {
            "wasm": "flood-rescue.wasm",
            "params": { "points_per_victim": 10, "seconds_per_point": 60 }
        }
    }))
}

/// Count, then time; exported as the module's `score`.
pub fn count_then_time(record: &Record, params: &Value) -> Result<ScoreCard, String> {
    let number = |key: &str| {
        params[key]
            .as_f64()
            .ok_or_else(|| format!("params.{key} must be a number"))
    };
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
    let each = number("points_per_victim")?;
    let mut card = ScoreCard::valid(0.0);
    let mut rescued = 0u32;
    for (id, run) in &record.tasks {
        if id.starts_with("rescue-") && run.status == TaskStatus::Done {
            rescued += 1;
            card.tasks.insert(
                id.clone(),
                TaskPoints {
                    points: Some(each),
                    note: None,
                },
            );
        }
    }
    card.total = f64::from(rescued) * each;
    card.notes.push(format!("{rescued} brought ashore"));
    if record.elapsed <= limit {
        let bonus = (limit - record.elapsed) / number("seconds_per_point")?;
        card.total += bonus;
        card.notes.push(format!("time bonus {bonus}"));
    } else {
        card.notes.push("over the time limit: no time bonus".into());
    }
    muster_guest::log(&format!("flood-rescue: {rescued} rescued"));
    Ok(card)
}

muster_guest::export_scorer!(count_then_time);
muster_guest::export_generator!(flood_scenario);
