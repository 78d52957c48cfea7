//! The rhai runtime: scoring scripts run as untrusted code.
//!
//! One [`rhai::Engine`] per [`RhaiRuntime`], built with no `eval`, no
//! `import` and no module resolver, no clock (the time package is left out),
//! and every size limit set. Work is bounded by an operation count, a
//! wall-clock deadline checked from `on_progress`, and the call and
//! expression depths (low enough that a runaway recursion stops well before
//! it could overflow a 2 MiB thread stack). `print` and `debug` are captured
//! into the run's log, capped in lines and bytes; a script that prints past
//! the cap stops with [`Limit::Log`]. The log is returned by
//! [`RhaiScorer::run`] and never becomes part of a score card.
//!
//! The engine is built without rhai's closures (its `no_closure` feature):
//! anonymous functions work but see only their own parameters, so no value
//! is ever shared between variables, which spares every value access the
//! check for one (about a tenth of a scoring call).
//!
//! A script's `score` first runs on the direct path (`direct/`), which
//! reads the record in place and gives rhai's own results, or leaves the
//! call to the interpreter; see [`RhaiRuntime::direct`]. On the
//! interpreter the record reaches the script as a `rhai::Map` built
//! directly from [`ScoreInput`] (no JSON text in between). A result of the documented
//! shape is read straight into the card; any other is turned into JSON,
//! rejecting non-finite numbers and oversized output, and checked by
//! [`ScoreCard::from_output`], which names what is wrong.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use ::rhai::packages::{
    BasicArrayPackage, BasicFnPackage, BasicMapPackage, BasicMathPackage, BitFieldPackage,
    CorePackage, LogicPackage, MoreStringPackage, Package as _,
};
use ::rhai::{
    AST, CallFnOptions, Dynamic, Engine, EvalAltResult, ImmutableString, OptimizationLevel,
    ParseErrorType, Position, Scope,
};
use muster_core::{
    Limit, Rating, ScoreCard, ScoreError, ScoreInput, Scorer, ScorerId, ScorerKind, TaskStatus,
};

use crate::cache::Compiled;
use crate::stats::{PluginScorer, RunStats};

mod card;
mod direct;

use card::{
    CHARGE_FLOAT, CHARGE_INT, CHARGE_KEY, CHARGE_STR, CHARGE_VALUE, MAX_RESULT_DEPTH, json_len,
};

/// The sandbox limits of the rhai runtime. [`Default`] gives the documented
/// defaults, sized so that a script that breaks one stops within a fraction
/// of a second.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RhaiLimits {
    /// Most operations one call may run. Default 200,000 (the example scorer
    /// needs about 300); a runaway loop stops on it in about 0.1 s, long
    /// before the deadline, so a breach is the same on every run.
    pub max_operations: u64,
    /// Deepest nesting of function calls. Default 24, which keeps a runaway
    /// recursion far from a 2 MiB thread stack.
    pub max_call_levels: usize,
    /// Deepest expression nesting at the top level. Default 64.
    pub max_expr_depth: usize,
    /// Deepest expression nesting inside functions. Default 32.
    pub max_fn_expr_depth: usize,
    /// Longest string, in bytes. Default 64 KiB.
    pub max_string_size: usize,
    /// Longest array. Default 10,000 items.
    pub max_array_size: usize,
    /// Largest map. Default 1,000 entries. rhai checks it when a map is
    /// built, merged or returned, but not on `map[key] = value`; a map grown
    /// that way is bounded by the operation limit instead.
    pub max_map_size: usize,
    /// Most `print`/`debug` lines one call may write. Default 100.
    pub max_log_lines: usize,
    /// Most `print`/`debug` bytes one call may write. Default 16 KiB.
    pub max_log_bytes: usize,
    /// Wall-clock deadline of one call, a backstop behind the operation
    /// limit. Default 1.5 s.
    pub deadline: Duration,
    /// Largest input (record plus params, estimated as compact JSON with
    /// numbers counted as 8 bytes), in bytes. Default 1 MiB.
    pub max_input_bytes: usize,
    /// Largest result, as compact JSON, in bytes. Default 256 KiB.
    pub max_output_bytes: usize,
    /// Largest script source, in bytes. Default 256 KiB.
    pub max_script_bytes: usize,
}

impl Default for RhaiLimits {
    fn default() -> Self {
        RhaiLimits {
            max_operations: 200_000,
            max_call_levels: 24,
            max_expr_depth: 64,
            max_fn_expr_depth: 32,
            max_string_size: 64 * 1024,
            max_array_size: 10_000,
            max_map_size: 1_000,
            max_log_lines: 100,
            max_log_bytes: 16 * 1024,
            deadline: Duration::from_millis(1500),
            max_input_bytes: 1024 * 1024,
            max_output_bytes: 256 * 1024,
            max_script_bytes: 256 * 1024,
        }
    }
}

/// How often (in operations) the deadline is checked.
const CLOCK_EVERY: u64 = 1024;
/// Keywords a scoring script may not use.
const FORBIDDEN: &[&str] = &["eval", "import", "export"];
const TERM_TIME: &str = "muster:deadline";
const TERM_LOG: &str = "muster:log";

/// State of the call running on this thread, read by the engine's callbacks.
struct CallState {
    deadline: Instant,
    log: Vec<String>,
    log_bytes: usize,
    max_lines: usize,
    max_bytes: usize,
}

