//! Projections: what the ledger says now — hours, skills, currency, attendance.
//!
//! Every projection skips entries reversed by a correction.
//!
//! # Skills and hazards
//!
//! "One speciality, many skills": each member has one speciality and must be
//! current in skills of several hazards. [`HAZARD_SKILLS`] maps each hazard to
//! the skills that count for it; a member is current in a hazard on a day when
//! they hold at least one current qualification in one of its skills. Skills
//! in no row (e.g. `command`, `drone`, `first-aid`) support every hazard and
//! count for none alone.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::{Entry, EntryKind, LedgerError};

/// Which skills count for which hazard (see the module docs).
pub const HAZARD_SKILLS: &[(&str, &[&str])] = &[
    (
        "forest-fire",
        &[
            "wind-extinguisher",
            "hand-tools",
            "chainsaw",
            "water-pump",
            "fire-line",
        ],
    ),
    (
        "landslide",
        &["rope-rescue", "search-and-rescue", "shoring", "excavation"],
    ),
    (
        "water-rescue",
        &["assault-boat", "rubber-boat", "swift-water", "diving"],
    ),
];

/// The hazards a skill counts for.
pub fn hazard_of(skill: &str) -> impl Iterator<Item = &'static str> + '_ {
    HAZARD_SKILLS
        .iter()
        .filter(move |(_, skills)| skills.contains(&skill))
        .map(|(h, _)| *h)
}

/// Which training hours to add up. Empty fields mean "all".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HourQuery {
    /// Only this member.
    pub member: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// From this time, inclusive.
    pub from: Option<DateTime<FixedOffset>>,
    /// Until this time, exclusive.
    pub to: Option<DateTime<FixedOffset>>,
}

/// Hours of one member in one category.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct HourLine {
    /// Member id.
    pub member: String,
    /// Category.
    pub category: String,
    /// Hours, summed in entry order.
    pub hours: f64,
    /// Sessions attended.
    pub sessions: u64,
}

/// Adds up training hours by member and category, in entry order.
pub(crate) fn hour_lines(
    entries: &[Entry],
    corrected: &BTreeSet<u64>,
    q: &HourQuery,
) -> Result<Vec<HourLine>, LedgerError> {
    let mut sums: BTreeMap<(String, String), (f64, u64)> = BTreeMap::new();
    for e in entries {
        let EntryKind::TrainingAttended {
            member,
            category,
            hours,
            ..
        } = &e.kind
        else {
            continue;
        };
        if corrected.contains(&e.seq)
            || q.member.as_ref().is_some_and(|m| m != member)
            || q.category.as_ref().is_some_and(|c| c != category)
            || q.from.is_some_and(|f| e.at < f)
            || q.to.is_some_and(|t| e.at >= t)
        {
            continue;
        }
        let s = sums.entry((member.clone(), category.clone())).or_default();
        s.0 += hours;
        s.1 += 1;
    }
    Ok(sums
        .into_iter()
        .map(|((member, category), (hours, sessions))| HourLine {
            member,
            category,
            hours,
            sessions,
        })
        .collect())
}

/// One member's standing in one skill.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct MatrixCell {
    /// Member id.
    pub member: String,
    /// Member's squadron.
    pub squadron: String,
    /// Skill id.
    pub skill: String,
    /// Level 1–3.
    pub level: u8,
    /// Last day current; none when it does not expire.
    pub valid_until: Option<NaiveDate>,
}

/// How soon a qualification runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Alert {
    /// Already past its last day.
    Expired,
    /// Today is its last day (the 0-day alert).
    Today,
    /// Runs out within 7 days.
    Within7,
    /// Runs out within 30 days.
    Within30,
}

impl std::fmt::Display for Alert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Alert::Expired => "expired",
            Alert::Today => "0-day",
            Alert::Within7 => "7-day",
            Alert::Within30 => "30-day",
        })
    }
}

/// A qualification that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CurrencyLine {
    /// Member id.
    pub member: String,
    /// Skill id.
    pub skill: String,
    /// Last day current.
    pub valid_until: NaiveDate,
    /// Days from the report date to the last day (negative when expired).
    pub days_left: i64,
    /// The alert band.
    pub alert: Alert,
}

/// How many of a squadron's members are current in a hazard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct SquadronReadiness {
    /// Squadron id.
    pub squadron: String,
    /// Hazard.
    pub hazard: String,
    /// Members current in at least one of the hazard's skills.
    pub current: u32,
    /// Members in the squadron.
    pub members: u32,
}

/// One member's attendance in a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Attendance {
    /// Member id.
    pub member: String,
    /// Training sessions attended.
    pub sessions: u64,
    /// Training hours.
    pub hours: f64,
    /// Drill runs taken part in.
    pub drills: u64,
}

#[derive(Debug, Clone)]
struct MemberInfo {
    squadron: String,
    active: bool,
}

/// The ledger's state, built once from its entries, answering the commander's questions.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    members: BTreeMap<String, MemberInfo>,
    skills: BTreeMap<(String, String), (u8, Option<NaiveDate>)>,
    training: Vec<(String, DateTime<FixedOffset>, f64)>,
    drills: Vec<(String, DateTime<FixedOffset>)>,
}

