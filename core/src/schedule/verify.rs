//! An independent check of every hard constraint of a plan. It shares no
//! state with the planner: it rebuilds its own indices from the sessions.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::input::{OnDuty, Syllabus};
use super::rota::Rota;
use super::{Plan, mins, on_leave, pool_on, shift_leader, zone};
use crate::brigade::Brigade;

/// Start and end minutes of a session and its index.
type Span = (u32, u32, usize);

/// A broken hard constraint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Violation {
    /// The constraint: `unknown`, `squadron`, `leave`, `skill`, `instructor`,
    /// `group`, `window`, `duty`, `rest`, `double-booked`, `day-limit`,
    /// `equipment`, `shift-leader`.
    pub constraint: String,
    /// Index of the session in the plan, when one session is at fault.
    pub session: Option<usize>,
    /// What is wrong, naming the people or equipment.
    pub message: String,
}

/// Re-checks every hard constraint of `plan`; an empty list means none is broken.
pub fn verify(brigade: &Brigade, syllabus: &Syllabus, plan: &Plan) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut v = |c: &str, s: Option<usize>, m: String| {
        out.push(Violation {
            constraint: c.to_string(),
            session: s,
            message: m,
        })
    };
    let tz = match zone(&plan.time_zone) {
        Ok(tz) => tz,
        Err(e) => {
            v("unknown", None, e.to_string());
            return out;
        }
    };
    let rota = Rota::new(&syllabus.duty, tz);
    let (day_start, day_end) = (mins(syllabus.day.start), mins(syllabus.day.end));
    // member → day → spans
    let mut spans: HashMap<(&str, NaiveDate), Vec<Span>> = HashMap::new();
    let mut sq_day: BTreeMap<(&str, NaiveDate), Vec<usize>> = BTreeMap::new();
    for (i, s) in plan.sessions.iter().enumerate() {
        let Some(item) = syllabus.item(&s.item) else {
            v("unknown", Some(i), format!("unknown item `{}`", s.item));
            continue;
        };
        if brigade.squadron(&s.squadron).is_none() {
            v(
                "unknown",
                Some(i),
                format!("unknown squadron `{}`", s.squadron),
            );
            continue;
        }
        let (a, b) = s.span_minutes();
        if a < day_start || b > day_end {
            v(
                "window",
                Some(i),
                format!("{} on {} runs outside the training day", s.item, s.date),
            );
        }
        let on_duty = rota.squadron_on(s.date) == Some(s.squadron.as_str());
        if on_duty {
            let ok = match syllabus.duty.on_duty {
                OnDuty::None => false,
                OnDuty::Station => item.on_station,
                _ => true,
            };
            if !ok {
                v(
                    "duty",
                    Some(i),
                    format!(
                        "`{}` trains {} on {} while on duty",
                        s.squadron, s.item, s.date
                    ),
                );
            }
        }
        let came_off =
            s.date.pred_opt().and_then(|y| rota.squadron_on(y)) == Some(s.squadron.as_str());
        if came_off
            && !on_duty
            && a < mins(syllabus.duty.change_at) + syllabus.duty.rest_after_minutes
        {
            v(
                "rest",
                Some(i),
                format!(
                    "`{}` trains {} on {} before its rest after duty ends",
                    s.squadron, s.item, s.date
                ),
            );
        }
        let n = s.members.len() as u32;
        if n < item.group_min || n > item.group_max {
            v(
                "group",
                Some(i),
                format!(
                    "{} on {} has {n} members; the item takes {} to {}",
                    s.item, s.date, item.group_min, item.group_max
                ),
            );
        }
        match (&item.instructor, &s.instructor) {
            (Some(skill), Some(who)) => {
                let ok = brigade
                    .member(who)
                    .and_then(|m| m.current_level(skill, s.date))
                    .is_some_and(|l| l >= item.instructor_level);
                if !ok {
                    v(
                        "instructor",
                        Some(i),
                        format!(
                            "{who} does not hold `{skill}` at level {} on {}",
                            item.instructor_level, s.date
                        ),
                    );
                }
            }
            (Some(skill), None) => v(
                "instructor",
                Some(i),
                format!(
                    "{} on {} has no instructor holding `{skill}`",
                    s.item, s.date
                ),
            ),
            _ => {}
        }
        let reserved = if syllabus.duty.shift_leader && on_duty {
            shift_leader(brigade, &syllabus.leave, &s.squadron, s.date)
        } else {
            None
        };
        let mut seen = std::collections::HashSet::new();
        for who in s.people() {
            if !seen.insert(who) {
                v(
                    "double-booked",
                    Some(i),
                    format!("{who} appears twice in {} on {}", s.item, s.date),
                );
            }
            let Some(m) = brigade.member(who) else {
                v("unknown", Some(i), format!("unknown member `{who}`"));
                continue;
            };
            if m.squadron != s.squadron {
                v(
                    "squadron",
                    Some(i),
                    format!("{who} is in `{}`, not `{}`", m.squadron, s.squadron),
                );
            }
            if let Some(l) = on_leave(&syllabus.leave, who, s.date) {
                v(
                    "leave",
                    Some(i),
                    format!("{who} is on leave ({}) on {}", l.reason, s.date),
                );
            }
            if reserved == Some(who) {
                v(
                    "shift-leader",
                    Some(i),
                    format!(
                        "{who} leads the duty shift on {} but trains {}",
                        s.date, s.item
                    ),
                );
            }
            spans.entry((who, s.date)).or_default().push((a, b, i));
        }
        for who in &s.members {
            if let Some(m) = brigade.member(who) {
                for skill in &item.requires {
                    if m.current_level(skill, s.date).is_none() {
                        v(
                            "skill",
                            Some(i),
                            format!("{who} is not current in `{skill}` on {}", s.date),
                        );
                    }
                }
            }
        }
        sq_day
            .entry((s.squadron.as_str(), s.date))
            .or_default()
            .push(i);
    }
    let rest = syllabus.day.rest_minutes;
    let mut keys: Vec<_> = spans.keys().copied().collect();
    keys.sort();
    for key in keys {
        let mut list = spans[&key].clone();
        list.sort();
        let total: u32 = list.iter().map(|(a, b, _)| b - a).sum();
        if total > syllabus.day.max_minutes_per_day {
            v(
                "day-limit",
                None,
                format!(
                    "{} trains {total} minutes on {}; the limit is {}",
                    key.0, key.1, syllabus.day.max_minutes_per_day
                ),
            );
        }
        for w in list.windows(2) {
            if w[1].0 < w[0].1 + rest {
                v(
                    "double-booked",
                    Some(w[1].2),
                    format!(
                        "{} is in two sessions on {} without {rest} minutes' rest between",
                        key.0, key.1
                    ),
                );
            }
        }
    }
    for ((sq, day), list) in &sq_day {
        // Check equipment at every session start: the peak of overlapping use.
        for &i in list {
            let (a, _) = plan.sessions[i].span_minutes();
            let mut used: BTreeMap<&str, u32> = BTreeMap::new();
            for &j in list {
                let (c, d) = plan.sessions[j].span_minutes();
                if c <= a && a < d {
                    for (eq, n) in &plan.sessions[j].equipment {
                        *used.entry(eq).or_default() += n;
                    }
                }
            }
            for (eq, n) in used {
                let pool = pool_on(brigade, &syllabus.outages, sq, eq, *day);
                if n > pool {
                    v(
                        "equipment",
                        Some(i),
                        format!("`{sq}` uses {n} {eq} at once on {day}; it has {pool}"),
                    );
                }
            }
        }
    }
    if syllabus.duty.shift_leader {
        let mut day = plan.from;
        while day <= plan.to {
            if let Some(sq) = rota.squadron_on(day) {
                let free = brigade.members_of(sq).any(|m| {
                    m.leader
                        && on_leave(&syllabus.leave, &m.id, day).is_none()
                        && !spans.contains_key(&(m.id.as_str(), day))
                });
                if !free {
                    v(
                        "shift-leader",
                        None,
                        format!("no leader of `{sq}` is free to lead the duty shift on {day}"),
                    );
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
    }
    out
}
