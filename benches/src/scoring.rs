//! The forest-fire initial-attack time-bonus rule four ways — native Rust,
//! rhai, wasm and, as the peer a user might pick instead, Lua 5.4 through
//! mlua — and a seeded set of records to score with them.

use mlua::{Function, Lua, Table, Value as LuaValue};
use muster_core::{
    DrillRecord, Format, Scenario, ScoreCard, ScoreError, ScoreInput, ScoreStatus, ScorerId,
    ScorerKind, TaskStatus,
};

/// The built-in initial-attack package's id.
pub const PACKAGE: &str = "forest-fire.initial-attack";

/// The rule in Lua, line for line the package's `score.rhai`.
pub const LUA_SCRIPT: &str = r#"
function score(record, params)
  local notes = {}

  for _, id in ipairs(record.critical) do
    local t = record.tasks[id]
    if t == nil or t.status ~= "done" then
      return { total = 0.0, status = "dq", reason = "critical task " .. id .. " not done", notes = notes }
    end
  end
  if record.elapsed > record.time_limit then
    return { total = 0.0, status = "dnf", reason = "time limit exceeded", notes = notes }
  end

  local total = params.base + 0.0
  local spare = record.time_limit - record.elapsed
  local bonus = spare / params.seconds_per_point
  total = total + bonus
  notes[#notes + 1] = "time bonus " .. bonus

  for _, p in ipairs(record.penalties) do
    local each = params.penalty_points[p.code]
    if each == nil then
      error("unknown penalty code " .. p.code)
    end
    local lost = (each * p.count) + 0.0
    total = total - lost
    notes[#notes + 1] = p.code .. " x" .. p.count .. " on " .. tostring(p.task) .. ": -" .. lost
  end

  return { total = total, status = "valid", reason = "", notes = notes }
end
"#;

/// `[scoring.params]` and a seeded set of `n` initial-attack records, as
/// the scorers see them. See [`bench_records`].
pub fn bench_set(n: usize, seed: u64) -> (serde_json::Value, Vec<ScoreInput>) {
    let (scenario, records) = bench_records(n, seed);
    let inputs = records
        .iter()
        .map(|r| ScoreInput::new(&scenario, r))
        .collect();
    (params(), inputs)
}

/// The built-in initial-attack scenario and a seeded set of `n` records of
/// its eight tasks: mostly valid runs with zero to three penalties, about one
/// in eight disqualified (a critical task failed) and some past the time
/// limit.
pub fn bench_records(n: usize, seed: u64) -> (Scenario, Vec<DrillRecord>) {
    let b = muster_scenarios::builtin(PACKAGE).expect("the built-in package exists");
    let scenario = b.scenario().expect("the built-in scenario is valid");
    let (name, text) = b
        .records()
        .find(|(n, _)| n.contains("nantang"))
        .expect("the package has the nantang record");
    let base = DrillRecord::parse(name, text, Format::Json, &scenario).expect("valid record");
    let critical: Vec<String> = scenario.critical_tasks().map(str::to_string).collect();
    let mut state = seed.wrapping_mul(6364136223846793005) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let codes = ["missing-kit", "unsafe-act", "late-report"];
    let ids: Vec<String> = base.tasks.keys().cloned().collect();
    let template = base.penalties[0].clone();
    let records = (0..n)
        .map(|i| {
            let mut r = base.clone();
            r.attempt = 1 + (i % 3) as u32;
            r.team = ["nantang", "wuyun", "wangmudu"][i % 3].into();
            // Stretch the whole run by 80%..125%, so some runs end past the limit.
            let stretch = 0.8 + (next() % 450) as f64 / 1000.0;
            for t in r.tasks.values_mut() {
                t.start = (t.start * stretch).round();
                t.end = (t.end * stretch).round();
            }
            if next() % 8 == 0 {
                let id = &critical[next() as usize % critical.len()];
                if let Some(t) = r.tasks.get_mut(id) {
                    t.status = TaskStatus::Failed;
                }
            }
            r.penalties = (0..next() % 4)
                .map(|_| {
                    let mut p = template.clone();
                    p.code = codes[next() as usize % codes.len()].into();
                    p.task = match next() % 3 {
                        0 => None,
                        _ => Some(ids[next() as usize % ids.len()].clone()),
                    };
                    p.count = 1 + (next() % 3) as u32;
                    p
                })
                .collect();
            r
        })
        .collect();
    (scenario, records)
}

/// The package's `[scoring.params]` as JSON.
pub fn params() -> serde_json::Value {
    serde_json::json!({
        "base": 100,
        "seconds_per_point": 30,
        "penalty_points": { "missing-kit": 2, "unsafe-act": 10, "late-report": 3 },
    })
}

/// The package's rhai script.
pub fn rhai_script() -> &'static str {
    muster_scenarios::builtin(PACKAGE)
        .and_then(|b| b.file("score.rhai"))
        .expect("the package has score.rhai")
}

/// How the Lua peer is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LuaSandbox {
    /// Plain `Lua::new()`: safe standard libraries, no limits at all.
    Bare,
    /// As a host would have to run an untrusted script, like rhai's limits:
    /// a 16 MiB memory cap and an instruction-count hook every 1024 VM
    /// instructions that stops the call after 200,000 instructions.
    Limited,
}

