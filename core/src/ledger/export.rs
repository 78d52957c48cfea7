//! Exports (CSV, JSON lines, xAPI 1.0.3) and the roster import.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Draft, Entry, EntryKind};
use crate::ScoreStatus;
use crate::diag::{Diagnostic, Diagnostics, Severity};

/// Writes entries as CSV: `seq,at,author,kind,subject,corrected_by,hash,body`.
///
/// `body` is the entry's canonical JSON, so nothing is lost.
pub fn export_csv(entries: &[Entry], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let corrected: BTreeMap<u64, u64> = corrections(entries);
    let mut w = csv::Writer::from_writer(out);
    let err = |e: csv::Error| std::io::Error::other(e.to_string());
    w.write_record([
        "seq",
        "at",
        "author",
        "kind",
        "subject",
        "corrected_by",
        "hash",
        "body",
    ])
    .map_err(err)?;
    for e in entries {
        w.write_record([
            e.seq.to_string(),
            e.at.to_rfc3339(),
            e.author.clone(),
            e.kind.name().to_string(),
            e.kind.subject().unwrap_or("").to_string(),
            corrected
                .get(&e.seq)
                .map_or_else(String::new, u64::to_string),
            e.hash.to_string(),
            super::canonical_body(&e.kind),
        ])
        .map_err(err)?;
    }
    w.flush()
}

fn corrections(entries: &[Entry]) -> BTreeMap<u64, u64> {
    entries
        .iter()
        .filter_map(|e| match e.kind {
            EntryKind::Correction { reverses, .. } => Some((reverses, e.seq)),
            _ => None,
        })
        .collect()
}

/// Writes entries as JSON lines, one entry (with seq, hashes and kind) per line.
pub fn export_jsonl(entries: &[Entry], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for e in entries {
        let line = serde_json::to_string(e).map_err(|e| std::io::Error::other(e.to_string()))?;
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Where xAPI accounts and activities live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XapiOptions {
    /// The `homePage` of every actor's account, e.g. `https://brigade.example`.
    pub home_page: String,
    /// The prefix of activity ids, e.g. `https://brigade.example/muster`.
    pub activity_base: String,
}

fn duration(secs: f64) -> String {
    format!("PT{}S", (secs * 100.0).round() / 100.0)
}

fn statement_id(hash: [u8; 32], n: usize) -> String {
    // A name-based id: the entry hash (for one score of a `scores_computed`
    // entry, a hash of the entry's hash and the score's place) laid out as a
    // UUID (version 8, variant 10), with the actor index mixed into the last
    // byte so each statement differs.
    let mut b = hash;
    b[15] ^= n as u8;
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// xAPI 1.0.3 statements for training attended (verb `attended`) and scores
/// (verb `scored`, one statement per member of the run), skipping corrected entries.
/// A score that keeps its scenario's terms rather than its whole input is
/// told of through its run, so it needs its run among `entries`; one whose
/// run is not there is left out.
///
/// Actors are accounts (`homePage` + member id); results carry the score and
/// the duration as ISO 8601; the timestamp is when the entry was recorded.
/// The context's extensions name the ledger entry (`…/ledger/seq`,
/// `…/ledger/hash`) and, for a score, its drill run (`…/ledger/run`), as a
/// `scores_computed` entry holds the scores of many.
pub fn export_xapi(entries: &[Entry], opts: &XapiOptions) -> Vec<Value> {
    let corrected: BTreeSet<u64> = corrections(entries).into_keys().collect();
    let runs: BTreeMap<u64, &Entry> = entries
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::DrillRun { .. }))
        .map(|e| (e.seq, e))
        .collect();
    let actor = |name: &str| json!({ "objectType": "Agent", "account": { "homePage": opts.home_page, "name": name } });
    let context = |e: &Entry| {
        json!({ "extensions": { format!("{}/ledger/seq", opts.activity_base): e.seq,
                                format!("{}/ledger/hash", opts.activity_base): e.hash.to_string() } })
    };
    // The statements of one score of drill run `run`, one per member of the
    // run; a score without its input is told of through its run.
    let scored = |out: &mut Vec<Value>,
                  e: &Entry,
                  id_base: [u8; 32],
                  run: u64,
                  input: Option<(&str, String, f64, &String)>,
                  total: f64,
                  status: ScoreStatus| {
        let stored_run = match runs.get(&run).map(|r| &r.kind) {
            Some(EntryKind::DrillRun {
                members, record, ..
            }) => Some((members, record)),
            _ => None,
        };
        let (scenario, version, elapsed, team) = match (input, stored_run) {
            (Some(i), _) => i,
            (None, Some((_, r))) => (
                r.scenario.as_str(),
                r.version.to_string(),
                r.elapsed_secs(),
                &r.team,
            ),
            (None, None) => return,
        };
        let members: Vec<String> = match stored_run {
            Some((members, _)) if !members.is_empty() => members.clone(),
            _ => vec![team.clone()],
        };
        // The entry, and the drill run the score is of.
        let mut ctx = context(e);
        ctx["extensions"][format!("{}/ledger/run", opts.activity_base)] = json!(run);
        for (n, m) in members.iter().enumerate() {
            out.push(json!({
                "id": statement_id(id_base, n),
                "actor": actor(m),
                "verb": { "id": "http://adlnet.gov/expapi/verbs/scored", "display": { "en-US": "scored" } },
                "object": {
                    "objectType": "Activity",
                    "id": format!("{}/scenario/{scenario}@{version}", opts.activity_base),
                    "definition": { "name": { "en-US": scenario }, "type": "http://adlnet.gov/expapi/activities/assessment" }
                },
                "result": {
                    "score": { "raw": total },
                    "success": status == ScoreStatus::Valid,
                    "completion": status != ScoreStatus::Dnf,
                    "duration": duration(elapsed)
                },
                "timestamp": e.at.to_rfc3339(),
                "context": ctx.clone(),
                "version": "1.0.3"
            }));
        }
    };
    let mut out = Vec::new();
    for e in entries.iter().filter(|e| !corrected.contains(&e.seq)) {
        match &e.kind {
            EntryKind::TrainingAttended {
                member,
                item,
                category,
                hours,
                ..
            } => out.push(json!({
                "id": statement_id(e.hash.0, 0),
                "actor": actor(member),
                "verb": { "id": "http://adlnet.gov/expapi/verbs/attended", "display": { "en-US": "attended" } },
                "object": {
                    "objectType": "Activity",
                    "id": format!("{}/syllabus/{item}", opts.activity_base),
                    "definition": { "name": { "en-US": item }, "type": "http://adlnet.gov/expapi/activities/meeting",
                                    "extensions": { format!("{}/category", opts.activity_base): category } }
                },
                "result": { "completion": true, "duration": duration(hours * 3600.0) },
                "timestamp": e.at.to_rfc3339(),
                "context": context(e),
                "version": "1.0.3"
            })),
            EntryKind::ScoreComputed {
                run, input, card, ..
            } => {
                let input = input.as_deref().map(|i| (i.scenario.as_str(), i.version.clone(), i.elapsed, &i.team));
                scored(&mut out, e, e.hash.0, *run, input, card.total, card.status);
            }
            EntryKind::ScoresComputed { scores, .. } => {
                for (line, score) in scores.iter().enumerate() {
                    // Each score's statements get ids of their own.
                    let mut h = Sha256::new();
                    h.update(e.hash.0);
                    h.update((line as u64).to_be_bytes());
                    let base: [u8; 32] = h.finalize().into();
                    scored(&mut out, e, base, score.run, None, score.total, score.status);
                }
            }
            _ => {}
        }
    }
    out
}

/// One row of a roster CSV.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RosterRow {
    /// Line in the file.
    pub line: usize,
    /// Member id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Squadron id.
    pub squadron: String,
    /// Speciality.
    pub speciality: String,
}

