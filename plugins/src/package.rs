//! Scenario packages: a folder, a `.tar` of one, or files held in memory
//! (the built-ins), holding either `scenario.toml` and the scoring file it
//! names, or `generator.toml` and a module that generates the scenario and
//! scores it.
//!
//! Every source goes through [`Package::from_files`], so a folder, a tar and
//! a built-in are checked the same way.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use muster_core::{Diagnostics, DrillRecord, Format, Scenario, ScoreCard, ScoreError, ScoreInput};

use crate::rhai::{RhaiLimits, RhaiRuntime, RhaiScorer};
use crate::stats::{PluginScorer, RunStats};
use crate::wasm::{WasmLimits, WasmRuntime, WasmScorer};

/// How a package is opened: the sandbox limits, the size caps on its files,
/// and the parameters for a generated scenario.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PackageOptions {
    /// Limits for rhai scripts.
    pub rhai: RhaiLimits,
    /// Limits for wasm modules.
    pub wasm: WasmLimits,
    /// Largest file a package may hold, in bytes. Default 8 MiB.
    pub max_file_bytes: u64,
    /// Most files a package may hold. Default 256.
    pub max_files: usize,
    /// Generator parameters that override `[generator.params]`.
    pub params: serde_json::Map<String, serde_json::Value>,
}

impl Default for PackageOptions {
    fn default() -> Self {
        PackageOptions {
            rhai: RhaiLimits::default(),
            wasm: WasmLimits::default(),
            max_file_bytes: 8 * 1024 * 1024,
            max_files: 256,
            params: serde_json::Map::new(),
        }
    }
}

/// Why a package could not be opened or could not score a record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// A file or folder could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The package's files are not laid out as a package must be: not a folder
    /// or tar, a forbidden tar entry, a file too large, no manifest.
    #[error("{path}: {message}")]
    Layout {
        /// The package, or the file inside it, that is wrong.
        path: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// `generator.toml` is malformed.
    #[error("{file}:{line}:{column}: {message}")]
    Manifest {
        /// The manifest file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and what would be right.
        message: String,
    },
    /// The scenario or the record is not valid; each diagnostic has its
    /// file, line and column.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// The scorer could not be loaded or could not score.
    #[error(transparent)]
    Score(#[from] ScoreError),
}

/// The scorer a package loaded.
#[derive(Debug)]
enum AnyScorer {
    Rhai(RhaiScorer),
    Wasm(WasmScorer),
}

impl AnyScorer {
    fn plugin(&self) -> &dyn PluginScorer {
        match self {
            AnyScorer::Rhai(s) => s,
            AnyScorer::Wasm(s) => s,
        }
    }
}

/// One scoring run through a package: the result, what it used, and what the
/// script printed (rhai only; wasm logs are not captured here).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PluginRun {
    /// The record as the scorer saw it.
    pub input: ScoreInput,
    /// The score card, or why there is none.
    pub result: Result<ScoreCard, ScoreError>,
    /// What the run used, against the limits.
    pub stats: RunStats,
    /// Lines the script printed.
    pub log: Vec<String>,
}

/// A record scored through a package: the input the scorer saw, and the
/// card it gave.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Scored {
    /// The record as the scorer saw it.
    pub input: ScoreInput,
    /// The card.
    pub card: ScoreCard,
}

impl Scored {
    /// Each task of the record, in id order: its time, status and rating,
    /// with the points and note the card gives it.
    pub fn task_details(&self) -> impl Iterator<Item = (&str, muster_core::TaskDetail)> {
        self.card.task_details(&self.input)
    }
}

