//! One module per resource; handlers parse, call the service, and map.

pub mod audit;
pub mod components;
pub mod deployments;
pub mod environments;
pub mod integrations;
pub mod meta;
pub mod metrics;
pub mod releases;
pub mod tokens;
pub mod version_maps;
