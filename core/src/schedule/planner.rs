//! The planner: a greedy constructive pass over the item occurrences in date
//! order, each taking the members short of its category's quota; sessions
//! added where quotas are still short, all quotas at once, the most quota met
//! per person-minute first; the rule sessions filled up with whoever is still
//! free; then a bounded, seeded local search that evens out members' load.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use super::input::{Item, OnDuty, Quota, Syllabus, parse_rrule};
use super::rota::Rota;
use super::{
    Coverage, MAX_PLAN_DAYS, Plan, PlanError, ScoreLine, Session, UnmetQuota, Unplaced, mins,
    on_leave, pool_on, shift_leader, zone,
};
use crate::brigade::{Brigade, Member};

/// Training a member did before the plan (from the ledger), counted toward
/// quotas and fair load.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Training {
    /// Member id.
    pub member: String,
    /// Category id.
    pub category: String,
    /// The day it happened.
    pub date: NaiveDate,
    /// Minutes trained.
    pub minutes: u32,
}

impl Training {
    /// A record of training done.
    pub fn new(member: &str, category: &str, date: NaiveDate, minutes: u32) -> Training {
        Training {
            member: member.to_string(),
            category: category.to_string(),
            date,
            minutes,
        }
    }
}

/// A qualification's expiry as a record newer than the brigade file (the
/// ledger) has it. The planner puts members whose qualification lapses soonest
/// first into sessions that train it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Expiry {
    /// Member id.
    pub member: String,
    /// Skill id.
    pub skill: String,
    /// Last day it is current; none when it does not expire.
    pub valid_until: Option<NaiveDate>,
}

impl Expiry {
    /// A qualification's expiry.
    pub fn new(member: &str, skill: &str, valid_until: Option<NaiveDate>) -> Expiry {
        Expiry {
            member: member.to_string(),
            skill: skill.to_string(),
            valid_until,
        }
    }
}

/// What a ledger says a plan should know: training done, and qualifications
/// with their current expiry.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct History {
    /// Training attended, one record per member and session.
    pub training: Vec<Training>,
    /// Every qualification the ledger holds for a current member.
    pub expiry: Vec<Expiry>,
}

impl History {
    /// Reads training and qualification currency from ledger entries, skipping
    /// corrected ones (through [`crate::ledger::Projection`] for skills).
    pub fn from_ledger(entries: &[crate::ledger::Entry]) -> History {
        use crate::ledger::{EntryKind, Projection};
        let corrected: HashSet<u64> = entries
            .iter()
            .filter_map(|e| match e.kind {
                EntryKind::Correction { reverses, .. } => Some(reverses),
                _ => None,
            })
            .collect();
        let training = entries
            .iter()
            .filter(|e| !corrected.contains(&e.seq))
            .filter_map(|e| match &e.kind {
                EntryKind::TrainingAttended {
                    member,
                    category,
                    hours,
                    ..
                } => Some(Training::new(
                    member,
                    category,
                    e.at.date_naive(),
                    (hours * 60.0).round().max(0.0) as u32,
                )),
                _ => None,
            })
            .collect();
        let expiry = Projection::build(entries)
            .skills_matrix()
            .into_iter()
            .map(|c| Expiry::new(&c.member, &c.skill, c.valid_until))
            .collect();
        History { training, expiry }
    }
}

/// What to plan: the period, the seed, pins, the plan being replaced, and
/// training already done.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlanOptions<'a> {
    /// First day, local.
    pub from: NaiveDate,
    /// Last day, local, included.
    pub to: NaiveDate,
    /// Seed of the local search; the same seed gives the same plan.
    pub seed: u64,
    /// Published sessions to keep as they are.
    pub pins: &'a [Session],
    /// The plan this one replaces: its attendance is kept where it can be.
    pub previous: Option<&'a Plan>,
    /// Training done before (or in) the period, e.g. from the ledger.
    pub recent: &'a [Training],
    /// Qualification expiries newer than the brigade file's, e.g. from the
    /// ledger; they set who is most urgent to train a skill.
    pub expiry: &'a [Expiry],
    /// Add sessions beyond the recurrence rules where quotas are not met.
    pub top_up: bool,
    /// Most local-search moves tried.
    pub search_steps: u32,
}

impl<'a> PlanOptions<'a> {
    /// Plans `from` to `to` (both included) with seed 0, no pins.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Self {
        PlanOptions {
            from,
            to,
            seed: 0,
            pins: &[],
            previous: None,
            recent: &[],
            expiry: &[],
            top_up: true,
            search_steps: 20_000,
        }
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the pinned sessions.
    pub fn pins(mut self, pins: &'a [Session]) -> Self {
        self.pins = pins;
        self
    }

    /// Sets the plan being replaced.
    pub fn previous(mut self, previous: &'a Plan) -> Self {
        self.previous = Some(previous);
        self
    }

    /// Sets the training already done.
    pub fn recent(mut self, recent: &'a [Training]) -> Self {
        self.recent = recent;
        self
    }

    /// Sets qualification expiries newer than the brigade file's.
    pub fn expiry(mut self, expiry: &'a [Expiry]) -> Self {
        self.expiry = expiry;
        self
    }

    /// Sets both from a ledger's [`History`].
    pub fn history(self, history: &'a History) -> Self {
        self.recent(&history.training).expiry(&history.expiry)
    }

    /// Whether to add sessions beyond the recurrence rules to meet quotas
    /// (on by default); off shows what the rules alone give.
    pub fn top_up(mut self, on: bool) -> Self {
        self.top_up = on;
        self
    }
}

/// Weights of the score lines.
const W_HARD: f64 = 1000.0;
const W_UNPLACED: f64 = 5.0;
const W_QUOTA: f64 = 1.0;
const W_FAIR: f64 = 2.0;
const W_SPREAD: f64 = 0.5;
const W_CURRENCY: f64 = 3.0;
const W_CHANGE: f64 = 1.0;

/// A member whose `trains` skill expires within this many days of a session is
/// urgent: the local search never moves them out of it.
const URGENT_DAYS: i64 = 60;
/// Step between candidate start times, minutes.
const STEP: u32 = 30;

/// Plans the syllabus for the brigade over the period.
///
/// ```
/// # use muster_core::Brigade;
/// # use muster_core::schedule::{plan, verify, PlanOptions, Syllabus};
/// # use chrono::NaiveDate;
/// let brigade = Brigade::parse("b.toml", r#"
/// [brigade]
/// id = "b"
/// name = "B"
/// time_zone = "Asia/Shanghai"
/// [[squadrons]]
/// id = "nantang"
/// name = "Nantang"
/// [[members]]
/// id = "m1"
/// name = "One"
/// squadron = "nantang"
/// speciality = "theory"
/// leader = true
/// skills = [{ skill = "theory", level = 3 }]
/// [[members]]
/// id = "m2"
/// name = "Two"
/// squadron = "nantang"
/// speciality = "theory"
/// skills = [{ skill = "theory", level = 1 }]
/// "#).unwrap();
/// let syllabus = Syllabus::parse("s.toml", r#"
/// [duty]
/// cycle = ["nantang"]
/// anchor = "2027-01-01"
/// on_duty = "any"
/// shift_leader = false
/// [[categories]]
/// id = "theory"
/// [[items]]
/// id = "theory"
/// category = "theory"
/// rrule = "FREQ=WEEKLY;BYDAY=MO"
/// length = "1h"
/// instructor = "theory"
/// "#, &brigade).unwrap();
/// let from = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
/// let to = NaiveDate::from_ymd_opt(2027, 1, 17).unwrap();
/// let plan = plan(&brigade, &syllabus, &PlanOptions::new(from, to)).unwrap();
/// assert_eq!(plan.sessions.len(), 2);
/// assert!(verify(&brigade, &syllabus, &plan).is_empty());
/// ```
pub fn plan(
    brigade: &Brigade,
    syllabus: &Syllabus,
    options: &PlanOptions<'_>,
) -> Result<Plan, PlanError> {
    let (from, to) = (options.from, options.to);
    let days = (to - from).num_days();
    if !(0..MAX_PLAN_DAYS).contains(&days) {
        return Err(PlanError::Period { from, to });
    }
    let tz = zone(&brigade.brigade.time_zone)?;
    let mut p = Planner::new(brigade, syllabus, options, tz);
    p.place_pins()?;
    let occurrences = p.occurrences()?;
    for &(day, item) in &occurrences {
        p.pending.entry(day).or_default().push(item);
    }
    for (day, item) in occurrences {
        if let Some(items) = p.pending.get_mut(&day)
            && let Some(k) = items.iter().position(|i| i.id == item.id)
        {
            items.remove(k);
        }
        for sq in p.squadrons_for(item) {
            if p.pinned_keys
                .contains(&(day, item.id.clone(), sq.to_string()))
            {
                continue;
            }
            p.place(day, item, sq);
        }
    }
    if options.top_up {
        p.top_up();
    }
    p.fill();
    p.search();
    Ok(p.finish())
}

