//! Attempts and the workflow as entries: every step is a
//! [`CompetitionEntry`]; a [`Contest`] folds them and refuses bad ones.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use crate::score::{ScoreCard, ScoreStatus, ScorerId};

use super::model::{Competition, Event, Rule, unknown};

/// How an attempt ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttemptStatus {
    /// Finished; scored by the event's rule.
    #[default]
    Ok,
    /// Did not start.
    Dns,
    /// Did not finish.
    Dnf,
    /// Disqualified.
    Dq,
}

/// One problem of a count-then-time attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Problem {
    /// Problem id.
    pub id: String,
    /// Minutes from the start to the accepted solution; none when unsolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solved_at: Option<f64>,
    /// Rejected tries before it.
    #[serde(default)]
    pub wrong: u32,
}

impl Problem {
    /// A problem with its solve time (minutes) and wrong tries.
    pub fn new(id: impl Into<String>, solved_at: Option<f64>, wrong: u32) -> Problem {
        Problem {
            id: id.into(),
            solved_at,
            wrong,
        }
    }
}

/// One attempt by one entrant in one event, as a judge records it.
///
/// Which fields matter depends on the event's rule: `time` and `penalties`
/// (time-penalty), `items` (points), `marks` (marks), `problems`
/// (count-time), `card` (scorer).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Attempt {
    /// Event id.
    pub event: String,
    /// Entrant id.
    pub entrant: String,
    /// Attempt number from 1; the next free number when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// OK, DNS, DNF or DQ.
    #[serde(default)]
    pub status: AttemptStatus,
    /// The fault or reason code of a DNS, DNF or DQ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Why, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Seconds (time-penalty rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
    /// Fault code → count (time-penalty rule).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub penalties: BTreeMap<String, u32>,
    /// Item code → count (points rule).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub items: BTreeMap<String, u32>,
    /// Judges' marks (marks rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<f64>,
    /// Problems (count-time rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// The scenario scorer's card (scorer rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<ScoreCard>,
}

impl Attempt {
    /// An OK attempt with nothing recorded yet; set the rule's fields next.
    pub fn new(event: impl Into<String>, entrant: impl Into<String>) -> Attempt {
        Attempt {
            event: event.into(),
            entrant: entrant.into(),
            ..Attempt::default()
        }
    }
}

/// A protest's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The protest is upheld; the decision's corrected attempts replace the old ones.
    Upheld,
    /// The protest is rejected; the result stands.
    Rejected,
}

/// A new scorer's card for one recorded attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Rescore {
    /// Entrant id.
    pub entrant: String,
    /// Attempt number.
    pub attempt: u32,
    /// The new card.
    pub card: ScoreCard,
}

impl Rescore {
    /// A new card for an entrant's attempt.
    pub fn new(entrant: impl Into<String>, attempt: u32, card: ScoreCard) -> Rescore {
        Rescore {
            entrant: entrant.into(),
            attempt,
            card,
        }
    }
}

/// One step of a competition, as stored in the ledger. Serialised as JSON
/// with an `"entry"` tag (e.g. `{"entry":"protest",...}`); the shape is stable.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "entry", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum CompetitionEntry {
    /// An attempt is recorded (provisional).
    Attempt(Attempt),
    /// An event's provisional results are posted; its protest window opens.
    Posted {
        /// Event id.
        event: String,
        /// When.
        at: DateTime<FixedOffset>,
    },
    /// A protest against an entrant's result; holds that result.
    Protest {
        /// Protest id, unique in the competition.
        id: String,
        /// Event id.
        event: String,
        /// The entrant whose result is protested.
        entrant: String,
        /// When it was lodged.
        at: DateTime<FixedOffset>,
        /// Why.
        reason: String,
    },
    /// The jury's decision on a protest.
    Decision {
        /// The protest id.
        protest: String,
        /// When.
        at: DateTime<FixedOffset>,
        /// Upheld or rejected.
        outcome: Outcome,
        /// Why.
        reason: String,
        /// When upheld: attempts that replace those with the same number.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        corrected: Vec<Attempt>,
    },
    /// An event's results become official.
    Publish {
        /// Event id.
        event: String,
        /// When.
        at: DateTime<FixedOffset>,
    },
    /// A later correction of a recorded attempt; never an edit of the old entry.
    Correction {
        /// The attempt as it should have been (its number names the one replaced).
        attempt: Attempt,
        /// Why.
        reason: String,
    },
    /// An event's attempts re-scored with a new version of its scorer.
    Rejudge {
        /// Event id.
        event: String,
        /// The new scorer.
        scorer: ScorerId,
        /// The new cards.
        cards: Vec<Rescore>,
    },
}

