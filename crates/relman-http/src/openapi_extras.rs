//! What the OpenAPI document says about every operation at once, added after utoipa generated
//! it, so that no handler can forget it: the common error answers, the headers the middleware and
//! the error type set, who may call what, the links from an operation's response to the
//! operations that take the id it returns, and the two media types of every error body.
//!
//! Everything here is a table or a rule over all operations; a new handler inherits it.

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

use crate::error::PROBLEM_JSON;

/// The media type a problem body is also sent as, when the client asks for it.
const PLAIN_JSON: &str = "application/json";
use relman_wire::ErrorCode;

/// Operations that answer 201 with `Location` (they call `handlers::created`).
pub const LOCATION_ON_201: [&str; 8] = [
    "create_component",
    "create_webhook",
    "create_token",
    "create_registry_integration",
    "create_release",
    "create_release_from_latest",
    "create_environment",
    "promote_release",
];

/// Operations whose 200 carries `Link: <…>; rel="next"` when a next page exists (they call
/// `link::add_next_link`).
pub const LINK_NEXT_ON_200: [&str; 7] = [
    "list_releases",
    "list_webhook_deliveries",
    "list_component_versions",
    "list_version_maps",
    "list_audit_events",
    "list_deployments",
    "list_component_retags",
];

/// A family of links: responses that carry a resource (operation id, statuses) and the
/// operations that take its id, each with its parameters as `(name, runtime expression)`.
struct LinkFamily {
    sources: &'static [(&'static str, &'static [&'static str])],
    targets: &'static [(&'static str, &'static [(&'static str, &'static str)])],
}

const ID: &[(&str, &str)] = &[("path.id", "$response.body#/id")];

const LINKS: &[LinkFamily] = &[
    LinkFamily {
        sources: &[
            ("create_component", &["201"]),
            ("update_component", &["200"]),
        ],
        targets: &[
            ("get_component", ID),
            ("update_component", ID),
            ("delete_component", ID),
            ("sync_component_versions", ID),
            ("list_component_versions", ID),
            ("list_component_retags", ID),
            (
                "list_releases",
                &[("query.componentId", "$response.body#/id")],
            ),
            (
                "list_version_maps",
                &[("query.componentId", "$response.body#/id")],
            ),
        ],
    },
    LinkFamily {
        sources: &[("create_version_map", &["200", "201"])],
        targets: &[
            (
                "get_component",
                &[("path.id", "$response.body#/componentId")],
            ),
            (
                "list_component_versions",
                &[("path.id", "$response.body#/componentId")],
            ),
        ],
    },
    LinkFamily {
        sources: &[
            ("create_registry_integration", &["201"]),
            ("update_registry_integration", &["200"]),
        ],
        targets: &[
            ("get_registry_integration", ID),
            ("update_registry_integration", ID),
            ("delete_registry_integration", ID),
            ("test_registry_integration", ID),
        ],
    },
    LinkFamily {
        sources: &[
            ("create_release", &["200", "201"]),
            ("create_release_from_latest", &["200", "201"]),
            ("update_release", &["200"]),
            ("deprecate_release", &["200"]),
        ],
        targets: &[
            ("get_release", ID),
            ("update_release", ID),
            ("delete_release", ID),
            ("deprecate_release", ID),
            ("get_release_state", ID),
            (
                "compare_releases",
                &[
                    ("path.id", "$response.body#/id"),
                    ("path.otherId", "$response.body#/id"),
                ],
            ),
            ("promote_release", ID),
            (
                "list_deployments",
                &[("query.releaseId", "$response.body#/id")],
            ),
        ],
    },
    LinkFamily {
        sources: &[
            ("create_environment", &["201"]),
            ("update_environment", &["200"]),
        ],
        targets: &[
            ("get_environment", ID),
            ("update_environment", ID),
            ("delete_environment", ID),
            (
                "list_deployments",
                &[("query.environmentId", "$response.body#/id")],
            ),
        ],
    },
    LinkFamily {
        sources: &[
            ("promote_release", &["201"]),
            ("complete_deployment", &["200"]),
        ],
        targets: &[
            ("get_deployment", ID),
            ("complete_deployment", ID),
            ("get_release", &[("path.id", "$response.body#/releaseId")]),
            (
                "get_environment",
                &[("path.id", "$response.body#/environmentId")],
            ),
        ],
    },
];

