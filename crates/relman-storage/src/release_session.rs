//! A release create's reads and its insert on one pooled connection, in one blocking hand-off.
//!
//! Creating a release reads the members' components and each member's candidate versions, lets
//! the domain choose, then inserts. Done as separate store calls, each is a pool checkout and a
//! hand-off to a blocking thread, and on PostgreSQL every query is one more wake-up of a backend
//! sharing the same cores. A [`ReleaseSession`] lends the caller one connection for all of it
//! ([`crate::Store::release_session`]); on PostgreSQL the reads are one statement and the insert
//! another (`release_insert_pg.rs`), both kept prepared, so a create is two round trips.
//!
//! Nothing here spans a transaction: the reads are plain snapshots, as they were as separate
//! calls, and the insert is atomic by itself. A component deleted between read and insert fails
//! the insert on its foreign key; a name taken meanwhile fails it on the unique constraint.

use diesel::RunQueryDsl;
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use relman_domain::{AuditEvent, Component, ComponentVersion, NO_SEMVER_KEY, Release};
use uuid::Uuid;

use crate::candidates::{Candidates, candidates_of};
use crate::components::ComponentRow;
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::prepared::Prepared;
use crate::versions::{VersionFilter, VersionRecord};

/// How a member names its component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentKey {
    /// By id.
    Id(Uuid),
    /// By name (a valid component name; anything else cannot exist and is not asked for).
    Name(String),
}

/// One member's reads: its component and which of that component's versions can answer it.
#[derive(Debug, Clone)]
pub struct MemberQuery {
    /// The component.
    pub key: ComponentKey,
    /// Its candidate versions.
    pub candidates: Candidates,
}

/// A member's component and its candidate versions, as [`ReleaseSession::members`] read them.
pub type MemberRead = (Component, Vec<ComponentVersion>);

/// One pooled connection lent to a release create (see the module documentation).
pub struct ReleaseSession<'a> {
    conn: &'a mut DbConnection,
    outbox: &'a tokio::sync::Notify,
    /// A query found the connection dead: the pool must not hand it out again.
    pub(crate) broken: bool,
}

impl<'a> ReleaseSession<'a> {
    pub(crate) fn new(conn: &'a mut DbConnection, outbox: &'a tokio::sync::Notify) -> Self {
        Self {
            conn,
            outbox,
            broken: false,
        }
    }

    fn note<T>(&mut self, result: Result<T, StorageError>) -> Result<T, StorageError> {
        if matches!(result, Err(StorageError::Unavailable(_))) {
            self.broken = true;
        }
        result
    }

    /// For each query, in order, the component its key names with that component's candidate
    /// versions; `None` where no component has that key. One statement on PostgreSQL (up to
    /// 5,000 members); on SQLite (in-process) one query for the components and one or two per
    /// member.
    pub fn members(
        &mut self,
        queries: &[MemberQuery],
    ) -> Result<Vec<Option<MemberRead>>, StorageError> {
        let result = match &mut *self.conn {
            DbConnection::Postgres(pg) if queries.len() <= MAX_ONE_STATEMENT_MEMBERS => {
                members_pg(pg, queries)
            }
            conn => members_each(conn, queries),
        };
        self.note(result)
    }

    /// Every version of a component, gone ones included, in list order: what explains a digest
    /// that matched no present version (read on that failure only).
    pub fn all_versions(&mut self, component: Uuid) -> Result<Vec<ComponentVersion>, StorageError> {
        let filter = VersionFilter {
            component_id: Some(component),
            include_gone: true,
            ..Default::default()
        };
        let result = crate::versions::ordered(&filter, None)
            .select(VersionRecord::as_select())
            .load(&mut *self.conn)
            .map_err(StorageError::from)
            .and_then(|rows| rows.into_iter().map(ComponentVersion::try_from).collect());
        self.note(result)
    }

    /// Inserts the release, its members and its audit event (with its webhook deliveries)
    /// atomically, as [`crate::Store::insert_release`] does.
    pub fn insert_release(
        &mut self,
        release: &Release,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let result = crate::releases::insert_release_on(self.conn, release, event);
        // Deliveries queued by a write that committed: wake the worker now.
        if crate::outbox::take_queued() && result.is_ok() {
            self.outbox.notify_one();
        }
        self.note(result)
    }
}

/// The portable reads: the components in one query, then each member's candidates.
fn members_each(
    conn: &mut DbConnection,
    queries: &[MemberQuery],
) -> Result<Vec<Option<MemberRead>>, StorageError> {
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for q in queries {
        match &q.key {
            ComponentKey::Id(id) => ids.push(*id),
            ComponentKey::Name(name) => names.push(name.clone()),
        }
    }
    let found = crate::releases::components_by_keys_on(conn, ids, names)?;
    let mut out = Vec::with_capacity(queries.len());
    for q in queries {
        let component = found.iter().find(|c| match &q.key {
            ComponentKey::Id(id) => c.id == *id,
            ComponentKey::Name(name) => c.name.as_str() == name,
        });
        out.push(match component {
            Some(c) => Some((c.clone(), candidates_of(conn, c, &q.candidates)?)),
            None => None,
        });
    }
    Ok(out)
}

