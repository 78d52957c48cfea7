//! Paths shared by the integration tests.
#![allow(dead_code)] // Each test binary uses a part.

use std::path::PathBuf;

/// The crate's folder.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The folder the test binary's profile builds into (`target/debug`), where
/// cargo puts `libmuster_ffi.so` beside it.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    // target/debug/deps/<test> → target/debug
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary is in <profile>/deps")
        .to_path_buf()
}

/// The built shared library. `cargo test` builds it into `<profile>/deps`
/// with the crate's tests; only `cargo build` also copies it up to
/// `<profile>`, where a copy may be older. So `deps` is looked in first.
pub fn cdylib() -> PathBuf {
    let dir = profile_dir();
    let name = format!(
        "{}muster_ffi{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let candidates = [dir.join("deps").join(&name), dir.join(&name)];
    candidates
        .iter()
        .find(|lib| lib.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{} is missing; build it with `cargo build -p muster-ffi`",
                candidates[0].display()
            )
        })
}

/// The first fenced block of `lang` in bindings/README.md, as the README has it.
pub fn readme_block(lang: &str) -> String {
    let readme = crate_dir().join("../README.md");
    let text = std::fs::read_to_string(&readme).expect("bindings/README.md is readable");
    let fence = format!("```{lang}\n");
    let start = text
        .find(&fence)
        .unwrap_or_else(|| panic!("bindings/README.md has no ```{lang} block"))
        + fence.len();
    let len = text[start..]
        .find("```")
        .expect("the README's block is closed");
    text[start..start + len].to_string()
}

/// True when `diff` shows `a` and `b` as equal, else panics with the first
/// different line and how to regenerate.
pub fn assert_same(committed: &str, fresh: &str, what: &str, regenerate: &str) {
    if committed == fresh {
        return;
    }
    let line = committed
        .lines()
        .zip(fresh.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
    panic!(
        "{what} is out of date (first difference at line {}); regenerate it with `{regenerate}` and commit the result",
        line + 1
    );
}

/// Runs a generator of the muster-bindgen package (`uniffi-bindgen` or
/// `muster-header`) through cargo, and returns its stdout.
pub fn bindgen(bin: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["run", "-q", "-p", "muster-bindgen", "--bin", bin, "--"])
        .args(args)
        .current_dir(crate_dir())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "{bin} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the output is UTF-8")
}
