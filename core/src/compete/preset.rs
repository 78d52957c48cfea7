//! Two real rule sets shipped as presets.
//!
//! * [`Preset::CombatChallenge`]: a timed course in the style of the
//!   Firefighter Combat Challenge (the timed stair climb, hose hoist, forcible
//!   entry, hose advance and victim rescue course run at firefighter
//!   competitions). Each run's time counts, infractions add penalty seconds,
//!   and safety faults disqualify the run — that run only, so with best of
//!   two the other run still counts (`dq = "attempt"`). Muster's preset uses penalties of
//!   2, 5 and 10 seconds and the fault codes listed on
//!   [`COMBAT_PENALTIES`] and [`COMBAT_DQ_FAULTS`]; it is modelled on that
//!   style of rule book, not a copy of any one edition.
//! * [`Preset::ProgrammingContest`]: the ranking of the ICPC (International
//!   Collegiate Programming Contest) rules: more problems solved ranks first;
//!   equal counts rank by less total time, where a solved problem's time is
//!   the minutes from the start to its accepted solution plus 20 penalty
//!   minutes for each rejected try on it (rejected tries on unsolved problems
//!   cost nothing); still equal, the earlier last accepted solution wins.
//!   Muster uses it for exercises with several problems (e.g. a landslide
//!   casualty search with several targets): targets found, then time. A
//!   disqualification there removes the team, so the preset's `dq` is
//!   `"entrant"`.

use std::collections::BTreeMap;

use super::model::{Combine, DqRule, TieBreak};

/// A built-in rule set an event may name as `preset = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Preset {
    /// Time plus penalty seconds, DQ for safety faults (firefighter combat challenge style).
    CombatChallenge,
    /// More solved first, then less total time with 20 penalty minutes per wrong try (ICPC style).
    ProgrammingContest,
}

/// Penalty codes of the combat-challenge preset and their seconds.
pub const COMBAT_PENALTIES: &[(&str, f64)] = &[
    // 2 s: a course marker knocked over, a stair skipped.
    ("cone", 2.0),
    ("stair-skip", 2.0),
    // 5 s: a tool or hose dropped or thrown, a line crossed early.
    ("drop", 5.0),
    ("line-early", 5.0),
    // 10 s: the target not hit, the dummy dragged by a limb, the nozzle not shut.
    ("target-miss", 10.0),
    ("dummy-limb", 10.0),
    ("nozzle-open", 10.0),
];

/// Fault codes that disqualify a run under the combat-challenge preset.
pub const COMBAT_DQ_FAULTS: &[&str] = &["helmet-off", "ppe-removed", "unsafe-act", "course-cut"];

/// What a preset fills in when the event does not say otherwise.
pub(super) struct Defaults {
    pub rule: &'static str,
    pub penalties: BTreeMap<String, f64>,
    pub dq_faults: Vec<String>,
    pub penalty_minutes: f64,
    pub attempts: u32,
    pub combine: Combine,
    pub dq: DqRule,
    pub tie_breaks: Vec<TieBreak>,
}

impl Preset {
    pub(super) fn defaults(self) -> Defaults {
        match self {
            Preset::CombatChallenge => Defaults {
                rule: "time-penalty",
                penalties: COMBAT_PENALTIES
                    .iter()
                    .map(|(c, s)| (c.to_string(), *s))
                    .collect(),
                dq_faults: COMBAT_DQ_FAULTS.iter().map(|c| c.to_string()).collect(),
                penalty_minutes: 0.0,
                attempts: 2,
                combine: Combine::Best,
                // A safety fault disqualifies the run, not the competitor.
                dq: DqRule::Attempt,
                tie_breaks: vec![TieBreak::NextBest, TieBreak::FewerPenalties],
            },
            Preset::ProgrammingContest => Defaults {
                rule: "count-time",
                penalties: BTreeMap::new(),
                dq_faults: Vec::new(),
                penalty_minutes: 20.0,
                attempts: 1,
                combine: Combine::Best,
                dq: DqRule::Entrant,
                tie_breaks: vec![TieBreak::EarlierLastSolve],
            },
        }
    }
}
