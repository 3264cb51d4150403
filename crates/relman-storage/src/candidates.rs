//! The few versions of a component that can answer a release member's selector, found by index
//! instead of loading every version of the component.

use diesel::prelude::*;
use relman_domain::{Component, ComponentVersion, NO_SEMVER_KEY};

use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::schema::component_versions as cv;
use crate::versions::VersionRecord;

/// Which of a component's versions a selector can choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidates {
    /// Every version (gone ones included) whose sort key is this: equal key means equal semver
    /// precedence, so these are exactly the versions a `version` selector matches.
    SortKey(String),
    /// Every version (gone ones included) with this digest.
    Digest(String),
    /// The present, unyanked versions with a semver in this channel whose precedence is the
    /// channel's highest: all of them, since ties are decided by the domain (a manual map wins).
    TopOfChannel(String),
    /// [`Candidates::TopOfChannel`] of the component's own default channel.
    TopOfDefaultChannel,
}

impl Candidates {
    /// The kind and argument the one-statement PostgreSQL read binds (`release_session.rs`):
    /// `k` sort key, `d` digest, `c` top of a channel (the default channel when `None`).
    pub(crate) fn kind_and_arg(&self) -> (&'static str, Option<&str>) {
        match self {
            Self::SortKey(key) => ("k", Some(key)),
            Self::Digest(digest) => ("d", Some(digest)),
            Self::TopOfChannel(channel) => ("c", Some(channel)),
            Self::TopOfDefaultChannel => ("c", None),
        }
    }
}

/// The versions of `component` that `candidates` names: one or two indexed queries, each
/// returning a handful of rows.
pub(crate) fn candidates_of(
    conn: &mut DbConnection,
    component: &Component,
    candidates: &Candidates,
) -> Result<Vec<ComponentVersion>, StorageError> {
    let component_id = component.id.to_string();
    let of_component = cv::table
        .filter(cv::component_id.eq(component_id.clone()))
        .into_boxed();
    let rows: Vec<VersionRecord> = match candidates {
        Candidates::SortKey(key) => of_component
            .filter(cv::sort_key.eq(key.clone()))
            .select(VersionRecord::as_select())
            .load(conn)?,
        Candidates::Digest(digest) => of_component
            .filter(cv::digest.eq(digest.clone()))
            .select(VersionRecord::as_select())
            .load(conn)?,
        Candidates::TopOfChannel(_) | Candidates::TopOfDefaultChannel => {
            let channel = match candidates {
                Candidates::TopOfChannel(channel) => channel.clone(),
                _ => component.default_channel.to_string(),
            };
            // Served by (component_id, channel, sort_key DESC, tag): the first present row is
            // the highest key; then every present row with that key.
            let present = || {
                cv::table
                    .filter(cv::component_id.eq(component_id.clone()))
                    .filter(cv::channel.eq(channel.clone()))
                    .filter(cv::gone.eq(false))
                    .filter(cv::yanked_at.is_null())
                    .filter(cv::sort_key.gt(NO_SEMVER_KEY))
            };
            let top: Option<String> = present()
                .order(cv::sort_key.desc())
                .select(cv::sort_key)
                .first(conn)
                .optional()?;
            match top {
                None => vec![],
                Some(key) => present()
                    .filter(cv::sort_key.eq(key))
                    .select(VersionRecord::as_select())
                    .load(conn)?,
            }
        }
    };
    rows.into_iter().map(ComponentVersion::try_from).collect()
}
