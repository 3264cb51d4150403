//! `/docs`: a self-contained HTML API reference rendered from the OpenAPI document at start-up.
//! No script and nothing fetched, so it reads the same on an air-gapped network.

use std::fmt::Write as _;

use serde_json::Value;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn schema_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", schema_name(items));
    }
    if let Some(any) = schema.get("oneOf").and_then(Value::as_array) {
        return any.iter().map(schema_name).collect::<Vec<_>>().join(" | ");
    }
    match schema.get("type") {
        Some(Value::String(t)) => esc(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".to_owned(),
    }
}

fn body_schema(content: Option<&Value>) -> String {
    content
        .and_then(Value::as_object)
        .map(|c| {
            c.iter()
                .map(|(media, v)| {
                    format!(
                        "{} <code>{}</code>",
                        v.get("schema").map(schema_name).unwrap_or_default(),
                        esc(media)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Renders the reference page.
pub fn render(spec: &Value) -> String {
    let mut html = String::new();
    let title = spec
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("API");
    let version = spec
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or("");
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} API reference</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         code,pre{{background:#f4f4f4;padding:0 .2em}}h3{{margin-bottom:.2rem}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}}\
         .m{{font-weight:bold;display:inline-block;min-width:4.5rem}}</style></head><body>\
         <h1>{t} API reference <small>{v}</small></h1><p>The machine-readable document is at \
         <a href=\"/openapi.json\">/openapi.json</a>.</p>",
        t = esc(title),
        v = esc(version)
    );
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        html.push_str("<h2>Operations</h2>");
        for (path, item) in paths {
            let Some(ops) = item.as_object() else {
                continue;
            };
            for (method, op) in ops {
                let _ = write!(
                    html,
                    "<section><h3><span class=\"m\">{}</span> <code>{}</code></h3><p>{}</p>",
                    esc(&method.to_uppercase()),
                    esc(path),
                    esc(str_at(op, "summary"))
                );
                let desc = str_at(op, "description");
                if !desc.is_empty() && desc != str_at(op, "summary") {
                    let _ = write!(html, "<p>{}</p>", esc(desc));
                }
                if let Some(params) = op.get("parameters").and_then(Value::as_array) {
                    html.push_str("<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>");
                    for p in params {
                        let _ = write!(
                            html,
                            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            esc(str_at(p, "name")),
                            if p.get("required").and_then(Value::as_bool) == Some(true) {
                                " *"
                            } else {
                                ""
                            },
                            esc(str_at(p, "in")),
                            p.get("schema").map(schema_name).unwrap_or_default(),
                            esc(str_at(p, "description"))
                        );
                    }
                    html.push_str("</table>");
                }
                if let Some(body) = op.get("requestBody") {
                    let _ = write!(
                        html,
                        "<p>Request body: {}</p>",
                        body_schema(body.get("content"))
                    );
                }
                if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                    html.push_str("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>");
                    for (status, r) in responses {
                        let _ = write!(
                            html,
                            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                            esc(status),
                            esc(str_at(r, "description")),
                            body_schema(r.get("content"))
                        );
                    }
                    html.push_str("</table>");
                }
                html.push_str("</section>");
            }
        }
    }
    if let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        html.push_str("<h2>Schemas</h2>");
        for (name, schema) in schemas {
            let _ = write!(
                html,
                "<section id=\"schema-{0}\"><h3>{0}</h3><p>{1}</p>",
                esc(name),
                esc(str_at(schema, "description"))
            );
            if let Some(values) = schema.get("enum").and_then(Value::as_array) {
                let vs: Vec<String> = values
                    .iter()
                    .map(|v| format!("<code>{}</code>", esc(&v.to_string())))
                    .collect();
                let _ = write!(html, "<p>One of {}</p>", vs.join(", "));
            }
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                html.push_str("<table><tr><th>field</th><th>type</th><th>description</th></tr>");
                for (field, p) in props {
                    let _ = write!(
                        html,
                        "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(field),
                        if required.contains(&field.as_str()) {
                            " *"
                        } else {
                            ""
                        },
                        schema_name(p),
                        esc(str_at(p, "description"))
                    );
                }
                html.push_str("</table>");
            }
            html.push_str("</section>");
        }
    }
    html.push_str("<p>* required</p></body></html>");
    html
}
