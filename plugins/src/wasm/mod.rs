//! Scorers compiled to wasm: ABI v3, v2 and v1 (see `plugins/ABI.md`), run
//! by wasmtime under deterministic fuel, an epoch deadline, a memory cap and
//! input, output and log caps.
//!
//! Invariant: nothing a guest does can crash or hang the host. Every call
//! gets a fresh `Store` from a pre-linked `InstancePre`; every way a call can
//! fail becomes a [`ScoreError`] naming the module.

mod check;
mod wire;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use muster_core::{Limit, ScoreCard, ScoreError, ScoreInput, Scorer, ScorerId, ScorerKind};
use wasmtime::{
    Caller, Config, Engine, Extern, InstanceAllocationStrategy, InstancePre, Linker, Memory,
    Module, ModuleExport, PoolingAllocationConfig, ResourceLimiter, Store, Trap, TypedFunc,
};

use crate::cache::Compiled;
use crate::stats::{PluginScorer, RunStats};
use check::{Abi, Shape};
use muster_guest::wire::Writer;

/// Bytes of each pooled linear memory kept resident between instances and
/// reset in place rather than given back to the kernel.
const KEEP_RESIDENT: usize = 2 << 20;

/// The batch engine's reservation per memory: all of a 32-bit memory's
/// reach, so no access needs a bounds check in code.
const BATCH_RESERVATION: u64 = 4 << 30;

/// The batch engine's guard region after each memory, covering the largest
/// offset a load or store can add to its address (wasmtime's default).
const BATCH_GUARD: u64 = 32 << 20;

/// Room reserved for a single run's input before the params: a record of a
/// few dozen tasks fits, so writing it never grows the buffer.
const FIRST_INPUT_BYTES: usize = 2 << 10;

/// How often the runtime's ticker advances the engine's epoch.
const TICK: Duration = Duration::from_millis(5);

/// The sandbox limits of every call into a wasm scorer.
///
/// Start from [`WasmLimits::default`] and change the fields you need:
///
/// ```
/// let mut limits = muster_plugins::WasmLimits::default();
/// limits.fuel = 1_000_000;
/// assert_eq!(limits.memory_bytes, 16 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WasmLimits {
    /// Fuel per call (about one unit per wasm instruction). Deterministic:
    /// the same module and input always use the same fuel. Default 50,000,000.
    pub fuel: u64,
    /// Wall-clock deadline per call, a backstop behind fuel. Default 1 s.
    pub deadline: Duration,
    /// Largest linear memory a guest may have, in bytes. Default 16 MiB.
    pub memory_bytes: usize,
    /// Largest wasm stack, in bytes; deeper recursion is a call-depth error.
    /// Default 512 KiB.
    pub stack_bytes: usize,
    /// Largest input (record and params as JSON), in bytes. Default 1 MiB.
    pub input_bytes: usize,
    /// Largest output a guest may return, in bytes. Default 256 KiB.
    pub output_bytes: usize,
    /// Most text a guest may send through `muster.log` per call, in bytes.
    /// Default 16 KiB.
    pub log_bytes: usize,
    /// Most calls that may run at once (the size of the instance pool).
    /// Default 64.
    pub max_concurrent: u32,
}

impl Default for WasmLimits {
    fn default() -> Self {
        WasmLimits {
            fuel: 50_000_000,
            deadline: Duration::from_secs(1),
            memory_bytes: 16 << 20,
            stack_bytes: 512 << 10,
            input_bytes: 1 << 20,
            output_bytes: 256 << 10,
            log_bytes: 16 << 10,
            max_concurrent: 64,
        }
    }
}

/// Advances the engine's epoch every [`TICK`] until dropped.
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine) -> Result<Ticker, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("muster-wasm-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::park_timeout(TICK);
                    engine.increment_epoch();
                }
            })
            .map_err(|e| format!("could not start the deadline thread: {e}"))?;
        Ok(Ticker {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            // The thread only loops on the flag; a join error would mean it
            // panicked, which leaves nothing to clean up.
            let _ = t.join();
        }
    }
}

/// What the runtime and every scorer it loaded share; the tickers stop when
/// the last of them is dropped.
struct Shared {
    engine: Engine,
    linker: Linker<Host>,
    limits: WasmLimits,
    deadline_ticks: u64,
    cache: Compiled<Loaded>,
    /// The engine batches run on, started by the first batch; `None` when it
    /// could not be started (batches then run on `engine`).
    batch: OnceLock<Option<BatchEngine>>,
    _ticker: Ticker,
}

