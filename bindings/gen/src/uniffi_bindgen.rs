//! `uniffi-bindgen`: generates the Kotlin, Swift and Python sources of
//! `muster-ffi` from its built library, e.g.
//!
//! ```sh
//! cargo build -p muster-ffi
//! cargo run -p muster-bindgen --bin uniffi-bindgen -- generate --library target/debug/libmuster_ffi.so \
//!     --language kotlin --out-dir bindings/uniffi/kotlin
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
