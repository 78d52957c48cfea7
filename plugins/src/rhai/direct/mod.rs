//! The direct path: a script's `score` run without building the record.
//!
//! rhai's interpreter needs the record as rhai maps and arrays, about 80
//! values built and dropped on every call, and walks the AST resolving
//! names and functions as it goes. The direct path lowers the compiled
//! script once ([`lower`]) and then runs it over the record and params in
//! place ([`value`]), following rhai's evaluation step for step
//! ([`eval`]) with rhai's operators and standard functions ([`ops`]).
//!
//! It is an optimisation only, never a second meaning: a call either
//! finishes here with exactly the value and operation count rhai would
//! have given, or it stops ([`Flow::Bail`](eval::Flow::Bail)) and the
//! caller runs the same call on rhai. It stops on anything rhai would
//! report as an error (so every error is rhai's own, with its line and
//! column), on `print` and `debug`, at the operation limit, the deadline or
//! a data-size limit, and on any type or function it does not mirror. The
//! plugins' tests run every construct both ways and compare the cards, the
//! operation counts and the errors.

mod eval;
mod lower;
mod ops;
mod value;

use muster_core::ScoreInput;

pub(super) use eval::Bounds;
pub(super) use lower::{Program, lower};
pub(in crate::rhai) use value::{Val, rating_str, status_str};

use eval::{Flow, Machine};
use value::{View, json};

/// What a finished call gave: the result value and the operations it used.
pub(super) struct Done<'a> {
    pub(super) value: Val<'a>,
    pub(super) ops: u64,
}

/// Runs `score(record, params)`; `Err` with the reason when the call must
/// run on rhai instead.
pub(super) fn score<'a>(
    prog: &'a Program,
    input: &'a ScoreInput,
    params: &'a serde_json::Value,
    bounds: Bounds,
) -> Result<Done<'a>, &'static str> {
    let mut m = Machine::new(prog, bounds);
    match m.score(Val::View(View::Record(input)), json(params)) {
        Ok(value) => Ok(Done { value, ops: m.ops }),
        Err(Flow::Bail(why)) => Err(why),
        Err(_) => Err("control flow"),
    }
}
