//! The storage contract and the in-memory store.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::project::{HourLine, HourQuery, hour_lines};
use super::{
    Draft, Entry, EntryHash, EntryKind, LedgerError, MemberState, RawEntry, check, hex_text,
    seal_each,
};
use crate::score::{ScorerId, ScorerKind, content_hash};

/// What [`check`] needs to know about the ledger while appending.
pub trait Lookup {
    /// Whether `id` is a member, ignoring corrected entries.
    fn member(&mut self, id: &str) -> Result<Option<MemberState>, LedgerError>;
    /// The registration of `scenario@version`: its entry and package hash.
    fn scenario(
        &mut self,
        scenario: &str,
        version: &str,
    ) -> Result<Option<(u64, String)>, LedgerError>;
    /// The kind name of entry `seq`, if it exists.
    fn kind_of(&mut self, seq: u64) -> Result<Option<Cow<'static, str>>, LedgerError>;
    /// The correction that reversed entry `seq`, if any.
    fn corrected_by(&mut self, seq: u64) -> Result<Option<u64>, LedgerError>;
}

/// One stored entry as text, borrowed from the store for one call of the
/// [`LedgerStore::scan_text`] or [`LedgerStore::scan_append`] callback.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct StoredText<'a> {
    /// 1-based sequence number.
    pub seq: u64,
    /// The previous entry's hash, as stored: 64 lower-case hex digits.
    pub prev: &'a str,
    /// This entry's hash, as stored.
    pub hash: &'a str,
    /// When, RFC 3339.
    pub at: &'a str,
    /// Who.
    pub author: &'a str,
    /// The canonical body.
    pub body: &'a str,
}

