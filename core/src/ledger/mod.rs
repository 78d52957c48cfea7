//! The ledger: an append-only, hash-chained log of what the brigade did.
//!
//! Every fact is an [`Entry`]: a sequence number, an author, the time it was
//! recorded (handed in by the caller; core reads no clock), what happened
//! ([`EntryKind`]), the previous entry's hash and its own hash. Nothing is
//! updated or deleted: a mistake is reversed by a [`EntryKind::Correction`].
//!
//! ```
//! use muster_core::ledger::{self, Draft, EntryKind, LedgerStore, MemoryStore};
//!
//! let at = chrono::DateTime::parse_from_rfc3339("2021-06-01T08:00:00+08:00").unwrap();
//! let mut store = MemoryStore::new();
//! let joined = EntryKind::MemberJoined {
//!     member: "m001".into(),
//!     name: "Li Wei".into(),
//!     squadron: "nantang".into(),
//!     speciality: "wind-extinguisher".into(),
//! };
//! store.append(&[Draft::new("admin", at, joined)]).unwrap();
//!
//! // A correction must name an entry that exists; nothing is written otherwise.
//! let bad = EntryKind::Correction { reverses: 7, reason: "typo".into() };
//! let err = store.append(&[Draft::new("admin", at, bad)]).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "entry 2 (correction): there is no entry 7; the ledger holds entries 1 to 1"
//! );
//! assert_eq!(ledger::verify(&store).unwrap().entries, 1);
//! ```
//!
//! # Canonical form and hash
//!
//! An entry's body is the compact JSON of its [`EntryKind`] as written by
//! [`canonical_body`] (`serde_json`, no whitespace, object keys in the order
//! the JSON value holds them, numbers in shortest round-trip form). The stored
//! body text is authoritative: the hash is computed over the stored bytes, so
//! verification never depends on re-serialising. The hash is SHA-256 over
//!
//! ```text
//! "muster-ledger-v1" 0x00 seq(decimal) 0x00 prev(hex) 0x00 at(RFC 3339) 0x00 author 0x00 body
//! ```
//!
//! where `prev` of the first entry is 64 zeros.
//!
//! # Extension kinds
//!
//! Other modules (competitions first) add their own facts with
//! [`EntryKind::Extension`]: a `module` and `name` (e.g. `compete` /
//! `attempt`), a free JSON `payload`, and the `members` and `entries` it names,
//! which the ledger checks like any other reference. A module that needs
//! stronger typing wraps the payload in its own serde type; a new core variant
//! is only needed when core's projections must understand the fact.

mod export;
mod project;
mod reread;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use sha2::{Digest, Sha256};

use std::collections::BTreeMap;

use crate::{
    DrillRecord, Scenario, ScenarioTerms, ScoreCard, ScoreInput, ScoreStatus, Scorer, ScorerId,
    TaskScore,
};

pub use export::{RosterRow, XapiOptions, export_csv, export_jsonl, export_xapi, import_roster};
pub use project::{
    Alert, Attendance, CurrencyLine, HAZARD_SKILLS, HourLine, HourQuery, MatrixCell, Projection,
    SquadronReadiness, hazard_of,
};
#[cfg(feature = "sqlite")]
pub use sqlite::{SCHEMA_VERSION, SqliteStore, WAL_SIZE_LIMIT, write_settings};
pub use store::{LedgerStore, Lookup, MemoryStore, StoredText};

/// A SHA-256 hash of one entry, shown as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EntryHash(pub [u8; 32]);

/// The value of each byte as a hex digit, `0xff` for a byte that is none.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match c as u8 {
            b @ b'0'..=b'9' => b - b'0',
            b @ b'a'..=b'f' => b - b'a' + 10,
            b @ b'A'..=b'F' => b - b'A' + 10,
            _ => 0xff,
        };
        c += 1;
    }
    t
};

impl EntryHash {
    /// The `prev` hash of the first entry: all zeros.
    pub const GENESIS: EntryHash = EntryHash([0; 32]);

    /// Parses 64 hex digits, in either case.
    pub fn from_hex(s: &str) -> Option<EntryHash> {
        // Every stored entry's two hashes are read this way, so by table and
        // without a branch per digit: a digit that is not hex has its high
        // bits set, and one check at the end finds it.
        let digits: &[u8; 64] = s.as_bytes().try_into().ok()?;
        let mut out = [0u8; 32];
        let mut bad = 0u8;
        for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let (hi, lo) = (HEX_VALUE[pair[0] as usize], HEX_VALUE[pair[1] as usize]);
            bad |= hi | lo;
            *o = (hi << 4) | lo;
        }
        (bad & 0xf0 == 0).then_some(EntryHash(out))
    }

    /// The 64 lower-case hex digits, without allocating.
    pub fn hex_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        // 32 bytes always fit 64 digits, so this cannot fail.
        let _ = hex::encode_to_slice(self.0, &mut out);
        out
    }
}

/// [`EntryHash::hex_bytes`]'s digits as text, without a string of their own.
pub(crate) fn hex_text(digits: &[u8; 64]) -> &str {
    // Hex digits are ASCII, so this is always valid UTF-8.
    std::str::from_utf8(digits).unwrap_or_default()
}

impl fmt::Display for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(hex_text(&self.hex_bytes()))
    }
}

impl fmt::Debug for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryHash({self})")
    }
}

impl serde::Serialize for EntryHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EntryHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        EntryHash::from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// What happened: the fact an entry records.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum EntryKind {
    /// A member joined the brigade.
    MemberJoined {
        /// Member id, e.g. `m001`.
        member: String,
        /// Name as shown.
        name: String,
        /// Squadron id.
        squadron: String,
        /// The member's one speciality (a skill id).
        speciality: String,
    },
    /// A member left the brigade.
    MemberLeft {
        /// Member id.
        member: String,
        /// Why.
        reason: String,
    },
    /// A scenario package was adopted, so drill runs may name it.
    ScenarioRegistered {
        /// Scenario id.
        scenario: String,
        /// Scenario version.
        version: String,
        /// `sha256:` content hash of the package.
        package_hash: String,
    },
    /// A qualification was granted.
    QualificationGranted {
        /// Member id.
        member: String,
        /// Skill id.
        skill: String,
        /// 1 (basic) to 3 (instructor).
        level: u8,
        /// Last day it is current; none when it does not expire.
        valid_until: Option<NaiveDate>,
    },
    /// A qualification was renewed.
    QualificationRenewed {
        /// Member id.
        member: String,
        /// Skill id.
        skill: String,
        /// 1 (basic) to 3 (instructor).
        level: u8,
        /// Last day it is current; none when it does not expire.
        valid_until: Option<NaiveDate>,
    },
    /// A qualification was revoked.
    QualificationRevoked {
        /// Member id.
        member: String,
        /// Skill id.
        skill: String,
        /// Why.
        reason: String,
    },
    /// A member attended a training session.
    TrainingAttended {
        /// Member id.
        member: String,
        /// Syllabus item.
        item: String,
        /// Hour-quota category, e.g. `physical`, `water-rescue`.
        category: String,
        /// Hours attended.
        hours: f64,
        /// Member id of the instructor who signed off.
        instructor: String,
    },
    /// A drill run was recorded.
    DrillRun {
        /// Scenario id; must be registered.
        scenario: String,
        /// Scenario version.
        version: String,
        /// Content hash of the package the run used; must match the registration.
        package_hash: String,
        /// Members who took part.
        members: Vec<String>,
        /// The run.
        record: DrillRecord,
    },
    /// A drill run was scored.
    ScoreComputed {
        /// Sequence number of the `drill_run` entry scored.
        run: u64,
        /// The scorer, with its content hash.
        scorer: ScorerId,
        /// The `[scoring.params]` it was given.
        params: serde_json::Value,
        /// Version of the runtime that ran it (e.g. `rhai 1.27`, `native`).
        runtime: String,
        /// The input the scorer saw, in full.
        ///
        /// Exactly one of `input` and `terms` is given. Muster writes
        /// `terms`, and the input is rebuilt from the run's record
        /// ([`ScoreInput::from_terms`], [`Entry::score_input`]); score entries
        /// written before it did, and drafts an app gives, may hold the
        /// input itself.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        input: Option<Box<ScoreInput>>,
        /// The scenario's terms (time limit, critical tasks) the input was
        /// built with from the run's record; see `input`.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        terms: Option<ScenarioTerms>,
        /// The card it gave.
        card: ScoreCard,
    },
    /// Many drill runs scored by one scorer with the same params and
    /// terms, as a re-score ([`rescore`]) writes them: the scorer, params,
    /// runtime and terms once, then each run with its card. Each score is
    /// read as a `score_computed` entry with those fields would be.
    ScoresComputed {
        /// The scorer, with its content hash; every card is its.
        scorer: ScorerId,
        /// The `[scoring.params]` it was given.
        params: serde_json::Value,
        /// Version of the runtime that ran it.
        runtime: String,
        /// The scenario's terms every run's input was built with
        /// ([`ScoreInput::from_terms`]).
        terms: ScenarioTerms,
        /// Each run and its card, runs in increasing order, at most
        /// [`MAX_SCORES`].
        scores: Vec<RunScore>,
    },
    /// Reverses an earlier entry; the entry stays, projections skip it.
    Correction {
        /// Sequence number of the entry reversed.
        reverses: u64,
        /// Why.
        reason: String,
    },
    /// A fact owned by another module (see the module docs).
    Extension {
        /// Owning module, e.g. `compete`.
        module: String,
        /// Kind within the module, e.g. `attempt`.
        name: String,
        /// Members the fact names; each must be a current member.
        #[serde(default)]
        members: Vec<String>,
        /// Entries the fact names; each must exist.
        #[serde(default)]
        entries: Vec<u64>,
        /// The module's data.
        payload: serde_json::Value,
    },
}

/// Each kind's variant and its snake_case name, once: they give
/// [`EntryKind::name`] and [`KIND_NAMES`].
macro_rules! kind_names {
    ($($variant:ident => $name:literal,)*) => {
        /// Every kind name [`EntryKind::name`] gives.
        const KIND_NAMES: [&str; [$($name),*].len()] = [$($name),*];

        impl EntryKind {
            /// The snake_case kind name, as stored.
            pub fn name(&self) -> &'static str {
                match self {
                    $(EntryKind::$variant { .. } => $name,)*
                }
            }
        }
    };
}

kind_names! {
    MemberJoined => "member_joined",
    MemberLeft => "member_left",
    ScenarioRegistered => "scenario_registered",
    QualificationGranted => "qualification_granted",
    QualificationRenewed => "qualification_renewed",
    QualificationRevoked => "qualification_revoked",
    TrainingAttended => "training_attended",
    DrillRun => "drill_run",
    ScoreComputed => "score_computed",
    ScoresComputed => "scores_computed",
    Correction => "correction",
    Extension => "extension",
}

/// A stored kind name as the `'static` one [`EntryKind::name`] gives;
/// another name is kept as read.
pub(crate) fn stored_kind(name: &str) -> std::borrow::Cow<'static, str> {
    KIND_NAMES
        .iter()
        .find(|k| **k == name)
        .map_or_else(|| name.to_string().into(), |k| (*k).into())
}

