//! The egress policy over every request of the client: the registry itself, its token realm and
//! its redirects. A refusal is `RegistryError::Egress`, which says how to allow the address.

#![allow(
    clippy::unwrap_used,
    reason = "the fake registry's set-up fails the test loudly"
)]

use std::time::{Duration, Instant};

use relman_registry::{HttpRegistryClient, RegistryClient, RegistryConfig, RegistryError};
use relman_test_support::registry::{Pagination, RegistryMode, RegistryProxy, TestRegistry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{client_with, config};

/// A registry that answers every request with `head` (status line and headers); returns its URL.
async fn answering(head: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = format!("{head}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    url
}

#[track_caller]
fn refusal(error: &RegistryError) -> &relman_egress::Refusal {
    match error {
        RegistryError::Egress { refusal, .. } => refusal,
        other => panic!("expected an egress refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_strict_default_refuses_a_loopback_registry_before_any_request() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    let strict = HttpRegistryClient::new(RegistryConfig::new(proxy.url())).unwrap();
    let error = strict.ping().await.unwrap_err();
    let refused = refusal(&error);
    assert!(
        refused.address.is_some_and(|a| a.is_loopback()),
        "{refused:?}"
    );
    let registry_host = proxy.url().trim_start_matches("http://").to_owned();
    assert_eq!(
        error.to_string(),
        format!(
            "registry {registry_host} may not be reached: 127.0.0.1 is a loopback address; allow it with RELMAN_EGRESS_ALLOW=loopback"
        )
    );
    assert!(
        proxy.requests().is_empty(),
        "a request reached the registry"
    );

    // The same registry under a policy that allows loopback.
    client_with(config(proxy.url())).ping().await.unwrap();
    assert_eq!(proxy.requests().len(), 1);
}

#[tokio::test]
async fn a_token_realm_on_the_metadata_address_is_refused() {
    let url = answering(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://169.254.169.254/latest/api/token\",service=\"x\"",
    )
    .await;
    let started = Instant::now();
    let error = client_with(config(url)).ping().await.unwrap_err();
    let refused = refusal(&error);
    assert_eq!(refused.address, Some("169.254.169.254".parse().unwrap()));
    assert!(
        error.to_string().contains(
            "169.254.169.254 is a link-local address, which outgoing requests may never reach"
        ),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a connection was attempted"
    );
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_refused() {
    let url = answering("HTTP/1.1 307 Temporary Redirect\r\nLocation: http://10.0.0.1/v2/").await;
    let error = client_with(config(url)).ping().await.unwrap_err();
    assert_eq!(
        refusal(&error).address,
        Some("10.0.0.1".parse().unwrap()),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("RELMAN_EGRESS_ALLOW=private"),
        "{error}"
    );
}