/// The second engine, laid out for many calls on one instance: see
/// [`Layout::Batch`].
struct BatchEngine {
    engine: Engine,
    linker: Linker<Host>,
    _ticker: Ticker,
}

/// How an engine lays out linear memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// For a fresh instance per call: a reservation the size of the memory
    /// cap, no guard pages and no signal-based traps, so every access is
    /// bounds-checked in code. A pooled slot then keeps the pages a guest
    /// grew into read/write for the next instance, instead of two
    /// `mprotect` calls (and their TLB shootdowns) per fresh instance: the
    /// Rust guest's allocator always grows memory once. This took a quarter
    /// off a fresh-instance call.
    Fresh,
    /// For a batch on one instance: a 4 GiB reservation with a guard region
    /// and signal-based traps, so wasmtime leaves the bounds checks out of
    /// the compiled code and an access out of bounds traps in hardware. The
    /// memory cap still holds (the pool's `max_memory_size` and the
    /// limiter). Counted in instructions, a batch record of the built-in
    /// time-bonus module costs 22% less than under `Fresh`; a fresh
    /// instance costs more, in `mprotect`.
    Batch,
}

/// A wasmtime engine under `limits`, its memory laid out for `layout`, and a
/// linker that defines `muster.log`.
fn build_engine(limits: &WasmLimits, layout: Layout) -> Result<(Engine, Linker<Host>), String> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(limits.max_concurrent)
        .total_memories(limits.max_concurrent)
        .total_tables(limits.max_concurrent)
        .total_component_instances(0)
        .max_memory_size(limits.memory_bytes);
    // A fresh instance per record spent about a third of its time in the
    // kernel: `madvise` resetting the slot, then page faults refilling it.
    // Keeping the first MiB resident and resetting only the pages the
    // guest touched (found with the PAGEMAP_SCAN ioctl where the kernel
    // has it) cut the CPU time of fresh-instance calls by 15-30% in
    // interleaved runs; keeping memory resident without the scan (a
    // memset of the whole MiB) was slower than neither. The first two
    // MiB cover a Rust guest's 1 MiB stack, data and first heap pages,
    // and a table's page is kept too, so a call makes no `madvise`.
    pool.linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(64 << 10)
        .pagemap_scan(wasmtime::Enabled::Auto);
    let mut config = Config::new();
    config
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(limits.stack_bytes)
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true)
        .memory_reservation_for_growth(0);
    match layout {
        Layout::Fresh => config
            .memory_reservation(limits.memory_bytes as u64)
            .memory_guard_size(0)
            .signals_based_traps(false),
        Layout::Batch => config
            .memory_reservation(BATCH_RESERVATION)
            .memory_guard_size(BATCH_GUARD)
            .signals_based_traps(true),
    };
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let engine = Engine::new(&config).map_err(|e| format!("could not start wasmtime: {e:#}"))?;
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(check::LOG_MODULE, check::LOG_NAME, host_log)
        .map_err(|e| format!("could not define muster.log: {e:#}"))?;
    Ok((engine, linker))
}

/// A checked and validated module, compiled for an engine when it first
/// runs there: a re-score, which runs only batches, compiles it once
/// (about a quarter of a second for the built-in time-bonus module), not
/// once for each engine.
struct Loaded {
    shape: Shape,
    /// The module's bytes, for each engine's own compile.
    bytes: Arc<[u8]>,
    /// The module compiled and linked on the fresh-instance engine, by the
    /// first call that runs there, or why it could not be.
    fresh: OnceLock<Result<Linked, String>>,
    /// The module compiled and linked on the batch engine, by the first
    /// batch; `None` when that engine or that compile failed.
    batch: OnceLock<Option<Linked>>,
}

/// The wasm runtime: one engine, its limits, and a cache of compiled modules
/// by content hash (the [`CACHED_SOURCES`](crate::CACHED_SOURCES) loaded most recently).
///
/// ```
/// use muster_plugins::{WasmLimits, WasmRuntime};
/// let runtime = WasmRuntime::new(WasmLimits::default())?;
/// let err = runtime.load("junk.wasm", b"not wasm").unwrap_err();
/// assert!(err.to_string().contains("not a wasm module"));
/// # Ok::<(), muster_core::ScoreError>(())
/// ```
pub struct WasmRuntime {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WasmRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmRuntime")
            .field("limits", &self.shared.limits)
            .finish_non_exhaustive()
    }
}

fn load_error(script: &str, message: impl Into<String>) -> ScoreError {
    ScoreError::Load {
        script: script.to_string(),
        line: None,
        column: None,
        message: message.into(),
    }
}

