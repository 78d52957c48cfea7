//! From recorded attempts to places: per event, overall, and over a season.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::entry::{AttemptStatus, Contest, EventState, Recorded, effective_status};
use super::model::{
    Better, Combine, Competition, DqRule, EntrantKind, Event, MarksMethod, OverallMethod, Rule,
    TieBreak,
};

/// How an entrant stands in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultStatus {
    /// Ranked.
    Ranked,
    /// Did not finish: no valid attempt counts.
    Dnf,
    /// Disqualified.
    Dq,
    /// Did not start: no attempt.
    Dns,
}

/// A scored performance: a count (more is better; count-time only) then a value.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Perf {
    count: f64,
    value: f64,
    penalties: u32,
    last_solve: f64,
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// `Less` when `a` is better.
fn cmp_perf(a: &Perf, b: &Perf, better: Better) -> Ordering {
    round(b.count).total_cmp(&round(a.count)).then_with(|| {
        let (x, y) = (round(a.value), round(b.value));
        match better {
            Better::Lower => x.total_cmp(&y),
            Better::Higher => y.total_cmp(&x),
        }
    })
}

fn cmp_opt(a: Option<&Perf>, b: Option<&Perf>, better: Better) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => cmp_perf(a, b, better),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

enum Scored {
    Valid(Perf),
    Not(AttemptStatus, Option<String>),
}

fn score_attempt(event: &Event, r: &Recorded) -> Scored {
    let a = &r.attempt;
    let (status, why) = effective_status(a);
    if status != AttemptStatus::Ok {
        return Scored::Not(status, why);
    }
    let penalties: u32 = a.penalties.values().sum();
    let mut perf = Perf {
        count: 0.0,
        value: 0.0,
        penalties,
        last_solve: 0.0,
    };
    match &event.rule {
        Rule::TimePenalty {
            penalties: table,
            dq_faults,
        } => {
            if let Some(code) = a.penalties.keys().find(|c| dq_faults.contains(c)) {
                return Scored::Not(
                    AttemptStatus::Dq,
                    Some(format!("{code}: disqualifying fault")),
                );
            }
            perf.value = a.time.unwrap_or(0.0)
                + a.penalties
                    .iter()
                    .map(|(c, n)| table.get(c).copied().unwrap_or(0.0) * f64::from(*n))
                    .sum::<f64>();
        }
        Rule::Points { table } => {
            perf.value = a
                .items
                .iter()
                .map(|(c, n)| table.get(c).copied().unwrap_or(0.0) * f64::from(*n))
                .sum();
        }
        Rule::Marks { method, .. } => {
            let mut m = a.marks.clone();
            m.sort_by(f64::total_cmp);
            perf.value = match method {
                MarksMethod::Median if m.is_empty() => 0.0,
                MarksMethod::Median if m.len() % 2 == 1 => m[m.len() / 2],
                MarksMethod::Median => (m[m.len() / 2 - 1] + m[m.len() / 2]) / 2.0,
                MarksMethod::DropHighLow if m.len() < 3 => 0.0,
                MarksMethod::DropHighLow => {
                    let inner = &m[1..m.len() - 1];
                    inner.iter().sum::<f64>() / inner.len() as f64
                }
            };
        }
        Rule::CountTime { penalty_minutes } => {
            for p in &a.problems {
                if let Some(t) = p.solved_at {
                    perf.count += 1.0;
                    perf.value += t + penalty_minutes * f64::from(p.wrong);
                    perf.last_solve = perf.last_solve.max(t);
                    perf.penalties += p.wrong;
                }
            }
        }
        Rule::Scorer { .. } => {
            perf.value = a.card.as_ref().map_or(0.0, |c| c.total);
        }
    }
    Scored::Valid(perf)
}

/// One entrant's result before places are given.
struct Outcome {
    entrant: String,
    status: ResultStatus,
    perf: Option<Perf>,
    /// Each attempt's perf by attempt number (None when not valid).
    by_number: BTreeMap<u32, Option<Perf>>,
    attempts: Vec<String>,
    note: String,
    held: bool,
    corrected: bool,
}

