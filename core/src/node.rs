//! One spanned document tree for TOML and JSON input, so that decoding and
//! validation are written once and report `line:column` for either format.

use std::ops::Range;

use crate::diag::{Diagnostics, Severity, SourceMap};

/// Deepest nesting of arrays and tables accepted in an input file.
pub(crate) const MAX_NESTING: usize = 64;

/// A value with the byte range it came from.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub value: Value,
    pub span: Range<usize>,
}

/// A key of a table with its byte range.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub node: Node,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

impl Value {
    /// What a person calls this kind of value, for "expected X, found Y".
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number with a fraction",
            Value::Bool(_) => "true or false",
            Value::Null => "null",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "a list",
            Value::Table(_) => "a table",
        }
    }
}

impl Node {
    /// The value as JSON, for data handed on unchanged (scoring parameters).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Str(s) | Value::Datetime(s) => serde_json::Value::String(s.clone()),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Null => serde_json::Value::Null,
            Value::Array(items) => items.iter().map(Node::to_json).collect(),
            Value::Table(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.node.to_json()))
                    .collect(),
            ),
        }
    }
}

/// The format of an input text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML, the format trainers write.
    Toml,
    /// JSON (comments and trailing commas tolerated), the format programs write.
    Json,
}

impl Format {
    /// Guesses the format from a file name: `.json` is JSON, anything else TOML.
    pub fn from_name(name: &str) -> Format {
        if name.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Toml
        }
    }
}

/// Parses text into a spanned tree; syntax errors go to `diags`.
pub(crate) fn parse(
    map: &SourceMap<'_>,
    text: &str,
    format: Format,
    diags: &mut Diagnostics,
) -> Option<Node> {
    if let Some(offset) = too_deep(text) {
        diags.push(map.diag(
            Severity::Error,
            &(offset..offset),
            None,
            format!("nesting deeper than {MAX_NESTING} levels; a scenario never needs more than 4"),
        ));
        return None;
    }
    match format {
        Format::Toml => parse_toml(map, text, diags),
        Format::Json => parse_json(map, text, diags),
    }
}

/// The offset where brackets nest deeper than [`MAX_NESTING`], ignoring quoted text.
/// Guards the recursive parsers against stack exhaustion on hostile input.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' && q == b'"' {
                escaped = true;
            } else if b == q || b == b'\n' {
                quote = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn parse_toml(map: &SourceMap<'_>, text: &str, diags: &mut Diagnostics) -> Option<Node> {
    use toml::de::DeTable;
    match DeTable::parse(text) {
        Ok(table) => {
            let span = table.span();
            Some(Node {
                value: toml_table(table.into_inner()),
                span,
            })
        }
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().trim_end_matches('.').to_string();
            diags.push(map.diag(
                Severity::Error,
                &span,
                None,
                format!("this is not valid TOML: {message}"),
            ));
            None
        }
    }
}

fn toml_table(table: toml::de::DeTable<'_>) -> Value {
    Value::Table(
        table
            .into_iter()
            .map(|(k, v)| Entry {
                key_span: k.span(),
                key: k.into_inner().into_owned(),
                node: toml_node(v),
            })
            .collect(),
    )
}

fn toml_node(v: toml::Spanned<toml::de::DeValue<'_>>) -> Node {
    use toml::de::DeValue;
    let span = v.span();
    let value = match v.into_inner() {
        DeValue::String(s) => Value::Str(s.into_owned()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            // Larger than any count or time: keep it as a float so range checks report it.
            Err(_) => Value::Float(f64::INFINITY),
        },
        DeValue::Float(f) => Value::Float(f.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(a) => Value::Array(a.into_iter().map(toml_node).collect()),
        DeValue::Table(t) => toml_table(t),
    };
    Node { value, span }
}

fn parse_json(map: &SourceMap<'_>, text: &str, diags: &mut Diagnostics) -> Option<Node> {
    use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};
    let options = ParseOptions {
        allow_loose_object_property_names: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_missing_commas: false,
        ..ParseOptions::default()
    };
    match parse_to_ast(text, &CollectOptions::default(), &options) {
        Ok(result) => match result.value {
            Some(v) => Some(json_node(v)),
            None => {
                diags.push(map.diag(
                    Severity::Error,
                    &(0..0),
                    None,
                    "the file is empty: a scenario needs a `scenario` table and at least one task",
                ));
                None
            }
        },
        Err(e) => {
            let r = e.range();
            diags.push(map.diag(
                Severity::Error,
                &(r.start..r.end),
                None,
                format!("this is not valid JSON: {}", e.kind()),
            ));
            None
        }
    }
}

fn json_node(v: jsonc_parser::ast::Value<'_>) -> Node {
    use jsonc_parser::ast::Value as J;
    let (value, range) = match v {
        J::StringLit(s) => (Value::Str(s.value.into_owned()), s.range),
        J::NumberLit(n) => {
            let value = match n.value.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Float(n.value.parse().unwrap_or(f64::NAN)),
            };
            (value, n.range)
        }
        J::BooleanLit(b) => (Value::Bool(b.value), b.range),
        J::NullKeyword(n) => (Value::Null, n.range),
        J::Array(a) => (
            Value::Array(a.elements.into_iter().map(json_node).collect()),
            a.range,
        ),
        J::Object(o) => (
            Value::Table(
                o.properties
                    .into_iter()
                    .map(|p| {
                        let key_span = match &p.name {
                            jsonc_parser::ast::ObjectPropName::String(s) => s.range,
                            jsonc_parser::ast::ObjectPropName::Word(w) => w.range,
                        };
                        Entry {
                            key_span: key_span.start..key_span.end,
                            key: p.name.into_string(),
                            node: json_node(p.value),
                        }
                    })
                    .collect(),
            ),
            o.range,
        ),
    };
    Node {
        value,
        span: range.start..range.end,
    }
}
