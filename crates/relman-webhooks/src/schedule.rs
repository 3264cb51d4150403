//! When a failed delivery is tried again.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The longest wait a `Retry-After` header can ask for; longer requests are capped to this.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(60 * 60);

/// The waits between the attempts of one delivery, with random jitter.
///
/// The default is the Standard Webhooks specification's example: 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 10 h, each ±20 %. A delivery is attempted once, then once more after each delay, and is
/// failed after the last.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
    jitter: f64,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        const MIN: u64 = 60;
        const HOUR: u64 = 60 * MIN;
        Self::new(
            [
                5,
                5 * MIN,
                30 * MIN,
                2 * HOUR,
                5 * HOUR,
                10 * HOUR,
                10 * HOUR,
            ]
            .into_iter()
            .map(Duration::from_secs)
            .collect(),
            0.2,
        )
    }
}

impl RetrySchedule {
    /// A schedule of `delays` (the first is waited after the initial attempt), each varied by up
    /// to ±`jitter` (a fraction, clamped to `0.0..=1.0`; 0 means exact delays).
    pub fn new(delays: Vec<Duration>, jitter: f64) -> Self {
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Self { delays, jitter }
    }

    /// Parses a comma-separated list of delays such as `1s,2s,5s` or `500ms, 5m, 2h` (suffixes
    /// `ms`, `s`, `m`, `h`), with the default ±20 % jitter.
    pub fn parse(s: &str) -> Result<Self, ScheduleError> {
        let delays = s
            .split(',')
            .map(|item| parse_delay(item.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(delays, Self::default().jitter))
    }

    /// The same delays with another jitter fraction.
    #[must_use]
    pub fn with_jitter(self, jitter: f64) -> Self {
        Self::new(self.delays, jitter)
    }

    /// The delays, without jitter.
    pub fn delays(&self) -> &[Duration] {
        &self.delays
    }

    /// The jitter fraction.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// How long to wait after `attempts_made` attempts (counting the one just made) before the
    /// next, or `None` when the schedule is exhausted (after the initial attempt and one retry per
    /// delay). A `retry_after` the endpoint asked for is honoured when it is longer, up to
    /// [`RETRY_AFTER_CAP`]. `0` attempts counts as one.
    pub fn next_delay(
        &self,
        attempts_made: u32,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let index = usize::try_from(attempts_made.max(1) - 1).ok()?;
        let base = *self.delays.get(index)?;
        let delay = jittered(base, self.jitter);
        Some(match retry_after {
            Some(asked) => delay.max(asked.min(RETRY_AFTER_CAP)),
            None => delay,
        })
    }
}

impl FromStr for RetrySchedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A retry schedule that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid retry delay `{item}`: {problem}")]
pub struct ScheduleError {
    /// The offending item of the list.
    pub item: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl ScheduleError {
    fn new(item: &str, problem: &'static str) -> Self {
        Self {
            item: item.to_owned(),
            problem,
        }
    }
}

fn parse_delay(item: &str) -> Result<Duration, ScheduleError> {
    if item.is_empty() {
        return Err(ScheduleError::new(item, "a delay is empty"));
    }
    let split = item
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| ScheduleError::new(item, "a unit (ms, s, m or h) is missing"))?;
    let (number, unit) = item.split_at(split);
    if number.is_empty() {
        return Err(ScheduleError::new(
            item,
            "expected a whole number before the unit",
        ));
    }
    let number: u64 = number
        .parse()
        .map_err(|_| ScheduleError::new(item, "the number is too large"))?;
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => {
            return Err(ScheduleError::new(
                item,
                "the unit is not one of ms, s, m, h",
            ));
        }
    };
    number
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(|| ScheduleError::new(item, "the number is too large"))
}

/// `base` varied uniformly within ±`jitter` of itself.
fn jittered(base: Duration, jitter: f64) -> Duration {
    if jitter <= 0.0 {
        return base;
    }
    // A uniform sample in [0, 1) from 53 random bits. Without randomness the delay is exact,
    // which is still a valid schedule.
    let Ok(bits) = getrandom::u64() else {
        return base;
    };
    // 53 bits fit an f64's mantissa exactly.
    let unit = (bits >> 11) as f64 / (1u64 << 53) as f64;
    let factor = 1.0 + jitter * (2.0 * unit - 1.0);
    Duration::try_from_secs_f64(base.as_secs_f64() * factor).unwrap_or(base)
}

impl fmt::Display for RetrySchedule {
    /// The delays in the form [`RetrySchedule::parse`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.delays.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let ms = d.as_millis();
            if ms % 3_600_000 == 0 && ms > 0 {
                write!(f, "{}h", ms / 3_600_000)?;
            } else if ms % 60_000 == 0 && ms > 0 {
                write!(f, "{}m", ms / 60_000)?;
            } else if ms % 1_000 == 0 {
                write!(f, "{}s", ms / 1_000)?;
            } else {
                write!(f, "{ms}ms")?;
            }
        }
        Ok(())
    }
}
