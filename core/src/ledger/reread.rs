//! How a re-score reads its runs: each stored drill run's body straight
//! into a scorer's input, over the input the same place held in the batch
//! before.
//!
//! A season's runs are of one scenario, so they name the same tasks with
//! the same ids, the same team names and the same penalty codes over and
//! over. Read over the last batch's inputs, a run reuses their strings and
//! task maps and so allocates next to nothing, where reading it afresh
//! allocated some twenty strings and a map (and freed them again after
//! scoring). Whatever this read does not take is read in full by the caller,
//! which gives the error, so it may refuse more than the full read but
//! never less (tested against it).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::ScoreInput;
use crate::record::{PENALTY_KEYS, Penalty, RECORD_KEYS, TaskRun, elapsed_of};

/// Reads a stored drill run's `body` over `slot`, and says whether it is a
/// run of `scenario` at `version`. On success every field of `slot` that a
/// record gives is the run's; the scenario's time limit and critical tasks
/// are the caller's to set. On an error `slot` holds a mix of runs.
pub(super) fn read_run_into(
    body: &str,
    slot: &mut ScoreInput,
    scenario: &str,
    version: &str,
) -> Result<bool, serde_json::Error> {
    if let Some(ours) = scan_canonical(body, slot, scenario, version) {
        return Ok(ours);
    }
    let mut de = serde_json::Deserializer::from_str(body);
    let ours = de.deserialize_map(Run {
        slot,
        scenario,
        version,
    })?;
    de.end()?;
    Ok(ours)
}

/// A scorer's input with nothing in it, to read runs over.
pub(super) fn empty_input() -> ScoreInput {
    ScoreInput {
        scenario: String::new(),
        version: String::new(),
        team: String::new(),
        attempt: 0,
        elapsed: 0.0,
        time_limit: None,
        critical: Vec::new(),
        tasks: BTreeMap::new(),
        penalties: Vec::new(),
    }
}

/// The fields of a drill run's body (those of the `drill_run` entry kind),
/// read by name without allocating.
#[derive(serde::Deserialize, Clone, Copy, PartialEq)]
#[serde(field_identifier, rename_all = "snake_case")]
enum RunField {
    Kind,
    Scenario,
    Version,
    PackageHash,
    Members,
    Record,
}

/// The fields of a record ([`crate::DrillRecord`]).
#[derive(serde::Deserialize, Clone, Copy, PartialEq)]
#[serde(field_identifier, rename_all = "snake_case")]
enum RecordField {
    Scenario,
    Version,
    Team,
    Attempt,
    StartedAt,
    Tasks,
    Penalties,
}

/// The fields of a [`Penalty`].
#[derive(serde::Deserialize, Clone, Copy, PartialEq)]
#[serde(field_identifier, rename_all = "snake_case")]
enum PenaltyField {
    Code,
    Task,
    Count,
}

/// Reads the fields of a map one by one (named, by their enum's order, in
/// `names`), handing each to `each` to read its value, and returns the
/// fields seen, one bit each. As the full read does, it refuses a field
/// given twice and a map without every field of the `required` bits.
fn read_fields<'de, A, F>(
    map: &mut A,
    names: &[&'static str],
    required: u8,
    bit: fn(F) -> u8,
    mut each: impl FnMut(&mut A, F) -> Result<(), A::Error>,
) -> Result<u8, A::Error>
where
    A: MapAccess<'de>,
    F: serde::Deserialize<'de> + Copy,
{
    let mut seen = 0u8;
    while let Some(field) = map.next_key::<F>()? {
        let b = bit(field);
        let name = names.get(usize::from(b)).copied().unwrap_or("?");
        if seen & (1 << b) != 0 {
            return Err(de::Error::duplicate_field(name));
        }
        seen |= 1 << b;
        each(map, field)?;
    }
    match (0..8).find(|b| required & !seen & (1 << b) != 0) {
        Some(b) => Err(de::Error::missing_field(
            names.get(b).copied().unwrap_or("?"),
        )),
        None => Ok(seen),
    }
}