fn runtime_error(script: &str, message: impl Into<String>) -> ScoreError {
    ScoreError::Runtime {
        script: script.to_string(),
        line: None,
        column: None,
        message: message.into(),
    }
}

impl WasmRuntime {
    /// Builds the engine (pooling allocator, fuel, epochs, NaN
    /// canonicalisation for bit-for-bit determinism) and starts its deadline
    /// ticker.
    pub fn new(limits: WasmLimits) -> Result<WasmRuntime, ScoreError> {
        let fail = |m: String| load_error("wasm runtime", m);
        if limits.memory_bytes == 0 || limits.max_concurrent == 0 {
            return Err(fail(
                "memory_bytes and max_concurrent must be above zero".into(),
            ));
        }
        let (engine, linker) = build_engine(&limits, Layout::Fresh).map_err(fail)?;
        let deadline_ticks = (limits.deadline.as_micros() / TICK.as_micros()).max(1) as u64 + 1;
        let ticker = Ticker::start(engine.clone()).map_err(fail)?;
        Ok(WasmRuntime {
            shared: Arc::new(Shared {
                engine,
                linker,
                limits,
                deadline_ticks,
                cache: Compiled::new(),
                batch: OnceLock::new(),
                _ticker: ticker,
            }),
        })
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &WasmLimits {
        &self.shared.limits
    }

    /// How many distinct modules (by content hash) are compiled and cached:
    /// at most [`CACHED_SOURCES`](crate::CACHED_SOURCES).
    pub fn cached_modules(&self) -> usize {
        self.shared.cache.len()
    }

    /// Checks and validates a module (or finds it in the cache).
    ///
    /// It checks that the bytes are a core module, that the `muster-abi`
    /// section says "2" (or "1"), that the only import is `muster.log`, that
    /// it exports `memory`, `alloc` and `score` with the ABI's types, and
    /// that its code is valid wasm. `name` is used in every error.
    ///
    /// The module is compiled when it first runs: a single call compiles it
    /// for the fresh-instance engine, a batch for the batch engine, each
    /// once for every scorer of the runtime that loads the same bytes.
    pub fn load(&self, name: &str, bytes: &[u8]) -> Result<WasmScorer, ScoreError> {
        let id = ScorerId::new(ScorerKind::Wasm, name, bytes);
        let loaded = self
            .shared
            .cache
            .get_or_compile(&id.hash, || self.check(name, bytes))?;
        Ok(WasmScorer {
            id,
            shared: Arc::clone(&self.shared),
            loaded,
            last_params: Mutex::new(None),
        })
    }

    fn check(&self, name: &str, bytes: &[u8]) -> Result<Loaded, ScoreError> {
        let shape = check::precheck(bytes, self.shared.limits.memory_bytes)
            .map_err(|m| load_error(name, m))?;
        Module::validate(&self.shared.engine, bytes)
            .map_err(|e| load_error(name, format!("is not valid wasm: {e:#}")))?;
        Ok(Loaded {
            shape,
            bytes: bytes.into(),
            fresh: OnceLock::new(),
            batch: OnceLock::new(),
        })
    }
}

/// A module compiled and pre-linked for one engine, with its exports found
/// once by name, so that an instance reaches them by index.
struct Linked {
    pre: InstancePre<Host>,
    memory: ModuleExport,
    alloc: ModuleExport,
    score: ModuleExport,
    scenario: Option<ModuleExport>,
}

/// `bytes` compiled on `engine` and pre-linked by `linker`.
fn link(engine: &Engine, linker: &Linker<Host>, bytes: &[u8]) -> Result<Linked, String> {
    let module =
        Module::from_binary(engine, bytes).map_err(|e| format!("cannot be compiled: {e:#}"))?;
    // `check::precheck` found these exports before the module was loaded.
    let export = |name: &str| {
        module
            .get_export_index(name)
            .ok_or_else(|| format!("has no `{name}` export"))
    };
    Ok(Linked {
        memory: export("memory")?,
        alloc: export("alloc")?,
        score: export(Entry::Score.name())?,
        scenario: module.get_export_index(Entry::Scenario.name()),
        pre: linker
            .instantiate_pre(&module)
            .map_err(|e| format!("cannot be linked: {e:#}"))?,
    })
}

/// Per-call state the guest can reach: the memory limiter and the log.
struct Host {
    memory_cap: usize,
    peak_memory: usize,
    denied: Option<usize>,
    log_cap: usize,
    log_used: usize,
    log_over: bool,
    log: Vec<String>,
}

impl ResourceLimiter for Host {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.denied = Some(desired);
            return Ok(false);
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}

/// `muster.log(ptr, len)`: appends one line to the call's log, within the cap.
fn host_log(mut caller: Caller<'_, Host>, ptr: i32, len: i32) -> wasmtime::Result<()> {
    let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
    let host = caller.data();
    if host.log_used.saturating_add(len) > host.log_cap {
        caller.data_mut().log_over = true;
        return Err(wasmtime::Error::msg("log limit reached"));
    }
    let Some(memory) = caller.get_export("memory").and_then(|e| e.into_memory()) else {
        return Err(wasmtime::Error::msg("muster.log needs an exported memory"));
    };
    let text = memory
        .data(&caller)
        .get(ptr..ptr.saturating_add(len))
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .ok_or_else(|| wasmtime::Error::msg("muster.log was given a range outside memory"))?;
    let host = caller.data_mut();
    host.log_used += len;
    host.log.push(text);
    Ok(())
}

/// Which export a call goes to.
#[derive(Clone, Copy)]
enum Entry {
    Score,
    Scenario,
}

impl Entry {
    fn name(self) -> &'static str {
        match self {
            Entry::Score => "score",
            Entry::Scenario => "scenario",
        }
    }
}

