//! A hand-written PostgreSQL statement kept prepared on its connection.
//!
//! diesel never caches a `sql_query`: its text could be built from anything. The statements of a
//! release create are built from a member and notice count only, so their text repeats, and
//! parsing and planning them again for every create costs the backend more than executing them.
//! Wrapped in [`Prepared`], diesel's statement cache keys them by their text (and bind types)
//! like any other query, and later executions skip straight to bind and execute.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// `query`, cached by its SQL text when `cache` holds.
pub(crate) struct Prepared<Q> {
    pub(crate) query: Q,
    /// Only statements whose text comes from a small, bounded set (the cache never evicts).
    pub(crate) cache: bool,
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(self.cache)
    }
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // No static id: the cache key is the statement's text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for Prepared<Q> {}