/// A planning problem written out for another solver: every session the
/// planner could consider (the rule occurrences, and one candidate per day,
/// squadron and item of a category with a quota), who may attend or instruct
/// each, and the quotas. Duty, leave, the shift leader, skills and equipment
/// held are applied already; times of day, rest between sessions and
/// equipment shared between overlapping sessions are left to the solver.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Instance {
    /// First day.
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// Member ids; the candidates' lists index into this.
    pub members: Vec<String>,
    /// Each member's squadron.
    pub squadrons: Vec<String>,
    /// Most minutes a member trains a day.
    pub max_minutes_per_day: u32,
    /// Least minutes between two sessions of one member.
    pub rest_minutes: u32,
    /// Sessions that could be held.
    pub candidates: Vec<Candidate>,
    /// Quota periods: a category's minutes each member needs in them.
    pub quotas: Vec<QuotaPeriod>,
}

/// One session the planner could hold.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Candidate {
    /// The day.
    pub date: NaiveDate,
    /// The squadron.
    pub squadron: String,
    /// The item.
    pub item: String,
    /// Its category.
    pub category: String,
    /// Length in minutes.
    pub minutes: u32,
    /// True for an occurrence of the item's rule; false for an extra one.
    pub recurring: bool,
    /// Fewest and most attendees.
    pub group: (u32, u32),
    /// Minutes after midnight the session may start from and must end by.
    pub window: (u32, u32),
    /// Members (by index) who may attend.
    pub eligible: Vec<usize>,
    /// Members who may instruct; empty when the item needs no instructor.
    pub instructors: Vec<usize>,
    /// Whether the item needs an instructor.
    pub needs_instructor: bool,
}

/// The minutes of a category each member needs from `first` to `last`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct QuotaPeriod {
    /// The category.
    pub category: String,
    /// First day planned in the period.
    pub first: NaiveDate,
    /// Last day planned in the period.
    pub last: NaiveDate,
    /// Minutes each member needs (the quota scaled to the part planned).
    pub minutes: u32,
}

/// Writes out the planning problem `plan` solves, for another solver (see
/// [`Instance`]).
pub fn instance(
    brigade: &Brigade,
    syllabus: &Syllabus,
    options: &PlanOptions<'_>,
) -> Result<Instance, PlanError> {
    let (from, to) = (options.from, options.to);
    if !(0..MAX_PLAN_DAYS).contains(&(to - from).num_days()) {
        return Err(PlanError::Period { from, to });
    }
    let tz = zone(&brigade.brigade.time_zone)?;
    let p = Planner::new(brigade, syllabus, options, tz);
    let mut wanted: Vec<(NaiveDate, &Item, bool)> = p
        .occurrences()?
        .into_iter()
        .map(|(d, i)| (d, i, true))
        .collect();
    let rule_days: HashSet<(NaiveDate, &str)> =
        wanted.iter().map(|(d, i, _)| (*d, i.id.as_str())).collect();
    for item in &syllabus.items {
        if !syllabus.quotas.iter().any(|q| q.category == item.category) {
            continue;
        }
        for d in from.iter_days().take_while(|d| *d <= to) {
            if !rule_days.contains(&(d, item.id.as_str())) {
                wanted.push((d, item, false));
            }
        }
    }
    wanted.sort_by_key(|(d, i, r)| (*d, !*r, i.id.as_str()));
    let mut candidates = Vec::new();
    for (day, item, recurring) in wanted {
        for sq in p.squadrons_for(item) {
            // The same checks `build` makes before it looks at times of day.
            let Some(c) = p.candidate(day, item, sq, recurring) else {
                continue;
            };
            candidates.push(c);
        }
    }
    let mut quotas = Vec::new();
    for q in &syllabus.quotas {
        let mut start = q.per.start_of(from);
        while start <= to {
            let (first, last, minutes) = p.quota_window(q, start);
            quotas.push(QuotaPeriod {
                category: q.category.clone(),
                first,
                last,
                minutes,
            });
            start = q.per.next(start);
        }
    }
    Ok(Instance {
        from,
        to,
        members: brigade.members.iter().map(|m| m.id.clone()).collect(),
        squadrons: brigade.members.iter().map(|m| m.squadron.clone()).collect(),
        max_minutes_per_day: syllabus.day.max_minutes_per_day,
        rest_minutes: syllabus.day.rest_minutes,
        candidates,
        quotas,
    })
}

