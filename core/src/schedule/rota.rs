//! The duty rotation: which squadron holds 24-hour duty on a day, and when
//! the shift starts and ends as instants in the brigade's time zone.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::input::DutyRules;

/// One duty shift: the squadron that takes duty at `change_at` on `date` and
/// hands it over at `change_at` the next day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Shift {
    /// The local date the shift starts.
    pub date: NaiveDate,
    /// The squadron on duty.
    pub squadron: String,
    /// When the shift starts.
    pub starts: DateTime<Utc>,
    /// When the shift ends (the next shift's start).
    pub ends: DateTime<Utc>,
}

/// The duty rotation of a syllabus, in a time zone.
#[derive(Debug, Clone)]
pub struct Rota<'a> {
    rules: &'a DutyRules,
    tz: Tz,
}

impl<'a> Rota<'a> {
    /// A rotation for these rules in the zone `tz`.
    pub fn new(rules: &'a DutyRules, tz: Tz) -> Self {
        Rota { rules, tz }
    }

    /// The squadron on duty for the shift starting on `date`; works for any
    /// date before or after the anchor.
    pub fn squadron_on(&self, date: NaiveDate) -> Option<&'a str> {
        let n = self.rules.cycle.len() as i64;
        if n == 0 {
            return None;
        }
        let k = (date - self.rules.anchor).num_days().rem_euclid(n) as usize;
        self.rules.cycle.get(k).map(String::as_str)
    }

    /// The shift starting on `date`, with its start and end as instants.
    /// `None` when the rotation is empty or the local time does not exist.
    pub fn shift(&self, date: NaiveDate) -> Option<Shift> {
        let squadron = self.squadron_on(date)?.to_string();
        let starts = self.instant(date)?;
        let ends = self.instant(date.succ_opt()?)?;
        Some(Shift {
            date,
            squadron,
            starts,
            ends,
        })
    }

    fn instant(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        self.tz
            .from_local_datetime(&date.and_time(self.rules.change_at))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }
}