thread_local! {
    static CALL: RefCell<Option<CallState>> = const { RefCell::new(None) };
    /// Operations the running call has used. A plain cell, not part of
    /// [`CallState`]: the engine reports progress on every operation, so
    /// this path must cost no more than a store.
    static OPS: Cell<u64> = const { Cell::new(0) };
    /// Whether the running call printed past the log cap.
    static LOG_OVER: Cell<bool> = const { Cell::new(false) };
}

fn capture(line: String) {
    CALL.with(|c| {
        if let Some(s) = c.borrow_mut().as_mut() {
            if s.log.len() >= s.max_lines || s.log_bytes + line.len() > s.max_bytes {
                LOG_OVER.set(true);
            } else {
                s.log_bytes += line.len();
                s.log.push(line);
            }
        }
    });
}

fn progress(ops: u64) -> Option<Dynamic> {
    OPS.set(ops);
    if LOG_OVER.get() {
        return Some(Dynamic::from(TERM_LOG));
    }
    if !ops.is_multiple_of(CLOCK_EVERY) {
        return None;
    }
    CALL.with(|c| {
        let c = c.borrow();
        let s = c.as_ref()?;
        (Instant::now() > s.deadline).then(|| Dynamic::from(TERM_TIME))
    })
}

/// Loads rhai scoring scripts into one sandboxed engine and caches their
/// compiled form by content hash (the [`CACHED_SOURCES`](crate::CACHED_SOURCES) loaded most
/// recently).
pub struct RhaiRuntime {
    engine: Arc<Engine>,
    limits: RhaiLimits,
    cache: Compiled<Script>,
    direct: bool,
}

/// A compiled script: rhai's AST and, where every function of it lowers,
/// the direct path's program.
struct Script {
    ast: AST,
    direct: Option<direct::Program>,
    /// Calls tried on the direct path during its trial, and how many
    /// finished there.
    tried: AtomicU64,
    finished: AtomicU64,
}

/// Most variables a script may hold at once (rhai's `max_variables`).
const MAX_VARIABLES: usize = 1_000;

/// After a trial of this many calls, a script whose calls finished on the
/// direct path less than half the time is run on rhai alone: each call
/// that leaves the direct path is run twice.
const DIRECT_TRIAL: u64 = 64;

impl std::fmt::Debug for RhaiRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RhaiRuntime")
            .field("limits", &self.limits)
            .field("cached_scripts", &self.cached_scripts())
            .finish_non_exhaustive()
    }
}

impl Default for RhaiRuntime {
    fn default() -> Self {
        RhaiRuntime::new(RhaiLimits::default())
    }
}

impl RhaiRuntime {
    /// A runtime whose scripts run under `limits`.
    pub fn new(limits: RhaiLimits) -> RhaiRuntime {
        let mut e = Engine::new_raw();
        // Everything of the standard library except time (no clock access).
        for lib in [
            CorePackage::new().as_shared_module(),
            BitFieldPackage::new().as_shared_module(),
            LogicPackage::new().as_shared_module(),
            BasicMathPackage::new().as_shared_module(),
            BasicArrayPackage::new().as_shared_module(),
            BasicMapPackage::new().as_shared_module(),
            MoreStringPackage::new().as_shared_module(),
            BasicFnPackage::new().as_shared_module(),
        ] {
            e.register_global_module(lib);
        }
        for sym in FORBIDDEN {
            e.disable_symbol(*sym);
        }
        e.set_optimization_level(OptimizationLevel::Full);
        e.set_max_modules(0);
        e.set_max_operations(limits.max_operations);
        e.set_max_call_levels(limits.max_call_levels);
        e.set_max_expr_depths(limits.max_expr_depth, limits.max_fn_expr_depth);
        e.set_max_string_size(limits.max_string_size);
        e.set_max_array_size(limits.max_array_size);
        e.set_max_map_size(limits.max_map_size);
        e.set_max_variables(MAX_VARIABLES);
        e.set_max_functions(1_000);
        e.on_progress(progress);
        e.on_print(|s| capture(s.to_string()));
        e.on_debug(|s, _src, pos| {
            capture(match pos.line() {
                Some(l) => format!("[debug {l}:{}] {s}", pos.position().unwrap_or(0)),
                None => format!("[debug] {s}"),
            })
        });
        RhaiRuntime {
            engine: Arc::new(e),
            limits,
            cache: Compiled::new(),
            direct: true,
        }
    }

    /// Whether calls may take the direct path (on by default). The direct
    /// path runs a script's `score` over the record in place, without
    /// building it as rhai values; a call it cannot finish exactly as
    /// rhai's interpreter would is run on the interpreter. Off, every call
    /// runs on the interpreter: for comparing the two.
    ///
    /// ```
    /// use muster_plugins::{RhaiRoute, RhaiRuntime};
    /// # use muster_core::ScoreInput;
    /// # let input: ScoreInput = serde_json::from_value(serde_json::json!({
    /// #   "scenario": "s", "version": "1.0.0", "team": "t", "attempt": 1, "elapsed": 60.0,
    /// #   "critical": [], "tasks": {}, "penalties": [] })).unwrap();
    /// let script = "fn score(record, params) { #{ total: record.elapsed, status: \"valid\" } }";
    /// let direct = RhaiRuntime::default().load("s.rhai", script).unwrap();
    /// let interpreted = RhaiRuntime::default().direct(false).load("s.rhai", script).unwrap();
    /// let (a, b) = (direct.run(&input, &serde_json::json!({})), interpreted.run(&input, &serde_json::json!({})));
    /// assert_eq!(a.route(), RhaiRoute::Direct);
    /// assert!(matches!(b.route(), RhaiRoute::Interpreter { .. }));
    /// assert_eq!(a.stats.work_used, b.stats.work_used);
    /// assert_eq!(a.result.unwrap(), b.result.unwrap());
    /// ```
    pub fn direct(mut self, on: bool) -> RhaiRuntime {
        self.direct = on;
        self
    }

