//! `/docs`: a self-contained HTML API reference rendered from the OpenAPI document at start-up:
//! how to authenticate, a table of contents, operations grouped by tag with anchors, and every
//! schema with its variants, enums, formats, bounds and examples. No script and nothing fetched
//! from elsewhere, so it reads the same on an air-gapped network.

mod schema;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

/// HTML-escapes text.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// An anchor-safe id.
fn anchor(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;\
padding:0 1rem;color:#222;line-height:1.45}code,pre{background:#f4f4f4;padding:0 .2em}\
pre{padding:.6rem;overflow-x:auto}h3{margin-bottom:.2rem}table{border-collapse:collapse;margin:.4rem 0}\
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}\
.m{font-weight:bold;display:inline-block;min-width:4.5rem}.tag{color:#666}nav ul{columns:2}";

/// Renders the reference page.
pub fn render(spec: &Value) -> String {
    let title = spec
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("API");
    let version = spec
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or("");
    let ops = operations(spec);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{t} API reference</title><style>{STYLE}</style></head><body>\
         <h1>{t} API reference <small>{v}</small></h1>\
         <p>The machine-readable document is at <a href=\"/openapi.json\">/openapi.json</a> \
         (OpenAPI 3.1). Bodies are JSON with camelCase fields; errors are RFC 9457 problem \
         details with a stable <code>code</code> (<a href=\"#schema-Problem\">Problem</a>).</p>",
        t = esc(title),
        v = esc(version)
    );
    authentication(&mut html, &ops);
    contents(&mut html, &ops);
    for (tag, list) in &ops {
        let _ = write!(html, "<h2 id=\"tag-{}\">{}</h2>", anchor(tag), esc(tag));
        for op in list {
            operation(&mut html, op);
        }
    }
    schemas(&mut html, spec);
    html.push_str("<p>* required</p></body></html>");
    html
}

/// One operation of the document.
struct Op<'a> {
    method: String,
    path: &'a str,
    op: &'a Value,
}

impl Op<'_> {
    fn id(&self) -> String {
        let id = str_at(self.op, "operationId");
        anchor(if id.is_empty() { self.path } else { id })
    }

    /// `None` for a public operation, else the scope its bearer token needs.
    fn scope(&self) -> Option<String> {
        let security = self.op.get("security")?.as_array()?;
        let first = security.first()?.get("bearer")?.as_array()?;
        Some(
            first
                .first()
                .and_then(Value::as_str)
                .unwrap_or("any")
                .to_owned(),
        )
    }
}

/// Operations grouped by their first tag, in the document's tag order.
fn operations(spec: &Value) -> Vec<(String, Vec<Op<'_>>)> {
    let mut by_tag: BTreeMap<String, Vec<Op<'_>>> = BTreeMap::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !op.is_object() || method == "parameters" {
                continue;
            }
            let tag = op
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .unwrap_or("other");
            by_tag.entry(tag.to_owned()).or_default().push(Op {
                method: method.to_uppercase(),
                path,
                op,
            });
        }
    }
    let order: Vec<String> = spec
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut out = Vec::new();
    for name in &order {
        if let Some(list) = by_tag.remove(name) {
            out.push((name.clone(), list));
        }
    }
    out.extend(by_tag);
    out
}

