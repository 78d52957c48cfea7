//! The competition file: events, entrants, rules, and how it is read.

use std::collections::{BTreeMap, HashSet};

use toml::Spanned;

use crate::diag::{Diagnostics, Severity, SourceMap};
use crate::duration::Duration;
use crate::node::{self, Format};

use super::preset::Preset;

/// A competition, e.g. a month's contest: its events and entrants.
///
/// Built by [`Competition::parse`], which checks every reference.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Competition {
    /// Stable id, e.g. `2026-12`.
    pub id: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// Entrants, in file order.
    pub entrants: Vec<Entrant>,
    /// Events, in file order.
    pub events: Vec<Event>,
    /// How the overall standings across events are made.
    pub overall: Overall,
}

/// Who an entrant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntrantKind {
    /// One member of the brigade.
    Member,
    /// A squad.
    Squad,
    /// A squadron.
    Squadron,
}

/// A member, squad or squadron taking part.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Entrant {
    /// Stable id: the member or squadron id of the brigade file.
    pub id: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// Member, squad or squadron.
    pub kind: EntrantKind,
    /// For squads and squadrons: the member entrants in the team.
    pub members: Vec<String>,
}

impl Entrant {
    /// The name in English and Chinese where both exist.
    pub fn display_name(&self) -> String {
        match &self.name_zh {
            Some(zh) => format!("{} {zh}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Individual or team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// Members compete one by one.
    Individual,
    /// Squads or squadrons compete.
    Team,
}

/// Which way a score is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Less is better (times).
    Lower,
    /// More is better (points).
    Higher,
}

/// How judges' marks become one mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MarksMethod {
    /// The median mark.
    Median,
    /// Drop the highest and the lowest mark, then the mean of the rest.
    DropHighLow,
}

/// How an event scores one attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Rule {
    /// Time in seconds plus penalty seconds per fault code; listed faults disqualify. Lower wins.
    TimePenalty {
        /// Fault code → penalty seconds.
        penalties: BTreeMap<String, f64>,
        /// Fault codes that disqualify the attempt.
        dq_faults: Vec<String>,
    },
    /// Points from a table: item code → points, times how often. Higher wins.
    Points {
        /// Item code → points.
        table: BTreeMap<String, f64>,
    },
    /// Judges' marks aggregated by a stated method. Higher wins.
    Marks {
        /// Median, or drop highest and lowest then mean.
        method: MarksMethod,
        /// How many marks each attempt must carry.
        judges: u32,
    },
    /// More problems solved first, then less total time in minutes, with
    /// penalty minutes for each wrong try on a solved problem.
    CountTime {
        /// Minutes added per wrong try on a problem later solved.
        penalty_minutes: f64,
    },
    /// A scenario package's scorer: the attempt carries its [`ScoreCard`](crate::ScoreCard).
    Scorer {
        /// The scenario whose scorer is used.
        #[serde(skip_serializing_if = "Option::is_none")]
        scenario: Option<String>,
        /// Which way the card's total is better.
        better: Better,
    },
}

/// How the attempts of one entrant make its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    /// The best attempt counts.
    Best,
    /// The attempts are added up.
    Sum,
    /// The mean of the attempts.
    Average,
}

/// A rule for separating entrants whose results are equal, tried in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TieBreak {
    /// The better second attempt wins.
    SecondAttempt,
    /// The better next-best attempt wins (then the one after).
    NextBest,
    /// Fewer penalties (or wrong tries) win.
    FewerPenalties,
    /// The earlier last solved problem wins (count-time rule).
    EarlierLastSolve,
    /// More first places, then more second places, … win (overall and season tables).
    MoreBetterPlaces,
}

impl TieBreak {
    /// What the tie-break is called in notes.
    pub fn label(self) -> &'static str {
        match self {
            TieBreak::SecondAttempt => "second attempt",
            TieBreak::NextBest => "next-best attempt",
            TieBreak::FewerPenalties => "fewer penalties",
            TieBreak::EarlierLastSolve => "earlier last solve",
            TieBreak::MoreBetterPlaces => "more better places",
        }
    }
}

/// What a disqualified attempt does to its entrant in a best-of-N event.
///
/// Written in the competition file as `dq = "attempt"` or `dq = "entrant"`.
/// It matters only when attempts combine as `best`; when they are added up or
/// averaged every attempt counts, so a DQ attempt disqualifies the entrant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DqRule {
    /// The DQ voids that attempt only; the entrant's best valid attempt still
    /// counts, and the entrant is DQ only when no attempt is valid. The
    /// combat-challenge preset's rule: a safety fault disqualifies the run.
    Attempt,
    /// One DQ attempt disqualifies the entrant from the event, whatever the
    /// other attempts were. The default without a preset, and the
    /// programming-contest preset's rule (a team is disqualified, not a try).
    Entrant,
}