/// The operations of a path with their methods, for rules that go over every operation.
pub(crate) fn operations_mut(
    item: &mut utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", &mut item.get),
        ("POST", &mut item.post),
        ("PUT", &mut item.put),
        ("PATCH", &mut item.patch),
        ("DELETE", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// Applies every rule of this module to the generated document.
pub fn apply(api: &mut OpenApi) {
    api.security = Some(vec![bearer()]);
    for (path, item) in &mut api.paths.paths {
        for (_, op) in operations_mut(item) {
            document_operation(path.starts_with("/api/v1"), op);
        }
    }
    add_links(api);
    problems_as_json_too(api);
    parameters_are_never_null(api);
}

/// A parameter is sent or not; it cannot be `null`. utoipa writes an `Option<String>` header
/// parameter as `type: [string, "null"]`, which generators take for a nullable value (and some
/// then cannot render into a header): its absence is `required: false` already.
fn parameters_are_never_null(api: &mut OpenApi) {
    let never_null = |parameter: &mut utoipa::openapi::path::Parameter| {
        if let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut()
            && let SchemaType::Array(types) = &schema.schema_type
        {
            let types: Vec<Type> = types
                .iter()
                .filter(|t| **t != Type::Null)
                .cloned()
                .collect();
            schema.schema_type = match <[Type; 1]>::try_from(types) {
                Ok([one]) => SchemaType::Type(one),
                Err(types) => SchemaType::Array(types),
            };
        }
    };
    for item in api.paths.paths.values_mut() {
        item.parameters.iter_mut().flatten().for_each(never_null);
        for (_, op) in operations_mut(item) {
            op.parameters.iter_mut().flatten().for_each(never_null);
        }
    }
}

/// Error responses are `application/problem+json`, or the same body as `application/json` when
/// the client prefers that (`crate::problem_media`): every response with a problem body lists
/// both, so that generators that decode only `application/json` type their errors too.
fn problems_as_json_too(api: &mut OpenApi) {
    let twin = |response: &mut Response| {
        if let Some(problem) = response.content.get(PROBLEM_JSON).cloned() {
            response
                .content
                .entry(PLAIN_JSON.to_owned())
                .or_insert(problem);
        }
    };
    for item in api.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            for response in op.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    twin(response);
                }
            }
        }
    }
    if let Some(components) = api.components.as_mut() {
        for response in components.responses.values_mut() {
            if let RefOr::T(response) = response {
                twin(response);
            }
        }
    }
}

fn bearer() -> SecurityRequirement {
    SecurityRequirement::new("bearer", Vec::<String>::new())
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

fn header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(SchemaType::new(Type::String)))
        .description(Some(description))
        .build()
}

