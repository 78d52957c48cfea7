//! # muster-plugins
//!
//! The plugin runtimes: scenario packages, and scorers written in rhai or
//! compiled to wasm, run in a sandbox with bounded work, time, memory and
//! input/output sizes. Both implement [`muster_core::Scorer`].
//!
//! A [`Package`] is a folder, a `.tar` of one, or files held in memory (the
//! built-ins): `scenario.toml` and the scoring script or module it names, or
//! `generator.toml` and a module that generates the scenario from parameters
//! and scores it. [`RhaiRuntime`] runs rhai scripts; [`WasmRuntime`] runs
//! wasm modules.
//!
//! ```
//! use muster_core::{DrillRecord, Format, Limit, Scenario, ScoreError, ScoreInput, Scorer};
//! use muster_plugins::{RhaiLimits, RhaiRuntime};
//!
//! let scenario = Scenario::parse("relay.toml", r#"
//! [scenario]
//! id = "demo.relay"
//! version = "1.0.0"
//! hazard = "forest-fire"
//! name = "Pump relay"
//! time_limit = "20m"
//!
//! [[tasks]]
//! id = "pump"
//! name = "Set up the pump"
//! duration = "5m"
//! "#, Format::Toml).unwrap();
//! let record = DrillRecord::parse("run.json", r#"{
//!   "scenario": "demo.relay", "version": "1.0.0", "team": "nantang", "attempt": 1,
//!   "tasks": { "pump": { "start": "0s", "end": "4m", "status": "done" } }
//! }"#, Format::Json, &scenario).unwrap();
//! let input = ScoreInput::new(&scenario, &record);
//!
//! let runtime = RhaiRuntime::new(RhaiLimits::default());
//! let scorer = runtime.load("score.rhai", r#"
//!     fn score(record, params) {
//!         let spare = record.time_limit - record.elapsed;
//!         #{ total: params.base + spare / 60.0, status: "valid", reason: "", notes: [] }
//!     }
//! "#).unwrap();
//! let card = scorer.score(&input, &serde_json::json!({ "base": 100 })).unwrap();
//! assert_eq!(card.total, 116.0);
//!
//! // A script that never ends stops on the operation limit, with a typed error.
//! let hostile = runtime.load("loop.rhai", "fn score(record, params) { loop {} }").unwrap();
//! let err = hostile.score(&input, &serde_json::json!({})).unwrap_err();
//! assert!(matches!(err, ScoreError::Limit { limit: Limit::Operations, .. }));
//! ```
#![deny(missing_docs)]

mod package;
mod rhai;
mod stats;
mod wasm;

pub use package::{Package, PackageError, PackageOptions, PluginRun};
pub use rhai::{RhaiLimits, RhaiRun, RhaiRuntime, RhaiScorer};
pub use stats::{PluginScorer, RunStats};
pub use wasm::{WasmLimits, WasmRuntime, WasmScorer};
