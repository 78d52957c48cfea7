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

mod cache;
mod package;
mod rhai;
mod stats;
mod wasm;

pub use cache::CACHED_SOURCES;
pub use package::{Package, PackageError, PackageOptions, PluginRun, Scored};
pub use rhai::{RhaiLimits, RhaiRoute, RhaiRun, RhaiRuntime, RhaiScorer};
pub use stats::{PluginScorer, RunStats};
pub use wasm::{WasmLimits, WasmRuntime, WasmScorer};

/// The scorer `id` names, loaded from `bytes` (a rhai script's text or a
/// wasm module's bytes) with the default limits and under its recorded
/// name; `None` when the bytes are not that scorer (another kind or hash)
/// or do not load.
pub fn load_recorded(
    id: &muster_core::ScorerId,
    bytes: &[u8],
) -> Option<std::sync::Arc<dyn muster_core::Scorer>> {
    use muster_core::ScorerKind;
    use std::sync::Arc;
    // Checked first: compiling a wasm module takes a good part of a second.
    if muster_core::content_hash(bytes) != id.hash {
        return None;
    }
    let loaded: Arc<dyn muster_core::Scorer> = match id.kind {
        ScorerKind::Rhai => Arc::new(
            RhaiRuntime::new(RhaiLimits::default())
                .load(&id.name, std::str::from_utf8(bytes).ok()?)
                .ok()?,
        ),
        ScorerKind::Wasm => Arc::new(
            WasmRuntime::new(WasmLimits::default())
                .ok()?
                .load(&id.name, bytes)
                .ok()?,
        ),
        _ => return None,
    };
    (loaded.id() == id).then_some(loaded)
}

/// The scorer a stored score names, loaded from the source kept in the
/// ledger under its content hash (see [`LedgerStore::keep_source`]) by
/// [`load_recorded`]; `None` when no source is kept for it, when the kept
/// source fails its hash check (which [`muster_core::ledger::verify`]
/// reports) or when it no longer loads.
///
/// With this as (or inside) the resolver of [`muster_core::ledger::replay`],
/// a ledger replays its own scores after their packages changed or went.
///
/// [`LedgerStore::keep_source`]: muster_core::ledger::LedgerStore::keep_source
pub fn kept_scorer(
    store: &dyn muster_core::ledger::LedgerStore,
    id: &muster_core::ScorerId,
) -> Option<std::sync::Arc<dyn muster_core::Scorer>> {
    load_recorded(id, &store.source(&id.hash).ok()??)
}

/// The scorer a stored score names, as far as the ledger itself can give
/// it: one of Muster's native scorers, or [`kept_scorer`]. This is the
/// resolver for [`muster_core::ledger::replay`] when nothing else is known.
pub fn recorded_scorer(
    store: &dyn muster_core::ledger::LedgerStore,
    id: &muster_core::ScorerId,
) -> Option<std::sync::Arc<dyn muster_core::Scorer>> {
    use std::sync::Arc;
    let native: [Arc<dyn muster_core::Scorer>; 1] =
        [Arc::new(muster_core::TimeBonusScorer::default())];
    native
        .into_iter()
        .find(|s| s.id() == id)
        .or_else(|| kept_scorer(store, id))
}