/// A loaded, checked scenario package.
///
/// ```
/// use muster_plugins::{Package, PackageOptions};
/// let files = [
///     ("scenario.toml", r#"
/// [scenario]
/// id = "demo.pump"
/// version = "1.0.0"
/// hazard = "forest-fire"
/// name = "Pump"
///
/// [[tasks]]
/// id = "pump"
/// name = "Set up the pump"
/// duration = "5m"
///
/// [scoring]
/// script = "score.rhai"
/// params = { base = 10 }
/// "#),
///     ("score.rhai", r#"fn score(record, params) {
///         #{ total: params.base - record.elapsed / 60.0, status: "valid" }
///     }"#),
/// ];
/// let files = files.map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()));
/// let package = Package::from_files("demo", files, &PackageOptions::default()).unwrap();
/// let record = r#"{ "scenario": "demo.pump", "version": "1.0.0", "team": "wuyun", "attempt": 1,
///   "tasks": { "pump": { "start": "0s", "end": "4m", "status": "done" } } }"#;
/// let card = package.score("run.json", record).unwrap();
/// assert_eq!(card.total, 6.0);
/// ```
#[derive(Debug)]
pub struct Package {
    name: String,
    files: BTreeMap<String, Vec<u8>>,
    scenario: Scenario,
    manifest: String,
    scoring_file: String,
    params: serde_json::Value,
    generator_params: Option<serde_json::Value>,
    scorer: AnyScorer,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GeneratorToml {
    generator: GeneratorTable,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GeneratorTable {
    script: Option<String>,
    wasm: Option<String>,
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
}

impl Package {
    /// Opens a package folder or a `.tar` of one, with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Package, PackageError> {
        Package::open_with(path, &PackageOptions::default())
    }

    /// Opens a package folder or a `.tar` of one.
    pub fn open_with(
        path: impl AsRef<Path>,
        options: &PackageOptions,
    ) -> Result<Package, PackageError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|source| PackageError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let files = if meta.is_dir() {
            read_dir(path, options)?
        } else if name.ends_with(".tar") {
            read_tar(path, options)?
        } else {
            return Err(PackageError::Layout {
                path: name,
                message: "not a package: give a folder, or a .tar of one, holding scenario.toml or generator.toml".into(),
            });
        };
        // A folder given as `mine/` names its files `mine/score.rhai`, not
        // `mine//score.rhai`.
        let name = match name.trim_end_matches(std::path::MAIN_SEPARATOR) {
            "" => name.as_str(),
            trimmed => trimmed,
        };
        Package::from_files(name, files, options)
    }

    /// Builds a package from files held in memory: (path inside the package,
    /// bytes). `name` is how errors and score cards name the package.
    pub fn from_files(
        name: &str,
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
        options: &PackageOptions,
    ) -> Result<Package, PackageError> {
        let mut map = BTreeMap::new();
        for (path, bytes) in files {
            check_entry(name, &path, bytes.len() as u64, options)?;
            map.insert(path, bytes);
            if map.len() > options.max_files {
                return Err(PackageError::Layout {
                    path: name.to_string(),
                    message: format!("holds more than {} files", options.max_files),
                });
            }
        }
        let files = strip_single_folder(map);
        let rhai = RhaiRuntime::new(options.rhai.clone());
        let has = |f: &str| files.contains_key(f);
        match (has("scenario.toml"), has("generator.toml")) {
            (true, true) => Err(PackageError::Layout {
                path: name.to_string(),
                message: "holds both scenario.toml and generator.toml; a package has one of them"
                    .into(),
            }),
            (false, false) => Err(PackageError::Layout {
                path: name.to_string(),
                message: format!(
                    "holds no scenario.toml or generator.toml (files found: {})",
                    list(&files)
                ),
            }),
            (true, false) => Package::fixed(name, files, &rhai, options),
            (false, true) => Package::generated(name, files, &rhai, options),
        }
    }

    fn fixed(
        name: &str,
        files: BTreeMap<String, Vec<u8>>,
        rhai: &RhaiRuntime,
        options: &PackageOptions,
    ) -> Result<Package, PackageError> {
        let manifest = "scenario.toml".to_string();
        let text = text_of(name, &files, &manifest)?;
        let scenario = Scenario::parse(&format!("{name}/{manifest}"), text, Format::Toml)
            .map_err(PackageError::Invalid)?;
        let scoring = scenario.scoring();
        let (file, kind) = match (&scoring.script, &scoring.wasm) {
            (Some(s), None) => (s.clone(), Kind::Rhai),
            (None, Some(w)) => (w.clone(), Kind::Wasm),
            _ => {
                return Err(PackageError::Layout {
                    path: format!("{name}/{manifest}"),
                    message: "has no scoring file: add `[scoring]` with `script = \"score.rhai\"` or `wasm = \"score.wasm\"`".into(),
                });
            }
        };
        let scorer = load_scorer(name, &files, &manifest, &file, kind, rhai, options)?;
        let params = scoring.params.clone();
        Ok(Package {
            name: name.to_string(),
            files,
            scenario,
            manifest,
            scoring_file: file,
            params,
            generator_params: None,
            scorer,
        })
    }

