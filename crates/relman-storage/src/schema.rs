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
        sync_interval_seconds -> Nullable<Integer>,
        record_pushed_at -> Bool,
        latest_alias -> Text,
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
        sort_key -> Text,
        yanked_at -> Nullable<BigInt>,
        yank_reason -> Nullable<Text>,
        provenance -> Nullable<Text>,
    }
}

diesel::table! {
    releases (id) {
        id -> Text,
        name -> Text,
        display_name -> Text,
        status -> Text,
        digest -> Text,
        version -> Nullable<Text>,
        notes -> Nullable<Text>,
        prerelease -> Bool,
        metadata -> Text,
        source_ref -> Nullable<Text>,
        component_count -> Integer,
        created_at -> BigInt,
        created_by -> Text,
        updated_at -> BigInt,
        deprecated_reason -> Nullable<Text>,
        version_sort_key -> Text,
    }
}

diesel::table! {
    release_members (release_id, component_id) {
        release_id -> Text,
        component_id -> Text,
        position -> Integer,
        component_name -> Text,
        image_repository -> Text,
        tag -> Text,
        version -> Nullable<Text>,
        digest -> Text,
        channel -> Nullable<Text>,
        platforms -> Text,
        release_created_at -> BigInt,
        provenance -> Nullable<Text>,
    }
}

diesel::joinable!(component_versions -> components (component_id));
diesel::joinable!(release_members -> releases (release_id));
diesel::joinable!(release_members -> components (component_id));
diesel::allow_tables_to_appear_in_same_query!(
    components,
    component_versions,
    releases,
    release_members
);

diesel::table! {
    registry_integrations (id) {
        id -> Text,
        name -> Text,
        url -> Text,
        insecure -> Bool,
        auth_type -> Text,
        username -> Nullable<Text>,
        secret -> Nullable<Text>,
        max_concurrency -> Nullable<Integer>,
        requests_per_second -> Nullable<Double>,
        created_at -> BigInt,
        updated_at -> BigInt,
        push_attestations -> Bool,
        event_secret -> Nullable<Text>,
    }
}

diesel::table! {
    version_retags (id) {
        id -> Text,
        component_id -> Text,
        tag -> Text,
        old_digest -> Text,
        new_digest -> Text,
        detected_at -> BigInt,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        occurred_at -> BigInt,
        actor -> Text,
        action -> Text,
        resource_type -> Text,
        resource_id -> Text,
        request_id -> Nullable<Text>,
        summary -> Text,
    }
}

diesel::table! {
    environments (id) {
        id -> Text,
        name -> Text,
        display_name -> Text,
        sort_order -> Integer,
        requires_previous -> Bool,
        current_deployment_id -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    deployments (id) {
        id -> Text,
        release_id -> Text,
        environment_id -> Text,
        status -> Text,
        message -> Nullable<Text>,
        started_at -> BigInt,
        started_by -> Text,
        completed_at -> Nullable<BigInt>,
        completed_by -> Nullable<Text>,
    }
}

diesel::joinable!(deployments -> releases (release_id));
diesel::joinable!(deployments -> environments (environment_id));
diesel::allow_tables_to_appear_in_same_query!(deployments, environments, releases);

diesel::table! {
    api_tokens (id) {
        id -> Text,
        name -> Text,
        token_sha256 -> Text,
        scopes -> Text,
        created_at -> BigInt,
        created_by -> Text,
        expires_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        requests_per_second -> Nullable<Double>,
    }
}

diesel::table! {
    signing_keys (keyid) {
        keyid -> Text,
        algorithm -> Text,
        public_key -> Text,
        private_key -> Text,
        status -> Text,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    release_attestations (release_id) {
        release_id -> Text,
        keyid -> Text,
        envelope -> Text,
        signed_at -> BigInt,
    }
}

diesel::table! {
    release_attachments (release_id, image, subject_digest) {
        release_id -> Text,
        subject_digest -> Text,
        image -> Text,
        integration_id -> Text,
        repository -> Text,
        status -> Text,
        via -> Nullable<Text>,
        artifact_digest -> Nullable<Text>,
        message -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    release_assets (id) {
        id -> Text,
        release_id -> Text,
        name -> Text,
        label -> Nullable<Text>,
        content_type -> Text,
        state -> Text,
        size -> BigInt,
        sha256 -> Nullable<Text>,
        download_count -> BigInt,
        created_at -> BigInt,
        created_by -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    sync_jobs (id) {
        id -> Text,
        component_id -> Text,
        status -> Text,
        phase -> Text,
        done -> BigInt,
        total -> BigInt,
        result -> Nullable<Text>,
        error -> Nullable<Text>,
        created_by -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(release_assets -> releases (release_id));
diesel::allow_tables_to_appear_in_same_query!(release_assets, releases);

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        description -> Text,
        secret_sealed -> Text,
        active -> Bool,
        disabled_reason -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_subscriptions (event_type, webhook_id) {
        event_type -> Text,
        webhook_id -> Text,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        event_type -> Text,
        occurred_at -> BigInt,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        last_attempt_at -> Nullable<BigInt>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        lease_until -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::joinable!(webhook_subscriptions -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_subscriptions, webhook_deliveries);

diesel::table! {
    dashboard_sessions (id) {
        id -> Text,
        actor -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}
