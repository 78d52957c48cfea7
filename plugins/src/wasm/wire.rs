//! The host's half of ABIs v2 and v3: the record written in the binary layout of
//! `muster_guest::wire`, and the guest's result read back into a card.

use muster_core::{
    MAX_NOTES, Rating, ScoreCard, ScoreInput, ScoreStatus, ScorerId, TaskRun, TaskStatus,
};
use muster_guest::wire::{self, Reader, Writer};

/// Writes one `score` input: the record's length, the record, then
/// `params`, already encoded as JSON.
pub(crate) fn write_input(w: &mut Writer, input: &ScoreInput, params: &[u8]) {
    framed(w, params, |w| write_record(w, input));
}

/// The `u32` length, what `record` writes, then the params.
fn framed(w: &mut Writer, params: &[u8], record: impl FnOnce(&mut Writer)) {
    let len_at = w.position();
    w.u32(0);
    let start = w.position();
    record(w);
    let len = w.position() - start;
    w.patch_u32(len_at, u32::try_from(len).unwrap_or(u32::MAX));
    w.bytes(params);
}

/// What an ABI v3 instance holds of the records it has read: the scenario
/// and version, the critical ids and the task ids of the last record that
/// sent each. A fresh instance holds the default, all empty.
#[derive(Debug, Default)]
pub(crate) struct Context {
    scenario: String,
    version: String,
    critical: Vec<String>,
    task_ids: Vec<String>,
}

/// An ABI v3 `score` input: as [`write_input`]'s, but the record sends its
/// scenario and version, critical ids and task ids only where they differ
/// from what `held` says the instance holds, and `held` is updated to what
/// the instance will hold once it has read the record. `None` is a fresh
/// instance that is sent one record: everything is sent, nothing kept.
pub(crate) fn write_input_v3(
    w: &mut Writer,
    input: &ScoreInput,
    params: &[u8],
    held: Option<&mut Context>,
) {
    framed(w, params, |w| write_record_v3(w, input, held));
}

fn write_record_v3(w: &mut Writer, input: &ScoreInput, held: Option<&mut Context>) {
    write_head(w, input);
    w.str(&input.team);
    let (scenario, critical, ids) = match &held {
        None => (true, true, true),
        Some(held) => (
            held.scenario != input.scenario || held.version != input.version,
            held.critical != input.critical,
            held.task_ids.len() != input.tasks.len()
                || held
                    .task_ids
                    .iter()
                    .zip(input.tasks.keys())
                    .any(|(a, b)| a != b),
        ),
    };
    let flag = |sent: bool, flag: u8| if sent { flag } else { 0 };
    w.u8(flag(scenario, wire::CONTEXT_SCENARIO)
        | flag(critical, wire::CONTEXT_CRITICAL)
        | flag(ids, wire::CONTEXT_TASK_IDS));
    if scenario {
        w.str(&input.scenario);
        w.str(&input.version);
    }
    if critical {
        write_list(w, &input.critical);
    }
    if ids {
        write_list(w, input.tasks.keys());
    }
    if let Some(held) = held {
        if scenario {
            held.scenario.clone_from(&input.scenario);
            held.version.clone_from(&input.version);
        }
        if critical {
            held.critical.clone_from(&input.critical);
        }
        if ids {
            // Over the ids held, reusing their strings.
            held.task_ids.truncate(input.tasks.len());
            for (i, id) in input.tasks.keys().enumerate() {
                match held.task_ids.get_mut(i) {
                    Some(old) => old.clone_from(id),
                    None => held.task_ids.push(id.clone()),
                }
            }
        }
    }
    w.len(input.tasks.len());
    for t in input.tasks.values() {
        write_run(w, t);
    }
    write_penalties(w, input);
}

/// A count, then each string.
fn write_list<'a>(
    w: &mut Writer,
    list: impl IntoIterator<Item = &'a String, IntoIter: ExactSizeIterator>,
) {
    let list = list.into_iter();
    w.len(list.len());
    for s in list {
        w.str(s);
    }
}

/// What every record starts with: elapsed, the time limit, the attempt.
fn write_head(w: &mut Writer, input: &ScoreInput) {
    w.f64(input.elapsed);
    w.u8(u8::from(input.time_limit.is_some()));
    w.f64(input.time_limit.unwrap_or(0.0));
    w.u32(input.attempt);
}

fn write_run(w: &mut Writer, t: &TaskRun) {
    w.f64(t.start);
    w.f64(t.end);
    w.u8(match t.status {
        TaskStatus::Done => wire::TASK_DONE,
        TaskStatus::Failed => wire::TASK_FAILED,
        TaskStatus::Skipped => wire::TASK_SKIPPED,
    });
    w.u8(match t.rating {
        None => wire::RATING_NONE,
        Some(Rating::P) => wire::RATING_P,
        Some(Rating::S) => wire::RATING_S,
        Some(Rating::M) => wire::RATING_M,
        Some(Rating::U) => wire::RATING_U,
    });
}