/// Why an entry was refused. The contest is unchanged when one is returned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CompeteError {
    /// The entry names an event the competition does not have.
    #[error("{message}")]
    UnknownEvent {
        /// The event id.
        event: String,
        /// The message, with the known events.
        message: String,
    },
    /// The attempt names an entrant that is not in the competition.
    #[error("{message}")]
    UnknownEntrant {
        /// The entrant id.
        entrant: String,
        /// The message, with a suggestion.
        message: String,
    },
    /// The entrant is in the competition but not in this event.
    #[error("entrant `{entrant}` does not take part in event `{event}`")]
    NotInEvent {
        /// The event id.
        event: String,
        /// The entrant id.
        entrant: String,
    },
    /// More attempts than the event allows.
    #[error(
        "event `{event}` allows {allowed} attempt(s) per entrant; `{entrant}` already has {recorded}, so attempt {attempt} is refused"
    )]
    TooManyAttempts {
        /// The event id.
        event: String,
        /// The entrant id.
        entrant: String,
        /// The refused attempt number.
        attempt: u32,
        /// How many the event allows.
        allowed: u32,
        /// How many are recorded.
        recorded: usize,
    },
    /// An attempt with that number is already recorded.
    #[error(
        "attempt {attempt} of `{entrant}` in `{event}` is already recorded; record a correction instead"
    )]
    DuplicateAttempt {
        /// The event id.
        event: String,
        /// The entrant id.
        entrant: String,
        /// The attempt number.
        attempt: u32,
    },
    /// The attempt does not carry what the event's rule needs, or carries a bad value.
    #[error("attempt of `{entrant}` in `{event}`: {message}")]
    BadAttempt {
        /// The event id.
        event: String,
        /// The entrant id.
        entrant: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// The event's results are official; new attempts and protests are refused.
    #[error("the results of `{event}` are official; record a correction instead")]
    Official {
        /// The event id.
        event: String,
    },
    /// The protest came after its window closed.
    #[error(
        "protest `{protest}` was lodged at {at}, after the {} protest window of `{event}` closed at {closed} (results posted at {posted})",
        crate::Duration::from_secs(*.window_secs)
    )]
    ProtestTooLate {
        /// The protest id.
        protest: String,
        /// The event id.
        event: String,
        /// When the results were posted.
        posted: DateTime<FixedOffset>,
        /// The window's length in seconds.
        window_secs: u64,
        /// When it was lodged.
        at: DateTime<FixedOffset>,
        /// When the window closed.
        closed: DateTime<FixedOffset>,
    },
    /// A protest with that id exists already.
    #[error("protest `{protest}` is already lodged; give the new protest another id")]
    DuplicateProtest {
        /// The protest id.
        protest: String,
    },
    /// A decision or rejudge names a protest that was never lodged.
    #[error("{message}")]
    UnknownProtest {
        /// The protest id.
        protest: String,
        /// The message, with the open protests.
        message: String,
    },
    /// A protest was already decided.
    #[error("protest `{protest}` was already decided; record a correction instead")]
    AlreadyDecided {
        /// The protest id.
        protest: String,
    },
    /// A rejected protest cannot carry corrected attempts.
    #[error("protest `{protest}` is rejected, so the decision cannot correct attempts")]
    RejectedWithCorrection {
        /// The protest id.
        protest: String,
    },
    /// Publishing while a protest is open.
    #[error("cannot publish `{event}`: protest(s) {} still open; decide them first", .open.join(", "))]
    OpenProtest {
        /// The event id.
        event: String,
        /// The open protest ids.
        open: Vec<String>,
    },
    /// A correction, decision or rejudge names an attempt that was never recorded.
    #[error("there is no attempt {attempt} of `{entrant}` in `{event}` to replace")]
    NoSuchAttempt {
        /// The event id.
        event: String,
        /// The entrant id.
        entrant: String,
        /// The attempt number.
        attempt: u32,
    },
    /// A rejudge of an event not scored by a scorer.
    #[error(
        "event `{event}` is not scored by a scenario scorer, so it cannot be rejudged with new score cards"
    )]
    NotScorerEvent {
        /// The event id.
        event: String,
    },
}

