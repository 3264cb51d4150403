//! The few versions of a component that can answer a release member's selector, found by index
//! instead of loading every version of the component.

use diesel::prelude::*;
use relman_domain::{ComponentVersion, NO_SEMVER_KEY};
use uuid::Uuid;

use crate::error::StorageError;
use crate::schema::component_versions as cv;
use crate::store::Store;
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
}

impl Store {
    /// For each `(component, candidates)` pair, the matching versions of that component. One
    /// pooled connection, one or two indexed queries per pair, each returning a handful of rows.
    pub async fn version_candidates(
        &self,
        wanted: Vec<(Uuid, Candidates)>,
    ) -> Result<Vec<Vec<ComponentVersion>>, StorageError> {
        self.run(move |conn| {
            let mut out = Vec::with_capacity(wanted.len());
            for (component_id, candidates) in wanted {
                let of_component = cv::table
                    .filter(cv::component_id.eq(component_id.to_string()))
                    .into_boxed();
                let rows: Vec<VersionRecord> = match candidates {
                    Candidates::SortKey(key) => of_component
                        .filter(cv::sort_key.eq(key))
                        .select(VersionRecord::as_select())
                        .load(conn)?,
                    Candidates::Digest(digest) => of_component
                        .filter(cv::digest.eq(digest))
                        .select(VersionRecord::as_select())
                        .load(conn)?,
                    Candidates::TopOfChannel(channel) => {
                        // Served by (component_id, channel, sort_key DESC, tag): the first
                        // present row is the highest key; then every present row with that key.
                        let present = || {
                            cv::table
                                .filter(cv::component_id.eq(component_id.to_string()))
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
                out.push(
                    rows.into_iter()
                        .map(ComponentVersion::try_from)
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
            Ok(out)
        })
        .await
    }
}
