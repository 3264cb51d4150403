//! A release create on PostgreSQL as one statement: the release, its members, its audit event and
//! the webhook deliveries of its notices in data-modifying CTEs.
//!
//! One statement is atomic by itself, so it needs no `BEGIN` and `COMMIT`: a create costs one
//! round trip instead of five, and no row lock is held while the client is away between
//! statements. Constraint checks (the name's uniqueness, the members' foreign keys, which see the
//! release inserted beside them because they run at the end of the statement) fail the whole
//! statement exactly as they fail the transaction on SQLite, so callers see the same
//! [`StorageError`]s.

use diesel::RunQueryDsl;
use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};

use crate::audit::AuditRow;
use crate::error::StorageError;
use crate::prepared::Prepared;
use crate::release_rows::{MemberRow, ReleaseRow};

const RELEASE_COLUMNS: &str = "id, name, display_name, status, digest, version, notes, prerelease, \
     metadata, source_ref, component_count, created_at, created_by, updated_at, \
     deprecated_reason, version_sort_key";
const MEMBER_COLUMNS: &str = "release_id, component_id, position, component_name, \
     image_repository, tag, version, digest, channel, platforms, release_created_at, provenance";
const AUDIT_COLUMNS: &str =
    "id, occurred_at, actor, action, resource_type, resource_id, request_id, summary";

/// `($n, $n+1, …)` for `count` parameters starting after `*next - 1`.
fn placeholders(next: &mut usize, count: usize) -> String {
    let list: Vec<String> = (0..count).map(|i| format!("${}", *next + i)).collect();
    *next += count;
    format!("({})", list.join(", "))
}