/// The reads of every member in one statement: per member (`w.i`), the component its key names
/// (as JSON) and the JSON array of its candidate rows. Each branch of the lateral union is gated
/// by the member's kind, so only one runs per member, as an index search of its own:
/// `(component_id, sort_key DESC, tag)` for `k`, the digest index for `d`, and
/// `(component_id, channel, sort_key DESC, tag)` twice for `c` (the channel's top present key,
/// then its rows), exactly the queries of [`candidates_of`]. The members are a `VALUES` list of
/// four parameters each (not arrays): its row count is then part of the statement, so the
/// generic plan costs what a custom one does and PostgreSQL keeps it instead of planning every
/// execution again.
const MEMBERS_SQL_HEAD: &str = "SELECT w.i AS member, to_json(c)::text AS component, \
coalesce((SELECT json_agg(v)::text FROM ( \
SELECT * FROM component_versions k WHERE w.kind = 'k' AND k.component_id = c.id \
AND k.sort_key = w.arg \
UNION ALL SELECT * FROM component_versions d WHERE w.kind = 'd' AND d.component_id = c.id \
AND d.digest = w.arg \
UNION ALL SELECT * FROM component_versions p WHERE w.kind = 'c' AND p.component_id = c.id \
AND p.channel = coalesce(w.arg, c.default_channel) AND NOT p.gone AND p.yanked_at IS NULL \
AND p.sort_key = (SELECT t.sort_key FROM component_versions t WHERE t.component_id = c.id \
AND t.channel = coalesce(w.arg, c.default_channel) AND NOT t.gone AND t.yanked_at IS NULL \
AND t.sort_key > $1 ORDER BY t.sort_key DESC LIMIT 1) \
) v), '[]') AS versions \
FROM (VALUES ";

const MEMBERS_SQL_TAIL: &str = ") AS w(i, key_id, key_name, kind, arg) \
CROSS JOIN LATERAL (SELECT * FROM components WHERE id = w.key_id \
UNION ALL SELECT * FROM components WHERE name = w.key_name) c";

/// Members beyond which the reads fall back to the portable queries (a statement binds at most
/// 65,535 parameters: 1 + 4 per member).
const MAX_ONE_STATEMENT_MEMBERS: usize = 5_000;

/// Releases of up to this many members keep their read statement prepared per connection (one
/// statement text per member count).
const MAX_CACHED_MEMBERS: usize = 64;

/// The statement's text for `members` members (at least one).
fn members_sql(members: usize) -> String {
    let rows: Vec<String> = (0..members)
        .map(|m| {
            let p = 2 + 4 * m;
            format!(
                "({}, ${p}::text, ${}::text, ${}::text, ${}::text)",
                m + 1,
                p + 1,
                p + 2,
                p + 3
            )
        })
        .collect();
    format!("{MEMBERS_SQL_HEAD}{}{MEMBERS_SQL_TAIL}", rows.join(", "))
}

#[derive(diesel::QueryableByName)]
struct MemberJson {
    #[diesel(sql_type = Integer)]
    member: i32,
    #[diesel(sql_type = Text)]
    component: String,
    #[diesel(sql_type = Text)]
    versions: String,
}

fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

fn members_pg(
    pg: &mut PgConnection,
    queries: &[MemberQuery],
) -> Result<Vec<Option<MemberRead>>, StorageError> {
    if queries.is_empty() {
        return Ok(vec![]);
    }
    let mut query = diesel::sql_query(members_sql(queries.len()))
        .into_boxed::<Pg>()
        .bind::<Text, _>(NO_SEMVER_KEY);
    for q in queries {
        let (id, name) = match &q.key {
            ComponentKey::Id(id) => (Some(id.to_string()), None),
            ComponentKey::Name(name) => (None, Some(name.clone())),
        };
        let (kind, arg) = q.candidates.kind_and_arg();
        query = query
            .bind::<Nullable<Text>, _>(id)
            .bind::<Nullable<Text>, _>(name)
            .bind::<Text, _>(kind)
            .bind::<Nullable<Text>, _>(arg.map(str::to_owned));
    }
    let cache = queries.len() <= MAX_CACHED_MEMBERS;
    let rows: Vec<MemberJson> = Prepared { query, cache }.load(pg)?;
    let mut out: Vec<Option<MemberRead>> = (0..queries.len()).map(|_| None).collect();
    for row in rows {
        let slot = usize::try_from(row.member - 1)
            .ok()
            .and_then(|i| out.get_mut(i))
            .ok_or_else(|| StorageError::Corrupt(format!("member {} read", row.member)))?;
        let component = Component::try_from(json::<ComponentRow>("component", &row.component)?)?;
        let versions = json::<Vec<VersionRecord>>("versions", &row.versions)?
            .into_iter()
            .map(ComponentVersion::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        // A key matches one component at most (ids and names are unique, and a key is one or
        // the other), so each member has one row.
        *slot = Some((component, versions));
    }
    Ok(out)
}
