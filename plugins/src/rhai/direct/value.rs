//! The values the direct path computes with.
//!
//! Scalars and what a script builds are owned; the record and the params
//! are *views*: borrowed from the [`ScoreInput`] and the params' JSON and
//! read in place, so a call builds nothing for the record. A view behaves
//! as the map or array rhai would have been given: the same keys in the
//! same order, the same values. Writing into one first copies it one level
//! deep into an owned map or array ([`Val::own`]), as rhai's copy of the
//! record would have been written.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use muster_core::{Penalty, Rating, ScoreInput, TaskRun, TaskStatus};
use serde_json::Value as Json;

/// Text: borrowed from the input, the params or the program, or made by
/// the script. Compared and ordered as `str`, as rhai's strings and map
/// keys are.
#[derive(Clone)]
pub(in crate::rhai) enum Text<'a> {
    Ref(&'a str),
    Own(Rc<str>),
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Ref(s) => s,
            Text::Own(s) => s,
        }
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
impl Eq for Text<'_> {}
impl PartialOrd for Text<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Text<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}
impl std::borrow::Borrow<str> for Text<'_> {
    fn borrow(&self) -> &str {
        self
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text::Own(Rc::from(s))
    }
}

/// An owned map, as rhai's `Map` (a `BTreeMap` by key).
pub(in crate::rhai) type Map<'a> = BTreeMap<Text<'a>, Val<'a>>;