/// The answers, headers and security one operation gets from the rules.
fn document_operation(authenticated: bool, op: &mut Operation) {
    let id = op.operation_id.clone().unwrap_or_default();
    let has_body = op.request_body.is_some();
    let responses = &mut op.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| problem(description).into());
    };
    if authenticated {
        add("401", "Missing or invalid token");
    }
    if op.request_body.is_some() {
        add("413", "Body too large");
        add("415", "The body is not application/json");
    }
    add("405", "The path exists, but not with this method");
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        response.headers.insert(
            "X-Request-Id".to_owned(),
            header(
                "The request's id: the client's `X-Request-Id` when it sent 1-128 visible ASCII \
                 characters, else a generated UUID.",
            ),
        );
        if let Ok(code) = status.parse::<u16>()
            && code >= 400
        {
            let codes: Vec<String> = ErrorCode::ALL
                .iter()
                .filter(|c| c.status() == code)
                .filter(|c| applies(**c, &id, has_body))
                .map(|c| format!("`{}`", c.as_str()))
                .collect();
            if !codes.is_empty() && !response.description.contains("Codes: ") {
                response.description = format!(
                    "{} (Codes: {}.)",
                    response.description.trim_end_matches('.'),
                    codes.join(", ")
                );
            }
        }
        match status.as_str() {
            "401" => {
                response.headers.insert(
                    "WWW-Authenticate".to_owned(),
                    header("`Bearer realm=\"relman\"`"),
                );
            }
            "429" => {
                for (name, description) in [
                    (
                        "Retry-After",
                        "Seconds until the token's budget allows a request again.",
                    ),
                    (
                        "X-RateLimit-Limit",
                        "Requests the token may make in a burst.",
                    ),
                    ("X-RateLimit-Remaining", "Requests left in the burst now."),
                    (
                        "X-RateLimit-Reset",
                        "Seconds until the burst is full again.",
                    ),
                    (
                        "RateLimit",
                        "The same, as the IETF draft's `limit=…, remaining=…, reset=…`.",
                    ),
                ] {
                    response
                        .headers
                        .insert(name.to_owned(), header(description));
                }
            }
            "405" => {
                response.headers.insert(
                    "Allow".to_owned(),
                    header("The methods the path accepts, comma-separated."),
                );
            }
            "200" if LINK_NEXT_ON_200.contains(&id.as_str()) => {
                response.headers.insert(
                    "Link".to_owned(),
                    header(
                        "`<url>; rel=\"next\"` when a next page exists: this request's URL with \
                         `cursor` set (and `page` dropped). Absent on the last page.",
                    ),
                );
            }
            "201" if LOCATION_ON_201.contains(&id.as_str()) => {
                response
                    .headers
                    .insert("Location".to_owned(), header("The new resource's URL."));
            }
            _ => {}
        }
    }
    // Security itself (`[]`, or bearer with the scope) is written by `crate::access::document`,
    // from the same rule the access middleware enforces.
}

/// Whether `code` can come from operation `id` at all, where the operation says so: body errors
/// need a body, member errors a release body. Other statuses list every code of the status.
fn applies(code: ErrorCode, id: &str, has_body: bool) -> bool {
    match code {
        ErrorCode::InvalidJson | ErrorCode::InvalidBody => has_body,
        ErrorCode::DuplicateComponent | ErrorCode::EmptyRelease => {
            has_body && id.contains("release") && !id.contains("deprecate")
        }
        _ => true,
    }
}

/// Adds [`LINKS`] to the responses they start from.
fn add_links(api: &mut OpenApi) {
    for item in api.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            let id = op.operation_id.clone().unwrap_or_default();
            for family in LINKS {
                let Some((_, statuses)) = family.sources.iter().find(|(s, _)| *s == id) else {
                    continue;
                };
                for status in *statuses {
                    let Some(RefOr::T(response)) = op.responses.responses.get_mut(*status) else {
                        continue;
                    };
                    for (target, parameters) in family.targets {
                        response
                            .links
                            .insert((*target).to_owned(), link(target, parameters));
                    }
                }
            }
        }
    }
}

/// A link to `target`. utoipa 5.5 serializes `Link::operation_id` as `operation_id`, which no
/// tool reads, so the id goes in as the spelled-out `operationId` key through the flattened
/// extensions map instead.
fn link(target: &str, parameters: &[(&str, &str)]) -> RefOr<utoipa::openapi::link::Link> {
    let extensions = Extensions::from_iter([("operationId", target)]);
    parameters
        .iter()
        .fold(LinkBuilder::new(), |l, (n, v)| l.parameter(*n, *v))
        .extensions(Some(extensions))
        .build()
        .into()
}