/// An instance ready for calls: its store, memory and entry points.
struct Session {
    store: Store<Host>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    entry: TypedFunc<(i32, i32), i64>,
    /// Whether this instance has been sent the params (ABIs v2 and v3 send
    /// them with the first call only).
    params_sent: bool,
    /// What the instance holds of the records sent to it (ABI v3 sends a
    /// record's scenario, critical ids and task ids only when they change).
    context: wire::Context,
}

impl Session {
    /// The guest's output, borrowed from its memory.
    fn output(&self, range: std::ops::Range<usize>) -> &[u8] {
        &self.memory.data(&self.store)[range]
    }
}

/// A wasm module loaded as a scorer (and, when it exports `scenario`, a
/// scenario generator). Cheap to share across threads; each call runs in its
/// own store.
pub struct WasmScorer {
    id: ScorerId,
    shared: Arc<Shared>,
    loaded: Arc<Loaded>,
    /// The params last encoded, with their JSON: a scorer is called with
    /// the same params run after run, and a fresh instance is sent them
    /// each time.
    last_params: Mutex<Option<(serde_json::Value, Arc<[u8]>)>>,
}

impl std::fmt::Debug for WasmScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmScorer")
            .field("id", &self.id)
            .field("has_scenario", &self.loaded.shape.has_scenario)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Serialize)]
struct Envelope<'a> {
    record: &'a ScoreInput,
    params: &'a serde_json::Value,
}

/// What one call used, before it is turned into [`RunStats`].
#[derive(Default)]
struct Used {
    fuel: u64,
    peak_memory: u64,
    input: u64,
    output: u64,
}

impl WasmScorer {
    fn name(&self) -> &str {
        &self.id.name
    }

    fn limits(&self) -> &WasmLimits {
        &self.shared.limits
    }

    /// The module as a single call runs it, on the fresh-instance engine,
    /// compiled there by the first such call.
    fn fresh_pre(&self) -> Result<&Linked, ScoreError> {
        let shared = &self.shared;
        self.loaded
            .fresh
            .get_or_init(|| link(&shared.engine, &shared.linker, &self.loaded.bytes))
            .as_ref()
            .map_err(|m| load_error(self.name(), m.clone()))
    }

    /// The module as a batch runs it: on the batch engine (started, and the
    /// module compiled there, by the first batch), or on the fresh-instance
    /// engine when that engine could not start or the module not compile
    /// there. Either gives the same cards; only the speed differs.
    fn batch_pre(&self) -> Result<&Linked, ScoreError> {
        let shared = &self.shared;
        let pre = self.loaded.batch.get_or_init(|| {
            let batch = shared
                .batch
                .get_or_init(|| {
                    let (engine, linker) = build_engine(&shared.limits, Layout::Batch).ok()?;
                    let ticker = Ticker::start(engine.clone()).ok()?;
                    Some(BatchEngine {
                        engine,
                        linker,
                        _ticker: ticker,
                    })
                })
                .as_ref()?;
            link(&batch.engine, &batch.linker, &self.loaded.bytes).ok()
        });
        match pre {
            Some(pre) => Ok(pre),
            None => self.fresh_pre(),
        }
    }