    /// The limits scripts run under.
    pub fn limits(&self) -> &RhaiLimits {
        &self.limits
    }

    /// How many distinct scripts (by content hash) are compiled and cached:
    /// at most [`CACHED_SOURCES`](crate::CACHED_SOURCES).
    pub fn cached_scripts(&self) -> usize {
        self.cache.len()
    }

    /// Compiles a script (or takes it from the cache by content hash).
    ///
    /// `name` names the script in errors and on score cards. The script must
    /// define `fn score(record, params)`; it may define `fn scenario(params)`.
    ///
    /// ```
    /// use muster_plugins::RhaiRuntime;
    /// let rt = RhaiRuntime::default();
    /// let err = rt.load("bad.rhai", "fn score(record, params) {\n  let x = ;\n}").unwrap_err();
    /// assert!(err.to_string().starts_with("bad.rhai:2:11: "), "{err}");
    /// ```
    pub fn load(&self, name: &str, source: &str) -> Result<RhaiScorer, ScoreError> {
        let id = ScorerId::new(ScorerKind::Rhai, name, source.as_bytes());
        if source.len() > self.limits.max_script_bytes {
            return Err(ScoreError::Limit {
                script: name.to_string(),
                limit: Limit::InputSize,
                detail: format!(
                    "the script is {} bytes; at most {} are allowed",
                    source.len(),
                    self.limits.max_script_bytes
                ),
            });
        }
        let script = self.cache.get_or_compile(&id.hash, || {
            let ast = self.compile(name, source)?;
            let direct = direct::lower(&ast, MAX_VARIABLES);
            Ok::<_, ScoreError>(Script {
                ast,
                direct,
                tried: AtomicU64::new(0),
                finished: AtomicU64::new(0),
            })
        })?;
        let has = |f: &str, n: usize| {
            script
                .ast
                .iter_functions()
                .any(|m| m.name == f && m.params.len() == n)
        };
        if !has("score", 2) {
            return Err(ScoreError::Load {
                script: name.to_string(),
                line: None,
                column: None,
                message: "the script defines no `fn score(record, params)`; a scoring script must define it".into(),
            });
        }
        let generator = has("scenario", 1);
        Ok(RhaiScorer {
            engine: Arc::clone(&self.engine),
            script,
            direct: self.direct,
            id,
            limits: self.limits.clone(),
            generator,
        })
    }

    fn compile(&self, name: &str, source: &str) -> Result<AST, ScoreError> {
        self.engine.compile(source).map_err(|e| {
            let pos = e.position();
            let (line, column) = (pos.line(), pos.position());
            match e.err_type() {
                ParseErrorType::ExprTooDeep => ScoreError::Limit {
                    script: name.to_string(),
                    limit: Limit::ExpressionDepth,
                    detail: format!(
                        "an expression{} nests deeper than {} levels ({} inside functions)",
                        at(pos),
                        self.limits.max_expr_depth,
                        self.limits.max_fn_expr_depth
                    ),
                },
                other => match FORBIDDEN
                    .iter()
                    .find(|sym| other.to_string().contains(&format!("'{sym}'")))
                {
                    Some(sym) => ScoreError::Load {
                        script: name.to_string(),
                        line,
                        column,
                        message: format!(
                            "`{sym}` is not allowed in a scoring script: scripts run sandboxed, with no eval and no modules"
                        ),
                    },
                    None => ScoreError::Load {
                    script: name.to_string(),
                    line,
                    column,
                        message: format!("syntax error: {other}"),
                    },
                },
            }
        })
    }
}

fn at(pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!(" at {l}:{c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

/// A compiled rhai scoring script, ready to score records.
///
/// Cheap to clone: the engine and the compiled script are shared.
#[derive(Clone)]
pub struct RhaiScorer {
    engine: Arc<Engine>,
    script: Arc<Script>,
    direct: bool,
    id: ScorerId,
    limits: RhaiLimits,
    generator: bool,
}

impl std::fmt::Debug for RhaiScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RhaiScorer")
            .field("id", &self.id)
            .field("generator", &self.generator)
            .finish_non_exhaustive()
    }
}

/// One scoring call: its result, what it used, and what it printed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RhaiRun {
    /// The score card, or why there is none.
    pub result: Result<ScoreCard, ScoreError>,
    /// What the call used, against the limits.
    pub stats: RunStats,
    /// The lines the script printed with `print` or `debug`, in order, capped.
    pub log: Vec<String>,
}

