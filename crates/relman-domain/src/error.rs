//! Validation errors shared by every domain type.

use std::fmt;

/// One invalid field: which one and why, in words a client can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as clients spell it (camelCase), dotted for nested fields.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// A value failed the domain's rules; carries every field that failed, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// The failing fields, in the order they were checked.
    pub errors: Vec<FieldError>,
}

impl ValidationError {
    /// A validation error about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            errors: vec![FieldError {
                field: field.into(),
                message: message.into(),
            }],
        }
    }

    /// Collects errors from several checks; `Ok(())` when there were none.
    pub fn check(errors: Vec<FieldError>) -> Result<(), Self> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self { errors })
        }
    }

    /// Renames the field of every error, e.g. to prefix a nested path.
    #[must_use]
    pub fn at(mut self, field: &str) -> Self {
        for e in &mut self.errors {
            e.field = field.to_owned();
        }
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        write!(f, "{}", parts.join("; "))
    }
}