    /// A new instance of the module linked as `linked`, in a store of its
    /// engine.
    fn session(
        &self,
        linked: &Linked,
        entry: Entry,
        used: &mut Used,
    ) -> Result<Session, ScoreError> {
        let limits = self.limits();
        let mut store = Store::new(
            linked.pre.module().engine(),
            Host {
                memory_cap: limits.memory_bytes,
                peak_memory: 0,
                denied: None,
                log_cap: limits.log_bytes,
                log_used: 0,
                log_over: false,
                log: Vec::new(),
            },
        );
        store.limiter(|h| h);
        self.arm(&mut store)?;
        let instance = match linked.pre.instantiate(&mut store) {
            Ok(i) => i,
            Err(e) => return Err(self.classify(e, &mut store, used)),
        };
        let name = self.name();
        let memory = instance
            .get_module_export(&mut store, &linked.memory)
            .and_then(Extern::into_memory)
            .ok_or_else(|| runtime_error(name, "has no `memory` export"))?;
        let mut func = |export: Option<&ModuleExport>, what: &str| {
            export
                .and_then(|e| instance.get_module_export(&mut store, e))
                .and_then(Extern::into_func)
                .ok_or_else(|| runtime_error(name, format!("has no `{what}` export")))
        };
        let alloc = func(Some(&linked.alloc), "alloc")?;
        let export = match entry {
            Entry::Score => Some(&linked.score),
            Entry::Scenario => linked.scenario.as_ref(),
        };
        let what = entry.name();
        let entry = func(export, what)?;
        // `check::precheck` refused the module at load unless its `alloc`
        // is `(func (param i32) (result i32))` and its `score` and
        // `scenario` are `(func (param i32 i32) (result i64))`; the types
        // are checked again here all the same. Building the typed functions
        // unchecked saved about 1,100 instructions of a fresh record's
        // 90,000 (1.2%), not worth an `unsafe` block in the sandbox's host.
        let typed_error = |what: &str| runtime_error(name, format!("`{what}` has the wrong type"));
        let alloc = alloc
            .typed::<i32, i32>(&store)
            .map_err(|_| typed_error("alloc"))?;
        let entry = entry
            .typed::<(i32, i32), i64>(&store)
            .map_err(|_| typed_error(what))?;
        Ok(Session {
            store,
            memory,
            alloc,
            entry,
            params_sent: false,
            context: wire::Context::default(),
        })
    }

    /// Gives the store a full tank of fuel and a fresh deadline.
    fn arm(&self, store: &mut Store<Host>) -> Result<(), ScoreError> {
        store
            .set_fuel(self.limits().fuel)
            .map_err(|e| runtime_error(self.name(), format!("cannot set fuel: {e:#}")))?;
        store.set_epoch_deadline(self.shared.deadline_ticks);
        let host = store.data_mut();
        host.log_used = 0;
        host.log_over = false;
        host.log.clear();
        Ok(())
    }