fn authentication(html: &mut String, ops: &[(String, Vec<Op<'_>>)]) {
    let public: Vec<String> = ops
        .iter()
        .flat_map(|(_, l)| l)
        .filter(|o| o.scope().is_none())
        .map(|o| format!("<code>{} {}</code>", esc(&o.method), esc(o.path)))
        .collect();
    let _ = write!(
        html,
        "<h2 id=\"authentication\">Authentication</h2>\
         <p>Send a bearer token with every request that needs one:</p>\
         <pre>curl -H \"Authorization: Bearer $TOKEN\" http://HOST:8080/api/v1/components</pre>\
         <p>On first start the server writes an admin token to <code>relman-data/admin-token</code> \
         (or takes <code>RELMAN_ADMIN_TOKEN</code>). Create scoped tokens with \
         <a href=\"#op-create_token\">POST /api/v1/tokens</a>: <code>read</code> allows reads, \
         <code>write</code> also changes, <code>admin</code> also tokens, registry credentials and \
         the audit log. Each operation below names the scope it needs. A missing or invalid \
         token answers 401 <code>unauthenticated</code> with <code>WWW-Authenticate</code>; too \
         weak a scope, 403 <code>forbidden</code>.</p><p>Open without a token: {}.</p>",
        public.join(", ")
    );
}

fn contents(html: &mut String, ops: &[(String, Vec<Op<'_>>)]) {
    html.push_str("<nav id=\"contents\"><h2>Contents</h2><ul>");
    html.push_str("<li><a href=\"#authentication\">Authentication</a></li>");
    for (tag, list) in ops {
        let _ = write!(
            html,
            "<li><a href=\"#tag-{}\">{}</a><ul>",
            anchor(tag),
            esc(tag)
        );
        for op in list {
            let _ = write!(
                html,
                "<li><a href=\"#op-{}\"><span class=\"m\">{}</span> {}</a></li>",
                op.id(),
                esc(&op.method),
                esc(op.path)
            );
        }
        html.push_str("</ul></li>");
    }
    html.push_str("<li><a href=\"#schemas\">Schemas</a></li></ul></nav>");
}

fn media(content: Option<&Value>) -> String {
    content
        .and_then(Value::as_object)
        .map(|c| {
            c.iter()
                .map(|(media, v)| {
                    let schema = v.get("schema").map(schema::type_of).unwrap_or_default();
                    format!("{schema} <span class=\"tag\">{}</span>", esc(media))
                })
                .collect::<Vec<_>>()
                .join("<br>")
        })
        .unwrap_or_default()
}

fn operation(html: &mut String, o: &Op<'_>) {
    let _ = write!(
        html,
        "<section id=\"op-{}\"><h3><span class=\"m\">{}</span> <code>{}</code></h3><p>{}</p>",
        o.id(),
        esc(&o.method),
        esc(o.path),
        esc(str_at(o.op, "summary"))
    );
    let desc = str_at(o.op, "description");
    if !desc.is_empty() && desc != str_at(o.op, "summary") {
        let _ = write!(html, "<p>{}</p>", esc(desc));
    }
    let _ = write!(
        html,
        "<p>{} · operation id <code>{}</code></p>",
        match o.scope() {
            Some(scope) => format!("Needs a token with scope <code>{}</code>", esc(&scope)),
            None => "Open without a token".to_owned(),
        },
        esc(str_at(o.op, "operationId"))
    );
    if let Some(params) = o.op.get("parameters").and_then(Value::as_array) {
        html.push_str(
            "<table><tr><th>parameter</th><th>in</th><th>type</th><th>rules</th><th>description</th></tr>",
        );
        for p in params {
            let s = p.get("schema").cloned().unwrap_or(Value::Null);
            let _ = write!(
                html,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(str_at(p, "name")),
                if p.get("required").and_then(Value::as_bool) == Some(true) {
                    " *"
                } else {
                    ""
                },
                esc(str_at(p, "in")),
                schema::type_of(&s),
                schema::rules(&s),
                esc(str_at(p, "description"))
            );
        }
        html.push_str("</table>");
    }
    if let Some(body) = o.op.get("requestBody") {
        let required = body.get("required").and_then(Value::as_bool) == Some(true);
        let _ = write!(
            html,
            "<p>Request body{}: {}</p>",
            if required { "" } else { " (optional)" },
            media(body.get("content"))
        );
    }
    if let Some(responses) = o.op.get("responses").and_then(Value::as_object) {
        html.push_str("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>");
        for (status, r) in responses {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(status),
                esc(str_at(r, "description")),
                media(r.get("content"))
            );
        }
        html.push_str("</table>");
    }
    html.push_str("</section>");
}

fn schemas(html: &mut String, spec: &Value) {
    let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return;
    };
    html.push_str("<h2 id=\"schemas\">Schemas</h2>");
    for (name, s) in schemas {
        let _ = write!(
            html,
            "<section id=\"schema-{}\"><h3>{}</h3><p>{}</p>",
            anchor(name),
            esc(name),
            esc(str_at(s, "description"))
        );
        if let Some(v) = schema::variants(s) {
            html.push_str(&v);
        }
        let rules = schema::rules(s);
        if !rules.is_empty() && s.get("properties").is_none() {
            let _ = write!(html, "<p>{} {rules}</p>", schema::type_of(s));
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            let required: Vec<&str> = s
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            html.push_str(
                "<table><tr><th>field</th><th>type</th><th>rules</th><th>description</th></tr>",
            );
            for (field, p) in props {
                let _ = write!(
                    html,
                    "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(field),
                    if required.contains(&field.as_str()) {
                        " *"
                    } else {
                        ""
                    },
                    schema::type_of(p),
                    schema::rules(p),
                    esc(str_at(p, "description"))
                );
            }
            html.push_str("</table>");
        }
        html.push_str("</section>");
    }
}
