//! # muster-guest
//!
//! The SDK for writing Muster scorers in Rust, compiled to
//! `wasm32-unknown-unknown` (ABI v1, see `plugins/ABI.md`): the record and
//! score-card types a scorer sees, and macros that export a Rust function as
//! the module's `score` (and `scenario`) entry point.
//!
//! ```
//! use muster_guest::{Record, ScoreCard, Status};
//!
//! fn rule(record: &Record, params: &serde_json::Value) -> Result<ScoreCard, String> {
//!     let base = params["base"].as_f64().ok_or("params.base must be a number")?;
//!     Ok(ScoreCard::valid(base - record.elapsed / 60.0))
//! }
//! // The export is named `score`, so the function must be named otherwise.
//! muster_guest::export_scorer!(rule);
//!
//! let record: Record = serde_json::from_str(
//!     r#"{"elapsed": 120.0, "critical": [], "tasks": {}, "penalties": []}"#,
//! ).unwrap();
//! let card = rule(&record, &serde_json::json!({"base": 10})).unwrap();
//! assert_eq!((card.total, card.status), (8.0, Status::Valid));
//! ```
//!
//! Build the crate with `crate-type = ["cdylib", "rlib"]` and
//! `cargo build --release --target wasm32-unknown-unknown`.
#![deny(missing_docs)]

use std::cell::RefCell;
use std::collections::BTreeMap;

pub use serde_json;

/// The ABI version the export macros declare in the `muster-abi` section.
pub const ABI_VERSION: &str = "1";

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

/// One task as run; times are seconds from the drill's start.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskRun {
    /// When the task started.
    pub start: f64,
    /// When it ended.
    pub end: f64,
    /// How it ended.
    pub status: TaskStatus,
    /// The evaluator's rating, where one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
}

/// A penalty a judge gave.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Penalty {
    /// The penalty code; the params give its points.
    pub code: String,
    /// The task it was given on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// How many times.
    pub count: u32,
}

/// The drill run as a scorer sees it (the host's `ScoreInput`): seconds as
/// floats.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// Scenario id.
    #[serde(default)]
    pub scenario: String,
    /// Scenario version.
    #[serde(default)]
    pub version: String,
    /// The team that ran the drill.
    #[serde(default)]
    pub team: String,
    /// Attempt number.
    #[serde(default)]
    pub attempt: u32,
    /// Latest task end minus earliest task start, in seconds.
    pub elapsed: f64,
    /// The scenario's time limit in seconds, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<f64>,
    /// The scenario's critical task ids.
    #[serde(default)]
    pub critical: Vec<String>,
    /// Task runs by id.
    #[serde(default)]
    pub tasks: BTreeMap<String, TaskRun>,
    /// Penalties, in the order given.
    #[serde(default)]
    pub penalties: Vec<Penalty>,
}

/// Outcome class of a scored run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A valid, ranked result.
    Valid,
    /// Did not finish.
    Dnf,
    /// Disqualified.
    Dq,
}

/// Points and a note for one task.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskPoints {
    /// Points given for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,
    /// A note on the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a scorer returns. The host checks it: `total` finite, at most 256
/// notes of at most 1024 bytes, task ids that are the record's.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScoreCard {
    /// The total score.
    pub total: f64,
    /// Valid, DNF or DQ.
    pub status: Status,
    /// Why the status is DNF or DQ; empty when valid.
    #[serde(default)]
    pub reason: String,
    /// Notes, in order.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Per-task points and notes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tasks: BTreeMap<String, TaskPoints>,
}

impl ScoreCard {
    /// A valid card with `total` and nothing else.
    pub fn valid(total: f64) -> ScoreCard {
        ScoreCard {
            total,
            status: Status::Valid,
            reason: String::new(),
            notes: Vec::new(),
            tasks: BTreeMap::new(),
        }
    }

    /// A zero-point card with `status` and `reason`.
    pub fn out(status: Status, reason: impl Into<String>) -> ScoreCard {
        ScoreCard {
            total: 0.0,
            status,
            reason: reason.into(),
            notes: Vec::new(),
            tasks: BTreeMap::new(),
        }
    }
}

/// Sends one line to the host's capped log (`muster.log`). Outside wasm it
/// writes nothing.
pub fn log(line: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        #[link(wasm_import_module = "muster")]
        unsafe extern "C" {
            #[link_name = "log"]
            fn muster_log(ptr: u32, len: u32);
        }
        // SAFETY: the host reads `len` bytes at `ptr` from this module's
        // memory, which `line` borrows for the duration of the call.
        unsafe { muster_log(line.as_ptr() as u32, line.len() as u32) }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = line;
}

#[derive(serde::Deserialize)]
struct Envelope {
    record: Record,
    #[serde(default)]
    params: serde_json::Value,
}

