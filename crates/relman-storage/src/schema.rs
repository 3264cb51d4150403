//! The diesel schema, shared by both backends; ids are UUID text and times unix microseconds.

diesel::table! {
    components (id) {
        id -> Text,
        name -> Text,
        display_name -> Text,
        image_repository -> Text,
        registry_integration_id -> Nullable<Text>,
        versioning_strategy -> Text,
        default_channel -> Text,
        tag_pattern -> Nullable<Text>,
        channel_rules -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    component_versions (id) {
        id -> Text,
        component_id -> Text,
        tag -> Text,
        digest -> Text,
        semver -> Nullable<Text>,
        channel -> Nullable<Text>,
        source -> Text,
        platforms -> Text,
        pushed_at -> Nullable<BigInt>,
        first_seen_at -> BigInt,
        updated_at -> BigInt,
        gone -> Bool,
    }
}

diesel::joinable!(component_versions -> components (component_id));
diesel::allow_tables_to_appear_in_same_query!(components, component_versions);
