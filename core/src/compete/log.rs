//! Competitions kept in the ledger: every step is an `extension` entry of
//! module `compete`, and a competition is rebuilt by replaying them.
//!
//! * `competition` — the competition file was adopted: its name, its text and
//!   the text's content hash, and the competition id it is known by.
//! * `attempt`, `posted`, `protest`, `decision`, `publish`, `correction`,
//!   `rejudge` — one [`CompetitionEntry`] each, naming the `competition` entry
//!   in the ledger entry's `entries`, so the ledger checks that it exists.
//!
//! Every step is checked by [`Contest::apply`] against the state rebuilt from
//! the ledger before anything is appended; a refused step appends nothing.
//! A step reversed by a ledger `correction` is skipped on replay, like every
//! other reversed entry.

use chrono::{DateTime, FixedOffset};

use crate::diag::Diagnostics;
use crate::ledger::{Draft, EntryKind, LedgerError, LedgerStore, RawEntry};

use super::entry::{CompeteError, CompetitionEntry, Contest};
use super::model::Competition;

/// The ledger module name of competition entries.
pub const MODULE: &str = "compete";
/// The extension name of the entry that adopts a competition file.
const CREATED: &str = "competition";

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CreatedPayload {
    competition: String,
    file: String,
    hash: String,
    text: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StepPayload {
    competition: String,
    step: CompetitionEntry,
}

/// Why a competition could not be created, loaded or added to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The ledger refused or could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The competition file has mistakes.
    #[error("{0}")]
    File(Diagnostics),
    /// The competition id given is not an id.
    #[error(
        "competition id `{id}` is not valid; use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit"
    )]
    BadId {
        /// The id.
        id: String,
    },
    /// A competition with this id is already in the ledger.
    #[error(
        "competition `{id}` is already in the ledger (entry {created}); record its steps against it, or give the new one another id"
    )]
    Exists {
        /// The id.
        id: String,
        /// Its `competition` entry.
        created: u64,
    },
    /// No competition with this id is in the ledger.
    #[error("{message}")]
    UnknownCompetition {
        /// The id.
        id: String,
        /// The message, with the known competitions.
        message: String,
    },
    /// A step was refused; nothing was appended.
    #[error("{error}")]
    Refused {
        /// 1-based position of the refused step in the batch.
        index: usize,
        /// Why.
        error: Box<CompeteError>,
    },
    /// A stored step no longer applies (the ledger was appended to by hand).
    #[error(
        "ledger entry {seq} ({name}) of competition `{competition}` is refused on replay: {error}"
    )]
    Replay {
        /// The entry.
        seq: u64,
        /// Its extension name.
        name: String,
        /// The competition id.
        competition: String,
        /// Why.
        error: Box<CompeteError>,
    },
    /// A stored compete entry cannot be read.
    #[error("ledger entry {seq}: {message}")]
    Corrupt {
        /// The entry.
        seq: u64,
        /// What is wrong.
        message: String,
    },
}

/// A competition as the ledger holds it: the adopted file and its steps.
///
/// ```
/// use muster_core::compete::{Attempt, CompetitionEntry, CompetitionLog};
/// use muster_core::ledger::{LedgerStore, MemoryStore};
///
/// let at = chrono::DateTime::parse_from_rfc3339("2026-12-05T09:00:00+08:00").unwrap();
/// let file = "[competition]\nid = \"relay\"\nname = \"Relay\"\n\
///             [[entrants]]\nid = \"nantang\"\nname = \"Nantang\"\nkind = \"squadron\"\n\
///             [[events]]\nid = \"relay\"\nname = \"Relay\"\nkind = \"team\"\npreset = \"combat-challenge\"\n";
/// let mut store = MemoryStore::new();
/// let mut log = CompetitionLog::create(&mut store, "relay.toml", file, None, "judge", at).unwrap();
/// let mut a = Attempt::new("relay", "nantang");
/// a.time = Some(95.0);
/// log.record(&mut store, "judge", at, &[CompetitionEntry::Attempt(a)]).unwrap();
///
/// // A bad step appends nothing.
/// let bad = CompetitionEntry::Attempt(Attempt::new("relay", "wuyun"));
/// let err = log.record(&mut store, "judge", at, &[bad]).unwrap_err();
/// assert_eq!(err.to_string(), "unknown entrant `wuyun`; known: nantang");
/// assert_eq!(store.tip().unwrap().unwrap().0, 2);
///
/// // Anyone can rebuild the standings from the ledger.
/// let log = CompetitionLog::load(&store, "relay").unwrap();
/// let standings = log.contest().unwrap().standings();
/// assert_eq!(standings.events[0].rows[0].result, "95 s");
/// ```
#[derive(Debug, Clone)]
pub struct CompetitionLog {
    competition: Competition,
    file: String,
    hash: String,
    created: u64,
    steps: Vec<(u64, CompetitionEntry)>,
}