/// Seeds that read themselves with their own visitor, through the named
/// `Deserializer` method.
macro_rules! seeds {
    ($($ty:ident $(<$lt:lifetime>)? => $how:ident,)*) => {$(
        impl<'de> DeserializeSeed<'de> for $ty$(<$lt>)? {
            type Value = <Self as Visitor<'de>>::Value;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.$how(self)
            }
        }
    )*};
}

seeds! {
    Same<'_> => deserialize_str,
    AnyText => deserialize_str,
    Texts => deserialize_seq,
    StrInto<'_> => deserialize_str,
    VersionInto<'_> => deserialize_str,
    RecordInto<'_> => deserialize_map,
    TasksInto<'_> => deserialize_map,
    PenaltiesInto<'_> => deserialize_seq,
    PenaltyInto<'_> => deserialize_map,
    OptionInto<'_> => deserialize_option,
}

struct Run<'s> {
    slot: &'s mut ScoreInput,
    scenario: &'s str,
    version: &'s str,
}

impl<'de> Visitor<'de> for Run<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a drill run")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        const NAMES: &[&str] = &[
            "kind",
            "scenario",
            "version",
            "package_hash",
            "members",
            "record",
        ];
        let mut ours = true;
        let (scenario, version, slot) = (self.scenario, self.version, self.slot);
        read_fields(
            &mut map,
            NAMES,
            0b11_1111,
            |f: RunField| f as u8,
            |map, field| {
                match field {
                    RunField::Kind => {
                        map.next_value::<IgnoredAny>()?;
                    }
                    RunField::Scenario => ours &= map.next_value_seed(Same(scenario))?,
                    RunField::Version => ours &= map.next_value_seed(Same(version))?,
                    RunField::PackageHash => {
                        map.next_value_seed(AnyText)?;
                    }
                    RunField::Members => map.next_value_seed(Texts)?,
                    RunField::Record => map.next_value_seed(RecordInto(&mut *slot))?,
                }
                Ok(())
            },
        )?;
        Ok(ours)
    }
}

/// A string compared with the one expected.
struct Same<'a>(&'a str);

impl Visitor<'_> for Same<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

/// A string, read and let go of.
pub(super) struct AnyText;

impl<'de> serde::Deserialize<'de> for AnyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AnyText, D::Error> {
        d.deserialize_str(AnyText)
    }
}

impl Visitor<'_> for AnyText {
    type Value = AnyText;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<AnyText, E> {
        Ok(AnyText)
    }
}

/// A list of strings, read and let go of.
struct Texts;

impl<'de> Visitor<'de> for Texts {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<AnyText>()?.is_some() {}
        Ok(())
    }
}

/// A string written over `0`, keeping its buffer.
struct StrInto<'s>(&'s mut String);

impl Visitor<'_> for StrInto<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        text_into(self.0, v);
        Ok(())
    }
}

/// A semantic version, checked and written over `0` as the full read
/// writes it ([`semver::Version`]'s text).
struct VersionInto<'s>(&'s mut String);

impl Visitor<'_> for VersionInto<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a semver version")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        version_into(self.0, v).map_err(E::custom)
    }
}

/// A semantic version checked and written over `s` as the full read writes
/// it. The text of a version read before is that version's, so it is not
/// parsed again (an empty input's version is empty, which is none).
fn version_into(s: &mut String, v: &str) -> Result<(), semver::Error> {
    use std::fmt::Write;
    if v.is_empty() || v != s.as_str() {
        let version = semver::Version::parse(v)?;
        s.clear();
        // Writing into a String fails only when a Display impl fails.
        let _ = write!(s, "{version}");
    }
    Ok(())
}

/// A record ([`crate::DrillRecord`]) read over an input.
struct RecordInto<'s>(&'s mut ScoreInput);

