//! The C ABI, after rustls-ffi's conventions; `include/muster.h` is generated
//! from this module by cbindgen.
//!
//! - Opaque handles are made by `muster_*_open`/`muster_scenario_from_*` and
//!   released once by `muster_*_free`, which accepts NULL.
//! - Every fallible function returns a [`muster_result`]; its outputs are
//!   written only when it returns `MUSTER_OK`. On failure
//!   [`muster_error_message`] gives the message (per thread, until the next call).
//! - Every pointer is checked for NULL; every function runs behind a panic
//!   boundary, so a Rust panic becomes `MUSTER_PANIC`, never an unwind into C.
//! - Strings in are borrowed as `const char *ptr, size_t len` (UTF-8, not
//!   NUL-terminated), read only during the call. Strings out are JSON,
//!   NUL-terminated, owned by the caller and released with [`muster_str_free`].
//!
//! Each function here only converts arguments, calls the facade and
//! serializes its record: the logic is the facade's.

#![allow(non_camel_case_types)] // C names, as the header spells them.

use std::cell::RefCell;
use std::ffi::{CString, c_char, c_void};
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::api::{self, AnalysisOptions, HoursQuery, MusterError, PlanRequest};

/// What a call did.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum muster_result {
    /// Done; the outputs are written.
    MUSTER_OK = 0,
    /// A pointer argument was NULL.
    MUSTER_NULL_PARAMETER = 1,
    /// A string argument was not UTF-8.
    MUSTER_INVALID_UTF8 = 2,
    /// The input was wrong (diagnostics, bad JSON, a bad date or option).
    MUSTER_INVALID_INPUT = 3,
    /// A file, folder or built-in was not found or could not be read.
    MUSTER_NOT_FOUND = 4,
    /// The scorer could not load or score.
    MUSTER_SCORE_FAILED = 5,
    /// The ledger refused the call or its storage failed.
    MUSTER_LEDGER_FAILED = 6,
    /// No plan could be made.
    MUSTER_PLAN_FAILED = 7,
    /// Muster panicked; the message says where. Please report it.
    MUSTER_PANIC = 8,
    /// The caller's buffer was too small; the message was cut to fit.
    MUSTER_BUFFER_TOO_SMALL = 9,
    /// The caller's progress callback asked to stop; nothing was written.
    MUSTER_CANCELLED = 10,
}

use muster_result::*;

/// A valid drill scenario.
#[derive(Debug)]
pub struct muster_scenario(Arc<api::Scenario>);

/// A scenario package with its sandboxed scorer.
#[derive(Debug)]
pub struct muster_package(Arc<api::Package>);

/// An open SQLite ledger.
#[derive(Debug)]
pub struct muster_ledger(Arc<api::Ledger>);

/// A failure on its way to C: its code and message.
struct Fail(muster_result, String);

impl From<MusterError> for Fail {
    fn from(e: MusterError) -> Fail {
        let code = match &e {
            MusterError::Invalid { .. } => MUSTER_INVALID_INPUT,
            MusterError::NotFound { .. } => MUSTER_NOT_FOUND,
            MusterError::Score { .. } => MUSTER_SCORE_FAILED,
            MusterError::Ledger { .. } => MUSTER_LEDGER_FAILED,
            MusterError::Plan { .. } => MUSTER_PLAN_FAILED,
            MusterError::Cancelled { .. } => MUSTER_CANCELLED,
        };
        Fail(code, e.message().to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn set_last_error(message: String) {
    LAST_ERROR.with(|e| *e.borrow_mut() = message);
}

/// The panic boundary: runs `body`, records its failure or panic as the
/// thread's last error, and returns the code. Every exported function goes
/// through it.
fn boundary(body: impl FnOnce() -> Result<(), Fail>) -> muster_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            set_last_error(String::new());
            MUSTER_OK
        }
        Ok(Err(Fail(code, message))) => {
            set_last_error(message);
            code
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(format!("muster panicked: {what}"));
            MUSTER_PANIC
        }
    }
}

/// Fails with `MUSTER_NULL_PARAMETER` naming the parameter when it is NULL.
fn non_null<T>(p: *const T, name: &str) -> Result<(), Fail> {
    if p.is_null() {
        Err(Fail(
            MUSTER_NULL_PARAMETER,
            format!("{name} is NULL; pass a valid pointer"),
        ))
    } else {
        Ok(())
    }
}

