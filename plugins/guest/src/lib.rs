//! # muster-guest
//!
//! The SDK for writing Muster scorers in Rust, compiled to
//! `wasm32-unknown-unknown` (ABI v3, see `plugins/ABI.md`): the record and
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
//! The params may be read into the rule's own type instead of a
//! `serde_json::Value` (see [`Params`]), and [`Num`] writes numbers into
//! notes as `format!` does, only faster under wasm; with
//! [`ScoreCard::note_with`] a note is pushed piece by piece, without
//! `core::fmt` at all.
//!
//! Build the crate with `crate-type = ["cdylib", "rlib"]` and
//! `cargo build --release --target wasm32-unknown-unknown`, best in a
//! profile with `lto = "fat"` and `codegen-units = 1`: without them the
//! SDK's per-instance state is reached through function pointers, which
//! a fresh instance fills in on first use. Rust gives a wasm module a 1 MiB
//! stack, which a scorer rarely needs; a smaller one (the linker's
//! `-zstack-size`, as `plugins/examples/time-bonus/build.rs` sets it)
//! leaves less memory for the host to reset after every fresh instance.
#![deny(missing_docs)]

use std::cell::RefCell;
use std::collections::BTreeMap;

pub use serde_json;

mod num;
pub mod params;
pub mod wire;

pub use num::Num;

use wire::{Reader, Writer};

/// The ABI version the export macros declare in the `muster-abi` section.
pub const ABI_VERSION: &str = "3";
// The section holds one byte.
const _: () = assert!(ABI_VERSION.len() == 1);

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
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
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

impl Record {
    /// Reads a record in the ABI v3 layout (`plugins/ABI.md`) into a fresh
    /// record, as a fresh instance does: the scenario, critical ids and task
    /// ids must all be in it.
    pub fn from_wire(r: &mut Reader<'_>) -> Result<Record, String> {
        let mut record = Record::default();
        record.read_wire(r)?;
        Ok(record)
    }

    /// Reads a record in the ABI v3 layout over this one, the record the
    /// same instance read before. The parts of the scenario the host leaves
    /// out (scenario and version, critical ids, task ids) are this record's;
    /// the runs are read into its task map in place, and its strings and
    /// lists are reused, so a batch of records of one scenario costs almost
    /// no allocation. On an error the record is left empty, as a fresh
    /// instance's is.
    pub fn read_wire(&mut self, r: &mut Reader<'_>) -> Result<(), String> {
        let read = self.read_parts(r);
        if read.is_err() {
            *self = Record::default();
        }
        read
    }

    fn read_parts(&mut self, r: &mut Reader<'_>) -> Result<(), String> {
        self.elapsed = r.f64()?;
        let has_limit = r.u8()? != 0;
        let limit = r.f64()?;
        self.time_limit = has_limit.then_some(limit);
        self.attempt = r.u32()?;
        r.str_into(&mut self.team)?;
        let at = r.position();
        let parts = r.u8()?;
        if parts & !wire::CONTEXT_ALL != 0 {
            return Err(format!(
                "the record has context flags {parts} at byte {at}; only {} (scenario), {} \
                 (critical ids) and {} (task ids) are defined",
                wire::CONTEXT_SCENARIO,
                wire::CONTEXT_CRITICAL,
                wire::CONTEXT_TASK_IDS
            ));
        }
        if parts & wire::CONTEXT_SCENARIO != 0 {
            r.str_into(&mut self.scenario)?;
            r.str_into(&mut self.version)?;
        }
        if parts & wire::CONTEXT_CRITICAL != 0 {
            let n = r.count("critical task ids", usize::MAX, 4)?;
            self.critical.truncate(n);
            for i in 0..n {
                match self.critical.get_mut(i) {
                    Some(c) => r.str_into(c)?,
                    None => self.critical.push(r.str()?.to_string()),
                }
            }
        }
        if parts & wire::CONTEXT_TASK_IDS != 0 {
            let n = r.count("task ids", usize::MAX, 4)?;
            let mut ids = std::mem::take(&mut self.tasks);
            ids.clear();
            for _ in 0..n {
                let at = r.position();
                let id = r.str()?;
                if ids.insert(id.to_string(), UNREAD_RUN).is_some() {
                    return Err(format!(
                        "the record sends task id `{id}` twice, the second time at byte {at}"
                    ));
                }
            }
            self.tasks = ids;
        }
        let at = r.position();
        let n = r.count("task runs", usize::MAX, 18)?;
        if n != self.tasks.len() {
            return Err(format!(
                "the record gives {n} task runs at byte {at}, but the instance holds {} task \
                 ids; the runs come one per id, in id order",
                self.tasks.len()
            ));
        }
        for run in self.tasks.values_mut() {
            *run = task_run(r)?;
        }
        let n = r.count("penalties", usize::MAX, 9)?;
        self.penalties.truncate(n);
        for i in 0..n {
            if i == self.penalties.len() {
                self.penalties.push(Penalty::default());
            }
            let p = &mut self.penalties[i];
            r.str_into(&mut p.code)?;
            match (r.u8()?, &mut p.task) {
                (0, task) => *task = None,
                (_, Some(task)) => r.str_into(task)?,
                (_, task) => *task = Some(r.str()?.to_string()),
            }
            p.count = r.u32()?;
        }
        Ok(())
    }
}

