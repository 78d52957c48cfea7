//! Scenario packages: folders, tars, in-memory files, generators, and every
//! way a package or a record can be wrong.

use std::path::{Path, PathBuf};

use muster_plugins::{Package, PackageError, PackageOptions};

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/packages/forest-fire-initial-attack")
}

fn example_files() -> Vec<(String, Vec<u8>)> {
    ["scenario.toml", "score.rhai", "record-nantang.json"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(example_dir().join(f)).unwrap()))
        .collect()
}

fn record() -> String {
    std::fs::read_to_string(example_dir().join("record-nantang.json")).unwrap()
}

fn err_text(e: PackageError) -> String {
    e.to_string().trim_end().to_string()
}

/// A tar whose entries are written raw, so hostile names reach the reader.
fn raw_tar(dir: &Path, entries: &[(&str, tar::EntryType, &[u8])]) -> PathBuf {
    let path = dir.join("pkg.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&path).unwrap());
    for (name, kind, data) in entries {
        let mut h = tar::Header::new_old();
        let bytes = name.as_bytes();
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        h.set_entry_type(*kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.finish().unwrap();
    path
}

#[test]
fn folder_scores_109_83() {
    let p = Package::open(example_dir()).unwrap();
    let card = p.score("record-nantang.json", &record()).unwrap();
    assert_eq!(format!("{:.2}", card.total), "109.83");
    assert_eq!(p.manifest(), "scenario.toml");
    assert_eq!(p.scoring_file(), "score.rhai");
    assert!(card.scorer.name.ends_with("/score.rhai"));
    // Given with a trailing slash, the folder's files are named the same.
    let slash = format!("{}{}", example_dir().display(), std::path::MAIN_SEPARATOR);
    let again = Package::open(&slash).unwrap();
    let card_again = again.score("record-nantang.json", &record()).unwrap();
    assert_eq!(card_again.scorer.name, card.scorer.name);
    assert!(
        !card_again.scorer.name.contains("//"),
        "{}",
        card_again.scorer.name
    );
}

#[test]
fn tar_of_a_folder_scores_109_83() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ff.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&path).unwrap());
    b.append_dir_all("forest-fire-initial-attack", example_dir())
        .unwrap();
    b.finish().unwrap();
    drop(b);
    let p = Package::open(&path).unwrap();
    let card = p.score("record-nantang.json", &record()).unwrap();
    assert_eq!(format!("{:.2}", card.total), "109.83");
}

#[test]
fn in_memory_files_score_109_83() {
    let p = Package::from_files("builtin:ff", example_files(), &PackageOptions::default()).unwrap();
    let run = p.run("record-nantang.json", &record()).unwrap();
    assert_eq!(format!("{:.2}", run.result.unwrap().total), "109.83");
    assert!(run.stats.work_used > 0);
}

#[test]
fn tar_with_parent_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let t = raw_tar(
        dir.path(),
        &[("../evil.rhai", tar::EntryType::Regular, b"x")],
    );
    let e =
        err_text(Package::open(&t).unwrap_err()).replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!(e, @r#"TMP/pkg.tar: ../evil.rhai: climbs out of the package with `..`; package files must stay inside it"#);
}

#[test]
fn tar_with_absolute_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let t = raw_tar(
        dir.path(),
        &[("/etc/passwd", tar::EntryType::Regular, b"x")],
    );
    let e =
        err_text(Package::open(&t).unwrap_err()).replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!(e, @r#"TMP/pkg.tar: /etc/passwd: is an absolute path; package files must be relative to the package folder"#);
}

#[test]
fn tar_with_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let t = raw_tar(dir.path(), &[("score.rhai", tar::EntryType::Symlink, b"")]);
    let e =
        err_text(Package::open(&t).unwrap_err()).replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!(e, @r#"TMP/pkg.tar: score.rhai: is a link; a package holds only plain files"#);
}

#[test]
fn oversized_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b' '; 2048];
    let t = raw_tar(
        dir.path(),
        &[("scenario.toml", tar::EntryType::Regular, &big)],
    );
    let mut o = PackageOptions::default();
    o.max_file_bytes = 1024;
    let e = err_text(Package::open_with(&t, &o).unwrap_err())
        .replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!(e, @r#"TMP/pkg.tar: scenario.toml: is 2048 bytes; a package file may be at most 1024 bytes"#);
}