/// Borrows `len` bytes at `ptr` as UTF-8.
///
/// # Safety
/// `ptr` must point to `len` readable bytes that stay valid during the call.
unsafe fn text<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a str, Fail> {
    non_null(ptr, name)?;
    // SAFETY: non-NULL, and the caller promises `len` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|e| {
        Fail(
            MUSTER_INVALID_UTF8,
            format!("{name} is not UTF-8: {e}; pass UTF-8 text"),
        )
    })
}

/// Borrows a handle.
///
/// # Safety
/// `p` must be NULL or a live handle from this library.
unsafe fn handle<'a, T>(p: *const T, name: &str) -> Result<&'a T, Fail> {
    non_null(p, name)?;
    // SAFETY: non-NULL, and the caller promises a live handle.
    Ok(unsafe { &*p })
}

/// Writes a record as NUL-terminated JSON to `*out` (and its length, without
/// the NUL, to `*out_len`).
///
/// # Safety
/// `out` and `out_len` must be NULL-checked, writable pointers.
unsafe fn write_json<T: serde::Serialize>(
    value: &T,
    out: *mut *mut c_char,
    out_len: *mut usize,
) -> Result<(), Fail> {
    let json = serde_json::to_string(value)
        .map_err(|e| Fail(MUSTER_PANIC, format!("cannot write JSON: {e}")))?;
    let len = json.len();
    // JSON text escapes NUL, so it holds none.
    let c = CString::new(json).map_err(|e| Fail(MUSTER_PANIC, e.to_string()))?;
    // SAFETY: the caller checked both pointers.
    unsafe {
        *out = c.into_raw();
        *out_len = len;
    }
    Ok(())
}

/// Writes a handle to `*out`.
///
/// # Safety
/// `out` must be a NULL-checked, writable pointer.
unsafe fn write_handle<T>(value: T, out: *mut *mut T) {
    // SAFETY: the caller checked the pointer.
    unsafe { *out = Box::into_raw(Box::new(value)) };
}

/// Releases a handle made by this library; NULL is ignored.
///
/// # Safety
/// `p` must be NULL or a handle not yet freed.
unsafe fn free_handle<T>(p: *mut T) {
    boundary(|| {
        if !p.is_null() {
            // SAFETY: the caller promises a live handle made by Box::into_raw.
            drop(unsafe { Box::from_raw(p) });
        }
        Ok(())
    });
}

/// Copies the calling thread's last error message (empty after a success)
/// into `buf` as NUL-terminated UTF-8, cut to fit `len` bytes, and writes the
/// message's full length (without the NUL) to `*out_n`.
///
/// Returns `MUSTER_BUFFER_TOO_SMALL` when the message was cut (call again
/// with `*out_n + 1` bytes). The message itself is kept.
///
/// # Safety
/// `buf` must point to `len` writable bytes; `out_n` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_error_message(
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> muster_result {
    let message = LAST_ERROR.with(|e| e.borrow().clone());
    let code = boundary(|| {
        non_null(buf, "buf")?;
        non_null(out_n, "out_n")?;
        if len == 0 {
            return Err(Fail(MUSTER_BUFFER_TOO_SMALL, message.clone()));
        }
        let n = message.len().min(len - 1);
        // SAFETY: checked non-NULL; the caller promises `len` bytes, and n < len.
        unsafe {
            std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
            *out_n = message.len();
        }
        if n < message.len() {
            Err(Fail(MUSTER_BUFFER_TOO_SMALL, message.clone()))
        } else {
            Ok(())
        }
    });
    // Reading the message does not clear it.
    set_last_error(message);
    code
}

/// Releases a string returned by this library; NULL is ignored.
///
/// # Safety
/// `s` must be NULL or a string from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_str_free(s: *mut c_char) {
    boundary(|| {
        if !s.is_null() {
            // SAFETY: the caller promises a string made by CString::into_raw.
            drop(unsafe { CString::from_raw(s) });
        }
        Ok(())
    });
}