impl EntryKind {
    /// The member this entry is chiefly about, used to index it.
    pub fn subject(&self) -> Option<&str> {
        match self {
            EntryKind::MemberJoined { member, .. }
            | EntryKind::MemberLeft { member, .. }
            | EntryKind::QualificationGranted { member, .. }
            | EntryKind::QualificationRenewed { member, .. }
            | EntryKind::QualificationRevoked { member, .. }
            | EntryKind::TrainingAttended { member, .. } => Some(member),
            _ => None,
        }
    }

    /// The entry this one refers to, used to index it.
    pub fn reference(&self) -> Option<u64> {
        match self {
            EntryKind::ScoreComputed { run, .. } => Some(*run),
            EntryKind::Correction { reverses, .. } => Some(*reverses),
            _ => None,
        }
    }
}

/// Most scores one [`EntryKind::ScoresComputed`] entry holds.
pub const MAX_SCORES: usize = 65_536;

/// One run's score in an [`EntryKind::ScoresComputed`] entry: the run and
/// the card its scorer gave, less the scorer, which the entry names once.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RunScore {
    /// Sequence number of the `drill_run` entry scored.
    pub run: u64,
    /// The card's total.
    pub total: f64,
    /// The card's status.
    pub status: ScoreStatus,
    /// Why the status is DNF or DQ; empty (and not written) when valid.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub reason: String,
    /// The scorer's notes, in order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
    /// The tasks the scorer gave points or a note, by task id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub tasks: BTreeMap<String, TaskScore>,
}

impl RunScore {
    /// The score of `run` by `card`; the card's scorer is the entry's.
    pub fn new(run: u64, card: ScoreCard) -> RunScore {
        RunScore {
            run,
            total: card.total,
            status: card.status,
            reason: card.reason,
            notes: card.notes,
            tasks: card.tasks,
        }
    }

    /// The card, as made by `scorer` (the entry's).
    pub fn card(&self, scorer: &ScorerId) -> ScoreCard {
        self.clone().into_card(scorer)
    }

    /// [`RunScore::card`], taking the score apart.
    fn into_card(self, scorer: &ScorerId) -> ScoreCard {
        ScoreCard {
            total: self.total,
            status: self.status,
            reason: self.reason,
            notes: self.notes,
            tasks: self.tasks,
            scorer: scorer.clone(),
        }
    }
}

/// An entry to append: who recorded it, when, and what.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Draft {
    /// Member id or account of whoever recorded it.
    pub author: String,
    /// When it was recorded.
    pub at: DateTime<FixedOffset>,
    /// What happened.
    pub entry: EntryKind,
}

impl Draft {
    /// A draft entry.
    pub fn new(author: impl Into<String>, at: DateTime<FixedOffset>, entry: EntryKind) -> Draft {
        Draft {
            author: author.into(),
            at,
            entry,
        }
    }
}

/// An entry as stored: the text that is hashed, exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawEntry {
    /// 1-based sequence number.
    pub seq: u64,
    /// Author.
    pub author: String,
    /// RFC 3339 time.
    pub at: String,
    /// Canonical JSON of the [`EntryKind`].
    pub body: String,
    /// The previous entry's hash.
    pub prev: EntryHash,
    /// This entry's hash.
    pub hash: EntryHash,
}

impl RawEntry {
    /// Seals a draft as entry `seq` after `prev`.
    pub fn seal(seq: u64, prev: EntryHash, draft: &Draft) -> RawEntry {
        RawEntry::seal_text(
            seq,
            prev,
            &draft.author,
            draft.at.to_rfc3339(),
            canonical_body(&draft.entry),
        )
    }

    /// [`RawEntry::seal`] with the draft's time and canonical body already
    /// written (see [`seal_each`]).
    pub(crate) fn seal_text(
        seq: u64,
        prev: EntryHash,
        author: &str,
        at: String,
        body: String,
    ) -> RawEntry {
        let hash = entry_hash(seq, &prev.hex_bytes(), &at, author, &body);
        RawEntry {
            seq,
            author: author.to_string(),
            at,
            body,
            prev,
            hash,
        }
    }

    /// The hash the stored fields give.
    pub fn computed_hash(&self) -> EntryHash {
        entry_hash(
            self.seq,
            &self.prev.hex_bytes(),
            &self.at,
            &self.author,
            &self.body,
        )
    }

    /// Parses the stored text into an [`Entry`].
    pub fn parse(&self) -> Result<Entry, LedgerError> {
        let corrupt = |message: String| LedgerError::Corrupt {
            seq: self.seq,
            message,
        };
        let at = DateTime::parse_from_rfc3339(&self.at)
            .map_err(|e| corrupt(format!("bad time `{}`: {e}", self.at)))?;
        let kind = parse_body(&self.body).map_err(|e| corrupt(format!("bad body: {e}")))?;
        Ok(Entry {
            seq: self.seq,
            author: self.author.clone(),
            at,
            kind,
            prev: self.prev,
            hash: self.hash,
        })
    }
}

/// Parses an entry body.
///
/// serde reads an internally tagged enum by first copying the whole object
/// into a buffer of its own and then reading the variant from that, which
/// took twice as long as reading the fields directly (9.7 against 4.2 µs
/// for a drill run). A canonical body names its kind first, so the two
/// largest kinds, drill runs and scores, are read straight into their
/// fields (and so are the many scores of a re-score); anything else, and
/// any body the direct read refuses, goes through the derived reader, which
/// gives the same value and the same errors.
fn parse_body(body: &str) -> Result<EntryKind, serde_json::Error> {
    /// `body` read straight into the fields of `B`, when it begins with the
    /// tag of `kind` and the direct read takes it.
    fn direct<B: serde::de::DeserializeOwned + Into<EntryKind>>(
        body: &str,
        kind: &str,
    ) -> Option<EntryKind> {
        let rest = body.strip_prefix(r#"{"kind":""#)?.strip_prefix(kind)?;
        if !rest.starts_with(r#"","#) {
            return None;
        }
        serde_json::from_str::<B>(body).ok().map(Into::into)
    }
    direct::<DrillRunBody>(body, "drill_run")
        .or_else(|| direct::<ScoreComputedBody>(body, "score_computed"))
        .or_else(|| direct::<ScoresComputedBody>(body, "scores_computed"))
        .map_or_else(|| serde_json::from_str(body), Ok)
}

/// A struct of the fields of an [`EntryKind`] variant with its tag, for
/// [`parse_body`], and its conversion into the variant: each field is
/// named once.
macro_rules! direct_body {
    ($(#[$doc:meta])* $body:ident => $variant:ident { $($(#[$attr:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$doc])*
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $body {
            #[serde(rename = "kind")]
            _kind: serde::de::IgnoredAny,
            $($(#[$attr])* $field: $ty,)*
        }

        impl From<$body> for EntryKind {
            fn from(b: $body) -> EntryKind {
                EntryKind::$variant { $($field: b.$field,)* }
            }
        }
    };
}

direct_body! {
    /// The fields of [`EntryKind::DrillRun`] with its tag.
    DrillRunBody => DrillRun {
        scenario: String,
        version: String,
        package_hash: String,
        members: Vec<String>,
        record: DrillRecord,
    }
}

direct_body! {
    /// The fields of [`EntryKind::ScoreComputed`] with its tag.
    ScoreComputedBody => ScoreComputed {
        run: u64,
        scorer: ScorerId,
        params: serde_json::Value,
        runtime: String,
        #[serde(default)]
        input: Option<Box<ScoreInput>>,
        #[serde(default)]
        terms: Option<ScenarioTerms>,
        card: ScoreCard,
    }
}

direct_body! {
    /// The fields of [`EntryKind::ScoresComputed`] with its tag.
    ScoresComputedBody => ScoresComputed {
        scorer: ScorerId,
        params: serde_json::Value,
        runtime: String,
        terms: ScenarioTerms,
        scores: Vec<RunScore>,
    }
}

/// One entry of the ledger.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Entry {
    /// 1-based sequence number.
    pub seq: u64,
    /// Who recorded it.
    pub author: String,
    /// When it was recorded.
    pub at: DateTime<FixedOffset>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EntryKind,
    /// The previous entry's hash.
    pub prev: EntryHash,
    /// This entry's hash.
    pub hash: EntryHash,
}

/// The canonical body text of an entry kind (see the module docs).
pub fn canonical_body(kind: &EntryKind) -> String {
    // Serialising plain data with string keys cannot fail; the fallback keeps
    // the function total without a panic path.
    serde_json::to_string(kind).unwrap_or_else(|e| format!("{{\"unserialisable\":\"{e}\"}}"))
}

/// The hash of one entry from its stored text; `prev` is the previous hash
/// as its 64 hex digits.
fn entry_hash(seq: u64, prev: &[u8], at: &str, author: &str, body: &str) -> EntryHash {
    let mut digits = [0u8; 20];
    let mut n = digits.len();
    let mut v = seq;
    loop {
        n -= 1;
        digits[n] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let mut h = Sha256::new();
    h.update(b"muster-ledger-v1\0");
    h.update(&digits[n..]);
    h.update(b"\0");
    h.update(prev);
    h.update(b"\0");
    h.update(at.as_bytes());
    h.update(b"\0");
    h.update(author.as_bytes());
    h.update(b"\0");
    h.update(body.as_bytes());
    EntryHash(h.finalize().into())
}

/// Why the ledger refused or failed an operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The entry names a member the ledger does not know.
    #[error(
        "entry {seq} ({kind}): unknown member `{member}` as {role}; record a member_joined entry first"
    )]
    UnknownMember {
        /// Sequence number the entry would have had.
        seq: u64,
        /// Entry kind.
        kind: &'static str,
        /// The member id.
        member: String,
        /// Which field names it.
        role: &'static str,
    },
    /// The entry names a member who has left.
    #[error("entry {seq} ({kind}): member `{member}` has left the brigade (entry {left})")]
    MemberGone {
        /// Sequence number the entry would have had.
        seq: u64,
        /// Entry kind.
        kind: &'static str,
        /// The member id.
        member: String,
        /// The member_left entry.
        left: u64,
    },
    /// A member_joined for a member who is already in the brigade.
    #[error("entry {seq} (member_joined): member `{member}` already joined (entry {joined})")]
    AlreadyMember {
        /// Sequence number the entry would have had.
        seq: u64,
        /// The member id.
        member: String,
        /// The member_joined entry.
        joined: u64,
    },
    /// The entry names a scenario version that was never registered.
    #[error(
        "entry {seq} (drill_run): unknown scenario `{scenario}@{version}`; record a scenario_registered entry first"
    )]
    UnknownScenario {
        /// Sequence number the entry would have had.
        seq: u64,
        /// Scenario id.
        scenario: String,
        /// Version.
        version: String,
    },
    /// The scenario was registered with another package hash.
    #[error(
        "entry {seq} (drill_run): scenario `{scenario}@{version}` was registered with package {registered}, not {given}"
    )]
    PackageMismatch {
        /// Sequence number the entry would have had.
        seq: u64,
        /// Scenario id.
        scenario: String,
        /// Version.
        version: String,
        /// Hash in the registration.
        registered: String,
        /// Hash in the entry.
        given: String,
    },
    /// The scenario version is already registered.
    #[error(
        "entry {seq} (scenario_registered): `{scenario}@{version}` is already registered (entry {registered})"
    )]
    AlreadyRegistered {
        /// Sequence number the entry would have had.
        seq: u64,
        /// Scenario id.
        scenario: String,
        /// Version.
        version: String,
        /// The earlier registration.
        registered: u64,
    },
    /// The entry refers to an entry that does not exist.
    #[error(
        "entry {seq} ({kind}): there is no entry {target}; the ledger holds entries 1 to {last}"
    )]
    UnknownEntry {
        /// Sequence number the entry would have had.
        seq: u64,
        /// Entry kind.
        kind: &'static str,
        /// The missing entry.
        target: u64,
        /// The last entry that exists.
        last: u64,
    },
    /// The entry refers to an entry of the wrong kind.
    #[error("entry {seq} ({kind}): entry {target} is a {found}, not a {expected}")]
    WrongKind {
        /// Sequence number the entry would have had.
        seq: u64,
        /// Entry kind.
        kind: &'static str,
        /// The entry referred to.
        target: u64,
        /// Its kind.
        found: String,
        /// The kind needed.
        expected: &'static str,
    },
    /// A correction of an entry that was already corrected.
    #[error("entry {seq} (correction): entry {target} was already corrected by entry {by}")]
    AlreadyCorrected {
        /// Sequence number the entry would have had.
        seq: u64,
        /// The entry referred to.
        target: u64,
        /// The earlier correction.
        by: u64,
    },
    /// A field holds a value that cannot be right.
    #[error("entry {seq} ({kind}): {message}")]
    Invalid {
        /// Sequence number the entry would have had.
        seq: u64,
        /// Entry kind.
        kind: &'static str,
        /// What is wrong and what would be right.
        message: String,
    },
    /// A stored entry cannot be read.
    #[error("entry {seq} cannot be read: {message}")]
    Corrupt {
        /// Sequence number.
        seq: u64,
        /// What is wrong.
        message: String,
    },
    /// A scorer source does not match the content hash it is kept under.
    #[error("scorer source {hash}: {message}")]
    Source {
        /// The hash it is, or would be, kept under.
        hash: String,
        /// What is wrong.
        message: String,
    },
    /// The database was written by a newer Muster.
    #[error("the ledger has schema version {found}; this Muster reads up to {supported}")]
    SchemaTooNew {
        /// Version found.
        found: i64,
        /// Newest version known.
        supported: i64,
    },
    /// The caller stopped a long write through its progress callback.
    #[error("cancelled after reading {read} of {stored} entries; nothing was written")]
    Cancelled {
        /// Entries read when it stopped.
        read: u64,
        /// Entries the ledger held when it began.
        stored: u64,
    },
    /// The storage failed (disk, lock, SQL).
    #[error("ledger storage: {0}")]
    Storage(String),
    /// A conditional append found that someone else wrote first.
    #[error(
        "the ledger moved on: it was read up to entry {expected} but now ends at entry {found}; \
         read it again and re-check before writing"
    )]
    Moved {
        /// The last entry the writer had read (0: the ledger was empty).
        expected: u64,
        /// The last entry now.
        found: u64,
    },
}

