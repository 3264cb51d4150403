//! What results mean for deliveries.

use std::time::Duration;

use chrono::Utc;
use relman_storage::DeliveryOutcome;
use relman_webhooks::{AttemptResult, GONE_REASON, RetrySchedule, classify};

fn answered(status: u16) -> AttemptResult {
    AttemptResult {
        status: Some(status),
        error: (!(200..300).contains(&status)).then(|| format!("HTTP {status}")),
        ..AttemptResult::default()
    }
}

#[test]
fn outcomes() {
    let schedule = RetrySchedule::parse("1s,2s")
        .expect("schedule")
        .with_jitter(0.0);
    let now = Utc::now();
    let secs = chrono::Duration::seconds;

    for status in [200, 201, 204, 299] {
        assert_eq!(
            classify(&answered(status), 1, &schedule, now),
            DeliveryOutcome::Delivered { status }
        );
    }
    assert_eq!(
        classify(&answered(410), 1, &schedule, now),
        DeliveryOutcome::Gone {
            status: 410,
            reason: GONE_REASON.to_owned()
        }
    );
    for status in [301, 400, 404, 429, 500, 503] {
        assert_eq!(
            classify(&answered(status), 2, &schedule, now),
            DeliveryOutcome::Retry {
                status: Some(status),
                error: format!("HTTP {status}"),
                at: now + secs(2)
            }
        );
        assert_eq!(
            classify(&answered(status), 3, &schedule, now),
            DeliveryOutcome::Failed {
                status: Some(status),
                error: format!("HTTP {status}")
            },
            "the schedule is exhausted"
        );
    }
    let refused = AttemptResult {
        error: Some("refused by the egress policy: loopback".to_owned()),
        permanent: true,
        ..AttemptResult::default()
    };
    assert_eq!(
        classify(&refused, 1, &schedule, now),
        DeliveryOutcome::Failed {
            status: None,
            error: "refused by the egress policy: loopback".to_owned()
        }
    );
    let timed_out = AttemptResult {
        error: Some("timed out".to_owned()),
        retry_after: Some(Duration::from_secs(30)),
        ..AttemptResult::default()
    };
    assert_eq!(
        classify(&timed_out, 1, &schedule, now),
        DeliveryOutcome::Retry {
            status: None,
            error: "timed out".to_owned(),
            at: now + secs(30)
        }
    );
}