/// Checks a scenario's text and writes `{"valid", "diagnostics": [...]}` as
/// JSON to `*out_json`. A scenario with errors is still `MUSTER_OK`: the
/// diagnostics are the answer. `name` names the text in diagnostics and picks
/// the format (`.json` is JSON, else TOML).
///
/// # Safety
/// Strings as in the module docs; `out_json` and `out_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_scenario_check(
    name: *const c_char,
    name_len: usize,
    text_ptr: *const c_char,
    text_len: usize,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let name = unsafe { text(name, name_len, "name")? };
        let t = unsafe { text(text_ptr, text_len, "text")? };
        non_null(out_json, "out_json")?;
        non_null(out_len, "out_len")?;
        let check = api::check_scenario(name.into(), t.into());
        unsafe { write_json(&check, out_json, out_len) }
    })
}

/// Loads a scenario from its text; fails with `MUSTER_INVALID_INPUT` and
/// every diagnostic (`file:line:col: error: ...`) as the message.
///
/// # Safety
/// Strings as in the module docs; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_scenario_from_text(
    name: *const c_char,
    name_len: usize,
    text_ptr: *const c_char,
    text_len: usize,
    out: *mut *mut muster_scenario,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let name = unsafe { text(name, name_len, "name")? };
        let t = unsafe { text(text_ptr, text_len, "text")? };
        non_null(out, "out")?;
        let s = api::Scenario::from_text(name.into(), t.into())?;
        unsafe { write_handle(muster_scenario(s), out) };
        Ok(())
    })
}

/// Loads a scenario from a file, package folder, `.tar` or built-in
/// (`builtin:ID`).
///
/// # Safety
/// Strings as in the module docs; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_scenario_from_path(
    path: *const c_char,
    path_len: usize,
    out: *mut *mut muster_scenario,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let path = unsafe { text(path, path_len, "path")? };
        non_null(out, "out")?;
        let s = api::Scenario::from_path(path.into())?;
        unsafe { write_handle(muster_scenario(s), out) };
        Ok(())
    })
}

/// Releases a scenario; NULL is ignored.
///
/// # Safety
/// `s` must be NULL or a scenario not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_scenario_free(s: *mut muster_scenario) {
    unsafe { free_handle(s) }
}

/// Critical path, PERT and Monte Carlo (`runs` 1 to 10 000 000, `seed`) as
/// JSON: `{"scenario", "critical_path", "length_secs", "pert_mean_secs",
/// "pert_sd_secs", "monte_carlo": {...}, "tasks": [...]}`.
///
/// # Safety
/// `s` a live scenario; `out_json` and `out_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_scenario_analyse(
    s: *const muster_scenario,
    runs: u32,
    seed: u64,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let s = unsafe { handle(s, "scenario")? };
        non_null(out_json, "out_json")?;
        non_null(out_len, "out_len")?;
        let a = s.0.analyse(AnalysisOptions { runs, seed })?;
        unsafe { write_json(&a, out_json, out_len) }
    })
}

/// Opens a package: a folder, a `.tar`, or a built-in (`builtin:ID` or the
/// bare id, e.g. `forest-fire.initial-attack`).
///
/// # Safety
/// Strings as in the module docs; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_package_open(
    spec: *const c_char,
    spec_len: usize,
    out: *mut *mut muster_package,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let spec = unsafe { text(spec, spec_len, "spec")? };
        non_null(out, "out")?;
        let p = api::Package::open(spec.into())?;
        unsafe { write_handle(muster_package(p), out) };
        Ok(())
    })
}

/// Releases a package; NULL is ignored.
///
/// # Safety
/// `p` must be NULL or a package not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_package_free(p: *mut muster_package) {
    unsafe { free_handle(p) }
}

/// Scores a drill record (JSON text, named `record_name` in diagnostics) and
/// writes the score card as JSON: `{"total", "status", "reason", "notes",
/// "tasks": [...], "scorer_kind", "scorer_name", "scorer_hash"}`.
///
/// # Safety
/// `p` a live package; strings as in the module docs; outputs writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_package_score(
    p: *const muster_package,
    record_name: *const c_char,
    record_name_len: usize,
    record_json: *const c_char,
    record_json_len: usize,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let p = unsafe { handle(p, "package")? };
        let name = unsafe { text(record_name, record_name_len, "record_name")? };
        let record = unsafe { text(record_json, record_json_len, "record_json")? };
        non_null(out_json, "out_json")?;
        non_null(out_len, "out_len")?;
        let card = p.0.score(name.into(), record.into())?;
        unsafe { write_json(&card, out_json, out_len) }
    })
}