/// The statement's text for `members` member rows and `notices` webhook notices. Each notice
/// inserts one delivery per active subscribed webhook, the subscription lookup being part of the
/// same statement; the statement answers how many deliveries it queued.
fn statement(members: usize, notices: usize) -> String {
    let mut next = 1;
    let release = placeholders(&mut next, 16);
    let rows: Vec<String> = (0..members).map(|_| placeholders(&mut next, 12)).collect();
    let audit = placeholders(&mut next, 8);
    let members = if rows.is_empty() {
        String::new()
    } else {
        format!(
            "m AS (INSERT INTO release_members ({MEMBER_COLUMNS}) VALUES {}), ",
            rows.join(", ")
        )
    };
    let mut deliveries = String::new();
    let mut counts = vec!["0::bigint".to_owned()];
    for i in 0..notices {
        let (event_id, kind, at, payload) = (next, next + 1, next + 2, next + 3);
        next += 4;
        deliveries.push_str(&format!(
            ", n{i} AS (INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) \
             SELECT gen_random_uuid()::text, s.webhook_id, ${event_id}, ${kind}, ${at}, \
             ${payload}, 'pending', 0, ${at}, ${at} FROM webhook_subscriptions s \
             JOIN webhooks w ON w.id = s.webhook_id WHERE s.event_type = ${kind} AND w.active \
             RETURNING 1)"
        ));
        counts.push(format!("(SELECT count(*) FROM n{i})"));
    }
    format!(
        "WITH r AS (INSERT INTO releases ({RELEASE_COLUMNS}) VALUES {release}), {members}\
         a AS (INSERT INTO audit_events ({AUDIT_COLUMNS}) VALUES {audit}){deliveries} \
         SELECT {} AS queued",
        counts.join(" + ")
    )
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event_id, event_type, occurred_at, payload, \
     status, attempts, next_attempt_at, created_at";

/// One webhook notice of the release's event, as the statement binds it.
pub(crate) struct NoticeParams {
    pub(crate) event_id: String,
    pub(crate) event_type: &'static str,
    pub(crate) occurred_at: i64,
    pub(crate) payload: String,
}

#[derive(diesel::QueryableByName)]
struct Queued {
    #[diesel(sql_type = BigInt)]
    queued: i64,
}

type Query = BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery>;

fn bind_release(q: Query, r: &ReleaseRow) -> Query {
    q.bind::<Text, _>(r.id.clone())
        .bind::<Text, _>(r.name.clone())
        .bind::<Text, _>(r.display_name.clone())
        .bind::<Text, _>(r.status.clone())
        .bind::<Text, _>(r.digest.clone())
        .bind::<Nullable<Text>, _>(r.version.clone())
        .bind::<Nullable<Text>, _>(r.notes.clone())
        .bind::<Bool, _>(r.prerelease)
        .bind::<Text, _>(r.metadata.clone())
        .bind::<Nullable<Text>, _>(r.source_ref.clone())
        .bind::<Integer, _>(r.component_count)
        .bind::<BigInt, _>(r.created_at)
        .bind::<Text, _>(r.created_by.clone())
        .bind::<BigInt, _>(r.updated_at)
        .bind::<Nullable<Text>, _>(r.deprecated_reason.clone())
        .bind::<Text, _>(r.version_sort_key.clone())
}

fn bind_member(q: Query, m: &MemberRow) -> Query {
    q.bind::<Text, _>(m.release_id.clone())
        .bind::<Text, _>(m.component_id.clone())
        .bind::<Integer, _>(m.position)
        .bind::<Text, _>(m.component_name.clone())
        .bind::<Text, _>(m.image_repository.clone())
        .bind::<Text, _>(m.tag.clone())
        .bind::<Nullable<Text>, _>(m.version.clone())
        .bind::<Text, _>(m.digest.clone())
        .bind::<Nullable<Text>, _>(m.channel.clone())
        .bind::<Text, _>(m.platforms.clone())
        .bind::<BigInt, _>(m.release_created_at)
        .bind::<Nullable<Text>, _>(m.provenance.clone())
}

fn bind_audit(q: Query, a: &AuditRow) -> Query {
    q.bind::<Text, _>(a.id.clone())
        .bind::<BigInt, _>(a.occurred_at)
        .bind::<Text, _>(a.actor.clone())
        .bind::<Text, _>(a.action.clone())
        .bind::<Text, _>(a.resource_type.clone())
        .bind::<Text, _>(a.resource_id.clone())
        .bind::<Nullable<Text>, _>(a.request_id.clone())
        .bind::<Text, _>(a.summary.clone())
}

/// Members beyond which the create falls back to the transaction (a statement binds at most
/// 65,535 parameters: 16 + 8 + 11 per member).
pub(crate) const MAX_ONE_STATEMENT_MEMBERS: usize = 5_000;

/// Releases of up to this many members keep their insert statement prepared per connection
/// (one statement text per member count).
const MAX_CACHED_MEMBERS: usize = 64;
/// Notices per release up to which the insert stays prepared (a create has one).
const MAX_CACHED_NOTICES: usize = 4;

/// Inserts the release, its members and its audit event in one statement.
pub(crate) fn insert_release(
    pg: &mut PgConnection,
    release: &ReleaseRow,
    members: &[MemberRow],
    audit: &AuditRow,
    notices: &[NoticeParams],
) -> Result<(), StorageError> {
    let mut q = diesel::sql_query(statement(members.len(), notices.len())).into_boxed::<Pg>();
    q = bind_release(q, release);
    for m in members {
        q = bind_member(q, m);
    }
    q = bind_audit(q, audit);
    for n in notices {
        q = q
            .bind::<Text, _>(n.event_id.clone())
            .bind::<Text, _>(n.event_type)
            .bind::<BigInt, _>(n.occurred_at)
            .bind::<Text, _>(n.payload.clone());
    }
    // The text depends on the two counts only: kept prepared for the usual small releases.
    let cache = members.len() <= MAX_CACHED_MEMBERS && notices.len() <= MAX_CACHED_NOTICES;
    let queued: Queued = Prepared { query: q, cache }.get_result(pg)?;
    if queued.queued > 0 {
        crate::outbox::mark_queued();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::statement;

    #[test]
    fn numbers_every_parameter_once_in_order() {
        let text = statement(2, 0);
        for n in 1..=48 {
            assert!(text.contains(&format!("${n})")) || text.contains(&format!("${n},")));
        }
        assert!(!text.contains("$49"));
        assert!(statement(0, 0).contains("a AS (INSERT INTO audit_events"));
        assert!(!statement(0, 0).contains("release_members"));
        let with_notice = statement(0, 1);
        assert!(with_notice.contains("n0 AS (INSERT INTO webhook_deliveries"));
        assert!(with_notice.contains("$28") && !with_notice.contains("$29"));
    }
}
