//! The release status machine.

use std::fmt;
use std::str::FromStr;

use crate::error::ValidationError;

/// Where a release is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReleaseStatus {
    /// Being assembled: members and assets may still change.
    Draft,
    /// Frozen and signed; not deployed anywhere yet.
    Ready,
    /// A deployment of the release is in progress.
    Promoting,
    /// Deployed in at least one environment.
    Deployed,
    /// Withdrawn: never promoted again and never "latest", but still readable. Terminal.
    Deprecated,
}

impl ReleaseStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::Ready,
        Self::Promoting,
        Self::Deployed,
        Self::Deprecated,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Ready => "ready",
            Self::Promoting => "promoting",
            Self::Deployed => "deployed",
            Self::Deprecated => "deprecated",
        }
    }

    /// Parses the wire and storage name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Whether members, assets and the attestation are frozen: every status but `draft`.
    pub fn is_frozen(self) -> bool {
        self != Self::Draft
    }
}

impl FromStr for ReleaseStatus {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| {
            ValidationError::field(
                "status",
                format!(
                    "unknown status '{s}' (one of draft, ready, promoting, deployed, deprecated)"
                ),
            )
        })
    }
}

impl fmt::Display for ReleaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status change the machine does not allow; [`TransitionError::reason`] says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    /// The current status.
    pub from: ReleaseStatus,
    /// The status asked for.
    pub to: ReleaseStatus,
}

impl TransitionError {
    /// Why the change is refused, in words a client can act on.
    pub fn reason(&self) -> &'static str {
        use ReleaseStatus::{Deployed, Deprecated, Draft, Promoting, Ready};
        match (self.from, self.to) {
            (Deprecated, _) => "deprecated is final; create a new release instead",
            (_, Draft) => "a release leaves draft exactly once; its members are frozen",
            (Draft, Promoting | Deployed) => "a draft must be marked ready before it is promoted",
            (Ready, Deployed) => "a release becomes deployed only when a promotion completes",
            (Deployed, Ready) => {
                "a deployed release stays deployed; promote it again or deprecate it"
            }
            _ => "the status machine does not allow this change",
        }
    }
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot change a release from {} to {}: {}",
            self.from,
            self.to,
            self.reason()
        )
    }
}

impl std::error::Error for TransitionError {}

/// Checks a status change against the release status machine.
///
/// | from \ to    | draft | ready | promoting | deployed | deprecated |
/// | ------------ | ----- | ----- | --------- | -------- | ---------- |
/// | `draft`      | same  | yes   | –         | –        | yes        |
/// | `ready`      | –     | same  | yes       | –        | yes        |
/// | `promoting`  | –     | yes   | same      | yes      | yes        |
/// | `deployed`   | –     | –     | yes       | same     | yes        |
/// | `deprecated` | –     | –     | –         | –        | same       |
///
/// - `draft → ready` is the one exit from draft: it freezes the members (and the service signs the
///   attestation). Nothing ever returns to `draft`.
/// - `ready → promoting` starts a first deployment; `promoting → deployed` completes one.
/// - `promoting → ready` is a failed first deployment: the release is deployed nowhere. A failed
///   promotion of a release already deployed elsewhere goes `promoting → deployed` instead; which
///   of the two applies is the caller's knowledge (it knows the environments), not the machine's.
/// - `deployed → promoting` promotes a deployed release to the next environment (dev → staging).
/// - Every status but `deprecated` may move to `deprecated`, which is terminal.
/// - Staying in the same status ("same") is allowed, so that an update repeating the current
///   status is an idempotent no-op rather than an error.
pub fn transition(from: ReleaseStatus, to: ReleaseStatus) -> Result<(), TransitionError> {
    use ReleaseStatus::{Deployed, Deprecated, Draft, Promoting, Ready};
    let allowed = from == to
        || matches!(
            (from, to),
            (Draft, Ready)
                | (Ready, Promoting)
                | (Promoting, Ready | Deployed)
                | (Deployed, Promoting)
                | (Draft | Ready | Promoting | Deployed, Deprecated)
        );
    if allowed {
        Ok(())
    } else {
        Err(TransitionError { from, to })
    }
}

/// Why a client may not set a status by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualStatusError {
    /// The status machine refuses the change outright.
    Machine(TransitionError),
    /// The machine allows it, but only deployments make it: `promoting` and `deployed` (and
    /// leaving `promoting`) follow promotions and their outcomes.
    DeploymentOnly {
        /// The current status.
        from: ReleaseStatus,
        /// The status asked for.
        to: ReleaseStatus,
    },
}