/// Opens the SQLite ledger at `path`, creating it on first use.
///
/// # Safety
/// Strings as in the module docs; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_ledger_open(
    path: *const c_char,
    path_len: usize,
    out: *mut *mut muster_ledger,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let path = unsafe { text(path, path_len, "path")? };
        non_null(out, "out")?;
        let l = api::Ledger::open(path.into())?;
        unsafe { write_handle(muster_ledger(l), out) };
        Ok(())
    })
}

/// Closes a ledger; NULL is ignored.
///
/// # Safety
/// `l` must be NULL or a ledger not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_ledger_free(l: *mut muster_ledger) {
    unsafe { free_handle(l) }
}

/// Appends drafts (one JSON draft or an array), all or none, and writes how
/// many entries were written to `*out_count`.
///
/// # Safety
/// `l` a live ledger; strings as in the module docs; `out_count` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_ledger_append(
    l: *const muster_ledger,
    drafts_json: *const c_char,
    drafts_json_len: usize,
    out_count: *mut u64,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let l = unsafe { handle(l, "ledger")? };
        let drafts = unsafe { text(drafts_json, drafts_json_len, "drafts_json")? };
        non_null(out_count, "out_count")?;
        let written = l.0.append(drafts.into())?;
        unsafe { *out_count = written.len() as u64 };
        Ok(())
    })
}

/// Training hours by member and category as a JSON array of `{"member",
/// "category", "hours", "sessions"}`. An empty `member` means every member.
///
/// # Safety
/// `l` a live ledger; strings as in the module docs; outputs writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_ledger_hours(
    l: *const muster_ledger,
    member: *const c_char,
    member_len: usize,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let l = unsafe { handle(l, "ledger")? };
        let member = unsafe { text(member, member_len, "member")? };
        non_null(out_json, "out_json")?;
        non_null(out_len, "out_len")?;
        let lines = l.0.hours(HoursQuery {
            member: Some(member.to_string()),
            ..HoursQuery::default()
        })?;
        unsafe { write_json(&lines, out_json, out_len) }
    })
}

/// Qualifications expired or expiring within 30 days of `on` (YYYY-MM-DD) as
/// a JSON array of `{"member", "skill", "valid_until", "days_left", "alert"}`.
///
/// # Safety
/// `l` a live ledger; strings as in the module docs; outputs writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_ledger_currency(
    l: *const muster_ledger,
    on: *const c_char,
    on_len: usize,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let l = unsafe { handle(l, "ledger")? };
        let on = unsafe { text(on, on_len, "on")? };
        non_null(out_json, "out_json")?;
        non_null(out_len, "out_len")?;
        let lines = l.0.currency(on.into())?;
        unsafe { write_json(&lines, out_json, out_len) }
    })
}

/// Checks the hash chain and the kept scorer sources and writes `{"entries",
/// "tip", "sources", "problem"}` as JSON; `problem` is null when the ledger
/// is whole.
///
/// # Safety
/// `l` a live ledger; outputs writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_ledger_verify(
    l: *const muster_ledger,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let l = unsafe { handle(l, "ledger")? };
        non_null(out_json, "out_json")?;
        non_null(out_len, "out_len")?;
        let report = l.0.verify()?;
        unsafe { write_json(&report, out_json, out_len) }
    })
}

/// Keeps package `p`'s scorer source in ledger `l`, so the scores it gives
/// replay after the package changes or goes.
///
/// # Safety
/// `l` a live ledger, `p` a live package.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_ledger_keep_source(
    l: *const muster_ledger,
    p: *const muster_package,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let l = unsafe { handle(l, "ledger")? };
        let p = unsafe { handle(p, "package")? };
        l.0.keep_source(Arc::clone(&p.0))?;
        Ok(())
    })
}

