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
        self.0.clear();
        self.0.push_str(v);
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
        use std::fmt::Write;
        let version = semver::Version::parse(v).map_err(E::custom)?;
        self.0.clear();
        write!(self.0, "{version}").map_err(E::custom)
    }
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
