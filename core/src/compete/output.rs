//! Standings as tables, CSV and an SVG bar chart.

use std::fmt::Write as _;

use super::rank::{EventStandings, ResultStatus, Standings};
use super::{RankingDiff, SeasonTable};

/// A table ready to print: a title, a header and rows of text cells.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Table {
    /// What the table shows.
    pub title: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as CSV (RFC 4180: commas, quotes doubled, CRLF-free `\n` lines).
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        };
        line(&self.header, &mut out);
        for r in &self.rows {
            line(r, &mut out);
        }
        out
    }
}

fn csv_cell(c: &str) -> String {
    if c.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c.to_string()
    }
}

fn place_text(place: Option<u32>, shared: bool) -> String {
    match place {
        Some(p) if shared => format!("={p}"),
        Some(p) => p.to_string(),
        None => "-".into(),
    }
}

fn num(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r}")
    }
}

impl EventStandings {
    /// The event's standings as a table: place (`=2` when shared), entrant,
    /// result, attempts, status, note.
    pub fn table(&self) -> Table {
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut status = match r.status {
                    ResultStatus::Ranked => String::new(),
                    ResultStatus::Dnf => "DNF".into(),
                    ResultStatus::Dq => "DQ".into(),
                    ResultStatus::Dns => "DNS".into(),
                };
                for (flag, word) in [(r.held, "held"), (r.corrected, "corrected")] {
                    if flag {
                        if !status.is_empty() {
                            status.push(' ');
                        }
                        status.push_str(word);
                    }
                }
                vec![
                    place_text(r.place, r.shared),
                    r.entrant.clone(),
                    r.name.clone(),
                    r.result.clone(),
                    r.attempts.join("; "),
                    status,
                    r.note.clone(),
                ]
            })
            .collect();
        Table {
            title: format!("{} ({})", self.name, state_text(self.state)),
            header: [
                "place", "entrant", "name", "result", "attempts", "status", "note",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        }
    }

    /// A bar chart of the ranked results.
    pub fn svg(&self) -> String {
        let bars: Vec<(String, f64)> = self
            .rows
            .iter()
            .filter(|r| r.place.is_some())
            .map(|r| {
                (
                    format!("{} {}", place_text(r.place, r.shared), r.name),
                    r.count.unwrap_or(r.value.unwrap_or(0.0)),
                )
            })
            .collect();
        bar_chart_svg(&self.name, &bars)
    }
}

fn state_text(s: super::EventState) -> &'static str {
    match s {
        super::EventState::Provisional => "provisional",
        super::EventState::Protested => "protested",
        super::EventState::Official => "official",
    }
}

impl Standings {
    /// The overall standings as a table: place, entrant, points per event, total.
    pub fn overall_table(&self) -> Table {
        let title = format!(
            "{} overall ({})",
            self.name,
            if self.official {
                "official"
            } else {
                "provisional"
            }
        );
        let rows = self.overall.iter().map(|r| PointsRow {
            place: r.place,
            shared: r.shared,
            entrant: &r.entrant,
            name: &r.name,
            cells: r.points.iter().map(|p| num(*p)).collect(),
            total: r.total,
            note: &r.note,
        });
        points_table(title, ["entrant", "total"], &self.overall_events, rows)
    }

    /// Every table: each event's, then the overall one.
    pub fn tables(&self) -> Vec<Table> {
        let mut t: Vec<Table> = self.events.iter().map(EventStandings::table).collect();
        t.push(self.overall_table());
        t
    }