/// Checks a status change a client asks for directly (an update), rather than one a deployment
/// makes. Allowed: staying put, `draft → ready`, and deprecating. Changes into `promoting` or
/// `deployed`, and out of `promoting`, belong to deployments.
pub fn manual_transition(from: ReleaseStatus, to: ReleaseStatus) -> Result<(), ManualStatusError> {
    use ReleaseStatus::{Deployed, Promoting};
    transition(from, to).map_err(ManualStatusError::Machine)?;
    if from != to
        && (matches!(to, Promoting | Deployed)
            || from == Promoting && to != ReleaseStatus::Deprecated)
    {
        return Err(ManualStatusError::DeploymentOnly { from, to });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for status in ReleaseStatus::ALL {
            assert_eq!(ReleaseStatus::parse(status.as_str()), Some(status));
            assert_eq!(status.to_string().parse::<ReleaseStatus>(), Ok(status));
        }
        for bad in ["", "Draft", "released", " ready"] {
            assert_eq!(ReleaseStatus::parse(bad), None, "{bad:?}");
            let err = bad.parse::<ReleaseStatus>().unwrap_err();
            assert_eq!(err.errors[0].field, "status");
        }
    }

    #[test]
    fn only_draft_is_unfrozen() {
        let frozen: Vec<bool> = ReleaseStatus::ALL.map(ReleaseStatus::is_frozen).to_vec();
        assert_eq!(frozen, [false, true, true, true, true]);
    }

    #[test]
    fn transition_table_all_pairs() {
        // Rows: from; columns: to, both in the order draft, ready, promoting, deployed, deprecated.
        let table: [[bool; 5]; 5] = [
            [true, true, false, false, true],
            [false, true, true, false, true],
            [false, true, true, true, true],
            [false, false, true, true, true],
            [false, false, false, false, true],
        ];
        for (row, from) in ReleaseStatus::ALL.into_iter().enumerate() {
            for (col, to) in ReleaseStatus::ALL.into_iter().enumerate() {
                let got = transition(from, to);
                assert_eq!(got.is_ok(), table[row][col], "{from} -> {to}");
                if let Err(e) = got {
                    assert_eq!((e.from, e.to), (from, to));
                    assert_ne!(
                        e.reason(),
                        "the status machine does not allow this change",
                        "{from} -> {to} deserves a specific reason"
                    );
                }
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        use ReleaseStatus::{Deployed, Deprecated, Draft, Promoting, Ready};
        let cases = [
            (Ready, Draft, "leaves draft exactly once"),
            (Deprecated, Ready, "deprecated is final"),
            (Deprecated, Draft, "deprecated is final"),
            (Draft, Promoting, "marked ready before"),
            (Draft, Deployed, "marked ready before"),
            (Ready, Deployed, "only when a promotion completes"),
            (Deployed, Ready, "promote it again or deprecate it"),
        ];
        for (from, to, words) in cases {
            let e = transition(from, to).unwrap_err();
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("cannot change a release from {from} to {to}: ")),
                "{text}"
            );
            assert!(text.contains(words), "{from} -> {to}: {text}");
        }
    }
    #[test]
    fn manual_changes_leave_deployment_statuses_to_deployments() {
        // Rows: from; columns: to, in the order draft, ready, promoting, deployed, deprecated.
        // 'y' allowed, 'm' refused by the machine, 'd' left to deployments.
        let table = [
            "yymmy", // draft
            "mydmy", // ready
            "mdydy", // promoting
            "mmdyy", // deployed
            "mmmmy", // deprecated
        ];
        for (row, from) in ReleaseStatus::ALL.into_iter().enumerate() {
            for (col, to) in ReleaseStatus::ALL.into_iter().enumerate() {
                let want = table[row].as_bytes()[col];
                let got = manual_transition(from, to);
                let kind = match got {
                    Ok(()) => b'y',
                    Err(ManualStatusError::Machine(e)) => {
                        assert_eq!((e.from, e.to), (from, to));
                        b'm'
                    }
                    Err(ManualStatusError::DeploymentOnly { from: f, to: t }) => {
                        assert_eq!((f, t), (from, to));
                        b'd'
                    }
                };
                assert_eq!(kind as char, want as char, "{from} -> {to}");
            }
        }
    }
}