    /// One call: copy `input` in through `alloc`, call the entry point, and
    /// return where in memory the output is (see [`Session::output`]). Fills
    /// `used` as far as the call got.
    fn call(
        &self,
        s: &mut Session,
        input: &[u8],
        used: &mut Used,
    ) -> Result<std::ops::Range<usize>, ScoreError> {
        let limits = self.limits();
        let name = self.name();
        used.input = input.len() as u64;
        if input.len() > limits.input_bytes {
            return Err(ScoreError::Limit {
                script: name.to_string(),
                limit: Limit::InputSize,
                detail: format!(
                    "the input is {} bytes; the limit is {} bytes",
                    input.len(),
                    limits.input_bytes
                ),
            });
        }
        let result = (|| {
            let len = input.len() as i32;
            let ptr = s.alloc.call(&mut s.store, len)?;
            if s.memory
                .write(&mut s.store, ptr as u32 as usize, input)
                .is_err()
            {
                return Ok(Err(runtime_error(
                    name,
                    format!(
                        "`alloc({len})` returned {ptr}, which is not {len} bytes inside memory"
                    ),
                )));
            }
            s.entry.call(&mut s.store, (ptr, len)).map(Ok)
        })();
        used.fuel = limits.fuel - s.store.get_fuel().unwrap_or(0);
        used.peak_memory = (s.store.data().peak_memory.max(s.memory.data_size(&s.store))) as u64;
        let packed = match result {
            Ok(Ok(packed)) => packed as u64,
            Ok(Err(e)) => return Err(e),
            Err(e) => return Err(self.classify(e, &mut s.store, used)),
        };
        let (ptr, len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
        used.output = len as u64;
        if len > limits.output_bytes {
            return Err(ScoreError::Limit {
                script: name.to_string(),
                limit: Limit::OutputSize,
                detail: format!(
                    "the output is {len} bytes; the limit is {} bytes",
                    limits.output_bytes
                ),
            });
        }
        match ptr.checked_add(len) {
            Some(end) if end <= s.memory.data_size(&s.store) => return Ok(ptr..end),
            _ => {}
        }
        Err(runtime_error(
            name,
            format!("returned output at {ptr} of {len} bytes, which is outside memory"),
        ))
    }

    /// Turns a trap or host error into the typed error a person can act on.
    fn classify(&self, e: wasmtime::Error, store: &mut Store<Host>, used: &mut Used) -> ScoreError {
        let limits = self.limits();
        let script = self.name().to_string();
        used.fuel = limits.fuel - store.get_fuel().unwrap_or(0);
        let host = store.data();
        used.peak_memory = used.peak_memory.max(host.peak_memory as u64);
        let limit = |limit: Limit, detail: String| ScoreError::Limit {
            script: script.clone(),
            limit,
            detail,
        };
        if host.log_over {
            return limit(
                Limit::Log,
                format!("it logged more than {} bytes", limits.log_bytes),
            );
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => limit(
                Limit::Fuel,
                format!("it used all {} units of fuel", limits.fuel),
            ),
            Some(Trap::Interrupt) => limit(
                Limit::Time,
                format!(
                    "it ran past the {} ms deadline",
                    limits.deadline.as_millis()
                ),
            ),
            Some(Trap::StackOverflow) => limit(
                Limit::CallDepth,
                format!(
                    "it recursed past the {} byte wasm stack",
                    limits.stack_bytes
                ),
            ),
            _ if host.denied.is_some() => limit(
                Limit::Memory,
                format!(
                    "it asked for {} bytes of memory; the limit is {} bytes",
                    host.denied.unwrap_or_default(),
                    limits.memory_bytes
                ),
            ),
            Some(trap) => runtime_error(&script, trap.to_string()),
            None => runtime_error(&script, format!("{:#}", e)),
        }
    }

    fn stats(&self, used: &Used, wall: Duration) -> RunStats {
        let l = self.limits();
        RunStats {
            work_used: used.fuel,
            work_limit: l.fuel,
            work_unit: "fuel",
            peak_memory_bytes: Some(used.peak_memory),
            memory_limit_bytes: l.memory_bytes as u64,
            input_bytes: used.input,
            input_limit_bytes: l.input_bytes as u64,
            output_bytes: used.output,
            output_limit_bytes: l.output_bytes as u64,
            wall_micros: wall.as_micros() as u64,
            wall_limit_micros: l.deadline.as_micros() as u64,
            route: None,
        }
    }

    /// Parses a guest's output as JSON, turning `{"error": "..."}` into a
    /// runtime error.
    fn parse_output(&self, out: &[u8]) -> Result<serde_json::Value, ScoreError> {
        let value: serde_json::Value =
            serde_json::from_slice(out).map_err(|e| ScoreError::Output {
                script: self.name().to_string(),
                message: format!("the output is not JSON: {e}"),
            })?;
        if let serde_json::Value::Object(o) = &value
            && o.len() == 1
            && let Some(serde_json::Value::String(m)) = o.get("error")
        {
            return Err(runtime_error(self.name(), m.clone()));
        }
        Ok(value)
    }

    fn card(&self, out: &[u8], input: &ScoreInput) -> Result<ScoreCard, ScoreError> {
        let bad = |message| ScoreError::Output {
            script: self.name().to_string(),
            message,
        };
        match self.loaded.shape.abi {
            Abi::V1 => {
                let value = self.parse_output(out)?;
                ScoreCard::from_output(&value, input, self.id.clone()).map_err(bad)
            }
            Abi::V2 | Abi::V3 => {
                match wire::read_output(out, input, self.id.clone()).map_err(bad)? {
                    wire::Output::Card(card) => Ok(card),
                    wire::Output::Error(message) => Err(runtime_error(self.name(), message)),
                }
            }
        }
    }

    /// The params as JSON: under ABIs v2 and v3 sent with an instance's first
    /// record only; under v1 the whole input is JSON and this is not used.
    fn encode_params(&self, params: &serde_json::Value) -> Result<Arc<[u8]>, ScoreError> {
        if let Ok(last) = self.last_params.lock()
            && let Some((last, json)) = &*last
            && last == params
        {
            return Ok(Arc::clone(json));
        }
        let json: Arc<[u8]> = serde_json::to_vec(params)
            .map_err(|e| runtime_error(self.name(), format!("cannot encode the params: {e}")))?
            .into();
        if let Ok(mut last) = self.last_params.lock() {
            *last = Some((params.clone(), Arc::clone(&json)));
        }
        Ok(json)
    }

    /// One `score` input into `buf`: JSON under ABI v1, the binary layout
    /// under v2 and v3, with `params` already encoded as JSON; under v3 the
    /// record's context is sent as far as it differs from what `held` says
    /// the instance holds (all of it to a fresh instance, `None`).
    fn encode(
        &self,
        buf: Vec<u8>,
        input: &ScoreInput,
        params: &serde_json::Value,
        params_json: &[u8],
        held: Option<&mut wire::Context>,
    ) -> Result<Vec<u8>, ScoreError> {
        match self.loaded.shape.abi {
            Abi::V1 => {
                let mut buf = buf;
                buf.clear();
                serde_json::to_writer(
                    &mut buf,
                    &Envelope {
                        record: input,
                        params,
                    },
                )
                .map_err(|e| {
                    runtime_error(self.name(), format!("cannot encode the record: {e}"))
                })?;
                Ok(buf)
            }
            Abi::V2 => {
                let mut w = Writer::reuse(buf);
                wire::write_input(&mut w, input, params_json);
                Ok(w.into_bytes())
            }
            Abi::V3 => {
                let mut w = Writer::reuse(buf);
                wire::write_input_v3(&mut w, input, params_json, held);
                Ok(w.into_bytes())
            }
        }
    }

    /// Scores one run, and also returns the lines the guest sent to
    /// `muster.log`.
    pub fn score_with_log(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> (Result<ScoreCard, ScoreError>, RunStats, Vec<String>) {
        let start = Instant::now();
        let mut used = Used::default();
        let mut log = Vec::new();
        let result = self.encode_params(params).and_then(|params_json| {
            let buf = Vec::with_capacity(FIRST_INPUT_BYTES + params_json.len());
            let bytes = self.encode(buf, input, params, &params_json, None)?;
            let mut s = self.session(self.fresh_pre()?, Entry::Score, &mut used)?;
            let out = self.call(&mut s, &bytes, &mut used);
            log = std::mem::take(&mut s.store.data_mut().log);
            self.card(s.output(out?), input)
        });
        (result, self.stats(&used, start.elapsed()), log)
    }
}

impl Scorer for WasmScorer {
    fn id(&self) -> &ScorerId {
        &self.id
    }

    fn score(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> Result<ScoreCard, ScoreError> {
        self.score_with_log(input, params).0
    }

    /// Scores many runs with the same params on one instance, re-arming fuel
    /// and deadline before each; an instance that failed is replaced before
    /// the next run. Each run gets the same limits as a single call.
    fn score_batch(
        &self,
        inputs: &[ScoreInput],
        params: &serde_json::Value,
    ) -> Vec<Result<ScoreCard, ScoreError>> {
        let params_json = match self.encode_params(params) {
            Ok(p) => p,
            Err(e) => return inputs.iter().map(|_| Err(e.clone())).collect(),
        };
        let pre = match self.batch_pre() {
            Ok(p) => p,
            Err(e) => return inputs.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut session: Option<Session> = None;
        let mut results = Vec::with_capacity(inputs.len());
        let mut buf = Vec::new();
        for input in inputs {
            let mut used = Used::default();
            let result = (|| {
                let s = match session.as_mut() {
                    Some(s) => {
                        self.arm(&mut s.store)?;
                        s
                    }
                    None => session.insert(self.session(pre, Entry::Score, &mut used)?),
                };
                // Under ABIs v2 and v3 an instance keeps the params of its
                // first call.
                let sent = if s.params_sent { &[][..] } else { &params_json };
                buf = self.encode(
                    std::mem::take(&mut buf),
                    input,
                    params,
                    sent,
                    Some(&mut s.context),
                )?;
                let out = self.call(s, &buf, &mut used);
                let card = match out {
                    Ok(range) => {
                        s.params_sent = true;
                        self.card(s.output(range), input)
                    }
                    Err(e) => Err(e),
                };
                if card.is_err() {
                    session = None;
                }
                card
            })();
            results.push(result);
        }
        results
    }
}

impl PluginScorer for WasmScorer {
    fn score_with_stats(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> (Result<ScoreCard, ScoreError>, RunStats) {
        let (result, stats, _) = self.score_with_log(input, params);
        (result, stats)
    }

    fn has_generator(&self) -> bool {
        self.loaded.shape.has_scenario
    }

    /// "3" (binary, the record's context sent as it changes), "2" (binary
    /// record and card) or "1" (JSON), as the module's `muster-abi` section
    /// says.
    fn abi_version(&self) -> Option<&'static str> {
        Some(match self.loaded.shape.abi {
            Abi::V1 => "1",
            Abi::V2 => "2",
            Abi::V3 => "3",
        })
    }

    fn generate(&self, params: &serde_json::Value) -> Result<String, ScoreError> {
        if !self.loaded.shape.has_scenario {
            return Err(runtime_error(
                self.name(),
                "does not export `scenario`, so it cannot generate a scenario",
            ));
        }
        let bytes = serde_json::to_vec(params)
            .map_err(|e| runtime_error(self.name(), format!("cannot encode the params: {e}")))?;
        let mut used = Used::default();
        let mut s = self.session(self.fresh_pre()?, Entry::Scenario, &mut used)?;
        let out = self.call(&mut s, &bytes, &mut used)?;
        let out = s.output(out).to_vec();
        self.parse_output(&out)?;
        String::from_utf8(out).map_err(|e| ScoreError::Output {
            script: self.name().to_string(),
            message: format!("the scenario is not UTF-8: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v1 guest that scores every record 1.
    const ONE: &str = r#"(module
      (@custom "muster-abi" "1")
      (memory (export "memory") 1)
      (data (i32.const 0) "{\22total\22:1,\22status\22:\22valid\22,\22reason\22:\22\22,\22notes\22:[]}")
      (func (export "alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "score") (param i32 i32) (result i64) (i64.const 51)))"#;

    #[test]
    fn a_batch_runs_on_the_batch_engine_and_one_call_on_the_fresh_one() {
        let rt = WasmRuntime::new(WasmLimits::default()).unwrap();
        let scorer = rt.load("one.wat", &wat::parse_str(ONE).unwrap()).unwrap();
        assert!(rt.shared.batch.get().is_none(), "started before any batch");
        assert!(scorer.loaded.fresh.get().is_none(), "compiled at load");
        let pre = scorer.batch_pre().unwrap();
        let batch = rt.shared.batch.get().unwrap().as_ref().unwrap();
        assert!(Engine::same(pre.pre.module().engine(), &batch.engine));
        assert!(!Engine::same(pre.pre.module().engine(), &rt.shared.engine));
        assert!(
            scorer.loaded.fresh.get().is_none(),
            "a batch compiled for the fresh-instance engine too"
        );
        let fresh = scorer.fresh_pre().unwrap();
        assert!(Engine::same(fresh.pre.module().engine(), &rt.shared.engine));
        // A second scorer of the same module shares both compiles.
        let again = rt.load("one.wat", &wat::parse_str(ONE).unwrap()).unwrap();
        assert!(std::ptr::eq(again.batch_pre().unwrap(), pre));
        assert!(std::ptr::eq(again.fresh_pre().unwrap(), fresh));
    }

    /// When the batch engine cannot reserve its memory (here: 40,000 slots
    /// of 4 GiB are more than a 47-bit address space holds), a batch runs on
    /// the fresh-instance engine and gives the same cards.
    #[test]
    fn a_batch_falls_back_to_the_fresh_engine() {
        let rt = WasmRuntime::new(WasmLimits {
            max_concurrent: 40_000,
            ..WasmLimits::default()
        })
        .unwrap();
        let scorer = rt.load("one.wat", &wat::parse_str(ONE).unwrap()).unwrap();
        let pre = scorer.batch_pre().unwrap();
        assert!(matches!(rt.shared.batch.get(), Some(None)));
        assert!(std::ptr::eq(pre, scorer.fresh_pre().unwrap()));
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/packages/forest-fire-initial-attack");
        let text = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
        let scenario =
            muster_core::Scenario::parse("scenario.toml", &text, muster_core::Format::Toml)
                .unwrap();
        let text = std::fs::read_to_string(dir.join("record-nantang.json")).unwrap();
        let record = muster_core::DrillRecord::parse(
            "record-nantang.json",
            &text,
            muster_core::Format::Json,
            &scenario,
        )
        .unwrap();
        let input = ScoreInput::new(&scenario, &record);
        let params = serde_json::json!({});
        let one = scorer.score(&input, &params).unwrap();
        assert_eq!(one.total, 1.0);
        for card in scorer.score_batch(&[input.clone(), input], &params) {
            assert_eq!(card.unwrap(), one);
        }
    }
}
