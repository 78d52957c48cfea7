//! A ledger writer for the crash and concurrency tests.
//!
//! `ledger-writer DB TAG COUNT BATCH` appends COUNT training entries for
//! member `m001` (signed off by `m002`), BATCH per transaction, and after each
//! commit prints `committed SEQ ITEM` for every entry of the batch, flushed.

use std::io::Write;
use std::path::Path;

use muster_core::ledger::{Draft, EntryKind, LedgerStore, SqliteStore};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, db, tag, count, batch] = args.as_slice() else {
        eprintln!("usage: ledger-writer DB TAG COUNT BATCH");
        return std::process::ExitCode::from(2);
    };
    let (Ok(count), Ok(batch)) = (count.parse::<usize>(), batch.parse::<usize>()) else {
        eprintln!("COUNT and BATCH must be numbers");
        return std::process::ExitCode::from(2);
    };
    let mut store = match SqliteStore::open(Path::new(db)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(1);
        }
    };
    let at = chrono::DateTime::parse_from_rfc3339("2021-06-01T08:00:00+08:00").unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    let mut i = 0;
    while i < count {
        let drafts: Vec<Draft> = (i..(i + batch.max(1)).min(count))
            .map(|n| {
                Draft::new(
                    tag.as_str(),
                    at,
                    EntryKind::TrainingAttended {
                        member: "m001".into(),
                        item: format!("{tag}-{n}"),
                        category: "physical".into(),
                        hours: 0.5,
                        instructor: "m002".into(),
                    },
                )
            })
            .collect();
        match store.append(&drafts) {
            Ok(written) => {
                for (w, d) in written.iter().zip(&drafts) {
                    if let EntryKind::TrainingAttended { item, .. } = &d.entry {
                        let _ = writeln!(stdout, "committed {} {item}", w.seq);
                    }
                }
                let _ = stdout.flush();
            }
            Err(e) => {
                eprintln!("{e}");
                return std::process::ExitCode::from(1);
            }
        }
        i += batch.max(1);
    }
    std::process::ExitCode::SUCCESS
}
