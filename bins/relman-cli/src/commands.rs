//! The commands, one module per group of nouns.

pub mod catalogue;
pub mod feed;
pub mod releases;
pub mod rollout;
pub mod session;
pub mod webhooks;

use serde::de::DeserializeOwned;

use crate::exit::Failure;

/// A request body from JSON: the wire types validate field names and types the way the server
/// does, so a wrong flag value fails here with the same words.
pub fn body<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Failure> {
    serde_json::from_value(value).map_err(|e| Failure::usage(format!("error: {e}")))
}

/// A JSON object of the flags that were given (absent ones left out, so the server's defaults
/// apply).
#[macro_export]
macro_rules! given {
    ($($key:literal => $value:expr),* $(,)?) => {{
        let mut map = serde_json::Map::new();
        $(
            if let Some(v) = $value {
                map.insert($key.to_owned(), serde_json::json!(v));
            }
        )*
        serde_json::Value::Object(map)
    }};
}
