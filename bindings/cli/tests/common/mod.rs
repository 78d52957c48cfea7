//! What the CLI tests share: run the built `muster`, find the test data,
//! read output as text.

// Each test file compiles its own copy of this module and uses only some of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the built `muster` with `args`, colour off.
pub fn muster(args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_muster")).args(args))
}

/// Runs the built `muster` with `args` in the folder `dir`, colour off.
pub fn muster_in(dir: &Path, args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_muster"))
        .args(args)
        .current_dir(dir))
}

fn run(command: &mut Command) -> Output {
    command
        .env("NO_COLOR", "1")
        .output()
        .expect("the muster binary runs")
}

/// Asserts that `out`, the output of `muster args`, exited with `code`;
/// when not, says the arguments, stdout and stderr.
pub fn assert_exit(out: &Output, code: i32, args: &[&str]) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Runs `muster args`, asserts that it succeeds and returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let out = muster(args);
    assert_exit(&out, 0, args);
    text(&out.stdout)
}

/// Runs `muster args`, asserts that it exits with `code` and returns its stderr.
pub fn fails(code: i32, args: &[&str]) -> String {
    let out = muster(args);
    assert_exit(&out, code, args);
    text(&out.stderr)
}

/// A file of the repository's `tests/data`, as the path `muster` is given.
pub fn data(relative: &str) -> String {
    repo(&format!("tests/data/{relative}"))
}

/// A file of the repository, as the path `muster` is given.
pub fn repo(relative: &str) -> String {
    path(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(relative),
    )
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A path as `muster` is given it and prints it.
pub fn path(p: &Path) -> String {
    p.display().to_string()
}
