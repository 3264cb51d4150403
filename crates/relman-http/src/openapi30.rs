//! The OpenAPI 3.0.3 rendition of the API document, for generators that read 3.0 only.
//!
//! utoipa writes OpenAPI 3.1, whose schemas are JSON Schema 2020-12. [`down_convert`] rewrites
//! such a document into one a 3.0.3 reader accepts and reads the same way: nullability becomes
//! `nullable`, numeric exclusive bounds become boolean ones, `const` a one-value `enum`, and
//! keywords 3.0 has no counterpart for are dropped or widened (they narrowed what is valid, so a
//! 3.0 client accepts a superset of what the server does and never refuses a real answer).
//! `openapi/relman-3.0.json` is this function's output over [`crate::openapi`]; a test keeps it
//! current.
//!
//! The walk follows the structure of the document (paths, operations, responses, media types,
//! components) and converts every schema it meets, so that names chosen by the API (a property
//! called `const`, an example holding `type: "null"`) are never taken for keywords.

use serde_json::{Map, Value, json};

/// The version the rendition declares.
pub const OPENAPI_VERSION: &str = "3.0.3";

/// Schema keywords of JSON Schema 2020-12 that OpenAPI 3.0 has no counterpart for, dropped after
/// the rules that carry their meaning over where one exists (`prefixItems`, `contentEncoding`,
/// `contentMediaType`).
const DROPPED_SCHEMA_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$vocabulary",
    "$comment",
    "$defs",
    "definitions",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
    "propertyNames",
    "patternProperties",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "if",
    "then",
    "else",
];

/// The HTTP methods a 3.0 path item may hold.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The API document as OpenAPI 3.0.3: [`crate::openapi`] through [`down_convert`], with the
/// keys of every object sorted, so that the text does not depend on whether some other crate of
/// the build turned on serde_json's `preserve_order`.
pub fn openapi() -> Result<Value, serde_json::Error> {
    let mut doc = down_convert(serde_json::to_value(crate::openapi())?);
    doc.sort_all_objects();
    Ok(doc)
}

/// [`openapi`] as pretty-printed JSON, the text of `openapi/relman-3.0.json` (less its final
/// newline).
pub fn to_pretty_json() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&openapi()?)
}

/// Turns an OpenAPI 3.1 document into an OpenAPI 3.0.3 one with the same meaning where 3.0 can
/// express it.
///
/// The rules, applied to every schema of the document:
///
/// * `type: [X, "null"]` becomes `type: X, nullable: true`; several non-null types become an
///   `anyOf` of one type each;
/// * a `{type: "null"}` branch of `oneOf`/`anyOf` is removed and the schema made `nullable`; a
///   single branch left is folded into the schema (`allOf: [{$ref}]` for a reference, since 3.0
///   ignores everything beside a `$ref`);
/// * `type: "null"` on its own becomes `nullable: true, enum: [null]`;
/// * numeric `exclusiveMinimum`/`exclusiveMaximum` become `minimum`/`maximum` with the boolean
///   form, keeping whichever bound is stricter;
/// * `const` becomes a one-value `enum`, and an `examples` array the first one as `example`;
/// * a `$ref` with sibling keywords moves into `allOf`, so the siblings still count;
/// * `prefixItems` becomes `items: {anyOf: […]}`, with `maxItems` when the tuple is closed
///   (`items: false`), `contentEncoding:
///   base64` becomes `format: byte` and a `contentMediaType` string `format: binary`;
/// * boolean schemas become `{}` and `{not: {}}` (outside `additionalProperties`, where 3.0
///   allows booleans);
/// * `patternProperties` is dropped, its schemas joining `additionalProperties` so that the
///   properties they matched stay allowed;
/// * the other keywords in `DROPPED_SCHEMA_KEYWORDS` are dropped.
///
/// Beyond schemas: `openapi` is set to 3.0.3; `jsonSchemaDialect`, `webhooks`,
/// `components.pathItems`, `info.summary` and `info.license.identifier` are dropped; references
/// outside schemas lose their `summary`/`description` siblings; `paths` is present.
#[must_use]
pub fn down_convert(mut doc: Value) -> Value {
    let Some(root) = doc.as_object_mut() else {
        return doc;
    };
    root.insert("openapi".to_owned(), json!(OPENAPI_VERSION));
    for key in ["jsonSchemaDialect", "webhooks", "$schema"] {
        root.remove(key);
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }
    let paths = root.entry("paths").or_insert_with(|| json!({}));
    for_each_value(paths, path_item);
    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        components.remove("pathItems");
        for (kind, convert) in [
            ("schemas", schema as fn(&mut Value)),
            ("responses", response),
            ("parameters", parameter),
            ("requestBodies", request_body),
            ("headers", parameter),
            ("callbacks", callback),
            ("examples", reference_only),
            ("links", reference_only),
        ] {
            if let Some(map) = components.get_mut(kind) {
                for_each_value(map, convert);
            }
        }
    }
    doc
}