thread_local! {
    /// The last output handed to the host; kept alive until the next call.
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[doc(hidden)]
pub mod __private {
    use super::*;

    /// `alloc(len) -> ptr`: a buffer the host fills with the input; the
    /// entry point takes it back and frees it.
    pub fn alloc(len: u32) -> u32 {
        let mut buf = Vec::<u8>::with_capacity(len as usize);
        let ptr = buf.as_mut_ptr();
        // Ownership passes to the host until `take_input` rebuilds the Vec.
        std::mem::forget(buf);
        ptr as usize as u32
    }

    /// Rebuilds the buffer `alloc` gave out.
    ///
    /// # Safety
    /// `ptr` and `len` must be what `alloc(len)` returned and was passed, once.
    unsafe fn take_input(ptr: u32, len: u32) -> Vec<u8> {
        let len = len as usize;
        // SAFETY: by the contract above the buffer came from
        // `Vec::with_capacity(len)`, which for u8 allocates exactly `len`
        // bytes, and the host wrote all `len` of them.
        unsafe { Vec::from_raw_parts(ptr as usize as *mut u8, len, len) }
    }

    fn hand_out(bytes: Vec<u8>) -> u64 {
        OUTPUT.with(|o| {
            let mut o = o.borrow_mut();
            *o = bytes;
            ((o.as_ptr() as usize as u64) << 32) | o.len() as u64
        })
    }

    fn error(message: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "error": message }))
            .unwrap_or_else(|_| br#"{"error":"cannot encode the error"}"#.to_vec())
    }

    /// The `score` entry point around a scorer function.
    ///
    /// # Safety
    /// Called by the host with a buffer from `alloc`, per ABI v1.
    pub unsafe fn score(
        ptr: u32,
        len: u32,
        f: fn(&Record, &serde_json::Value) -> Result<ScoreCard, String>,
    ) -> u64 {
        // SAFETY: forwarded from this function's contract.
        let input = unsafe { take_input(ptr, len) };
        let out = match serde_json::from_slice::<Envelope>(&input) {
            Err(e) => error(&format!("cannot read the record: {e}")),
            Ok(env) => match f(&env.record, &env.params) {
                Ok(card) => serde_json::to_vec(&card)
                    .unwrap_or_else(|e| error(&format!("cannot encode the card: {e}"))),
                Err(message) => error(&message),
            },
        };
        hand_out(out)
    }

    /// The `scenario` entry point around a generator function.
    ///
    /// # Safety
    /// Called by the host with a buffer from `alloc`, per ABI v1.
    pub unsafe fn scenario(
        ptr: u32,
        len: u32,
        f: fn(&serde_json::Value) -> Result<serde_json::Value, String>,
    ) -> u64 {
        // SAFETY: forwarded from this function's contract.
        let input = unsafe { take_input(ptr, len) };
        let out = match serde_json::from_slice::<serde_json::Value>(&input) {
            Err(e) => error(&format!("cannot read the params: {e}")),
            Ok(params) => match f(&params) {
                Ok(s) => serde_json::to_vec(&s)
                    .unwrap_or_else(|e| error(&format!("cannot encode the scenario: {e}"))),
                Err(message) => error(&message),
            },
        };
        hand_out(out)
    }
}

/// Exports `f: fn(&Record, &serde_json::Value) -> Result<ScoreCard, String>`
/// as the module's `score`, together with `alloc` and the `muster-abi`
/// section. Use it once per module. An `Err` reaches the host as a runtime
/// error with your message.
#[macro_export]
macro_rules! export_scorer {
    ($f:path) => {
        #[cfg(target_arch = "wasm32")]
        #[unsafe(link_section = "muster-abi")]
        #[used]
        static __MUSTER_ABI: [u8; 1] = *b"1";

        /// ABI v1 `alloc`.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn alloc(len: u32) -> u32 {
            $crate::__private::alloc(len)
        }

        /// ABI v1 `score`.
        ///
        /// # Safety
        /// Called by the Muster host per ABI v1.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn score(ptr: u32, len: u32) -> u64 {
            // SAFETY: the host passes a buffer from `alloc`.
            unsafe { $crate::__private::score(ptr, len, $f) }
        }

        #[cfg(not(target_arch = "wasm32"))]
        const _: fn(
            &$crate::Record,
            &$crate::serde_json::Value,
        ) -> Result<$crate::ScoreCard, String> = $f;
    };
}

/// Exports `f: fn(&serde_json::Value) -> Result<serde_json::Value, String>`
/// as the module's `scenario` generator: params in, the scenario (as JSON,
/// in the shape of a scenario file) out. Use beside [`export_scorer!`].
#[macro_export]
macro_rules! export_generator {
    ($f:path) => {
        /// ABI v1 `scenario`.
        ///
        /// # Safety
        /// Called by the Muster host per ABI v1.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn scenario(ptr: u32, len: u32) -> u64 {
            // SAFETY: the host passes a buffer from `alloc`.
            unsafe { $crate::__private::scenario(ptr, len, $f) }
        }

        #[cfg(not(target_arch = "wasm32"))]
        const _: fn(&$crate::serde_json::Value) -> Result<$crate::serde_json::Value, String> = $f;
    };
}