/// A task's run before the record's runs are read over it.
const UNREAD_RUN: TaskRun = TaskRun {
    start: 0.0,
    end: 0.0,
    status: TaskStatus::Skipped,
    rating: None,
};

/// A task's times, status and rating: 18 bytes, read with
/// one bounds check.
fn task_run(r: &mut Reader<'_>) -> Result<TaskRun, String> {
    let at = r.position();
    let b: &[u8; 18] = r.array("a task's times, status and rating")?;
    let time = |i: usize| {
        let mut a = [0; 8];
        a.copy_from_slice(&b[i..i + 8]);
        f64::from_le_bytes(a)
    };
    let status = match b[16] {
        wire::TASK_DONE => TaskStatus::Done,
        wire::TASK_FAILED => TaskStatus::Failed,
        wire::TASK_SKIPPED => TaskStatus::Skipped,
        other => {
            return Err(format!(
                "the record has task status {other} at byte {}",
                at + 16
            ));
        }
    };
    let rating = match b[17] {
        wire::RATING_NONE => None,
        wire::RATING_P => Some(Rating::P),
        wire::RATING_S => Some(Rating::S),
        wire::RATING_M => Some(Rating::M),
        wire::RATING_U => Some(Rating::U),
        other => return Err(format!("the record has rating {other} at byte {}", at + 17)),
    };
    Ok(TaskRun {
        start: time(0),
        end: time(8),
        status,
        rating,
    })
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

/// Bytes a note's string is given before [`ScoreCard::note`] writes it.
const NOTE_CAPACITY: usize = 64;

/// Note strings kept for the next cards: a card's most (the host's limit).
const MAX_SPARE_NOTES: usize = 256;

/// The strings and the list of notes already sent, for [`ScoreCard::note`]
/// and [`ScoreCard::valid`] to write into again.
struct SpareNotes {
    notes: Vec<String>,
    /// A card's emptied list of notes (no allocation until one is kept).
    list: Vec<String>,
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
            notes: SPARE_NOTES.with(|s| std::mem::take(&mut s.borrow_mut().list)),
            tasks: BTreeMap::new(),
        }
    }

    /// Adds a note written from `args` (`format_args!("time bonus {b}")`),
    /// into a string sized for a typical note up front: `format!` starts
    /// smaller and grows the string as it writes, and under wasm each growth
    /// is a call into the allocator. The string, and the list of a card
    /// made by [`ScoreCard::valid`], are those of a card the SDK sent the
    /// host before, where there is one: a batch's records then cost no
    /// allocation for their notes.
    pub fn note(&mut self, args: std::fmt::Arguments<'_>) {
        use std::fmt::Write;
        // Writing into a String fails only when a Display impl fails.
        self.note_with(|note| {
            let _ = note.write_fmt(args);
        });
    }

    /// Adds a note that `write` builds by pushing its pieces, into the same
    /// kind of string as [`ScoreCard::note`]: the fastest way to write a
    /// note, as nothing goes through `core::fmt` (its `Arguments` and
    /// padding machinery cost a tenth of a small rule's time under wasm).
    ///
    /// ```
    /// use muster_guest::{Num, ScoreCard};
    ///
    /// let (code, count, lost) = ("hose-kink", 2, 1.5);
    /// let mut card = ScoreCard::valid(10.0);
    /// card.note_with(|n| {
    ///     n.push_str(code);
    ///     n.push_str(" x");
    ///     Num(f64::from(count)).push_to(n);
    ///     n.push_str(": -");
    ///     Num(lost).push_to(n);
    /// });
    /// card.note(format_args!("{code} x{count}: -{lost}"));
    /// assert_eq!(card.notes[0], card.notes[1]);
    /// assert_eq!(card.notes[0], "hose-kink x2: -1.5");
    /// ```
    pub fn note_with(&mut self, write: impl FnOnce(&mut String)) {
        let mut note = SPARE_NOTES
            .with(|s| s.borrow_mut().notes.pop())
            .unwrap_or_else(|| String::with_capacity(NOTE_CAPACITY));
        write(&mut note);
        self.notes.push(note);
    }

    /// Keeps the card's notes and their list for the next cards, up to a
    /// card's worth.
    fn recycle(mut self) {
        SPARE_NOTES.with(|s| {
            let mut spare = s.borrow_mut();
            for mut note in self.notes.drain(..) {
                if spare.notes.len() == MAX_SPARE_NOTES {
                    break;
                }
                note.clear();
                spare.notes.push(note);
            }
            if spare.list.capacity() == 0 {
                spare.list = self.notes;
            }
        });
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

impl ScoreCard {
    /// Writes the card in the ABI v3 layout (`plugins/ABI.md`), tag first.
    pub fn to_wire(&self, w: &mut Writer) {
        w.u8(wire::CARD);
        w.f64(self.total);
        w.u8(match self.status {
            Status::Valid => wire::STATUS_VALID,
            Status::Dnf => wire::STATUS_DNF,
            Status::Dq => wire::STATUS_DQ,
        });
        w.str(&self.reason);
        w.len(self.notes.len());
        for n in &self.notes {
            w.str(n);
        }
        w.len(self.tasks.len());
        for (id, t) in &self.tasks {
            w.str(id);
            let flags = if t.points.is_some() {
                wire::HAS_POINTS
            } else {
                0
            } | if t.note.is_some() { wire::HAS_NOTE } else { 0 };
            w.u8(flags);
            if let Some(p) = t.points {
                w.f64(p);
            }
            if let Some(n) = &t.note {
                w.str(n);
            }
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

thread_local! {
    /// The last output handed to the host; kept alive until the next call.
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The record of the last call, read over by the next; none before the
    /// first (a constant start, so reaching it checks no lazy state).
    static RECORD: RefCell<Option<Record>> = const { RefCell::new(None) };
    /// The params this instance was sent, read into the rule's [`Params`]
    /// (a boxed `Result<P, String>`: a failed read answers every record):
    /// the host sends them with the first record only, and they are read
    /// once.
    static PARAMS: RefCell<Option<Box<dyn std::any::Any>>> = const { RefCell::new(None) };
    /// Notes of cards already sent, written into again by the next cards.
    static SPARE_NOTES: RefCell<SpareNotes> = const {
        RefCell::new(SpareNotes {
            notes: Vec::new(),
            list: Vec::new(),
        })
    };
}

/// The params a rule reads: any type serde can read from the package's
/// `[scoring.params]` as JSON. They are read once per instance (the host
/// sends them with an instance's first record), straight into the type:
/// `serde_json::Value` is one, and a rule with fixed params is faster with
/// its own struct, which costs no lookups per record.
///
/// ```
/// use muster_guest::{params::Number, Record, ScoreCard};
///
/// #[derive(serde::Deserialize)]
/// struct Rate {
///     // A missing or non-number value is `None`, not an error.
///     #[serde(default)]
///     per_minute: Number,
/// }
///
/// fn rule(record: &Record, rate: &Rate) -> Result<ScoreCard, String> {
///     let per_minute = rate.per_minute.0.ok_or("params.per_minute must be a number")?;
///     Ok(ScoreCard::valid(record.elapsed / 60.0 * per_minute))
/// }
/// muster_guest::export_scorer!(rule);
/// # let record = Record { elapsed: 120.0, ..Record::default() };
/// # let rate: Rate = muster_guest::serde_json::from_str(r#"{"per_minute": 2}"#).unwrap();
/// # assert_eq!(rule(&record, &rate).unwrap().total, 4.0);
/// # let none: Rate = muster_guest::serde_json::from_str(r#"{"per_minute": "x"}"#).unwrap();
/// # assert_eq!(rule(&record, &none).unwrap_err(), "params.per_minute must be a number");
/// ```
///
/// Params that do not read are the answer to every record the instance is
/// sent (`cannot read the params: …`); a rule that should still give a DQ
/// or DNF without valid params reads them leniently ([`params::Number`],
/// [`params::Numbers`]) and fails where it needs a value.
pub trait Params: serde::de::DeserializeOwned + 'static {}

impl<P: serde::de::DeserializeOwned + 'static> Params for P {}

/// Bytes the output buffer starts with: a card with a few notes.
const OUTPUT_BYTES: usize = 256;

/// A scorer function over the rule's params `P`.
pub type Rule<P> = fn(&Record, &P) -> Result<ScoreCard, String>;

/// Runs a scorer on one ABI v3 `score` input: the record's length, the
/// record, then the params as JSON (nothing after the record: the params of
/// the instance's previous call). Returns the result in the ABI v3 layout:
/// a card, or an error message. The host calls this through the `score`
/// export; it is public so a guest's rule can be run natively on the exact
/// bytes the host sends.
pub fn score_wire<P: Params>(input: &[u8], f: Rule<P>) -> Vec<u8> {
    let mut w = OUTPUT.with(|o| {
        let mut buf = std::mem::take(&mut *o.borrow_mut());
        // A fresh instance's first output starts at its usual size rather
        // than growing to it one reallocation at a time.
        buf.clear();
        buf.reserve(OUTPUT_BYTES);
        Writer::reuse(buf)
    });
    let result = (|| {
        let mut r = Reader::new(input, "the input");
        let len = r.u32()? as usize;
        let start = r.position();
        let record_bytes = input
            .get(start..start.saturating_add(len))
            .ok_or_else(|| format!("the input is shorter than its {len}-byte record"))?;
        let mut rr = Reader::new(record_bytes, "the record");
        let mut record = RECORD.with(|r| r.borrow_mut().take().unwrap_or_default());
        let read = record.read_wire(&mut rr).and_then(|()| rr.finish());
        let params = &input[start + len..];
        let result = read.and_then(|()| {
            PARAMS.with(|cache| {
                let mut cache = cache.borrow_mut();
                if !params.is_empty() {
                    let read: Result<P, String> = serde_json::from_slice(params)
                        .map_err(|e| format!("cannot read the params: {e}"));
                    *cache = Some(Box::new(read));
                }
                match cache
                    .as_ref()
                    .and_then(|c| c.downcast_ref::<Result<P, String>>())
                {
                    Some(Ok(params)) => f(&record, params),
                    Some(Err(message)) => Err(message.clone()),
                    None => Err("the host sent no params with the first record".into()),
                }
            })
        });
        RECORD.with(|r| *r.borrow_mut() = Some(record));
        result
    })();
    match result {
        Ok(card) => {
            card.to_wire(&mut w);
            card.recycle();
        }
        Err(message) => {
            w.u8(wire::ERROR);
            w.str(&message);
        }
    }
    w.into_bytes()
}

#[doc(hidden)]
pub mod __private {
    use super::*;

    thread_local! {
        /// The input buffer, kept between calls: a batch's records are of a
        /// size, so after the first `alloc` hands the same memory out again
        /// instead of allocating and freeing it for every record.
        static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }

    /// `alloc(len) -> ptr`: a buffer of at least `len` bytes that the host
    /// fills with the input; the entry point reads it and keeps it for the
    /// next call.
    pub fn alloc(len: u32) -> u32 {
        INPUT.with(|b| {
            let mut b = b.borrow_mut();
            b.clear();
            b.reserve(len as usize);
            b.as_mut_ptr() as usize as u32
        })
    }

    /// Runs `f` on the input the host wrote into the buffer `alloc` gave out.
    ///
    /// # Safety
    /// `ptr` and `len` must be what the last `alloc(len)` returned and was
    /// passed, and the host must have written all `len` bytes.
    unsafe fn with_input<T>(ptr: u32, len: u32, f: impl FnOnce(&[u8]) -> T) -> T {
        let buf = INPUT.with(|b| std::mem::take(&mut *b.borrow_mut()));
        let len = len as usize;
        let input = if ptr as usize == buf.as_ptr() as usize && len <= buf.capacity() {
            // SAFETY: by the contract above `buf` holds at least `len`
            // bytes from its start, all of them written by the host.
            unsafe { std::slice::from_raw_parts(buf.as_ptr(), len) }
        } else {
            &[]
        };
        let out = f(input);
        INPUT.with(|b| *b.borrow_mut() = buf);
        out
    }

    /// Checks, outside wasm, that `f` is a scorer over some [`Params`].
    pub fn check_scorer<P: Params>(f: Rule<P>) -> Rule<P> {
        f
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
    /// Called by the host with a buffer from `alloc`, per ABI v3.
    pub unsafe fn score<P: Params>(ptr: u32, len: u32, f: Rule<P>) -> u64 {
        // SAFETY: forwarded from this function's contract.
        hand_out(unsafe { with_input(ptr, len, |input| score_wire(input, f)) })
    }

    /// The `scenario` entry point around a generator function.
    ///
    /// # Safety
    /// Called by the host with a buffer from `alloc`, per ABI v3.
    pub unsafe fn scenario(
        ptr: u32,
        len: u32,
        f: fn(&serde_json::Value) -> Result<serde_json::Value, String>,
    ) -> u64 {
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { with_input(ptr, len, |input| generate(input, f)) };
        hand_out(out)
    }

    fn generate(
        input: &[u8],
        f: fn(&serde_json::Value) -> Result<serde_json::Value, String>,
    ) -> Vec<u8> {
        match serde_json::from_slice::<serde_json::Value>(input) {
            Err(e) => error(&format!("cannot read the params: {e}")),
            Ok(params) => match f(&params) {
                Ok(s) => serde_json::to_vec(&s)
                    .unwrap_or_else(|e| error(&format!("cannot encode the scenario: {e}"))),
                Err(message) => error(&message),
            },
        }
    }
}

/// Exports `f: fn(&Record, &P) -> Result<ScoreCard, String>` as the
/// module's `score`, together with `alloc` and the `muster-abi` section;
/// `P` is `serde_json::Value` or any other [`Params`]. Use it once per
/// module. An `Err` reaches the host as a runtime error with your message.
#[macro_export]
macro_rules! export_scorer {
    ($f:path) => {
        #[cfg(target_arch = "wasm32")]
        #[unsafe(link_section = "muster-abi")]
        #[used]
        static __MUSTER_ABI: [u8; 1] = [$crate::ABI_VERSION.as_bytes()[0]];

        /// ABI v3 `alloc`.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn alloc(len: u32) -> u32 {
            $crate::__private::alloc(len)
        }

        /// ABI v3 `score`.
        ///
        /// # Safety
        /// Called by the Muster host per ABI v3.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn score(ptr: u32, len: u32) -> u64 {
            // SAFETY: the host passes a buffer from `alloc`.
            unsafe { $crate::__private::score(ptr, len, $f) }
        }

        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            #[allow(dead_code)]
            fn check() {
                let _ = $crate::__private::check_scorer($f);
            }
        };
    };
}

/// Exports `f: fn(&serde_json::Value) -> Result<serde_json::Value, String>`
/// as the module's `scenario` generator: params in, the scenario (as JSON,
/// in the shape of a scenario file) out. Use beside [`export_scorer!`].
#[macro_export]
macro_rules! export_generator {
    ($f:path) => {
        /// ABI v3 `scenario`.
        ///
        /// # Safety
        /// Called by the Muster host per ABI v3.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A record's fixed start: elapsed, time limit, attempt and team.
    fn head(w: &mut Writer) {
        w.f64(90.0);
        w.u8(1);
        w.f64(600.0);
        w.u32(1);
        w.str("t");
    }

    /// A record with its whole context and one task `abcdefghij` with the
    /// given status and rating bytes, cut to `keep` bytes.
    fn record(status: u8, rating: u8, keep: usize) -> Vec<u8> {
        let mut w = Writer::default();
        head(&mut w);
        w.u8(wire::CONTEXT_ALL);
        for s in ["s", "1.0.0"] {
            w.str(s);
        }
        w.len(0);
        w.len(1);
        w.str("abcdefghij");
        w.len(1);
        w.f64(10.0);
        w.f64(100.0);
        w.u8(status);
        w.u8(rating);
        w.len(0);
        let mut bytes = w.into_bytes();
        bytes.truncate(keep);
        bytes
    }

    fn read(bytes: &[u8]) -> Result<Record, String> {
        let mut r = Reader::new(bytes, "the record");
        let record = Record::from_wire(&mut r)?;
        r.finish()?;
        Ok(record)
    }

    #[test]
    fn a_task_run_is_read_with_its_status_and_rating() {
        let full = record(wire::TASK_FAILED, wire::RATING_M, usize::MAX);
        let r = read(&full).unwrap();
        assert_eq!(
            r.tasks["abcdefghij"],
            TaskRun {
                start: 10.0,
                end: 100.0,
                status: TaskStatus::Failed,
                rating: Some(Rating::M),
            }
        );
        assert_eq!(
            (r.elapsed, r.time_limit, r.team.as_str()),
            (90.0, Some(600.0), "t")
        );
    }

    #[test]
    fn a_bad_or_cut_task_run_is_named_with_its_byte() {
        // The task run starts after 67 bytes of header, context and counts.
        assert_eq!(
            read(&record(7, wire::RATING_NONE, usize::MAX)).unwrap_err(),
            "the record has task status 7 at byte 83"
        );
        assert_eq!(
            read(&record(wire::TASK_DONE, 9, usize::MAX)).unwrap_err(),
            "the record has rating 9 at byte 84"
        );
        assert_eq!(
            read(&record(wire::TASK_DONE, wire::RATING_NONE, 75)).unwrap_err(),
            "the record gives 1 task runs at byte 63, but only 8 bytes follow"
        );
    }

    /// A record that sends no context: only its runs, penalties and head.
    fn runs_only(parts: u8, runs: &[(f64, u8)]) -> Vec<u8> {
        let mut w = Writer::default();
        head(&mut w);
        w.u8(parts);
        w.len(runs.len());
        for &(end, status) in runs {
            w.f64(0.0);
            w.f64(end);
            w.u8(status);
            w.u8(wire::RATING_NONE);
        }
        w.len(0);
        w.into_bytes()
    }

    #[test]
    fn a_record_without_context_keeps_the_previous_records() {
        let mut record = read(&record(wire::TASK_DONE, wire::RATING_P, usize::MAX)).unwrap();
        let next = runs_only(0, &[(55.0, wire::TASK_FAILED)]);
        let mut r = Reader::new(&next, "the record");
        record.read_wire(&mut r).unwrap();
        r.finish().unwrap();
        assert_eq!(
            (record.scenario.as_str(), record.version.as_str()),
            ("s", "1.0.0")
        );
        let run = &record.tasks["abcdefghij"];
        assert_eq!(
            (run.end, run.status, run.rating),
            (55.0, TaskStatus::Failed, None)
        );
    }

    #[test]
    fn a_context_that_does_not_fit_is_refused_and_forgotten() {
        let mut record = read(&record(wire::TASK_DONE, wire::RATING_P, usize::MAX)).unwrap();
        let two = runs_only(0, &[(1.0, 0), (2.0, 0)]);
        assert_eq!(
            record
                .read_wire(&mut Reader::new(&two, "the record"))
                .unwrap_err(),
            "the record gives 2 task runs at byte 27, but the instance holds 1 task ids; \
             the runs come one per id, in id order"
        );
        // The failed read left the record as a fresh instance's.
        assert_eq!(record, Record::default());
        let flags = runs_only(8, &[]);
        assert_eq!(
            record
                .read_wire(&mut Reader::new(&flags, "the record"))
                .unwrap_err(),
            "the record has context flags 8 at byte 26; only 1 (scenario), 2 (critical ids) \
             and 4 (task ids) are defined"
        );
        let mut w = Writer::default();
        head(&mut w);
        w.u8(wire::CONTEXT_TASK_IDS);
        w.len(2);
        w.str("b");
        w.str("b");
        assert_eq!(
            Record::from_wire(&mut Reader::new(&w.into_bytes(), "the record")).unwrap_err(),
            "the record sends task id `b` twice, the second time at byte 36"
        );
    }
}