fn write_penalties(w: &mut Writer, input: &ScoreInput) {
    w.len(input.penalties.len());
    for p in &input.penalties {
        w.str(&p.code);
        match &p.task {
            None => w.u8(0),
            Some(t) => {
                w.u8(1);
                w.str(t);
            }
        }
        w.u32(p.count);
    }
}

/// The ABI v2 record: every string in full.
fn write_record(w: &mut Writer, input: &ScoreInput) {
    write_head(w, input);
    w.str(&input.scenario);
    w.str(&input.version);
    w.str(&input.team);
    write_list(w, &input.critical);
    w.len(input.tasks.len());
    for (id, t) in &input.tasks {
        w.str(id);
        write_run(w, t);
    }
    write_penalties(w, input);
}

pub(crate) enum Output {
    Card(ScoreCard),
    Error(String),
}

/// Reads a guest's result, checking it as [`ScoreCard::from_output`] checks
/// JSON. An `Err` says what is malformed and at which byte.
pub(crate) fn read_output(
    bytes: &[u8],
    input: &ScoreInput,
    scorer: ScorerId,
) -> Result<Output, String> {
    let mut r = Reader::new(bytes, "the result");
    let at = r.position();
    match r.u8()? {
        wire::CARD => {}
        wire::ERROR => {
            let message = r.str()?.to_string();
            r.finish()?;
            return Ok(Output::Error(message));
        }
        other => {
            return Err(format!(
                "the result starts with tag {other} at byte {at}; it must be {} (a card) or {} (an error)",
                wire::CARD,
                wire::ERROR
            ));
        }
    }
    let total = r.f64()?;
    let at = r.position();
    let status = match r.u8()? {
        wire::STATUS_VALID => ScoreStatus::Valid,
        wire::STATUS_DNF => ScoreStatus::Dnf,
        wire::STATUS_DQ => ScoreStatus::Dq,
        other => {
            return Err(format!(
                "the result has status {other} at byte {at}; it must be {} (valid), {} (dnf) or {} (dq)",
                wire::STATUS_VALID,
                wire::STATUS_DNF,
                wire::STATUS_DQ
            ));
        }
    };
    let reason = r.str()?.to_string();
    let n = r.count("notes", MAX_NOTES, 4)?;
    let notes = (0..n)
        .map(|_| r.str().map(str::to_string))
        .collect::<Result<Vec<_>, _>>()?;
    let mut card = ScoreCard::from_parts(total, status, reason, notes, scorer)?;
    let n = r.count("task entries", input.tasks.len(), 5)?;
    for _ in 0..n {
        let id = r.str()?;
        let at = r.position();
        let flags = r.u8()?;
        if flags & !(wire::HAS_POINTS | wire::HAS_NOTE) != 0 {
            return Err(format!(
                "the result has task flags {flags} at byte {at} for `{id}`; only {} (points) and {} (note) are defined",
                wire::HAS_POINTS,
                wire::HAS_NOTE
            ));
        }
        let points = if flags & wire::HAS_POINTS != 0 {
            Some(r.f64()?)
        } else {
            None
        };
        let note = if flags & wire::HAS_NOTE != 0 {
            Some(r.str()?.to_string())
        } else {
            None
        };
        // The card checks the id, the points and the note's length.
        card.set_task(input, id, points, note)?;
    }
    r.finish()?;
    Ok(Output::Card(card))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use muster_core::{DrillRecord, Format, Scenario, ScorerKind};

    use super::*;

    /// The Nantang record of the initial attack, with a penalty on no task
    /// and a rating on one task, so every branch of the layout is written.
    fn example() -> ScoreInput {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/packages/forest-fire-initial-attack");
        let text = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
        let scenario = Scenario::parse("scenario.toml", &text, Format::Toml).unwrap();
        let text = std::fs::read_to_string(dir.join("record-nantang.json")).unwrap();
        let record =
            DrillRecord::parse("record-nantang.json", &text, Format::Json, &scenario).unwrap();
        let mut input = ScoreInput::new(&scenario, &record);
        let mut p = input.penalties[0].clone();
        p.task = None;
        p.code = "悬挂-late".into();
        input.penalties.push(p);
        input
    }

    /// The record `input` as an instance holding `held` is sent it.
    fn wire_record(input: &ScoreInput, held: Option<&mut Context>) -> Vec<u8> {
        let mut w = Writer::default();
        write_record_v3(&mut w, input, held);
        w.into_bytes()
    }

    #[test]
    fn the_guest_reads_the_binary_record_as_it_reads_the_json_one() {
        let mut input = example();
        for limit in [input.time_limit, None] {
            input.time_limit = limit;
            let mut w = Writer::default();
            write_input_v3(&mut w, &input, b"{\"base\":100}", None);
            let bytes = w.into_bytes();
            let mut r = Reader::new(&bytes, "the input");
            let len = r.u32().unwrap() as usize;
            let mut rr = Reader::new(&bytes[4..4 + len], "the record");
            let binary = muster_guest::Record::from_wire(&mut rr).unwrap();
            rr.finish().unwrap();
            assert_eq!(&bytes[4 + len..], b"{\"base\":100}");
            let json: muster_guest::Record =
                serde_json::from_value(serde_json::to_value(&input).unwrap()).unwrap();
            assert_eq!(binary, json);
        }
    }

    #[test]
    fn a_record_sent_by_difference_is_read_as_the_whole_record() {
        let a = example();
        let mut b = a.clone();
        b.team = "wuyun".into();
        b.critical.pop();
        let (id, mut run) = b.tasks.pop_first().unwrap();
        run.rating = None;
        b.tasks.insert(format!("{id}-2"), run);
        b.penalties.truncate(1);
        b.penalties[0].task = None;
        let mut c = a.clone();
        c.penalties.push(a.penalties[0].clone());
        c.tasks.values_mut().for_each(|t| t.end += 1.0);
        let mut d = c.clone();
        d.version = "1.0.1".into();
        let fresh = |input: &ScoreInput| {
            let bytes = wire_record(input, None);
            muster_guest::Record::from_wire(&mut Reader::new(&bytes, "r")).unwrap()
        };
        let mut held = Context::default();
        let mut reused = muster_guest::Record::default();
        let mut sent = vec![];
        for input in [&a, &b, &c, &a, &c, &d, &b] {
            let bytes = wire_record(input, Some(&mut held));
            let mut r = Reader::new(&bytes, "r");
            reused.read_wire(&mut r).unwrap();
            r.finish().unwrap();
            assert_eq!(reused, fresh(input));
            // The context flags follow the head and the team.
            sent.push(bytes[25 + input.team.len()]);
        }
        let (s, c, t) = (
            wire::CONTEXT_SCENARIO,
            wire::CONTEXT_CRITICAL,
            wire::CONTEXT_TASK_IDS,
        );
        assert_eq!(sent, [s | c | t, c | t, c | t, 0, 0, s, s | c | t]);
    }

    #[test]
    fn the_host_reads_a_binary_card_as_it_reads_the_json_one() {
        let input = example();
        let scorer = ScorerId::new(ScorerKind::Wasm, "t.wasm", b"t");
        let mut card = muster_guest::ScoreCard::valid(97.25);
        card.notes = vec!["time bonus 14.83".into(), "missing-kit x1: -2".into()];
        card.tasks.insert(
            "knockdown".into(),
            muster_guest::TaskPoints {
                points: Some(10.0),
                note: Some("fast".into()),
            },
        );
        card.tasks.insert(
            "muster".into(),
            muster_guest::TaskPoints {
                points: None,
                note: Some("late".into()),
            },
        );
        let mut w = Writer::default();
        card.to_wire(&mut w);
        let Output::Card(binary) = read_output(w.as_bytes(), &input, scorer.clone()).unwrap()
        else {
            panic!("a card was written");
        };
        let json =
            ScoreCard::from_output(&serde_json::to_value(&card).unwrap(), &input, scorer).unwrap();
        assert_eq!(binary, json);
    }

    #[test]
    fn a_card_past_the_limits_is_refused_as_json_would_be() {
        let input = example();
        let scorer = ScorerId::new(ScorerKind::Wasm, "t.wasm", b"t");
        let read = |card: &muster_guest::ScoreCard| {
            let mut w = Writer::default();
            card.to_wire(&mut w);
            read_output(w.as_bytes(), &input, scorer.clone())
                .err()
                .unwrap()
        };
        let mut card = muster_guest::ScoreCard::valid(f64::NAN);
        assert_eq!(
            read(&card),
            "`total` must be a finite number, found the number NaN"
        );
        card.total = 1.0;
        card.notes = vec![String::new(); 257];
        assert_eq!(
            read(&card),
            "the result gives 257 notes at byte 14; at most 256 are allowed"
        );
        card.notes.clear();
        card.tasks.insert(
            "knockdown".into(),
            muster_guest::TaskPoints {
                points: Some(f64::INFINITY),
                note: None,
            },
        );
        assert_eq!(
            read(&card),
            "`tasks.knockdown.points` must be a finite number, found the number inf"
        );
        card.tasks.clear();
        card.reason = "x".repeat(2000);
        assert_eq!(
            read(&card),
            "`reason` must be a string of at most 1024 bytes, found a long string"
        );
    }
}