/// A value as a script sees it.
#[derive(Clone, Default)]
pub(in crate::rhai) enum Val<'a> {
    #[default]
    Unit,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text<'a>),
    /// `a..b`.
    Range(i64, i64),
    /// `a..=b`.
    RangeIncl(i64, i64),
    Array(Rc<Vec<Val<'a>>>),
    Map(Rc<Map<'a>>),
    View(View<'a>),
}

/// A part of the record or of the params, read in place.
#[derive(Clone, Copy)]
pub(in crate::rhai) enum View<'a> {
    Record(&'a ScoreInput),
    Tasks(&'a BTreeMap<String, TaskRun>),
    Task(&'a TaskRun),
    Critical(&'a [String]),
    Penalties(&'a [Penalty]),
    Penalty(&'a Penalty),
    Object(&'a serde_json::Map<String, Json>),
    List(&'a [Json]),
}

/// A property name the record's views answer without comparing text,
/// resolved when a script is lowered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(in crate::rhai) enum Key {
    Attempt,
    Critical,
    Elapsed,
    Penalties,
    Scenario,
    Tasks,
    Team,
    TimeLimit,
    Version,
    Start,
    End,
    Status,
    Rating,
    Code,
    Count,
    Task,
    /// Any other name.
    Other,
}

impl Key {
    pub(in crate::rhai) fn of(name: &str) -> Key {
        match name {
            "attempt" => Key::Attempt,
            "critical" => Key::Critical,
            "elapsed" => Key::Elapsed,
            "penalties" => Key::Penalties,
            "scenario" => Key::Scenario,
            "tasks" => Key::Tasks,
            "team" => Key::Team,
            "time_limit" => Key::TimeLimit,
            "version" => Key::Version,
            "start" => Key::Start,
            "end" => Key::End,
            "status" => Key::Status,
            "rating" => Key::Rating,
            "code" => Key::Code,
            "count" => Key::Count,
            "task" => Key::Task,
            _ => Key::Other,
        }
    }
}

/// The record's keys, in the order of rhai's map.
const RECORD_KEYS: [&str; 9] = [
    "attempt",
    "critical",
    "elapsed",
    "penalties",
    "scenario",
    "tasks",
    "team",
    "time_limit",
    "version",
];

pub(in crate::rhai) fn status_str(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Done => "done",
        TaskStatus::Failed => "failed",
        TaskStatus::Skipped => "skipped",
    }
}

pub(in crate::rhai) fn rating_str(r: Rating) -> &'static str {
    match r {
        Rating::P => "P",
        Rating::S => "S",
        Rating::M => "M",
        Rating::U => "U",
    }
}

/// A JSON value as rhai's copy of the params holds it: integers that fit
/// `i64` stay integers, other numbers are floats, `null` is `()`.
pub(in crate::rhai) fn json<'a>(v: &'a Json) -> Val<'a> {
    match v {
        Json::Null => Val::Unit,
        Json::Bool(b) => Val::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => Val::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Val::Str(Text::Ref(s)),
        Json::Array(a) => Val::View(View::List(a)),
        Json::Object(o) => Val::View(View::Object(o)),
    }
}

impl<'a> View<'a> {
    /// Whether rhai would hold this part as a map (else as an array).
    pub(in crate::rhai) fn is_map(self) -> bool {
        !matches!(self, View::Critical(_) | View::Penalties(_) | View::List(_))
    }

    /// The value under `key` of a map view; `None` when there is no such key.
    pub(in crate::rhai) fn get(self, key: &str) -> Option<Val<'a>> {
        self.get_key(Key::of(key), key)
    }

    /// The value under `name`, which is `key`: the record, its tasks and
    /// its penalties match the key, other maps the name.
    pub(in crate::rhai) fn get_key(self, key: Key, name: &str) -> Option<Val<'a>> {
        match self {
            View::Record(r) => Some(match key {
                Key::Attempt => Val::Int(r.attempt.into()),
                Key::Critical => Val::View(View::Critical(&r.critical)),
                Key::Elapsed => Val::Float(r.elapsed),
                Key::Penalties => Val::View(View::Penalties(&r.penalties)),
                Key::Scenario => Val::Str(Text::Ref(&r.scenario)),
                Key::Tasks => Val::View(View::Tasks(&r.tasks)),
                Key::Team => Val::Str(Text::Ref(&r.team)),
                Key::TimeLimit => Val::Float(r.time_limit?),
                Key::Version => Val::Str(Text::Ref(&r.version)),
                _ => return None,
            }),
            View::Tasks(t) => t.get(name).map(|t| Val::View(View::Task(t))),
            View::Task(t) => Some(match key {
                Key::Start => Val::Float(t.start),
                Key::End => Val::Float(t.end),
                Key::Status => Val::Str(Text::Ref(status_str(t.status))),
                Key::Rating => Val::Str(Text::Ref(rating_str(t.rating?))),
                _ => return None,
            }),
            View::Penalty(p) => Some(match key {
                Key::Code => Val::Str(Text::Ref(&p.code)),
                Key::Count => Val::Int(p.count.into()),
                Key::Task => p
                    .task
                    .as_deref()
                    .map_or(Val::Unit, |t| Val::Str(Text::Ref(t))),
                _ => return None,
            }),
            View::Object(o) => o.get(name).map(json),
            View::Critical(_) | View::Penalties(_) | View::List(_) => None,
        }
    }

    /// How many keys or items.
    pub(in crate::rhai) fn len(self) -> usize {
        match self {
            View::Record(r) => 8 + usize::from(r.time_limit.is_some()),
            View::Tasks(t) => t.len(),
            View::Task(t) => 3 + usize::from(t.rating.is_some()),
            View::Penalty(_) => 3,
            View::Object(o) => o.len(),
            View::Critical(c) => c.len(),
            View::Penalties(p) => p.len(),
            View::List(l) => l.len(),
        }
    }

    /// The item at `i` of an array view (`i < len`).
    pub(in crate::rhai) fn item(self, i: usize) -> Option<Val<'a>> {
        match self {
            View::Critical(c) => c.get(i).map(|s| Val::Str(Text::Ref(s))),
            View::Penalties(p) => p.get(i).map(|p| Val::View(View::Penalty(p))),
            View::List(l) => l.get(i).map(json),
            _ => None,
        }
    }

    /// A map view's keys, in rhai's order (by key).
    pub(in crate::rhai) fn keys(self) -> Vec<&'a str> {
        match self {
            View::Record(r) => RECORD_KEYS
                .into_iter()
                .filter(|k| *k != "time_limit" || r.time_limit.is_some())
                .collect(),
            View::Tasks(t) => t.keys().map(String::as_str).collect(),
            View::Task(t) => {
                let mut keys = vec!["end"];
                if t.rating.is_some() {
                    keys.push("rating");
                }
                keys.extend(["start", "status"]);
                keys
            }
            View::Penalty(_) => vec!["code", "count", "task"],
            View::Object(o) => {
                let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
                keys.sort_unstable();
                keys
            }
            View::Critical(_) | View::Penalties(_) | View::List(_) => Vec::new(),
        }
    }

    /// The items of an array view, or the values of a map view in key order.
    pub(in crate::rhai) fn items(self) -> Vec<Val<'a>> {
        if self.is_map() {
            return self
                .keys()
                .into_iter()
                .filter_map(|k| self.get(k))
                .collect();
        }
        (0..self.len()).filter_map(|i| self.item(i)).collect()
    }

    /// This view copied one level deep into an owned map or array.
    pub(in crate::rhai) fn own(self) -> Val<'a> {
        if self.is_map() {
            let map: Map<'a> = self
                .keys()
                .into_iter()
                .filter_map(|k| self.get(k).map(|v| (Text::Ref(k), v)))
                .collect();
            Val::Map(Rc::new(map))
        } else {
            Val::Array(Rc::new(self.items()))
        }
    }

    /// Every string, array item and map entry this part holds, nested, as
    /// rhai's data-size check counts them: `(array items, map entries,
    /// string bytes)`.
    pub(in crate::rhai) fn sizes(self) -> (usize, usize, usize) {
        let mut total = (0, 0, 0);
        let is_map = self.is_map();
        for v in self.items() {
            if is_map {
                total.1 += 1;
            } else {
                total.0 += 1;
            }
            let s = v.sizes();
            total = (total.0 + s.0, total.1 + s.1, total.2 + s.2);
        }
        total
    }
}