/// What is wrong with a score's scenario terms, if anything.
fn check_terms(terms: &ScenarioTerms) -> Result<(), String> {
    if let Some(t) = terms.time_limit.filter(|t| !t.is_finite() || *t <= 0.0) {
        return Err(format!(
            "the terms' time_limit {t} is not a positive number of seconds"
        ));
    }
    if let Some(empty) = terms.critical.iter().position(|c| c.trim().is_empty()) {
        return Err(format!(
            "the terms' critical task id {} is empty; each is a task id of the scenario",
            empty + 1
        ));
    }
    Ok(())
}

/// Checks a draft against the ledger's current state before it becomes entry `seq`.
///
/// Stores call this inside their write transaction, after reading the tip, so
/// that concurrent writers never check against a stale state.
pub fn check(seq: u64, draft: &Draft, look: &mut dyn Lookup) -> Result<(), LedgerError> {
    let kind = draft.entry.name();
    let invalid = |message: String| LedgerError::Invalid { seq, kind, message };
    let nonempty = |field: &str, value: &str| {
        // What `trim` leaves empty, read from the front only.
        if value.chars().all(char::is_whitespace) {
            Err(invalid(format!("{field} is empty")))
        } else {
            Ok(())
        }
    };
    nonempty("author", &draft.author)?;
    let member = |look: &mut dyn Lookup, id: &str, role: &'static str| -> Result<(), LedgerError> {
        match look.member(id)? {
            None => Err(LedgerError::UnknownMember {
                seq,
                kind,
                member: id.to_string(),
                role,
            }),
            Some(MemberState::Left(left)) => Err(LedgerError::MemberGone {
                seq,
                kind,
                member: id.to_string(),
                left,
            }),
            Some(MemberState::Active(_)) => Ok(()),
        }
    };
    let entry = |look: &mut dyn Lookup,
                 target: u64|
     -> Result<std::borrow::Cow<'static, str>, LedgerError> {
        match look.kind_of(target)? {
            Some(k) if target < seq => Ok(k),
            _ => Err(LedgerError::UnknownEntry {
                seq,
                kind,
                target,
                last: seq - 1,
            }),
        }
    };
    let drill_run = |look: &mut dyn Lookup, run: u64| -> Result<(), LedgerError> {
        let found = entry(look, run)?;
        if found != "drill_run" {
            return Err(LedgerError::WrongKind {
                seq,
                kind,
                target: run,
                found: found.into_owned(),
                expected: "drill_run",
            });
        }
        Ok(())
    };
    let level = |level: u8| {
        if (1..=3).contains(&level) {
            Ok(())
        } else {
            Err(invalid(format!("level {level} is not 1, 2 or 3")))
        }
    };
    match &draft.entry {
        EntryKind::MemberJoined {
            member: id,
            name,
            squadron,
            speciality,
        } => {
            nonempty("member", id)?;
            nonempty("name", name)?;
            nonempty("squadron", squadron)?;
            nonempty("speciality", speciality)?;
            if let Some(MemberState::Active(joined)) = look.member(id)? {
                return Err(LedgerError::AlreadyMember {
                    seq,
                    member: id.clone(),
                    joined,
                });
            }
        }
        EntryKind::MemberLeft { member: id, .. } => member(look, id, "member")?,
        EntryKind::ScenarioRegistered {
            scenario,
            version,
            package_hash,
        } => {
            nonempty("scenario", scenario)?;
            if semver::Version::parse(version).is_err() {
                return Err(invalid(format!(
                    "version `{version}` is not a semantic version like 1.0.0"
                )));
            }
            nonempty("package_hash", package_hash)?;
            if let Some((registered, _)) = look.scenario(scenario, version)? {
                return Err(LedgerError::AlreadyRegistered {
                    seq,
                    scenario: scenario.clone(),
                    version: version.clone(),
                    registered,
                });
            }
        }
        EntryKind::QualificationGranted {
            member: id,
            skill,
            level: l,
            ..
        }
        | EntryKind::QualificationRenewed {
            member: id,
            skill,
            level: l,
            ..
        } => {
            member(look, id, "member")?;
            nonempty("skill", skill)?;
            level(*l)?;
        }
        EntryKind::QualificationRevoked {
            member: id, skill, ..
        } => {
            member(look, id, "member")?;
            nonempty("skill", skill)?;
        }
        EntryKind::TrainingAttended {
            member: id,
            item,
            category,
            hours,
            instructor,
        } => {
            member(look, id, "member")?;
            member(look, instructor, "instructor")?;
            nonempty("item", item)?;
            nonempty("category", category)?;
            if !hours.is_finite() || *hours <= 0.0 || *hours > 24.0 {
                return Err(invalid(format!(
                    "hours {hours} is not between 0 (exclusive) and 24"
                )));
            }
        }
        EntryKind::DrillRun {
            scenario,
            version,
            package_hash,
            members,
            record,
        } => {
            if record.scenario != *scenario || record.version.to_string() != *version {
                return Err(invalid(format!(
                    "the record is for `{}@{}`, not `{scenario}@{version}`",
                    record.scenario, record.version
                )));
            }
            match look.scenario(scenario, version)? {
                None => {
                    return Err(LedgerError::UnknownScenario {
                        seq,
                        scenario: scenario.clone(),
                        version: version.clone(),
                    });
                }
                Some((_, registered)) if registered != *package_hash => {
                    return Err(LedgerError::PackageMismatch {
                        seq,
                        scenario: scenario.clone(),
                        version: version.clone(),
                        registered,
                        given: package_hash.clone(),
                    });
                }
                Some(_) => {}
            }
            for m in members {
                member(look, m, "participant")?;
            }
        }
        EntryKind::ScoreComputed {
            run,
            scorer,
            input,
            terms,
            card,
            ..
        } => {
            match (input, terms) {
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        "it gives both `input` and `terms`: give the input the scorer saw, \
                         or the scenario's terms its input was built with from the run, not both"
                            .into(),
                    ));
                }
                (None, None) => {
                    return Err(invalid(
                        "it gives neither `input` nor `terms`: give the input the scorer saw, \
                         or the scenario's terms (`time_limit`, `critical`) its input was built \
                         with from the run"
                            .into(),
                    ));
                }
                _ => {}
            }
            if let Some(terms) = terms {
                check_terms(terms).map_err(invalid)?;
            }
            drill_run(look, *run)?;
            if card.scorer != *scorer {
                return Err(invalid(format!(
                    "the card was made by `{}` ({}), not by the scorer named, `{}` ({})",
                    card.scorer.name, card.scorer.hash, scorer.name, scorer.hash
                )));
            }
            if !card.total.is_finite() {
                return Err(invalid("the card's total is not a finite number".into()));
            }
        }
        EntryKind::ScoresComputed { terms, scores, .. } => {
            check_terms(terms).map_err(invalid)?;
            if scores.is_empty() {
                return Err(invalid(
                    "it holds no scores: give each run scored with its card".into(),
                ));
            }
            if scores.len() > MAX_SCORES {
                return Err(invalid(format!(
                    "it holds {} scores; an entry holds at most {MAX_SCORES}: split them over \
                     several entries",
                    scores.len()
                )));
            }
            let mut before: Option<u64> = None;
            for (i, score) in scores.iter().enumerate() {
                if let Some(p) = before.filter(|&p| score.run <= p) {
                    return Err(invalid(format!(
                        "score {} is of run {}, which does not come after run {p} of score {i}: \
                         give each run once, in increasing order",
                        i + 1,
                        score.run
                    )));
                }
                before = Some(score.run);
                drill_run(look, score.run)?;
                if !score.total.is_finite() {
                    return Err(invalid(format!(
                        "the total of score {} (run {}) is not a finite number",
                        i + 1,
                        score.run
                    )));
                }
            }
        }
        EntryKind::Correction { reverses, reason } => {
            nonempty("reason", reason)?;
            entry(look, *reverses)?;
            if let Some(by) = look.corrected_by(*reverses)? {
                return Err(LedgerError::AlreadyCorrected {
                    seq,
                    target: *reverses,
                    by,
                });
            }
        }
        EntryKind::Extension {
            module,
            name,
            members,
            entries,
            ..
        } => {
            nonempty("module", module)?;
            nonempty("name", name)?;
            for m in members {
                member(look, m, "member")?;
            }
            for e in entries {
                entry(look, *e)?;
            }
        }
    }
    Ok(())
}