/// One event of a competition.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Event {
    /// Stable id.
    pub id: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// Individual or team.
    pub kind: EventKind,
    /// How one attempt is scored.
    pub rule: Rule,
    /// The preset the rule came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// Most attempts per entrant.
    pub attempts: u32,
    /// How attempts combine.
    pub combine: Combine,
    /// What a DQ attempt does when attempts combine as best.
    pub dq: DqRule,
    /// Tie-breaks, in order; after them a tie stays shared.
    pub tie_breaks: Vec<TieBreak>,
    /// For a team event scored from its members: how many best members count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_members: Option<u32>,
    /// Who may enter; all entrants of the matching kind when empty.
    pub entrants: Vec<String>,
    /// How long after results are posted a protest may be lodged.
    pub protest_window_secs: u64,
}

impl Event {
    /// Which way the event's results are better.
    pub fn better(&self) -> Better {
        match &self.rule {
            Rule::TimePenalty { .. } | Rule::CountTime { .. } => Better::Lower,
            Rule::Points { .. } | Rule::Marks { .. } => Better::Higher,
            Rule::Scorer { better, .. } => *better,
        }
    }

    /// True when a team's result comes from its best members' attempts.
    pub fn from_members(&self) -> bool {
        self.kind == EventKind::Team && self.best_members.is_some()
    }
}

/// How overall standings across events are made.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Overall {
    /// Points by place, or normalised scores.
    pub method: OverallMethod,
    /// The events that count; all when the file lists none.
    pub events: Vec<String>,
    /// Tie-breaks for equal totals; after them a tie stays shared.
    pub tie_breaks: Vec<TieBreak>,
}

/// How an event's result becomes overall points.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OverallMethod {
    /// Place 1 gets the first number, place 2 the second, …; later places get 0.
    PointsByPlace {
        /// Points for each place.
        points: Vec<f64>,
    },
    /// 1000 for the best result, the rest in proportion (best/result for
    /// lower-is-better, result/best for higher-is-better); unranked get 0.
    Normalised,
}