/// Lends `raw` to `f` as the text it is stored as; what `f` returns.
fn lend_text(raw: &RawEntry, f: &mut dyn FnMut(StoredText<'_>) -> bool) -> bool {
    let (prev, hash) = (raw.prev.hex_bytes(), raw.hash.hex_bytes());
    f(StoredText {
        seq: raw.seq,
        prev: hex_text(&prev),
        hash: hex_text(&hash),
        at: &raw.at,
        author: &raw.author,
        body: &raw.body,
    })
}

/// Where ledger entries live. Appends are all-or-nothing and checked with
/// [`check`] against the state read inside the same write.
pub trait LedgerStore {
    /// Checks and appends `drafts` in order, atomically: either all are
    /// written or none is. Returns the entries written.
    fn append(&mut self, drafts: &[Draft]) -> Result<Vec<RawEntry>, LedgerError> {
        self.append_after(None, drafts)
    }

    /// [`append`](LedgerStore::append), but when `last` is given, only if
    /// the ledger still ends at entry `last` (0 for an empty ledger);
    /// otherwise nothing is written and the error is
    /// [`LedgerError::Moved`]. A writer that checks drafts against what it
    /// read (a competition's state, say) passes the last entry it read, so
    /// that two writers never both act on the same state.
    fn append_after(
        &mut self,
        last: Option<u64>,
        drafts: &[Draft],
    ) -> Result<Vec<RawEntry>, LedgerError>;

    /// Reads and writes in one all-or-none write: calls `f` with each entry
    /// stored when it starts, from `from` on, in order, as the text it is
    /// stored as ([`StoredText`], lent for the one call), then once with
    /// `None`, and appends the drafts `f` returns as it goes, checked as
    /// [`append`](LedgerStore::append) checks them. When `f` returns `None`
    /// the write is abandoned; when a draft is refused or the store fails,
    /// the error is returned; either way nothing is written. Returns the
    /// first and last entries written, `None` when none were.
    ///
    /// A re-score reads a season's runs and appends a score for each this
    /// way, holding only the runs in hand. The default reads everything
    /// first and appends every draft at the end, unless another writer has
    /// appended meanwhile ([`LedgerError::Moved`]); stores that can write
    /// while they read write as they go.
    fn scan_append(
        &mut self,
        from: u64,
        f: &mut dyn FnMut(Option<StoredText<'_>>) -> Option<Vec<Draft>>,
    ) -> Result<Option<(u64, u64)>, LedgerError> {
        let tip = self.tip()?.map_or(0, |(seq, _)| seq);
        let mut drafts = Vec::new();
        let mut abandoned = false;
        self.scan_text(from, &mut |entry| {
            if entry.seq > tip {
                return false;
            }
            match f(Some(entry)) {
                Some(more) => {
                    drafts.extend(more);
                    true
                }
                None => {
                    abandoned = true;
                    false
                }
            }
        })?;
        if abandoned {
            return Ok(None);
        }
        let Some(more) = f(None) else {
            return Ok(None);
        };
        drafts.extend(more);
        let written = self.append_after(Some(tip), &drafts)?;
        Ok(written
            .first()
            .zip(written.last())
            .map(|(a, b)| (a.seq, b.seq)))
    }

    /// Calls `f` with each stored entry from `from` on, in order, until it returns false.
    fn scan(&self, from: u64, f: &mut dyn FnMut(RawEntry) -> bool) -> Result<(), LedgerError>;

    /// The entry numbered `seq`; `None` when there is none.
    fn get(&self, seq: u64) -> Result<Option<RawEntry>, LedgerError> {
        let mut found = None;
        self.scan(seq, &mut |raw| {
            found = (raw.seq == seq).then_some(raw);
            false
        })?;
        Ok(found)
    }

    /// Calls `f` with each stored entry from `from` on, as the text it is
    /// stored as (hashes as hex), until it returns false. [`verify`] reads
    /// the chain this way; stores that keep text lend it without copying.
    ///
    /// [`verify`]: super::verify
    fn scan_text(
        &self,
        from: u64,
        f: &mut dyn FnMut(StoredText<'_>) -> bool,
    ) -> Result<(), LedgerError> {
        self.scan(from, &mut |raw| lend_text(&raw, f))
    }

    /// The last entry's number and hash; `None` when empty.
    fn tip(&self) -> Result<Option<(u64, EntryHash)>, LedgerError>;

    /// The entries whose subject is `member` (see [`EntryKind::subject`]), in order.
    fn member_entries(&self, member: &str) -> Result<Vec<Entry>, LedgerError>;

    /// The numbers of every entry reversed by a correction.
    fn corrected(&self) -> Result<BTreeSet<u64>, LedgerError>;

    /// Keeps a scorer's source (a rhai script's text, a wasm module's
    /// bytes) under its content hash, so that a replay can run the very
    /// scorer a stored score names after its package has changed or gone.
    /// Keeping a source already kept changes nothing. Sources sit beside
    /// the chain: a score entry names its scorer's hash, and the source is
    /// checked against that hash whenever it is read.
    ///
    /// Fails, keeping nothing, when `bytes` do not hash to `id.hash` or
    /// `id` is a native scorer (compiled into Muster, with no source).
    fn keep_source(&mut self, id: &ScorerId, bytes: &[u8]) -> Result<(), LedgerError>;

    /// The source kept under `hash` (`sha256:` and 64 hex digits), if any;
    /// an error when the kept bytes no longer match it.
    fn source(&self, hash: &str) -> Result<Option<Vec<u8>>, LedgerError>;

    /// The hashes of every kept source, in order.
    fn source_hashes(&self) -> Result<Vec<String>, LedgerError>;

    /// Training hours by member and category (see [`HourQuery`]), skipping corrected entries.
    fn hours(&self, query: &HourQuery) -> Result<Vec<HourLine>, LedgerError> {
        let entries = match &query.member {
            Some(m) => self.member_entries(m)?,
            None => self.entries()?,
        };
        hour_lines(&entries, &self.corrected()?, query)
    }

    /// Every entry, parsed, in order.
    fn entries(&self) -> Result<Vec<Entry>, LedgerError> {
        let mut out = Vec::new();
        let mut err = None;
        self.scan(1, &mut |raw| match raw.parse() {
            Ok(e) => {
                out.push(e);
                true
            }
            Err(e) => {
                err = Some(e);
                false
            }
        })?;
        match err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

/// A ledger held in memory, for tests and short-lived tools.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    raw: Vec<RawEntry>,
    parsed: Vec<Entry>,
    sources: BTreeMap<String, Vec<u8>>,
}

/// Checks a source before it is kept: a plugin scorer's, hashing to its id.
pub(crate) fn source_to_keep(id: &ScorerId, bytes: &[u8]) -> Result<(), LedgerError> {
    let message = if id.kind == ScorerKind::Native {
        format!(
            "`{}` is a native scorer, compiled into Muster: it has no source to keep; keep rhai scripts and wasm modules",
            id.name
        )
    } else {
        let found = content_hash(bytes);
        if found == id.hash {
            return Ok(());
        }
        format!(
            "the bytes given for `{}` hash to {found}; keep the exact script or module the scores were computed with",
            id.name
        )
    };
    Err(LedgerError::Source {
        hash: id.hash.clone(),
        message,
    })
}

/// Checks a kept source against the hash it is kept under.
pub(crate) fn kept_source(hash: &str, bytes: Vec<u8>) -> Result<Vec<u8>, LedgerError> {
    let found = content_hash(&bytes);
    if found == hash {
        return Ok(bytes);
    }
    Err(LedgerError::Source {
        hash: hash.to_string(),
        message: format!(
            "the kept bytes hash to {found}: the source was changed after it was kept, so it is not used"
        ),
    })
}

impl MemoryStore {
    /// An empty ledger.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

/// [`Lookup`] over parsed entries in order, by scanning.
pub(crate) struct SliceLookup<'a>(pub &'a [Entry]);

impl Lookup for SliceLookup<'_> {
    fn member(&mut self, id: &str) -> Result<Option<MemberState>, LedgerError> {
        for e in self.0.iter().rev() {
            // Only joins and leaves say whether a member is in; the others
            // about the member (attendances, runs) are passed over before
            // the search for a correction, which would make each lookup
            // go over the ledger once per entry about the member.
            let state = match e.kind {
                EntryKind::MemberJoined { .. } => MemberState::Active(e.seq),
                EntryKind::MemberLeft { .. } => MemberState::Left(e.seq),
                _ => continue,
            };
            if e.kind.subject() == Some(id) && self.corrected_by(e.seq)?.is_none() {
                return Ok(Some(state));
            }
        }
        Ok(None)
    }

    fn scenario(
        &mut self,
        scenario: &str,
        version: &str,
    ) -> Result<Option<(u64, String)>, LedgerError> {
        for e in self.0 {
            if let EntryKind::ScenarioRegistered {
                scenario: s,
                version: v,
                package_hash,
            } = &e.kind
                && s == scenario
                && v == version
                && self.corrected_by(e.seq)?.is_none()
            {
                return Ok(Some((e.seq, package_hash.clone())));
            }
        }
        Ok(None)
    }

    fn kind_of(&mut self, seq: u64) -> Result<Option<Cow<'static, str>>, LedgerError> {
        let i = seq.checked_sub(1).and_then(|i| usize::try_from(i).ok());
        Ok(i.and_then(|i| self.0.get(i)).map(|e| e.kind.name().into()))
    }

    fn corrected_by(&mut self, seq: u64) -> Result<Option<u64>, LedgerError> {
        Ok(self.0.iter().find_map(|e| match e.kind {
            EntryKind::Correction { reverses, .. } if reverses == seq => Some(e.seq),
            _ => None,
        }))
    }
}

impl LedgerStore for MemoryStore {
    fn append_after(
        &mut self,
        last: Option<u64>,
        drafts: &[Draft],
    ) -> Result<Vec<RawEntry>, LedgerError> {
        let found = self.raw.last().map_or(0, |r| r.seq);
        if let Some(expected) = last.filter(|&e| e != found) {
            return Err(LedgerError::Moved { expected, found });
        }
        let start = self.raw.len();
        let mut out = Vec::with_capacity(drafts.len());
        let written = seal_each(drafts, |d, at, body| {
            let (seq, prev) = match self.raw.last() {
                Some(r) => (r.seq + 1, r.hash),
                None => (1, EntryHash::GENESIS),
            };
            check(seq, d, &mut SliceLookup(&self.parsed))?;
            let raw = RawEntry::seal_text(seq, prev, &d.author, at, body);
            let parsed = raw.parse()?;
            out.push(raw.clone());
            self.raw.push(raw);
            self.parsed.push(parsed);
            Ok(())
        });
        if let Err(e) = written {
            self.raw.truncate(start);
            self.parsed.truncate(start);
            return Err(e);
        }
        Ok(out)
    }

    fn scan(&self, from: u64, f: &mut dyn FnMut(RawEntry) -> bool) -> Result<(), LedgerError> {
        for r in self.raw.iter().filter(|r| r.seq >= from) {
            if !f(r.clone()) {
                break;
            }
        }
        Ok(())
    }

    fn scan_text(
        &self,
        from: u64,
        f: &mut dyn FnMut(StoredText<'_>) -> bool,
    ) -> Result<(), LedgerError> {
        for r in self.raw.iter().filter(|r| r.seq >= from) {
            if !lend_text(r, f) {
                break;
            }
        }
        Ok(())
    }

    fn get(&self, seq: u64) -> Result<Option<RawEntry>, LedgerError> {
        // Entries are numbered from 1 with no gaps.
        let found = usize::try_from(seq.wrapping_sub(1))
            .ok()
            .and_then(|i| self.raw.get(i));
        Ok(found.filter(|r| r.seq == seq).cloned())
    }

    fn tip(&self) -> Result<Option<(u64, EntryHash)>, LedgerError> {
        Ok(self.raw.last().map(|r| (r.seq, r.hash)))
    }

    fn member_entries(&self, member: &str) -> Result<Vec<Entry>, LedgerError> {
        Ok(self
            .parsed
            .iter()
            .filter(|e| e.kind.subject() == Some(member))
            .cloned()
            .collect())
    }

    fn keep_source(&mut self, id: &ScorerId, bytes: &[u8]) -> Result<(), LedgerError> {
        source_to_keep(id, bytes)?;
        self.sources
            .entry(id.hash.clone())
            .or_insert_with(|| bytes.to_vec());
        Ok(())
    }

    fn source(&self, hash: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        self.sources
            .get(hash)
            .map(|b| kept_source(hash, b.clone()))
            .transpose()
    }

    fn source_hashes(&self) -> Result<Vec<String>, LedgerError> {
        Ok(self.sources.keys().cloned().collect())
    }

    fn corrected(&self) -> Result<BTreeSet<u64>, LedgerError> {
        Ok(self
            .parsed
            .iter()
            .filter_map(|e| match e.kind {
                EntryKind::Correction { reverses, .. } => Some(reverses),
                _ => None,
            })
            .collect())
    }
}