/// Applies `f` to every value of `v` when it is an object (a map from names to objects).
fn for_each_value(v: &mut Value, f: fn(&mut Value)) {
    if let Some(map) = v.as_object_mut() {
        map.values_mut().for_each(f);
    }
}

/// Applies `f` to every element of `v` when it is an array.
fn for_each_element(v: &mut Value, f: fn(&mut Value)) {
    if let Some(items) = v.as_array_mut() {
        items.iter_mut().for_each(f);
    }
}

/// A Reference Object outside a schema: 3.0 allows nothing beside `$ref`. Returns whether `v` is
/// one (and so has nothing else to convert).
fn reference(v: &mut Value) -> bool {
    match v.as_object_mut() {
        Some(map) if map.contains_key("$ref") => {
            map.retain(|k, _| k == "$ref");
            true
        }
        _ => false,
    }
}

/// Objects that hold no schema (examples, links): only their references change.
fn reference_only(v: &mut Value) {
    reference(v);
}

fn path_item(v: &mut Value) {
    if reference(v) {
        return;
    }
    let Some(item) = v.as_object_mut() else {
        return;
    };
    if let Some(parameters) = item.get_mut("parameters") {
        for_each_element(parameters, parameter);
    }
    for method in METHODS {
        if let Some(op) = item.get_mut(*method) {
            operation(op);
        }
    }
}

fn operation(v: &mut Value) {
    let Some(op) = v.as_object_mut() else {
        return;
    };
    if let Some(parameters) = op.get_mut("parameters") {
        for_each_element(parameters, parameter);
    }
    if let Some(body) = op.get_mut("requestBody") {
        request_body(body);
    }
    if let Some(responses) = op.get_mut("responses") {
        for_each_value(responses, response);
    }
    if let Some(callbacks) = op.get_mut("callbacks") {
        for_each_value(callbacks, callback);
    }
}

/// A Callback Object: runtime expressions to path items.
fn callback(v: &mut Value) {
    if !reference(v) {
        for_each_value(v, path_item);
    }
}

/// A Parameter or Header Object: a schema, or a content map.
fn parameter(v: &mut Value) {
    if reference(v) {
        return;
    }
    let Some(p) = v.as_object_mut() else {
        return;
    };
    if let Some(s) = p.get_mut("schema") {
        schema(s);
    }
    if let Some(content) = p.get_mut("content") {
        for_each_value(content, media_type);
    }
    if let Some(examples) = p.get_mut("examples") {
        for_each_value(examples, reference_only);
    }
}

fn request_body(v: &mut Value) {
    if reference(v) {
        return;
    }
    if let Some(content) = v.get_mut("content") {
        for_each_value(content, media_type);
    }
}

fn response(v: &mut Value) {
    if reference(v) {
        return;
    }
    let Some(r) = v.as_object_mut() else {
        return;
    };
    if let Some(headers) = r.get_mut("headers") {
        for_each_value(headers, parameter);
    }
    if let Some(content) = r.get_mut("content") {
        for_each_value(content, media_type);
    }
    if let Some(links) = r.get_mut("links") {
        for_each_value(links, reference_only);
    }
}

fn media_type(v: &mut Value) {
    let Some(m) = v.as_object_mut() else {
        return;
    };
    if let Some(s) = m.get_mut("schema") {
        schema(s);
    }
    if let Some(examples) = m.get_mut("examples") {
        for_each_value(examples, reference_only);
    }
    if let Some(encoding) = m.get_mut("encoding") {
        for_each_value(encoding, |e| {
            if let Some(headers) = e.get_mut("headers") {
                for_each_value(headers, parameter);
            }
        });
    }
}

