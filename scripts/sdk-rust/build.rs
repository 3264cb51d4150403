//! Generates the relman client from the OpenAPI 3.0 rendition with progenitor.
//!
//! Two kinds of operation are beyond progenitor 0.15, and are left out of the client with a build
//! warning naming each: request bodies other than JSON, form fields, text or raw bytes (the
//! `multipart/form-data` asset upload), and operations whose success (or error) statuses answer
//! with different types, which progenitor has no enum for yet (an asset's record or its bytes; a
//! sync's result or its queued job). Every other operation is generated as the document states
//! it, its errors typed as `Problem` through their `application/json` content.

use std::path::Path;

use serde_json::Value;

/// The request body media types progenitor can send.
const SENDABLE: &[&str] = &[
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "text/plain",
];

fn main() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/relman-3.0.json");
    println!("cargo::rerun-if-changed={}", spec.display());
    let text = std::fs::read_to_string(&spec).expect("reading openapi/relman-3.0.json");
    let mut doc: Value = serde_json::from_str(&text).expect("parsing openapi/relman-3.0.json");
    for (operation, why) in drop_unsupported(&mut doc) {
        println!("cargo::warning=not generated: {operation} ({why})");
    }
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc).expect("reading it as OpenAPI 3.0");
    // Builder style: requests and bodies are built field by field, so a new optional field in
    // the API changes no call site.
    let mut settings = progenitor::GenerationSettings::default();
    settings.with_interface(progenitor::InterfaceStyle::Builder);
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor refused the document: {e}"));
    let file = syn::parse2(tokens).expect("parsing the generated code");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("relman.rs");
    std::fs::write(out, prettyplease::unparse(&file)).expect("writing the client");
}

/// Removes the operations progenitor cannot generate; returns their ids and why.
fn drop_unsupported(doc: &mut Value) -> Vec<(String, &'static str)> {
    let mut skipped = Vec::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return skipped;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        item.retain(|_, op| match unsupported(op) {
            Some(why) => {
                let id = op["operationId"].as_str().unwrap_or("?").to_owned();
                skipped.push((id, why));
                false
            }
            None => true,
        });
    }
    skipped
}

/// Why progenitor cannot generate this operation, if it cannot.
fn unsupported(op: &Value) -> Option<&'static str> {
    let sendable = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
        .is_none_or(|content| content.keys().all(|m| SENDABLE.contains(&m.as_str())));
    if !sendable {
        return Some("its request body is neither JSON, form fields, text nor bytes");
    }
    let responses = op.get("responses").and_then(Value::as_object)?;
    let kinds = |wanted: fn(&str) -> bool| {
        let mut kinds: Vec<String> = responses
            .iter()
            .filter(|(status, _)| wanted(status) || status.as_str() == "default")
            .map(|(_, r)| response_kind(r))
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds.len()
    };
    if kinds(|s| s.starts_with('2')) > 1 {
        return Some("its success statuses answer with different types");
    }
    if kinds(|s| s.starts_with('4') || s.starts_with('5')) > 1 {
        return Some("its error statuses answer with different types");
    }
    None
}

/// The type progenitor gives a response, as it decides it: the schema of its `application/json`
/// content, else raw bytes for any other content, else nothing.
fn response_kind(response: &Value) -> String {
    let content = response.get("content").and_then(Value::as_object);
    let json = content.and_then(|c| {
        c.iter()
            .find(|(m, _)| *m == "application/json" || m.starts_with("application/json;"))
    });
    match (json, content) {
        (Some((_, media)), _) => format!("json {}", media.get("schema").unwrap_or(&Value::Null)),
        (None, Some(c)) if !c.is_empty() => "raw".to_owned(),
        _ => "none".to_owned(),
    }
}