impl CompetitionLog {
    /// Parses and checks a competition file, and the draft that adopts it
    /// into the ledger under its own id or `id` when given.
    pub fn create_draft(
        file: &str,
        text: &str,
        id: Option<&str>,
        author: &str,
        at: DateTime<FixedOffset>,
    ) -> Result<(Competition, Draft), LogError> {
        let mut competition = Competition::parse(file, text).map_err(LogError::File)?;
        if let Some(id) = id {
            if !crate::scenario::valid_id(id) {
                return Err(LogError::BadId { id: id.to_string() });
            }
            competition.id = id.to_string();
        }
        let payload = CreatedPayload {
            competition: competition.id.clone(),
            file: file.to_string(),
            hash: crate::content_hash(text.as_bytes()),
            text: text.to_string(),
        };
        let draft = Draft::new(
            author,
            at,
            EntryKind::Extension {
                module: MODULE.into(),
                name: CREATED.into(),
                members: Vec::new(),
                entries: Vec::new(),
                payload: to_json(&payload),
            },
        );
        Ok((competition, draft))
    }

    /// Adopts a competition file into the ledger (see [`Self::create_draft`]);
    /// refused when a competition with the same id is already there.
    pub fn create(
        store: &mut dyn LedgerStore,
        file: &str,
        text: &str,
        id: Option<&str>,
        author: &str,
        at: DateTime<FixedOffset>,
    ) -> Result<CompetitionLog, LogError> {
        let (competition, draft) = Self::create_draft(file, text, id, author, at)?;
        match Self::load(&*store, &competition.id) {
            Ok(found) => {
                return Err(LogError::Exists {
                    id: competition.id,
                    created: found.created,
                });
            }
            Err(LogError::UnknownCompetition { .. }) => {}
            Err(e) => return Err(e),
        }
        let written = store.append(&[draft])?;
        let created = written.first().map_or(0, |e| e.seq);
        Ok(CompetitionLog {
            competition,
            file: file.to_string(),
            hash: crate::content_hash(text.as_bytes()),
            created,
            steps: Vec::new(),
        })
    }

    /// The ids of the competitions in the ledger, in the order they were created.
    pub fn ids(store: &dyn LedgerStore) -> Result<Vec<String>, LogError> {
        let corrected = store.corrected()?;
        let mut ids = Vec::new();
        for e in store.entries()? {
            if let Some((CREATED, payload, _)) = compete_entry(&e.kind)
                && !corrected.contains(&e.seq)
            {
                let p: CreatedPayload = from_json(e.seq, payload)?;
                ids.push(p.competition);
            }
        }
        Ok(ids)
    }

    /// Rebuilds a competition from the ledger: its file and every step not
    /// reversed by a ledger correction, in order. The steps are not replayed
    /// here; [`Self::contest`] does that.
    pub fn load(store: &dyn LedgerStore, id: &str) -> Result<CompetitionLog, LogError> {
        let corrected = store.corrected()?;
        let entries = store.entries()?;
        let mut found: Option<CompetitionLog> = None;
        let mut ids: Vec<String> = Vec::new();
        for e in &entries {
            let Some((name, payload, links)) = compete_entry(&e.kind) else {
                continue;
            };
            if corrected.contains(&e.seq) {
                continue;
            }
            if name == CREATED {
                let p: CreatedPayload = from_json(e.seq, payload)?;
                if p.competition != id {
                    ids.push(p.competition);
                    continue;
                }
                if crate::content_hash(p.text.as_bytes()) != p.hash {
                    return Err(LogError::Corrupt {
                        seq: e.seq,
                        message: format!(
                            "the stored text of `{}` does not hash to the stored {}",
                            p.file, p.hash
                        ),
                    });
                }
                let mut competition =
                    Competition::parse(&p.file, &p.text).map_err(|d| LogError::Corrupt {
                        seq: e.seq,
                        message: format!("the stored competition file no longer parses: {d}"),
                    })?;
                competition.id = p.competition;
                // A competition created again after its first adoption was
                // reversed starts afresh.
                found = Some(CompetitionLog {
                    competition,
                    file: p.file,
                    hash: p.hash,
                    created: e.seq,
                    steps: Vec::new(),
                });
            } else if let Some(log) = found.as_mut()
                && links.contains(&log.created)
            {
                let p: StepPayload = from_json(e.seq, payload)?;
                log.steps.push((e.seq, p.step));
            }
        }
        found.ok_or_else(|| {
            let known: Vec<&str> = ids.iter().map(String::as_str).collect();
            let hint = match crate::scenario::closest_key(id, &known) {
                Some(best) => format!("did you mean `{best}`?"),
                None if known.is_empty() => "it holds none yet".to_string(),
                None => format!("it holds: {}", known.join(", ")),
            };
            LogError::UnknownCompetition {
                id: id.to_string(),
                message: format!(
                    "no competition `{id}` in the ledger; {hint} (a competition file is adopted with `muster compete create FILE`)"
                ),
            }
        })
    }