// ---------------------------------------------------------------- file shape

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    competition: FileMeta,
    #[serde(default)]
    overall: Option<Spanned<FileOverall>>,
    #[serde(default)]
    entrants: Vec<FileEntrant>,
    #[serde(default)]
    events: Vec<FileEvent>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMeta {
    id: Spanned<String>,
    name: String,
    name_zh: Option<String>,
    protest_window: Option<Spanned<String>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOverall {
    method: Spanned<String>,
    #[serde(default)]
    points: Vec<f64>,
    #[serde(default)]
    events: Vec<Spanned<String>>,
    #[serde(default)]
    tie_breaks: Vec<TieBreak>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntrant {
    id: Spanned<String>,
    name: String,
    name_zh: Option<String>,
    kind: EntrantKind,
    #[serde(default)]
    members: Vec<Spanned<String>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEvent {
    id: Spanned<String>,
    name: String,
    name_zh: Option<String>,
    kind: EventKind,
    preset: Option<Preset>,
    rule: Option<Spanned<String>>,
    attempts: Option<Spanned<u32>>,
    combine: Option<Combine>,
    dq: Option<DqRule>,
    tie_breaks: Option<Vec<TieBreak>>,
    penalties: Option<BTreeMap<String, f64>>,
    dq_faults: Option<Vec<String>>,
    points: Option<BTreeMap<String, f64>>,
    marks: Option<MarksMethod>,
    judges: Option<Spanned<u32>>,
    penalty_minutes: Option<f64>,
    scenario: Option<String>,
    better: Option<Better>,
    best_members: Option<Spanned<u32>>,
    #[serde(default)]
    entrants: Vec<Spanned<String>>,
    protest_window: Option<Spanned<String>>,
}

/// Rules an event may name.
const RULES: &[&str] = &["time-penalty", "points", "marks", "count-time", "scorer"];
/// Most attempts an event may allow.
const MAX_ATTEMPTS: u32 = 100;

impl Competition {
    /// Parses a competition file (TOML) and checks it: unique ids, known
    /// rules, every referenced entrant and event known, teams made of member
    /// entrants. Returns every problem found, each with its line and column.
    pub fn parse(name: &str, text: &str) -> Result<Competition, Diagnostics> {
        let map = SourceMap::new(name, text);
        let mut diags = Diagnostics::default();
        // The spanned tree guards against hostile nesting and reports syntax errors.
        if node::parse(&map, text, Format::Toml, &mut diags).is_none() {
            return Err(diags);
        }
        let file: File = match toml::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let msg = e.message().trim().trim_end_matches('.').replace('\n', " ");
                diags.push(map.diag(Severity::Error, &span, None, msg));
                return Err(diags);
            }
        };
        let mut d = Check {
            map: &map,
            diags: &mut diags,
        };
        let c = d.competition(file);
        diags.sort();
        match c {
            Some(c) if !diags.has_errors() => Ok(c),
            _ => Err(diags),
        }
    }

    /// The entrant with this id.
    pub fn entrant(&self, id: &str) -> Option<&Entrant> {
        self.entrants.iter().find(|e| e.id == id)
    }

    /// The event with this id.
    pub fn event(&self, id: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.id == id)
    }

    /// The entrants who may make attempts in an event: members for individual
    /// events and for team events scored from members, teams otherwise.
    pub fn attempters(&self, event: &Event) -> Vec<&Entrant> {
        let want_member = event.kind == EventKind::Individual || event.from_members();
        let teams: Vec<&Entrant> = self.teams(event);
        self.entrants
            .iter()
            .filter(|e| (e.kind == EntrantKind::Member) == want_member)
            .filter(|e| match event.kind {
                EventKind::Individual => {
                    event.entrants.is_empty() || event.entrants.contains(&e.id)
                }
                EventKind::Team if event.from_members() => {
                    teams.iter().any(|t| t.members.contains(&e.id))
                }
                EventKind::Team => teams.iter().any(|t| t.id == e.id),
            })
            .collect()
    }

    /// The teams ranked in a team event; empty for an individual event.
    pub fn teams(&self, event: &Event) -> Vec<&Entrant> {
        if event.kind == EventKind::Individual {
            return Vec::new();
        }
        self.entrants
            .iter()
            .filter(|e| e.kind != EntrantKind::Member)
            .filter(|e| event.entrants.is_empty() || event.entrants.contains(&e.id))
            .collect()
    }
}

struct Check<'a, 'm> {
    map: &'a SourceMap<'m>,
    diags: &'a mut Diagnostics,
}

impl Check<'_, '_> {
    fn error(&mut self, span: &std::ops::Range<usize>, msg: impl Into<String>) {
        let d = self.map.diag(Severity::Error, span, None, msg);
        self.diags.push(d);
    }

    fn id(&mut self, s: &Spanned<String>, what: &str) {
        if !crate::scenario::valid_id(s.get_ref()) {
            self.error(
                &s.span(),
                format!(
                    "{what} \"{}\" is not a valid id; use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit",
                    s.get_ref()
                ),
            );
        }
    }

    fn window(&mut self, w: &Option<Spanned<String>>, default: u64) -> u64 {
        match w {
            None => default,
            Some(w) => match Duration::parse(w.get_ref()) {
                Ok(d) => d.as_secs(),
                Err(e) => {
                    self.error(&w.span(), format!("protest_window: {e}"));
                    default
                }
            },
        }
    }

