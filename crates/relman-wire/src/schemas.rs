//! Schemas written by hand, for shapes the derive cannot say: the registry credentials as named
//! `oneOf` variants with a `discriminator`, release metadata with its key and value rules, and
//! the OpenAPI document itself.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, Discriminator, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};

use crate::integrations::AuthBody;

/// The credential variants: schema name, `type` value, description, secret-free fields and secret
/// fields (written `format: password`). Every field is a non-empty string held to the body rule
/// ([`crate::text::MULTILINE`]).
type AuthVariant = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const AUTH_VARIANTS: [AuthVariant; 3] = [
    ("NoAuth", "none", "Anonymous access.", &[], &[]),
    (
        "BasicAuth",
        "basic",
        "HTTP basic credentials (also used at the registry's token endpoint); the password is \
         write-only.",
        &["username"],
        &["password"],
    ),
    (
        "BearerAuth",
        "bearer",
        "A ready-made bearer token; write-only.",
        &[],
        &["token"],
    ),
];

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::new(Type::String))
}

fn auth_variant(kind: &str, description: &str, plain: &[&str], secret: &[&str]) -> Schema {
    let mut object = ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Object))
        .description(Some(description))
        .property("type", string().enum_values(Some([kind])))
        .required("type")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for field in plain {
        object = object
            .property(
                *field,
                string()
                    .min_length(Some(1))
                    .pattern(Some(crate::text::MULTILINE)),
            )
            .required(*field);
    }
    for field in secret {
        let schema = string()
            .min_length(Some(1))
            .pattern(Some(crate::text::MULTILINE))
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Password,
            )))
            .write_only(Some(true));
        object = object.property(*field, schema).required(*field);
    }
    object.build().into()
}

impl PartialSchema for AuthBody {
    fn schema() -> RefOr<Schema> {
        let mut one_of = OneOfBuilder::new()
            .description(Some("Credentials for a registry, told apart by `type`."));
        for (name, _, _, _, _) in AUTH_VARIANTS {
            one_of = one_of.item(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name)));
        }
        let mapping = AUTH_VARIANTS
            .iter()
            .map(|(name, kind, _, _, _)| (*kind, format!("#/components/schemas/{name}")));
        let one_of = one_of
            .discriminator(Some(Discriminator::with_mapping("type", mapping)))
            .build();
        RefOr::T(Schema::OneOf(one_of))
    }
}

impl ToSchema for AuthBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AuthBody")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for (name, kind, description, plain, secret) in AUTH_VARIANTS {
            schemas.push((
                name.to_owned(),
                auth_variant(kind, description, plain, secret).into(),
            ));
        }
    }
}

/// Release metadata: at most 64 pairs; keys 1-128 characters without control characters; values
/// strings of at most 2048 characters. (Schema only: the field is a `BTreeMap<String, String>`.)
pub struct Metadata;

impl PartialSchema for Metadata {
    fn schema() -> RefOr<Schema> {
        let key = string()
            .min_length(Some(1))
            .max_length(Some(128))
            .pattern(Some(crate::text::LINE));
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Object))
            .description(Some(
                "Free-form string pairs: at most 64; keys 1-128 characters without control \
                 characters; values at most 2048 characters.",
            ))
            .max_properties(Some(64))
            .property_names(Some(key))
            .additional_properties(Some(
                string()
                    .max_length(Some(2048))
                    .pattern(Some(crate::text::MULTILINE)),
            ))
            .build()
            .into()
    }
}

impl ToSchema for Metadata {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Metadata")
    }
}

/// An OpenAPI 3.1 document: what `GET /openapi.json` answers. (Schema only.)
pub struct OpenApiDocument;

impl PartialSchema for OpenApiDocument {
    fn schema() -> RefOr<Schema> {
        let object = || ObjectBuilder::new().schema_type(SchemaType::new(Type::Object));
        object()
            .description(Some(
                "An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0).",
            ))
            .property("openapi", string().pattern(Some(r"^3\.1\.[0-9]+$")))
            .required("openapi")
            .property(
                "info",
                object()
                    .property("title", string())
                    .property("version", string())
                    .required("title")
                    .required("version"),
            )
            .required("info")
            .property("paths", object())
            .required("paths")
            .property("components", object())
            .property(
                "tags",
                utoipa::openapi::schema::ArrayBuilder::new().items(object()),
            )
            .build()
            .into()
    }
}

impl ToSchema for OpenApiDocument {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("OpenApiDocument")
    }
}
