//! The retry schedule: parsing, jitter, exhaustion and `Retry-After`.

use std::time::{Duration, SystemTime};

use relman_webhooks::{RETRY_AFTER_CAP, RetrySchedule, parse_retry_after};

const S: fn(u64) -> Duration = Duration::from_secs;

#[test]
fn the_default_is_the_specification_example() {
    let schedule = RetrySchedule::default();
    assert_eq!(
        schedule.delays(),
        [
            S(5),
            S(300),
            S(1800),
            S(7200),
            S(18_000),
            S(36_000),
            S(36_000)
        ]
    );
    assert!((schedule.jitter() - 0.2).abs() < f64::EPSILON);
    assert_eq!(schedule.to_string(), "5s,5m,30m,2h,5h,10h,10h");
}

#[test]
fn schedules_parse() {
    let cases: &[(&str, &[Duration])] = &[
        ("1s,2s,5s", &[S(1), S(2), S(5)]),
        (
            " 100ms , 5m,2h ",
            &[Duration::from_millis(100), S(300), S(7200)],
        ),
        ("0s", &[Duration::ZERO]),
    ];
    for (text, delays) in cases {
        let schedule: RetrySchedule = text.parse().expect(text);
        assert_eq!(schedule.delays(), *delays, "{text}");
        assert!((schedule.jitter() - 0.2).abs() < f64::EPSILON);
        let again = RetrySchedule::parse(&schedule.to_string()).expect("round trip");
        assert_eq!(again, schedule);
    }
    for bad in [
        "",
        "5",
        "s",
        "5x",
        "1s,,2s",
        "-1s",
        "1.5s",
        "99999999999999999999s",
        "1s 2s",
    ] {
        let error = RetrySchedule::parse(bad).expect_err(bad);
        assert!(
            error.to_string().starts_with("invalid retry delay"),
            "{error}"
        );
    }
}

#[test]
fn jitter_stays_within_bounds_and_varies() {
    let schedule = RetrySchedule::default();
    let samples: Vec<Duration> = (0..2000)
        .map(|_| schedule.next_delay(1, None).expect("a delay"))
        .collect();
    for d in &samples {
        assert!((S(4)..=S(6)).contains(d), "{d:?} is outside 5 s ± 20 %");
    }
    let (min, max) = (
        samples.iter().min().expect("min"),
        samples.iter().max().expect("max"),
    );
    assert!(*min < Duration::from_millis(4500), "min {min:?}");
    assert!(*max > Duration::from_millis(5500), "max {max:?}");

    let exact = RetrySchedule::parse("3s")
        .expect("schedule")
        .with_jitter(0.0);
    assert_eq!(exact.next_delay(1, None), Some(S(3)));
}

#[test]
fn the_schedule_runs_out_after_one_retry_per_delay() {
    let schedule = RetrySchedule::parse("1s,2s")
        .expect("schedule")
        .with_jitter(0.0);
    assert_eq!(schedule.next_delay(0, None), Some(S(1)));
    assert_eq!(schedule.next_delay(1, None), Some(S(1)));
    assert_eq!(schedule.next_delay(2, None), Some(S(2)));
    assert_eq!(schedule.next_delay(3, None), None);
    assert_eq!(schedule.next_delay(u32::MAX, None), None);

    let default = RetrySchedule::default();
    assert!(default.next_delay(7, None).is_some());
    assert_eq!(default.next_delay(8, None), None);
}

#[test]
fn a_longer_retry_after_is_honoured_up_to_an_hour() {
    let schedule = RetrySchedule::parse("10s,2h")
        .expect("schedule")
        .with_jitter(0.0);
    assert_eq!(
        schedule.next_delay(1, Some(S(1))),
        Some(S(10)),
        "shorter: ignored"
    );
    assert_eq!(
        schedule.next_delay(1, Some(S(60))),
        Some(S(60)),
        "longer: honoured"
    );
    assert_eq!(
        schedule.next_delay(1, Some(S(5 * 3600))),
        Some(RETRY_AFTER_CAP),
        "capped at an hour"
    );
    assert_eq!(
        schedule.next_delay(2, Some(S(5 * 3600))),
        Some(S(7200)),
        "the cap never shortens the schedule's own delay"
    );
    assert_eq!(
        schedule.next_delay(3, Some(S(60))),
        None,
        "exhausted regardless"
    );
}

#[test]
fn retry_after_values_parse() {
    let now = SystemTime::UNIX_EPOCH + S(1_700_000_000);
    assert_eq!(parse_retry_after("7", now), Some(S(7)));
    assert_eq!(parse_retry_after(" 120 ", now), Some(S(120)));
    let date = httpdate::fmt_http_date(now + S(90));
    assert_eq!(parse_retry_after(&date, now), Some(S(90)));
    let past = httpdate::fmt_http_date(now - S(90));
    assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-5", now), None);
    assert_eq!(parse_retry_after("", now), None);
}
