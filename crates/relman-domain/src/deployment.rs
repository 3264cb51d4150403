//! Deployments: the record of a release being promoted to an environment, and what follows from
//! those records (a release's status, its state per environment).
//!
//! relman does not deploy anything; a CD tool does, and tells relman how it went. A deployment is
//! opened by a promotion (`in_progress`) and closed once (`succeeded` or `failed`). The release
//! that runs in an environment is the one of its latest successful deployment there.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::environment::Environment;
use crate::error::ValidationError;
use crate::release::ReleaseStatus;

/// Where a deployment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeploymentStatus {
    /// Opened by a promotion; the CD tool is at work. At most one per environment.
    InProgress,
    /// Finished well: the release runs in the environment.
    Succeeded,
    /// Finished badly: what ran before still runs.
    Failed,
}

impl DeploymentStatus {
    /// Every status.
    pub const ALL: [Self; 3] = [Self::InProgress, Self::Succeeded, Self::Failed];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// Parses the wire and storage name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

impl fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a CD tool reports a deployment finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentOutcome {
    /// The release runs in the environment.
    Succeeded,
    /// The release does not run there; the previous one still does.
    Failed,
}

impl DeploymentOutcome {
    /// The deployment status the outcome closes a deployment with.
    pub fn status(self) -> DeploymentStatus {
        match self {
            Self::Succeeded => DeploymentStatus::Succeeded,
            Self::Failed => DeploymentStatus::Failed,
        }
    }
}

impl FromStr for DeploymentOutcome {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            other => Err(ValidationError::field(
                "outcome",
                format!("unknown outcome '{other}' (one of succeeded, failed)"),
            )),
        }
    }
}

/// One promotion of a release to an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// The release deployed.
    pub release_id: Uuid,
    /// Where to.
    pub environment_id: Uuid,
    /// Where the deployment is.
    pub status: DeploymentStatus,
    /// What the CD tool said when it finished, if anything.
    pub message: Option<String>,
    /// When the promotion started it.
    pub started_at: DateTime<Utc>,
    /// Who promoted.
    pub started_by: String,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// Who reported the outcome.
    pub completed_by: Option<String>,
}

/// Why a release may not be promoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromotionRefusal {
    /// Still a draft: its members are not frozen or signed yet.
    NotReady,
    /// Deprecated releases are never promoted again.
    Deprecated,
}

impl fmt::Display for PromotionRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotReady => "it is a draft; mark it ready first",
            Self::Deprecated => {
                "it is deprecated; promote another release (an older one rolls back)"
            }
        })
    }
}

impl std::error::Error for PromotionRefusal {}

/// Checks that a release in `status` may be promoted: `ready`, `promoting` (to another
/// environment) and `deployed` may; `draft` and `deprecated` may not.
pub fn check_promotable(status: ReleaseStatus) -> Result<(), PromotionRefusal> {
    match status {
        ReleaseStatus::Draft => Err(PromotionRefusal::NotReady),
        ReleaseStatus::Deprecated => Err(PromotionRefusal::Deprecated),
        ReleaseStatus::Ready | ReleaseStatus::Promoting | ReleaseStatus::Deployed => Ok(()),
    }
}

/// The status a release has given its deployments: `promoting` while any deployment of it is
/// open, else `deployed` once any deployment of it ever succeeded, else `ready`. A deprecated
/// release stays deprecated (a deployment opened before the deprecation may still finish).
///
/// `deployed` is sticky on purpose: the status machine never goes `deployed → ready`, so a
/// release superseded everywhere stays `deployed`, and a failed promotion of a release that ran
/// somewhere before returns it to `deployed`, the status it had without that promotion. Every
/// result is reachable from `current` along [`crate::transition`] when `current` was itself
/// computed by this function.
pub fn release_status_after(
    current: ReleaseStatus,
    any_open: bool,
    ever_succeeded: bool,
) -> ReleaseStatus {
    if current == ReleaseStatus::Deprecated {
        ReleaseStatus::Deprecated
    } else if any_open {
        ReleaseStatus::Promoting
    } else if ever_succeeded {
        ReleaseStatus::Deployed
    } else {
        ReleaseStatus::Ready
    }
}

/// A release's state in one environment (the seed's `state` entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvironmentStatus {
    /// It runs there now.
    Deployed,
    /// It was never deployed there.
    NotDeployed,
    /// A deployment of it there is open.
    Promoting,
    /// Its latest deployment there failed, and it does not run there.
    Failed,
    /// It ran there, and another release (or nothing it knows of) replaced it.
    Superseded,
}