/// Converts one schema in place (and every schema inside it).
fn schema(v: &mut Value) {
    match v {
        // 3.0 has no boolean schemas: `true` admits anything, `false` nothing.
        Value::Bool(true) => *v = json!({}),
        Value::Bool(false) => *v = json!({"not": {}}),
        Value::Object(map) => schema_object(map),
        _ => {}
    }
}

/// Whether a (not yet converted) schema admits `null` only.
fn is_null_schema(v: &Value) -> bool {
    match v.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().all(|t| t == "null") && !types.is_empty(),
        _ => v.get("const") == Some(&Value::Null) || v.get("enum") == Some(&json!([null])),
    }
}

fn schema_object(s: &mut Map<String, Value>) {
    // Nullability is read off the 3.1 spelling before the branches are converted, since
    // converting a lone `{type: "null"}` branch would hide it.
    let mut nullable = false;
    let mut only_null = false;
    let mut folded = Vec::new();
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(branches)) = s.get_mut(key) else {
            continue;
        };
        let before = branches.len();
        branches.retain(|b| !is_null_schema(b));
        if branches.len() == before {
            continue;
        }
        nullable = true;
        only_null |= branches.is_empty();
        if branches.len() <= 1 {
            folded.extend(branches.pop());
            s.remove(key);
        }
    }
    let null_type = match s.get_mut("type") {
        Some(Value::Array(types)) => {
            let before = types.len();
            types.retain(|t| t != "null");
            nullable |= types.len() < before;
            types.is_empty()
        }
        Some(Value::String(t)) => t == "null",
        _ => false,
    };
    if null_type {
        s.remove("type");
        only_null = true;
    }

    subschemas(s);
    for mut branch in folded {
        schema(&mut branch);
        fold_branch(s, branch);
    }

    keywords(s);
    types(s);
    if only_null && !s.contains_key("allOf") && !s.contains_key("oneOf") {
        // Nothing but null: 3.0.3 spells it as a nullable schema whose one value is null.
        s.insert("enum".to_owned(), json!([null]));
    }
    nullable |= s.get("enum") == Some(&json!([null]));
    if nullable {
        s.insert("nullable".to_owned(), json!(true));
    }
    ref_siblings(s);
}

/// Converts the schemas a schema holds.
fn subschemas(s: &mut Map<String, Value>) {
    for key in ["items", "not"] {
        if let Some(sub) = s.get_mut(key) {
            schema(sub);
        }
    }
    if let Some(patterns) = s.get_mut("patternProperties") {
        for_each_value(patterns, schema);
    }
    if let Some(additional) = s.get_mut("additionalProperties")
        && additional.is_object()
    {
        schema(additional);
    }
    for key in ["allOf", "oneOf", "anyOf", "prefixItems"] {
        if let Some(list) = s.get_mut(key) {
            for_each_element(list, schema);
        }
    }
    if let Some(properties) = s.get_mut("properties") {
        for_each_value(properties, schema);
    }
}

/// Folds the one branch left of a `oneOf`/`anyOf` into the schema that held it.
fn fold_branch(s: &mut Map<String, Value>, branch: Value) {
    let Value::Object(mut branch) = branch else {
        return;
    };
    if branch.keys().all(|k| k == "$ref") {
        // 3.0 reads nothing beside a `$ref`, so `nullable` must stand outside one.
        push_all_of(s, Value::Object(branch));
        return;
    }
    if branch
        .keys()
        .any(|k| s.contains_key(k) && k != "description")
    {
        push_all_of(s, Value::Object(branch));
        return;
    }
    // The outer description describes the property; the branch's only describes its type.
    if s.contains_key("description") {
        branch.remove("description");
    }
    s.extend(branch);
}

fn push_all_of(s: &mut Map<String, Value>, sub: Value) {
    match s.get_mut("allOf") {
        Some(Value::Array(list)) => list.insert(0, sub),
        _ => {
            s.insert("allOf".to_owned(), json!([sub]));
        }
    }
}

