//! Helpers that turn raw client input into domain values, collecting every field error.

use std::str::FromStr;

use chrono::{DateTime, Utc};

use relman_domain::{FieldError, ValidationError};

/// Collects field errors while parsing several inputs, so a client sees all of them at once.
#[derive(Default)]
pub(crate) struct Errors(Vec<FieldError>);

impl Errors {
    /// Parses `value` with `FromStr`, recording a failure under `field`.
    pub(crate) fn parse<T>(&mut self, field: &str, value: &str) -> Option<T>
    where
        T: FromStr<Err = ValidationError>,
    {
        self.take(field, value.parse())
    }

    /// Records the errors of a check under `field`.
    pub(crate) fn take<T>(&mut self, field: &str, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.extend(e.errors.into_iter().map(|fe| FieldError {
                    field: field.to_owned(),
                    ..fe
                }));
                None
            }
        }
    }

    /// Records the errors of a check on a nested value, prefixing each field with `prefix.`.
    pub(crate) fn take_nested<T>(
        &mut self,
        prefix: &str,
        result: Result<T, ValidationError>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.extend(e.errors.into_iter().map(|fe| FieldError {
                    field: format!("{prefix}.{}", fe.field),
                    ..fe
                }));
                None
            }
        }
    }

    /// Records a plain message under `field`.
    pub(crate) fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// `Err` with every recorded error, or `Ok` when there were none.
    pub(crate) fn finish(self) -> Result<(), ValidationError> {
        ValidationError::check(self.0)
    }
}

/// Checks a one-line free-text field: not blank, no control characters, at most `max` characters.
pub(crate) fn text(errors: &mut Errors, field: &str, value: &str, max: usize) -> Option<String> {
    if let Err(e) = relman_domain::check_text(value, relman_domain::TextKind::Line) {
        errors.push(field, e.to_string());
        None
    } else if value.trim().is_empty() {
        errors.push(field, "must not be empty");
        None
    } else if value.chars().count() > max {
        errors.push(field, format!("must be at most {max} characters"));
        None
    } else {
        Some(value.to_owned())
    }
}

/// Parses an optional RFC 3339 time, recording a failure under `field`.
pub(crate) fn time(errors: &mut Errors, field: &str, value: Option<&str>) -> Option<DateTime<Utc>> {
    let value = value?;
    match DateTime::parse_from_rfc3339(value) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(
                field,
                "must be an RFC 3339 time such as 2026-01-10T14:23:45Z",
            );
            None
        }
    }
}

/// A UUID or a name: paths accept either.
pub(crate) enum Key<'a> {
    Id(uuid::Uuid),
    Name(&'a str),
}

impl<'a> Key<'a> {
    pub(crate) fn parse(key: &'a str) -> Self {
        uuid::Uuid::parse_str(key).map_or(Self::Name(key), Self::Id)
    }
}
