//! Placeholder for the wasm runtime, replaced whole when the wasm runtime is
//! merged. It has the real API so package loading compiles; loading a module
//! reports that wasm support is not in this build yet.

use muster_core::{ScoreCard, ScoreError, ScoreInput, Scorer, ScorerId};

use crate::stats::{PluginScorer, RunStats};

/// Limits of the wasm runtime.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WasmLimits {}

/// The wasm runtime.
#[derive(Debug)]
pub struct WasmRuntime {}

impl WasmRuntime {
    /// A runtime whose modules run under `limits`.
    pub fn new(_limits: WasmLimits) -> Result<WasmRuntime, ScoreError> {
        Ok(WasmRuntime {})
    }

    /// Loads a module; always refused in this build.
    pub fn load(&self, name: &str, _bytes: &[u8]) -> Result<WasmScorer, ScoreError> {
        Err(ScoreError::Load {
            script: name.to_string(),
            line: None,
            column: None,
            message: "wasm support is being merged".into(),
        })
    }
}

/// A loaded wasm scorer.
#[derive(Debug)]
pub struct WasmScorer {
    id: ScorerId,
}

impl Scorer for WasmScorer {
    fn id(&self) -> &ScorerId {
        &self.id
    }

    fn score(&self, _: &ScoreInput, _: &serde_json::Value) -> Result<ScoreCard, ScoreError> {
        Err(self.unavailable())
    }
}

impl WasmScorer {
    fn unavailable(&self) -> ScoreError {
        ScoreError::Load {
            script: self.id.name.clone(),
            line: None,
            column: None,
            message: "wasm support is being merged".into(),
        }
    }
}

impl PluginScorer for WasmScorer {
    fn score_with_stats(
        &self,
        _: &ScoreInput,
        _: &serde_json::Value,
    ) -> (Result<ScoreCard, ScoreError>, RunStats) {
        let stats = RunStats {
            work_used: 0,
            work_limit: 0,
            work_unit: "fuel",
            peak_memory_bytes: None,
            memory_limit_bytes: 0,
            input_bytes: 0,
            input_limit_bytes: 0,
            output_bytes: 0,
            output_limit_bytes: 0,
            wall_micros: 0,
            wall_limit_micros: 0,
        };
        (Err(self.unavailable()), stats)
    }

    fn has_generator(&self) -> bool {
        false
    }

    fn generate(&self, _: &serde_json::Value) -> Result<String, ScoreError> {
        Err(self.unavailable())
    }
}
