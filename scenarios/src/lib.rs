//! # muster-scenarios
//!
//! The built-in scenario packages Muster ships: drills for forest fire,
//! landslide and water rescue, written as a trainer would write them. Each is a
//! package like any other (a `scenario.toml`, its scoring script, sample
//! records), embedded in the binary so the `muster` command works with no files.
//!
//! - [`builtins`]: two or more fixed drills per hazard (initial attack, pump
//!   relay, night mop-up; buried-house search, village evacuation; assault-boat
//!   flood rescue, throw-bag rescue, capsized-boat self-rescue).
//! - [`generators`]: drills sized by parameters (flood rescue for N people),
//!   run by a rhai runtime.
//! - [`sample_brigade`]: an invented 80-member brigade in three squadrons to
//!   plan and score against; its kit and skills use [`EQUIPMENT`] and [`SKILLS`].
//!
//! ```
//! let all = muster_scenarios::builtins();
//! assert!(all.iter().any(|p| p.id() == "forest-fire.initial-attack"));
//! let p = muster_scenarios::builtin("landslide.house-search").unwrap();
//! let scenario = p.scenario().unwrap();
//! assert_eq!(scenario.meta().hazard, "landslide");
//! assert!(p.records().count() >= 3);
//! ```
#![deny(missing_docs)]

use muster_core::{Brigade, Diagnostics, Format, Scenario};

/// A built-in scenario package: its files, embedded.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    id: &'static str,
    dir: &'static str,
    files: &'static [(&'static str, &'static str)],
    names: Option<(&'static str, &'static str)>,
}

impl Builtin {
    /// The scenario id, e.g. `forest-fire.initial-attack`.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The package's folder name, used when it is exported.
    pub fn dir(&self) -> &'static str {
        self.dir
    }

    /// Every file of the package: (file name, text).
    pub fn files(&self) -> &'static [(&'static str, &'static str)] {
        self.files
    }

    /// One file's text.
    pub fn file(&self, name: &str) -> Option<&'static str> {
        self.files.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// The name diagnostics use for the scenario file: `builtin:DIR/scenario.toml`.
    pub fn scenario_name(&self) -> String {
        format!("builtin:{}/scenario.toml", self.dir)
    }

    /// The parsed, checked scenario.
    pub fn scenario(&self) -> Result<Scenario, Diagnostics> {
        let text = self.file("scenario.toml").unwrap_or_default();
        Scenario::parse(&self.scenario_name(), text, Format::Toml)
    }

    /// A generator's English and Chinese names (a scenario package's names are
    /// in its `scenario.toml`); `None` for scenario packages.
    pub fn generator_names(&self) -> Option<(&'static str, &'static str)> {
        self.names
    }

    /// The sample records shipped with the package: (file name, text).
    pub fn records(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        self.files
            .iter()
            .copied()
            .filter(|(n, _)| n.starts_with("record-") && n.ends_with(".json"))
    }
}

macro_rules! package {
    ($id:literal, $dir:literal, [$($file:literal),* $(,)?] $(, $name:literal, $name_zh:literal)?) => {
        Builtin {
            id: $id,
            dir: $dir,
            files: &[$(($file, include_str!(concat!("../packages/", $dir, "/", $file)))),*],
            names: package!(@names $($name, $name_zh)?),
        }
    };
    (@names) => { None };
    (@names $name:literal, $name_zh:literal) => { Some(($name, $name_zh)) };
}

static BUILTINS: &[Builtin] = &[
    package!(
        "forest-fire.initial-attack",
        "forest-fire-initial-attack",
        [
            "scenario.toml",
            "score.rhai",
            "record-nantang.json",
            "record-wuyun-dnf.json",
            "record-wangmudu-dq.json",
        ]
    ),
    package!(
        "forest-fire.pump-relay",
        "forest-fire-pump-relay",
        [
            "scenario.toml",
            "score.rhai",
            "record-nantang.json",
            "record-wuyun-dnf.json",
            "record-wangmudu-dq.json",
        ]
    ),
    package!(
        "forest-fire.night-mop-up",
        "forest-fire-night-mop-up",
        [
            "scenario.toml",
            "score.rhai",
            "record-nantang.json",
            "record-wangmudu-dnf.json",
            "record-wuyun-dq.json",
        ]
    ),
    package!(
        "landslide.house-search",
        "landslide-house-search",
        [
            "scenario.toml",
            "score.rhai",
            "record-wuyun.json",
            "record-nantang-dnf.json",
            "record-wangmudu-dq.json",
            "record-wangmudu-skipped-survey.json",
        ]
    ),
    package!(
        "landslide.village-evacuation",
        "landslide-village-evacuation",
        [
            "scenario.toml",
            "score.rhai",
            "record-wangmudu.json",
            "record-nantang-dnf.json",
            "record-wuyun-dq.json",
        ]
    ),
    package!(
        "water-rescue.assault-boat",
        "water-rescue-assault-boat",
        [
            "scenario.toml",
            "score.rhai",
            "record-wuyun.json",
            "record-wangmudu-dnf.json",
            "record-nantang-dq.json",
        ]
    ),
    package!(
        "water-rescue.throw-bag",
        "water-rescue-throw-bag",
        [
            "scenario.toml",
            "score.rhai",
            "record-nantang.json",
            "record-wuyun-dnf.json",
            "record-wangmudu-dq.json",
        ]
    ),
    package!(
        "water-rescue.capsize-self-rescue",
        "water-rescue-capsize",
        [
            "scenario.toml",
            "score.rhai",
            "record-wangmudu.json",
            "record-wuyun-dnf.json",
            "record-nantang-dq.json",
        ]
    ),
];