impl RhaiRun {
    /// Which way the call ran, as `stats.route` holds it (every rhai run
    /// sets it).
    pub fn route(&self) -> RhaiRoute {
        self.stats
            .route
            .unwrap_or(RhaiRoute::Interpreter { reason: "unknown" })
    }
}

impl std::fmt::Display for RhaiRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RhaiRoute::Direct => f.write_str("direct path"),
            RhaiRoute::Interpreter { reason } => write!(f, "interpreter ({reason})"),
        }
    }
}

/// Which way a rhai call ran: on the direct path, or on rhai's interpreter
/// (see [`RhaiRuntime::direct`]). Either way gives the same card, error and
/// operation count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RhaiRoute {
    /// Finished on the direct path.
    Direct,
    /// Ran on rhai's interpreter, for the stated reason: the script is
    /// outside what the direct path runs, the runtime has it turned off,
    /// or this call left it (an error, `print`, a limit, a type it does
    /// not mirror).
    Interpreter {
        /// Why, in a few words.
        reason: &'static str,
    },
}

struct Call {
    result: Result<Dynamic, ScoreError>,
    ops: u64,
    log: Vec<String>,
    wall: Duration,
}

impl RhaiScorer {
    /// Scores one run and returns the card together with what the call used
    /// and the lines it printed.
    pub fn run(&self, input: &ScoreInput, params: &serde_json::Value) -> RhaiRun {
        let input_bytes = input_size(input) + value_size(params);
        let mut stats = self.stats(input_bytes);
        if input_bytes > self.limits.max_input_bytes as u64 {
            let err = ScoreError::Limit {
                script: self.id.name.clone(),
                limit: Limit::InputSize,
                detail: format!(
                    "the record and params are {input_bytes} bytes; at most {} are allowed",
                    self.limits.max_input_bytes
                ),
            };
            stats.route = Some(RhaiRoute::Interpreter {
                reason: "input size",
            });
            return RhaiRun {
                result: Err(err),
                stats,
                log: Vec::new(),
            };
        }
        let reason = match self.run_direct(input, params, &mut stats) {
            Ok(card) => {
                return RhaiRun {
                    result: Ok(card),
                    stats,
                    log: Vec::new(),
                };
            }
            Err(reason) => reason,
        };
        stats.route = Some(RhaiRoute::Interpreter { reason });
        let call = self.call(
            "score",
            vec![record_dynamic(input), json_to_dynamic(params)],
        );
        stats.work_used = call.ops;
        stats.wall_micros = micros(call.wall);
        let result = call.result.and_then(|d| {
            if let Some((card, len)) = card::read(&d, input, &self.id, self.limits.max_output_bytes)
            {
                stats.output_bytes = len;
                return Ok(card);
            }
            let (json, len) = self.to_output(&d)?;
            stats.output_bytes = len;
            ScoreCard::from_output(&json, input, self.id.clone()).map_err(|message| {
                ScoreError::Output {
                    script: self.id.name.clone(),
                    message,
                }
            })
        });
        RhaiRun {
            result,
            stats,
            log: call.log,
        }
    }

