//! Generated release notes: what changed since the previous release, from the member snapshots
//! and the images' provenance labels (the domain's `generate_notes` writes the text).

use relman_domain::{Actor, NotesRelease, Release, generate_notes};

use crate::Service;
use crate::error::ServiceError;
use crate::release_input::ReleasePatch;

/// Generated notes and what they compare with.
#[derive(Debug, Clone)]
pub struct GeneratedNotes {
    /// The Markdown text.
    pub notes: String,
    /// The release compared with; `None` for a first release.
    pub previous: Option<Release>,
    /// The release, with the notes written into it when they were applied.
    pub release: Release,
}

impl Service {
    /// Notes for release `key` compared with `previous` (a release id or name; by default the
    /// highest non-draft release with a lower version, or without a version the non-draft
    /// release created just before). With `apply`, the notes replace the release's `notes`
    /// (notes stay editable in every status, as with `PUT /releases/{id}`).
    pub async fn generate_release_notes(
        &self,
        actor: &Actor,
        key: &str,
        previous: Option<&str>,
        apply: bool,
    ) -> Result<GeneratedNotes, ServiceError> {
        let release = self.release(key).await?;
        let previous = match previous {
            Some(other) => Some(self.release(other).await?),
            None => match self.store.previous_release_id(&release).await? {
                Some(id) => Some(self.release(&id.to_string()).await?),
                None => None,
            },
        };
        let notes = generate_notes(
            NotesRelease {
                name: release.name.as_str(),
                members: &release.members,
            },
            previous.as_ref().map(|p| NotesRelease {
                name: p.name.as_str(),
                members: &p.members,
            }),
        );
        let release = if apply {
            let patch = ReleasePatch {
                notes: Some(Some(notes.clone())),
                ..ReleasePatch::default()
            };
            self.update_release(actor, &release.id.to_string(), patch)
                .await?
        } else {
            release
        };
        Ok(GeneratedNotes {
            notes,
            previous,
            release,
        })
    }
}