/// What is recorded for one entrant's attempt.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Recorded {
    pub attempt: Attempt,
    pub number: u32,
    pub corrected: bool,
}

/// A lodged protest.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ProtestState {
    pub id: String,
    pub event: String,
    pub entrant: String,
    pub decided: Option<Outcome>,
}

/// An event's place in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventState {
    /// Results may change; protests may be lodged.
    Provisional,
    /// At least one protest is open.
    Protested,
    /// Published.
    Official,
}

/// A competition and the entries applied to it so far.
///
/// [`Contest::apply`] checks an entry before it changes anything: a refused
/// entry leaves the contest as it was, so the caller appends to the ledger
/// only entries that were accepted.
#[derive(Debug, Clone)]
pub struct Contest<'c> {
    pub(super) competition: &'c Competition,
    /// (event, entrant) → attempts, in number order.
    pub(super) attempts: BTreeMap<(String, String), Vec<Recorded>>,
    pub(super) posted: BTreeMap<String, DateTime<FixedOffset>>,
    pub(super) published: BTreeMap<String, DateTime<FixedOffset>>,
    pub(super) protests: Vec<ProtestState>,
    pub(super) scorers: BTreeMap<String, ScorerId>,
    entries: usize,
}

impl<'c> Contest<'c> {
    /// A contest with nothing recorded.
    pub fn new(competition: &'c Competition) -> Contest<'c> {
        Contest {
            competition,
            attempts: BTreeMap::new(),
            posted: BTreeMap::new(),
            published: BTreeMap::new(),
            protests: Vec::new(),
            scorers: BTreeMap::new(),
            entries: 0,
        }
    }

    /// Folds entries in order; stops at the first refused one, naming its
    /// position (1-based).
    pub fn from_entries(
        competition: &'c Competition,
        entries: &[CompetitionEntry],
    ) -> Result<Contest<'c>, (usize, CompeteError)> {
        let mut c = Contest::new(competition);
        for (i, e) in entries.iter().enumerate() {
            c.apply(e).map_err(|err| (i + 1, err))?;
        }
        Ok(c)
    }

