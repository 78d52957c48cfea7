//! # muster-scenarios
//!
//! The built-in scenario packages Muster ships: drills for forest fire,
//! landslide and water rescue, written as a trainer would write them. Each is a
//! package like any other (a `scenario.toml`, its scoring script, sample
//! records), embedded in the binary so the `muster` command works with no files.
//!
//! ```
//! let all = muster_scenarios::builtins();
//! assert!(all.iter().any(|p| p.id() == "forest-fire.initial-attack"));
//! let p = muster_scenarios::builtin("forest-fire.initial-attack").unwrap();
//! let scenario = p.scenario().unwrap();
//! assert_eq!(scenario.meta().hazard, "forest-fire");
//! ```
#![deny(missing_docs)]

use muster_core::{Diagnostics, Format, Scenario};

/// A built-in scenario package: its files, embedded.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    id: &'static str,
    dir: &'static str,
    files: &'static [(&'static str, &'static str)],
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

    /// The sample records shipped with the package: (file name, text).
    pub fn records(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        self.files
            .iter()
            .copied()
            .filter(|(n, _)| n.starts_with("record-") && n.ends_with(".json"))
    }
}

macro_rules! package {
    ($id:literal, $dir:literal, [$($file:literal),* $(,)?]) => {
        Builtin {
            id: $id,
            dir: $dir,
            files: &[$(($file, include_str!(concat!("../packages/", $dir, "/", $file)))),*],
        }
    };
}

static BUILTINS: &[Builtin] = &[package!(
    "forest-fire.initial-attack",
    "forest-fire-initial-attack",
    ["scenario.toml", "score.rhai", "record-nantang.json"]
)];

/// Every built-in package, forest fire first, then landslide, then water rescue.
pub fn builtins() -> &'static [Builtin] {
    BUILTINS
}

/// The built-in package with this scenario id.
pub fn builtin(id: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.id == id)
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
