//! Attempts from CSV or JSON, and entries from JSON lines, with `line:col` diagnostics.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics, Severity};

use super::entry::{Attempt, AttemptStatus, CompetitionEntry, Problem};

/// Columns an attempts CSV may have; `event` and `entrant` are required.
pub const CSV_COLUMNS: &[&str] = &[
    "event",
    "entrant",
    "attempt",
    "status",
    "code",
    "reason",
    "time",
    "penalties",
    "items",
    "marks",
    "problems",
];

fn diag(file: &str, line: usize, column: usize, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: file.to_string(),
        line,
        column,
        task: None,
        message: message.into(),
    }
}

/// Splits one CSV record (RFC 4180 quoting) into cells with their 1-based columns.
fn split_csv(line: &str) -> Result<Vec<(String, usize)>, (usize, String)> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut start = 1;
    let mut chars = line.char_indices().peekable();
    let mut quoted = false;
    let mut col = 0;
    let mut at_start = true;
    while let Some((_, ch)) = chars.next() {
        col += 1;
        if quoted {
            if ch == '"' {
                if chars.peek().is_some_and(|(_, c)| *c == '"') {
                    chars.next();
                    col += 1;
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(ch);
            }
            continue;
        }
        match ch {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            ',' => {
                cells.push((std::mem::take(&mut cur), start));
                start = col + 1;
                at_start = true;
            }
            _ => {
                cur.push(ch);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err((start, "a quoted cell is not closed; end it with \"".into()));
    }
    cells.push((cur, start));
    Ok(cells)
}

/// `code:count;code:count` → map.
fn counts(s: &str) -> Result<BTreeMap<String, u32>, String> {
    let mut m = BTreeMap::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, n) = match part.split_once(':') {
            Some((c, n)) => (c.trim(), n.trim()),
            None => (part, "1"),
        };
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                format!("`{part}` must be CODE or CODE:COUNT with a count from 1 to 1000")
            })?;
        *m.entry(code.to_string()).or_insert(0) += n;
    }
    Ok(m)
}

fn number(s: &str, what: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
        .ok_or_else(|| format!("{what} \"{s}\" is not a number of 0 or more"))
}