    fn generated(
        name: &str,
        files: BTreeMap<String, Vec<u8>>,
        rhai: &RhaiRuntime,
        options: &PackageOptions,
    ) -> Result<Package, PackageError> {
        let manifest = "generator.toml".to_string();
        let text = text_of(name, &files, &manifest)?;
        let manifest_name = format!("{name}/{manifest}");
        let parsed: GeneratorToml = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |s| line_col(text, s.start));
            PackageError::Manifest {
                file: manifest_name.clone(),
                line,
                column,
                message: format!(
                    "{} (expected `[generator]` with `script` or `wasm`, and optional `[generator.params]`)",
                    e.message()
                ),
            }
        })?;
        let g = parsed.generator;
        let (file, kind) = match (g.script, g.wasm) {
            (Some(s), None) => (s, Kind::Rhai),
            (None, Some(w)) => (w, Kind::Wasm),
            (s, _) => {
                let key = text.find("[generator]").unwrap_or(0);
                let (line, column) = line_col(text, key);
                return Err(PackageError::Manifest {
                    file: manifest_name,
                    line,
                    column,
                    message: if s.is_some() {
                        "`[generator]` names both a `script` and a `wasm` module; keep one of them"
                            .into()
                    } else {
                        "`[generator]` names no module: add `script = \"gen.rhai\"` or `wasm = \"gen.wasm\"`".into()
                    },
                });
            }
        };
        let scorer = load_scorer(name, &files, &manifest, &file, kind, rhai, options)?;
        let mut params = g.params;
        for (k, v) in &options.params {
            params.insert(k.clone(), v.clone());
        }
        let params = serde_json::Value::Object(params);
        let plugin = scorer.plugin();
        if !plugin.has_generator() {
            return Err(PackageError::Layout {
                path: format!("{name}/{file}"),
                message: "generator.toml names this module, but it defines no `scenario(params)` generator".into(),
            });
        }
        let text = plugin.generate(&params)?;
        let scenario = Scenario::parse(&format!("{name}/{file}:scenario()"), &text, Format::Json)
            .map_err(PackageError::Invalid)?;
        let own = &scenario.scoring().params;
        let scoring_params = if own.as_object().is_some_and(|o| !o.is_empty()) {
            own.clone()
        } else {
            params.clone()
        };
        Ok(Package {
            name: name.to_string(),
            files,
            scenario,
            manifest,
            scoring_file: file,
            params: scoring_params,
            generator_params: Some(params),
            scorer,
        })
    }

    /// How errors name the package (its path, or `builtin:ID`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The manifest: `scenario.toml` or `generator.toml`.
    pub fn manifest(&self) -> &str {
        &self.manifest
    }

    /// The scoring file, e.g. `score.rhai`.
    pub fn scoring_file(&self) -> &str {
        &self.scoring_file
    }

    /// The scoring file's bytes: what the scorer's content hash is taken
    /// of, and what a ledger keeps so its scores can be replayed later (see
    /// [`crate::kept_scorer`]).
    pub fn scorer_source(&self) -> &[u8] {
        self.files
            .get(&self.scoring_file)
            .map_or(&[][..], Vec::as_slice)
    }

    /// The paths of the package's files.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The scenario: read from `scenario.toml`, or generated with the
    /// generator's default params overridden by [`PackageOptions::params`].
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The params the generator ran with, for a generated scenario.
    pub fn generator_params(&self) -> Option<&serde_json::Value> {
        self.generator_params.as_ref()
    }

    /// The params handed to the scorer: `[scoring.params]`, or for a
    /// generated scenario that sets none, the generator's params.
    pub fn params(&self) -> &serde_json::Value {
        &self.params
    }

    /// The package's scorer.
    pub fn scorer(&self) -> &dyn PluginScorer {
        self.scorer.plugin()
    }

    /// Parses a record (JSON, or TOML by file name), checks it against the
    /// scenario, and scores it.
    pub fn score(&self, record_name: &str, record_text: &str) -> Result<ScoreCard, PackageError> {
        Ok(self.score_record(record_name, record_text)?.card)
    }

    /// [`Package::score`], giving the input the scorer saw with the card:
    /// what a report of each task's time, status, rating and points needs.
    pub fn score_record(
        &self,
        record_name: &str,
        record_text: &str,
    ) -> Result<Scored, PackageError> {
        let input = self.input(record_name, record_text)?;
        let card = self.scorer.plugin().score(&input, &self.params)?;
        Ok(Scored { input, card })
    }

    /// Re-scores every run of the package's scenario (its id and version)
    /// stored in `store` with the package's scorer and params, appending a
    /// score entry for each by `author` at `at` (see
    /// [`muster_core::ledger::rescore`]: one all-or-none write, nothing
    /// written when any run fails). When scores were appended, the
    /// scorer's source is kept in the ledger too, so they replay later.
    pub fn rescore(
        &self,
        store: &mut dyn muster_core::ledger::LedgerStore,
        author: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<muster_core::ledger::RescoreReport, muster_core::ledger::LedgerError> {
        self.rescore_with_progress(store, author, at, &mut |_, _| {
            std::ops::ControlFlow::Continue(())
        })
    }

    /// [`Package::rescore`], calling `progress(read, stored)` as it reads
    /// the ledger; `progress` returning `ControlFlow::Break` cancels it with
    /// nothing written (see [`muster_core::ledger::rescore_with_progress`]).
    pub fn rescore_with_progress(
        &self,
        store: &mut dyn muster_core::ledger::LedgerStore,
        author: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
        progress: &mut dyn FnMut(u64, u64) -> std::ops::ControlFlow<()>,
    ) -> Result<muster_core::ledger::RescoreReport, muster_core::ledger::LedgerError> {
        let report = muster_core::ledger::rescore_with_progress(
            store,
            &self.scenario,
            self.scorer(),
            &self.params,
            &format!("muster-plugins {}", env!("CARGO_PKG_VERSION")),
            author,
            at,
            progress,
        )?;
        if report.appended.is_some() {
            self.keep_source(store)?;
        }
        Ok(report)
    }

    /// Keeps the package's scorer source (its rhai script or wasm module) in
    /// the ledger under its content hash, so that the scores it gives replay
    /// after the package is changed or gone. Keeping it again changes nothing.
    pub fn keep_source(
        &self,
        store: &mut dyn muster_core::ledger::LedgerStore,
    ) -> Result<(), muster_core::ledger::LedgerError> {
        store.keep_source(self.scorer().id(), self.scorer_source())
    }

    /// Like [`Package::score`], reporting what the run used and printed.
    /// The outer error is a bad record; the inner one a scorer failure.
    pub fn run(&self, record_name: &str, record_text: &str) -> Result<PluginRun, PackageError> {
        let input = self.input(record_name, record_text)?;
        Ok(match &self.scorer {
            AnyScorer::Rhai(s) => {
                let r = s.run(&input, &self.params);
                PluginRun {
                    input,
                    result: r.result,
                    stats: r.stats,
                    log: r.log,
                }
            }
            AnyScorer::Wasm(s) => {
                let (result, stats) = s.score_with_stats(&input, &self.params);
                PluginRun {
                    input,
                    result,
                    stats,
                    log: Vec::new(),
                }
            }
        })
    }

    fn input(&self, record_name: &str, record_text: &str) -> Result<ScoreInput, PackageError> {
        let record = DrillRecord::parse(
            record_name,
            record_text,
            Format::from_name(record_name),
            &self.scenario,
        )
        .map_err(PackageError::Invalid)?;
        Ok(ScoreInput::new(&self.scenario, &record))
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Rhai,
    Wasm,
}

fn load_scorer(
    name: &str,
    files: &BTreeMap<String, Vec<u8>>,
    manifest: &str,
    file: &str,
    kind: Kind,
    rhai: &RhaiRuntime,
    options: &PackageOptions,
) -> Result<AnyScorer, PackageError> {
    let Some(bytes) = files.get(file) else {
        return Err(PackageError::Layout {
            path: format!("{name}/{manifest}"),
            message: format!(
                "names `{file}`, which is not in the package (files found: {})",
                list(files)
            ),
        });
    };
    let script_name = format!("{name}/{file}");
    match kind {
        Kind::Rhai => {
            let text = std::str::from_utf8(bytes).map_err(|e| PackageError::Layout {
                path: script_name.clone(),
                message: format!("is not UTF-8 text ({e}); a rhai script must be UTF-8"),
            })?;
            Ok(AnyScorer::Rhai(rhai.load(&script_name, text)?))
        }
        Kind::Wasm => {
            let rt = WasmRuntime::new(options.wasm.clone())?;
            Ok(AnyScorer::Wasm(rt.load(&script_name, bytes)?))
        }
    }
}

fn text_of<'a>(
    name: &str,
    files: &'a BTreeMap<String, Vec<u8>>,
    file: &str,
) -> Result<&'a str, PackageError> {
    let bytes = files.get(file).map(Vec::as_slice).unwrap_or_default();
    std::str::from_utf8(bytes).map_err(|e| PackageError::Layout {
        path: format!("{name}/{file}"),
        message: format!("is not UTF-8 text ({e})"),
    })
}

