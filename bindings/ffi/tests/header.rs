//! The committed C header is what cbindgen makes of `src/c.rs` today.

mod common;

#[test]
fn committed_header_matches_cbindgen() {
    let fresh = common::bindgen("muster-header", &[]);
    assert!(fresh.contains("muster_result muster_scenario_from_text("));
    let path = common::crate_dir().join("include/muster.h");
    if std::env::var_os("MUSTER_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("include/muster.h is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    common::assert_same(
        &committed,
        &fresh,
        "bindings/ffi/include/muster.h",
        "MUSTER_BLESS=1 cargo test -p muster-ffi --test header",
    );
}
