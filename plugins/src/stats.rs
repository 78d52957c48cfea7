//! What a plugin run used, against its limits; the trait both runtimes share.

use muster_core::{ScoreCard, ScoreError, ScoreInput, Scorer};

/// What one plugin run used, beside its limits, for `muster plugin run`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct RunStats {
    /// Work done: rhai operations or wasm fuel.
    pub work_used: u64,
    /// The work limit.
    pub work_limit: u64,
    /// "operations" (rhai) or "fuel" (wasm).
    pub work_unit: &'static str,
    /// Peak memory, in bytes, where the runtime can tell.
    pub peak_memory_bytes: Option<u64>,
    /// The memory limit, in bytes.
    pub memory_limit_bytes: u64,
    /// Size of the input handed in, in bytes.
    pub input_bytes: u64,
    /// The input size limit, in bytes.
    pub input_limit_bytes: u64,
    /// Size of the output, in bytes.
    pub output_bytes: u64,
    /// The output size limit, in bytes.
    pub output_limit_bytes: u64,
    /// Wall time of the call, in microseconds.
    pub wall_micros: u64,
    /// The wall-clock deadline, in microseconds.
    pub wall_limit_micros: u64,
    /// Which way a rhai call ran (the direct path, or the interpreter and
    /// why); `None` for wasm.
    #[serde(serialize_with = "route_text")]
    pub route: Option<crate::RhaiRoute>,
}

fn route_text<S: serde::Serializer>(
    route: &Option<crate::RhaiRoute>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match route {
        Some(r) => s.collect_str(r),
        None => s.serialize_none(),
    }
}

/// A scorer loaded from a plugin: it can also report what a run used, and may
/// generate its scenario from parameters.
pub trait PluginScorer: Scorer {
    /// Scores one run and reports what it used, whether or not it succeeded.
    fn score_with_stats(
        &self,
        input: &ScoreInput,
        params: &serde_json::Value,
    ) -> (Result<ScoreCard, ScoreError>, RunStats);

    /// True when the plugin defines a scenario generator.
    fn has_generator(&self) -> bool;

    /// Runs the plugin's scenario generator with `params`, returning the
    /// scenario as JSON text, to be checked like a file.
    fn generate(&self, params: &serde_json::Value) -> Result<String, ScoreError>;

    /// The wasm ABI version the module declares ("1" or "2"); `None` for a
    /// script.
    fn abi_version(&self) -> Option<&'static str> {
        None
    }
}