impl Attempt {
    /// Sets one field from its text as an attempts CSV cell holds it (see
    /// [`CSV_COLUMNS`] and [`Attempt::parse_csv`] for the forms). Returns what
    /// is wrong and what would be right when the text is not a good value.
    pub fn set(&mut self, column: &str, cell: &str) -> Result<(), String> {
        let a = self;
        let cell = cell.trim();
        match column {
            "event" => a.event = cell.to_string(),
            "entrant" => a.entrant = cell.to_string(),
            "attempt" => {
                a.attempt = Some(
                    cell.parse()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| {
                            format!("attempt \"{cell}\" must be a whole number from 1 to 1000")
                        })?,
                )
            }
            "status" => {
                a.status = match cell.to_ascii_lowercase().as_str() {
                    "ok" => AttemptStatus::Ok,
                    "dns" => AttemptStatus::Dns,
                    "dnf" => AttemptStatus::Dnf,
                    "dq" => AttemptStatus::Dq,
                    _ => {
                        return Err(format!("status \"{cell}\" must be ok, dns, dnf or dq"));
                    }
                }
            }
            "code" => a.code = Some(cell.to_string()),
            "reason" => a.reason = Some(cell.to_string()),
            "time" => a.time = Some(number(cell, "time")?),
            "penalties" => a.penalties = counts(cell)?,
            "items" => a.items = counts(cell)?,
            "marks" => {
                a.marks = cell
                    .split(';')
                    .map(|m| number(m, "mark"))
                    .collect::<Result<_, _>>()?
            }
            "problems" => {
                for p in cell.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                    let mut it = p.split(':');
                    let id = it.next().unwrap_or_default().trim();
                    let at = it.next().map(str::trim).unwrap_or_default();
                    let wrong = it.next().map(str::trim).unwrap_or("0");
                    if id.is_empty() || it.next().is_some() {
                        return Err(format!(
                            "problem `{p}` must be ID:SOLVED_AT:WRONG, e.g. A:34:1 or B::2"
                        ));
                    }
                    let solved_at = if at.is_empty() {
                        None
                    } else {
                        Some(number(at, "solved_at")?)
                    };
                    let wrong = wrong
                        .parse()
                        .map_err(|_| format!("wrong tries \"{wrong}\" must be a whole number"))?;
                    a.problems.push(Problem::new(id, solved_at, wrong));
                }
            }
            other => {
                let hint = crate::scenario::closest_key(other, CSV_COLUMNS)
                    .map(|b| format!("did you mean `{b}`?"))
                    .unwrap_or_else(|| format!("the fields are: {}", CSV_COLUMNS.join(", ")));
                return Err(format!("unknown attempt field `{other}`; {hint}"));
            }
        }
        Ok(())
    }

    /// Reads attempts from CSV with a header row naming columns from
    /// [`CSV_COLUMNS`]. Lists in a cell are `;`-separated: penalties and
    /// items as `code:count`, marks as numbers, problems as
    /// `id:solved_at_minutes:wrong_tries` (solved_at empty when unsolved).
    /// Every problem is reported with its line and column.
    pub fn parse_csv(name: &str, text: &str) -> Result<Vec<Attempt>, Diagnostics> {
        let mut diags = Diagnostics::default();
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((hl, header)) = lines.next() else {
            diags.push(diag(
                name,
                1,
                1,
                "the file is empty; the first line must name the columns, e.g. event,entrant,time",
            ));
            return Err(diags);
        };
        let header = match split_csv(header) {
            Ok(h) => h,
            Err((col, msg)) => {
                diags.push(diag(name, hl + 1, col, msg));
                return Err(diags);
            }
        };
        let mut cols = Vec::new();
        for (h, col) in &header {
            let h = h.trim();
            if !CSV_COLUMNS.contains(&h) {
                let hint = crate::scenario::closest_key(h, CSV_COLUMNS)
                    .map(|b| format!("did you mean `{b}`?"))
                    .unwrap_or_else(|| format!("the columns are: {}", CSV_COLUMNS.join(", ")));
                diags.push(diag(
                    name,
                    hl + 1,
                    *col,
                    format!("unknown column `{h}`; {hint}"),
                ));
            } else if cols.contains(&h) {
                diags.push(diag(
                    name,
                    hl + 1,
                    *col,
                    format!("column `{h}` appears twice"),
                ));
            }
            cols.push(h);
        }
        for need in ["event", "entrant"] {
            if !cols.contains(&need) {
                diags.push(diag(
                    name,
                    hl + 1,
                    1,
                    format!("the header has no `{need}` column"),
                ));
            }
        }
        if diags.has_errors() {
            return Err(diags);
        }
        let mut out = Vec::new();
        for (ln, line) in lines {
            let cells = match split_csv(line) {
                Ok(c) => c,
                Err((col, msg)) => {
                    diags.push(diag(name, ln + 1, col, msg));
                    continue;
                }
            };
            if cells.len() != cols.len() {
                diags.push(diag(
                    name,
                    ln + 1,
                    1,
                    format!(
                        "the row has {} cells but the header names {} columns",
                        cells.len(),
                        cols.len()
                    ),
                ));
                continue;
            }
            let mut a = Attempt::default();
            for ((cell, col), key) in cells.iter().zip(&cols) {
                let cell = cell.trim();
                if cell.is_empty() {
                    continue;
                }
                let r = a.set(key, cell);
                if let Err(msg) = r {
                    diags.push(diag(name, ln + 1, *col, msg));
                }
            }
            for (need, v) in [("event", &a.event), ("entrant", &a.entrant)] {
                if v.is_empty() {
                    diags.push(diag(name, ln + 1, 1, format!("the row has no `{need}`")));
                }
            }
            out.push(a);
        }
        if diags.has_errors() {
            Err(diags)
        } else {
            Ok(out)
        }
    }

    /// Reads attempts from JSON: one attempt object or a list of them.
    pub fn parse_json(name: &str, text: &str) -> Result<Vec<Attempt>, Diagnostics> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            Many(Vec<Attempt>),
            One(Box<Attempt>),
        }
        // Parse as a value first so the error points at the bad attempt, not the list.
        let check = serde_json::from_str::<serde_json::Value>(text).and_then(|v| match v {
            serde_json::Value::Array(_) => {
                serde_json::from_str::<Vec<Attempt>>(text).map(OneOrMany::Many)
            }
            _ => serde_json::from_str::<Attempt>(text).map(|a| OneOrMany::One(Box::new(a))),
        });
        match check {
            Ok(OneOrMany::Many(v)) => Ok(v),
            Ok(OneOrMany::One(a)) => Ok(vec![*a]),
            Err(e) => {
                let mut d = Diagnostics::default();
                d.push(diag(
                    name,
                    e.line().max(1),
                    e.column().max(1),
                    json_message(&e),
                ));
                Err(d)
            }
        }
    }
}

fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    // serde_json appends " at line L column C"; the diagnostic carries those.
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl CompetitionEntry {
    /// Reads entries from JSON lines, one entry object per line; blank lines are skipped.
    pub fn parse_jsonl(name: &str, text: &str) -> Result<Vec<CompetitionEntry>, Diagnostics> {
        let mut out = Vec::new();
        let mut diags = Diagnostics::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<CompetitionEntry>(line) {
                Ok(e) => out.push(e),
                Err(e) => diags.push(diag(
                    name,
                    i + 1,
                    e.column().max(1),
                    entry_message(line, &e),
                )),
            }
        }
        if diags.has_errors() {
            Err(diags)
        } else {
            Ok(out)
        }
    }
}

/// The JSON error, or for a well-formed line whose `at` is not a time, what a time looks like.
fn entry_message(line: &str, e: &serde_json::Error) -> String {
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(line)
        && let Some(at) = o.get("at")
        && at
            .as_str()
            .is_none_or(|s| chrono::DateTime::parse_from_rfc3339(s).is_err())
    {
        return format!(
            "`at` is {at}, not an RFC 3339 time; write e.g. \"2026-12-05T10:00:00+08:00\""
        );
    }
    json_message(e)
}