impl EnvironmentStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployed => "deployed",
            Self::NotDeployed => "not_deployed",
            Self::Promoting => "promoting",
            Self::Failed => "failed",
            Self::Superseded => "superseded",
        }
    }
}

impl fmt::Display for EnvironmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A release's state in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentState {
    /// The environment.
    pub environment_id: Uuid,
    /// Its display name.
    pub environment_name: String,
    /// The release's state there.
    pub status: EnvironmentStatus,
    /// When the release was (last) deployed there: for `deployed` and `superseded`.
    pub deployed_at: Option<DateTime<Utc>>,
}

/// Where release `release_id` stands in each environment, in `order`.
///
/// `deployments` are the release's deployments (any environment; others' are ignored);
/// `current` maps an environment to the release running there. Per environment, the first
/// that holds wins: an open deployment → `promoting`; runs there → `deployed`; its latest
/// deployment there failed → `failed`; it succeeded there once → `superseded`; else
/// `not_deployed`.
pub fn release_state(
    release_id: Uuid,
    environments: &[Environment],
    deployments: &[Deployment],
    current: &BTreeMap<Uuid, Uuid>,
) -> Vec<EnvironmentState> {
    let mut ordered: Vec<&Environment> = environments.iter().collect();
    ordered.sort_by_key(|e| (e.order, e.id));
    ordered
        .into_iter()
        .map(|env| {
            let here: Vec<&Deployment> = deployments
                .iter()
                .filter(|d| d.release_id == release_id && d.environment_id == env.id)
                .collect();
            let last_success = here
                .iter()
                .filter(|d| d.status == DeploymentStatus::Succeeded)
                .max_by_key(|d| (d.completed_at, d.started_at, d.id))
                .and_then(|d| d.completed_at);
            let latest = here.iter().max_by_key(|d| (d.started_at, d.id));
            let (status, deployed_at) = if here
                .iter()
                .any(|d| d.status == DeploymentStatus::InProgress)
            {
                (EnvironmentStatus::Promoting, None)
            } else if current.get(&env.id) == Some(&release_id) {
                (EnvironmentStatus::Deployed, last_success)
            } else if latest.is_some_and(|d| d.status == DeploymentStatus::Failed) {
                (EnvironmentStatus::Failed, None)
            } else if last_success.is_some() {
                (EnvironmentStatus::Superseded, last_success)
            } else {
                (EnvironmentStatus::NotDeployed, None)
            };
            EnvironmentState {
                environment_id: env.id,
                environment_name: env.display_name.clone(),
                status,
                deployed_at,
            }
        })
        .collect()
}

