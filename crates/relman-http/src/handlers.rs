//! One module per resource; handlers parse, call the service, and map.

pub mod components;
pub mod meta;
pub mod version_maps;
