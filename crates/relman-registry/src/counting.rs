//! Request counts for one unit of work on a shared client.
//!
//! A client is shared by every sync of an integration, so its own [`RegistryClient::request_count`]
//! adds up everyone's requests. [`count_requests`] counts only the requests made while driving
//! one future: the client adds each exchange to a task-local tally when one is in scope. A future
//! that fans out with `buffer_unordered` stays on one task, so its sub-futures are counted too;
//! work handed to `tokio::spawn` is not.
//!
//! [`RegistryClient::request_count`]: crate::RegistryClient::request_count

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static TALLY: Cell<u64>;
}

/// Runs `work` and returns its output with the number of registry HTTP requests it sent (token
/// requests and retries included).
pub async fn count_requests<F: Future>(work: F) -> (F::Output, u64) {
    TALLY
        .scope(Cell::new(0), async move {
            let output = work.await;
            (output, TALLY.with(Cell::get))
        })
        .await
}

/// Adds one request to the tally of the enclosing [`count_requests`], if any.
pub(crate) fn note_request() {
    // Outside a scope there is nobody to tell; that is not an error.
    let _ = TALLY.try_with(|tally| tally.set(tally.get() + 1));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_only_inside_the_scope() {
        note_request();
        let ((), inner) = count_requests(async {
            note_request();
            note_request();
        })
        .await;
        assert_eq!(inner, 2);
        let ((), nested) = count_requests(async {
            note_request();
            let ((), deeper) = count_requests(async { note_request() }).await;
            assert_eq!(deeper, 1);
        })
        .await;
        assert_eq!(nested, 1, "a nested scope keeps its own tally");
    }
}