/// The time-bonus rule as a Lua 5.4 script run by mlua, with idiomatic
/// marshalling: the record and params become Lua tables on every call, the
/// result table becomes JSON checked by [`ScoreCard::from_output`], as the
/// rhai runtime does.
pub struct LuaScorer {
    lua: Lua,
    func: Function,
    id: ScorerId,
    limited: bool,
}

impl std::fmt::Debug for LuaScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LuaScorer").field("id", &self.id).finish()
    }
}

/// Instructions between two hook calls of the limited Lua sandbox.
const LUA_HOOK_EVERY: u32 = 1024;
/// Most instructions one call may run in the limited Lua sandbox.
const LUA_MAX_INSTRUCTIONS: u64 = 200_000;

impl LuaScorer {
    /// Loads [`LUA_SCRIPT`].
    pub fn new(sandbox: LuaSandbox) -> mlua::Result<LuaScorer> {
        LuaScorer::with_script(sandbox, LUA_SCRIPT)
    }

    /// Loads a script that defines `score(record, params)`.
    pub fn with_script(sandbox: LuaSandbox, script: &str) -> mlua::Result<LuaScorer> {
        let lua = Lua::new();
        let limited = sandbox == LuaSandbox::Limited;
        if limited {
            lua.set_memory_limit(16 << 20)?;
        }
        lua.load(script).set_name("score.lua").exec()?;
        let func: Function = lua.globals().get("score")?;
        Ok(LuaScorer {
            lua,
            func,
            id: ScorerId::new(ScorerKind::Native, "score.lua", script.as_bytes()),
            limited,
        })
    }