    fn competition(&mut self, f: File) -> Option<Competition> {
        self.id(&f.competition.id, "the competition id");
        let window = self.window(&f.competition.protest_window, 30 * 60);
        let mut seen = HashSet::new();
        for e in &f.entrants {
            self.id(&e.id, "entrant id");
            if !seen.insert(e.id.get_ref().clone()) {
                self.error(
                    &e.id.span(),
                    format!("duplicate entrant id `{}`", e.id.get_ref()),
                );
            }
        }
        let kinds: BTreeMap<&str, EntrantKind> = f
            .entrants
            .iter()
            .map(|e| (e.id.get_ref().as_str(), e.kind))
            .collect();
        let member_ids: Vec<&str> = kinds
            .iter()
            .filter(|(_, k)| **k == EntrantKind::Member)
            .map(|(id, _)| *id)
            .collect();
        for e in &f.entrants {
            if e.kind == EntrantKind::Member && !e.members.is_empty() {
                self.error(
                    &e.members[0].span(),
                    format!(
                        "entrant `{}` is a member and cannot list members",
                        e.id.get_ref()
                    ),
                );
            }
            for m in &e.members {
                match kinds.get(m.get_ref().as_str()) {
                    Some(EntrantKind::Member) => {}
                    Some(_) => self.error(
                        &m.span(),
                        format!(
                            "`members` of `{}` lists `{}`, which is not a member entrant",
                            e.id.get_ref(),
                            m.get_ref()
                        ),
                    ),
                    None => self.error(&m.span(), unknown("member", m.get_ref(), &member_ids)),
                }
            }
        }
        let entrants: Vec<Entrant> = f
            .entrants
            .into_iter()
            .map(|e| Entrant {
                id: e.id.into_inner(),
                name: e.name,
                name_zh: e.name_zh,
                kind: e.kind,
                members: e.members.into_iter().map(Spanned::into_inner).collect(),
            })
            .collect();
        let all_ids: Vec<&str> = entrants.iter().map(|e| e.id.as_str()).collect();
        let mut events = Vec::new();
        let mut seen = HashSet::new();
        for e in f.events {
            self.id(&e.id, "event id");
            if !seen.insert(e.id.get_ref().clone()) {
                self.error(
                    &e.id.span(),
                    format!("duplicate event id `{}`", e.id.get_ref()),
                );
            }
            for x in &e.entrants {
                match entrants.iter().find(|n| &n.id == x.get_ref()) {
                    None => self.error(&x.span(), unknown("entrant", x.get_ref(), &all_ids)),
                    Some(n) => {
                        let member = n.kind == EntrantKind::Member;
                        if member != (e.kind == EventKind::Individual) {
                            let want = if e.kind == EventKind::Individual {
                                "members"
                            } else {
                                "squads or squadrons"
                            };
                            self.error(
                                &x.span(),
                                format!(
                                    "event `{}` is {} but lists `{}`; list {want}",
                                    e.id.get_ref(),
                                    kind_text(e.kind),
                                    x.get_ref()
                                ),
                            );
                        }
                    }
                }
            }
            if let Some(ev) = self.event(e, window) {
                events.push(ev);
            }
        }
        if events.is_empty() && !self.diags.has_errors() {
            self.error(
                &(0..0),
                "the competition has no events; add at least one [[events]] table",
            );
        }
        let event_ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        let overall = match f.overall {
            None => Overall {
                method: OverallMethod::PointsByPlace {
                    points: vec![10.0, 8.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0],
                },
                events: Vec::new(),
                tie_breaks: Vec::new(),
            },
            Some(o) => {
                let span = o.span();
                let o = o.into_inner();
                for x in &o.events {
                    if !event_ids.contains(&x.get_ref().as_str()) {
                        self.error(&x.span(), unknown("event", x.get_ref(), &event_ids));
                    }
                }
                let method = match o.method.get_ref().as_str() {
                    "points-by-place" if o.points.is_empty() => {
                        self.error(&span, "[overall] method \"points-by-place\" needs `points`, e.g. points = [10, 8, 6]");
                        OverallMethod::Normalised
                    }
                    "points-by-place" => OverallMethod::PointsByPlace { points: o.points },
                    "normalised" => OverallMethod::Normalised,
                    other => {
                        self.error(
                            &o.method.span(),
                            format!("unknown overall method \"{other}\"; write \"points-by-place\" or \"normalised\""),
                        );
                        OverallMethod::Normalised
                    }
                };
                Overall {
                    method,
                    events: o.events.into_iter().map(Spanned::into_inner).collect(),
                    tie_breaks: o.tie_breaks,
                }
            }
        };
        Some(Competition {
            id: f.competition.id.into_inner(),
            name: f.competition.name,
            name_zh: f.competition.name_zh,
            entrants,
            events,
            overall,
        })
    }