impl<'de> Visitor<'de> for RecordInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct DrillRecord")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let slot = self.0;
        // All but started_at and penalties.
        let required = 0b010_1111;
        let seen = read_fields(
            &mut map,
            RECORD_KEYS,
            required,
            |f: RecordField| f as u8,
            |map, field| {
                match field {
                    RecordField::Scenario => map.next_value_seed(StrInto(&mut slot.scenario))?,
                    RecordField::Version => map.next_value_seed(VersionInto(&mut slot.version))?,
                    RecordField::Team => map.next_value_seed(StrInto(&mut slot.team))?,
                    RecordField::Attempt => slot.attempt = map.next_value()?,
                    RecordField::StartedAt => {
                        map.next_value::<Option<chrono::DateTime<chrono::FixedOffset>>>()?;
                    }
                    RecordField::Tasks => map.next_value_seed(TasksInto(&mut slot.tasks))?,
                    RecordField::Penalties => {
                        map.next_value_seed(PenaltiesInto(&mut slot.penalties))?
                    }
                }
                Ok(())
            },
        )?;
        if seen & (1 << RecordField::Penalties as u8) == 0 {
            slot.penalties.clear();
        }
        slot.elapsed = elapsed_of(&slot.tasks);
        Ok(())
    }
}

/// A map key, borrowed from the body unless it holds an escape.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct K;
        impl<'de> Visitor<'de> for K {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(K)
    }
}

/// The task runs by id, read over a map: while the ids come as the map
/// holds them, each value is written in place; from the first that does
/// not, the rest of the old map goes and the ids are inserted. A later
/// value of an id given twice wins, as in the full read.
struct TasksInto<'s>(&'s mut BTreeMap<String, TaskRun>);

impl<'de> Visitor<'de> for TasksInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let map = self.0;
        // The last id written in place; `None` before the first.
        let mut last: Option<Key<'de>> = None;
        let mut inserting = false;
        while let Some(Key(id)) = access.next_key::<Key<'de>>()? {
            let run: TaskRun = access.next_value()?;
            if !inserting {
                let next = match &last {
                    None => map.iter_mut().next(),
                    Some(Key(k)) => map
                        .range_mut::<str, _>((Bound::Excluded(k.as_ref()), Bound::Unbounded))
                        .next(),
                };
                match next {
                    Some((k, v)) if *k == id => {
                        *v = run;
                        last = Some(Key(id));
                        continue;
                    }
                    Some((k, _)) => {
                        let stale = k.clone();
                        map.split_off(stale.as_str());
                    }
                    None => {}
                }
                inserting = true;
            }
            map.insert(id.into_owned(), run);
        }
        if !inserting {
            let stale = match &last {
                None => map.keys().next().cloned(),
                Some(Key(k)) => map
                    .range::<str, _>((Bound::Excluded(k.as_ref()), Bound::Unbounded))
                    .next()
                    .map(|(k, _)| k.clone()),
            };
            if let Some(stale) = stale {
                map.split_off(stale.as_str());
            }
        }
        Ok(())
    }
}

/// The penalties, read over a list of them.
struct PenaltiesInto<'s>(&'s mut Vec<Penalty>);

impl<'de> Visitor<'de> for PenaltiesInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let list = self.0;
        let mut n = 0;
        loop {
            if n == list.len() {
                list.push(Penalty {
                    code: String::new(),
                    task: None,
                    count: 0,
                });
            }
            if seq.next_element_seed(PenaltyInto(&mut list[n]))?.is_none() {
                break;
            }
            n += 1;
        }
        list.truncate(n);
        Ok(())
    }
}

/// One penalty read over another.
struct PenaltyInto<'s>(&'s mut Penalty);

impl<'de> Visitor<'de> for PenaltyInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct Penalty")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let p = self.0;
        // The code and the count.
        let seen = read_fields(
            &mut map,
            PENALTY_KEYS,
            0b101,
            |f: PenaltyField| f as u8,
            |map, field| {
                match field {
                    PenaltyField::Code => map.next_value_seed(StrInto(&mut p.code))?,
                    PenaltyField::Task => map.next_value_seed(OptionInto(&mut p.task))?,
                    PenaltyField::Count => p.count = map.next_value()?,
                }
                Ok(())
            },
        )?;
        if seen & (1 << PenaltyField::Task as u8) == 0 {
            p.task = None;
        }
        Ok(())
    }
}