fn fmt_num(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else if (r * 10.0).fract() == 0.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

fn fmt_perf(event: &Event, p: &Perf) -> String {
    match event.rule {
        Rule::CountTime { .. } => format!("{} solved, {} min", p.count, fmt_num(p.value)),
        Rule::TimePenalty { .. } => format!("{} s", fmt_num(p.value)),
        _ => fmt_num(p.value),
    }
}

fn outcome(contest: &Contest<'_>, event: &Event, entrant: &str) -> Outcome {
    let recorded = contest
        .attempts
        .get(&(event.id.clone(), entrant.to_string()))
        .map_or(&[][..], |v| v.as_slice());
    let mut by_number = BTreeMap::new();
    let mut texts = Vec::new();
    let mut valid = Vec::new();
    let mut worst: Option<(AttemptStatus, Option<String>)> = None;
    for r in recorded {
        match score_attempt(event, r) {
            Scored::Valid(p) => {
                texts.push(fmt_perf(event, &p));
                by_number.insert(r.number, Some(p));
                valid.push(p);
            }
            Scored::Not(s, why) => {
                texts.push(status_text(s).to_string());
                by_number.insert(r.number, None);
                let rank = |s: AttemptStatus| match s {
                    AttemptStatus::Dq => 3,
                    AttemptStatus::Dnf => 2,
                    AttemptStatus::Dns => 1,
                    AttemptStatus::Ok => 0,
                };
                if worst.as_ref().is_none_or(|(w, _)| rank(s) > rank(*w)) {
                    worst = Some((s, why));
                }
            }
        }
    }
    let better = event.better();
    let held = contest
        .open_protests(&event.id)
        .any(|p| p.entrant == entrant);
    let corrected = recorded.iter().any(|r| r.corrected);
    let mut out = Outcome {
        entrant: entrant.to_string(),
        status: ResultStatus::Ranked,
        perf: None,
        by_number,
        attempts: texts,
        note: String::new(),
        held,
        corrected,
    };
    let fail = |out: &mut Outcome, s: ResultStatus, why: Option<String>| {
        out.status = s;
        out.note = why.unwrap_or_default();
    };
    if recorded.is_empty() {
        fail(&mut out, ResultStatus::Dns, None);
        return out;
    }
    // A DQ attempt disqualifies the entrant unless the event's rule says it
    // voids only that attempt and the best attempt counts.
    let voids_attempt = event.dq == DqRule::Attempt && event.combine == Combine::Best;
    if let Some((AttemptStatus::Dq, why)) = &worst
        && !voids_attempt
    {
        fail(&mut out, ResultStatus::Dq, why.clone());
        return out;
    }
    match event.combine {
        Combine::Best => match valid.iter().min_by(|a, b| cmp_perf(a, b, better)) {
            Some(p) => out.perf = Some(*p),
            None => {
                let (s, why) = worst.unwrap_or((AttemptStatus::Dnf, None));
                let s = match s {
                    AttemptStatus::Dns => ResultStatus::Dns,
                    AttemptStatus::Dq => ResultStatus::Dq,
                    _ => ResultStatus::Dnf,
                };
                fail(&mut out, s, why);
            }
        },
        Combine::Sum | Combine::Average => {
            if let Some((s, why)) = worst {
                let s = if valid.is_empty() && s == AttemptStatus::Dns {
                    ResultStatus::Dns
                } else {
                    ResultStatus::Dnf
                };
                fail(&mut out, s, why);
            } else {
                let n = if event.combine == Combine::Average {
                    valid.len() as f64
                } else {
                    1.0
                };
                out.perf = Some(Perf {
                    count: valid.iter().map(|p| p.count).sum::<f64>() / n,
                    value: valid.iter().map(|p| p.value).sum::<f64>() / n,
                    penalties: valid.iter().map(|p| p.penalties).sum(),
                    last_solve: valid.iter().map(|p| p.last_solve).fold(0.0, f64::max),
                });
            }
        }
    }
    out
}

fn team_outcome(contest: &Contest<'_>, event: &Event, team: &str, k: u32) -> Outcome {
    let c = contest.competition;
    let better = event.better();
    let members = c.entrant(team).map_or(&[][..], |t| t.members.as_slice());
    let mut ranked: Vec<Outcome> = members
        .iter()
        .map(|m| outcome(contest, event, m))
        .filter(|o| o.status == ResultStatus::Ranked)
        .collect();
    ranked.sort_by(|a, b| cmp_opt(a.perf.as_ref(), b.perf.as_ref(), better));
    let held = contest
        .open_protests(&event.id)
        .any(|p| p.entrant == team || members.contains(&p.entrant));
    let counted: Vec<&Outcome> = ranked.iter().take(k as usize).collect();
    let mut out = Outcome {
        entrant: team.to_string(),
        status: ResultStatus::Ranked,
        perf: None,
        by_number: BTreeMap::new(),
        attempts: counted
            .iter()
            .map(|o| {
                format!(
                    "{} {}",
                    o.entrant,
                    o.perf
                        .as_ref()
                        .map_or(String::new(), |p| fmt_perf(event, p))
                )
            })
            .collect(),
        note: String::new(),
        held,
        corrected: false,
    };
    if counted.len() < k as usize {
        out.status = ResultStatus::Dnf;
        out.note = format!("{} of the {k} counted members have a result", counted.len());
        return out;
    }
    let ps: Vec<Perf> = counted.iter().filter_map(|o| o.perf).collect();
    out.perf = Some(Perf {
        count: ps.iter().map(|p| p.count).sum(),
        value: ps.iter().map(|p| p.value).sum(),
        penalties: ps.iter().map(|p| p.penalties).sum(),
        last_solve: ps.iter().map(|p| p.last_solve).fold(0.0, f64::max),
    });
    out
}

fn tie_cmp(tb: TieBreak, a: &Outcome, b: &Outcome, better: Better) -> Ordering {
    match tb {
        TieBreak::SecondAttempt => cmp_opt(
            a.by_number.get(&2).and_then(Option::as_ref),
            b.by_number.get(&2).and_then(Option::as_ref),
            better,
        ),
        TieBreak::NextBest => {
            let sorted = |o: &Outcome| {
                let mut v: Vec<Perf> = o.by_number.values().flatten().copied().collect();
                v.sort_by(|x, y| cmp_perf(x, y, better));
                v
            };
            let (x, y) = (sorted(a), sorted(b));
            for i in 1..x.len().max(y.len()) {
                let o = cmp_opt(x.get(i), y.get(i), better);
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        }
        TieBreak::FewerPenalties => {
            let p = |o: &Outcome| o.perf.map_or(u32::MAX, |p| p.penalties);
            p(a).cmp(&p(b))
        }
        TieBreak::EarlierLastSolve => {
            let t = |o: &Outcome| round(o.perf.map_or(f64::INFINITY, |p| p.last_solve));
            t(a).total_cmp(&t(b))
        }
        TieBreak::MoreBetterPlaces => Ordering::Equal,
    }
}

/// One row of an event's standings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct EventRow {
    /// Place from 1; none when not ranked (DNF, DQ, DNS).
    pub place: Option<u32>,
    /// True when another entrant shares the place.
    pub shared: bool,
    /// Entrant id.
    pub entrant: String,
    /// Entrant name, English and Chinese.
    pub name: String,
    /// Ranked, DNF, DQ or DNS.
    pub status: ResultStatus,
    /// The result's value (seconds, points, marks, minutes), when ranked.
    pub value: Option<f64>,
    /// Problems solved (count-time rule), when ranked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<f64>,
    /// The result as shown.
    pub result: String,
    /// Each attempt as shown (for a team scored from members: the counted members).
    pub attempts: Vec<String>,
    /// A protest against this result is open.
    pub held: bool,
    /// A correction or upheld protest changed an attempt.
    pub corrected: bool,
    /// Reason of a DNF/DQ, or the tie-break that decided the place.
    pub note: String,
}

/// An event's standings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct EventStandings {
    /// Event id.
    pub event: String,
    /// Event name, English and Chinese.
    pub name: String,
    /// Provisional, protested or official.
    pub state: EventState,
    /// Which way the value is better.
    pub better: Better,
    /// Rows: ranked by place, then DNF, DQ, DNS.
    pub rows: Vec<EventRow>,
}