    fn event(&mut self, e: FileEvent, window: u64) -> Option<Event> {
        let id = e.id.get_ref().clone();
        let base = e.preset.map(Preset::defaults);
        let rule_name = match (&e.rule, &base) {
            (Some(r), _) => r.get_ref().clone(),
            (None, Some(b)) => b.rule.to_string(),
            (None, None) => {
                self.error(
                    &e.id.span(),
                    format!("event `{id}` has no `rule` and no `preset`; write rule = one of {}, or a preset", RULES.join(", ")),
                );
                return None;
            }
        };
        let rule_span = e.rule.as_ref().map_or(e.id.span(), |r| r.span());
        let rule = match rule_name.as_str() {
            "time-penalty" => Rule::TimePenalty {
                penalties: e
                    .penalties
                    .or_else(|| base.as_ref().map(|b| b.penalties.clone()))
                    .unwrap_or_default(),
                dq_faults: e
                    .dq_faults
                    .or_else(|| base.as_ref().map(|b| b.dq_faults.clone()))
                    .unwrap_or_default(),
            },
            "points" => match e.points {
                Some(table) if !table.is_empty() => Rule::Points { table },
                _ => {
                    self.error(&rule_span, format!("event `{id}` uses rule \"points\" but has no `points` table; write e.g. points = {{ hit = 10, miss = 0 }}"));
                    return None;
                }
            },
            "marks" => {
                let judges = e.judges.as_ref().map_or(3, |j| *j.get_ref());
                let method = e.marks.unwrap_or(MarksMethod::Median);
                let least = if method == MarksMethod::DropHighLow {
                    3
                } else {
                    1
                };
                if !(least..=50).contains(&judges) {
                    let span = e.judges.as_ref().map_or(rule_span.clone(), |j| j.span());
                    self.error(
                        &span,
                        format!(
                            "event `{id}` has {judges} judges; the marks method needs {least} to 50"
                        ),
                    );
                    return None;
                }
                Rule::Marks { method, judges }
            }
            "count-time" => Rule::CountTime {
                penalty_minutes: e
                    .penalty_minutes
                    .or(base.as_ref().map(|b| b.penalty_minutes))
                    .unwrap_or(20.0),
            },
            "scorer" => Rule::Scorer {
                scenario: e.scenario,
                better: e.better.unwrap_or(Better::Higher),
            },
            other => {
                let hint = crate::scenario::closest_key(other, RULES)
                    .map(|b| format!("did you mean \"{b}\"?"))
                    .unwrap_or_else(|| format!("the rules are: {}", RULES.join(", ")));
                self.error(
                    &rule_span,
                    format!("event `{id}` has unknown rule \"{other}\"; {hint}"),
                );
                return None;
            }
        };
        if let Rule::TimePenalty { penalties, .. } = &rule
            && let Some((code, s)) = penalties.iter().find(|(_, s)| !s.is_finite() || **s < 0.0)
        {
            self.error(
                &rule_span,
                format!("event `{id}`: penalty `{code}` is {s} seconds; write 0 or more"),
            );
            return None;
        }
        let attempts = match &e.attempts {
            None => base.as_ref().map_or(1, |b| b.attempts),
            Some(a) if (1..=MAX_ATTEMPTS).contains(a.get_ref()) => *a.get_ref(),
            Some(a) => {
                self.error(
                    &a.span(),
                    format!(
                        "event `{id}` allows {} attempts; write 1 to {MAX_ATTEMPTS}",
                        a.get_ref()
                    ),
                );
                return None;
            }
        };
        if let Some(k) = &e.best_members {
            if e.kind != EventKind::Team {
                self.error(
                    &k.span(),
                    format!("event `{id}` is individual; `best_members` belongs to team events"),
                );
                return None;
            }
            if *k.get_ref() == 0 {
                self.error(
                    &k.span(),
                    format!("event `{id}`: best_members must be 1 or more"),
                );
                return None;
            }
        }
        Some(Event {
            name: e.name,
            name_zh: e.name_zh,
            kind: e.kind,
            rule,
            preset: e.preset,
            attempts,
            combine: e
                .combine
                .or(base.as_ref().map(|b| b.combine))
                .unwrap_or(Combine::Best),
            dq: e
                .dq
                .or(base.as_ref().map(|b| b.dq))
                .unwrap_or(DqRule::Entrant),
            tie_breaks: e
                .tie_breaks
                .or_else(|| base.as_ref().map(|b| b.tie_breaks.clone()))
                .unwrap_or_default(),
            best_members: e.best_members.map(Spanned::into_inner),
            entrants: e.entrants.into_iter().map(Spanned::into_inner).collect(),
            protest_window_secs: self.window(&e.protest_window, window),
            id,
        })
    }
}

fn kind_text(k: EventKind) -> &'static str {
    match k {
        EventKind::Individual => "individual",
        EventKind::Team => "a team event",
    }
}

/// "unknown X `y`; did you mean `z`?" or the list of known ones.
pub(super) fn unknown(what: &str, word: &str, known: &[&str]) -> String {
    match crate::scenario::closest_key(word, known) {
        Some(best) => format!("unknown {what} `{word}`; did you mean `{best}`?"),
        None if known.is_empty() => format!("unknown {what} `{word}`; there are none"),
        None => format!("unknown {what} `{word}`; known: {}", known.join(", ")),
    }
}
