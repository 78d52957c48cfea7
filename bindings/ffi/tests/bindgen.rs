//! UniFFI bindings generated from the built library (library mode), with the
//! uniffi-bindgen of the same uniffi version: Python is generated and tested
//! here; Kotlin and Swift are committed under bindings/uniffi/ and checked for
//! drift.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

/// Generates `language` (python, kotlin, swift) bindings of the built library
/// into `out`, with the workspace's uniffi-bindgen.
fn generate(language: &str, out: &Path) {
    let lib = common::cdylib();
    common::bindgen(
        "uniffi-bindgen",
        &[
            "generate".as_ref(),
            "--library".as_ref(),
            lib.as_os_str(),
            "--language".as_ref(),
            language.as_ref(),
            "--no-format".as_ref(),
            "--metadata-no-deps".as_ref(),
            "--out-dir".as_ref(),
            out.as_os_str(),
        ],
    );
}

/// Every file under `dir`, as relative path → text.
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = std::fs::read_to_string(&p).expect("generated files are text");
                let rel = p.strip_prefix(dir).expect("under dir").to_path_buf();
                out.push((rel, text));
            }
        }
    }
    out.sort();
    out
}

/// Python: generate, put the library beside the module, run the unittest
/// suite and the README's example.
fn python_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("a temp dir");
    generate("python", tmp.path());
    let lib = common::cdylib();
    std::fs::copy(&lib, tmp.path().join(lib.file_name().expect("a file name")))
        .expect("copy the library beside the module");
    tmp
}

fn python(dir: &Path) -> Command {
    let mut cmd = Command::new("python3");
    cmd.env("PYTHONPATH", dir).env(
        "MUSTER_RECORD",
        common::crate_dir()
            .join("../../scenarios/packages/forest-fire-initial-attack/record-nantang.json"),
    );
    cmd
}

fn run(mut cmd: Command) -> String {
    let out = cmd.output().expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{cmd:?} failed:\n{stdout}\n{stderr}");
    stdout + &stderr
}

#[test]
fn python_unittests_pass() {
    let dir = python_dir();
    let mut cmd = python(dir.path());
    cmd.args(["-m", "unittest", "discover", "-v", "-s"])
        .arg(common::crate_dir().join("tests/python"));
    let out = run(cmd);
    assert!(out.contains("\nOK"), "{out}");
    assert!(!out.contains("Ran 0 tests"), "{out}");
}

#[test]
fn readme_python_example_runs() {
    let dir = python_dir();
    let example = dir.path().join("readme_example.py");
    std::fs::write(&example, common::readme_block("python")).expect("write the example");
    let mut cmd = python(dir.path());
    cmd.arg(&example)
        .current_dir(common::crate_dir().join("../.."));
    let out = run(cmd);
    assert!(out.contains("score 109.83"), "{out}");
}

const REGENERATE: &str = "MUSTER_BLESS=1 cargo test -p muster-ffi --test bindgen";

/// Kotlin and Swift: the committed sources are what uniffi-bindgen makes of
/// today's library.
fn check_committed(name: &str) {
    let tmp = tempfile::tempdir().expect("a temp dir");
    generate(name, tmp.path());
    let fresh = files(tmp.path());
    assert!(!fresh.is_empty(), "uniffi generated no {name} files");
    let committed_dir = common::crate_dir().join("../uniffi").join(name);
    if std::env::var_os("MUSTER_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        for (rel, text) in &fresh {
            let p = committed_dir.join(rel);
            std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write");
        }
    }
    let committed = files(&committed_dir);
    let names = |v: &[(PathBuf, String)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&fresh),
        "the {name} files under bindings/uniffi/{name} differ from the generated ones; regenerate them with `{REGENERATE}` and commit the result"
    );
    for ((rel, old), (_, new)) in committed.iter().zip(&fresh) {
        common::assert_same(
            old,
            new,
            &format!("bindings/uniffi/{name}/{}", rel.display()),
            REGENERATE,
        );
    }
}

#[test]
fn committed_kotlin_is_current() {
    check_committed("kotlin");
}

#[test]
fn committed_swift_is_current() {
    check_committed("swift");
}

/// Every API name the README's Kotlin and Swift examples call is in the
/// committed sources (there is no Kotlin or Swift compiler here).
#[test]
fn readme_kotlin_and_swift_names_exist() {
    for (lang, dir, names) in [
        (
            "kotlin",
            "kotlin",
            &[
                "Scenario.fromPath",
                "analyse",
                "AnalysisOptions",
                "criticalPath",
                "Package.open",
                "score",
                "Ledger.open",
                "verify",
                "planPeriod",
                "PlanRequest",
                "MusterException",
            ][..],
        ),
        (
            "swift",
            "swift",
            &[
                "Scenario.fromPath",
                "analyse",
                "AnalysisOptions",
                "criticalPath",
                "Package.open",
                "score",
                "Ledger.open",
                "verify",
                "planPeriod",
                "PlanRequest",
                "MusterError",
            ][..],
        ),
    ] {
        let example = common::readme_block(lang);
        let generated: String = files(&common::crate_dir().join("../uniffi").join(dir))
            .into_iter()
            .map(|(_, t)| t.replace('`', ""))
            .collect();
        for name in names {
            assert!(
                example.contains(name),
                "the README's {lang} example does not use {name}"
            );
            let last = name.rsplit('.').next().expect("a name");
            assert!(
                generated.contains(&format!("fun {last}("))
                    || generated.contains(&format!("func {last}("))
                    || generated.contains(&format!("class {last}"))
                    || generated.contains(&format!("struct {last}"))
                    || generated.contains(&format!("enum {last}"))
                    || generated.contains(&format!("var {last}:"))
                    || generated.contains(&format!("val {last}:"))
                    || generated.contains(&format!("init({last}")),
                "{name}, used by the README's {lang} example, is not in the generated {lang} sources"
            );
        }
    }
}
