//! Lenient params fields: read the way a rhai script reads
//! `params.base`, where a missing or mistyped value is only an error when
//! the rule needs it.
//!
//! ```
//! use muster_guest::params::{Number, Numbers};
//!
//! #[derive(serde::Deserialize)]
//! struct Rule {
//!     #[serde(default)]
//!     base: Number,
//!     #[serde(default)]
//!     penalty_points: Numbers,
//! }
//!
//! let rule: Rule = muster_guest::serde_json::from_str(
//!     r#"{"base": "high", "penalty_points": {"late": 3, "odd": [1], "unsafe": 10}}"#,
//! ).unwrap();
//! assert_eq!(rule.base, Number(None));
//! assert_eq!(rule.penalty_points.get("unsafe"), Some(10.0));
//! assert_eq!(rule.penalty_points.get("odd"), None);
//! ```

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A number, or `None` where the params hold anything else or nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Number(pub Option<f64>);

/// The entries of an object whose values are numbers, in the order given;
/// empty where the params hold no object. A key given twice keeps its last
/// value, as a JSON object does. Looked up by [`Numbers::get`],
/// which compares keys eight bytes at a time: a rule's few codes are found
/// faster in a list than in a map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Numbers(pub Vec<(String, f64)>);

impl Numbers {
    /// The number given for `key`.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.0
            .iter()
            .find(|(k, _)| crate::wire::same_bytes(k.as_bytes(), key.as_bytes()))
            .map(|&(_, v)| v)
    }
}

/// Reads any JSON value, keeping a number and dropping the rest.
struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_f64<E>(self, v: f64) -> Result<Option<f64>, E> {
        Ok(Some(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Option<f64>, E> {
        Ok(Some(v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Option<f64>, E> {
        Ok(Some(v as f64))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Option<f64>, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Option<f64>, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Option<f64>, E> {
        Ok(None)
    }

    fn visit_none<E>(self) -> Result<Option<f64>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_any(NumberVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<f64>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<f64>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        d.deserialize_any(NumberVisitor).map(Number)
    }
}

/// Reads any JSON value, keeping an object's number entries.
struct NumbersVisitor;

impl<'de> Visitor<'de> for NumbersVisitor {
    type Value = Numbers;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Numbers, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value: Number = map.next_value()?;
            out.retain(|(k, _): &(String, f64)| *k != key);
            if let Number(Some(v)) = value {
                out.push((key, v));
            }
        }
        Ok(Numbers(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Numbers, A::Error> {
        NumberVisitor.visit_seq(seq).map(|_| Numbers::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Numbers, D::Error> {
        d.deserialize_any(NumbersVisitor)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Numbers, E> {
        Ok(Numbers::default())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Numbers, E> {
        Ok(Numbers::default())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Numbers, E> {
        Ok(Numbers::default())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Numbers, E> {
        Ok(Numbers::default())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Numbers, E> {
        Ok(Numbers::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Numbers, E> {
        Ok(Numbers::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<Numbers, E> {
        Ok(Numbers::default())
    }
}

impl<'de> Deserialize<'de> for Numbers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Numbers, D::Error> {
        d.deserialize_any(NumbersVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Rule {
        #[serde(default)]
        base: Number,
        #[serde(default)]
        codes: Numbers,
    }

    fn read(json: &str) -> Rule {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_number_is_kept_and_anything_else_is_none() {
        for (json, want) in [
            (r#"{"base": 100}"#, Some(100.0)),
            (r#"{"base": -2}"#, Some(-2.0)),
            (r#"{"base": 2.5}"#, Some(2.5)),
            (
                r#"{"base": 18446744073709551615}"#,
                Some(18446744073709551615.0),
            ),
            (r#"{"base": "100"}"#, None),
            (r#"{"base": true}"#, None),
            (r#"{"base": null}"#, None),
            (r#"{"base": [1, [2]]}"#, None),
            (r#"{"base": {"a": {"b": 1}}}"#, None),
            (r#"{}"#, None),
        ] {
            assert_eq!(read(json).base, Number(want), "{json}");
        }
    }

    #[test]
    fn numbers_keep_the_number_entries_of_an_object_and_nothing_else() {
        let r = read(
            r#"{"codes": {"a": 1, "b": "x", "c": {"d": 2}, "e": 3.5, "a": 9, "f": 1, "f": "y"}}"#,
        );
        assert_eq!(r.codes.0, [("e".to_string(), 3.5), ("a".to_string(), 9.0)]);
        assert_eq!((r.codes.get("a"), r.codes.get("e")), (Some(9.0), Some(3.5)));
        assert_eq!(r.codes.get("f"), None, "the last value of `f` is no number");
        assert_eq!((r.codes.get("b"), r.codes.get("ab")), (None, None));
        for json in [
            r#"{"codes": 3}"#,
            r#"{"codes": "x"}"#,
            r#"{"codes": null}"#,
            r#"{"codes": [{"a": 1}]}"#,
            r#"{}"#,
        ] {
            assert_eq!(read(json).codes, Numbers::default(), "{json}");
        }
    }

    #[test]
    fn bad_json_is_still_refused() {
        let e = serde_json::from_str::<Rule>(r#"{"base": 1,"#).unwrap_err();
        assert!(e.to_string().contains("EOF while parsing"), "{e}");
    }
}