/// An optional string written over another.
struct OptionInto<'s>(&'s mut Option<String>);

impl<'de> Visitor<'de> for OptionInto<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("option")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        StrInto(self.0.get_or_insert_with(String::new)).deserialize(d)
    }
}

/// Reads a drill run's body written exactly as the ledger writes it (its
/// canonical JSON: the fields in their order, no white space, no escapes,
/// task ids in order) over `slot`, as [`read_run_into`] does, without
/// serde: a stored season's bodies are all of this shape, and a serde read
/// spends most of its time finding out that they are. `None` the moment
/// the body is of any other shape, valid or not, with `slot` holding a mix
/// of runs; the serde read then reads it (tested: this gives exactly what
/// it gives, and takes every body the ledger writes that holds no escape).
pub(super) fn scan_canonical(
    body: &str,
    slot: &mut ScoreInput,
    scenario: &str,
    version: &str,
) -> Option<bool> {
    let mut c = Canonical { body, at: 0 };
    c.lit("{\"kind\":\"drill_run\",\"scenario\":")?;
    let mut ours = c.text()? == scenario;
    c.lit(",\"version\":")?;
    ours &= c.text()? == version;
    c.lit(",\"package_hash\":")?;
    c.text()?;
    c.lit(",\"members\":[")?;
    if !c.eat(b']') {
        loop {
            c.text()?;
            if c.eat(b']') {
                break;
            }
            c.lit(",")?;
        }
    }
    c.lit(",\"record\":{\"scenario\":")?;
    text_into(&mut slot.scenario, c.text()?);
    c.lit(",\"version\":")?;
    version_into(&mut slot.version, c.text()?).ok()?;
    c.lit(",\"team\":")?;
    text_into(&mut slot.team, c.text()?);
    c.lit(",\"attempt\":")?;
    slot.attempt = c.whole()?;
    if c.eat_lit(",\"started_at\":") {
        // Checked as the full read checks it, then let go of.
        c.text()?
            .parse::<chrono::DateTime<chrono::FixedOffset>>()
            .ok()?;
    }
    c.lit(",\"tasks\":{")?;
    c.tasks(&mut slot.tasks)?;
    let penalties = if c.eat_lit(",\"penalties\":[") {
        c.penalties(&mut slot.penalties)?
    } else {
        0
    };
    slot.penalties.truncate(penalties);
    c.lit("}}")?;
    if c.at != body.len() {
        return None;
    }
    slot.elapsed = elapsed_of(&slot.tasks);
    Some(ours)
}

/// `text` written over `s`, keeping its buffer (and its bytes when the same).
fn text_into(s: &mut String, text: &str) {
    if s != text {
        s.clear();
        s.push_str(text);
    }
}

/// The powers of ten up to 10^15, each exact as a double.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A JSON number with a fraction, no exponent and at most 15 digits (as
/// times in seconds are: `1050.0`, `12.25`), read as a full parse reads it
/// but faster: its digits are a whole number below 2^53 and its scale an
/// exact power of ten, so one division, which rounds correctly, gives the
/// correctly rounded value (Clinger's fast path). `None` for another.
fn short_decimal(token: &str) -> Option<f64> {
    let (negative, digits) = match token.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, token),
    };
    // A byte search: `split_once('.')` searches for a char, comparing its
    // UTF-8 with a call to `memcmp` at every candidate.
    let dot = digits.bytes().position(|b| b == b'.')?;
    let (whole, fraction) = (&digits[..dot], &digits[dot + 1..]);
    let all = whole.bytes().chain(fraction.bytes());
    if whole.len() + fraction.len() > 15 || !all.clone().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let m = all.fold(0u64, |m, b| m * 10 + u64::from(b - b'0'));
    let x = m as f64 / POW10[fraction.len()];
    Some(if negative { -x } else { x })
}