/// Whether a member is in the brigade, with the entry that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemberState {
    /// Joined at this entry and has not left.
    Active(u64),
    /// Left at this entry.
    Left(u64),
}

/// The result of checking a ledger's chain.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// The hash of the last good entry; keep it elsewhere to detect a cut tail.
    pub tip: EntryHash,
    /// Scorer sources kept beside the chain, each checked against its hash
    /// (see [`LedgerStore::keep_source`]).
    pub sources: u64,
    /// The first problem, if any.
    pub problem: Option<Tamper>,
}

/// The first place the chain breaks.
#[derive(Debug, Clone, PartialEq, serde::Serialize, thiserror::Error)]
#[serde(tag = "what", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Tamper {
    /// The entry's content does not match its hash.
    #[error("entry {seq} was edited: its content does not match its hash")]
    Edited {
        /// The entry.
        seq: u64,
    },
    /// Entries are missing.
    #[error("entry {seq} was removed: the next entry stored is {next}")]
    Removed {
        /// The first missing entry.
        seq: u64,
        /// The entry found in its place.
        next: u64,
    },
    /// The entry does not follow its predecessor.
    #[error(
        "entry {seq} was inserted or replaced: it does not follow entry {}'s hash",
        seq - 1
    )]
    Inserted {
        /// The entry.
        seq: u64,
    },
    /// A kept scorer source does not match the hash it is kept under.
    #[error("scorer source {hash} was changed: {message}")]
    Source {
        /// The hash it is kept under.
        hash: String,
        /// What was found.
        message: String,
    },
    /// The entry's text cannot be read.
    #[error("entry {seq} cannot be read: {message}")]
    Unreadable {
        /// The entry.
        seq: u64,
        /// Why.
        message: String,
    },
}

/// Checks the whole chain, streaming, and names the first broken entry.
pub fn verify(store: &dyn LedgerStore) -> Result<VerifyReport, LedgerError> {
    let mut expect = 1u64;
    let mut prev = EntryHash::GENESIS.hex_bytes();
    let mut problem = None;
    // Hashes are compared as the hex text they are stored as, so a sound
    // entry costs one SHA-256 and no decoding; text that is not a hash is
    // told apart from an edit only once something does not match.
    let not_hex = |seq: u64, what: &str, text: &str| {
        (EntryHash::from_hex(text).is_none() || text.bytes().any(|b| b.is_ascii_uppercase())).then(
            || Tamper::Unreadable {
                seq,
                message: format!("the {what} hash `{text}` is not 64 lower-case hex digits"),
            },
        )
    };
    let scanned = store.scan_text(1, &mut |e: StoredText<'_>| {
        let found = if e.seq != expect {
            Some(Tamper::Removed {
                seq: expect,
                next: e.seq,
            })
        } else if entry_hash(e.seq, e.prev.as_bytes(), e.at, e.author, e.body)
            .hex_bytes()
            .as_slice()
            != e.hash.as_bytes()
        {
            not_hex(e.seq, "entry", e.hash)
                .or_else(|| not_hex(e.seq, "previous", e.prev))
                .or(Some(Tamper::Edited { seq: e.seq }))
        } else if e.prev.as_bytes() != prev.as_slice() {
            not_hex(e.seq, "previous", e.prev).or(Some(Tamper::Inserted { seq: e.seq }))
        } else {
            // The hash proves the body is the one sealed, so it is not re-parsed here.
            None
        };
        if found.is_some() {
            problem = found;
            return false;
        }
        prev.copy_from_slice(e.hash.as_bytes());
        expect += 1;
        true
    });
    match scanned {
        Ok(()) => {}
        Err(LedgerError::Corrupt { seq, message }) if problem.is_none() => {
            problem = Some(Tamper::Unreadable { seq, message });
        }
        Err(e) => return Err(e),
    }
    let hashes = store.source_hashes()?;
    if problem.is_none() {
        for hash in &hashes {
            match store.source(hash) {
                Err(LedgerError::Source { hash, message }) => {
                    problem = Some(Tamper::Source { hash, message });
                    break;
                }
                Err(e) => return Err(e),
                Ok(_) => {}
            }
        }
    }
    Ok(VerifyReport {
        entries: expect - 1,
        sources: hashes.len() as u64,
        tip: EntryHash::from_hex(hex_text(&prev)).unwrap_or(EntryHash::GENESIS),
        problem,
    })
}

/// Finds the scorer for a recorded [`ScorerId`]; `None` when it is not available.
pub type ScorerResolver<'a> = dyn Fn(&ScorerId) -> Option<Arc<dyn Scorer>> + 'a;

/// One difference found by [`replay`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ReplayDiff {
    /// The `score_computed` or `scores_computed` entry.
    pub seq: u64,
    /// The drill run whose score differs.
    pub run: u64,
    /// Which part differs, e.g. `total` or `tasks.pump.points`.
    pub field: String,
    /// What was stored.
    pub stored: String,
    /// What the scorer gives now.
    pub replayed: String,
}

/// The outcome of re-running every stored score.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ReplayReport {
    /// Scores re-run.
    pub replayed: u64,
    /// Scores reproduced bit for bit.
    pub identical: u64,
    /// Every difference.
    pub diffs: Vec<ReplayDiff>,
    /// Scores whose scorer could not be found, with the scorer.
    pub unresolved: Vec<(u64, ScorerId)>,
    /// Scores whose scorer failed now, with its error.
    pub failed: Vec<(u64, String)>,
}

/// Scores replayed together: consecutive entries with the same scorer and
/// params go to [`Scorer::score_batch`] in runs of at most this many.
const REPLAY_BATCH: usize = 1024;