impl<'a> Val<'a> {
    /// The type name `type_of` gives, as rhai names it.
    pub(in crate::rhai) fn type_name(&self) -> &'static str {
        match self {
            Val::Unit => "()",
            Val::Bool(_) => "bool",
            Val::Int(_) => "i64",
            Val::Float(_) => "f64",
            Val::Str(_) => "string",
            Val::Range(..) => "range",
            Val::RangeIncl(..) => "range=",
            Val::Array(_) => "array",
            Val::Map(_) => "map",
            Val::View(v) if v.is_map() => "map",
            Val::View(_) => "array",
        }
    }

    pub(in crate::rhai) fn is_map(&self) -> bool {
        match self {
            Val::Map(_) => true,
            Val::View(v) => v.is_map(),
            _ => false,
        }
    }

    pub(in crate::rhai) fn is_array(&self) -> bool {
        match self {
            Val::Array(_) => true,
            Val::View(v) => !v.is_map(),
            _ => false,
        }
    }

    /// A map's or map view's value under `key`.
    pub(in crate::rhai) fn map_get(&self, key: &str) -> Option<Val<'a>> {
        match self {
            Val::Map(m) => m.get(key).cloned(),
            Val::View(v) if v.is_map() => v.get(key),
            _ => None,
        }
    }

    /// A map's or map view's value under `name`, which is `key`.
    pub(in crate::rhai) fn prop(&self, key: Key, name: &str) -> Option<Val<'a>> {
        match self {
            Val::Map(m) => m.get(name).cloned(),
            Val::View(v) if v.is_map() => v.get_key(key, name),
            _ => None,
        }
    }

    /// A map's keys in order.
    pub(in crate::rhai) fn map_keys(&self) -> Vec<Text<'a>> {
        match self {
            Val::Map(m) => m.keys().cloned().collect(),
            Val::View(v) => v.keys().into_iter().map(Text::Ref).collect(),
            _ => Vec::new(),
        }
    }

    /// An array's items, or a map's values in key order.
    pub(in crate::rhai) fn items(&self) -> Vec<Val<'a>> {
        match self {
            Val::Array(a) => a.as_ref().clone(),
            Val::Map(m) => m.values().cloned().collect(),
            Val::View(v) => v.items(),
            _ => Vec::new(),
        }
    }

    /// Number of items of an array or entries of a map.
    pub(in crate::rhai) fn len(&self) -> Option<usize> {
        match self {
            Val::Array(a) => Some(a.len()),
            Val::Map(m) => Some(m.len()),
            Val::View(v) => Some(v.len()),
            _ => None,
        }
    }

    /// The item at an array index that is in range.
    pub(in crate::rhai) fn item(&self, i: usize) -> Option<Val<'a>> {
        match self {
            Val::Array(a) => a.get(i).cloned(),
            Val::View(v) if !v.is_map() => v.item(i),
            _ => None,
        }
    }

    /// Views become owned (one level deep) so that they can be written.
    pub(in crate::rhai) fn own(&mut self) {
        if let Val::View(v) = self {
            *self = v.own();
        }
    }

    /// `(array items, map entries, string bytes)` held, nested, as rhai's
    /// data-size check counts them.
    pub(in crate::rhai) fn sizes(&self) -> (usize, usize, usize) {
        match self {
            Val::Str(s) => (0, 0, s.len()),
            Val::Array(a) => a.iter().fold((0, 0, 0), |t, v| {
                let s = v.sizes();
                (t.0 + s.0 + 1, t.1 + s.1, t.2 + s.2)
            }),
            Val::Map(m) => m.values().fold((0, 0, 0), |t, v| {
                let s = v.sizes();
                (t.0 + s.0, t.1 + s.1 + 1, t.2 + s.2)
            }),
            Val::View(v) => v.sizes(),
            _ => (0, 0, 0),
        }
    }
}

