//! HTTP tests: the real routes in-process, over a fresh database per test (SQLite and PostgreSQL).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod access;
mod assets;
mod audit;
mod components;
mod docs_page;
mod environments;
mod errors;
mod feeds;
mod integrations;
mod list_paging;
mod meta;
mod metrics;
mod openapi_spec;
mod read_caches;
mod registry_clients;
mod release_etags;
mod release_fixtures;
mod release_lifecycle;
mod release_notes;
mod releases;
mod reliability;
mod signing;
mod support;
mod sync;
mod sync_jobs;
mod sync_requests;
mod text_patterns;
mod version_maps;
mod version_pages;
mod webhooks;