    /// The competition.
    pub fn competition(&self) -> &'c Competition {
        self.competition
    }

    /// How many entries were applied.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// True when no entry was applied.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The state of an event.
    pub fn event_state(&self, event: &str) -> EventState {
        if self.published.contains_key(event) {
            EventState::Official
        } else if self.open_protests(event).next().is_some() {
            EventState::Protested
        } else {
            EventState::Provisional
        }
    }

    pub(super) fn open_protests<'a>(
        &'a self,
        event: &'a str,
    ) -> impl Iterator<Item = &'a ProtestState> + 'a {
        self.protests
            .iter()
            .filter(move |p| p.event == event && p.decided.is_none())
    }

    /// Checks an entry and, when it is good, applies it. On error nothing changes.
    pub fn apply(&mut self, entry: &CompetitionEntry) -> Result<(), CompeteError> {
        match entry {
            CompetitionEntry::Attempt(a) => {
                let event = self.open_event(&a.event)?;
                let number = self.check_new_attempt(event, a)?;
                self.push_attempt(a, number, false);
            }
            CompetitionEntry::Posted { event, .. } | CompetitionEntry::Publish { event, .. } => {
                self.open_event(event)?;
                if let CompetitionEntry::Publish { at, .. } = entry {
                    let open: Vec<String> =
                        self.open_protests(event).map(|p| p.id.clone()).collect();
                    if !open.is_empty() {
                        return Err(CompeteError::OpenProtest {
                            event: event.clone(),
                            open,
                        });
                    }
                    self.published.insert(event.clone(), *at);
                } else if let CompetitionEntry::Posted { at, .. } = entry {
                    self.posted.insert(event.clone(), *at);
                }
            }
            CompetitionEntry::Protest {
                id,
                event,
                entrant,
                at,
                ..
            } => {
                let ev = self.open_event(event)?;
                self.check_entrant(ev, entrant)?;
                if self.protests.iter().any(|p| &p.id == id) {
                    return Err(CompeteError::DuplicateProtest {
                        protest: id.clone(),
                    });
                }
                if let Some(posted) = self.posted.get(event) {
                    let closed = *posted
                        + chrono::Duration::seconds(
                            i64::try_from(ev.protest_window_secs).unwrap_or(i64::MAX / 1000),
                        );
                    if *at > closed {
                        return Err(CompeteError::ProtestTooLate {
                            protest: id.clone(),
                            event: event.clone(),
                            posted: *posted,
                            window_secs: ev.protest_window_secs,
                            at: *at,
                            closed,
                        });
                    }
                }
                self.protests.push(ProtestState {
                    id: id.clone(),
                    event: event.clone(),
                    entrant: entrant.clone(),
                    decided: None,
                });
            }
            CompetitionEntry::Decision {
                protest,
                outcome,
                corrected,
                ..
            } => {
                let Some(idx) = self.protests.iter().position(|p| &p.id == protest) else {
                    let open: Vec<&str> = self
                        .protests
                        .iter()
                        .filter(|p| p.decided.is_none())
                        .map(|p| p.id.as_str())
                        .collect();
                    return Err(CompeteError::UnknownProtest {
                        protest: protest.clone(),
                        message: if open.is_empty() {
                            format!(
                                "no protest `{protest}` was lodged, and none is open; a decision must name a lodged protest"
                            )
                        } else {
                            format!(
                                "no protest `{protest}` was lodged; a decision must name a lodged protest, and the open ones are: {}",
                                open.join(", ")
                            )
                        },
                    });
                };
                if self.protests[idx].decided.is_some() {
                    return Err(CompeteError::AlreadyDecided {
                        protest: protest.clone(),
                    });
                }
                if *outcome == Outcome::Rejected && !corrected.is_empty() {
                    return Err(CompeteError::RejectedWithCorrection {
                        protest: protest.clone(),
                    });
                }
                let mut checked = Vec::new();
                for a in corrected {
                    let event = self.known_event(&a.event)?;
                    checked.push((a, self.check_replacement(event, a)?));
                }
                for (a, n) in checked {
                    self.replace_attempt(a, n);
                }
                self.protests[idx].decided = Some(*outcome);
            }
            CompetitionEntry::Correction { attempt, .. } => {
                let event = self.known_event(&attempt.event)?;
                let n = self.check_replacement(event, attempt)?;
                self.replace_attempt(attempt, n);
            }
            CompetitionEntry::Rejudge {
                event,
                scorer,
                cards,
            } => {
                let ev = self.known_event(event)?;
                if !matches!(ev.rule, Rule::Scorer { .. }) {
                    return Err(CompeteError::NotScorerEvent {
                        event: event.clone(),
                    });
                }
                for r in cards {
                    self.check_entrant(ev, &r.entrant)?;
                    let found = self
                        .attempts
                        .get(&(event.clone(), r.entrant.clone()))
                        .is_some_and(|v| v.iter().any(|x| x.number == r.attempt));
                    if !found {
                        return Err(CompeteError::NoSuchAttempt {
                            event: event.clone(),
                            entrant: r.entrant.clone(),
                            attempt: r.attempt,
                        });
                    }
                    check_card(ev, &r.card, &r.entrant)?;
                }
                for r in cards {
                    if let Some(v) = self.attempts.get_mut(&(event.clone(), r.entrant.clone()))
                        && let Some(x) = v.iter_mut().find(|x| x.number == r.attempt)
                    {
                        x.attempt.card = Some(r.card.clone());
                        x.attempt.status = AttemptStatus::Ok;
                    }
                }
                self.scorers.insert(event.clone(), scorer.clone());
            }
        }
        self.entries += 1;
        Ok(())
    }

    fn known_event(&self, id: &str) -> Result<&'c Event, CompeteError> {
        self.competition.event(id).ok_or_else(|| {
            let ids: Vec<&str> = self
                .competition
                .events
                .iter()
                .map(|e| e.id.as_str())
                .collect();
            CompeteError::UnknownEvent {
                event: id.to_string(),
                message: unknown("event", id, &ids),
            }
        })
    }

    fn open_event(&self, id: &str) -> Result<&'c Event, CompeteError> {
        let e = self.known_event(id)?;
        if self.published.contains_key(id) {
            return Err(CompeteError::Official {
                event: id.to_string(),
            });
        }
        Ok(e)
    }

    fn check_entrant(&self, event: &Event, entrant: &str) -> Result<(), CompeteError> {
        let c = self.competition;
        if c.entrant(entrant).is_none() {
            let ids: Vec<&str> = c.entrants.iter().map(|e| e.id.as_str()).collect();
            let mut message = unknown("entrant", entrant, &ids);
            if message.contains("did you mean") {
                // Name who may take part, so a judge need not open the file.
                let mut may: Vec<&str> =
                    c.attempters(event).iter().map(|e| e.id.as_str()).collect();
                if may.is_empty() {
                    may = c.teams(event).iter().map(|e| e.id.as_str()).collect();
                }
                const SHOWN: usize = 12;
                let more = may.len().saturating_sub(SHOWN);
                may.truncate(SHOWN);
                message.push_str(&format!(
                    " The entrants of `{}` are: {}{}",
                    event.id,
                    may.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ));
            }
            return Err(CompeteError::UnknownEntrant {
                entrant: entrant.to_string(),
                message,
            });
        }
        let ok = c.attempters(event).iter().any(|e| e.id == entrant)
            || c.teams(event).iter().any(|e| e.id == entrant);
        if !ok {
            return Err(CompeteError::NotInEvent {
                event: event.id.clone(),
                entrant: entrant.to_string(),
            });
        }
        Ok(())
    }

    fn check_new_attempt(&self, event: &Event, a: &Attempt) -> Result<u32, CompeteError> {
        self.check_entrant(event, &a.entrant)?;
        if !self
            .competition
            .attempters(event)
            .iter()
            .any(|e| e.id == a.entrant)
        {
            return Err(CompeteError::BadAttempt {
                event: event.id.clone(),
                entrant: a.entrant.clone(),
                message: "this team event is scored from its members' attempts; record the members' attempts".into(),
            });
        }
        let recorded = self
            .attempts
            .get(&(a.event.clone(), a.entrant.clone()))
            .map_or(&[][..], |v| v.as_slice());
        let number = a
            .attempt
            .unwrap_or_else(|| recorded.iter().map(|r| r.number).max().unwrap_or(0) + 1);
        if number == 0 {
            return Err(bad(a, "attempt numbers start at 1".into()));
        }
        if recorded.iter().any(|r| r.number == number) {
            return Err(CompeteError::DuplicateAttempt {
                event: a.event.clone(),
                entrant: a.entrant.clone(),
                attempt: number,
            });
        }
        if number > event.attempts || recorded.len() >= event.attempts as usize {
            return Err(CompeteError::TooManyAttempts {
                event: a.event.clone(),
                entrant: a.entrant.clone(),
                attempt: number,
                allowed: event.attempts,
                recorded: recorded.len(),
            });
        }
        check_fields(event, a)?;
        Ok(number)
    }

    fn check_replacement(&self, event: &Event, a: &Attempt) -> Result<u32, CompeteError> {
        self.check_entrant(event, &a.entrant)?;
        let Some(number) = a.attempt else {
            return Err(bad(
                a,
                "a correction must give the `attempt` number it replaces".into(),
            ));
        };
        let found = self
            .attempts
            .get(&(a.event.clone(), a.entrant.clone()))
            .is_some_and(|v| v.iter().any(|r| r.number == number));
        if !found {
            return Err(CompeteError::NoSuchAttempt {
                event: a.event.clone(),
                entrant: a.entrant.clone(),
                attempt: number,
            });
        }
        check_fields(event, a)?;
        Ok(number)
    }

    fn push_attempt(&mut self, a: &Attempt, number: u32, corrected: bool) {
        let v = self
            .attempts
            .entry((a.event.clone(), a.entrant.clone()))
            .or_default();
        v.push(Recorded {
            attempt: a.clone(),
            number,
            corrected,
        });
        v.sort_by_key(|r| r.number);
    }

    fn replace_attempt(&mut self, a: &Attempt, number: u32) {
        if let Some(v) = self.attempts.get_mut(&(a.event.clone(), a.entrant.clone())) {
            v.retain(|r| r.number != number);
        }
        self.push_attempt(a, number, true);
    }
}

