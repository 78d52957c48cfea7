//! Shared output conventions: diagnostics, tables, JSON, reading files.

use std::io::IsTerminal;
use std::path::Path;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use muster_core::Diagnostics;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// The input was wrong; diagnostics were printed. Exit code 1.
    Input,
    /// The command was used wrongly. Exit code 2.
    #[allow(dead_code)] // Kept for commands whose arguments clap cannot check alone.
    Usage(String),
    /// The user pressed Ctrl-C and the command stopped cleanly; it said
    /// what it left. Exit code 130, as a shell gives a command SIGINT ended.
    Interrupted,
}

pub type Outcome = Result<(), Failure>;

/// Prints diagnostics to stderr as `file:line:col: error: message`.
pub fn diagnostics(d: &Diagnostics) {
    for x in d {
        eprintln!("{x}");
    }
}

/// Prints an input error about a whole file and returns [`Failure::Input`].
pub fn file_error(path: &str, message: impl std::fmt::Display) -> Failure {
    eprintln!("{path}: error: {message}");
    Failure::Input
}

/// Reads a text file, or reports why not.
pub fn read_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| {
        file_error(
            &path.display().to_string(),
            format!("cannot read the file: {e}"),
        )
    })
}

/// Prints a value as pretty JSON on stdout.
pub fn json<T: serde::Serialize>(value: &T) -> Outcome {
    match serde_json::to_string_pretty(value) {
        Ok(s) => {
            println!("{s}");
            Ok(())
        }
        Err(e) => Err(file_error("<output>", format!("cannot write JSON: {e}"))),
    }
}

/// A table in the house style; plain ASCII-free borders, no colour when `NO_COLOR` is set.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    if std::env::var_os("NO_COLOR").is_some() || !std::io::stdout().is_terminal() {
        t.force_no_tty();
    }
    t.set_header(header.iter().copied());
    t
}

/// Minutes with one decimal, e.g. "46.7".
pub fn minutes(secs: f64) -> String {
    format!("{:.1}", secs / 60.0)
}

/// A progress bar on a terminal for long work, and nothing when piped.
pub fn progress(total: u64, what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar
}