    /// The call's card on the direct path, with `stats` filled in, or why
    /// it must run on the interpreter.
    fn run_direct(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
        stats: &mut RunStats,
    ) -> Result<ScoreCard, &'static str> {
        if !self.direct {
            return Err("the direct path is off");
        }
        let Some(program) = &self.script.direct else {
            return Err("the script is outside the direct path");
        };
        // The trial counts its calls; after it the counts only are read,
        // so that workers scoring on every core share no written counter.
        let script = &self.script;
        let in_trial = script.tried.load(Ordering::Relaxed) < DIRECT_TRIAL;
        if in_trial {
            script.tried.fetch_add(1, Ordering::Relaxed);
        } else if script.finished.load(Ordering::Relaxed) * 2 < DIRECT_TRIAL {
            return Err("most calls of this script leave the direct path");
        }
        let start = Instant::now();
        let l = &self.limits;
        let bounds = direct::Bounds {
            max_operations: l.max_operations,
            max_call_levels: l.max_call_levels,
            max_string: l.max_string_size,
            max_array: l.max_array_size,
            max_map: l.max_map_size,
            deadline: start + l.deadline,
        };
        let done = direct::score(program, input, params, bounds)?;
        let (card, len) = card::read(&done.value, input, &self.id, l.max_output_bytes)
            .ok_or("the result is not a plain card")?;
        if in_trial {
            script.finished.fetch_add(1, Ordering::Relaxed);
        }
        stats.work_used = done.ops;
        stats.output_bytes = len;
        stats.wall_micros = micros(start.elapsed());
        stats.route = Some(RhaiRoute::Direct);
        Ok(card)
    }

    fn stats(&self, input_bytes: u64) -> RunStats {
        RunStats {
            work_used: 0,
            work_limit: self.limits.max_operations,
            work_unit: "operations",
            peak_memory_bytes: None,
            memory_limit_bytes: 0,
            input_bytes,
            input_limit_bytes: self.limits.max_input_bytes as u64,
            output_bytes: 0,
            output_limit_bytes: self.limits.max_output_bytes as u64,
            wall_micros: 0,
            wall_limit_micros: micros(self.limits.deadline),
            route: None,
        }
    }

    fn call(&self, func: &str, args: Vec<Dynamic>) -> Call {
        let start = Instant::now();
        let previous = CALL.with(|c| {
            c.borrow_mut().replace(CallState {
                deadline: start + self.limits.deadline,
                log: Vec::new(),
                log_bytes: 0,
                max_lines: self.limits.max_log_lines,
                max_bytes: self.limits.max_log_bytes,
            })
        });
        let previous_ops = OPS.replace(0);
        let previous_over = LOG_OVER.replace(false);
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let mut scope = Scope::new();
        // The arguments move into the call: no copy of the record is made.
        let out = self.engine.call_fn_with_options::<Dynamic>(
            options,
            &mut scope,
            &self.script.ast,
            func,
            args,
        );
        let state = CALL.with(|c| std::mem::replace(&mut *c.borrow_mut(), previous));
        let ops = OPS.replace(previous_ops);
        LOG_OVER.set(previous_over);
        let log = state.map_or(Vec::new(), |s| s.log);
        Call {
            result: out.map_err(|e| self.eval_error(func, &e)),
            ops,
            log,
            wall: start.elapsed(),
        }
    }

    fn eval_error(&self, func: &str, err: &EvalAltResult) -> ScoreError {
        let script = self.id.name.clone();
        let inner = err.unwrap_inner();
        let pos = innermost_position(err);
        let limit = |limit: Limit, detail: String| ScoreError::Limit {
            script: script.clone(),
            limit,
            detail,
        };
        let l = &self.limits;
        match inner {
            EvalAltResult::ErrorTooManyOperations(_) => limit(
                Limit::Operations,
                format!("more than {} operations{}", l.max_operations, at(pos)),
            ),
            EvalAltResult::ErrorStackOverflow(_) => limit(
                Limit::CallDepth,
                format!(
                    "calls nested deeper than {} levels{}",
                    l.max_call_levels,
                    at(pos)
                ),
            ),
            EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("string") => limit(
                Limit::StringSize,
                format!(
                    "a string longer than {} bytes{}",
                    l.max_string_size,
                    at(pos)
                ),
            ),
            EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("array") => limit(
                Limit::ArraySize,
                format!("an array longer than {} items{}", l.max_array_size, at(pos)),
            ),
            EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("map") => limit(
                Limit::MapSize,
                format!("a map larger than {} entries{}", l.max_map_size, at(pos)),
            ),
            EvalAltResult::ErrorTerminated(token, _) if token.to_string() == TERM_LOG => limit(
                Limit::Log,
                format!(
                    "printed more than {} lines or {} bytes{}",
                    l.max_log_lines,
                    l.max_log_bytes,
                    at(pos)
                ),
            ),
            EvalAltResult::ErrorTerminated(_, _) => limit(
                Limit::Time,
                format!("ran longer than {} ms{}", l.deadline.as_millis(), at(pos)),
            ),
            EvalAltResult::ErrorFunctionNotFound(sig, _)
                if sig.starts_with(func) && pos.line().is_none() =>
            {
                ScoreError::Load {
                    script,
                    line: None,
                    column: None,
                    message: format!(
                        "the script defines no `fn {func}` taking the arguments the host passes ({sig})"
                    ),
                }
            }
            EvalAltResult::ErrorVariableNotFound(name, _) => ScoreError::Runtime {
                script,
                line: pos.line(),
                column: pos.position(),
                message: format!(
                    "there is no variable `{name}` here: declare it with `let` before it is \
                     used; an anonymous function `|x| ...` sees only its own parameters, \
                     not the variables around it"
                ),
            },
            EvalAltResult::ErrorRuntime(value, _) => ScoreError::Runtime {
                script,
                line: pos.line(),
                column: pos.position(),
                message: format!("the script threw: {value}"),
            },
            other => {
                let text = other.to_string();
                let suffix = format!(" ({pos})");
                let message = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
                ScoreError::Runtime {
                    script,
                    line: pos.line(),
                    column: pos.position(),
                    message,
                }
            }
        }
    }

    fn to_output(&self, d: &Dynamic) -> Result<(serde_json::Value, u64), ScoreError> {
        let mut conv = ToJson {
            budget: self.limits.max_output_bytes,
            used: 0,
        };
        let json = conv.value(d, &Path::Root, 0).map_err(|e| match e {
            ConvError::TooLarge => ScoreError::Limit {
                script: self.id.name.clone(),
                limit: Limit::OutputSize,
                detail: format!(
                    "the result is larger than {} bytes",
                    self.limits.max_output_bytes
                ),
            },
            ConvError::Bad(message) => ScoreError::Output {
                script: self.id.name.clone(),
                message,
            },
        })?;
        let len = json_len(&json);
        if len > self.limits.max_output_bytes as u64 {
            return Err(ScoreError::Limit {
                script: self.id.name.clone(),
                limit: Limit::OutputSize,
                detail: format!(
                    "the result is {len} bytes; at most {} are allowed",
                    self.limits.max_output_bytes
                ),
            });
        }
        Ok((json, len))
    }
}

impl Scorer for RhaiScorer {
    fn id(&self) -> &ScorerId {
        &self.id
    }