fn list(files: &BTreeMap<String, Vec<u8>>) -> String {
    if files.is_empty() {
        return "none".into();
    }
    files
        .keys()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Checks one file's path and size: relative, no `..`, no root, within the cap.
fn check_entry(
    package: &str,
    path: &str,
    size: u64,
    options: &PackageOptions,
) -> Result<(), PackageError> {
    let bad = |message: String| PackageError::Layout {
        path: format!("{package}: {path}"),
        message,
    };
    let p = Path::new(path);
    if path.is_empty() || p.is_absolute() || path.starts_with('/') || path.starts_with('\\') {
        return Err(bad(
            "is an absolute path; package files must be relative to the package folder".into(),
        ));
    }
    for c in p.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err(bad(
                    "climbs out of the package with `..`; package files must stay inside it".into(),
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(bad(
                    "is an absolute path; package files must be relative to the package folder"
                        .into(),
                ));
            }
        }
    }
    if size > options.max_file_bytes {
        return Err(bad(format!(
            "is {size} bytes; a package file may be at most {} bytes",
            options.max_file_bytes
        )));
    }
    Ok(())
}

/// A tar of a folder holds every file under one top folder: drop it.
fn strip_single_folder(files: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let top = |p: &str| p.split_once('/').map(|(t, _)| t.to_string());
    let first = files.keys().next().and_then(|k| top(k));
    let Some(first) = first else { return files };
    if files
        .keys()
        .all(|k| top(k).as_deref() == Some(first.as_str()))
    {
        files
            .into_iter()
            .map(|(k, v)| (k[first.len() + 1..].to_string(), v))
            .collect()
    } else {
        files
    }
}