struct Planner<'a> {
    brigade: &'a Brigade,
    syl: &'a Syllabus,
    opt: &'a PlanOptions<'a>,
    rota: Rota<'a>,
    sessions: Vec<Session>,
    /// (day, member index) → busy spans that day.
    busy: HashMap<(NaiveDate, usize), Vec<(u32, u32)>>,
    /// (day, squadron) → session indices that day.
    by_day: HashMap<(NaiveDate, &'a str), Vec<usize>>,
    minutes: Vec<u32>,
    /// (member, category, period start) → minutes.
    cat_minutes: HashMap<(usize, &'a str, NaiveDate), u32>,
    member_ix: HashMap<&'a str, usize>,
    previous: HashSet<(NaiveDate, &'a str, &'a str, &'a str)>,
    pinned_keys: HashSet<(NaiveDate, String, String)>,
    unplaced: BTreeMap<(String, String, String, String), Vec<NaiveDate>>,
    rng: ChaCha8Rng,
    tiebreak: Vec<u64>,
    /// (member, skill) → expiry from `PlanOptions::expiry`.
    expiry: HashMap<(usize, &'a str), Option<NaiveDate>>,
    /// (category, period start, squadron) → why no more sessions could be added.
    top_up_fail: HashMap<(&'a str, NaiveDate, &'a str), String>,
    /// (member, skill) already in a planned session that trains the skill:
    /// their currency gap is closed, so they are no longer urgent.
    trained: HashSet<(usize, &'a str)>,
    /// Day → items whose rule occurrence that day is still to be placed.
    pending: HashMap<NaiveDate, Vec<&'a Item>>,
}

/// Whom a session made by `build` takes.
#[derive(Clone, Copy)]
enum Take<'m> {
    /// The members in the map (those the session is for: short of a quota
    /// of the item's category, say) first, others only to make up the
    /// smallest group.
    Short(&'m HashMap<usize, u32>),
    /// As `Short`, but at least one from the map: a session added to meet
    /// a quota.
    Needy(&'m HashMap<usize, u32>),
}

/// One squadron's quota period that the top-up works on.
struct Need<'a> {
    q: &'a Quota,
    /// First day of the period.
    start: NaiveDate,
    sq: &'a str,
    /// The items of the quota's category the squadron holds.
    items: Vec<&'a Item>,
    /// (day, item index) already tried.
    tried: HashSet<(NaiveDate, usize)>,
    /// Constraint → the days it stopped a session, and the first reason.
    fails: BTreeMap<&'static str, (BTreeSet<NaiveDate>, String)>,
    /// The session found to add next, with its (day, item index).
    next: Option<(Session, (NaiveDate, usize))>,
    /// Nothing more can or need be added.
    done: bool,
}

impl<'a> Planner<'a> {
    fn new(
        brigade: &'a Brigade,
        syl: &'a Syllabus,
        opt: &'a PlanOptions<'a>,
        tz: chrono_tz::Tz,
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(opt.seed);
        let tiebreak = brigade.members.iter().map(|_| rng.next_u64()).collect();
        let member_ix = brigade
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.as_str(), i))
            .collect();
        let previous = opt
            .previous
            .map(|p| {
                p.sessions
                    .iter()
                    .flat_map(|s| {
                        s.members.iter().map(move |m| {
                            (s.date, s.item.as_str(), s.squadron.as_str(), m.as_str())
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut p = Planner {
            brigade,
            syl,
            opt,
            rota: Rota::new(&syl.duty, tz),
            sessions: Vec::new(),
            busy: HashMap::new(),
            by_day: HashMap::new(),
            minutes: vec![0; brigade.members.len()],
            cat_minutes: HashMap::new(),
            member_ix,
            previous,
            pinned_keys: HashSet::new(),
            unplaced: BTreeMap::new(),
            rng,
            tiebreak,
            expiry: HashMap::new(),
            top_up_fail: HashMap::new(),
            trained: HashSet::new(),
            pending: HashMap::new(),
        };
        for x in opt.expiry {
            if let Some(&m) = p.member_ix.get(x.member.as_str()) {
                p.expiry.insert((m, x.skill.as_str()), x.valid_until);
            }
        }
        for t in opt.recent {
            if let Some(&m) = p.member_ix.get(t.member.as_str()) {
                p.minutes[m] += t.minutes;
                if let Some(c) = syl.categories.iter().find(|c| c.id == t.category) {
                    for per in p.periods_of(&c.id) {
                        *p.cat_minutes
                            .entry((m, c.id.as_str(), per.start_of(t.date)))
                            .or_default() += t.minutes;
                    }
                }
            }
        }
        p
    }

    /// When a member's qualification in `skill` lapses: the ledger's word
    /// when it has one, else the brigade file's.
    fn expiry_of(&self, m: usize, skill: &str) -> Option<NaiveDate> {
        match self.expiry.get(&(m, skill)) {
            Some(&u) => u,
            None => self.brigade.members[m]
                .skills
                .iter()
                .find(|s| s.skill == skill)
                .and_then(|s| s.valid_until),
        }
    }

    fn periods_of(&self, category: &str) -> Vec<super::Period> {
        self.syl
            .quotas
            .iter()
            .filter(|q| q.category == category)
            .map(|q| q.per)
            .collect()
    }

    /// Every (day, item) the syllabus asks for in the period, by day then item.
    fn occurrences(&self) -> Result<Vec<(NaiveDate, &'a Item)>, PlanError> {
        let mut out = Vec::new();
        let tz = rrule::Tz::Tz(self.rota_tz());
        for item in &self.syl.items {
            let fail = |reason: String| PlanError::Recurrence {
                item: item.id.clone(),
                rule: item.rrule.clone(),
                reason,
            };
            let rule = parse_rrule(&item.rrule).map_err(fail)?;
            let start = tz
                .from_local_datetime(&self.opt.from.and_time(NaiveTime::MIN))
                .earliest()
                .ok_or_else(|| fail("the first day has no midnight".into()))?;
            let end = tz
                .from_local_datetime(&(self.opt.to + chrono::Days::new(1)).and_time(NaiveTime::MIN))
                .earliest()
                .ok_or_else(|| fail("the last day has no midnight".into()))?;
            let set = rule.build(start).map_err(|e| fail(e.to_string()))?;
            // At most one occurrence a day counts; the period is at most MAX_PLAN_DAYS.
            let result = set.before(end).all(u16::MAX);
            let mut last = None;
            for dt in result.dates {
                let day = dt.date_naive();
                if day < self.opt.from || day > self.opt.to || last == Some(day) {
                    continue;
                }
                last = Some(day);
                out.push((day, item));
            }
        }
        out.sort_by_key(|(d, _)| *d);
        Ok(out)
    }

    fn rota_tz(&self) -> chrono_tz::Tz {
        // The zone was checked in `plan`.
        zone(&self.brigade.brigade.time_zone).unwrap_or(chrono_tz::Tz::UTC)
    }

    fn squadrons_for(&self, item: &'a Item) -> Vec<&'a str> {
        self.brigade
            .squadrons
            .iter()
            .filter(|s| item.squadrons.is_empty() || item.squadrons.contains(&s.id))
            .map(|s| s.id.as_str())
            .collect()
    }

    fn reserved_leader(&self, day: NaiveDate, sq: &str) -> Option<&'a str> {
        if self.syl.duty.shift_leader && self.rota.squadron_on(day) == Some(sq) {
            shift_leader(self.brigade, &self.syl.leave, sq, day)
        } else {
            None
        }
    }

    fn earliest_start(&self, day: NaiveDate, sq: &str) -> u32 {
        let mut start = mins(self.syl.day.start);
        let yesterday = day.pred_opt();
        if self.syl.duty.rest_after_minutes > 0
            && yesterday.and_then(|y| self.rota.squadron_on(y)) == Some(sq)
            && self.rota.squadron_on(day) != Some(sq)
        {
            start = start.max(mins(self.syl.duty.change_at) + self.syl.duty.rest_after_minutes);
        }
        start
    }

    fn free(&self, m: usize, day: NaiveDate, s: u32, e: u32) -> bool {
        let rest = self.syl.day.rest_minutes;
        match self.busy.get(&(day, m)) {
            None => e - s <= self.syl.day.max_minutes_per_day,
            Some(spans) => {
                let used: u32 = spans.iter().map(|(a, b)| b - a).sum();
                used + (e - s) <= self.syl.day.max_minutes_per_day
                    && spans.iter().all(|&(a, b)| s >= b + rest || e + rest <= a)
            }
        }
    }

    fn equipment_free(&self, day: NaiveDate, sq: &'a str, s: u32, e: u32, item: &Item) -> bool {
        item.equipment.iter().all(|(eq, &need)| {
            let pool = pool_on(self.brigade, &self.syl.outages, sq, eq, day);
            let used: u32 = self
                .by_day
                .get(&(day, sq))
                .into_iter()
                .flatten()
                .map(|&i| &self.sessions[i])
                .filter(|x| {
                    let (a, b) = x.span_minutes();
                    a < e && s < b
                })
                .map(|x| x.equipment.get(eq).copied().unwrap_or(0))
                .sum();
            used + need <= pool
        })
    }

    fn has_skills(m: &Member, skills: &[String], day: NaiveDate) -> bool {
        skills.iter().all(|s| m.current_level(s, day).is_some())
    }

    fn commit(&mut self, s: Session) {
        let (a, b) = s.span_minutes();
        let cat = self
            .syl
            .item(&s.item)
            .map(|i| i.category.as_str())
            .unwrap_or("");
        let cat: &'a str = self
            .syl
            .categories
            .iter()
            .find(|c| c.id == cat)
            .map_or("", |c| c.id.as_str());
        let periods = self.periods_of(cat);
        let trains: Option<&'a str> = self.syl.item(&s.item).and_then(|i| i.trains.as_deref());
        for id in s.people() {
            if let Some(&m) = self.member_ix.get(id) {
                if let Some(t) = trains {
                    self.trained.insert((m, t));
                }
                self.busy.entry((s.date, m)).or_default().push((a, b));
                self.minutes[m] += s.minutes;
                for per in &periods {
                    *self
                        .cat_minutes
                        .entry((m, cat, per.start_of(s.date)))
                        .or_default() += s.minutes;
                }
            }
        }
        let sq: &'a str = self
            .brigade
            .squadron(&s.squadron)
            .map_or("", |x| x.id.as_str());
        self.by_day
            .entry((s.date, sq))
            .or_default()
            .push(self.sessions.len());
        self.sessions.push(s);
    }

    fn place_pins(&mut self) -> Result<(), PlanError> {
        for (index, pin) in self.opt.pins.iter().enumerate() {
            let fail = |reason: String| PlanError::Pin {
                index,
                item: pin.item.clone(),
                squadron: pin.squadron.clone(),
                date: pin.date,
                reason,
            };
            if pin.date < self.opt.from || pin.date > self.opt.to {
                continue;
            }
            let item = self.syl.item(&pin.item).ok_or_else(|| {
                let known: Vec<&str> = self.syl.items.iter().map(|i| i.id.as_str()).collect();
                fail(format!(
                    "unknown item `{}`; the syllabus items are: {}",
                    pin.item,
                    known.join(", ")
                ))
            })?;
            let Some(sq) = self.brigade.squadron(&pin.squadron) else {
                let known: Vec<&str> = self
                    .brigade
                    .squadrons
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect();
                return Err(fail(format!(
                    "unknown squadron `{}`; the squadrons are: {}",
                    pin.squadron,
                    known.join(", ")
                )));
            };
            let (s, e) = pin.span_minutes();
            let reserved = self.reserved_leader(pin.date, &sq.id);
            for id in pin.people() {
                let Some(&m) = self.member_ix.get(id) else {
                    return Err(fail(format!("unknown member `{id}`")));
                };
                if self.brigade.members[m].squadron != sq.id {
                    return Err(fail(format!(
                        "member `{id}` is not in squadron `{}`",
                        sq.id
                    )));
                }
                if let Some(l) = on_leave(&self.syl.leave, id, pin.date) {
                    return Err(fail(format!(
                        "member `{id}` is on leave ({}) from {} to {}",
                        l.reason, l.from, l.to
                    )));
                }
                if reserved == Some(id) {
                    return Err(fail(format!("member `{id}` leads the duty shift that day")));
                }
                if !self.free(m, pin.date, s, e) {
                    return Err(fail(format!(
                        "member `{id}` is already busy then, or past the day's training limit"
                    )));
                }
            }
            let mut session = pin.clone();
            session.pinned = true;
            if session.equipment.is_empty() {
                session.equipment = item.equipment.clone();
            }
            let sq_id: &'a str = &sq.id;
            if !self.equipment_free(pin.date, sq_id, s, e, item) {
                return Err(fail("not enough equipment free then".to_string()));
            }
            self.pinned_keys
                .insert((pin.date, pin.item.clone(), pin.squadron.clone()));
            self.commit(session);
        }
        Ok(())
    }

    fn miss(&mut self, item: &Item, sq: &str, constraint: &str, reason: String, day: NaiveDate) {
        self.unplaced
            .entry((
                item.id.clone(),
                sq.to_string(),
                constraint.to_string(),
                reason,
            ))
            .or_default()
            .push(day);
    }

    fn place(&mut self, day: NaiveDate, item: &'a Item, sq: &'a str) {
        // Members short of a quota of the item's category, urgent to train
        // its skill, or in it in the plan being replaced come first; the
        // others wait for `fill`, after the top-up has had their time. So do
        // those who could instruct an item still to be placed that day.
        let pending = self.pending.get(&day).map_or(&[][..], Vec::as_slice);
        let teaches_later = |m: &Member| {
            pending.iter().any(|it| {
                it.id != item.id
                    && (it.squadrons.is_empty() || it.squadrons.iter().any(|x| x == sq))
                    && it.instructor.as_ref().is_some_and(|skill| {
                        m.skills.iter().any(|x| {
                            &x.skill == skill && x.level >= it.instructor_level && x.is_current(day)
                        })
                    })
            })
        };
        let short: HashMap<usize, u32> = self
            .brigade
            .members_of(sq)
            .filter_map(|m| {
                let mi = self.member_ix[m.id.as_str()];
                let gap = self.shortfall(mi, &item.category, day);
                let urgent = item.trains.as_ref().is_some_and(|t| {
                    !self.trained.contains(&(mi, t.as_str()))
                        && self
                            .expiry_of(mi, t)
                            .is_some_and(|u| (u - day).num_days() <= URGENT_DAYS)
                });
                let before = self
                    .previous
                    .contains(&(day, item.id.as_str(), sq, m.id.as_str()));
                ((gap > 0 && !teaches_later(m)) || urgent || before).then_some((mi, gap))
            })
            .collect();
        match self.build(day, item, sq, Take::Short(&short)) {
            Ok(s) => self.commit(s),
            Err((constraint, reason)) => self.miss(item, sq, constraint, reason, day),
        }
    }

    /// Minutes member `m` is short of the quotas of `cat` in the periods
    /// that hold `day`.
    fn shortfall(&self, m: usize, cat: &str, day: NaiveDate) -> u32 {
        self.syl
            .quotas
            .iter()
            .filter(|q| q.category == cat)
            .map(|q| {
                let start = q.per.start_of(day);
                let need = self.quota_window(q, start).2;
                need.saturating_sub(self.cat_done(m, q.category.as_str(), start))
            })
            .sum()
    }

    /// Builds a session of `item` for `sq` on `day` that keeps every hard
    /// rule, or says which rule stops it; `take` says whom it takes.
    fn build(
        &self,
        day: NaiveDate,
        item: &'a Item,
        sq: &'a str,
        take: Take<'_>,
    ) -> Result<Session, (&'static str, String)> {
        let (needy, must) = match take {
            Take::Short(m) => (m, false),
            Take::Needy(m) => (m, true),
        };
        // Duty rules.
        if self.rota.squadron_on(day) == Some(sq) {
            match self.syl.duty.on_duty {
                OnDuty::None => {
                    let r = format!(
                        "`{sq}` is on 24-hour duty and the duty rules keep the on-duty squadron out of training"
                    );
                    return Err(("duty", r));
                }
                OnDuty::Station if !item.on_station => {
                    let r = format!(
                        "`{sq}` is on 24-hour duty and trains on station only; `{}` is not an on-station item",
                        item.id
                    );
                    return Err(("duty", r));
                }
                _ => {}
            }
        }
        // Equipment held at all.
        for (eq, &need) in &item.equipment {
            let pool = pool_on(self.brigade, &self.syl.outages, sq, eq, day);
            if pool < need {
                let held = self
                    .brigade
                    .squadron(sq)
                    .and_then(|s| s.equipment.get(eq).copied())
                    .unwrap_or(0);
                let outs: Vec<String> = self
                    .syl
                    .outages
                    .iter()
                    .filter(|o| {
                        o.squadron == sq && &o.equipment == eq && o.from <= day && day <= o.to
                    })
                    .map(|o| format!("{} out of service: {}", o.count, o.reason))
                    .collect();
                let r = if outs.is_empty() {
                    format!("needs {need} {eq}; `{sq}` holds {held}")
                } else {
                    format!(
                        "needs {need} {eq}; `{sq}` holds {held} ({})",
                        outs.join("; ")
                    )
                };
                return Err(("equipment", r));
            }
        }
        let reserved = self.reserved_leader(day, sq);
        // Instructors.
        let mut instructors: Vec<usize> = Vec::new();
        if let Some(skill) = &item.instructor {
            let mut why_not = Vec::new();
            for m in self.brigade.members_of(sq) {
                let Some(sk) = m.skills.iter().find(|x| &x.skill == skill) else {
                    continue;
                };
                if sk.level < item.instructor_level {
                    continue;
                }
                if !sk.is_current(day) {
                    why_not.push(format!(
                        "{}'s lapsed on {}",
                        m.id,
                        sk.valid_until.map_or(String::new(), |d| d.to_string())
                    ));
                } else if let Some(l) = on_leave(&self.syl.leave, &m.id, day) {
                    why_not.push(format!("{} is on leave ({})", m.id, l.reason));
                } else if reserved == Some(m.id.as_str()) {
                    why_not.push(format!("{} leads the duty shift", m.id));
                } else {
                    instructors.push(self.member_ix[m.id.as_str()]);
                }
            }
            if instructors.is_empty() {
                let mut r = format!(
                    "no instructor: nobody in `{sq}` free that day holds `{skill}` at level {} or above",
                    item.instructor_level
                );
                if !why_not.is_empty() {
                    r.push_str(&format!(" ({})", why_not.join("; ")));
                }
                return Err(("instructor", r));
            }
            instructors.sort_by_key(|&m| (self.minutes[m], self.tiebreak[m]));
        }
        // Eligible attendees.
        let mut eligible = Vec::new();
        let (mut on_leave_n, mut lacking) = (Vec::new(), Vec::new());
        for m in self.brigade.members_of(sq) {
            if reserved == Some(m.id.as_str()) {
                continue;
            }
            if on_leave(&self.syl.leave, &m.id, day).is_some() {
                on_leave_n.push(m.id.as_str());
            } else if !Self::has_skills(m, &item.requires, day) {
                lacking.push(m.id.as_str());
            } else {
                eligible.push(self.member_ix[m.id.as_str()]);
            }
        }
        if eligible.len() < item.group_min as usize {
            let mut r = format!("needs at least {} members", item.group_min);
            if !item.requires.is_empty() {
                r.push_str(&format!(" holding {}", item.requires.join(", ")));
            }
            r.push_str(&format!("; `{sq}` has {} free", eligible.len()));
            let mut detail = Vec::new();
            if !on_leave_n.is_empty() {
                detail.push(format!("on leave: {}", short_list(&on_leave_n)));
            }
            if !lacking.is_empty() {
                detail.push(format!(
                    "not current in {}: {}",
                    item.requires.join(", "),
                    short_list(&lacking)
                ));
            }
            if let Some(l) = reserved {
                detail.push(format!("{l} leads the duty shift"));
            }
            if !detail.is_empty() {
                r.push_str(&format!(" ({})", detail.join("; ")));
            }
            return Err(("group", r));
        }
        // Urgency and fairness order.
        let cat = item.category.as_str();
        let periods = self.periods_of(cat);
        let per = periods.first().copied();
        let key = |p: &Planner<'a>, m: usize| {
            let mem = &p.brigade.members[m];
            let prev = !p
                .previous
                .contains(&(day, item.id.as_str(), sq, mem.id.as_str()));
            let expiry = item.trains.as_ref().map_or(i64::MAX, |t| {
                if p.trained.contains(&(m, t.as_str())) {
                    return i64::MAX - 1;
                }
                p.expiry_of(m, t)
                    .map_or(i64::MAX - 1, |u| (u - day).num_days().max(0))
            });
            let urgent = expiry.min(URGENT_DAYS + 1);
            let not_needy = !needy.contains_key(&m);
            let cat_done = per.map_or(0, |per| {
                p.cat_minutes
                    .get(&(m, cat, per.start_of(day)))
                    .copied()
                    .unwrap_or(0)
            });
            (
                not_needy,
                prev,
                urgent,
                cat_done,
                p.minutes[m],
                p.tiebreak[m],
            )
        };
        // Candidate start times.
        let len = item.length_minutes;
        let day_end = mins(self.syl.day.end);
        let earliest = self.earliest_start(day, sq);
        let starts: Vec<u32> = match item.start {
            Some(t) => vec![mins(t)],
            None => (0..)
                .map(|k| earliest + k * STEP)
                .take_while(|s| s + len <= day_end)
                .collect(),
        };
        let mut best_fail = (0u8, String::new());
        // An added session goes at the time that takes the most members
        // short of the quota, then that keeps clear of rule sessions with
        // places left for `fill`, then the earliest; a rule occurrence at
        // the earliest time it fits.
        let mut best: Option<((usize, bool), Session)> = None;
        for s in starts {
            let e = s + len;
            if s < earliest {
                best_fail = best_fail.max((
                    1,
                    format!(
                        "`{sq}` came off duty that morning and rests until {}",
                        hm(earliest)
                    ),
                ));
                continue;
            }
            if !self.equipment_free(day, sq, s, e, item) {
                best_fail = best_fail.max((
                    2,
                    format!(
                        "the equipment it needs ({}) is in use by `{sq}`'s other sessions at {}",
                        eq_list(item),
                        hm(s)
                    ),
                ));
                continue;
            }
            let instructor = if item.instructor.is_some() {
                match instructors
                    .iter()
                    .copied()
                    .find(|&m| self.free(m, day, s, e))
                {
                    Some(m) => Some(m),
                    None => {
                        best_fail = best_fail.max((3, format!("every instructor in `{sq}` is busy, resting or at the day's limit at {}", hm(s))));
                        continue;
                    }
                }
            } else {
                None
            };
            let mut free: Vec<usize> = eligible
                .iter()
                .copied()
                .filter(|&m| Some(m) != instructor && self.free(m, day, s, e))
                .collect();
            if free.len() < item.group_min as usize {
                best_fail = best_fail.max((4, format!("only {} of the {} members needed are free at {} (others busy, resting, or at the day's limit of {} minutes)", free.len(), item.group_min, hm(s), self.syl.day.max_minutes_per_day)));
                continue;
            }
            // A session takes the members in the map, and others only to
            // make up the smallest group; an added one must take one of them.
            let short = free.iter().filter(|m| needy.contains_key(m)).count();
            if short == 0 && must {
                best_fail = best_fail.max((
                    5,
                    format!(
                        "none of the members short of the quota who may attend is free at {}",
                        hm(s)
                    ),
                ));
                continue;
            }
            let take = (item.group_max as usize).min(short.max(item.group_min as usize));
            let rank = must.then(|| (short.min(take), !self.crowds_fill(day, sq, s, e)));
            if let (Some(r), Some((b, _))) = (rank, &best)
                && r <= *b
            {
                continue;
            }
            free.sort_by_cached_key(|&m| key(self, m));
            free.truncate(take);
            let mut members: Vec<String> = free
                .iter()
                .map(|&m| self.brigade.members[m].id.clone())
                .collect();
            members.sort();
            let session = Session {
                date: day,
                start: NaiveTime::from_num_seconds_from_midnight_opt(s * 60, 0)
                    .unwrap_or(NaiveTime::MIN),
                minutes: len,
                squadron: sq.to_string(),
                item: item.id.clone(),
                instructor: instructor.map(|m| self.brigade.members[m].id.clone()),
                members,
                equipment: item.equipment.clone(),
                pinned: false,
                added: must,
            };
            match rank {
                None => return Ok(session),
                Some(r) => best = Some((r, session)),
            }
        }
        if let Some((_, session)) = best {
            return Ok(session);
        }
        let r = if best_fail.1.is_empty() {
            format!(
                "a {len}-minute session does not fit between {} and {}",
                hm(earliest),
                hm(day_end)
            )
        } else {
            format!("no time in the day fits: {}", best_fail.1)
        };
        Err(("time", r))
    }

    /// True when minutes `s` to `e` of `day`, with the rest either side,
    /// overlap a rule session of `sq` that has places left for `fill`.
    fn crowds_fill(&self, day: NaiveDate, sq: &str, s: u32, e: u32) -> bool {
        let rest = self.syl.day.rest_minutes;
        self.by_day
            .get(&(day, sq))
            .into_iter()
            .flatten()
            .map(|&i| &self.sessions[i])
            .filter(|x| !x.added && !x.pinned)
            .any(|x| {
                let (a, b) = x.span_minutes();
                a < e + rest
                    && s < b + rest
                    && self
                        .syl
                        .item(&x.item)
                        .is_some_and(|it| (x.members.len() as u32) < it.group_max)
            })
    }

    /// A session `build` could consider, before times of day: duty, equipment
    /// held, instructors and attendees free that day.
    fn candidate(
        &self,
        day: NaiveDate,
        item: &'a Item,
        sq: &'a str,
        recurring: bool,
    ) -> Option<Candidate> {
        if self.rota.squadron_on(day) == Some(sq) {
            match self.syl.duty.on_duty {
                OnDuty::None => return None,
                OnDuty::Station if !item.on_station => return None,
                _ => {}
            }
        }
        if item
            .equipment
            .iter()
            .any(|(eq, &need)| pool_on(self.brigade, &self.syl.outages, sq, eq, day) < need)
        {
            return None;
        }
        let reserved = self.reserved_leader(day, sq);
        let free = |m: &Member| {
            reserved != Some(m.id.as_str()) && on_leave(&self.syl.leave, &m.id, day).is_none()
        };
        let instructors: Vec<usize> = match &item.instructor {
            None => Vec::new(),
            Some(skill) => self
                .brigade
                .members_of(sq)
                .filter(|m| free(m))
                .filter(|m| {
                    m.skills.iter().any(|x| {
                        &x.skill == skill && x.level >= item.instructor_level && x.is_current(day)
                    })
                })
                .map(|m| self.member_ix[m.id.as_str()])
                .collect(),
        };
        let eligible: Vec<usize> = self
            .brigade
            .members_of(sq)
            .filter(|m| free(m) && Self::has_skills(m, &item.requires, day))
            .map(|m| self.member_ix[m.id.as_str()])
            .collect();
        if (item.instructor.is_some() && instructors.is_empty())
            || eligible.len() < item.group_min as usize
        {
            return None;
        }
        let day_end = mins(self.syl.day.end);
        let window = match item.start {
            Some(t) => (mins(t), mins(t) + item.length_minutes),
            None => (self.earliest_start(day, sq), day_end),
        };
        if window.0 < self.earliest_start(day, sq) || window.1 > day_end {
            return None;
        }
        Some(Candidate {
            date: day,
            squadron: sq.to_string(),
            item: item.id.clone(),
            category: item.category.clone(),
            minutes: item.length_minutes,
            recurring,
            group: (item.group_min, item.group_max),
            window,
            eligible,
            instructors,
            needs_instructor: item.instructor.is_some(),
        })
    }

    /// The days of the quota period starting `start` that are planned, and
    /// the minutes each member needs in them (the quota scaled to that part).
    fn quota_window(&self, q: &Quota, start: NaiveDate) -> (NaiveDate, NaiveDate, u32) {
        let end = q.per.next(start);
        let lo = start.max(self.opt.from);
        let hi = (end - chrono::Days::new(1)).min(self.opt.to);
        let share = ((hi - lo).num_days() + 1) as f64 / (end - start).num_days() as f64;
        let need = (q.hours * 60.0 * share - 1e-6).ceil().max(0.0) as u32;
        (lo, hi, need)
    }

    /// Minutes a member has in a category's quota period.
    fn cat_done(&self, m: usize, cat: &'a str, start: NaiveDate) -> u32 {
        self.cat_minutes.get(&(m, cat, start)).copied().unwrap_or(0)
    }

    /// Adds sessions where members are short of a quota, every category,
    /// period and squadron at once: each step adds the session that meets
    /// the most quota per minute of the people in it (then the most quota),
    /// so a scarce instructor or a member's last free hours go where they
    /// count most rather than to whichever category comes first.
    fn top_up(&mut self) {
        let syl = self.syl;
        let mut needs: Vec<Need<'a>> = Vec::new();
        for q in &syl.quotas {
            let mut start = q.per.start_of(self.opt.from);
            while start <= self.opt.to {
                for sq in &self.brigade.squadrons {
                    let items: Vec<&'a Item> = syl
                        .items
                        .iter()
                        .filter(|i| {
                            i.category == q.category
                                && (i.squadrons.is_empty() || i.squadrons.contains(&sq.id))
                        })
                        .collect();
                    if !items.is_empty() {
                        needs.push(Need {
                            q,
                            start,
                            sq: sq.id.as_str(),
                            items,
                            tried: HashSet::new(),
                            fails: BTreeMap::new(),
                            next: None,
                            done: false,
                        });
                    }
                }
                start = q.per.next(start);
            }
        }
        loop {
            let mut best: Option<(usize, (u64, u64))> = None;
            for (k, n) in needs.iter_mut().enumerate() {
                if n.done {
                    continue;
                }
                if n.next.is_none() {
                    match self.next_session(n) {
                        Some(found) => n.next = Some(found),
                        None => {
                            n.done = true;
                            continue;
                        }
                    }
                }
                let Some((s, _)) = &n.next else {
                    continue;
                };
                let value = self.gain(s);
                if best.is_none_or(|(_, v)| value > v) {
                    best = Some((k, value));
                }
            }
            let Some((k, _)) = best else { break };
            let Some((s, key)) = needs[k].next.take() else {
                break;
            };
            // The same day and item may take a second session later, when
            // the other days have none to give (every added session meets
            // some of the quota, so this ends).
            needs[k].tried.remove(&key);
            let (day, sq) = (s.date, s.squadron.clone());
            self.commit(s);
            // Sessions found for the same squadron and day may no longer fit:
            // look for them again.
            for n in &mut needs {
                if n.next
                    .as_ref()
                    .is_some_and(|(x, _)| x.date == day && x.squadron == sq)
                    && let Some((_, key)) = n.next.take()
                {
                    n.tried.remove(&key);
                }
            }
        }
        for n in &needs {
            if let Some(why) = self.top_up_why(n) {
                self.top_up_fail
                    .insert((n.q.category.as_str(), n.start, n.sq), why);
            }
        }
    }

    /// Quota minutes a session would meet, per 1000 minutes of its people's
    /// time, and in all: the top-up adds the session with the most.
    fn gain(&self, s: &Session) -> (u64, u64) {
        let Some(item) = self.syl.item(&s.item) else {
            return (0, 0);
        };
        let cat = item.category.as_str();
        let mut gain = 0u64;
        let mut people = 0u64;
        for id in s.people() {
            people += 1;
            let Some(&m) = self.member_ix.get(id) else {
                continue;
            };
            for q in self.syl.quotas.iter().filter(|q| q.category == cat) {
                let start = q.per.start_of(s.date);
                let need = self.quota_window(q, start).2;
                let done = self.cat_done(m, q.category.as_str(), start);
                gain += u64::from(need.saturating_sub(done).min(s.minutes));
            }
        }
        let spent = people * u64::from(s.minutes);
        (gain * 1000 / spent.max(1), gain)
    }

    /// The next session to add for one squadron's quota period, trying days
    /// furthest from the category's sessions first; none when nobody who may
    /// attend is short, or no day has room.
    fn next_session(&self, n: &mut Need<'a>) -> Option<(Session, (NaiveDate, usize))> {
        let (q, start, sq) = (n.q, n.start, n.sq);
        let cat = q.category.as_str();
        let (lo, hi, need) = self.quota_window(q, start);
        let needy: HashMap<usize, u32> = self
            .brigade
            .members_of(sq)
            .filter_map(|m| {
                let m = self.member_ix[m.id.as_str()];
                let done = self.cat_done(m, cat, start);
                (done < need).then(|| (m, need - done))
            })
            .collect();
        if needy.is_empty() {
            n.fails.clear();
            return None;
        }
        let days: Vec<NaiveDate> = lo.iter_days().take_while(|d| *d <= hi).collect();
        // Days the plan being replaced held an added session of this category:
        // tried first, so replanning keeps them.
        let before: HashSet<NaiveDate> = self
            .opt
            .previous
            .map(|p| {
                p.sessions
                    .iter()
                    .filter(|s| s.added && s.squadron == sq)
                    .filter(|s| self.syl.item(&s.item).is_some_and(|i| i.category == cat))
                    .map(|s| s.date)
                    .collect()
            })
            .unwrap_or_default();
        // Spread: days furthest from this squadron's sessions of the
        // category come first; the seed breaks ties.
        let mut held: Vec<NaiveDate> = days
            .iter()
            .copied()
            .filter(|d| {
                self.by_day.get(&(*d, sq)).is_some_and(|ix| {
                    ix.iter().any(|&i| {
                        self.syl
                            .item(&self.sessions[i].item)
                            .is_some_and(|it| it.category == cat)
                    })
                })
            })
            .collect();
        held.sort();
        let gap = |d: NaiveDate| -> i64 {
            let k = held.partition_point(|x| *x < d);
            let after = held.get(k).map_or(i64::MAX, |x| (*x - d).num_days());
            let prior = k
                .checked_sub(1)
                .and_then(|k| held.get(k))
                .map_or(i64::MAX, |x| (d - *x).num_days());
            after.min(prior)
        };
        let seed = self.opt.seed;
        let mut order = days;
        order.sort_by_cached_key(|d| {
            let h = (d.num_days_from_ce() as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (!before.contains(d), std::cmp::Reverse(gap(*d)), h)
        });
        for d in order {
            for (k, item) in n.items.iter().enumerate() {
                if !n.tried.insert((d, k)) {
                    continue;
                }
                match self.build(d, item, sq, Take::Needy(&needy)) {
                    Ok(s) => return Some((s, (d, k))),
                    Err((c, r)) => {
                        let f = n.fails.entry(c).or_insert_with(|| (BTreeSet::new(), r));
                        f.0.insert(d);
                    }
                }
            }
        }
        None
    }

    /// Why no more sessions could be added for a quota period, when members
    /// are still short of it.
    fn top_up_why(&self, n: &Need<'a>) -> Option<String> {
        let cat = n.q.category.as_str();
        let (lo, hi, need) = self.quota_window(n.q, n.start);
        let short = self
            .brigade
            .members_of(n.sq)
            .any(|m| self.cat_done(self.member_ix[m.id.as_str()], cat, n.start) < need);
        if !short {
            return None;
        }
        let mut by: Vec<(&str, &(BTreeSet<NaiveDate>, String))> =
            n.fails.iter().map(|(c, f)| (*c, f)).collect();
        by.sort_by_key(|(c, f)| (std::cmp::Reverse(f.0.len()), *c));
        let why: Vec<String> = by
            .iter()
            .take(3)
            .map(|(c, (d, r))| {
                let first = d.first().map_or(String::new(), |x| x.to_string());
                format!("{} day(s) {c} (e.g. {first}: {r})", d.len())
            })
            .collect();
        let names: Vec<&str> = n.items.iter().map(|i| i.id.as_str()).collect();
        Some(format!(
            "no more `{cat}` sessions ({}) could be added for `{}` from {lo} to {hi}: {}",
            names.join(", "),
            n.sq,
            why.join("; ")
        ))
    }

    /// Tops every rule session up to its group's most with squadron members
    /// free to attend: those in it in the plan being replaced first, then
    /// those short of the item's quota, then the least trained. Runs after the top-up, so a place in a session nobody needs
    /// for a quota never costs anyone the time a quota session needed.
    fn fill(&mut self) {
        for si in 0..self.sessions.len() {
            let s = &self.sessions[si];
            if s.pinned || s.added {
                continue;
            }
            let Some(item) = self.syl.item(&s.item) else {
                continue;
            };
            let room = (item.group_max as usize).saturating_sub(s.members.len());
            let Some(sq) = self.brigade.squadron(&s.squadron) else {
                continue;
            };
            if room == 0 {
                continue;
            }
            let (day, (a, b)) = (s.date, s.span_minutes());
            let reserved = self.reserved_leader(day, &sq.id);
            let mut free: Vec<usize> = self
                .brigade
                .members_of(&sq.id)
                .filter(|m| {
                    reserved != Some(m.id.as_str())
                        && on_leave(&self.syl.leave, &m.id, day).is_none()
                        && Self::has_skills(m, &item.requires, day)
                        && !s.people().any(|p| p == m.id)
                })
                .map(|m| self.member_ix[m.id.as_str()])
                .filter(|&m| self.free(m, day, a, b))
                .collect();
            free.sort_by_cached_key(|&m| {
                let id = self.brigade.members[m].id.as_str();
                (
                    !self
                        .previous
                        .contains(&(day, item.id.as_str(), sq.id.as_str(), id)),
                    self.shortfall(m, &item.category, day) == 0,
                    self.minutes[m],
                    self.tiebreak[m],
                )
            });
            free.truncate(room);
            for m in free {
                self.join(si, m);
            }
        }
    }

    /// Adds member `m` to session `si`; the caller has checked they may attend.
    fn join(&mut self, si: usize, m: usize) {
        let s = &mut self.sessions[si];
        s.members.push(self.brigade.members[m].id.clone());
        s.members.sort();
        let (day, len, span) = (s.date, s.minutes, s.span_minutes());
        let Some(item) = self.syl.item(&s.item) else {
            return;
        };
        let cat = item.category.as_str();
        if let Some(t) = &item.trains {
            self.trained.insert((m, t.as_str()));
        }
        self.busy.entry((day, m)).or_default().push(span);
        self.minutes[m] += len;
        for per in self.periods_of(cat) {
            *self
                .cat_minutes
                .entry((m, cat, per.start_of(day)))
                .or_default() += len;
        }
    }

    /// True when moving `len` minutes of `cat` on `day` from member `out` to
    /// member `inn` leaves the quota shortfall no larger.
    fn quota_ok(&self, cat: &'a str, day: NaiveDate, out: usize, inn: usize, len: u32) -> bool {
        self.syl
            .quotas
            .iter()
            .filter(|q| q.category == cat)
            .all(|q| {
                let start = q.per.start_of(day);
                let need = self.quota_window(q, start).2;
                let (o, i) = (
                    self.cat_done(out, cat, start),
                    self.cat_done(inn, cat, start),
                );
                let before = need.saturating_sub(o) + need.saturating_sub(i);
                let after =
                    need.saturating_sub(o.saturating_sub(len)) + need.saturating_sub(i + len);
                after <= before
            })
    }

    /// Seeded local search: swap an attendee with more training for a free
    /// squadron member with less, never moving anyone urgent or pinned.
    fn search(&mut self) {
        let n = self.sessions.len();
        if n == 0 {
            return;
        }
        for _ in 0..self.opt.search_steps {
            let si = (self.rng.next_u64() % n as u64) as usize;
            let s = &self.sessions[si];
            if s.pinned || s.members.is_empty() {
                continue;
            }
            let Some(item) = self.syl.item(&s.item) else {
                continue;
            };
            let day = s.date;
            let (a, b) = s.span_minutes();
            let out_k = (self.rng.next_u64() % s.members.len() as u64) as usize;
            let out_id = s.members[out_k].clone();
            let Some(&out) = self.member_ix.get(out_id.as_str()) else {
                continue;
            };
            if let Some(t) = &item.trains
                && self
                    .expiry_of(out, t)
                    .is_some_and(|u| (u - day).num_days() <= URGENT_DAYS)
            {
                continue;
            }
            if self.previous.contains(&(
                day,
                item.id.as_str(),
                s.squadron.as_str(),
                out_id.as_str(),
            )) {
                continue;
            }
            let sq = s.squadron.clone();
            let reserved = self.reserved_leader(day, &sq);
            let mut best: Option<usize> = None;
            for m in self.brigade.members_of(&sq) {
                let mi = self.member_ix[m.id.as_str()];
                if self.minutes[mi] + 2 * s.minutes > self.minutes[out]
                    || s.people().any(|p| p == m.id)
                    || reserved == Some(m.id.as_str())
                    || on_leave(&self.syl.leave, &m.id, day).is_some()
                    || !Self::has_skills(m, &item.requires, day)
                    || !self.free(mi, day, a, b)
                {
                    continue;
                }
                if best.is_none_or(|x| self.minutes[mi] < self.minutes[x]) {
                    best = Some(mi);
                }
            }
            let Some(inn) = best else { continue };
            if !self.quota_ok(item.category.as_str(), day, out, inn, s.minutes) {
                continue;
            }
            self.swap(si, out, inn);
        }
    }

    fn swap(&mut self, si: usize, out: usize, inn: usize) {
        let s = &mut self.sessions[si];
        let (a, b) = s.span_minutes();
        let inn_id = self.brigade.members[inn].id.clone();
        let out_id = &self.brigade.members[out].id;
        s.members.retain(|m| m != out_id);
        s.members.push(inn_id);
        s.members.sort();
        let (day, len) = (s.date, s.minutes);
        let cat: &'a str = self.syl.item(&s.item).map_or("", |i| i.category.as_str());
        if let Some(spans) = self.busy.get_mut(&(day, out))
            && let Some(k) = spans.iter().position(|&x| x == (a, b))
        {
            spans.swap_remove(k);
        }
        self.busy.entry((day, inn)).or_default().push((a, b));
        self.minutes[out] -= len;
        self.minutes[inn] += len;
        for per in self.periods_of(cat) {
            let start = per.start_of(day);
            if let Some(x) = self.cat_minutes.get_mut(&(out, cat, start)) {
                *x = x.saturating_sub(len);
            }
            *self.cat_minutes.entry((inn, cat, start)).or_default() += len;
        }
    }

    fn finish(mut self) -> Plan {
        self.sessions.sort_by(|x, y| {
            (x.date, x.start, &x.squadron, &x.item).cmp(&(y.date, y.start, &y.squadron, &y.item))
        });
        let unplaced: Vec<Unplaced> = std::mem::take(&mut self.unplaced)
            .into_iter()
            .map(|((item, squadron, constraint, reason), dates)| Unplaced {
                item,
                squadron,
                constraint,
                reason,
                dates,
            })
            .collect();
        let mut plan = Plan {
            from: self.opt.from,
            to: self.opt.to,
            seed: self.opt.seed,
            time_zone: self.brigade.brigade.time_zone.clone(),
            sessions: std::mem::take(&mut self.sessions),
            unplaced,
            unmet: Vec::new(),
            duty_gaps: Vec::new(),
            score: Vec::new(),
            coverage: Coverage::default(),
        };
        plan.duty_gaps = self.duty_gaps();
        plan.unmet = self.unmet(&plan);
        plan.coverage = self.coverage();
        plan.score = self.score(&plan);
        plan
    }

    fn duty_gaps(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.syl.duty.shift_leader {
            return out;
        }
        let mut day = self.opt.from;
        while day <= self.opt.to {
            if let Some(sq) = self.rota.squadron_on(day)
                && shift_leader(self.brigade, &self.syl.leave, sq, day).is_none()
            {
                out.push(format!("{day}: no leader of `{sq}` is free to lead the duty shift (every leader is on leave)"));
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        out
    }

    fn unmet(&self, plan: &Plan) -> Vec<UnmetQuota> {
        let mut out = Vec::new();
        for q in &self.syl.quotas {
            let cat = q.category.as_str();
            let mut start = q.per.start_of(self.opt.from);
            while start <= self.opt.to {
                let (lo, hi, need) = self.quota_window(q, start);
                let mut groups: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
                for (mi, m) in self.brigade.members.iter().enumerate() {
                    let done = self.cat_done(mi, cat, start);
                    if done >= need {
                        continue;
                    }
                    let reason = self.quota_reason(plan, cat, m, start, lo, hi);
                    groups
                        .entry(reason)
                        .or_default()
                        .push((m.id.clone(), round1(f64::from(done) / 60.0)));
                }
                for (reason, members) in groups {
                    out.push(UnmetQuota {
                        category: q.category.clone(),
                        per: q.per,
                        period_start: start,
                        required_hours: round1(f64::from(need) / 60.0),
                        members,
                        reason,
                    });
                }
                start = q.per.next(start);
            }
        }
        out
    }

    /// Member-hours the quotas ask for in the period planned, and how many of
    /// them the plan (with training already done) meets.
    fn coverage(&self) -> Coverage {
        let (mut required, mut met) = (0u64, 0u64);
        for q in &self.syl.quotas {
            let cat = q.category.as_str();
            let mut start = q.per.start_of(self.opt.from);
            while start <= self.opt.to {
                let need = self.quota_window(q, start).2;
                for mi in 0..self.brigade.members.len() {
                    required += u64::from(need);
                    met += u64::from(self.cat_done(mi, cat, start).min(need));
                }
                start = q.per.next(start);
            }
        }
        Coverage {
            required_hours: required as f64 / 60.0,
            met_hours: met as f64 / 60.0,
        }
    }

    fn quota_reason(
        &self,
        plan: &Plan,
        cat: &str,
        m: &Member,
        start: NaiveDate,
        lo: NaiveDate,
        hi: NaiveDate,
    ) -> String {
        let items: Vec<&Item> = self
            .syl
            .items
            .iter()
            .filter(|i| {
                i.category == cat && (i.squadrons.is_empty() || i.squadrons.contains(&m.squadron))
            })
            .collect();
        if items.is_empty() {
            return format!("no `{cat}` item is held for squadron `{}`", m.squadron);
        }
        if items.iter().all(|i| !Self::has_skills(m, &i.requires, hi)) {
            let needs: Vec<String> = items
                .iter()
                .map(|i| format!("{} requires {}", i.id, i.requires.join(", ")))
                .collect();
            return format!(
                "not current in the skills the `{cat}` items require ({})",
                needs.join("; ")
            );
        }
        let leave_days = self
            .syl
            .leave
            .iter()
            .filter(|l| l.member == m.id && l.from <= hi && lo <= l.to)
            .map(|l| (l.to.min(hi) - l.from.max(lo)).num_days() + 1)
            .sum::<i64>();
        if leave_days > 0 {
            return format!(
                "on leave part of the period (see [[leave]]) in `{}`",
                m.squadron
            );
        }
        let sessions: Vec<&Session> = plan
            .sessions
            .iter()
            .filter(|s| s.squadron == m.squadron && lo <= s.date && s.date <= hi)
            .filter(|s| items.iter().any(|i| i.id == s.item))
            .collect();
        if let Some(why) = self.top_up_fail.get(&(cat, start, m.squadron.as_str())) {
            return why.clone();
        }
        if sessions.is_empty() {
            return format!(
                "no `{cat}` session was placed for `{}` in the period (see the unplaced items)",
                m.squadron
            );
        }
        let places: usize = sessions.iter().map(|s| s.members.len()).sum();
        let size = self.brigade.members_of(&m.squadron).count();
        format!(
            "`{}` had {} `{cat}` sessions with {places} places in all for {size} members: the syllabus offers too few sessions for the quota",
            m.squadron,
            sessions.len()
        )
    }

    fn score(&self, plan: &Plan) -> Vec<ScoreLine> {
        let line = |c: &str, hard: bool, amount: f64, unit: &str, weight: f64| ScoreLine {
            constraint: c.to_string(),
            hard,
            amount: round1(amount),
            unit: unit.to_string(),
            weight,
            penalty: round1(amount * weight),
        };
        let hard = super::verify(self.brigade, self.syl, plan).len() as f64;
        let unplaced: usize = plan.unplaced.iter().map(|u| u.dates.len()).sum();
        let short: f64 = plan
            .unmet
            .iter()
            .map(|u| {
                u.members
                    .iter()
                    .map(|(_, h)| (u.required_hours - h).max(0.0))
                    .sum::<f64>()
            })
            .sum();
        // Fairness: standard deviation of hours within each squadron, summed.
        let mut fair = 0.0;
        for sq in &self.brigade.squadrons {
            let hours: Vec<f64> = self
                .brigade
                .members
                .iter()
                .enumerate()
                .filter(|(_, m)| m.squadron == sq.id)
                .map(|(i, _)| f64::from(self.minutes[i]) / 60.0)
                .collect();
            if hours.len() > 1 {
                let mean = hours.iter().sum::<f64>() / hours.len() as f64;
                let var =
                    hours.iter().map(|h| (h - mean).powi(2)).sum::<f64>() / hours.len() as f64;
                fair += var.sqrt();
            }
        }
        // Spread: a member in the same item on two days running.
        let mut seen: HashMap<(&str, &str), Vec<NaiveDate>> = HashMap::new();
        for s in &plan.sessions {
            for m in &s.members {
                seen.entry((m.as_str(), s.item.as_str()))
                    .or_default()
                    .push(s.date);
            }
        }
        let spread = seen
            .values()
            .map(|d| {
                d.windows(2)
                    .filter(|w| (w[1] - w[0]).num_days() <= 1)
                    .count()
            })
            .sum::<usize>() as f64;
        // Currency: a qualification that lapses in the period with no session training it before.
        let mut lapsed = 0usize;
        for m in &self.brigade.members {
            for sk in &m.skills {
                let Some(until) = sk.valid_until else {
                    continue;
                };
                if until < self.opt.from || until > self.opt.to {
                    continue;
                }
                let trained = plan.sessions.iter().any(|s| {
                    s.date <= until
                        && s.members.contains(&m.id)
                        && self.syl.item(&s.item).and_then(|i| i.trains.as_ref()) == Some(&sk.skill)
                });
                let offered = self
                    .syl
                    .items
                    .iter()
                    .any(|i| i.trains.as_ref() == Some(&sk.skill));
                if offered && !trained {
                    lapsed += 1;
                }
            }
        }
        let changes = self.opt.previous.map_or(0, |prev| {
            let now: HashSet<_> = plan
                .sessions
                .iter()
                .flat_map(|s| {
                    s.members
                        .iter()
                        .map(move |m| (s.date, &s.item, &s.squadron, m))
                })
                .collect();
            let before: HashSet<_> = prev
                .sessions
                .iter()
                .filter(|s| plan.from <= s.date && s.date <= plan.to)
                .flat_map(|s| {
                    s.members
                        .iter()
                        .map(move |m| (s.date, &s.item, &s.squadron, m))
                })
                .collect();
            now.symmetric_difference(&before).count()
        }) as f64;
        vec![
            line("hard", true, hard, "violations found by verify", W_HARD),
            line(
                "unplaced",
                false,
                unplaced as f64,
                "item occurrences not placed",
                W_UNPLACED,
            ),
            line(
                "quota",
                false,
                short,
                "member-hours short of quotas",
                W_QUOTA,
            ),
            line(
                "fairness",
                false,
                fair,
                "hours of spread (std dev) within squadrons",
                W_FAIR,
            ),
            line(
                "spread",
                false,
                spread,
                "same item on two days running",
                W_SPREAD,
            ),
            line(
                "currency",
                false,
                lapsed as f64,
                "qualifications lapsing untrained",
                W_CURRENCY,
            ),
            line(
                "changes",
                false,
                changes,
                "attendances changed from the previous plan",
                W_CHANGE,
            ),
        ]
    }
}

fn round1(x: f64) -> f64 {
    // `+ 0.0` turns the -0.0 of an empty float sum into 0.
    (x * 10.0).round() / 10.0 + 0.0
}

fn hm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn eq_list(item: &Item) -> String {
    item.equipment
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn short_list(ids: &[&str]) -> String {
    if ids.len() <= 6 {
        ids.join(", ")
    } else {
        format!("{} and {} more", ids[..6].join(", "), ids.len() - 6)
    }
}