    fn score(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> Result<ScoreCard, ScoreError> {
        self.run(input, params).result
    }
}

impl PluginScorer for RhaiScorer {
    fn score_with_stats(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> (Result<ScoreCard, ScoreError>, RunStats) {
        let run = self.run(input, params);
        (run.result, run.stats)
    }

    fn has_generator(&self) -> bool {
        self.generator
    }

    fn generate(&self, params: &serde_json::Value) -> Result<String, ScoreError> {
        if !self.generator {
            return Err(ScoreError::Load {
                script: self.id.name.clone(),
                line: None,
                column: None,
                message: "the script defines no `fn scenario(params)` to generate a scenario"
                    .into(),
            });
        }
        let input_bytes = value_size(params);
        if input_bytes > self.limits.max_input_bytes as u64 {
            return Err(ScoreError::Limit {
                script: self.id.name.clone(),
                limit: Limit::InputSize,
                detail: format!(
                    "the params are {input_bytes} bytes; at most {} are allowed",
                    self.limits.max_input_bytes
                ),
            });
        }
        let call = self.call("scenario", vec![json_to_dynamic(params)]);
        let d = call.result?;
        if !d.is_map() {
            return Err(ScoreError::Output {
                script: self.id.name.clone(),
                message: format!(
                    "`scenario(params)` returned {}, but must return a map in the scenario's JSON shape",
                    kind_of(&d)
                ),
            });
        }
        let (json, _) = self.to_output(&d)?;
        serde_json::to_string_pretty(&json).map_err(|e| ScoreError::Output {
            script: self.id.name.clone(),
            message: format!("the scenario cannot be written as JSON: {e}"),
        })
    }
}

/// The position nearest the failure: the innermost known one along the
/// chain of function calls.
fn innermost_position(err: &EvalAltResult) -> Position {
    let mut best = err.position();
    let mut e = err;
    while let EvalAltResult::ErrorInFunctionCall(_, _, inner, _) = e {
        if !inner.position().is_none() {
            best = inner.position();
        }
        e = inner;
    }
    best
}

/// A value's kind with its article, for messages: "an array", "a string".
fn kind_of(d: &Dynamic) -> String {
    let t = d.type_name();
    let t = if t.contains("Map") { "map" } else { t };
    let t = if t.contains("Array") { "array" } else { t };
    match t.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {t}"),
        _ => format!("a {t}"),
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Estimated size of a record as compact JSON (numbers count 8 bytes),
/// without serializing it: the input-size check runs on every call.
fn input_size(input: &ScoreInput) -> u64 {
    let mut n = 120 + input.scenario.len() + input.version.len() + input.team.len();
    n += input.critical.iter().map(|c| c.len() + 3).sum::<usize>();
    n += input.tasks.keys().map(|id| id.len() + 70).sum::<usize>();
    n += input
        .penalties
        .iter()
        .map(|p| p.code.len() + p.task.as_deref().map_or(4, str::len) + 40)
        .sum::<usize>();
    n as u64
}

/// Estimated size of a JSON value as compact text (numbers count 8 bytes).
fn value_size(v: &serde_json::Value) -> u64 {
    use serde_json::Value;
    match v {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 8,
        Value::String(s) => s.len() as u64 + 2,
        Value::Array(a) => 2 + a.iter().map(|x| value_size(x) + 1).sum::<u64>(),
        Value::Object(o) => {
            2 + o
                .iter()
                .map(|(k, x)| k.len() as u64 + 4 + value_size(x))
                .sum::<u64>()
        }
    }
}

/// The words a record repeats on every task, made once and shared: a
/// clone is a reference-count increment rather than an allocation.
struct Words {
    status: [ImmutableString; 3],
    rating: [ImmutableString; 4],
}

static WORDS: LazyLock<Words> = LazyLock::new(|| Words {
    status: STATUSES.map(|s| direct::status_str(s).into()),
    rating: RATINGS.map(|r| direct::rating_str(r).into()),
});

const STATUSES: [TaskStatus; 3] = [TaskStatus::Done, TaskStatus::Failed, TaskStatus::Skipped];
const RATINGS: [Rating; 4] = [Rating::P, Rating::S, Rating::M, Rating::U];

/// The shared word for `s` (the direct path's name for it, made once).
fn status_str(s: TaskStatus) -> ImmutableString {
    STATUSES
        .iter()
        .position(|x| *x == s)
        .map_or_else(|| direct::status_str(s).into(), |i| WORDS.status[i].clone())
}

fn rating_str(r: Rating) -> ImmutableString {
    RATINGS
        .iter()
        .position(|x| *x == r)
        .map_or_else(|| direct::rating_str(r).into(), |i| WORDS.rating[i].clone())
}

/// The record as the script sees it, built as rhai values directly.
///
/// Maps and arrays are wrapped with `Dynamic::from_map` and
/// `Dynamic::from_array`: rhai's `From<BTreeMap>` and `From<Vec>` for
/// `Dynamic` rebuild the collection item by item, which made building a
/// record three times slower.
fn record_dynamic(input: &ScoreInput) -> Dynamic {
    let mut m = rhai::Map::new();
    m.insert("scenario".into(), input.scenario.as_str().into());
    m.insert("version".into(), input.version.as_str().into());
    m.insert("team".into(), input.team.as_str().into());
    m.insert("attempt".into(), Dynamic::from_int(input.attempt.into()));
    m.insert("elapsed".into(), Dynamic::from_float(input.elapsed));
    if let Some(limit) = input.time_limit {
        m.insert("time_limit".into(), Dynamic::from_float(limit));
    }
    let critical: rhai::Array = input.critical.iter().map(|c| c.as_str().into()).collect();
    m.insert("critical".into(), Dynamic::from_array(critical));
    let mut tasks = rhai::Map::new();
    for (id, run) in &input.tasks {
        let mut t = rhai::Map::new();
        t.insert("start".into(), Dynamic::from_float(run.start));
        t.insert("end".into(), Dynamic::from_float(run.end));
        t.insert("status".into(), status_str(run.status).into());
        // Like the JSON form: no `rating` key where the evaluator gave none.
        if let Some(r) = run.rating {
            t.insert("rating".into(), rating_str(r).into());
        }
        tasks.insert(id.as_str().into(), Dynamic::from_map(t));
    }
    m.insert("tasks".into(), Dynamic::from_map(tasks));
    let penalties: rhai::Array = input
        .penalties
        .iter()
        .map(|p| {
            let mut x = rhai::Map::new();
            x.insert("code".into(), p.code.as_str().into());
            x.insert(
                "task".into(),
                p.task.as_deref().map_or(Dynamic::UNIT, |t| t.into()),
            );
            x.insert("count".into(), Dynamic::from_int(p.count.into()));
            Dynamic::from_map(x)
        })
        .collect();
    m.insert("penalties".into(), Dynamic::from_array(penalties));
    Dynamic::from_map(m)
}

/// JSON params as rhai values: integers stay integers, other numbers are floats.
fn json_to_dynamic(v: &serde_json::Value) -> Dynamic {
    use serde_json::Value;
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(a) => Dynamic::from_array(a.iter().map(json_to_dynamic).collect()),
        Value::Object(o) => Dynamic::from_map(
            o.iter()
                .map(|(k, v)| (k.as_str().into(), json_to_dynamic(v)))
                .collect(),
        ),
    }
}

/// Where a value sits in a script's result, rendered only for messages:
/// `result`, `total`, `notes[2]`, `tasks.pump.points`.
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => f.write_str("result"),
            Path::Key(Path::Root, k) => f.write_str(k),
            Path::Key(p, k) => write!(f, "{p}.{k}"),
            Path::Index(p, i) => write!(f, "{p}[{i}]"),
        }
    }
}