    fn json_to_lua(&self, v: &serde_json::Value) -> mlua::Result<LuaValue> {
        use serde_json::Value;
        Ok(match v {
            Value::Null => LuaValue::Nil,
            Value::Bool(b) => LuaValue::Boolean(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => LuaValue::Integer(i),
                None => LuaValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => LuaValue::String(self.lua.create_string(s)?),
            Value::Array(a) => {
                let t = self.lua.create_table_with_capacity(a.len(), 0)?;
                for x in a {
                    t.raw_push(self.json_to_lua(x)?)?;
                }
                LuaValue::Table(t)
            }
            Value::Object(o) => {
                let t = self.lua.create_table_with_capacity(0, o.len())?;
                for (k, x) in o {
                    t.raw_set(k.as_str(), self.json_to_lua(x)?)?;
                }
                LuaValue::Table(t)
            }
        })
    }

    fn record_table(&self, input: &ScoreInput) -> mlua::Result<Table> {
        let lua = &self.lua;
        let m = lua.create_table_with_capacity(0, 9)?;
        m.raw_set("scenario", input.scenario.as_str())?;
        m.raw_set("version", input.version.as_str())?;
        m.raw_set("team", input.team.as_str())?;
        m.raw_set("attempt", input.attempt)?;
        m.raw_set("elapsed", input.elapsed)?;
        if let Some(limit) = input.time_limit {
            m.raw_set("time_limit", limit)?;
        }
        let critical = lua.create_sequence_from(input.critical.iter().map(String::as_str))?;
        m.raw_set("critical", critical)?;
        let tasks = lua.create_table_with_capacity(0, input.tasks.len())?;
        for (id, run) in &input.tasks {
            let t = lua.create_table_with_capacity(0, 4)?;
            t.raw_set("start", run.start)?;
            t.raw_set("end", run.end)?;
            t.raw_set(
                "status",
                match run.status {
                    TaskStatus::Done => "done",
                    TaskStatus::Failed => "failed",
                    TaskStatus::Skipped => "skipped",
                },
            )?;
            if let Some(r) = run.rating {
                let r = serde_json::to_value(r).map_err(mlua::Error::external)?;
                t.raw_set("rating", r.as_str().unwrap_or_default())?;
            }
            tasks.raw_set(id.as_str(), t)?;
        }
        m.raw_set("tasks", tasks)?;
        let penalties = lua.create_table_with_capacity(input.penalties.len(), 0)?;
        for p in &input.penalties {
            let t = lua.create_table_with_capacity(0, 3)?;
            t.raw_set("code", p.code.as_str())?;
            t.raw_set("task", p.task.as_deref())?;
            t.raw_set("count", p.count)?;
            penalties.raw_push(t)?;
        }
        m.raw_set("penalties", penalties)?;
        Ok(m)
    }

    fn result_json(out: &Table) -> mlua::Result<serde_json::Value> {
        let mut o = serde_json::Map::new();
        let total: f64 = out.get("total")?;
        o.insert("total".into(), total.into());
        for k in ["status", "reason"] {
            if let Some(s) = out.get::<Option<String>>(k)? {
                o.insert(k.into(), s.into());
            }
        }
        if let Some(notes) = out.get::<Option<Table>>("notes")? {
            let notes: Vec<serde_json::Value> = notes
                .sequence_values::<String>()
                .map(|s| s.map(serde_json::Value::from))
                .collect::<mlua::Result<_>>()?;
            o.insert("notes".into(), notes.into());
        }
        Ok(serde_json::Value::Object(o))
    }

    fn run(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> mlua::Result<serde_json::Value> {
        if self.limited {
            let seen = std::cell::Cell::new(0u64);
            self.lua.set_hook(
                mlua::HookTriggers::new().every_nth_instruction(LUA_HOOK_EVERY),
                move |_, _| {
                    seen.set(seen.get() + u64::from(LUA_HOOK_EVERY));
                    if seen.get() > LUA_MAX_INSTRUCTIONS {
                        Err(mlua::Error::runtime("instruction limit reached"))
                    } else {
                        Ok(mlua::VmState::Continue)
                    }
                },
            )?;
        }
        let record = self.record_table(input)?;
        let params = self.json_to_lua(params)?;
        let out: Table = self.func.call((record, params))?;
        Self::result_json(&out)
    }
}

impl LuaScorer {
    /// Scores one run, as [`Scorer::score`](muster_core::Scorer::score) does. (`mlua::Lua` is neither
    /// `Send` nor `Sync` without mlua's `send` feature, so this is not an
    /// implementation of [`Scorer`](muster_core::Scorer).)
    pub fn score(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> Result<ScoreCard, ScoreError> {
        let json = self.run(input, params).map_err(|e| ScoreError::Runtime {
            script: self.id.name.clone(),
            line: None,
            column: None,
            message: e.to_string(),
        })?;
        ScoreCard::from_output(&json, input, self.id.clone()).map_err(|message| {
            ScoreError::Output {
                script: self.id.name.clone(),
                message,
            }
        })
    }
}

/// What every implementation of the rule must agree on: the total's bits,
/// the status and the reason. Notes are left out: each language prints
/// floats its own way (`15.0` in rhai, `15` in Rust, `15.0` in Lua).
pub fn outcome(card: &ScoreCard) -> (u64, ScoreStatus, String) {
    (card.total.to_bits(), card.status, card.reason.clone())
}

/// One way to score a record, for [`disagreement`].
pub type Rule<'a> = &'a dyn Fn(&ScoreInput, &serde_json::Value) -> Result<ScoreCard, ScoreError>;

/// Scores every record with every scorer and returns the first disagreement
/// with the first scorer, as text, or `None` when all agree.
pub fn disagreement(
    scorers: &[(&str, Rule<'_>)],
    params: &serde_json::Value,
    records: &[ScoreInput],
) -> Option<String> {
    for (i, r) in records.iter().enumerate() {
        let mut first: Option<(&str, (u64, ScoreStatus, String))> = None;
        for (name, s) in scorers {
            let got = match s(r, params) {
                Ok(c) => outcome(&c),
                Err(e) => return Some(format!("record {i}: {name} failed: {e}")),
            };
            match &first {
                None => first = Some((name, got)),
                Some((n0, want)) if *want != got => {
                    return Some(format!(
                        "record {i}: {n0} gives {} {:?} {:?}, {name} gives {} {:?} {:?}",
                        f64::from_bits(want.0),
                        want.1,
                        want.2,
                        f64::from_bits(got.0),
                        got.1,
                        got.2
                    ));
                }
                Some(_) => {}
            }
        }
    }
    None
}