    /// The competition, with the id the ledger knows it by.
    pub fn competition(&self) -> &Competition {
        &self.competition
    }

    /// The name the competition file was adopted under.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The `sha256:` content hash of the adopted file's text.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The sequence number of the `competition` entry.
    pub fn created(&self) -> u64 {
        self.created
    }

    /// The steps with their ledger sequence numbers, in order.
    pub fn steps(&self) -> &[(u64, CompetitionEntry)] {
        &self.steps
    }

    /// The lodged protest with this id: its event and entrant.
    pub fn protest(&self, id: &str) -> Option<(&str, &str)> {
        self.steps.iter().find_map(|(_, s)| match s {
            CompetitionEntry::Protest {
                id: p,
                event,
                entrant,
                ..
            } if p == id => Some((event.as_str(), entrant.as_str())),
            _ => None,
        })
    }

    /// Replays the steps into a [`Contest`].
    pub fn contest(&self) -> Result<Contest<'_>, LogError> {
        let mut contest = Contest::new(&self.competition);
        for (seq, step) in &self.steps {
            contest.apply(step).map_err(|error| LogError::Replay {
                seq: *seq,
                name: step_name(step),
                competition: self.competition.id.clone(),
                error: Box::new(error),
            })?;
        }
        Ok(contest)
    }

    /// Checks `steps` in order against the competition as the ledger holds it
    /// now, then appends them all in one write; when one is refused nothing
    /// is appended and [`LogError::Refused`] names it. Returns the entries written.
    pub fn record(
        &mut self,
        store: &mut dyn LedgerStore,
        author: &str,
        at: DateTime<FixedOffset>,
        steps: &[CompetitionEntry],
    ) -> Result<Vec<RawEntry>, LogError> {
        // Another writer may have added steps since this log was loaded, or
        // may add some between this check and the write: the write is made
        // conditional on the ledger still ending where it was read, and on a
        // conflict the state is read and checked again.
        let mut tries = 0;
        let (fresh, written) = loop {
            tries += 1;
            let last = store.tip()?.map_or(0, |(seq, _)| seq);
            let fresh = CompetitionLog::load(&*store, &self.competition.id)?;
            {
                let mut contest = fresh.contest()?;
                for (i, step) in steps.iter().enumerate() {
                    contest.apply(step).map_err(|error| LogError::Refused {
                        index: i + 1,
                        error: Box::new(error),
                    })?;
                }
            }
            let drafts: Vec<Draft> = steps
                .iter()
                .map(|step| {
                    let payload = StepPayload {
                        competition: fresh.competition.id.clone(),
                        step: step.clone(),
                    };
                    Draft::new(
                        author,
                        at,
                        EntryKind::Extension {
                            module: MODULE.into(),
                            name: step_name(step),
                            members: Vec::new(),
                            entries: vec![fresh.created],
                            payload: to_json(&payload),
                        },
                    )
                })
                .collect();
            match store.append_after(Some(last), &drafts) {
                Ok(written) => break (fresh, written),
                Err(LedgerError::Moved { .. }) if tries < 10 => continue,
                Err(e) => return Err(e.into()),
            }
        };
        *self = fresh;
        self.steps
            .extend(written.iter().map(|e| e.seq).zip(steps.iter().cloned()));
        Ok(written)
    }
}

/// The extension name, payload and linked entries of a compete entry.
fn compete_entry(kind: &EntryKind) -> Option<(&str, &serde_json::Value, &[u64])> {
    match kind {
        EntryKind::Extension {
            module,
            name,
            payload,
            entries,
            ..
        } if module == MODULE => Some((name.as_str(), payload, entries.as_slice())),
        _ => None,
    }
}

/// The step's kind as its JSON tag says, e.g. `attempt`.
fn step_name(step: &CompetitionEntry) -> String {
    to_json(step)["entry"]
        .as_str()
        .unwrap_or("step")
        .to_string()
}

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    // Plain data with string keys and finite numbers serialises without
    // failure; Null would be refused on read as corrupt, never silently used.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn from_json<T: serde::de::DeserializeOwned>(
    seq: u64,
    payload: &serde_json::Value,
) -> Result<T, LogError> {
    T::deserialize(payload).map_err(|e| LogError::Corrupt {
        seq,
        message: format!("not a compete entry: {e}"),
    })
}
