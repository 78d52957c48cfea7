//! A script's result read straight into a score card, with its size as
//! compact JSON: one reader for rhai's values and for the direct path's.

use muster_core::{ScoreCard, ScoreInput, ScoreStatus, ScorerId};
use rhai::{Dynamic, ImmutableString};

use super::direct::Val;

/// Deepest nesting of a result the host converts.
pub(super) const MAX_RESULT_DEPTH: usize = 32;

/// What the JSON conversion charges against the output budget: every
/// value, and on top an integer, a float, a string's quotes (with its
/// bytes) and a map key's quotes and colon (with its bytes). [`size`]
/// charges the same.
pub(super) const CHARGE_VALUE: usize = 1;
pub(super) const CHARGE_INT: usize = 20;
pub(super) const CHARGE_FLOAT: usize = 24;
pub(super) const CHARGE_STR: usize = 2;
pub(super) const CHARGE_KEY: usize = 3;

/// A value a script returned, as the card reader sees it.
pub(super) trait Output {
    fn is_unit(&self) -> bool;
    fn bool(&self) -> Option<bool>;
    fn int(&self) -> Option<i64>;
    fn float(&self) -> Option<f64>;
    /// The string, handed to `f`.
    fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> Option<R>;
    /// The items of an array, in order, handed to `f` until it gives
    /// `None`; `None` when this is not an array or `f` gave `None`.
    fn each_item(&self, f: &mut dyn FnMut(usize, &Self) -> Option<()>) -> Option<()>;
    /// The entries of a map, in key order, as [`Output::each_item`].
    fn each_entry(&self, f: &mut dyn FnMut(usize, &str, &Self) -> Option<()>) -> Option<()>;
    fn is_array(&self) -> bool;
    fn is_map(&self) -> bool;
}

/// Length of a value as compact JSON, without building the text.
pub(super) fn json_len<T: serde::Serialize + ?Sized>(value: &T) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    // Serializing plain data into a counter cannot fail; a failure counts as huge.
    match serde_json::to_writer(&mut c, value) {
        Ok(()) => c.0,
        Err(_) => u64::MAX,
    }
}

/// Length of a string as a JSON string: quotes, and each byte as
/// serde_json escapes it (`\"`, `\\` and the short control escapes in
/// two bytes, other control bytes as `\u00XX` in six).
pub(super) fn json_str_len(s: &str) -> u64 {
    let escaped: u64 = s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | b'\t' | b'\n' | 0x0c | b'\r' => 1,
            0x00..=0x1f => 5,
            _ => 0,
        })
        .sum();
    2 + s.len() as u64 + escaped
}

/// A result's size two ways: what the JSON conversion charges against the
/// output budget as it converts, and the exact length of its compact JSON.
pub(super) struct Size {
    pub(super) charged: usize,
    pub(super) json: u64,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.charged = self.charged.saturating_add(other.charged);
        self.json = self.json.saturating_add(other.json);
    }
}

/// [`Size`] of a result made only of units, booleans, integers, finite
/// floats, strings, arrays and maps, nested at most [`MAX_RESULT_DEPTH`]
/// deep; `None` for anything else (which the JSON conversion then reports).
pub(super) fn size<T: Output>(d: &T, depth: usize) -> Option<Size> {
    if depth > MAX_RESULT_DEPTH {
        return None;
    }
    let (charged, json) = if d.is_unit() {
        (CHARGE_VALUE, 4)
    } else if let Some(b) = d.bool() {
        (CHARGE_VALUE, if b { 4 } else { 5 })
    } else if let Some(i) = d.int() {
        (
            CHARGE_VALUE + CHARGE_INT,
            itoa::Buffer::new().format(i).len() as u64,
        )
    } else if let Some(f) = d.float() {
        (
            CHARGE_VALUE + CHARGE_FLOAT,
            f.is_finite().then(|| json_len(&f))?,
        )
    } else if let Some(s) = d.with_str(|s| (CHARGE_VALUE + s.len() + CHARGE_STR, json_str_len(s))) {
        s
    } else if d.is_array() {
        let mut total = Size {
            charged: CHARGE_VALUE,
            json: 2,
        };
        d.each_item(&mut |i, item| {
            total.json += u64::from(i > 0);
            total.add(size(item, depth + 1)?);
            Some(())
        })?;
        (total.charged, total.json)
    } else if d.is_map() {
        let mut total = Size {
            charged: CHARGE_VALUE,
            json: 2,
        };
        d.each_entry(&mut |i, k, v| {
            total.json += u64::from(i > 0);
            total.add(Size {
                charged: k.len() + CHARGE_KEY,
                json: json_str_len(k) + 1,
            });
            total.add(size(v, depth + 1)?);
            Some(())
        })?;
        (total.charged, total.json)
    } else {
        return None;
    };
    Some(Size { charged, json })
}