/// The keyword rewrites that do not concern types.
fn keywords(s: &mut Map<String, Value>) {
    if let Some(value) = s.remove("const") {
        s.insert("enum".to_owned(), json!([value]));
    }
    if let Some(examples) = s.remove("examples")
        && !s.contains_key("example")
        && let Some(first) = examples.as_array().and_then(|e| e.first())
    {
        s.insert("example".to_owned(), first.clone());
    }
    exclusive_bound(s, "exclusiveMinimum", "minimum", |exclusive, inclusive| {
        exclusive >= inclusive
    });
    exclusive_bound(s, "exclusiveMaximum", "maximum", |exclusive, inclusive| {
        exclusive <= inclusive
    });
    if let Some(Value::Array(tuple)) = s.remove("prefixItems") {
        // The closest 3.0 says: each item is one of the tuple's schemas (a tuple may be cut
        // short, so it sets no `minItems`).
        let len = tuple.len();
        // `items` holds the schema of the items past the tuple; `false` (converted above) closes
        // it, and without `items` any further item is allowed.
        let rest = s.remove("items").unwrap_or_else(|| json!({}));
        let closed = rest == json!({"not": {}});
        let mut choices: Vec<Value> = Vec::new();
        for t in tuple.into_iter().chain((!closed).then_some(rest)) {
            if !choices.contains(&t) {
                choices.push(t);
            }
        }
        let items = match <[Value; 1]>::try_from(choices) {
            Ok([one]) => one,
            Err(many) => json!({"anyOf": many}),
        };
        s.insert("items".to_owned(), items);
        if closed {
            s.entry("maxItems").or_insert_with(|| json!(len));
        }
    }
    if let Some(Value::Object(patterns)) = s.remove("patternProperties") {
        // Without the patterns, the properties they matched fall to `additionalProperties`,
        // which must then admit them too.
        let mut allowed: Vec<Value> = patterns.into_iter().map(|(_, p)| p).collect();
        match s.remove("additionalProperties") {
            None | Some(Value::Bool(true)) => allowed.clear(),
            Some(Value::Bool(false)) => {}
            Some(other) => allowed.push(other),
        }
        match <[Value; 1]>::try_from(allowed) {
            Ok([one]) => {
                s.insert("additionalProperties".to_owned(), one);
            }
            Err(many) if !many.is_empty() => {
                s.insert("additionalProperties".to_owned(), json!({"anyOf": many}));
            }
            Err(_) => {}
        }
    }
    let encoding = s.get("contentEncoding").and_then(Value::as_str);
    let format = match encoding {
        Some("base64" | "base64url") => Some("byte"),
        None if s.contains_key("contentMediaType") => Some("binary"),
        _ => None,
    };
    if let Some(format) = format
        && s.get("type") == Some(&json!("string"))
    {
        s.entry("format").or_insert_with(|| json!(format));
    }
    for key in DROPPED_SCHEMA_KEYWORDS {
        s.remove(*key);
    }
}

/// `exclusiveMinimum: N` → `minimum: N, exclusiveMinimum: true`, unless an inclusive bound that
/// is stricter already stands (then the exclusive one adds nothing). `stricter(exclusive,
/// inclusive)` says whether the exclusive bound is the stricter one.
fn exclusive_bound(
    s: &mut Map<String, Value>,
    exclusive_key: &str,
    inclusive_key: &str,
    stricter: fn(f64, f64) -> bool,
) {
    let Some(exclusive) = s.get(exclusive_key).filter(|v| v.is_number()).cloned() else {
        return;
    };
    s.remove(exclusive_key);
    let keep_exclusive = match (
        exclusive.as_f64(),
        s.get(inclusive_key).and_then(Value::as_f64),
    ) {
        (Some(e), Some(i)) => stricter(e, i),
        _ => true,
    };
    if keep_exclusive {
        s.insert(inclusive_key.to_owned(), exclusive);
        s.insert(exclusive_key.to_owned(), json!(true));
    }
}

/// What is left of a `type` array after `null` was taken out: one type, or an `anyOf` of them.
fn types(s: &mut Map<String, Value>) {
    let Some(Value::Array(list)) = s.get("type") else {
        if s.get("type") == Some(&json!("array")) && !s.contains_key("items") {
            // 3.0 requires `items` on every array schema.
            s.insert("items".to_owned(), json!({}));
        }
        return;
    };
    match list.as_slice() {
        [one] => {
            let one = one.clone();
            s.insert("type".to_owned(), one);
            types(s);
        }
        _ => {
            let branches: Vec<Value> = list
                .iter()
                .map(|t| match t.as_str() {
                    Some("array") => {
                        json!({"type": t, "items": s.get("items").cloned().unwrap_or(json!({}))})
                    }
                    _ => json!({"type": t}),
                })
                .collect();
            s.remove("type");
            // Type-specific keywords beside the `anyOf` still apply to the values of their type.
            s.insert("anyOf".to_owned(), Value::Array(branches));
        }
    }
}

