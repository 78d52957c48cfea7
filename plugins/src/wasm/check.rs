//! Checks made on a module's bytes before anything is compiled or run: that
//! it is a core module, that it declares ABI v1 or v2, and that it imports
//! nothing but `muster.log`.

use wasmparser::{Encoding, Parser, Payload, TypeRef};

/// The custom section that holds the ABI version.
pub(crate) const ABI_SECTION: &str = "muster-abi";
/// The ABI versions this host speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Abi {
    /// Record and result as JSON.
    V1,
    /// Record and result in the binary layout of `muster_guest::wire`.
    V2,
}
/// The one import a guest may use.
pub(crate) const LOG_MODULE: &str = "muster";
pub(crate) const LOG_NAME: &str = "log";

/// Reads the module's header, custom sections and imports, and returns the
/// ABI version it declares, or what is wrong, in words a plugin author can
/// act on.
pub(crate) fn precheck(bytes: &[u8], memory_cap: usize) -> Result<Abi, String> {
    if !bytes.starts_with(b"\0asm") {
        return Err(
            "not a wasm module (it does not start with the `\\0asm` magic bytes); \
             build the scorer for wasm32-unknown-unknown"
                .into(),
        );
    }
    let mut abi: Option<&[u8]> = None;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| format!("not a valid wasm module: {e}"))?;
        match payload {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } => {
                return Err(
                    "is a wasm component; Muster runs core modules (ABI v2, see plugins/ABI.md)"
                        .into(),
                );
            }
            Payload::CustomSection(c) if c.name() == ABI_SECTION => {
                if abi.is_some() {
                    return Err(format!("has more than one `{ABI_SECTION}` custom section"));
                }
                abi = Some(c.data());
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(|e| format!("not a valid wasm module: {e}"))?;
                    let bytes = memory.initial.saturating_mul(1 << 16);
                    if bytes > memory_cap as u64 {
                        return Err(format!(
                            "declares {bytes} bytes of initial memory; the limit is {memory_cap} bytes"
                        ));
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| format!("not a valid wasm module: {e}"))?;
                    check_import(import.module, import.name, &import.ty)?;
                }
            }
            _ => {}
        }
    }
    match abi {
        None => Err(format!(
            "has no `{ABI_SECTION}` custom section; a Muster scorer declares ABI version \
             \"2\" there (the muster-guest SDK adds it)"
        )),
        Some(b"1") => Ok(Abi::V1),
        Some(b"2") => Ok(Abi::V2),
        Some(v) => Err(format!(
            "declares ABI version \"{}\" in its `{ABI_SECTION}` section, but this Muster \
             speaks versions \"1\" and \"2\"",
            String::from_utf8_lossy(v).escape_debug()
        )),
    }
}

fn check_import(module: &str, name: &str, ty: &TypeRef) -> Result<(), String> {
    if module.starts_with("wasi") {
        return Err(format!(
            "imports `{module}.{name}`: WASI is not available to scorers (no files, clock or \
             network); build for wasm32-unknown-unknown, not wasm32-wasip1"
        ));
    }
    if module == LOG_MODULE && name == LOG_NAME {
        return match ty {
            TypeRef::Func(_) => Ok(()),
            _ => Err(format!(
                "imports `{module}.{name}` as something other than a function; it must be \
                 a function (ptr: i32, len: i32)"
            )),
        };
    }
    Err(format!(
        "imports `{module}.{name}`, which Muster does not provide; a scorer may import only \
         `{LOG_MODULE}.{LOG_NAME}`"
    ))
}