impl Projection {
    /// Builds the state from all entries, in order, skipping corrected ones.
    pub fn build(entries: &[Entry]) -> Projection {
        let corrected: BTreeSet<u64> = entries
            .iter()
            .filter_map(|e| match e.kind {
                EntryKind::Correction { reverses, .. } => Some(reverses),
                _ => None,
            })
            .collect();
        let mut p = Projection::default();
        for e in entries.iter().filter(|e| !corrected.contains(&e.seq)) {
            match &e.kind {
                EntryKind::MemberJoined {
                    member, squadron, ..
                } => {
                    p.members.insert(
                        member.clone(),
                        MemberInfo {
                            squadron: squadron.clone(),
                            active: true,
                        },
                    );
                }
                EntryKind::MemberLeft { member, .. } => {
                    if let Some(m) = p.members.get_mut(member) {
                        m.active = false;
                    }
                }
                EntryKind::QualificationGranted {
                    member,
                    skill,
                    level,
                    valid_until,
                }
                | EntryKind::QualificationRenewed {
                    member,
                    skill,
                    level,
                    valid_until,
                } => {
                    p.skills
                        .insert((member.clone(), skill.clone()), (*level, *valid_until));
                }
                EntryKind::QualificationRevoked { member, skill, .. } => {
                    p.skills.remove(&(member.clone(), skill.clone()));
                }
                EntryKind::TrainingAttended { member, hours, .. } => {
                    p.training.push((member.clone(), e.at, *hours));
                }
                EntryKind::DrillRun { members, .. } => {
                    for m in members {
                        p.drills.push((m.clone(), e.at));
                    }
                }
                _ => {}
            }
        }
        p
    }

    fn active(&self) -> impl Iterator<Item = (&String, &MemberInfo)> {
        self.members.iter().filter(|(_, m)| m.active)
    }

    /// Members × skills, with level and expiry, for members still in the brigade.
    pub fn skills_matrix(&self) -> Vec<MatrixCell> {
        self.skills
            .iter()
            .filter_map(|((member, skill), (level, valid_until))| {
                let info = self.members.get(member).filter(|m| m.active)?;
                Some(MatrixCell {
                    member: member.clone(),
                    squadron: info.squadron.clone(),
                    skill: skill.clone(),
                    level: *level,
                    valid_until: *valid_until,
                })
            })
            .collect()
    }

    /// Qualifications that expire within 30 days of `day`, or have expired.
    pub fn currency(&self, day: NaiveDate) -> Vec<CurrencyLine> {
        let mut out: Vec<CurrencyLine> = self
            .skills_matrix()
            .into_iter()
            .filter_map(|c| {
                let until = c.valid_until?;
                let days_left = (until - day).num_days();
                let alert = match days_left {
                    d if d < 0 => Alert::Expired,
                    0 => Alert::Today,
                    1..=7 => Alert::Within7,
                    8..=30 => Alert::Within30,
                    _ => return None,
                };
                Some(CurrencyLine {
                    member: c.member,
                    skill: c.skill,
                    valid_until: until,
                    days_left,
                    alert,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (a.days_left, &a.member, &a.skill).cmp(&(b.days_left, &b.member, &b.skill))
        });
        out
    }

    /// Per squadron and hazard, how many members are current on `day`.
    pub fn readiness(&self, day: NaiveDate) -> Vec<SquadronReadiness> {
        let mut out = Vec::new();
        let squadrons: BTreeSet<&String> = self.active().map(|(_, m)| &m.squadron).collect();
        for sq in squadrons {
            let members: Vec<&String> = self
                .active()
                .filter(|(_, m)| &m.squadron == sq)
                .map(|(id, _)| id)
                .collect();
            for (hazard, skills) in HAZARD_SKILLS {
                let current = members
                    .iter()
                    .filter(|id| {
                        skills.iter().any(|s| {
                            self.skills
                                .get(&((**id).clone(), (*s).to_string()))
                                .is_some_and(|(_, until)| until.is_none_or(|u| day <= u))
                        })
                    })
                    .count();
                out.push(SquadronReadiness {
                    squadron: sq.clone(),
                    hazard: (*hazard).to_string(),
                    current: current as u32,
                    members: members.len() as u32,
                });
            }
        }
        out
    }

    /// Sessions, hours and drills per member between `from` (inclusive) and `to` (exclusive).
    pub fn attendance(
        &self,
        from: Option<DateTime<FixedOffset>>,
        to: Option<DateTime<FixedOffset>>,
    ) -> Vec<Attendance> {
        let within = |at: &DateTime<FixedOffset>| {
            from.is_none_or(|f| *at >= f) && to.is_none_or(|t| *at < t)
        };
        let mut by: BTreeMap<&String, Attendance> = BTreeMap::new();
        for (id, _) in self.active() {
            by.insert(
                id,
                Attendance {
                    member: id.clone(),
                    sessions: 0,
                    hours: 0.0,
                    drills: 0,
                },
            );
        }
        for (m, at, hours) in &self.training {
            if let Some(a) = by.get_mut(m).filter(|_| within(at)) {
                a.sessions += 1;
                a.hours += hours;
            }
        }
        for (m, at) in &self.drills {
            if let Some(a) = by.get_mut(m).filter(|_| within(at)) {
                a.drills += 1;
            }
        }
        by.into_values().collect()
    }
}
