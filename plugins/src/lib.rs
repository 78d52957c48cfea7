//! # muster-plugins
//!
//! The plugin runtimes: scenario packages, and scorers written in rhai or
//! compiled to wasm, run in a sandbox with bounded work, time, memory and
//! input/output sizes. Both implement [`muster_core::Scorer`].
#![deny(missing_docs)]

mod stats;
mod wasm;

pub use stats::{PluginScorer, RunStats};
pub use wasm::{WasmLimits, WasmRuntime, WasmScorer};