/// Re-scores every stored run of package `p`'s scenario with its scorer and
/// appends the scores by `author` at `at` (RFC 3339), all or none, keeping
/// the scorer's source; writes `{"runs", "first_entry", "last_entry",
/// "failed": [...]}` as JSON.
///
/// # Safety
/// `l` a live ledger, `p` a live package; strings as in the module docs;
/// outputs writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // Two handles, two borrowed strings and the output.
pub unsafe extern "C" fn muster_ledger_rescore(
    l: *const muster_ledger,
    p: *const muster_package,
    author: *const c_char,
    author_len: usize,
    at: *const c_char,
    at_len: usize,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> muster_result {
    // SAFETY: as documented above; no progress callback.
    unsafe {
        muster_ledger_rescore_with_progress(
            l,
            p,
            author,
            author_len,
            at,
            at_len,
            None,
            std::ptr::null_mut(),
            out_json,
            out_len,
        )
    }
}

/// Told how far a long job has got: `done` of `total` (for a re-score,
/// entries read of those stored), with the `context` the caller passed.
/// Returning false stops the job, which then writes nothing.
pub type muster_progress_fn =
    Option<unsafe extern "C" fn(context: *mut c_void, done: u64, total: u64) -> bool>;

/// [`muster_ledger_rescore`], calling `progress(context, done, total)` on
/// the calling thread every 4,096 entries read and once at the end. When it
/// returns false the re-score stops, nothing is written, and the result is
/// `MUSTER_CANCELLED`. A NULL `progress` is never called.
///
/// # Safety
/// As [`muster_ledger_rescore`]; `progress`, when not NULL, is safe to call
/// with `context` until this returns.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // The rescore's arguments and the callback with its context.
pub unsafe extern "C" fn muster_ledger_rescore_with_progress(
    l: *const muster_ledger,
    p: *const muster_package,
    author: *const c_char,
    author_len: usize,
    at: *const c_char,
    at_len: usize,
    progress: muster_progress_fn,
    context: *mut c_void,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let l = unsafe { handle(l, "ledger")? };
        let p = unsafe { handle(p, "package")? };
        let author = unsafe { text(author, author_len, "author")? };
        let at = unsafe { text(at, at_len, "at")? };
        non_null(out_json, "out_json")?;
        non_null(out_len, "out_len")?;
        let report =
            l.0.rescore_inner(&p.0, author, at, &mut |done, total| match progress {
                // SAFETY: the caller promised `call` is safe with `context`
                // until this returns; it is called on this thread only.
                Some(call) if !unsafe { call(context, done, total) } => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            })?;
        unsafe { write_json(&report, out_json, out_len) }
    })
}

/// Re-runs every stored score with its recorded scorer (native, or kept in
/// the ledger) and writes `{"replayed", "identical", "differences": [{"entry",
/// "field", "stored", "replayed"}], "unresolved": [...], "failed": [...]}`
/// as JSON.
///
/// # Safety
/// `l` a live ledger; outputs writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn muster_ledger_replay(
    l: *const muster_ledger,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let l = unsafe { handle(l, "ledger")? };
        non_null(out_json, "out_json")?;
        non_null(out_len, "out_len")?;
        let report = l.0.replay()?;
        unsafe { write_json(&report, out_json, out_len) }
    })
}

/// Plans the syllabus from `from` to `to` (YYYY-MM-DD, both included) and
/// writes `{"first_day", "last_day", "time_zone", "sessions": [...], "score",
/// "unplaced", "unmet", "duty_gaps"}` as JSON. `brigade` and `syllabus` are
/// TOML text or `builtin:brigade.toml` / `builtin:syllabus.toml`.
///
/// # Safety
/// Strings as in the module docs; outputs writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // Four borrowed strings, a seed and the output.
pub unsafe extern "C" fn muster_plan(
    brigade: *const c_char,
    brigade_len: usize,
    syllabus: *const c_char,
    syllabus_len: usize,
    from: *const c_char,
    from_len: usize,
    to: *const c_char,
    to_len: usize,
    seed: u64,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> muster_result {
    boundary(|| {
        // SAFETY: as documented above.
        let brigade = unsafe { text(brigade, brigade_len, "brigade")? };
        let syllabus = unsafe { text(syllabus, syllabus_len, "syllabus")? };
        let from = unsafe { text(from, from_len, "from")? };
        let to = unsafe { text(to, to_len, "to")? };
        non_null(out_json, "out_json")?;
        non_null(out_len, "out_len")?;
        let plan = api::plan_period(PlanRequest {
            brigade: brigade.into(),
            syllabus: syllabus.into(),
            first_day: from.into(),
            last_day: to.into(),
            seed,
        })?;
        unsafe { write_json(&plan, out_json, out_len) }
    })
}
