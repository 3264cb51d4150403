//! The two text expositions: OpenMetrics, which `prometheus-client` writes and Prometheus asks
//! for first, and the classic Prometheus text format 0.0.4, which everything else (`curl`,
//! `promtool check metrics`, older scrapers) reads.
//!
//! `prometheus-client` writes OpenMetrics only (its issue #51 is open), and OpenMetrics differs
//! from the classic format in ways a classic parser misreads: a counter's `HELP` and `TYPE` name
//! the family without `_total` while its samples carry it, `info` is no classic type, and `UNIT`
//! and `# EOF` lines exist. The classic exposition is therefore derived from the OpenMetrics text
//! line by line; no crate does this, and the rules are few and exercised by the tests below and
//! by `promtool` in `scripts/check-metrics`.

use std::collections::HashMap;
use std::fmt::Write;

use prometheus_client::registry::Registry;

/// The content type of the classic Prometheus text exposition.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The content type of the OpenMetrics text exposition.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Which text exposition a scraper gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpositionFormat {
    /// The classic Prometheus text format 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
}

impl ExpositionFormat {
    /// OpenMetrics when the `Accept` header names it (as Prometheus does), else the classic
    /// format, which every reader understands.
    pub fn negotiate(accept: Option<&str>) -> Self {
        match accept {
            Some(a) if a.contains("application/openmetrics-text") => Self::OpenMetrics,
            _ => Self::Prometheus,
        }
    }

    /// The response's content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Prometheus => PROMETHEUS_CONTENT_TYPE,
            Self::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }
}

/// Encodes `registry` in `format`.
pub(crate) fn render(registry: &Registry, format: ExpositionFormat) -> String {
    let mut openmetrics = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut openmetrics, registry) {
        // Writing into a String fails only if a metric's own encoder does; say so in the
        // exposition rather than serve half of it silently.
        tracing::error!(error = %e, "encoding metrics failed");
        openmetrics.clear();
    }
    match format {
        ExpositionFormat::OpenMetrics => openmetrics,
        ExpositionFormat::Prometheus => to_prometheus(&openmetrics),
    }
}

/// The classic exposition of an OpenMetrics text as `prometheus-client` writes it (no
/// exemplars, no `_created` samples, no state sets: relman uses none).
fn to_prometheus(openmetrics: &str) -> String {
    // Family name → the name its HELP and TYPE lines carry in the classic format, and the type.
    let mut renamed: HashMap<&str, (String, &str)> = HashMap::new();
    for line in openmetrics.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let Some((name, kind)) = rest.split_once(' ') else {
            continue;
        };
        let classic = match kind {
            "counter" => (format!("{name}_total"), "counter"),
            "info" => (format!("{name}_info"), "gauge"),
            "unknown" => (name.to_owned(), "untyped"),
            other => (name.to_owned(), other),
        };
        renamed.insert(name, classic);
    }
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            let name = renamed.get(name).map_or(name, |(n, _)| n.as_str());
            let _ = writeln!(out, "# HELP {name} {help}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split_once(' ').map_or(rest, |(n, _)| n);
            match renamed.get(name) {
                Some((classic, kind)) => {
                    let _ = writeln!(out, "# TYPE {classic} {kind}");
                }
                None => {
                    let _ = writeln!(out, "{line}");
                }
            }
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_info_units_and_eof_become_classic() {
        let openmetrics = "\
# HELP relman_http_requests HTTP requests.
# TYPE relman_http_requests counter
relman_http_requests_total{route=\"/healthz\"} 3
# HELP relman_sync_duration_seconds Sync time.
# TYPE relman_sync_duration_seconds histogram
# UNIT relman_sync_duration_seconds seconds
relman_sync_duration_seconds_sum 1.5
relman_sync_duration_seconds_count 1
relman_sync_duration_seconds_bucket{le=\"+Inf\"} 1
# HELP relman_build The version.
# TYPE relman_build info
relman_build_info{version=\"1.2.3\"} 1
# HELP relman_db_pool_connections Open.
# TYPE relman_db_pool_connections gauge
relman_db_pool_connections 2
# EOF
";
        let expected = "\
# HELP relman_http_requests_total HTTP requests.
# TYPE relman_http_requests_total counter
relman_http_requests_total{route=\"/healthz\"} 3
# HELP relman_sync_duration_seconds Sync time.
# TYPE relman_sync_duration_seconds histogram
relman_sync_duration_seconds_sum 1.5
relman_sync_duration_seconds_count 1
relman_sync_duration_seconds_bucket{le=\"+Inf\"} 1
# HELP relman_build_info The version.
# TYPE relman_build_info gauge
relman_build_info{version=\"1.2.3\"} 1
# HELP relman_db_pool_connections Open.
# TYPE relman_db_pool_connections gauge
relman_db_pool_connections 2
";
        assert_eq!(to_prometheus(openmetrics), expected);
    }

    #[test]
    fn negotiation_prefers_the_classic_format() {
        use ExpositionFormat::{OpenMetrics, Prometheus};
        for (accept, format) in [
            (None, Prometheus),
            (Some("*/*"), Prometheus),
            (Some("text/plain"), Prometheus),
            (
                Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"),
                OpenMetrics,
            ),
        ] {
            assert_eq!(ExpositionFormat::negotiate(accept), format, "{accept:?}");
        }
    }
}
