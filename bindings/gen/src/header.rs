//! `muster-header`: prints the C header that cbindgen makes of
//! `bindings/ffi/src/c.rs` with `bindings/ffi/cbindgen.toml`. The drift test
//! of muster-ffi compares it with the committed `include/muster.h`.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let ffi = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ffi");
    let config = match cbindgen::Config::from_file(ffi.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}: error: {e}", ffi.join("cbindgen.toml").display());
            return ExitCode::FAILURE;
        }
    };
    match cbindgen::Builder::new()
        .with_config(config)
        .with_src(ffi.join("src/c.rs"))
        .generate()
    {
        Ok(bindings) => {
            bindings.write(std::io::stdout());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: error: {e}", ffi.join("src/c.rs").display());
            ExitCode::FAILURE
        }
    }
}