/// A float as rhai prints it (`to_string`, string interpolation): zero as
/// `0.0`; outside rhai's natural range, or not finite, as rhai writes it
/// itself; otherwise `f64`'s `Display`, with `.0` after a whole number.
/// The digits are written by the guest SDK's `Num`, which gives
/// `Display`'s text without its cost (tested against rhai's own writer).
pub(in crate::rhai) fn write_float(out: &mut String, f: f64) {
    type Wrapper = rhai::FloatWrapper<f64>;
    let abs = f.abs();
    let natural = f64::from(Wrapper::MIN_NATURAL_FLOAT_FOR_DISPLAY)
        ..=f64::from(Wrapper::MAX_NATURAL_FLOAT_FOR_DISPLAY);
    if abs == 0.0 {
        out.push_str("0.0");
    } else if !natural.contains(&abs) {
        // Writing to a String cannot fail.
        let _ = write!(out, "{}", Wrapper::new(f));
    } else {
        muster_guest::Num(f).push_to(out);
        if abs.fract() == 0.0 {
            out.push_str(".0");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The float writer against rhai's own, on edge values and on a
    /// million floats drawn from every exponent.
    #[test]
    fn floats_are_written_as_rhai_writes_them() {
        let rhai = |f: f64| rhai::FloatWrapper::new(f).to_string();
        let ours = |f: f64| {
            let mut s = String::new();
            write_float(&mut s, f);
            s
        };
        let mut edges = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            0.1,
            0.2,
            0.3,
            1.0 / 3.0,
            2555.0,
            34.5,
            109.83,
            1e13,
            1e13 - 1.0,
            9999999827968.0,
            9999999827969.0,
            1e-13,
            1e-14,
            1.0000001e-13,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::MIN,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            123456789012.5,
            0.30000000000000004,
            1e15,
            1e16,
            1e21,
        ];
        edges.extend(edges.clone().into_iter().map(|x| -x));
        for f in edges {
            assert_eq!(ours(f), rhai(f), "{f:e}");
        }
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..1_000_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Half random bit patterns, half values in the natural range
            // with few digits, as scores have.
            let f = if i % 2 == 0 {
                f64::from_bits(state)
            } else {
                (state % 100_000_000) as f64 / 10f64.powi((state >> 40) as i32 % 9)
            };
            assert_eq!(ours(f), rhai(f), "{f:e} ({:#x})", f.to_bits());
        }
    }
}
