//! Competitions: events, attempts, rankings with stated tie-breaks, protests
//! and official results, rejudging, season tables.
//!
//! Pure: no file, no clock. Times of protests and publications come in on
//! the entries. Every step of a competition is a [`CompetitionEntry`]; the
//! ledger stores them, and [`standings`] folds them.
//!
//! ```
//! use muster_core::compete::{self, Attempt, Competition, CompetitionEntry};
//!
//! let comp = Competition::parse("daily.toml", r#"
//! [competition]
//! id = "daily"
//! name = "Daily contest"
//!
//! [[entrants]]
//! id = "nantang"
//! name = "Nantang"
//! kind = "squadron"
//!
//! [[entrants]]
//! id = "wuyun"
//! name = "Wuyun"
//! kind = "squadron"
//!
//! [[events]]
//! id = "relay"
//! name = "Hose relay"
//! kind = "team"
//! preset = "combat-challenge"
//! "#).unwrap();
//! let mut a = Attempt::new("relay", "nantang");
//! a.time = Some(95.0);
//! let mut b = Attempt::new("relay", "wuyun");
//! b.time = Some(90.0);
//! b.penalties.insert("drop".into(), 1);
//! let entries = [CompetitionEntry::Attempt(a), CompetitionEntry::Attempt(b)];
//! let s = compete::standings(&comp, &entries).unwrap();
//! // 90 s plus 5 penalty seconds ties 95 s; the preset's tie-breaks then
//! // prefer fewer penalties.
//! let relay = &s.events[0];
//! assert_eq!(relay.rows[0].entrant, "nantang");
//! assert_eq!(relay.rows[0].note, "ahead on tie-break: fewer penalties");
//! assert_eq!(relay.rows[1].place, Some(2));
//! ```

mod entry;
mod input;
mod log;
mod model;
mod output;
mod preset;
mod rank;
#[cfg(test)]
mod tests;

pub use entry::{
    Attempt, AttemptStatus, CompeteError, CompetitionEntry, Contest, EventState, Outcome, Problem,
    Rescore,
};
pub use input::CSV_COLUMNS;
pub use log::{CompetitionLog, LogError, MODULE};
pub use model::{
    Better, Combine, Competition, DqRule, Entrant, EntrantKind, Event, EventKind, MarksMethod,
    Overall, OverallMethod, Rule, TieBreak,
};
pub use output::{Table, bar_chart_svg};
pub use preset::{COMBAT_DQ_FAULTS, COMBAT_PENALTIES, Preset};
pub use rank::{EventRow, EventStandings, OverallRow, ResultStatus, Standings};

use crate::score::ScorerId;

/// The standings after folding `entries` in order.
///
/// Fails on the first refused entry with its 1-based position and the reason.
pub fn standings(
    competition: &Competition,
    entries: &[CompetitionEntry],
) -> Result<Standings, EntryError> {
    let contest = Contest::from_entries(competition, entries)
        .map_err(|(index, error)| EntryError { index, error })?;
    Ok(contest.standings())
}

/// A refused entry and its position in the list.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("entry {index}: {error}")]
#[non_exhaustive]
pub struct EntryError {
    /// 1-based position of the entry.
    pub index: usize,
    /// Why it was refused.
    pub error: CompeteError,
}

impl Contest<'_> {
    /// The standings so far.
    pub fn standings(&self) -> Standings {
        rank::standings(self)
    }

    /// Re-scores an event's attempts with a new scorer's cards and returns the
    /// ranking before and after. The contest takes the rejudge only when
    /// every card names a recorded attempt; otherwise nothing changes.
    pub fn rejudge(
        &mut self,
        event: &str,
        scorer: ScorerId,
        cards: Vec<Rescore>,
    ) -> Result<RankingDiff, CompeteError> {
        let entry = CompetitionEntry::Rejudge {
            event: event.to_string(),
            scorer,
            cards,
        };
        let ev = self.competition().event(event);
        let before = ev.map(|e| rank::event_standings(self, e));
        self.apply(&entry)?;
        let (Some(ev), Some(before)) = (ev, before) else {
            // apply() refuses unknown events, so both exist here.
            return Err(CompeteError::NotScorerEvent {
                event: event.to_string(),
            });
        };
        let after = rank::event_standings(self, ev);
        Ok(RankingDiff::new(&before, &after))
    }
}