fn bad(a: &Attempt, message: String) -> CompeteError {
    CompeteError::BadAttempt {
        event: a.event.clone(),
        entrant: a.entrant.clone(),
        message,
    }
}

fn check_card(event: &Event, card: &ScoreCard, entrant: &str) -> Result<(), CompeteError> {
    if !card.total.is_finite() {
        return Err(CompeteError::BadAttempt {
            event: event.id.clone(),
            entrant: entrant.to_string(),
            message: "the score card's total is not a finite number".into(),
        });
    }
    Ok(())
}

/// Checks that an attempt carries what its event's rule needs.
fn check_fields(event: &Event, a: &Attempt) -> Result<(), CompeteError> {
    let finite = |x: f64| x.is_finite() && x >= 0.0;
    if a.status != AttemptStatus::Ok {
        return Ok(());
    }
    match &event.rule {
        Rule::TimePenalty {
            penalties,
            dq_faults,
        } => {
            match a.time {
                Some(t) if finite(t) => {}
                Some(t) => {
                    return Err(bad(
                        a,
                        format!("`time` is {t}; write the seconds, 0 or more"),
                    ));
                }
                None => return Err(bad(a, "rule time-penalty needs `time` in seconds".into())),
            }
            for code in a.penalties.keys() {
                if !penalties.contains_key(code) && !dq_faults.contains(code) {
                    let mut known: Vec<&str> = penalties.keys().map(String::as_str).collect();
                    known.extend(dq_faults.iter().map(String::as_str));
                    return Err(bad(a, unknown("penalty code", code, &known)));
                }
            }
        }
        Rule::Points { table } => {
            for code in a.items.keys() {
                if !table.contains_key(code) {
                    let known: Vec<&str> = table.keys().map(String::as_str).collect();
                    return Err(bad(a, unknown("points item", code, &known)));
                }
            }
        }
        Rule::Marks { judges, .. } => {
            if a.marks.len() != *judges as usize {
                return Err(bad(
                    a,
                    format!(
                        "the event has {judges} judges but the attempt carries {} marks",
                        a.marks.len()
                    ),
                ));
            }
            if let Some(m) = a.marks.iter().find(|m| !finite(**m)) {
                return Err(bad(a, format!("mark {m} is not a number of 0 or more")));
            }
        }
        Rule::CountTime { .. } => {
            for p in &a.problems {
                if let Some(t) = p.solved_at
                    && !finite(t)
                {
                    return Err(bad(
                        a,
                        format!(
                            "problem `{}` solved_at is {t}; write minutes, 0 or more",
                            p.id
                        ),
                    ));
                }
            }
            let mut ids: Vec<&str> = a.problems.iter().map(|p| p.id.as_str()).collect();
            ids.sort_unstable();
            if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
                return Err(bad(a, format!("problem `{}` is listed twice", w[0])));
            }
        }
        Rule::Scorer { .. } => match &a.card {
            Some(card) => check_card(event, card, &a.entrant)?,
            None => return Err(bad(a, "rule scorer needs the scorer's `card`".into())),
        },
    }
    Ok(())
}

/// The status an attempt really has: a card's DNF or DQ counts as the attempt's.
pub(super) fn effective_status(a: &Attempt) -> (AttemptStatus, Option<String>) {
    if let Some(card) = &a.card
        && a.status == AttemptStatus::Ok
    {
        return match card.status {
            ScoreStatus::Valid => (AttemptStatus::Ok, None),
            ScoreStatus::Dnf => (AttemptStatus::Dnf, Some(card.reason.clone())),
            ScoreStatus::Dq => (AttemptStatus::Dq, Some(card.reason.clone())),
        };
    }
    let why = match (&a.code, &a.reason) {
        (Some(c), Some(r)) => Some(format!("{c}: {r}")),
        (Some(c), None) => Some(c.clone()),
        (None, Some(r)) => Some(r.clone()),
        (None, None) => None,
    };
    (a.status, why)
}
