//! When a release may be deleted.

use std::fmt;

use crate::release::ReleaseStatus;

/// A release that must be kept: deleting it would erase the record of what runs (or ran)
/// somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotDeletable {
    /// The release's status.
    pub status: ReleaseStatus,
}

impl fmt::Display for NotDeletable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            ReleaseStatus::Promoting => f.write_str(
                "a deployment of it is in progress; deprecate it instead of deleting it",
            ),
            _ => f.write_str(
                "it has been deployed, and deployment history must keep its meaning; \
                 deprecate it instead",
            ),
        }
    }
}

impl std::error::Error for NotDeletable {}

/// Checks that a release may be deleted: always while `draft`; otherwise only when it was never
/// deployed anywhere and is not being deployed now.
///
/// `ever_deployed` is the caller's knowledge (it knows the deployment history); a release that is
/// `promoting` or `deployed` is refused whatever the caller says, because its status alone proves
/// a deployment.
pub fn check_deletable(status: ReleaseStatus, ever_deployed: bool) -> Result<(), NotDeletable> {
    let allowed = match status {
        ReleaseStatus::Draft => true,
        ReleaseStatus::Promoting | ReleaseStatus::Deployed => false,
        ReleaseStatus::Ready | ReleaseStatus::Deprecated => !ever_deployed,
    };
    if allowed {
        Ok(())
    } else {
        Err(NotDeletable { status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletion_table() {
        use ReleaseStatus::{Deployed, Deprecated, Draft, Promoting, Ready};
        // (status, ever deployed, allowed)
        let cases = [
            (Draft, false, true),
            (Draft, true, true),
            (Ready, false, true),
            (Ready, true, false),
            (Promoting, false, false),
            (Promoting, true, false),
            (Deployed, false, false),
            (Deployed, true, false),
            (Deprecated, false, true),
            (Deprecated, true, false),
        ];
        for (status, ever_deployed, allowed) in cases {
            let got = check_deletable(status, ever_deployed);
            assert_eq!(
                got.is_ok(),
                allowed,
                "{status} ever_deployed={ever_deployed}"
            );
            if let Err(e) = got {
                assert_eq!(e.status, status);
                assert!(e.to_string().contains("deprecate it"), "{e}");
            }
        }
    }
}
