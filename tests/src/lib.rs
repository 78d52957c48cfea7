//! Shared helpers for Muster's cross-crate tests: where the fixtures are.

use std::path::PathBuf;

/// The path of a fixture under `tests/data/`.
pub fn data(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(relative)
}

/// The text of a fixture under `tests/data/`.
pub fn read(relative: &str) -> String {
    let path = data(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// The folder of the shared example package (`../shared/examples/...` beside the
/// repository), which must work unchanged; `None` when the checkout has no shared/.
pub fn shared_example() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/examples/forest-fire-initial-attack");
    dir.is_dir().then_some(dir)
}