/// 3.0 ignores every keyword beside a `$ref`; moving the reference into `allOf` keeps them.
fn ref_siblings(s: &mut Map<String, Value>) {
    if s.len() > 1
        && let Some(target) = s.remove("$ref")
    {
        push_all_of(s, json!({"$ref": target}));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::down_convert;

    /// A document whose one schema is `s`, converted; returns the converted schema.
    fn convert(s: Value) -> Value {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": s}},
        });
        down_convert(doc)["components"]["schemas"]["S"].take()
    }

    #[test]
    fn document_level() {
        let doc = down_convert(json!({
            "openapi": "3.1.0",
            "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
            "$schema": "x",
            "info": {"title": "t", "summary": "s", "version": "1",
                     "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
            "webhooks": {"w": {}},
            "components": {"pathItems": {"p": {}}},
        }));
        assert_eq!(
            doc,
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1", "license": {"name": "Apache-2.0"}},
                "components": {},
                "paths": {},
            })
        );
    }

    #[test]
    fn type_arrays_with_null() {
        assert_eq!(
            convert(json!({"type": ["string", "null"], "maxLength": 3})),
            json!({"type": "string", "maxLength": 3, "nullable": true})
        );
        assert_eq!(
            convert(json!({"type": ["array", "null"]})),
            json!({"type": "array", "items": {}, "nullable": true})
        );
        assert_eq!(
            convert(json!({"type": ["string", "integer", "null"]})),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
    }

    #[test]
    fn null_branches() {
        // A reference: nullable stands beside an allOf, the reference's description outside.
        assert_eq!(
            convert(
                json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/T", "description": "d"}]})
            ),
            json!({"allOf": [{"$ref": "#/components/schemas/T"}], "description": "d", "nullable": true})
        );
        assert_eq!(
            convert(
                json!({"anyOf": [{"$ref": "#/components/schemas/T"}, {"type": "null"}], "description": "outer"})
            ),
            json!({"description": "outer", "allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true})
        );
        // An inline schema is folded in.
        assert_eq!(
            convert(json!({"oneOf": [{"type": "null"}, {"type": "integer", "minimum": 1}]})),
            json!({"type": "integer", "minimum": 1, "nullable": true})
        );
        // Several branches stay a oneOf.
        assert_eq!(
            convert(json!({"oneOf": [{"type": "null"}, {"type": "integer"}, {"type": "string"}]})),
            json!({"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": true})
        );
    }

    #[test]
    fn null_alone() {
        assert_eq!(
            convert(json!({"type": "null", "description": "d"})),
            json!({"description": "d", "enum": [null], "nullable": true})
        );
        assert_eq!(
            convert(json!({"type": "object", "properties": {"gone": {"type": "null"}}})),
            json!({"type": "object", "properties": {"gone": {"enum": [null], "nullable": true}}})
        );
    }

    #[test]
    fn exclusive_bounds() {
        assert_eq!(
            convert(json!({"type": "number", "exclusiveMinimum": 0, "maximum": 10})),
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 10})
        );
        assert_eq!(
            convert(json!({"type": "number", "exclusiveMaximum": 5})),
            json!({"type": "number", "maximum": 5, "exclusiveMaximum": true})
        );
        // The stricter of the two bounds is the one kept.
        assert_eq!(
            convert(json!({"type": "number", "exclusiveMinimum": 0, "minimum": 2})),
            json!({"type": "number", "minimum": 2})
        );
        assert_eq!(
            convert(json!({"type": "number", "exclusiveMinimum": 3, "minimum": 2})),
            json!({"type": "number", "minimum": 3, "exclusiveMinimum": true})
        );
    }

    #[test]
    fn const_and_examples() {
        assert_eq!(
            convert(json!({"type": "string", "const": "basic"})),
            json!({"type": "string", "enum": ["basic"]})
        );
        assert_eq!(
            convert(json!({"type": "string", "examples": ["a", "b"]})),
            json!({"type": "string", "example": "a"})
        );
        assert_eq!(
            convert(json!({"type": "string", "example": "x", "examples": ["a"]})),
            json!({"type": "string", "example": "x"})
        );
    }

    #[test]
    fn dropped_keywords() {
        assert_eq!(
            convert(json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$comment": "c",
                "type": "object",
                "propertyNames": {"maxLength": 3},
                "additionalProperties": {"type": "string"},
            })),
            json!({"type": "object", "additionalProperties": {"type": "string"}})
        );
        assert_eq!(
            convert(json!({
                "type": "object",
                "patternProperties": {"^x-": {"type": ["string", "null"]}},
                "additionalProperties": false,
            })),
            json!({"type": "object", "additionalProperties": {"type": "string", "nullable": true}})
        );
        assert_eq!(
            convert(json!({
                "type": "object",
                "patternProperties": {"^x-": {"type": "string"}},
                "additionalProperties": {"type": "integer"},
            })),
            json!({"type": "object", "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "integer"}]}})
        );
        assert_eq!(
            convert(json!({"type": "string", "contentMediaType": "application/octet-stream"})),
            json!({"type": "string", "format": "binary"})
        );
        assert_eq!(
            convert(
                json!({"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"})
            ),
            json!({"type": "string", "format": "byte"})
        );
    }

    #[test]
    fn ref_with_siblings() {
        assert_eq!(
            convert(json!({"$ref": "#/components/schemas/T", "description": "d"})),
            json!({"allOf": [{"$ref": "#/components/schemas/T"}], "description": "d"})
        );
        assert_eq!(
            convert(json!({"$ref": "#/components/schemas/T"})),
            json!({"$ref": "#/components/schemas/T"})
        );
    }

    #[test]
    fn tuples_and_boolean_schemas() {
        assert_eq!(
            convert(
                json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false})
            ),
            json!({"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "maxItems": 2})
        );
        // Without `items: false`, more items of any kind may follow the tuple.
        assert_eq!(
            convert(json!({"type": "array", "prefixItems": [{"type": "string"}]})),
            json!({"type": "array", "items": {"anyOf": [{"type": "string"}, {}]}})
        );
        assert_eq!(
            convert(
                json!({"type": "object", "properties": {"a": true, "b": false}, "additionalProperties": false})
            ),
            json!({"type": "object", "properties": {"a": {}, "b": {"not": {}}}, "additionalProperties": false})
        );
    }

    #[test]
    fn names_are_not_keywords() {
        // A property named like a keyword, and an example holding one, are left alone.
        assert_eq!(
            convert(json!({
                "type": "object",
                "properties": {"const": {"type": ["string", "null"]}, "type": {"type": "string"}},
                "example": {"type": "null", "const": 1},
            })),
            json!({
                "type": "object",
                "properties": {"const": {"type": "string", "nullable": true}, "type": {"type": "string"}},
                "example": {"type": "null", "const": 1},
            })
        );
    }

    #[test]
    fn every_schema_position() {
        let nullable = json!({"type": ["integer", "null"]});
        let converted = json!({"type": "integer", "nullable": true});
        let doc = down_convert(json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x": {
                "parameters": [{"name": "a", "in": "query", "schema": nullable}],
                "post": {
                    "parameters": [{"$ref": "#/components/parameters/P", "description": "d"}],
                    "requestBody": {"content": {"application/json": {"schema": nullable}}},
                    "responses": {"200": {
                        "description": "ok",
                        "headers": {"H": {"schema": nullable}},
                        "content": {"application/json": {"schema": {"type": "array", "items": nullable}}},
                    }},
                },
            }},
            "components": {"headers": {"H": {"schema": nullable}}},
        }));
        let x = &doc["paths"]["/x"];
        assert_eq!(x["parameters"][0]["schema"], converted);
        assert_eq!(
            x["post"]["parameters"][0],
            json!({"$ref": "#/components/parameters/P"})
        );
        assert_eq!(
            x["post"]["requestBody"]["content"]["application/json"]["schema"],
            converted
        );
        let ok = &x["post"]["responses"]["200"];
        assert_eq!(ok["headers"]["H"]["schema"], converted);
        assert_eq!(
            ok["content"]["application/json"]["schema"]["items"],
            converted
        );
        assert_eq!(doc["components"]["headers"]["H"]["schema"], converted);
    }
}
