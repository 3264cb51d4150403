//! A fresh database per test: a temporary SQLite file, or a new PostgreSQL database that is dropped
//! afterwards.
//!
//! PostgreSQL tests run when `RELMAN_TEST_POSTGRES_URL` names a server (any database on it; a new
//! one is created per test). With `RELMAN_REQUIRE_POSTGRES=1` a missing or unreachable server fails
//! the test instead of skipping it, so CI cannot pass without having run them.

use diesel::{Connection, PgConnection, RunQueryDsl};
use relman_storage::{DatabaseUrl, PoolOptions, Store};
use tempfile::TempDir;

/// Environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "RELMAN_TEST_POSTGRES_URL";
/// Environment variable that turns a missing PostgreSQL into a failure.
pub const REQUIRE_POSTGRES_VAR: &str = "RELMAN_REQUIRE_POSTGRES";

/// A database that exists for one test and is removed when dropped.
pub struct TestDb {
    /// Where to connect.
    pub url: DatabaseUrl,
    /// The URL as a string, for passing to a server process.
    pub url_string: String,
    guard: Guard,
}

enum Guard {
    Sqlite(
        #[expect(
            dead_code,
            reason = "held only so the directory lives as long as the test"
        )]
        TempDir,
    ),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDb {
    /// A SQLite database in a new temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create temp dir");
        let path = dir.path().join("relman.db");
        let url_string = format!("sqlite://{}", path.display());
        Self {
            url: url_string.parse().expect("valid sqlite url"),
            url_string,
            guard: Guard::Sqlite(dir),
        }
    }

    /// A new, empty PostgreSQL database, or `None` when no server is configured and none is required.
    pub fn postgres() -> Option<Self> {
        let required = std::env::var(REQUIRE_POSTGRES_VAR).is_ok_and(|v| v == "1");
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            assert!(
                !required,
                "{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set"
            );
            eprintln!("skipping PostgreSQL: {POSTGRES_URL_VAR} is not set");
            return None;
        };
        let mut admin = match PgConnection::establish(&admin_url) {
            Ok(conn) => conn,
            Err(e) if required => panic!("PostgreSQL at {POSTGRES_URL_VAR} is unreachable: {e}"),
            Err(e) => {
                eprintln!("skipping PostgreSQL: unreachable: {e}");
                return None;
            }
        };
        let name = format!("relman_test_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .expect("create test database");
        let url_string = with_database(&admin_url, &name);
        Some(Self {
            url: url_string.parse().expect("valid postgres url"),
            url_string,
            guard: Guard::Postgres { admin_url, name },
        })
    }

    /// Opens a migrated store on this database.
    pub async fn store(&self) -> Store {
        Store::open(self.url.clone(), PoolOptions::default())
            .await
            .expect("open store")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Guard::Postgres { admin_url, name } = &self.guard
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            // FORCE ends the pool's connections, which may still be open.
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs an async test body once per backend: `backend_tests!(my_test);` expands to a module
/// `my_test` with `sqlite` and `postgres` tests, each calling `my_test(store)` on a fresh database.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::db::TestDb::sqlite();
                super::$name(db.store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::db::TestDb::postgres() else { return };
                super::$name(db.store().await).await;
            }
        }
    )*};
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