impl RosterRow {
    /// The member_joined draft for this row.
    pub fn draft(&self, author: &str, at: DateTime<FixedOffset>) -> Draft {
        Draft::new(
            author,
            at,
            EntryKind::MemberJoined {
                member: self.id.clone(),
                name: self.name.clone(),
                squadron: self.squadron.clone(),
                speciality: self.speciality.clone(),
            },
        )
    }
}

const ROSTER_COLUMNS: [&str; 4] = ["id", "name", "squadron", "speciality"];

/// Reads a roster CSV with the header `id,name,squadron,speciality` (any
/// order). Returns every row, or a diagnostic for every bad row, named by line.
pub fn import_roster(file: &str, text: &str) -> Result<Vec<RosterRow>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut error = |line: usize, message: String| {
        diags.push(Diagnostic {
            severity: Severity::Error,
            file: file.to_string(),
            line,
            column: 1,
            task: None,
            message,
        });
    };
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = r.records();
    let header = match records.next() {
        None => {
            error(
                1,
                format!(
                    "the file is empty; expected the header `{}`",
                    ROSTER_COLUMNS.join(",")
                ),
            );
            return Err(diags);
        }
        Some(Err(e)) => {
            error(1, format!("cannot read the header: {e}"));
            return Err(diags);
        }
        Some(Ok(h)) => h,
    };
    let mut index = [usize::MAX; 4];
    for (i, h) in header.iter().enumerate() {
        match ROSTER_COLUMNS.iter().position(|c| *c == h.trim()) {
            Some(c) if index[c] == usize::MAX => index[c] = i,
            Some(_) => error(1, format!("column `{}` appears twice", h.trim())),
            None => error(
                1,
                format!(
                    "unknown column `{}`; the columns are {}",
                    h.trim(),
                    ROSTER_COLUMNS.join(", ")
                ),
            ),
        }
    }
    for (c, i) in ROSTER_COLUMNS.iter().zip(index) {
        if i == usize::MAX {
            error(1, format!("the header has no `{c}` column"));
        }
    }
    if index.contains(&usize::MAX) || header.len() > ROSTER_COLUMNS.len() {
        return Err(diags);
    }
    let mut rows = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for rec in records {
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                error(line, format!("cannot read the row: {e}"));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != header.len() {
            error(
                line,
                format!(
                    "the row has {} fields; the header has {}",
                    rec.len(),
                    header.len()
                ),
            );
            continue;
        }
        let field = |c: usize| rec.get(index[c]).unwrap_or("").trim().to_string();
        let [id, name, squadron, speciality] = [field(0), field(1), field(2), field(3)];
        let empty: Vec<&str> = ROSTER_COLUMNS
            .iter()
            .zip([&id, &name, &squadron, &speciality])
            .filter(|(_, v)| v.is_empty())
            .map(|(c, _)| *c)
            .collect();
        if !empty.is_empty() {
            error(line, format!("empty {}", empty.join(", ")));
            continue;
        }
        if let Some(first) = seen.get(&id) {
            error(line, format!("member `{id}` is already on line {first}"));
            continue;
        }
        seen.insert(id.clone(), line);
        rows.push(RosterRow {
            line,
            id,
            name,
            squadron,
            speciality,
        });
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(rows)
    }
}