/// Re-runs every stored score with the scorer `resolve` gives for its id and
/// reports every difference, comparing numbers by their bits. Each score of
/// a `scores_computed` entry counts as one score.
///
/// `resolve` is asked once per distinct scorer (a wasm module or a script is
/// loaded once, not once per score), and consecutive scores by the same
/// scorer with the same params are re-run as a batch, which a wasm scorer
/// runs on one instance.
pub fn replay(
    store: &dyn LedgerStore,
    resolve: &ScorerResolver<'_>,
) -> Result<ReplayReport, LedgerError> {
    let mut queue = ReplayQueue {
        report: ReplayReport::default(),
        scorers: std::collections::HashMap::new(),
        batch: None,
        resolve,
    };
    let mut err = None;
    store.scan(1, &mut |raw| {
        if !raw.body.starts_with("{\"kind\":\"score_computed\"")
            && !raw.body.starts_with("{\"kind\":\"scores_computed\"")
        {
            return true;
        }
        match raw.parse().and_then(|entry| queue.take(store, entry)) {
            Ok(()) => true,
            Err(e) => {
                err = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = err {
        return Err(e);
    }
    if let Some(rest) = queue.batch.take() {
        rest.run(&mut queue.report);
    }
    Ok(queue.report)
}

/// What [`replay`] has gathered so far: the report, the scorers resolved,
/// and the scores waiting to be re-run together.
struct ReplayQueue<'a, 'r> {
    report: ReplayReport,
    scorers: std::collections::HashMap<ScorerId, Option<Arc<dyn Scorer>>>,
    batch: Option<ReplayBatch>,
    resolve: &'a ScorerResolver<'r>,
}

impl ReplayQueue<'_, '_> {
    /// Queues the scores of one stored entry; other kinds are passed over.
    fn take(&mut self, store: &dyn LedgerStore, entry: Entry) -> Result<(), LedgerError> {
        let seq = entry.seq;
        if let Some(held) = held_scores(entry, store)? {
            for (run, input, card) in held.scores {
                self.push(seq, run, &held.scorer, &held.params, input, card);
            }
        }
        Ok(())
    }

    /// Queues one score of entry `seq`, of drill run `run`.
    fn push(
        &mut self,
        seq: u64,
        run: u64,
        scorer: &ScorerId,
        params: &serde_json::Value,
        input: ScoreInput,
        card: ScoreCard,
    ) {
        self.report.replayed += 1;
        let resolve = self.resolve;
        let resolved = self
            .scorers
            .entry(scorer.clone())
            .or_insert_with(|| resolve(scorer))
            .clone();
        let Some(s) = resolved else {
            self.report.unresolved.push((seq, scorer.clone()));
            return;
        };
        if self
            .batch
            .as_ref()
            .is_some_and(|b| b.id != *scorer || b.params != *params)
            && let Some(full) = self.batch.take()
        {
            full.run(&mut self.report);
        }
        let b = self.batch.get_or_insert_with(|| ReplayBatch {
            id: scorer.clone(),
            scorer: s,
            params: params.clone(),
            scores: Vec::new(),
            inputs: Vec::new(),
            cards: Vec::new(),
        });
        b.scores.push((seq, run));
        b.inputs.push(input);
        b.cards.push(card);
        if b.scores.len() >= REPLAY_BATCH
            && let Some(full) = self.batch.take()
        {
            full.run(&mut self.report);
        }
    }
}

/// Stored scores waiting to be re-run by one scorer with one set of params.
struct ReplayBatch {
    id: ScorerId,
    scorer: Arc<dyn Scorer>,
    params: serde_json::Value,
    /// Each score's entry and drill run.
    scores: Vec<(u64, u64)>,
    inputs: Vec<ScoreInput>,
    cards: Vec<ScoreCard>,
}

impl ReplayBatch {
    fn run(self, report: &mut ReplayReport) {
        let mut now = self
            .scorer
            .score_batch(&self.inputs, &self.params)
            .into_iter();
        let given = now.len();
        for ((seq, run), stored) in self.scores.iter().copied().zip(&self.cards) {
            let Some(now) = now.next() else {
                report.failed.push((
                    seq,
                    format!(
                        "drill run {run}: the scorer `{}` gave {given} results for a batch of {} runs",
                        self.id.name,
                        self.scores.len()
                    ),
                ));
                continue;
            };
            match now {
                Ok(now) => {
                    let before = report.diffs.len();
                    diff_cards(seq, run, stored, &now, &mut report.diffs);
                    if report.diffs.len() == before {
                        report.identical += 1;
                    }
                }
                Err(e) => report.failed.push((seq, format!("drill run {run}: {e}"))),
            }
        }
    }
}

/// The input a stored score's scorer saw, for a score entry numbered `seq`
/// that keeps its scenario's `terms`: its run's record (entry `run`, read
/// from `store`) with them.
fn rebuilt_input(
    store: &dyn LedgerStore,
    seq: u64,
    run: u64,
    terms: Option<ScenarioTerms>,
) -> Result<ScoreInput, LedgerError> {
    let corrupt = |message: String| LedgerError::Corrupt { seq, message };
    let terms = terms.ok_or_else(|| {
        corrupt("it holds neither the input its scorer saw nor its scenario's terms".into())
    })?;
    let raw = store
        .get(run)?
        .ok_or_else(|| corrupt(format!("its run, entry {run}, is not in the ledger")))?;
    match raw.parse()?.kind {
        EntryKind::DrillRun { record, .. } => Ok(ScoreInput::from_terms(record, terms)),
        other => Err(corrupt(format!(
            "its run, entry {run}, is a {}, not a drill_run",
            other.name()
        ))),
    }
}

impl Entry {
    /// The input the scorer of this `score_computed` entry saw: the input it
    /// holds, or, when it keeps its scenario's terms instead, its run's
    /// record read from `store` with them ([`ScoreInput::from_terms`]).
    /// `None` for an entry of another kind; a `scores_computed` entry gives
    /// its inputs through [`Entry::scores`].
    pub fn score_input(&self, store: &dyn LedgerStore) -> Result<Option<ScoreInput>, LedgerError> {
        if !matches!(self.kind, EntryKind::ScoreComputed { .. }) {
            return Ok(None);
        }
        Ok(self.scores(store)?.pop().map(|(_, input, _)| input))
    }

    /// Each score this entry holds, as the drill run scored, the input its
    /// scorer saw and the card it gave: one for a `score_computed` entry, one
    /// per run for a `scores_computed` entry
    /// (each run's record read from `store` with the entry's terms), none
    /// for an entry of another kind.
    pub fn scores(
        &self,
        store: &dyn LedgerStore,
    ) -> Result<Vec<(u64, ScoreInput, ScoreCard)>, LedgerError> {
        Ok(held_scores(self.clone(), store)?.map_or_else(Vec::new, |h| h.scores))
    }
}

/// The scores a score entry holds, by one scorer with one set of params.
struct HeldScores {
    scorer: ScorerId,
    params: serde_json::Value,
    /// Each score's drill run, the input its scorer saw and its card.
    scores: Vec<(u64, ScoreInput, ScoreCard)>,
}

/// The scores `entry` holds, taken apart: its own input for a
/// `score_computed` entry that holds one, else each run's record read from
/// `store` with the entry's terms; `None` for an entry of another kind.
fn held_scores(entry: Entry, store: &dyn LedgerStore) -> Result<Option<HeldScores>, LedgerError> {
    let seq = entry.seq;
    Ok(Some(match entry.kind {
        EntryKind::ScoreComputed {
            run,
            scorer,
            params,
            input,
            terms,
            card,
            ..
        } => {
            let input = match input {
                Some(input) => *input,
                None => rebuilt_input(store, seq, run, terms)?,
            };
            HeldScores {
                scorer,
                params,
                scores: vec![(run, input, card)],
            }
        }
        EntryKind::ScoresComputed {
            scorer,
            params,
            terms,
            scores,
            ..
        } => {
            let scores = scores
                .into_iter()
                .map(|s| {
                    let input = rebuilt_input(store, seq, s.run, Some(terms.clone()))?;
                    Ok((s.run, input, s.into_card(&scorer)))
                })
                .collect::<Result<_, LedgerError>>()?;
            HeldScores {
                scorer,
                params,
                scores,
            }
        }
        _ => return Ok(None),
    }))
}

/// Drill runs handed to one [`Scorer::score_batch`] call by [`rescore`].
const RESCORE_BATCH: usize = 4096;
/// How a stored drill run's canonical body begins.
const DRILL_RUN_BODY: &str = "{\"kind\":\"drill_run\"";

/// What [`rescore`] did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct RescoreReport {
    /// Stored drill runs of the scenario (its id and version).
    pub runs: u64,
    /// The first and last sequence numbers of the `scores_computed` entries
    /// appended; `None` when none were.
    pub appended: Option<(u64, u64)>,
    /// Runs the scorer could not score, by the drill run's sequence number,
    /// with the error. When there are any, nothing was appended.
    pub failed: Vec<(u64, String)>,
}

/// Re-scores every stored drill run of `scenario` (its id and version) with
/// `scorer` and its `params`, and appends the scores by `author` at `at`,
/// recording `runtime` (e.g. `wasmtime 48`): one
/// [`EntryKind::ScoresComputed`] entry for each batch of up to 4,096 runs,
/// the runs in the order they are stored.
///
/// The whole re-score is one all-or-none write
/// ([`LedgerStore::scan_append`]): the stored entries are read on the
/// calling thread, the drill runs parsed and scored on every core in
/// batches of 4,096 ([`Scorer::score_batch`]), and each batch's scores
/// appended as it comes back, so that only the batches in hand are held.
/// When the scorer fails on any run the write is abandoned, nothing is
/// appended, and the report names each failure.
///
/// A run is read for what its scorer is given: a stored run of the
/// scenario whose body does not read, or a row whose hashes are not hex,
/// stops the re-score with [`LedgerError::Corrupt`] and nothing is
/// written; an entry's author and time are not read, and the runs of other
/// scenarios are passed over unread ([`verify`] checks every entry whole).
pub fn rescore(
    store: &mut dyn LedgerStore,
    scenario: &Scenario,
    scorer: &dyn Scorer,
    params: &serde_json::Value,
    runtime: &str,
    author: &str,
    at: DateTime<FixedOffset>,
) -> Result<RescoreReport, LedgerError> {
    rescore_with_progress(
        store,
        scenario,
        scorer,
        params,
        runtime,
        author,
        at,
        &mut |_, _| ControlFlow::Continue(()),
    )
}

/// Entries read between two calls of a [`rescore_with_progress`] callback.
const RESCORE_PROGRESS: u64 = 4096;

/// [`rescore`], calling `progress(read, stored)` on the calling thread as
/// it reads the ledger: `read` entries of the `stored` there were when it
/// began, every 4,096 entries and once at the end with `read == stored`.
/// The command line draws its progress bar from it.
///
/// `progress` returning [`ControlFlow::Break`] cancels the re-score: the
/// write is abandoned, nothing is appended, and the error is
/// [`LedgerError::Cancelled`]. An app lets its user stop a long re-score
/// this way.
#[allow(clippy::too_many_arguments)]
pub fn rescore_with_progress(
    store: &mut dyn LedgerStore,
    scenario: &Scenario,
    scorer: &dyn Scorer,
    params: &serde_json::Value,
    runtime: &str,
    author: &str,
    at: DateTime<FixedOffset>,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<RescoreReport, LedgerError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stored = store.tip()?.map_or(0, |(seq, _)| seq);
    let job = RescoreJob {
        scenario,
        version: scenario.meta().version.to_string(),
        terms: ScenarioTerms::of(scenario),
        scorer,
        params,
        runtime,
        author,
        at,
        failing: AtomicBool::new(false),
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut report = RescoreReport::default();
    let mut corrupt = None;
    let mut cancelled = None;
    let score = |slots: &mut Vec<ScoreInput>, runs: RunBatch| job.score(slots, runs);
    // Batches back from the workers, whose buffers the next ones fill.
    let mut spent: Vec<RunBatch> = Vec::new();
    let id = &scenario.meta().id;
    let appended = std::thread::scope(|s| {
        let mut pool = OrderedPool::start(s, threads, &score);
        let mut batch = RunBatch::default();
        let appended = store.scan_append(1, &mut |entry| {
            let end = entry.is_none();
            let read = match &entry {
                Some(e) if e.seq % RESCORE_PROGRESS == 0 => Some(e.seq.min(stored)),
                None => Some(stored),
                _ => None,
            };
            if let Some(read) = read
                && progress(read, stored).is_break()
            {
                cancelled = Some(LedgerError::Cancelled { read, stored });
                return None;
            }
            // A run of another scenario is passed over unread; one whose
            // body does not begin as a canonical one is read in full, so
            // that a body that does not parse is still reported.
            if let Some(e) = entry
                && e.body.starts_with(DRILL_RUN_BODY)
                && run_of(e.body).is_none_or(|(s, v)| s == id && v == job.version)
            {
                batch.push(e.seq, e.body);
            }
            let handed = batch.runs.len() == RESCORE_BATCH || (end && !batch.runs.is_empty());
            if handed {
                let next = spent.pop().unwrap_or_default();
                pool.hand(std::mem::replace(&mut batch, next));
            }
            // Take what has come back, in order, once a batch has gone (as
            // many as there are workers wait); at the end, all of it.
            let mut drafts = Vec::new();
            while let Some(scored) = match (end, handed) {
                (true, _) => pool.wait(),
                (false, true) => pool.ready(),
                (false, false) => None,
            } {
                match scored {
                    Ok(b) => {
                        spent.push(b.spent);
                        report.runs += b.runs;
                        if !b.failed.is_empty() {
                            job.failing.store(true, Ordering::Relaxed);
                            report.failed.extend(b.failed);
                        }
                        drafts.extend(b.drafts);
                    }
                    Err(e) => {
                        corrupt.get_or_insert(e);
                    }
                }
            }
            // A failed run abandons the write, but only at the end, so that
            // the report names every run that fails.
            if corrupt.is_some() || (end && !report.failed.is_empty()) {
                return None;
            }
            Some(if report.failed.is_empty() {
                drafts
            } else {
                Vec::new()
            })
        });
        // Lets the workers go if the scan stopped early.
        drop(pool);
        appended
    });
    if let Some(e) = corrupt.or(cancelled) {
        return Err(e);
    }
    // Abandoned, and so `None`, when any run failed.
    report.appended = appended?;
    Ok(report)
}

/// Worker threads of a scope that run `work` on the items handed to them,
/// each with a state of its own that it keeps from one item to the next
/// (made with `Default`), and give the results back in the order the items
/// were handed over.
struct OrderedPool<T, R> {
    /// Where items go; `None` once nothing more will be handed over.
    work: Option<std::sync::mpsc::SyncSender<(usize, T)>>,
    results: std::sync::mpsc::Receiver<(usize, R)>,
    /// Items handed over so far.
    handed: usize,
    /// The index of the next result to give back.
    next: usize,
    /// Results back before those due ahead of them.
    waiting: std::collections::BTreeMap<usize, R>,
}

impl<T: Send, R: Send> OrderedPool<T, R> {
    /// Starts `threads` workers (at least one) in `scope`. At most
    /// `threads` items wait for a worker; [`OrderedPool::hand`] waits while
    /// the queue is full.
    fn start<'scope, S: Default>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        threads: usize,
        work: &'scope (dyn Fn(&mut S, T) -> R + Sync),
    ) -> OrderedPool<T, R>
    where
        T: 'scope,
        R: 'scope,
    {
        let threads = threads.max(1);
        let (work_tx, jobs) = std::sync::mpsc::sync_channel::<(usize, T)>(threads);
        let jobs = Arc::new(std::sync::Mutex::new(jobs));
        let (done, results) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let (jobs, done) = (Arc::clone(&jobs), done.clone());
            scope.spawn(move || {
                let mut state = S::default();
                loop {
                    // The lock is held only while waiting for an item, so a
                    // panicking worker cannot poison it.
                    let next = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => break,
                    };
                    let Ok((i, item)) = next else { break };
                    if done.send((i, work(&mut state, item))).is_err() {
                        break;
                    }
                }
            });
        }
        OrderedPool {
            work: Some(work_tx),
            results,
            handed: 0,
            next: 0,
            waiting: std::collections::BTreeMap::new(),
        }
    }

    /// Hands `item` to the workers.
    fn hand(&mut self, item: T) {
        // Fails only when every worker has panicked; the scope raises it.
        if let Some(work) = &self.work
            && work.send((self.handed, item)).is_ok()
        {
            self.handed += 1;
        }
    }

    /// The next result in order, if it is back, without waiting.
    fn ready(&mut self) -> Option<R> {
        while let Ok((i, r)) = self.results.try_recv() {
            self.waiting.insert(i, r);
        }
        self.pop()
    }

    /// Hands over nothing more, and waits for the next result in order;
    /// `None` once every result is back (or no worker is left).
    fn wait(&mut self) -> Option<R> {
        self.work = None;
        loop {
            if let Some(r) = self.pop() {
                return Some(r);
            }
            if self.next == self.handed {
                return None;
            }
            let (i, r) = self.results.recv().ok()?;
            self.waiting.insert(i, r);
        }
    }

    fn pop(&mut self) -> Option<R> {
        let r = self.waiting.remove(&self.next)?;
        self.next += 1;
        Some(r)
    }
}

/// What [`rescore`] scores with, shared by its worker threads.
struct RescoreJob<'a> {
    scenario: &'a Scenario,
    version: String,
    /// The scenario's terms, kept once in each entry written.
    terms: ScenarioTerms,
    scorer: &'a dyn Scorer,
    params: &'a serde_json::Value,
    runtime: &'a str,
    author: &'a str,
    at: DateTime<FixedOffset>,
    /// Set once any run has failed: from then on no more drafts are built.
    failing: std::sync::atomic::AtomicBool,
}