/// An integer or float of a result, as [`ScoreCard::from_output`] reads it.
fn number<T: Output>(d: &T) -> Option<f64> {
    d.int().map(|i| i as f64).or_else(|| d.float())
}

fn text<T: Output>(d: &T) -> Option<String> {
    d.with_str(str::to_string)
}

/// The card read straight from a result of the documented shape, with its
/// size as compact JSON.
///
/// `None` for anything else — an unknown key, a value of another type, a
/// number that is not finite, a result over `max_output` bytes, a note or
/// per-task entry the card refuses — and then the JSON conversion and
/// [`ScoreCard::from_output`] give the card or the error, as they did
/// before this reader existed. Both ways give the same card and the same
/// size for every result this accepts (tested).
pub(super) fn read<T: Output>(
    d: &T,
    input: &ScoreInput,
    id: &ScorerId,
    max_output: usize,
) -> Option<(ScoreCard, u64)> {
    // One walk reads the card and sums its size: a result of the
    // documented shape is a map of scalars, a list of notes and a map of
    // task entries, so every value is sized where it is read.
    let mut sum = Size {
        charged: CHARGE_VALUE,
        json: 2,
    };
    let (mut total, mut status) = (None, None);
    let (mut reason, mut notes, mut tasks) = (String::new(), Vec::new(), Vec::new());
    d.each_entry(&mut |i, key, v| {
        sum.json += u64::from(i > 0);
        sum.add(Size {
            charged: key.len() + CHARGE_KEY,
            json: json_str_len(key) + 1,
        });
        match key {
            "notes" if !v.is_unit() => {
                let mut list = Size {
                    charged: CHARGE_VALUE,
                    json: 2,
                };
                let mut all = Vec::new();
                v.each_item(&mut |j, n| {
                    let note = text(n)?;
                    list.json += u64::from(j > 0);
                    list.add(Size {
                        charged: CHARGE_VALUE + note.len() + CHARGE_STR,
                        json: json_str_len(&note),
                    });
                    all.push(note);
                    Some(())
                })?;
                notes = all;
                sum.add(list);
                return Some(());
            }
            _ => sum.add(size(v, 1)?),
        }
        match key {
            "total" => total = Some(number(v)?),
            "status" => {
                status = Some(v.with_str(|s| match s {
                    "valid" => Some(ScoreStatus::Valid),
                    "dnf" => Some(ScoreStatus::Dnf),
                    "dq" => Some(ScoreStatus::Dq),
                    _ => None,
                })??)
            }
            "reason" | "notes" | "tasks" if v.is_unit() => {}
            "reason" => reason = text(v)?,
            "tasks" => v.each_entry(&mut |_, id, t| {
                let (mut points, mut note) = (None, None);
                t.each_entry(&mut |_, key, x| {
                    match key {
                        "points" if x.is_unit() => {}
                        "points" => points = Some(number(x)?),
                        "note" if x.is_unit() => {}
                        "note" => note = Some(text(x)?),
                        _ => return None,
                    }
                    Some(())
                })?;
                tasks.push((id.to_string(), points, note));
                Some(())
            })?,
            _ => return None,
        }
        Some(())
    })?;
    if sum.charged > max_output || sum.json > max_output as u64 {
        return None;
    }
    let mut card = ScoreCard::from_parts(total?, status?, reason, notes, id.clone()).ok()?;
    for (id, points, note) in tasks {
        card.set_task(input, &id, points, note).ok()?;
    }
    Some((card, sum.json))
}