/// One row of the overall standings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct OverallRow {
    /// Place from 1.
    pub place: u32,
    /// True when another entrant shares the place.
    pub shared: bool,
    /// Entrant id.
    pub entrant: String,
    /// Entrant name.
    pub name: String,
    /// Points per counted event, in event order.
    pub points: Vec<f64>,
    /// The total.
    pub total: f64,
    /// The tie-break that decided the place, if one did.
    pub note: String,
}

/// Standings of a whole competition: every event and the overall table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Standings {
    /// Competition id.
    pub competition: String,
    /// Competition name.
    pub name: String,
    /// True when every event is official.
    pub official: bool,
    /// Per event, in file order.
    pub events: Vec<EventStandings>,
    /// The events that count overall, in order.
    pub overall_events: Vec<String>,
    /// Overall standings.
    pub overall: Vec<OverallRow>,
}

fn name_of(c: &Competition, id: &str) -> String {
    c.entrant(id).map_or(id.to_string(), |e| e.display_name())
}

fn status_text(s: AttemptStatus) -> &'static str {
    match s {
        AttemptStatus::Ok => "OK",
        AttemptStatus::Dns => "DNS",
        AttemptStatus::Dnf => "DNF",
        AttemptStatus::Dq => "DQ",
    }
}

/// An event's standings from the contest so far.
pub(super) fn event_standings(contest: &Contest<'_>, event: &Event) -> EventStandings {
    let c = contest.competition;
    let better = event.better();
    let mut outs: Vec<Outcome> = match event.best_members {
        Some(k) if event.from_members() => c
            .teams(event)
            .iter()
            .map(|t| team_outcome(contest, event, &t.id, k))
            .collect(),
        _ => c
            .attempters(event)
            .iter()
            .map(|e| outcome(contest, event, &e.id))
            .collect(),
    };
    let full = |a: &Outcome, b: &Outcome| -> (Ordering, Option<TieBreak>) {
        let o = a.status.cmp(&b.status);
        if o != Ordering::Equal || a.status != ResultStatus::Ranked {
            return (o, None);
        }
        let o = cmp_opt(a.perf.as_ref(), b.perf.as_ref(), better);
        if o != Ordering::Equal {
            return (o, None);
        }
        for tb in &event.tie_breaks {
            let o = tie_cmp(*tb, a, b, better);
            if o != Ordering::Equal {
                return (o, Some(*tb));
            }
        }
        (Ordering::Equal, None)
    };
    // Stable sort keeps file order among entrants that stay tied.
    outs.sort_by(|a, b| full(a, b).0);
    let mut rows: Vec<EventRow> = Vec::new();
    for (i, o) in outs.iter().enumerate() {
        let mut place = None;
        let mut note = o.note.clone();
        if o.status == ResultStatus::Ranked {
            place = Some(i as u32 + 1);
            if i > 0 {
                let (ord, tb) = full(&outs[i - 1], o);
                if ord == Ordering::Equal {
                    place = rows[i - 1].place;
                } else if let Some(tb) = tb {
                    note = format!("behind on tie-break: {}", tb.label());
                    if let Some(prev) = rows.get_mut(i - 1)
                        && prev.note.is_empty()
                    {
                        prev.note = format!("ahead on tie-break: {}", tb.label());
                    }
                }
            }
        }
        rows.push(EventRow {
            place,
            shared: false,
            entrant: o.entrant.clone(),
            name: name_of(c, &o.entrant),
            status: o.status,
            value: o.perf.map(|p| round(p.value)),
            count: match event.rule {
                Rule::CountTime { .. } => o.perf.map(|p| p.count),
                _ => None,
            },
            result: match (&o.perf, o.status) {
                (Some(p), ResultStatus::Ranked) => fmt_perf(event, p),
                (_, ResultStatus::Dnf) => "DNF".into(),
                (_, ResultStatus::Dq) => "DQ".into(),
                (_, _) => "DNS".into(),
            },
            attempts: o.attempts.clone(),
            held: o.held,
            corrected: o.corrected,
            note,
        });
    }
    mark_shared(rows.iter().map(|r| r.place).collect::<Vec<_>>(), |i| {
        rows[i].shared = true
    });
    EventStandings {
        event: event.id.clone(),
        name: match &event.name_zh {
            Some(zh) => format!("{} {zh}", event.name),
            None => event.name.clone(),
        },
        state: contest.event_state(&event.id),
        better,
        rows,
    }
}