static GENERATORS: &[Builtin] = &[package!(
    "water-rescue.flood-rescue",
    "water-rescue-flood-rescue",
    [
        "generator.toml",
        "flood.rhai",
        "record-wangmudu.json",
        "record-wuyun-missed-one.json",
        "record-nantang-dnf.json",
        "record-nantang-dq.json",
    ],
    "Flood rescue by assault boat, N people",
    "冲锋舟洪涝救援（N名被困人员）"
)];

/// Every built-in scenario package, forest fire first, then landslide, then water rescue.
pub fn builtins() -> &'static [Builtin] {
    BUILTINS
}

/// The built-in scenario package with this scenario id.
pub fn builtin(id: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.id == id)
}

/// The built-in generator packages: a `generator.toml` and a rhai script whose
/// `scenario(params)` builds a drill sized by its parameters and whose
/// `score(record, params)` scores runs of it. Running them needs a rhai runtime
/// (muster-plugins); [`Builtin::scenario`] does not apply to them.
pub fn generators() -> &'static [Builtin] {
    GENERATORS
}

/// The built-in generator with this id, e.g. `water-rescue.flood-rescue`.
pub fn generator(id: &str) -> Option<&'static Builtin> {
    GENERATORS.iter().find(|b| b.id == id)
}

/// The equipment ids the built-in scenarios and the sample brigade use, one
/// list so a scenario's kit can be checked against a squadron's pool.
pub const EQUIPMENT: &[&str] = &[
    "vehicle",
    "wind-extinguisher",
    "no2-tool",
    "machete",
    "pump",
    "hose",
    "water-bag",
    "drone",
    "radio",
    "thermal-imager",
    "headlamp",
    "assault-boat",
    "rubber-boat",
    "life-jacket",
    "throw-bag",
    "rescue-rope",
    "rescue-board",
    "blanket",
    "life-detector",
    "shoring",
    "shovel",
    "stretcher",
    "first-aid-kit",
    "cordon-tape",
    "megaphone",
    "whistle",
    "gong",
];

/// The skill ids the built-in scenarios' roles and the sample brigade use.
pub const SKILLS: &[&str] = &[
    "command",
    "safety",
    "wind-extinguisher",
    "hand-tools",
    "pump",
    "driving",
    "drone",
    "first-aid",
    "boat",
    "swift-water",
    "rope-rescue",
    "search",
    "shoring",
    "evacuation",
];

/// The sample brigade's file name, for diagnostics.
pub const SAMPLE_BRIGADE_NAME: &str = "builtin:brigade.toml";

/// The text of the sample brigade (TOML): 80 invented members of a county
/// forest-fire brigade in the squadrons Nantang 南塘, Wuyun 五云 and Wangmudu
/// 王母渡, with skills, qualification dates around 2026-12-01 and each
/// squadron's equipment pool.
pub fn sample_brigade_text() -> &'static str {
    include_str!("../data/brigade.toml")
}

/// The sample brigade, parsed.
///
/// ```
/// let b = muster_scenarios::sample_brigade().unwrap();
/// assert_eq!(b.members.len(), 80);
/// ```
pub fn sample_brigade() -> Result<Brigade, Diagnostics> {
    Brigade::parse(SAMPLE_BRIGADE_NAME, sample_brigade_text())
}

/// The initial-attack scoring rule as a wasm module: the Rust guest in
/// `plugins/examples/time-bonus`, built for wasm32-unknown-unknown. A test in
/// muster-plugins rebuilds it and checks this copy scores exactly as the fresh
/// build; regenerate with
/// `cargo build --profile guest --target wasm32-unknown-unknown -p muster-example-time-bonus`
/// and copy `target/wasm32-unknown-unknown/guest/muster_example_time_bonus.wasm`
/// here, moving the module it replaces to `wasm/retired/` (see
/// [`builtin_wasm_modules`]), so that the scores ledgers hold by it still
/// replay.
pub fn time_bonus_wasm() -> &'static [u8] {
    include_bytes!("../wasm/time-bonus.wasm")
}

