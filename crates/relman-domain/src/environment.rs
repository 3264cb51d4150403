//! Environments: the ordered places a release is promoted through (development → staging →
//! production).

use chrono::{DateTime, Utc};
use uuid::Uuid;

crate::slug::slug_name!(
    /// An environment's name: a slug `[a-z0-9][a-z0-9-]{0,62}`, unique, usable in paths in place
    /// of its id.
    EnvironmentName
);

/// A place releases are deployed to. Environments are ordered by `order` (unique); promotion
/// usually climbs that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// Unique slug.
    pub name: EnvironmentName,
    /// Human-readable name (`Production`); what the release state calls `environmentName`.
    pub display_name: String,
    /// Position in the promotion path; unique, lower comes first.
    pub order: i32,
    /// A release must have been deployed in the previous environment (the one with the next
    /// lower `order`) before it may be promoted here.
    pub requires_previous: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The environment just before `target` in the promotion path: the one with the highest `order`
/// below `target.order`. `None` for the first environment.
pub fn previous_environment<'a>(
    environments: impl IntoIterator<Item = &'a Environment>,
    target: &Environment,
) -> Option<&'a Environment> {
    environments
        .into_iter()
        .filter(|e| e.order < target.order)
        .max_by_key(|e| (e.order, e.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::id_of;

    fn env(name: &str, order: i32) -> Environment {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        Environment {
            id: id_of(name),
            name: name.parse().unwrap(),
            display_name: name.to_uppercase(),
            order,
            requires_previous: false,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn names_table() {
        let cases = [
            ("production", true),
            ("eu-west-1", true),
            ("0", true),
            ("", false),
            ("Production", false),
            ("-dev", false),
            ("dev env", false),
            ("0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e", false),
        ];
        for (name, ok) in cases {
            let got = name.parse::<EnvironmentName>();
            assert_eq!(got.is_ok(), ok, "{name:?}");
            if let Err(e) = got {
                assert_eq!(e.errors[0].field, "name");
            }
        }
        assert_eq!(
            "a".repeat(63)
                .parse::<EnvironmentName>()
                .unwrap()
                .as_str()
                .len(),
            63
        );
        assert!("a".repeat(64).parse::<EnvironmentName>().is_err());
    }

    #[test]
    fn previous_is_the_next_lower_order() {
        let envs = [
            env("prod", 30),
            env("dev", 10),
            env("staging", 20),
            env("qa", 15),
        ];
        let previous = |name: &str| {
            let target = envs.iter().find(|e| e.name.as_str() == name).unwrap();
            previous_environment(&envs, target).map(|e| e.name.as_str())
        };
        assert_eq!(previous("dev"), None);
        assert_eq!(previous("qa"), Some("dev"));
        assert_eq!(previous("staging"), Some("qa"));
        assert_eq!(previous("prod"), Some("staging"));
        // An environment not (yet) in the list still finds its place by order.
        assert_eq!(
            previous_environment(&envs, &env("canary", 25)).map(|e| e.name.as_str()),
            Some("staging")
        );
    }
}