fn mark_shared(places: Vec<Option<u32>>, mut set: impl FnMut(usize)) {
    for i in 0..places.len() {
        let p = places[i];
        if p.is_some() && places.iter().enumerate().any(|(j, q)| j != i && *q == p) {
            set(i);
        }
    }
}

/// Ranks totals (higher is better) with an optional more-better-places tie-break.
/// Returns places, in the order of `rows`, with notes.
pub(super) fn rank_totals(
    totals: &[(f64, Vec<u32>)],
    tie_breaks: &[TieBreak],
) -> Vec<(u32, bool, String)> {
    let mut idx: Vec<usize> = (0..totals.len()).collect();
    let places_key = |i: usize| {
        let mut counts = vec![0u32; 64];
        for p in &totals[i].1 {
            if let Some(c) = counts.get_mut(*p as usize) {
                *c += 1;
            }
        }
        counts
    };
    let cmp = |a: usize, b: usize| -> (Ordering, bool) {
        let o = round(totals[b].0).total_cmp(&round(totals[a].0));
        if o != Ordering::Equal {
            return (o, false);
        }
        if tie_breaks.contains(&TieBreak::MoreBetterPlaces) {
            let o = places_key(b).cmp(&places_key(a));
            return (o, o != Ordering::Equal);
        }
        (Ordering::Equal, false)
    };
    idx.sort_by(|a, b| cmp(*a, *b).0);
    let mut out = vec![(0u32, false, String::new()); totals.len()];
    let mut prev: Option<(usize, u32)> = None;
    for (pos, &i) in idx.iter().enumerate() {
        let mut place = pos as u32 + 1;
        if let Some((j, pp)) = prev {
            let (o, by_tb) = cmp(j, i);
            if o == Ordering::Equal {
                place = pp;
            } else if by_tb {
                out[i].2 = "behind on tie-break: more better places".into();
                if out[j].2.is_empty() {
                    out[j].2 = "ahead on tie-break: more better places".into();
                }
            }
        }
        out[i].0 = place;
        prev = Some((i, place));
    }
    let places: Vec<Option<u32>> = out.iter().map(|o| Some(o.0)).collect();
    mark_shared(places, |i| out[i].1 = true);
    out
}