#[test]
fn not_a_package() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.txt");
    std::fs::write(&f, "hello").unwrap();
    let e =
        err_text(Package::open(&f).unwrap_err()).replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!(e, @r#"TMP/notes.txt: not a package: give a folder, or a .tar of one, holding scenario.toml or generator.toml"#);
    let e = err_text(Package::open(dir.path()).unwrap_err())
        .replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!(e, @r#"TMP: holds no scenario.toml or generator.toml (files found: notes.txt)"#);
}

#[test]
fn missing_script() {
    let files: Vec<_> = example_files()
        .into_iter()
        .filter(|(n, _)| n != "score.rhai")
        .collect();
    let e = err_text(Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err());
    insta::assert_snapshot!(e, @r#"pkg/scenario.toml: names `score.rhai`, which is not in the package (files found: record-nantang.json, scenario.toml)"#);
}

#[test]
fn script_that_does_not_compile() {
    let mut files = example_files();
    for (n, b) in &mut files {
        if n == "score.rhai" {
            *b = b"fn score(record, params) {\n  let = 1;\n}".to_vec();
        }
    }
    let e = Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err();
    assert!(matches!(e, PackageError::Score(_)), "{e:?}");
    insta::assert_snapshot!(err_text(e), @r#"pkg/score.rhai:2:7: syntax error: Expecting name of a variable"#);
}

#[test]
fn record_for_an_unknown_task() {
    let p = Package::from_files("pkg", example_files(), &PackageOptions::default()).unwrap();
    let text = record().replace("\"recon\":", "\"recce\":");
    let e = p.score("run.json", &text).unwrap_err();
    assert!(matches!(e, PackageError::Invalid(_)), "{e:?}");
    insta::assert_snapshot!(err_text(e), @r#"run.json:10:5: error: task `recce`: `tasks` names unknown task `recce`; did you mean `recon`?"#);
}

#[test]
fn generated_scenario_with_default_and_given_params() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rhai/flood");
    let p = Package::open(&dir).unwrap();
    assert_eq!(p.scenario().tasks().len(), 4);
    assert_eq!(p.manifest(), "generator.toml");
    let mut o = PackageOptions::default();
    o.params.insert("victims".into(), serde_json::json!(5));
    let p = Package::open_with(&dir, &o).unwrap();
    assert_eq!(p.scenario().tasks().len(), 6);
    let rec = r#"{ "scenario": "water.flood-rescue", "version": "1.0.0", "team": "wangmudu", "attempt": 1,
      "tasks": { "launch": { "start": "0s", "end": "4m", "status": "done" },
                 "rescue-1": { "start": "4m", "end": "9m", "status": "done" },
                 "rescue-2": { "start": "4m", "end": "10m", "status": "failed" } } }"#;
    let card = p.score("run.json", rec).unwrap();
    assert_eq!(card.total, 10.0);
    assert_eq!(card.notes, vec!["1 saved"]);
}

#[test]
fn generator_that_makes_a_bad_scenario() {
    let files = vec![
        ("generator.toml".to_string(), b"[generator]\nscript = \"g.rhai\"\n".to_vec()),
        (
            "g.rhai".to_string(),
            b"fn scenario(params) { #{ scenario: #{ id: \"x\" }, tasks: [] } }\nfn score(record, params) { 0 }".to_vec(),
        ),
    ];
    let e = Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err();
    assert!(matches!(e, PackageError::Invalid(_)), "{e:?}");
    insta::assert_snapshot!(err_text(e), @r#"
        pkg/g.rhai:scenario():2:15: error: [scenario] has no `version`; add `version = "..."`
        pkg/g.rhai:scenario():2:15: error: [scenario] has no `hazard`; add `hazard = "..."`
        pkg/g.rhai:scenario():2:15: error: [scenario] has no `name`; add `name = "..."`
        pkg/g.rhai:scenario():5:3: error: the scenario has no tasks; add at least one [[tasks]] table with id, name and duration
        "#);
}

#[test]
fn malformed_generator_manifest() {
    let files = vec![
        (
            "generator.toml".to_string(),
            b"[generator]\nscript = \"g.rhai\"\nvictims = 3\n".to_vec(),
        ),
        (
            "g.rhai".to_string(),
            b"fn score(record, params) { 0 }".to_vec(),
        ),
    ];
    let e = Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err();
    assert!(matches!(e, PackageError::Manifest { line: 3, .. }), "{e:?}");
    insta::assert_snapshot!(err_text(e), @r#"pkg/generator.toml:3:1: unknown field `victims`, expected one of `script`, `wasm`, `params` (expected `[generator]` with `script` or `wasm`, and optional `[generator.params]`)"#);
}

#[test]
fn generator_module_without_generator() {
    let files = vec![
        (
            "generator.toml".to_string(),
            b"[generator]\nscript = \"g.rhai\"\n".to_vec(),
        ),
        (
            "g.rhai".to_string(),
            b"fn score(record, params) { 0 }".to_vec(),
        ),
    ];
    let e = Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err();
    insta::assert_snapshot!(err_text(e), @r#"pkg/g.rhai: generator.toml names this module, but it defines no `scenario(params)` generator"#);
}

#[test]
fn both_manifests() {
    let mut files = example_files();
    files.push((
        "generator.toml".to_string(),
        b"[generator]\nscript = \"score.rhai\"\n".to_vec(),
    ));
    let e = Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err();
    insta::assert_snapshot!(err_text(e), @r#"pkg: holds both scenario.toml and generator.toml; a package has one of them"#);
}

#[test]
fn wasm_scoring_goes_to_the_wasm_runtime() {
    let files = vec![
        (
            "scenario.toml".to_string(),
            std::fs::read_to_string(example_dir().join("scenario.toml"))
                .unwrap()
                .replace("script = \"score.rhai\"", "wasm = \"score.wasm\"")
                .into_bytes(),
        ),
        ("score.wasm".to_string(), b"\0asm\x01\0\0\0".to_vec()),
    ];
    let e = Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err();
    assert!(matches!(e, PackageError::Score(_)), "{e:?}");
}

fn generator_files(script: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "generator.toml".to_string(),
            b"[generator]\nscript = \"g.rhai\"\n".to_vec(),
        ),
        ("g.rhai".to_string(), script.as_bytes().to_vec()),
    ]
}

#[test]
fn generator_that_loops_hits_the_same_limits() {
    let files = generator_files(
        "fn scenario(params) { loop {} }\nfn score(record, params) { #{ total: 0.0, status: \"valid\" } }",
    );
    let e = Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err();
    assert!(matches!(e, PackageError::Score(_)), "{e:?}");
    insta::assert_snapshot!(err_text(e), @r#"pkg/g.rhai: the scorer hit the operation limit (more than 200000 operations)"#);
}

#[test]
fn generator_that_returns_a_list() {
    let files = generator_files(
        "fn scenario(params) { [1, 2, 3] }\nfn score(record, params) { #{ total: 0.0, status: \"valid\" } }",
    );
    let e = Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err();
    insta::assert_snapshot!(err_text(e), @r#"pkg/g.rhai: bad result: `scenario(params)` returned an array, but must return a map in the scenario's JSON shape"#);
}

#[test]
fn generator_manifest_without_a_module() {
    let files = vec![(
        "generator.toml".to_string(),
        b"[generator]\n[generator.params]\nvictims = 3\n".to_vec(),
    )];
    let e = Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err();
    insta::assert_snapshot!(err_text(e), @r#"pkg/generator.toml:1:1: `[generator]` names no module: add `script = "gen.rhai"` or `wasm = "gen.wasm"`"#);
}

#[test]
fn scenario_without_scoring() {
    let toml = std::fs::read_to_string(example_dir().join("scenario.toml")).unwrap();
    let cut = toml.find("[scoring]").unwrap();
    let files = vec![("scenario.toml".to_string(), toml.as_bytes()[..cut].to_vec())];
    let e = Package::from_files("pkg", files, &PackageOptions::default()).unwrap_err();
    insta::assert_snapshot!(err_text(e), @r#"pkg/scenario.toml: has no scoring file: add `[scoring]` with `script = "score.rhai"` or `wasm = "score.wasm"`"#);
}

#[test]
fn folder_with_a_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["scenario.toml", "score.rhai"] {
        std::fs::copy(example_dir().join(f), dir.path().join(f)).unwrap();
    }
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("data.txt")).unwrap();
    let e = err_text(Package::open(dir.path()).unwrap_err())
        .replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!(e, @r#"TMP: data.txt: is a link; a package holds only plain files"#);
}