/// A deployment with the names a listing shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRecord {
    /// The deployment.
    pub deployment: Deployment,
    /// Its release's name.
    pub release_name: String,
    /// Its environment's display name.
    pub environment_name: String,
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::fixtures::id_of;
    use crate::release::transition;

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

    fn minute(m: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::minutes(m)
    }

    /// A deployment of `release` to `env` started at minute `start`, finished a minute later
    /// unless it is still open.
    fn dep(release: &str, env: &str, start: i64, status: DeploymentStatus) -> Deployment {
        let done = status != DeploymentStatus::InProgress;
        Deployment {
            id: id_of(&format!("{release}/{env}/{start}")),
            release_id: id_of(release),
            environment_id: id_of(env),
            status,
            message: None,
            started_at: minute(start),
            started_by: "tester".into(),
            completed_at: done.then(|| minute(start + 1)),
            completed_by: done.then(|| "cd".into()),
        }
    }

    #[test]
    fn outcomes_and_statuses_parse() {
        assert_eq!("succeeded".parse(), Ok(DeploymentOutcome::Succeeded));
        assert_eq!("failed".parse(), Ok(DeploymentOutcome::Failed));
        for bad in ["", "Succeeded", "in_progress", "ok"] {
            let e = bad.parse::<DeploymentOutcome>().unwrap_err();
            assert_eq!(e.errors[0].field, "outcome", "{bad:?}");
        }
        for s in DeploymentStatus::ALL {
            assert_eq!(DeploymentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DeploymentStatus::parse("done"), None);
        assert_eq!(DeploymentOutcome::Failed.status(), DeploymentStatus::Failed);
    }

    #[test]
    fn promotable_table() {
        use ReleaseStatus::{Deployed, Deprecated, Draft, Promoting, Ready};
        let cases = [
            (Draft, Err(PromotionRefusal::NotReady)),
            (Ready, Ok(())),
            (Promoting, Ok(())),
            (Deployed, Ok(())),
            (Deprecated, Err(PromotionRefusal::Deprecated)),
        ];
        for (status, want) in cases {
            assert_eq!(check_promotable(status), want, "{status}");
        }
        assert!(
            PromotionRefusal::Deprecated
                .to_string()
                .contains("deprecated")
        );
        assert!(
            PromotionRefusal::NotReady
                .to_string()
                .contains("ready first")
        );
    }

    #[test]
    fn status_after_table_follows_the_machine() {
        use ReleaseStatus::{Deployed, Deprecated, Promoting, Ready};
        // (current, any open, ever succeeded, result)
        let cases = [
            (Ready, true, false, Promoting),
            (Deployed, true, true, Promoting),
            (Promoting, true, true, Promoting),
            (Promoting, false, false, Ready),
            (Promoting, false, true, Deployed),
            (Deployed, false, true, Deployed),
            (Deprecated, true, true, Deprecated),
            (Deprecated, false, false, Deprecated),
        ];
        for (current, open, succeeded, want) in cases {
            let got = release_status_after(current, open, succeeded);
            assert_eq!(got, want, "{current} open={open} succeeded={succeeded}");
            assert!(transition(current, got).is_ok(), "{current} -> {got}");
        }
    }

    /// What, the release's deployments, `(environment, release)` running, expected statuses.
    type StateCase<'a> = (
        &'a str,
        Vec<Deployment>,
        Vec<(&'a str, &'a str)>,
        [EnvironmentStatus; 3],
    );

    #[test]
    fn state_table() {
        use DeploymentStatus::{Failed, InProgress, Succeeded};
        use EnvironmentStatus as S;
        let envs = [env("prod", 30), env("dev", 10), env("staging", 20)];
        let cases: Vec<StateCase<'_>> = vec![
            ("nothing anywhere", vec![], vec![], [S::NotDeployed; 3]),
            (
                "deployed in dev, promoting to staging",
                vec![
                    dep("r1", "dev", 1, Succeeded),
                    dep("r1", "staging", 3, InProgress),
                ],
                vec![("dev", "r1")],
                [S::Deployed, S::Promoting, S::NotDeployed],
            ),
            (
                "superseded in dev by r2, failed in staging",
                vec![
                    dep("r1", "dev", 1, Succeeded),
                    dep("r1", "staging", 3, Failed),
                ],
                vec![("dev", "r2")],
                [S::Superseded, S::Failed, S::NotDeployed],
            ),
            (
                "a failed redeploy keeps it deployed where it still runs",
                vec![dep("r1", "dev", 1, Succeeded), dep("r1", "dev", 5, Failed)],
                vec![("dev", "r1")],
                [S::Deployed, S::NotDeployed, S::NotDeployed],
            ),
            (
                "failed, then succeeded: deployed",
                vec![
                    dep("r1", "prod", 1, Failed),
                    dep("r1", "prod", 5, Succeeded),
                ],
                vec![("prod", "r1")],
                [S::NotDeployed, S::NotDeployed, S::Deployed],
            ),
            (
                "rolled back to: deployed again; other releases' records ignored",
                vec![
                    dep("r1", "prod", 1, Succeeded),
                    dep("r2", "prod", 3, Succeeded),
                    dep("r1", "prod", 5, Succeeded),
                ],
                vec![("prod", "r1")],
                [S::NotDeployed, S::NotDeployed, S::Deployed],
            ),
        ];
        for (what, deployments, current, want) in cases {
            let current: BTreeMap<Uuid, Uuid> = current
                .into_iter()
                .map(|(e, r)| (id_of(e), id_of(r)))
                .collect();
            let got = release_state(id_of("r1"), &envs, &deployments, &current);
            let names: Vec<&str> = got.iter().map(|s| s.environment_name.as_str()).collect();
            assert_eq!(names, ["DEV", "STAGING", "PROD"], "{what}: in order");
            let statuses: Vec<S> = got.iter().map(|s| s.status).collect();
            assert_eq!(statuses, want, "{what}");
            for s in &got {
                let dated = matches!(s.status, S::Deployed | S::Superseded);
                assert_eq!(s.deployed_at.is_some(), dated, "{what}: {}", s.status);
            }
        }
        // deployedAt is the latest success there (the rollback), not the first.
        let deployments = [
            dep("r1", "prod", 1, Succeeded),
            dep("r1", "prod", 5, Succeeded),
        ];
        let current = BTreeMap::from([(id_of("prod"), id_of("r1"))]);
        let got = release_state(id_of("r1"), &envs, &deployments, &current);
        assert_eq!(got[2].deployed_at, Some(minute(6)));
        assert_eq!(EnvironmentStatus::NotDeployed.to_string(), "not_deployed");
    }
}
