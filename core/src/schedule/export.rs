//! Exports: iCalendar (RFC 5545) per member and per squadron, and CSV.
//!
//! Times are written in UTC (`...Z`), converted from the brigade's zone, so
//! no VTIMEZONE block is needed. Lines are folded at 75 octets on character
//! boundaries; text is escaped. Core has no clock, so DTSTAMP is the start
//! of the plan's first day.

use std::fmt::Write as _;

use chrono::{DateTime, TimeZone, Utc};

use super::input::Syllabus;
use super::{Plan, Session, zone};
use crate::brigade::Brigade;

/// The calendar of one member: every session they teach or attend.
pub fn ics_for_member(plan: &Plan, syllabus: &Syllabus, member: &str) -> String {
    let name = format!("Muster training: {member}");
    calendar(plan, syllabus, &name, |s| s.people().any(|p| p == member))
}

/// The calendar of one squadron: every session it holds.
pub fn ics_for_squadron(plan: &Plan, syllabus: &Syllabus, squadron: &str) -> String {
    let name = format!("Muster training: {squadron}");
    calendar(plan, syllabus, &name, |s| s.squadron == squadron)
}

fn calendar(
    plan: &Plan,
    syllabus: &Syllabus,
    name: &str,
    keep: impl Fn(&Session) -> bool,
) -> String {
    let tz = zone(&plan.time_zone).unwrap_or(chrono_tz::Tz::UTC);
    let stamp = utc(tz, plan.from.and_time(chrono::NaiveTime::MIN));
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Muster//Training plan//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    for s in plan.sessions.iter().filter(|s| keep(s)) {
        let start = s.date.and_time(s.start);
        let end = start + chrono::Duration::minutes(i64::from(s.minutes));
        let item = syllabus.item(&s.item);
        let title = match item {
            Some(i) => match &i.name_zh {
                Some(zh) => format!("{} {zh} ({})", i.name, s.squadron),
                None => format!("{} ({})", i.name, s.squadron),
            },
            None => format!("{} ({})", s.item, s.squadron),
        };
        let mut desc = String::new();
        if let Some(i) = &s.instructor {
            let _ = writeln!(desc, "Instructor: {i}");
        }
        let _ = writeln!(desc, "Members: {}", s.members.join(", "));
        if !s.equipment.is_empty() {
            let eq: Vec<String> = s
                .equipment
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect();
            let _ = write!(desc, "Equipment: {}", eq.join(", "));
        }
        line(&mut out, "BEGIN:VEVENT");
        line(
            &mut out,
            &format!(
                "UID:{}-{}-{}-{}@muster",
                s.date.format("%Y%m%d"),
                s.start.format("%H%M"),
                s.item,
                s.squadron
            ),
        );
        line(&mut out, &format!("DTSTAMP:{}", stamp_text(stamp)));
        line(&mut out, &format!("DTSTART:{}", stamp_text(utc(tz, start))));
        line(&mut out, &format!("DTEND:{}", stamp_text(utc(tz, end))));
        line(&mut out, &format!("SUMMARY:{}", escape(&title)));
        line(
            &mut out,
            &format!("DESCRIPTION:{}", escape(desc.trim_end())),
        );
        line(
            &mut out,
            &format!(
                "CATEGORIES:{}",
                escape(item.map_or("", |i| i.category.as_str()))
            ),
        );
        if s.pinned {
            line(&mut out, "STATUS:CONFIRMED");
        } else {
            line(&mut out, "STATUS:TENTATIVE");
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

fn utc(tz: chrono_tz::Tz, local: chrono::NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

fn stamp_text(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes TEXT values: backslash, semicolon, comma, newline.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line folded at 75 octets, never inside a character, ending in CRLF.
fn line(out: &mut String, text: &str) {
    let mut width = 0;
    for c in text.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// The plan as CSV: one row per session, RFC 4180 quoting.
pub fn csv(plan: &Plan, brigade: &Brigade) -> String {
    let mut out =
        String::from("date,start,end,squadron,item,instructor,members,equipment,pinned,added\r\n");
    for s in &plan.sessions {
        let end = s.start + chrono::Duration::minutes(i64::from(s.minutes));
        let names: Vec<String> = s
            .members
            .iter()
            .map(|m| {
                brigade
                    .member(m)
                    .map_or(m.clone(), |x| format!("{m} {}", x.name))
            })
            .collect();
        let eq: Vec<String> = s
            .equipment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let cells = [
            s.date.to_string(),
            s.start.format("%H:%M").to_string(),
            end.format("%H:%M").to_string(),
            s.squadron.clone(),
            s.item.clone(),
            s.instructor.clone().unwrap_or_default(),
            names.join("; "),
            eq.join("; "),
            s.pinned.to_string(),
            s.added.to_string(),
        ];
        let row: Vec<String> = cells.iter().map(|c| quote(c)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

fn quote(c: &str) -> String {
    if c.contains([',', '"', '\n', '\r', ';']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_on_char_boundaries_and_escapes() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", escape(&"风力灭火机, 训练; a\\b\n".repeat(6)));
        line(&mut out, &long);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l:?} is {} octets", l.len());
        }
        let unfolded = out.replace("\r\n ", "").trim_end().to_string();
        assert_eq!(unfolded, long);
        assert!(long.starts_with("SUMMARY:风力灭火机\\, 训练\\; a\\\\b\\n"));
    }
}
