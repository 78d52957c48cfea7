//! Links the wasm module with a 64 KiB stack instead of Rust's 1 MiB.
//!
//! Rust's wasm32 layout puts the stack first, so the default 1 MiB stack
//! is most of the module's first memory: every fresh instance's memory
//! was 17 pages, which the host scans for written pages when it resets
//! the instance, though a call uses less than 4 KiB of it (the rule, its
//! error paths and params nested 128 deep all run on a 4 KiB stack). An
//! overflow runs below address 0 and traps; it cannot reach the data.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32") {
        println!("cargo::rustc-link-arg-cdylib=-zstack-size=65536");
    }
}