enum ConvError {
    TooLarge,
    Bad(String),
}

/// Converts a script's result to JSON, refusing non-finite numbers, values
/// JSON cannot hold, nesting deeper than [`MAX_RESULT_DEPTH`] and results
/// larger than the output budget.
struct ToJson {
    budget: usize,
    used: usize,
}

impl ToJson {
    fn spend(&mut self, n: usize) -> Result<(), ConvError> {
        self.used = self.used.saturating_add(n);
        if self.used > self.budget {
            Err(ConvError::TooLarge)
        } else {
            Ok(())
        }
    }

    fn value(
        &mut self,
        d: &Dynamic,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<serde_json::Value, ConvError> {
        use serde_json::Value;
        if depth > MAX_RESULT_DEPTH {
            return Err(ConvError::Bad(format!(
                "`{path}` nests deeper than {MAX_RESULT_DEPTH} levels"
            )));
        }
        self.spend(CHARGE_VALUE)?;
        if d.is_unit() {
            return Ok(Value::Null);
        }
        if let Ok(b) = d.as_bool() {
            return Ok(Value::Bool(b));
        }
        if let Ok(i) = d.as_int() {
            self.spend(CHARGE_INT)?;
            return Ok(Value::from(i));
        }
        if let Ok(f) = d.as_float() {
            self.spend(CHARGE_FLOAT)?;
            return serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| {
                    ConvError::Bad(format!(
                        "`{path}` is {f}, but numbers in a result must be finite"
                    ))
                });
        }
        if let Ok(c) = d.as_char() {
            return Ok(Value::String(c.to_string()));
        }
        if let Some(s) = d.read_lock::<rhai::ImmutableString>() {
            self.spend(s.len() + CHARGE_STR)?;
            return Ok(Value::String(s.as_str().to_string()));
        }
        // Arrays and maps are read in place, under the value's read lock;
        // a path is only rendered when a message needs it.
        if let Some(items) = d.read_lock::<rhai::Array>() {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(self.value(item, &Path::Index(path, i), depth + 1)?);
            }
            return Ok(Value::Array(out));
        }
        if let Some(map) = d.read_lock::<rhai::Map>() {
            let mut out = serde_json::Map::new();
            for (k, v) in map.iter() {
                self.spend(k.len() + CHARGE_KEY)?;
                let sub = self.value(v, &Path::Key(path, k.as_str()), depth + 1)?;
                out.insert(k.to_string(), sub);
            }
            return Ok(Value::Object(out));
        }
        Err(ConvError::Bad(format!(
            "`{path}` is a {}, which a result cannot hold (use numbers, strings, booleans, arrays and maps)",
            d.type_name()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ScoreInput {
        serde_json::from_value(serde_json::json!({
            "scenario": "forest-fire.initial-attack",
            "version": "1.0.0",
            "team": "nantang",
            "attempt": 1,
            "elapsed": 2555.0,
            "time_limit": 3600.0,
            "critical": ["muster"],
            "tasks": {
                "muster": { "start": 0.0, "end": 280.0, "status": "done" },
                "move": { "start": 280.0, "end": 790.0, "status": "done", "rating": "S" }
            },
            "penalties": []
        }))
        .expect("a valid score input")
    }

    /// A card with its output size in bytes.
    type Sized = (ScoreCard, u64);

    /// The card and size both ways: straight from the result, and through
    /// JSON and [`ScoreCard::from_output`].
    fn both(scorer: &RhaiScorer, result: &str) -> (Option<Sized>, Result<Sized, ScoreError>) {
        let d: Dynamic = scorer.engine.eval(result).expect("the result evaluates");
        let input = input();
        let plain = card::read(&d, &input, &scorer.id, scorer.limits.max_output_bytes);
        let json = scorer.to_output(&d).and_then(|(json, len)| {
            ScoreCard::from_output(&json, &input, scorer.id.clone())
                .map(|card| (card, len))
                .map_err(|message| ScoreError::Output {
                    script: scorer.id.name.clone(),
                    message,
                })
        });
        (plain, json)
    }

    fn scorer(limits: RhaiLimits) -> RhaiScorer {
        RhaiRuntime::new(limits)
            .load("t.rhai", "fn score(record, params) { 0 }")
            .expect("the script loads")
    }

    #[test]
    fn plain_results_give_the_card_the_json_path_gives() {
        let scorer = scorer(RhaiLimits::default());
        for result in [
            r#"#{ total: 109.83, status: "valid", reason: "", notes: ["time bonus 34.5", "a \"quoted\"\tnote\x01 \\ with escapes"] }"#,
            r#"#{ total: 12, status: "dq", reason: "critical task muster not done", notes: [] }"#,
            r#"#{ total: -0.0, status: "dnf", reason: (), notes: (), tasks: () }"#,
            r#"#{ total: 1.0e300, status: "valid", notes: ["南塘 squad 1.0e-7", ""] }"#,
            r#"#{ total: 5.5, status: "valid", tasks: #{ muster: #{ points: 2, note: "quick" }, move: #{ points: 0.25, note: () } } }"#,
            r#"#{ status: "valid", total: 0.1, reason: "x", notes: ["y"], tasks: #{ move: #{ points: (), note: "n" } } }"#,
        ] {
            let (plain, json) = both(&scorer, result);
            let plain = plain.unwrap_or_else(|| panic!("not taken as plain: {result}"));
            let json = json.unwrap_or_else(|e| panic!("{result}: {e}"));
            assert_eq!(plain, json, "{result}");
        }
    }

    #[test]
    fn other_results_go_the_json_way() {
        let scorer = scorer(RhaiLimits::default());
        let long = "x".repeat(muster_core::MAX_NOTE_LEN + 1);
        for (result, error) in [
            (
                r#"#{ total: 1.0, status: "valid", extra: 1 }"#.to_string(),
                Some(
                    "t.rhai: bad result: the result has an unknown field `extra`; allowed fields: total, status, reason, notes, tasks",
                ),
            ),
            (
                r#"#{ total: 1.0, status: "ok" }"#.to_string(),
                Some(
                    r#"t.rhai: bad result: `status` must be "valid", "dnf" or "dq", found the string "ok""#,
                ),
            ),
            (
                r#"#{ total: true, status: "valid" }"#.to_string(),
                Some("t.rhai: bad result: `total` must be a finite number, found the boolean true"),
            ),
            (
                r#"#{ total: 1.0, status: "valid", tasks: #{ nope: #{ points: 1 } } }"#.to_string(),
                Some(
                    "t.rhai: bad result: `tasks` names `nope`, which is not a task of this record",
                ),
            ),
            (
                format!(r#"#{{ total: 1.0, status: "valid", notes: ["{long}"] }}"#),
                Some(
                    "t.rhai: bad result: `notes` must hold strings of at most 1024 bytes, found a long string",
                ),
            ),
            (
                r#"#{ total: 1.0, status: "valid", tasks: #{ move: #{ points: 1, why: "x" } } }"#
                    .to_string(),
                None,
            ),
            (
                r#"#{ total: 1.0, status: "valid", notes: ['c'] }"#.to_string(),
                None,
            ),
            (
                r#"[1, 2]"#.to_string(),
                Some(
                    "t.rhai: bad result: the scorer returned a list, but must return a map #{ total, status, reason, notes }",
                ),
            ),
        ] {
            let (plain, json) = both(&scorer, &result);
            assert!(plain.is_none(), "taken as plain: {result}");
            match error {
                Some(want) => assert_eq!(json.expect_err(&result).to_string(), want),
                None => assert!(json.is_ok(), "{result}"),
            }
        }
    }

    #[test]
    fn a_result_over_the_output_limit_goes_the_json_way() {
        let scorer = scorer(RhaiLimits {
            max_output_bytes: 70,
            ..RhaiLimits::default()
        });
        let fits = r#"#{ total: 1.0, status: "valid", notes: ["a"] }"#;
        let (plain, json) = both(&scorer, fits);
        assert_eq!(plain.map(|p| p.1), Some(44));
        assert_eq!(json.expect("fits").1, 44);
        let over = r#"#{ total: 1.0, status: "valid", notes: ["a", "bcdefghijk"] }"#;
        let (plain, json) = both(&scorer, over);
        assert!(plain.is_none());
        assert_eq!(
            json.expect_err("over the limit").to_string(),
            "t.rhai: the scorer hit the output size limit (the result is larger than 70 bytes)"
        );
    }
}