/// The standings of the contest so far.
pub(super) fn standings(contest: &Contest<'_>) -> Standings {
    let c = contest.competition;
    let events: Vec<EventStandings> = c
        .events
        .iter()
        .map(|e| event_standings(contest, e))
        .collect();
    let counted: Vec<&EventStandings> = events
        .iter()
        .filter(|e| c.overall.events.is_empty() || c.overall.events.contains(&e.event))
        .collect();
    // Entrants in the overall table: every ranked-or-not row of a counted event.
    let mut ids: Vec<String> = Vec::new();
    for e in &counted {
        for r in &e.rows {
            if !ids.contains(&r.entrant) {
                ids.push(r.entrant.clone());
            }
        }
    }
    let points_for = |e: &EventStandings, r: &EventRow| -> f64 {
        match &c.overall.method {
            OverallMethod::PointsByPlace { points } => r
                .place
                .and_then(|p| points.get(p as usize - 1))
                .copied()
                .unwrap_or(0.0),
            OverallMethod::Normalised => {
                let Some(v) = r.value.filter(|_| r.place.is_some()) else {
                    return 0.0;
                };
                let Some(best) = e.rows.first() else {
                    return 0.0;
                };
                // Count-time: normalise on problems solved.
                let (v, b) = match (r.count, best.count) {
                    (Some(x), Some(y)) => (x, y),
                    _ => (v, best.value.unwrap_or(v)),
                };
                let n = match e.better {
                    Better::Lower if v > 0.0 => 1000.0 * b / v,
                    Better::Higher if b > 0.0 => 1000.0 * v / b,
                    _ => 1000.0,
                };
                (n * 100.0).round() / 100.0
            }
        }
    };
    let mut totals = Vec::new();
    let mut per = Vec::new();
    for id in &ids {
        let mut pts = Vec::new();
        let mut places = Vec::new();
        for e in &counted {
            match e.rows.iter().find(|r| &r.entrant == id) {
                Some(r) => {
                    pts.push(points_for(e, r));
                    if let Some(p) = r.place {
                        places.push(p);
                    }
                }
                None => pts.push(0.0),
            }
        }
        totals.push((pts.iter().sum::<f64>(), places));
        per.push(pts);
    }
    let ranks = rank_totals(&totals, &c.overall.tie_breaks);
    let mut overall: Vec<OverallRow> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| OverallRow {
            place: ranks[i].0,
            shared: ranks[i].1,
            entrant: id.clone(),
            name: name_of(c, id),
            points: per[i].clone(),
            total: round(totals[i].0),
            note: ranks[i].2.clone(),
        })
        .collect();
    overall.sort_by_key(|r| r.place);
    Standings {
        competition: c.id.clone(),
        name: match &c.name_zh {
            Some(zh) => format!("{} {zh}", c.name),
            None => c.name.clone(),
        },
        official: events.iter().all(|e| e.state == EventState::Official),
        overall_events: counted.iter().map(|e| e.event.clone()).collect(),
        events,
        overall,
    }
}

/// Is this entrant a squadron (for season tables)?
pub(super) fn is_squadron(c: &Competition, id: &str) -> bool {
    c.entrant(id)
        .is_some_and(|e| e.kind == EntrantKind::Squadron)
}
