//! `--output table|json`: tables for people, the API's JSON for scripts.

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// The API's JSON body, as the server sent it.
    Json,
}

/// Prints results in the chosen format.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// The format.
    pub format: Format,
}

impl Printer {
    /// Prints `value` as JSON, or as a table of `headers` and the rows `rows` makes of it.
    pub fn print<T: Serialize>(
        &self,
        value: &T,
        headers: &[&str],
        rows: impl FnOnce(&T) -> Vec<Vec<String>>,
    ) {
        match self.format {
            Format::Json => self.json(value),
            Format::Table => println!("{}", table(headers, rows(value))),
        }
    }

    /// Prints `value` as JSON, or as `field: value` lines.
    pub fn record<T: Serialize>(&self, value: &T, fields: impl FnOnce(&T) -> Vec<(&str, String)>) {
        match self.format {
            Format::Json => self.json(value),
            Format::Table => {
                let fields = fields(value);
                let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
                for (k, v) in fields {
                    println!("{k:<width$}  {v}");
                }
            }
        }
    }

    /// Prints a line for people; nothing in JSON mode, where stdout is for the body only.
    pub fn note(&self, text: &str) {
        if self.format == Format::Table {
            println!("{text}");
        }
    }

    /// Prints `value` as pretty JSON.
    pub fn json<T: Serialize>(&self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: could not print JSON: {e}"),
        }
    }
}

fn table(headers: &[&str], rows: Vec<Vec<String>>) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.iter().map(|h| h.to_uppercase()));
    for row in rows {
        t.add_row(row);
    }
    t
}

/// An optional value for a table cell.
pub fn or_dash(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// The first 19 characters of a digest (`sha256:` and 12 hex digits).
pub fn short_digest(d: &str) -> String {
    d.chars().take(19).collect()
}
