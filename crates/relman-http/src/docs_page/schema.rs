//! How a schema reads on the reference page: its type with format and bounds, enum values,
//! one-of variants and examples.

use serde_json::Value;

use super::esc;

/// A schema's type as a short phrase with links: `string (date-time)`, `array of <Release>`,
/// `BasicAuth | BearerAuth`, `"draft" | "ready"`.
pub fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", type_of(items));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(any) = schema.get(key).and_then(Value::as_array) {
            let sep = if key == "allOf" { " & " } else { " | " };
            return any.iter().map(type_of).collect::<Vec<_>>().join(sep);
        }
    }
    let base = match schema.get("type") {
        Some(Value::String(t)) => esc(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(esc)
            .collect::<Vec<_>>()
            .join(" | "),
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ => "any".to_owned(),
    };
    match schema.get("format").and_then(Value::as_str) {
        Some(f) => format!("{base} ({})", esc(f)),
        None => base,
    }
}

/// The rules a value must follow: enum values, bounds, lengths, pattern, default, example.
pub fn rules(schema: &Value) -> String {
    let mut out = Vec::new();
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let vs: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", esc(&v.to_string())))
            .collect();
        out.push(format!("one of {}", vs.join(", ")));
    }
    for (key, label) in [
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("maxProperties", "max properties"),
    ] {
        if let Some(v) = schema.get(key).filter(|v| v.is_number()) {
            out.push(format!("{label} {v}"));
        }
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        out.push(format!("pattern <code>{}</code>", esc(p)));
    }
    if let Some(d) = schema.get("default") {
        out.push(format!("default <code>{}</code>", esc(&d.to_string())));
    }
    let example = schema
        .get("example")
        .or_else(|| schema.get("examples").and_then(|e| e.get(0)));
    if let Some(e) = example {
        out.push(format!("example <code>{}</code>", esc(&e.to_string())));
    }
    out.join("; ")
}

/// The variants of a one-of schema, with the discriminator value that selects each.
pub fn variants(schema: &Value) -> Option<String> {
    let branches = schema.get("oneOf").and_then(Value::as_array)?;
    let discriminator = schema.get("discriminator");
    let property = discriminator
        .and_then(|d| d.get("propertyName"))
        .and_then(Value::as_str);
    let mapping = discriminator
        .and_then(|d| d.get("mapping"))
        .and_then(Value::as_object);
    let mut html = String::from("<p>One of:</p><ul>");
    for branch in branches {
        let selector = match (
            property,
            mapping,
            branch.get("$ref").and_then(Value::as_str),
        ) {
            (Some(p), Some(m), Some(r)) => m
                .iter()
                .find(|(_, target)| target.as_str() == Some(r))
                .map(|(value, _)| format!(" when <code>{}: \"{}\"</code>", esc(p), esc(value)))
                .unwrap_or_default(),
            _ => String::new(),
        };
        html.push_str(&format!("<li>{}{selector}</li>", type_of(branch)));
    }
    html.push_str("</ul>");
    Some(html)
}
