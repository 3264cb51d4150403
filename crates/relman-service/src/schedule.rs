//! Scheduled sync: which components are due, from each one's own interval or the global one.
//!
//! The schedule lives in the scheduler's memory: a component is due when it has a registry
//! integration, an interval that is not `0`, and that interval has passed since this schedule
//! last synced it — or this schedule never has (so every component syncs on the first look after
//! start-up or after it was created). The clock is passed in, so the choice is deterministic.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use relman_domain::{Actor, Component};
use uuid::Uuid;

use crate::Service;
use crate::error::ServiceError;
use crate::sync::{SyncOptions, SyncReport};

/// The longest the scheduler waits between looks. Own intervals are at least a minute, so a
/// component is synced at most this late.
const MAX_TICK: Duration = Duration::from_secs(5);

/// When the scheduler last synced each component, and the global interval.
#[derive(Debug, Clone)]
pub struct SyncSchedule {
    global_interval_seconds: u64,
    last_run: HashMap<Uuid, DateTime<Utc>>,
}

impl SyncSchedule {
    /// A schedule with the server's `sync_interval_seconds` (`0`: only components with their
    /// own interval are scheduled) that has synced nothing yet.
    pub fn new(global_interval_seconds: u64) -> Self {
        Self {
            global_interval_seconds,
            last_run: HashMap::new(),
        }
    }

    /// How long to wait between looks: the global interval when it is shorter than five
    /// seconds, otherwise five seconds.
    pub fn tick(&self) -> Duration {
        match self.global_interval_seconds {
            0 => MAX_TICK,
            s => Duration::from_secs(s).min(MAX_TICK),
        }
    }

    /// How often `component` is scheduled, or `None` when never: no integration, an own
    /// interval of `0`, or no own interval and a global one of `0`.
    pub fn interval_of(&self, component: &Component) -> Option<Duration> {
        component.registry_integration_id?;
        let seconds = component
            .sync_interval_seconds
            .map_or(self.global_interval_seconds, u64::from);
        (seconds > 0).then(|| Duration::from_secs(seconds))
    }

    /// The components due at `now`, in the order given.
    pub fn due<'a>(&self, components: &'a [Component], now: DateTime<Utc>) -> Vec<&'a Component> {
        components
            .iter()
            .filter(|c| {
                let Some(interval) = self.interval_of(c) else {
                    return false;
                };
                self.last_run.get(&c.id).is_none_or(|last| {
                    // A clock set back makes the elapsed time negative: not due until it
                    // passes the last run again.
                    (now - *last)
                        .to_std()
                        .is_ok_and(|elapsed| elapsed >= interval)
                })
            })
            .collect()
    }

    /// Notes that `component` was synced (or tried) at `at`.
    pub fn record(&mut self, component: Uuid, at: DateTime<Utc>) {
        self.last_run.insert(component, at);
    }

    /// Forgets components that no longer exist.
    fn retain(&mut self, components: &[Component]) {
        let present: HashSet<Uuid> = components.iter().map(|c| c.id).collect();
        self.last_run.retain(|id, _| present.contains(id));
    }
}

impl Service {
    /// Syncs, one after another, the components `schedule` finds due at `now`, and records each
    /// attempt in it. A failure is recorded too: a failing registry is tried again at the
    /// component's next interval, not at every tick. Returns each component's outcome.
    pub async fn sync_due(
        &self,
        schedule: &mut SyncSchedule,
        now: DateTime<Utc>,
    ) -> Vec<(String, Result<SyncReport, ServiceError>)> {
        let components = match self.store.list_components().await {
            Ok(c) => c,
            Err(e) => return vec![("*".to_owned(), Err(e.into()))],
        };
        schedule.retain(&components);
        let due: Vec<Component> = schedule
            .due(&components, now)
            .into_iter()
            .cloned()
            .collect();
        let mut outcomes = Vec::with_capacity(due.len());
        for c in due {
            schedule.record(c.id, now);
            // Nobody reads a scheduled sync's version list: report the changes alone.
            let options = SyncOptions {
                changes_only: true,
                ..SyncOptions::default()
            };
            let outcome = self
                .sync_versions(&Actor::system(), &c.id.to_string(), options)
                .await;
            outcomes.push((c.name.to_string(), outcome));
        }
        outcomes
    }
}