/// Built-in wasm modules that earlier releases shipped and this one
/// replaced, each under `wasm/retired/` with the start of its content hash.
/// A ledger's wasm scores name the module's hash, so these stay for replay:
/// a score made with one is re-run with it, not with its successor.
const RETIRED_WASM: &[&[u8]] = &[
    // time-bonus.wasm until 2026-12-01, built before the guest SDK compared
    // a record's strings as bytes first.
    include_bytes!("../wasm/retired/time-bonus-646a72cc.wasm"),
    // time-bonus.wasm until 2026-12-01 (evening), built before the guest SDK
    // compared strings eight bytes at a time.
    include_bytes!("../wasm/retired/time-bonus-bcaf9fe4.wasm"),
    // time-bonus.wasm until 2026-12-01 (night), built before the guest SDK
    // kept its input buffer between calls and wrote notes into strings
    // sized for them.
    include_bytes!("../wasm/retired/time-bonus-381c1244.wasm"),
    // time-bonus.wasm until 2026-12-02, built before the guest SDK read
    // params into the rule's own type and wrote notes' numbers with zmij.
    include_bytes!("../wasm/retired/time-bonus-9ba1c04f.wasm"),
    // time-bonus.wasm until 2026-12-04, built for ABI v2, which sends every
    // record's scenario, critical ids and task ids in full.
    include_bytes!("../wasm/retired/time-bonus-022cd632.wasm"),
    // time-bonus.wasm until 2026-12-04 (night), built before the guest SDK
    // pushed notes piece by piece without `core::fmt`.
    include_bytes!("../wasm/retired/time-bonus-e8265be8.wasm"),
    // time-bonus.wasm until 2026-12-07, built without link-time optimisation
    // and with Rust's 1 MiB wasm stack, before the guest SDK checked ASCII
    // strings a word at a time.
    include_bytes!("../wasm/retired/time-bonus-46663602.wasm"),
];

/// Every wasm module Muster ships or has shipped as a built-in scorer, the
/// current [`time_bonus_wasm`] first, then the retired ones: replay finds a
/// recorded wasm score's module among them by its content hash.
///
/// ```
/// let hashes: Vec<String> = muster_scenarios::builtin_wasm_modules()
///     .map(muster_core::content_hash)
///     .collect();
/// assert_eq!(hashes[0], muster_core::content_hash(muster_scenarios::time_bonus_wasm()));
/// assert!(hashes[1..].iter().all(|h| *h != hashes[0]));
/// ```
pub fn builtin_wasm_modules() -> impl Iterator<Item = &'static [u8]> {
    std::iter::once(time_bonus_wasm()).chain(RETIRED_WASM.iter().copied())
}

/// The initial-attack package with its scoring switched from `score.rhai` to
/// the wasm module [`time_bonus_wasm`], as (file name, bytes).
pub fn initial_attack_wasm_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = BUILTINS[0]
        .files
        .iter()
        .filter(|(n, _)| *n != "score.rhai")
        .map(|(n, t)| {
            let text = if *n == "scenario.toml" {
                t.replace("script = \"score.rhai\"", "wasm = \"score.wasm\"")
            } else {
                t.to_string()
            };
            (n.to_string(), text.into_bytes())
        })
        .collect();
    files.push(("score.wasm".into(), time_bonus_wasm().to_vec()));
    files
}

/// The name diagnostics use for the sample syllabus.
pub const SAMPLE_SYLLABUS_NAME: &str = "builtin:syllabus.toml";

/// The sample brigade's training syllabus: day rules, the three-squadron duty
/// rotation, items across the three hazards with RRULEs, and weekly quotas.
pub fn sample_syllabus_text() -> &'static str {
    include_str!("../data/syllabus.toml")
}

/// The name diagnostics use for the daily contest file.
pub const DAILY_CONTEST_NAME: &str = "builtin:daily-contest.toml";

/// The daily contest among the three sample squadrons: one drill per hazard,
/// each scored by its own script (a competition file, see `muster compete`).
pub fn daily_contest_text() -> &'static str {
    include_str!("../data/daily-contest.toml")
}

/// The built-in package or generator with this id.
pub fn find(id: &str) -> Option<&'static Builtin> {
    builtin(id).or_else(|| generator(id))
}

/// The ids of every built-in package and generator, in listing order.
pub fn ids() -> Vec<&'static str> {
    builtins()
        .iter()
        .chain(generators())
        .map(|b| b.id())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_is_valid_and_ids_match() {
        for b in super::builtins() {
            let s = b.scenario().unwrap_or_else(|d| panic!("{}:\n{d}", b.id()));
            assert_eq!(s.meta().id, b.id());
        }
    }
}