/// One batch of stored drill runs, scored by [`RescoreJob::score`].
struct RescoredBatch {
    /// The batch's drill runs of the scenario.
    runs: u64,
    /// One `scores_computed` entry for the batch's runs, in order; none when
    /// any run of this batch or another failed.
    drafts: Vec<Draft>,
    /// The runs the scorer failed on, with the error.
    failed: Vec<(u64, String)>,
    /// The batch read, emptied, for its buffers to be filled again.
    spent: RunBatch,
}

/// Stored drill runs for one [`RescoreJob::score`] call, their bodies
/// copied into one buffer as they are read.
#[derive(Default)]
struct RunBatch {
    /// The runs' bodies, one after another.
    text: String,
    /// Each run's number and where its body ends in `text`.
    runs: Vec<(u64, usize)>,
}

impl RunBatch {
    fn push(&mut self, seq: u64, body: &str) {
        if self.runs.is_empty() {
            self.text.reserve(RESCORE_BATCH * body.len());
            self.runs.reserve(RESCORE_BATCH);
        }
        self.text.push_str(body);
        self.runs.push((seq, self.text.len()));
    }

    fn clear(&mut self) {
        self.text.clear();
        self.runs.clear();
    }

    /// Each run's number and body, in order.
    fn iter(&self) -> impl Iterator<Item = (u64, &str)> {
        let mut start = 0;
        self.runs.iter().map(move |&(seq, end)| {
            let body = self.text.get(start..end).unwrap_or_default();
            start = end;
            (seq, body)
        })
    }
}

/// Reads stored drill run `seq` over `slot` (see [`reread`]) and says
/// whether it is a run of `scenario` at `version`; for one, `slot` is then
/// its scorer's input with `terms`. A body the read over `slot` does not
/// take is read in full, which gives the error (or the run, for one the
/// full read takes).
fn read_run(
    seq: u64,
    body: &str,
    slot: &mut ScoreInput,
    (scenario, version): (&str, &str),
    terms: &ScenarioTerms,
) -> Result<bool, LedgerError> {
    let ours = match reread::read_run_into(body, slot, scenario, version) {
        Ok(ours) => ours,
        Err(_) => match parse_body(body) {
            Ok(EntryKind::DrillRun {
                scenario: s,
                version: v,
                record,
                ..
            }) if s == scenario && v == version => {
                *slot = ScoreInput::from_terms(record, terms.clone());
                true
            }
            Ok(_) => false,
            Err(e) => {
                return Err(LedgerError::Corrupt {
                    seq,
                    message: format!("bad body: {e}"),
                });
            }
        },
    };
    if ours {
        slot.time_limit = terms.time_limit;
        slot.critical.clone_from(&terms.critical);
    }
    Ok(ours)
}

impl RescoreJob<'_> {
    /// Reads `batch` (stored drill runs) over the inputs in `slots`, keeps
    /// those of the scenario and scores them as one batch. The inputs stay
    /// in `slots` for the worker's next batch to be read over.
    fn score(
        &self,
        slots: &mut Vec<ScoreInput>,
        mut batch: RunBatch,
    ) -> Result<RescoredBatch, LedgerError> {
        let id = &self.scenario.meta().id;
        let mut seqs = Vec::with_capacity(batch.runs.len());
        for (seq, body) in batch.iter() {
            if seqs.len() == slots.len() {
                slots.push(reread::empty_input());
            }
            let slot = &mut slots[seqs.len()];
            if read_run(seq, body, slot, (id, &self.version), &self.terms)? {
                seqs.push(seq);
            }
        }
        let inputs = &slots[..seqs.len()];
        batch.clear();
        let mut batch = RescoredBatch {
            runs: seqs.len() as u64,
            drafts: Vec::with_capacity(1),
            failed: Vec::new(),
            spent: batch,
        };
        if inputs.is_empty() {
            return Ok(batch);
        }
        let cards = self.scorer.score_batch(inputs, self.params);
        let given = cards.len();
        let mut cards = cards.into_iter();
        let mut scores = Vec::with_capacity(seqs.len());
        for run in seqs {
            let failing =
                !batch.failed.is_empty() || self.failing.load(std::sync::atomic::Ordering::Relaxed);
            match cards.next() {
                Some(Ok(card)) if !failing => scores.push(RunScore::new(run, card)),
                Some(Ok(_)) => {}
                Some(Err(e)) => batch.failed.push((run, e.to_string())),
                None => batch.failed.push((
                    run,
                    format!(
                        "the scorer `{}` gave {given} results for a batch of {} runs",
                        self.scorer.id().name,
                        batch.runs
                    ),
                )),
            }
        }
        if batch.failed.is_empty()
            && !scores.is_empty()
            && !self.failing.load(std::sync::atomic::Ordering::Relaxed)
        {
            batch.drafts.push(Draft::new(
                self.author,
                self.at,
                EntryKind::ScoresComputed {
                    scorer: self.scorer.id().clone(),
                    params: self.params.clone(),
                    runtime: self.runtime.to_string(),
                    terms: self.terms.clone(),
                    scores,
                },
            ));
        }
        Ok(batch)
    }
}

/// The scenario id and version a stored drill run's canonical body begins
/// with (`{"kind":"drill_run","scenario":…,"version":…`), read without
/// parsing the body; `None` when it does not begin so or either holds an
/// escape.
fn run_of(body: &str) -> Option<(&str, &str)> {
    let rest = body.strip_prefix(r#"{"kind":"drill_run","scenario":""#)?;
    let (scenario, rest) = rest.split_once('"')?;
    let (version, _) = rest.strip_prefix(r#","version":""#)?.split_once('"')?;
    (!scenario.contains('\\') && !version.contains('\\')).then_some((scenario, version))
}

/// Drafts sealed in one append at least this many serialise on every core.
const SEAL_IN_PARALLEL: usize = 1024;
/// Drafts serialised per piece of work when sealing on every core.
const SEAL_CHUNK: usize = 512;

/// Hands `put` each draft in order with its RFC 3339 time and canonical
/// body, the text its entry is sealed over, and stops at `put`'s first
/// error. A large append serialises the texts on every core while `put`
/// goes on with those already written, so the caller's writing does not
/// wait for the whole append's texts.
pub(crate) fn seal_each<'d, E>(
    drafts: &'d [Draft],
    mut put: impl FnMut(&Draft, String, String) -> Result<(), E>,
) -> Result<(), E> {
    let texts = |d: &Draft| (d.at.to_rfc3339(), canonical_body(&d.entry));
    let mut serial = |drafts: &[Draft]| {
        drafts.iter().try_for_each(|d| {
            let (at, body) = texts(d);
            put(d, at, body)
        })
    };
    if drafts.len() < SEAL_IN_PARALLEL {
        return serial(drafts);
    }
    // Asking costs file reads (the cgroup's quota), so only for a large append.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads <= 1 {
        return serial(drafts);
    }
    let work =
        |_: &mut (), chunk: &'d [Draft]| (chunk, chunk.iter().map(texts).collect::<Vec<_>>());
    std::thread::scope(|s| {
        let mut pool = OrderedPool::start(s, threads, &work);
        let mut put_chunk = |(chunk, texts): (&[Draft], Vec<(String, String)>)| {
            chunk
                .iter()
                .zip(texts)
                .try_for_each(|(d, (at, body))| put(d, at, body))
        };
        for chunk in drafts.chunks(SEAL_CHUNK) {
            pool.hand(chunk);
            while let Some(done) = pool.ready() {
                put_chunk(done)?;
            }
        }
        while let Some(done) = pool.wait() {
            put_chunk(done)?;
        }
        Ok(())
    })
}

fn num(x: f64) -> String {
    format!("{x:?} (bits {:#018x})", x.to_bits())
}

fn opt_num(x: Option<f64>) -> String {
    x.map_or_else(|| "none".into(), num)
}