fn normalise(path: &Path) -> String {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn read_dir(root: &Path, options: &PackageOptions) -> Result<Vec<(String, Vec<u8>)>, PackageError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackageError::Io { path, source }
    };
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
            let rel = normalise(path.strip_prefix(root).unwrap_or(&path));
            if meta.file_type().is_symlink() {
                return Err(PackageError::Layout {
                    path: format!("{}: {rel}", root.display()),
                    message: "is a link; a package holds only plain files".into(),
                });
            }
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            check_entry(&root.display().to_string(), &rel, meta.len(), options)?;
            if out.len() >= options.max_files {
                return Err(PackageError::Layout {
                    path: root.display().to_string(),
                    message: format!("holds more than {} files", options.max_files),
                });
            }
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            out.push((rel, bytes));
        }
    }
    Ok(out)
}

fn read_tar(path: &Path, options: &PackageOptions) -> Result<Vec<(String, Vec<u8>)>, PackageError> {
    use std::io::Read;
    let io = |source| PackageError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(io)?;
    let mut archive = tar::Archive::new(file);
    let mut out = Vec::new();
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(PackageError::Layout {
                path: format!("{name}: {raw}"),
                message: "is a link; a package holds only plain files".into(),
            });
        }
        if !kind.is_file() {
            return Err(PackageError::Layout {
                path: format!("{name}: {raw}"),
                message: "is not a plain file; a package holds only plain files and folders".into(),
            });
        }
        let size = entry.header().size().map_err(io)?;
        check_entry(&name, &raw, size, options)?;
        if out.len() >= options.max_files {
            return Err(PackageError::Layout {
                path: name,
                message: format!("holds more than {} files", options.max_files),
            });
        }
        let mut bytes = Vec::new();
        entry
            .by_ref()
            .take(options.max_file_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        out.push((normalise(Path::new(&raw)), bytes));
    }
    Ok(out)
}
