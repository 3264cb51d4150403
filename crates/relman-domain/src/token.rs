//! Scoped API tokens: who may call the API, and for what.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a token may do. Each scope includes the ones below it: `admin` ⊃ `write` ⊃ `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Every read (`GET`) except the admin-only resources.
    Read,
    /// Reads and changes to components, version maps, releases, environments and deployments.
    Write,
    /// Everything, including tokens, registry integrations and signing keys.
    Admin,
}

impl Scope {
    /// Every scope, weakest first.
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Admin];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// Parses the wire and storage name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// The next weaker scope, if any.
    pub fn weaker(self) -> Option<Self> {
        match self {
            Self::Read => None,
            Self::Write => Some(Self::Read),
            Self::Admin => Some(Self::Write),
        }
    }
}

/// A token's scopes; a set of them grants the strongest one it holds.
pub fn strongest(scopes: &[Scope]) -> Option<Scope> {
    scopes.iter().copied().max()
}

/// The prefix of every token relman issues, so that secret scanners can recognise a leaked one.
pub const TOKEN_PREFIX: &str = "relman_pat_";

/// An API token as stored: never the secret, only what describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// A label chosen by its creator, unique among live tokens.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Who created it (the audit actor).
    pub created_by: String,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it last authenticated a request (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked token never authenticates again.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Its request budget, if limited.
    pub requests_per_second: Option<f64>,
}

impl ApiToken {
    /// Whether the token authenticates requests at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| t > now)
    }

    /// Whether it grants `needed`.
    pub fn grants(&self, needed: Scope) -> bool {
        strongest(&self.scopes).is_some_and(|s| s >= needed)
    }

    /// The name recorded as the actor of what it does: `token:<name>:<id>`.
    pub fn actor_name(&self) -> String {
        format!("token:{}:{}", self.name, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(scopes: &[Scope]) -> ApiToken {
        ApiToken {
            id: Uuid::nil(),
            name: "ci".into(),
            scopes: scopes.to_vec(),
            created_at: DateTime::UNIX_EPOCH,
            created_by: "admin".into(),
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
            requests_per_second: None,
        }
    }

    #[test]
    fn stronger_scopes_include_weaker_ones() {
        let cases = [
            (vec![Scope::Read], Scope::Read, true),
            (vec![Scope::Read], Scope::Write, false),
            (vec![Scope::Write], Scope::Read, true),
            (vec![Scope::Write], Scope::Admin, false),
            (vec![Scope::Read, Scope::Admin], Scope::Write, true),
            (vec![], Scope::Read, false),
        ];
        for (scopes, needed, want) in cases {
            assert_eq!(
                token(&scopes).grants(needed),
                want,
                "{scopes:?} → {needed:?}"
            );
        }
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        assert_eq!(Scope::parse("superuser"), None);
        assert_eq!(Scope::Admin.weaker(), Some(Scope::Write));
        assert_eq!(Scope::Read.weaker(), None);
    }

    #[test]
    fn expired_and_revoked_tokens_are_dead() {
        let now = DateTime::from_timestamp(1_000, 0).unwrap();
        let live = token(&[Scope::Read]);
        assert!(live.is_live(now));
        let expired = ApiToken {
            expires_at: Some(now),
            ..live.clone()
        };
        assert!(!expired.is_live(now), "expiry is exclusive");
        let revoked = ApiToken {
            revoked_at: Some(now),
            ..live
        };
        assert!(!revoked.is_live(now));
    }
}
