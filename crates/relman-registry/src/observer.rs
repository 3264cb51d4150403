//! A hook that hears of every HTTP request a client sends, so the composition root can count
//! them (per integration, per status) without this crate knowing any metrics library.

/// How one HTTP exchange with the registry (or its token endpoint) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// The registry answered with this HTTP status (retried 429s and 503s each count once).
    Status(u16),
    /// No answer: the connection failed or the request timed out.
    Failed,
}

/// Told of every HTTP request a client sends, after its answer (or failure) arrives.
///
/// Called on the request's task, so it must be quick and must not block: count, do not log.
pub trait RequestObserver: Send + Sync {
    /// One request finished with `outcome`.
    fn request_finished(&self, outcome: RequestOutcome);
}