/// One entrant's place before and after a change.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct DiffRow {
    /// Entrant id.
    pub entrant: String,
    /// Entrant name.
    pub name: String,
    /// Place before.
    pub before: Option<u32>,
    /// Result before, as shown.
    pub before_result: String,
    /// Place after.
    pub after: Option<u32>,
    /// Result after, as shown.
    pub after_result: String,
    /// Places gained (positive) or lost (negative); 0 when unplaced either side.
    pub moved: i64,
}

/// An event's ranking before and after, side by side, in the order after.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct RankingDiff {
    /// Event id.
    pub event: String,
    /// Rows in the order of the ranking after.
    pub rows: Vec<DiffRow>,
}

impl RankingDiff {
    /// Compares two standings of the same event.
    pub fn new(before: &EventStandings, after: &EventStandings) -> RankingDiff {
        let rows = after
            .rows
            .iter()
            .map(|a| {
                let b = before.rows.iter().find(|b| b.entrant == a.entrant);
                let bp = b.and_then(|b| b.place);
                DiffRow {
                    entrant: a.entrant.clone(),
                    name: a.name.clone(),
                    before: bp,
                    before_result: b.map_or(String::new(), |b| b.result.clone()),
                    after: a.place,
                    after_result: a.result.clone(),
                    moved: match (bp, a.place) {
                        (Some(x), Some(y)) => i64::from(x) - i64::from(y),
                        _ => 0,
                    },
                }
            })
            .collect();
        RankingDiff {
            event: after.event.clone(),
            rows,
        }
    }

    /// True when some entrant's place changed.
    pub fn changed(&self) -> bool {
        self.rows.iter().any(|r| r.before != r.after)
    }
}

/// A season table: squadrons ranked month by month, and over the season.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct SeasonTable {
    /// Month labels, in order.
    pub months: Vec<String>,
    /// Rows by season place.
    pub rows: Vec<SeasonRow>,
}

/// One squadron in a season table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct SeasonRow {
    /// Season place.
    pub place: u32,
    /// True when shared.
    pub shared: bool,
    /// Squadron id.
    pub entrant: String,
    /// Squadron name.
    pub name: String,
    /// The monthly overall place among squadrons, per month (none when absent).
    pub monthly: Vec<Option<u32>>,
    /// Season points.
    pub total: f64,
    /// The tie-break that decided the place, if one did.
    pub note: String,
}

impl SeasonTable {
    /// Ranks the squadrons of monthly competitions: each month the squadrons
    /// are placed by that month's overall standings (other entrants left out),
    /// a place earns `points[place - 1]` (0 past the list), and the season
    /// ranks by total points, ties broken by more better monthly places, then shared.
    pub fn new(months: &[(&str, &Competition, &Standings)], points: &[f64]) -> SeasonTable {
        let mut ids: Vec<(String, String)> = Vec::new();
        let mut monthly: Vec<Vec<Option<u32>>> = Vec::new();
        for (m, (_, comp, st)) in months.iter().enumerate() {
            let rows: Vec<&OverallRow> = st
                .overall
                .iter()
                .filter(|r| rank::is_squadron(comp, &r.entrant))
                .collect();
            let totals: Vec<(f64, Vec<u32>)> =
                rows.iter().map(|r| (r.total, vec![r.place])).collect();
            let places = rank::rank_totals(&totals, &comp.overall.tie_breaks);
            for (r, (place, _, _)) in rows.iter().zip(places) {
                let i = match ids.iter().position(|(id, _)| id == &r.entrant) {
                    Some(i) => i,
                    None => {
                        ids.push((r.entrant.clone(), r.name.clone()));
                        monthly.push(vec![None; months.len()]);
                        ids.len() - 1
                    }
                };
                monthly[i][m] = Some(place);
            }
        }
        let totals: Vec<(f64, Vec<u32>)> = monthly
            .iter()
            .map(|ps| {
                let places: Vec<u32> = ps.iter().flatten().copied().collect();
                let t = places
                    .iter()
                    .map(|p| points.get(*p as usize - 1).copied().unwrap_or(0.0))
                    .sum();
                (t, places)
            })
            .collect();
        let ranks = rank::rank_totals(&totals, &[TieBreak::MoreBetterPlaces]);
        let mut rows: Vec<SeasonRow> = ids
            .into_iter()
            .enumerate()
            .map(|(i, (entrant, name))| SeasonRow {
                place: ranks[i].0,
                shared: ranks[i].1,
                entrant,
                name,
                monthly: monthly[i].clone(),
                total: totals[i].0,
                note: ranks[i].2.clone(),
            })
            .collect();
        rows.sort_by_key(|r| r.place);
        SeasonTable {
            months: months.iter().map(|(m, _, _)| m.to_string()).collect(),
            rows,
        }
    }
}
