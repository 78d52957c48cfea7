//! Checks made on a module's bytes before anything is compiled or run: that
//! it is a core module, that it declares ABI v1, v2 or v3, that it imports
//! nothing but `muster.log`, and that it exports what the ABI needs with
//! the ABI's types.

use wasmparser::{
    CompositeInnerType, Encoding, Export, ExternalKind, FuncType, MemoryType, Parser, Payload,
    TypeRef, ValType,
};

/// The custom section that holds the ABI version.
pub(crate) const ABI_SECTION: &str = "muster-abi";
/// The ABI versions this host speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Abi {
    /// Record and result as JSON.
    V1,
    /// Record and result in a binary layout, the record's strings in full.
    V2,
    /// The binary layout of `muster_guest::wire`: as v2, but the record's
    /// scenario, critical ids and task ids are sent only when they differ
    /// from those the instance last read.
    V3,
}
/// The one import a guest may use.
pub(crate) const LOG_MODULE: &str = "muster";
pub(crate) const LOG_NAME: &str = "log";

/// Reads the module's header, custom sections, imports and exports, and
/// returns the ABI version it declares and whether it can generate
/// scenarios, or what is wrong, in words a plugin author can act on. The
/// code itself is validated by wasmtime, and compiled only when it first
/// runs.
pub(crate) fn precheck(bytes: &[u8], memory_cap: usize) -> Result<Shape, String> {
    if !bytes.starts_with(b"\0asm") {
        return Err(
            "not a wasm module (it does not start with the `\\0asm` magic bytes); \
             build the scorer for wasm32-unknown-unknown"
                .into(),
        );
    }
    let mut abi: Option<&[u8]> = None;
    // Function types by type index (`None` for other composite types), the
    // type index of every function (imported first), memories, exports.
    let mut types: Vec<Option<FuncType>> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut memories: Vec<MemoryType> = Vec::new();
    let mut exports: Vec<Export<'_>> = Vec::new();
    let invalid = |e: wasmparser::BinaryReaderError| format!("not a valid wasm module: {e}");
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(invalid)?;
        match payload {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } => {
                return Err(
                    "is a wasm component; Muster runs core modules (ABI v3, see plugins/ABI.md)"
                        .into(),
                );
            }
            Payload::CustomSection(c) if c.name() == ABI_SECTION => {
                if abi.is_some() {
                    return Err(format!("has more than one `{ABI_SECTION}` custom section"));
                }
                abi = Some(c.data());
            }
            Payload::TypeSection(reader) => {
                for group in reader {
                    for ty in group.map_err(invalid)?.into_types() {
                        types.push(match ty.composite_type.inner {
                            CompositeInnerType::Func(f) => Some(f),
                            _ => None,
                        });
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(invalid)?;
                    let bytes = memory.initial.saturating_mul(1 << 16);
                    if bytes > memory_cap as u64 {
                        return Err(format!(
                            "declares {bytes} bytes of initial memory; the limit is {memory_cap} bytes"
                        ));
                    }
                    memories.push(memory);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(invalid)?;
                    check_import(import.module, import.name, &import.ty)?;
                    if let TypeRef::Func(t) = import.ty {
                        func_types.push(t);
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    func_types.push(t.map_err(invalid)?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    exports.push(export.map_err(invalid)?);
                }
            }
            _ => {}
        }
    }
    let abi = match abi {
        None => Err(format!(
            "has no `{ABI_SECTION}` custom section; a Muster scorer declares ABI version \
             \"3\" there (the muster-guest SDK adds it)"
        )),
        Some(b"1") => Ok(Abi::V1),
        Some(b"2") => Ok(Abi::V2),
        Some(b"3") => Ok(Abi::V3),
        Some(v) => Err(format!(
            "declares ABI version \"{}\" in its `{ABI_SECTION}` section, but this Muster \
             speaks versions \"1\", \"2\" and \"3\"",
            String::from_utf8_lossy(v).escape_debug()
        )),
    }?;
    let has_scenario = check_exports(&exports, &func_types, &types, &memories)?;
    Ok(Shape { abi, has_scenario })
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

/// What a module exports, as the ABI reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// The ABI version it declares.
    pub(crate) abi: Abi,
    /// Whether it exports `scenario`, the generator entry.
    pub(crate) has_scenario: bool,
}

/// Checks the exports the ABI names: `memory` a 32-bit unshared memory,
/// `alloc` and `score` functions of its types, and `scenario`, if there
/// is one, of `score`'s type.
fn check_exports(
    exports: &[Export<'_>],
    func_types: &[u32],
    types: &[Option<FuncType>],
    memories: &[MemoryType],
) -> Result<bool, String> {
    let find = |n: &str| exports.iter().find(|e| e.name == n);
    match find("memory") {
        Some(Export {
            kind: ExternalKind::Memory,
            index,
            ..
        }) if memories
            .get(*index as usize)
            .is_some_and(|m| !m.memory64 && !m.shared) => {}
        Some(_) => {
            return Err("exports `memory`, but not as a 32-bit unshared linear memory".into());
        }
        None => {
            return Err(
                "does not export `memory`; the ABI needs `memory`, `alloc` and `score`".into(),
            );
        }
    }
    // wasmparser writes a type as the text format does, as in
    // `(func (param i32 i32) (result i64))`.
    let want = |n: &str, want: &FuncType, required: bool| {
        let func = match find(n) {
            None if required => {
                return Err(format!(
                    "does not export `{n}`; the ABI needs `memory`, `alloc` and `score`"
                ));
            }
            None => return Ok(false),
            Some(Export {
                kind: ExternalKind::Func | ExternalKind::FuncExact,
                index,
                ..
            }) => func_types
                .get(*index as usize)
                .and_then(|t| types.get(*t as usize))
                .and_then(Option::as_ref),
            Some(_) => None,
        };
        match func {
            Some(f) if f == want => Ok(true),
            _ => Err(format!(
                "exports `{n}` with the wrong type; the ABI wants `(type {want})`"
            )),
        }
    };
    let alloc = FuncType::new([ValType::I32], [ValType::I32]);
    let call = FuncType::new([ValType::I32, ValType::I32], [ValType::I64]);
    want("alloc", &alloc, true)?;
    want("score", &call, true)?;
    want("scenario", &call, false)
}