fn diff_cards(seq: u64, run: u64, a: &ScoreCard, b: &ScoreCard, out: &mut Vec<ReplayDiff>) {
    let mut push = |field: String, stored: String, replayed: String| {
        if stored != replayed {
            out.push(ReplayDiff {
                seq,
                run,
                field,
                stored,
                replayed,
            });
        }
    };
    push("total".into(), num(a.total), num(b.total));
    push(
        "status".into(),
        format!("{:?}", a.status),
        format!("{:?}", b.status),
    );
    push("reason".into(), a.reason.clone(), b.reason.clone());
    push(
        "notes".into(),
        format!("{:?}", a.notes),
        format!("{:?}", b.notes),
    );
    push(
        "scorer".into(),
        format!("{:?}", a.scorer),
        format!("{:?}", b.scorer),
    );
    // A task the scorer said nothing of is absent from a card made now, and
    // present with only the run's detail on a card made before 2026-12-02.
    let none = crate::TaskScore::default();
    let keys: std::collections::BTreeSet<&String> = a.tasks.keys().chain(b.tasks.keys()).collect();
    for k in keys {
        let (x, y) = (
            a.tasks.get(k).unwrap_or(&none),
            b.tasks.get(k).unwrap_or(&none),
        );
        push(
            format!("tasks.{k}.points"),
            opt_num(x.points),
            opt_num(y.points),
        );
        push(
            format!("tasks.{k}.note"),
            format!("{:?}", x.note),
            format!("{:?}", y.note),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Penalty, Rating, TaskRun, TaskStatus};
    use crate::{ScorerKind, TimeBonusScorer};

    #[test]
    fn the_ordered_pool_gives_results_in_the_order_items_were_handed_over() {
        for threads in [1, 2, 5] {
            let work = |_: &mut (), i: u64| {
                // Uneven work, so that later items can finish first.
                std::thread::sleep(std::time::Duration::from_micros((i % 7) * 50));
                i * 10
            };
            let out: Vec<u64> = std::thread::scope(|s| {
                let mut pool = OrderedPool::start(s, threads, &work);
                let mut out = Vec::new();
                for i in 0..200 {
                    pool.hand(i);
                    out.extend(std::iter::from_fn(|| pool.ready()));
                }
                out.extend(std::iter::from_fn(|| pool.wait()));
                out
            });
            let expected: Vec<u64> = (0..200).map(|i| i * 10).collect();
            assert_eq!(out, expected, "{threads} threads");
        }
    }

    #[test]
    fn sealing_many_drafts_gives_each_the_text_it_has_alone() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T09:00:00+08:00").expect("time");
        let drafts: Vec<Draft> = (0..(SEAL_IN_PARALLEL * 3 + 7))
            .map(|i| {
                Draft::new(
                    format!("m{i:03}"),
                    at + chrono::Duration::seconds(i as i64),
                    EntryKind::MemberLeft {
                        member: format!("m{i:03}"),
                        reason: format!("reason {i}"),
                    },
                )
            })
            .collect();
        let mut texts = Vec::new();
        seal_each(&drafts, |d, at, body| {
            texts.push((d.clone(), at, body));
            Ok::<(), String>(())
        })
        .expect("no error");
        assert_eq!(texts.len(), drafts.len());
        for (d, (given, at, body)) in drafts.iter().zip(&texts) {
            assert_eq!(given, d, "in the order handed over");
            assert_eq!(at, &d.at.to_rfc3339());
            assert_eq!(body, &canonical_body(&d.entry));
        }
    }

    #[test]
    fn a_blank_field_is_refused_by_name_and_nothing_is_written() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T09:00:00+08:00").expect("time");
        let joined = |author: &str, name: &str| {
            Draft::new(
                author,
                at,
                EntryKind::MemberJoined {
                    member: "m001".into(),
                    name: name.into(),
                    squadron: "nantang".into(),
                    speciality: "wind-extinguisher".into(),
                },
            )
        };
        let mut store = MemoryStore::new();
        for (draft, message) in [
            (joined("admin", " \t\u{3000}"), "name is empty"),
            (joined("", "Member 1"), "author is empty"),
            (joined("\n", "Member 1"), "author is empty"),
        ] {
            let err = store.append(&[draft]).expect_err("refused");
            assert_eq!(
                err.to_string(),
                format!("entry 1 (member_joined): {message}"),
            );
            assert_eq!(store.tip().expect("tip"), None, "nothing written");
        }
        // A name with spaces inside it is not blank.
        store
            .append(&[joined("admin", " Member 1 ")])
            .expect("written");
    }

    #[test]
    fn sealing_many_drafts_stops_at_the_first_error() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T09:00:00+08:00").expect("time");
        let drafts: Vec<Draft> = (0..(SEAL_IN_PARALLEL * 4))
            .map(|i| {
                Draft::new(
                    "m000",
                    at + chrono::Duration::seconds(i as i64),
                    EntryKind::MemberLeft {
                        member: format!("m{i:04}"),
                        reason: "moved".into(),
                    },
                )
            })
            .collect();
        let stop = SEAL_CHUNK * 2 + 3;
        let mut seen = 0;
        let got = seal_each(&drafts, |d, _, _| {
            if d == &drafts[stop] {
                return Err(format!("stopped at {seen}"));
            }
            seen += 1;
            Ok(())
        });
        assert_eq!(got, Err(format!("stopped at {stop}")));
        assert_eq!(seen, stop, "nothing is handed over after the error");
    }

    fn record() -> DrillRecord {
        let run = |start: f64, end: f64, rating: Option<Rating>| TaskRun {
            start,
            end,
            status: TaskStatus::Done,
            rating,
        };
        DrillRecord {
            scenario: "forest-fire.initial-attack".into(),
            version: semver::Version::new(1, 0, 0),
            team: "nantang".into(),
            attempt: 2,
            started_at: DateTime::parse_from_rfc3339("2026-12-01T09:00:00+08:00").ok(),
            tasks: [
                ("muster".to_string(), run(0.0, 234.0, None)),
                ("knockdown".into(), run(234.0, 1453.5, Some(Rating::P))),
            ]
            .into_iter()
            .collect(),
            penalties: vec![Penalty {
                code: "late-report".into(),
                task: Some("muster".into()),
                count: 2,
            }],
        }
    }

    fn kinds() -> Vec<EntryKind> {
        let input = ScoreInput {
            scenario: "forest-fire.initial-attack".into(),
            version: "1.0.0".into(),
            team: "nantang".into(),
            attempt: 2,
            elapsed: 1453.5,
            time_limit: Some(3000.0),
            critical: vec!["knockdown".into()],
            tasks: record().tasks,
            penalties: record().penalties,
        };
        let params = serde_json::json!({
            "base": 100, "seconds_per_point": 30, "penalty_points": { "late-report": 3 }
        });
        let scorer = TimeBonusScorer::default();
        let mut card = scorer.score(&input, &params).expect("the rule scores");
        card.set_task(&input, "muster", Some(1.5), Some("quick".into()))
            .expect("a task of the record");
        vec![
            EntryKind::DrillRun {
                scenario: "forest-fire.initial-attack".into(),
                version: "1.0.0".into(),
                package_hash: "sha256:00".into(),
                members: vec!["m001".into(), "m002".into()],
                record: record(),
            },
            EntryKind::ScoreComputed {
                run: 7,
                scorer: ScorerId::new(ScorerKind::Native, "native:time-bonus", b"rule"),
                params: params.clone(),
                runtime: "native".into(),
                input: None,
                terms: Some(input.terms()),
                card: card.clone(),
            },
            EntryKind::ScoreComputed {
                run: 7,
                scorer: ScorerId::new(ScorerKind::Native, "native:time-bonus", b"rule"),
                params: params.clone(),
                runtime: "native".into(),
                input: Some(Box::new(input.clone())),
                terms: None,
                card: card.clone(),
            },
            EntryKind::ScoresComputed {
                scorer: ScorerId::new(ScorerKind::Native, "native:time-bonus", b"rule"),
                params,
                runtime: "native".into(),
                terms: input.terms(),
                scores: vec![
                    RunScore::new(7, card.clone()),
                    RunScore::new(
                        9,
                        ScoreCard {
                            total: 0.0,
                            status: crate::ScoreStatus::Dq,
                            reason: "critical task knockdown not done".into(),
                            notes: Vec::new(),
                            tasks: BTreeMap::new(),
                            scorer: card.scorer,
                        },
                    ),
                ],
            },
            EntryKind::Correction {
                reverses: 3,
                reason: "entered twice".into(),
            },
        ]
    }

    #[test]
    fn a_drill_runs_scenario_is_read_off_the_start_of_its_body() {
        let body = canonical_body(&kinds()[0]);
        assert_eq!(run_of(&body), Some(("forest-fire.initial-attack", "1.0.0")));
        for other in [
            r#"{"kind":"drill_run","scenario":7}"#,
            r#"{"kind":"drill_run","scenario":"a\"b","version":"1.0.0","#,
            r#"{"kind":"drill_run","scenario":"a","members":[]}"#,
            r#"{"kind":"score_computed","run":3}"#,
            r#"{"kind":"drill_run","scenario":"a"#,
        ] {
            assert_eq!(run_of(other), None, "{other}");
        }
    }

    #[test]
    fn a_hash_is_read_from_hex_digits_of_either_case_and_nothing_else() {
        let h = EntryHash(std::array::from_fn(|i| (i * 37 + 11) as u8));
        let lower = h.to_string();
        assert_eq!(EntryHash::from_hex(&lower), Some(h));
        assert_eq!(EntryHash::from_hex(&lower.to_uppercase()), Some(h));
        assert_eq!(EntryHash::from_hex(&lower[..63]), None);
        assert_eq!(EntryHash::from_hex(&format!("{lower}0")), None);
        for i in 0..64 {
            for bad in ['g', 'G', ' ', '/', ':', '@', '`', '\u{e9}'] {
                let mut s = lower.clone();
                s.replace_range(i..i + 1, &bad.to_string());
                assert_eq!(EntryHash::from_hex(&s), None, "{bad:?} at {i}");
            }
        }
    }

    #[test]
    fn every_kind_name_is_known_when_read_back() {
        for kind in kinds() {
            assert!(matches!(
                stored_kind(kind.name()),
                std::borrow::Cow::Borrowed(k) if k == kind.name()
            ));
            // The name is the one serde writes as the body's tag.
            let tag = format!(r#"{{"kind":"{}""#, kind.name());
            assert!(canonical_body(&kind).starts_with(&tag), "{tag}");
        }
        // Every kind's name is one serde reads as a tag, and the other way
        // round: its refusal of an unknown tag lists the tags it reads.
        let err = serde_json::from_str::<EntryKind>(r#"{"kind":"from_the_future"}"#)
            .expect_err("an unknown kind")
            .to_string();
        let listed = err
            .split_once("expected one of ")
            .map(|(_, rest)| rest.split(" at line").next().unwrap_or(rest))
            .unwrap_or_else(|| panic!("{err}"));
        let tags: Vec<&str> = listed.split(", ").map(|t| t.trim_matches('`')).collect();
        assert_eq!(tags, KIND_NAMES, "{err}");
        assert_eq!(stored_kind("from_the_future"), "from_the_future");
    }

    #[test]
    fn the_direct_read_gives_what_the_derived_reader_gives() {
        for kind in kinds() {
            let body = canonical_body(&kind);
            let derived: EntryKind = serde_json::from_str(&body).expect("derived reader");
            assert_eq!(parse_body(&body).expect("direct read"), derived);
            assert_eq!(derived, kind);
        }
    }

    #[test]
    fn a_body_the_direct_read_refuses_gets_the_derived_readers_error() {
        let body = canonical_body(&kinds()[0]);
        let cases = [
            body.replacen(r#""members":"#, r#""helpers":"#, 1),
            body.replacen(r#""attempt":2"#, r#""attempt":"two""#, 1),
            body.replacen(r#""package_hash":"sha256:00","#, "", 1),
            format!("{}, \"extra\": 1}}", &body[..body.len() - 1]),
        ];
        for bad in &cases {
            let derived = serde_json::from_str::<EntryKind>(bad).expect_err("derived refuses");
            let direct = parse_body(bad).expect_err("direct refuses");
            assert_eq!(direct.to_string(), derived.to_string(), "for {bad}");
        }
        let unknown = parse_body(&cases[0]).expect_err("unknown field");
        assert!(
            unknown.to_string().contains("unknown field `helpers`"),
            "{unknown}"
        );
        let missing = parse_body(&cases[2]).expect_err("missing field");
        assert!(
            missing.to_string().contains("missing field `package_hash`"),
            "{missing}"
        );
    }

    /// The input a scorer is given for the drill run `body` holds, read in
    /// full; `None` when it is not a run of the initial attack at 1.0.0.
    fn input_of(body: &str, terms: &ScenarioTerms) -> Result<Option<ScoreInput>, String> {
        match parse_body(body) {
            Ok(EntryKind::DrillRun {
                scenario,
                version,
                record,
                ..
            }) => Ok(
                (scenario == "forest-fire.initial-attack" && version == "1.0.0")
                    .then(|| ScoreInput::from_terms(record, terms.clone())),
            ),
            Ok(_) => Ok(None),
            Err(e) => Err(format!("entry 9 cannot be read: bad body: {e}")),
        }
    }

    const RUN: (&str, &str) = ("forest-fire.initial-attack", "1.0.0");

    /// Checks that the canonical scan leaves `body` to the serde read.
    fn assert_scan_leaves(body: &str) {
        let mut slot = reread::empty_input();
        let scanned = reread::scan_canonical(body, &mut slot, RUN.0, RUN.1);
        assert_eq!(scanned, None, "{body}");
    }

    /// Terms with no time limit and no critical task.
    fn bare_terms() -> ScenarioTerms {
        ScenarioTerms {
            time_limit: None,
            critical: vec![],
        }
    }

    /// Bodies of drill runs that read, from `body`.
    fn runs_that_read(body: &str) -> Vec<String> {
        let tasks = r#""tasks":{"knockdown":{"start":234.0,"end":1453.5,"status":"done","rating":"P"},"muster":{"start":0.0,"end":234.0,"status":"done"}}"#;
        assert!(body.contains(tasks), "{body}");
        let penalties = r#","penalties":[{"code":"late-report","task":"muster","count":2}]"#;
        assert!(body.contains(penalties), "{body}");
        vec![
            body.to_string(),
            body.replacen("initial-attack", r"initial\u002dattack", 1),
            body.replacen("nantang", r"nan\ttang", 1),
            // Another task, one fewer, other ids, out of order, given twice.
            body.replacen(tasks, r#""tasks":{"a":{"start":1.0,"end":2.0,"status":"failed"},"knockdown":{"start":2.0,"end":9.0,"status":"done"},"muster":{"start":0.0,"end":234.0,"status":"done"}}"#, 1),
            body.replacen(tasks, r#""tasks":{"muster":{"start":0.0,"end":4.0,"status":"done"}}"#, 1),
            body.replacen(tasks, r#""tasks":{"z":{"start":0.0,"end":4.0,"status":"skipped"},"b":{"start":1.0,"end":3.0,"status":"done"}}"#, 1),
            body.replacen(tasks, r#""tasks":{"muster":{"start":0.0,"end":4.0,"status":"done"},"muster":{"start":1.0,"end":5.0,"status":"failed"}}"#, 1),
            body.replacen(tasks, r#""tasks":{}"#, 1),
            // No penalties, more of them, one with no task and one with a null one.
            body.replacen(penalties, "", 1),
            body.replacen(penalties, r#","penalties":[{"code":"a","count":1},{"code":"b","task":null,"count":3},{"count":4,"code":"c","task":"x"}]"#, 1),
            body.replacen(r#","started_at":"2026-12-01T09:00:00+08:00""#, "", 1),
            body.replacen(r#""version":"1.0.0","team""#, r#""version":"1.0.0-rc.1+b7","team""#, 1),
        ]
    }

    #[test]
    fn a_run_read_over_another_gives_what_reading_it_in_full_gives() {
        let terms = ScenarioTerms {
            time_limit: Some(3000.0),
            critical: vec!["knockdown".into()],
        };
        let body = canonical_body(&kinds()[0]);
        let runs = runs_that_read(&body);
        for (i, run) in runs.iter().enumerate() {
            let full = input_of(run, &terms)
                .expect("reads")
                .expect("a run to score");
            // Over an empty input, and over the input of each other run.
            for before in std::iter::once(None).chain(runs.iter().map(Some)) {
                let mut slot = reread::empty_input();
                if let Some(b) = before {
                    assert!(read_run(1, b, &mut slot, RUN, &terms).expect("reads"));
                }
                assert_eq!(
                    reread::read_run_into(run, &mut slot, RUN.0, RUN.1).map_err(|e| e.to_string()),
                    Ok(true),
                    "case {i}: {run}"
                );
                assert!(read_run(1, run, &mut slot, RUN, &terms).expect("reads"));
                assert_eq!(slot, full, "case {i} over {before:?}");
            }
        }
        // Each run as the ledger writes it is read by the canonical scan,
        // over any other, to what the full read gives; one with an escape by
        // the serde read.
        for (i, run) in runs.iter().enumerate() {
            let full = input_of(run, &terms).expect("reads").expect("a run");
            let canonical = canonical_body(&parse_body(run).expect("reads"));
            for before in std::iter::once(&body).chain(&runs) {
                let mut slot = reread::empty_input();
                assert!(read_run(1, before, &mut slot, RUN, &terms).expect("reads"));
                let scanned = reread::scan_canonical(&canonical, &mut slot, RUN.0, RUN.1);
                // A string that needs an escape is left to the serde read.
                if canonical.contains('\\') {
                    assert_eq!(scanned, None, "case {i}: {canonical}");
                    assert!(read_run(1, &canonical, &mut slot, RUN, &terms).expect("reads"));
                } else {
                    assert_eq!(scanned, Some(true), "case {i}: {canonical}");
                }
                slot.time_limit = terms.time_limit;
                slot.critical.clone_from(&terms.critical);
                assert_eq!(slot, full, "case {i} over {before}");
            }
        }
        // A run of another scenario or version is no run to score.
        let other = body.replacen(r#""version":"1.0.0""#, r#""version":"1.1.0""#, 1);
        let mut slot = reread::empty_input();
        assert!(!read_run(1, &other, &mut slot, RUN, &terms).expect("reads"));
        assert_eq!(
            reread::read_run_into(&other, &mut slot, RUN.0, RUN.1).ok(),
            Some(false)
        );
        // A field the full read lets go of is read there.
        let extra = body.replacen(r#""team":"#, r#""crew":4,"team":"#, 1);
        assert!(reread::read_run_into(&extra, &mut slot, RUN.0, RUN.1).is_err());
        assert!(read_run(1, &extra, &mut slot, RUN, &terms).expect("reads"));
        assert_eq!(Some(slot), input_of(&extra, &terms).expect("reads"));
    }

    #[test]
    fn the_canonical_scan_reads_times_and_counts_as_the_full_read_does() {
        let terms = bare_terms();
        let body = canonical_body(&kinds()[0]);
        let at = r#""start":234.0,"#;
        assert!(body.contains(at), "{body}");
        let times = [
            "0.0",
            "-0.0",
            "1e-7",
            "1.5E+300",
            "123456789.123456789",
            "5e-324",
            "1e21",
            "0.30000000000000004",
            "-2.5e3",
            "17976931348623157e292",
        ];
        for t in times {
            let run = body.replacen(at, &format!(r#""start":{t},"#), 1);
            let full = input_of(&run, &terms).expect("reads").expect("a run");
            let mut slot = reread::empty_input();
            assert_eq!(
                reread::scan_canonical(&run, &mut slot, RUN.0, RUN.1),
                Some(true),
                "{t}"
            );
            let start = |i: &ScoreInput| i.tasks["knockdown"].start.to_bits();
            assert_eq!(start(&slot), start(&full), "{t}");
            assert_eq!(slot.elapsed.to_bits(), full.elapsed.to_bits(), "{t}");
        }
        // What the serde read takes and the scan leaves to it: whole-number
        // times, white space, escapes, a number out of range, counts past a
        // u32, leading zeros, ids out of order; and a run of another version.
        let others = [
            body.replacen(at, r#""start":234,"#, 1),
            body.replacen(at, r#""start":-0,"#, 1),
            body.replacen(at, r#""start": 234.0,"#, 1),
            body.replacen("nantang", r"nan\u0074ang", 1),
            body.replacen(at, r#""start":1e400,"#, 1),
            body.replacen(at, r#""start":0234.0,"#, 1),
            body.replacen(r#""count":2"#, r#""count":4294967296"#, 1),
            body.replacen(r#""attempt":2"#, r#""attempt":02"#, 1),
            body.replacen(r#""knockdown":{"#, r#""zz":{"#, 1),
        ];
        for run in &others {
            assert_ne!(run, &body);
            assert_scan_leaves(run);
            let mut slot = reread::empty_input();
            let quick = read_run(9, run, &mut slot, RUN, &terms).map_err(|e| e.to_string());
            match input_of(run, &terms) {
                Ok(want) => {
                    assert_eq!(quick, Ok(true), "{run}");
                    assert_eq!(Some(slot), want, "{run}");
                }
                Err(e) => assert_eq!(quick, Err(e), "{run}"),
            }
        }
        let other = body.replacen(r#""version":"1.0.0""#, r#""version":"1.1.0""#, 1);
        let mut slot = reread::empty_input();
        assert_eq!(
            reread::scan_canonical(&other, &mut slot, RUN.0, RUN.1),
            Some(false)
        );
    }

    #[test]
    fn a_run_the_full_read_refuses_is_refused_with_its_words() {
        let terms = bare_terms();
        let body = canonical_body(&kinds()[0]);
        let bad = [
            body.replacen(r#""package_hash":"sha256:00""#, r#""package_hash":7"#, 1),
            body.replacen(r#""members":["m001","m002"]"#, r#""members":["m001",2]"#, 1),
            body.replacen(r#""members":["m001","m002"]"#, r#""members":"m001""#, 1),
            body.replacen(
                r#""kind":"drill_run","#,
                r#""kind":"drill_run","rating":1,"#,
                1,
            ),
            body.replacen(
                r#""kind":"drill_run","#,
                r#""kind":"drill_run","members":[],"#,
                1,
            ),
            body.replacen(r#""package_hash":"sha256:00","#, "", 1),
            body.replacen(
                r#""version":"1.0.0","team""#,
                r#""version":"one","team""#,
                1,
            ),
            body.replacen(
                r#""version":"1.0.0","team""#,
                r#""version":" 1.0.0","team""#,
                1,
            ),
            body.replacen(
                r#""started_at":"2026-12-01T09:00:00+08:00""#,
                r#""started_at":"noon""#,
                1,
            ),
            body.replacen(r#""attempt":2"#, r#""attempt":-2"#, 1),
            body.replacen(r#""attempt":2,"#, "", 1),
            body.replacen(
                r#""team":"nantang","#,
                r#""team":"nantang","team":"wuyun","#,
                1,
            ),
            body.replacen(r#""status":"done""#, r#""status":"finished""#, 1),
            body.replacen(r#""start":0.0,"#, "", 1),
            body.replacen(r#""count":2"#, r#""count":2.5"#, 1),
            body.replacen(r#""code":"late-report","#, "", 1),
            body.replacen(r#""task":"muster","count""#, r#""task":3,"count""#, 1),
            format!("{body} x"),
            body[..body.len() - 2].to_string(),
        ];
        for b in &bad {
            assert_ne!(b, &body, "the case edits the body");
            let whole = input_of(b, &terms).expect_err("the full read refuses");
            assert_scan_leaves(b);
            let mut slot = reread::empty_input();
            assert!(
                reread::read_run_into(b, &mut slot, RUN.0, RUN.1).is_err(),
                "{b}"
            );
            let quick = read_run(9, b, &mut slot, RUN, &terms).map_err(|e| e.to_string());
            assert_eq!(quick, Err(whole), "for {b}");
        }
    }
}