impl Output for Dynamic {
    fn is_unit(&self) -> bool {
        Dynamic::is_unit(self)
    }
    fn bool(&self) -> Option<bool> {
        self.as_bool().ok()
    }
    fn int(&self) -> Option<i64> {
        self.as_int().ok()
    }
    fn float(&self) -> Option<f64> {
        self.as_float().ok()
    }
    fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> Option<R> {
        self.read_lock::<ImmutableString>().map(|s| f(s.as_str()))
    }
    fn each_item(&self, f: &mut dyn FnMut(usize, &Self) -> Option<()>) -> Option<()> {
        let items = self.read_lock::<rhai::Array>()?;
        for (i, item) in items.iter().enumerate() {
            f(i, item)?;
        }
        Some(())
    }
    fn each_entry(&self, f: &mut dyn FnMut(usize, &str, &Self) -> Option<()>) -> Option<()> {
        let map = self.read_lock::<rhai::Map>()?;
        for (i, (k, v)) in map.iter().enumerate() {
            f(i, k.as_str(), v)?;
        }
        Some(())
    }
    fn is_array(&self) -> bool {
        Dynamic::is_array(self)
    }
    fn is_map(&self) -> bool {
        Dynamic::is_map(self)
    }
}

impl Output for Val<'_> {
    fn is_unit(&self) -> bool {
        matches!(self, Val::Unit)
    }
    fn bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }
    fn float(&self) -> Option<f64> {
        match self {
            Val::Float(f) => Some(*f),
            _ => None,
        }
    }
    fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> Option<R> {
        match self {
            Val::Str(s) => Some(f(s)),
            _ => None,
        }
    }
    fn each_item(&self, f: &mut dyn FnMut(usize, &Self) -> Option<()>) -> Option<()> {
        match self {
            Val::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    f(i, item)?;
                }
                Some(())
            }
            Val::View(_) if self.is_array() => {
                for (i, item) in self.items().iter().enumerate() {
                    f(i, item)?;
                }
                Some(())
            }
            _ => None,
        }
    }
    fn each_entry(&self, f: &mut dyn FnMut(usize, &str, &Self) -> Option<()>) -> Option<()> {
        match self {
            Val::Map(m) => {
                for (i, (k, v)) in m.iter().enumerate() {
                    f(i, k, v)?;
                }
                Some(())
            }
            Val::View(_) if Val::is_map(self) => {
                for (i, k) in self.map_keys().iter().enumerate() {
                    f(i, k, &self.map_get(k)?)?;
                }
                Some(())
            }
            _ => None,
        }
    }
    fn is_array(&self) -> bool {
        Val::is_array(self)
    }
    fn is_map(&self) -> bool {
        Val::is_map(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_and_integer_lengths_are_serde_jsons() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("南塘 \u{7f}\u{2028}\u{1F692}");
        for s in ["", "a", "\"", "\\", "time bonus 34.5", &all] {
            assert_eq!(json_str_len(s), json_len(s), "{s:?}");
        }
        for c in 0u8..0x80 {
            let s = String::from(char::from(c));
            assert_eq!(json_str_len(&s), json_len(&s), "{c:#x}");
        }
        for i in [0, 7, -7, 10, -10, 99, 100, i64::MAX, i64::MIN, 1_000_000] {
            assert_eq!(
                itoa::Buffer::new().format(i).len() as u64,
                json_len(&i),
                "{i}"
            );
        }
    }
}