    /// CSV of every table, each preceded by a `# title` line.
    pub fn csv(&self) -> String {
        self.tables()
            .iter()
            .map(|t| format!("# {}\n{}", t.title, t.csv()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A bar chart of the overall totals.
    pub fn svg(&self) -> String {
        let bars: Vec<(String, f64)> = self
            .overall
            .iter()
            .map(|r| {
                (
                    format!("{} {}", place_text(Some(r.place), r.shared), r.name),
                    r.total,
                )
            })
            .collect();
        bar_chart_svg(&format!("{} overall", self.name), &bars)
    }
}

impl RankingDiff {
    /// Before and after side by side, with places moved (`+2`, `-1`).
    pub fn table(&self) -> Table {
        let rows = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.entrant.clone(),
                    r.name.clone(),
                    place_text(r.before, false),
                    r.before_result.clone(),
                    place_text(r.after, false),
                    r.after_result.clone(),
                    match r.moved {
                        0 => String::new(),
                        m if m > 0 => format!("+{m}"),
                        m => m.to_string(),
                    },
                ]
            })
            .collect();
        Table {
            title: format!("{} rejudged", self.event),
            header: [
                "entrant",
                "name",
                "before",
                "result before",
                "after",
                "result after",
                "moved",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        }
    }
}

impl SeasonTable {
    /// The season as a table: place, squadron, monthly places, points.
    pub fn table(&self) -> Table {
        let rows = self.rows.iter().map(|r| PointsRow {
            place: r.place,
            shared: r.shared,
            entrant: &r.entrant,
            name: &r.name,
            cells: r.monthly.iter().map(|p| place_text(*p, false)).collect(),
            total: r.total,
            note: &r.note,
        });
        points_table(
            "Season table".into(),
            ["squadron", "points"],
            &self.months,
            rows,
        )
    }
}

/// One row of a table of places and points totals.
struct PointsRow<'r> {
    place: u32,
    shared: bool,
    entrant: &'r str,
    name: &'r str,
    /// One cell for each of the table's `columns`.
    cells: Vec<String>,
    total: f64,
    note: &'r str,
}

/// A table of places and points totals: place, entrant, name, one column
/// each of `columns`, total and note; `[entrant, total]` names the entrant's
/// and the total's columns.
fn points_table<'r>(
    title: String,
    [entrant, total]: [&str; 2],
    columns: &[String],
    rows: impl Iterator<Item = PointsRow<'r>>,
) -> Table {
    let mut header: Vec<String> = vec!["place".into(), entrant.into(), "name".into()];
    header.extend(columns.iter().cloned());
    header.push(total.into());
    header.push("note".into());
    let rows = rows
        .map(|r| {
            let mut row = vec![
                place_text(Some(r.place), r.shared),
                r.entrant.to_string(),
                r.name.to_string(),
            ];
            row.extend(r.cells);
            row.push(num(r.total));
            row.push(r.note.to_string());
            row
        })
        .collect();
    Table {
        title,
        header,
        rows,
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart as hand-written SVG: one bar per label, the
/// longest bar for the largest value, values printed at the bar ends.
pub fn bar_chart_svg(title: &str, bars: &[(String, f64)]) -> String {
    const LEFT: f64 = 220.0;
    const WIDTH: f64 = 420.0;
    const ROW: f64 = 28.0;
    let max = bars
        .iter()
        .map(|(_, v)| *v)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let height = 50.0 + ROW * bars.len() as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" viewBox="0 0 {w} {height}" font-family="sans-serif" font-size="13">"#,
        w = LEFT + WIDTH + 80.0
    );
    let _ = writeln!(out, "  <title>{}</title>", esc(title));
    let _ = writeln!(
        out,
        r#"  <text x="10" y="22" font-size="15" font-weight="bold">{}</text>"#,
        esc(title)
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 36.0 + ROW * i as f64;
        let len = if max > 0.0 && v.is_finite() {
            (v / max * WIDTH).max(1.0)
        } else {
            1.0
        };
        let _ = writeln!(
            out,
            r#"  <text x="10" y="{:.1}">{}</text>"#,
            y + 15.0,
            esc(label)
        );
        let _ = writeln!(
            out,
            r##"  <rect x="{LEFT}" y="{y:.1}" width="{len:.1}" height="20" fill="{}"/>"##,
            if i == 0 { "#c0392b" } else { "#7f8c8d" }
        );
        let _ = writeln!(
            out,
            r#"  <text x="{:.1}" y="{:.1}">{}</text>"#,
            LEFT + len + 6.0,
            y + 15.0,
            num(*v)
        );
    }
    out.push_str("</svg>\n");
    out
}