/// A cursor over a canonical body; every read is `None` where the body is
/// not as expected.
struct Canonical<'a> {
    body: &'a str,
    at: usize,
}

impl<'a> Canonical<'a> {
    fn rest(&self) -> &'a [u8] {
        self.body.as_bytes().get(self.at..).unwrap_or_default()
    }

    /// `lit` next, passed over.
    fn lit(&mut self, lit: &str) -> Option<()> {
        self.eat_lit(lit).then_some(())
    }

    /// Passes over `lit` if it is next, and says so.
    fn eat_lit(&mut self, lit: &str) -> bool {
        let next = self.rest().starts_with(lit.as_bytes());
        if next {
            self.at += lit.len();
        }
        next
    }

    /// Passes over `b` if it is next, and says so.
    fn eat(&mut self, b: u8) -> bool {
        let next = self.rest().first() == Some(&b);
        if next {
            self.at += 1;
        }
        next
    }

    /// A string with no escape: the text between its quotes.
    fn text(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        if rest.first() != Some(&b'"') {
            return None;
        }
        let len = rest[1..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest[1 + len] != b'"' {
            return None;
        }
        // Both ends are ASCII quotes, so the slice is on character bounds.
        let text = self.body.get(self.at + 1..self.at + 1 + len)?;
        self.at += len + 2;
        Some(text)
    }

    /// A number as JSON writes one: `-? int frac? exp?`, with no leading
    /// zero. Says whether it has a fraction or an exponent.
    fn number(&mut self) -> Option<(&'a str, bool)> {
        let rest = self.rest();
        let mut i = usize::from(rest.first() == Some(&b'-'));
        let digits = |i: usize| rest[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let int = digits(i);
        if int == 0 || (int > 1 && rest[i] == b'0') {
            return None;
        }
        i += int;
        let mut float = false;
        if rest.get(i) == Some(&b'.') {
            let frac = digits(i + 1);
            if frac == 0 {
                return None;
            }
            i += 1 + frac;
            float = true;
        }
        if matches!(rest.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(rest.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let exp = digits(i);
            if exp == 0 {
                return None;
            }
            i += exp;
            float = true;
        }
        let token = self.body.get(self.at..self.at + i)?;
        self.at += i;
        Some((token, float))
    }

    /// A time in seconds, written as a float (a whole number is read by
    /// the serde read, which reads `-0` as zero); finite, as JSON's are.
    fn seconds(&mut self) -> Option<f64> {
        match self.number()? {
            (token, true) => {
                short_decimal(token).or_else(|| token.parse::<f64>().ok().filter(|x| x.is_finite()))
            }
            _ => None,
        }
    }

    /// A whole number that fits a `u32`.
    fn whole(&mut self) -> Option<u32> {
        match self.number()? {
            (token, false) if !token.starts_with('-') => token.parse().ok(),
            _ => None,
        }
    }

    /// One task's run, after its id: `{"start":…,"end":…,"status":…}`
    /// with a rating or none.
    fn task_run(&mut self) -> Option<TaskRun> {
        use crate::record::{Rating, TaskStatus};
        self.lit(":{\"start\":")?;
        let start = self.seconds()?;
        self.lit(",\"end\":")?;
        let end = self.seconds()?;
        self.lit(",\"status\":")?;
        let status = match self.text()? {
            "done" => TaskStatus::Done,
            "failed" => TaskStatus::Failed,
            "skipped" => TaskStatus::Skipped,
            _ => return None,
        };
        let rating = if self.eat_lit(",\"rating\":") {
            Some(match self.text()? {
                "P" => Rating::P,
                "S" => Rating::S,
                "M" => Rating::M,
                "U" => Rating::U,
                _ => return None,
            })
        } else {
            None
        };
        self.lit("}")?;
        Some(TaskRun {
            start,
            end,
            status,
            rating,
        })
    }

    /// The next task's id and run, after `{` or `,`; `None` inside at the
    /// end of the map, whose `}` is then passed over. An id must come after
    /// `prev`, as a map written in order has them.
    fn next_task(&mut self, prev: Option<&str>) -> Option<Option<(&'a str, TaskRun)>> {
        if self.eat(b'}') {
            return Some(None);
        }
        if prev.is_some() {
            self.lit(",")?;
        }
        let id = self.text()?;
        if prev.is_some_and(|p| p >= id) {
            return None;
        }
        Some(Some((id, self.task_run()?)))
    }

    /// The task map, after its `{`, written over `map`: in place while the
    /// ids are those `map` holds, from the first that is not by dropping
    /// the rest of `map` and inserting.
    fn tasks(&mut self, map: &mut BTreeMap<String, TaskRun>) -> Option<()> {
        let mut prev: Option<&'a str> = None;
        let mut kept = map.iter_mut();
        let (stale, mut pending) = loop {
            let Some((id, run)) = self.next_task(prev)? else {
                break (kept.next().map(|(k, _)| k.clone()), None);
            };
            prev = Some(id);
            match kept.next() {
                Some((k, v)) if k == id => *v = run,
                other => break (other.map(|(k, _)| k.clone()), Some((id, run))),
            }
        };
        if let Some(stale) = stale {
            map.split_off(stale.as_str());
        }
        while let Some((id, run)) = pending {
            map.insert(id.to_string(), run);
            pending = self.next_task(Some(id))?;
        }
        Some(())
    }

    /// The penalties, after their `[`, written over `list`'s first ones
    /// (more are pushed); returns how many were read.
    fn penalties(&mut self, list: &mut Vec<Penalty>) -> Option<usize> {
        let mut n = 0;
        while !self.eat(b']') {
            if n > 0 {
                self.lit(",")?;
            }
            if n == list.len() {
                list.push(Penalty {
                    code: String::new(),
                    task: None,
                    count: 0,
                });
            }
            let p = &mut list[n];
            self.lit("{\"code\":")?;
            text_into(&mut p.code, self.text()?);
            if self.eat_lit(",\"task\":") {
                text_into(p.task.get_or_insert_with(String::new), self.text()?);
            } else {
                p.task = None;
            }
            self.lit(",\"count\":")?;
            p.count = self.whole()?;
            self.lit("}")?;
            n += 1;
        }
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::short_decimal;

    #[test]
    fn a_short_decimal_is_read_bit_for_bit_as_a_full_parse_reads_it() {
        // Every length of whole part and fraction up to 15 digits, with
        // digits from a fixed pseudo-random sequence, both signs.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut digit = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'0' + (state % 10) as u8)
        };
        let mut read = 0;
        for whole in 1..=14 {
            for fraction in 1..=(15 - whole) {
                for _ in 0..200 {
                    let mut w: String = (0..whole).map(|_| digit()).collect();
                    if w.len() > 1 && w.starts_with('0') {
                        w.replace_range(..1, "7");
                    }
                    let f: String = (0..fraction).map(|_| digit()).collect();
                    for token in [format!("{w}.{f}"), format!("-{w}.{f}")] {
                        let want = token.parse::<f64>().unwrap();
                        let got = short_decimal(&token).expect("a short decimal");
                        assert_eq!(got.to_bits(), want.to_bits(), "{token}");
                        read += 1;
                    }
                }
            }
        }
        assert_eq!(read, 105 * 200 * 2);
        for token in ["0.0", "-0.0", "99999999999999.9", "0.00000000000001"] {
            let want = token.parse::<f64>().unwrap();
            assert_eq!(
                short_decimal(token).map(f64::to_bits),
                Some(want.to_bits()),
                "{token}"
            );
        }
        // Longer, with an exponent, or with no fraction: for the full parse.
        for token in ["1234567890123456.0", "1.5e3", "12", "0.1234567890123456"] {
            assert_eq!(short_decimal(token), None, "{token}");
        }
    }
}
