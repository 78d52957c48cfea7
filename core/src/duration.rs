//! Durations as trainers write them: "90s", "5m", "1h30m".

use std::fmt;

/// A length of time in whole seconds, written as "90s", "5m", "1h30m".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

/// The duration forms Muster accepts, for error messages.
pub const DURATION_FORMS: &str =
    r#""90s", "5m", "1h30m" or "1h5m30s" (hours h, minutes m, seconds s, largest first)"#;

/// The longest duration Muster accepts: 30 days, far beyond any drill or session.
pub const MAX_DURATION_SECS: u64 = 30 * 24 * 3600;

impl Duration {
    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration(secs)
    }

    /// The whole seconds.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// The duration in minutes, as a float.
    pub fn as_minutes_f64(self) -> f64 {
        self.0 as f64 / 60.0
    }

    /// Parses "90s", "5m", "1h30m", "1h5m30s". Units appear largest first, each at most
    /// once; "0s" is zero. Plain numbers are refused: a unit is always written.
    ///
    /// ```
    /// use muster_core::Duration;
    /// assert_eq!(Duration::parse("1h30m").unwrap().as_secs(), 5400);
    /// assert!(Duration::parse("90").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Duration, DurationError> {
        let bad = || DurationError {
            text: text.to_string(),
        };
        let s = text.trim();
        if s.is_empty() {
            return Err(bad());
        }
        let mut total: u64 = 0;
        let mut last_rank = 0u8;
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                if digits.len() >= 9 {
                    return Err(bad());
                }
                digits.push(c);
                continue;
            }
            let (rank, factor) = match c {
                'h' => (1, 3600),
                'm' => (2, 60),
                's' => (3, 1),
                _ => return Err(bad()),
            };
            if digits.is_empty() || rank <= last_rank {
                return Err(bad());
            }
            // At most nine digits, so this cannot overflow u64.
            let n: u64 = digits.parse().map_err(|_| bad())?;
            total += n * factor;
            digits.clear();
            last_rank = rank;
        }
        if !digits.is_empty() || total > MAX_DURATION_SECS {
            return Err(bad());
        }
        Ok(Duration(total))
    }
}

impl fmt::Display for Duration {
    /// Writes the shortest form: "1h30m", "4m40s", "0s".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        if self.0 == 0 {
            return f.write_str("0s");
        }
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A duration text that is not in an accepted form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad duration \"{text}\": write it as {DURATION_FORMS}, at most 30 days")]
pub struct DurationError {
    text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<u64>) {
        assert_eq!(
            Duration::parse(text).ok().map(Duration::as_secs),
            expected,
            "{text}"
        );
    }

    #[test]
    fn forms() {
        check("90s", Some(90));
        check("5m", Some(300));
        check("1h30m", Some(5400));
        check("1h5m30s", Some(3930));
        check("0s", Some(0));
        check(" 4m40s ", Some(280));
        check("720h", Some(2_592_000));
        check("721h", None);
        check("90", None);
        check("", None);
        check("m", None);
        check("5m1h", None);
        check("5m5m", None);
        check("1.5m", None);
        check("-5m", None);
        check("5 m", None);
        check("99999999999999999999s", None);
    }

    #[test]
    fn display_round_trips() {
        for s in [0, 59, 60, 280, 3600, 3930, 5400] {
            let d = Duration::from_secs(s);
            assert_eq!(Duration::parse(&d.to_string()).unwrap(), d);
        }
        assert_eq!(Duration::from_secs(280).to_string(), "4m40s");
    }

    #[test]
    fn error_quotes_the_text() {
        let e = Duration::parse("5 mins").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"bad duration "5 mins": write it as "90s", "5m", "1h30m" or "1h5m30s" (hours h, minutes m, seconds s, largest first), at most 30 days"#
        );
    }
}
