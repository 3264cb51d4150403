//! A real reqwest client built with `EgressPolicy::apply` against a tiny HTTP server on
//! 127.0.0.1: literal IPs, names and redirects each go through the policy.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use relman_egress::{EgressPolicy, Refusal, refusal_of};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server answering `/` with `hello`, `/to/<url>` with a 302 to `<url>`; it counts the
/// connections it accepts.
struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Server {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head);
                    let path = head.split(' ').nth(1).unwrap_or("/");
                    let reply = match path.strip_prefix("/to/") {
                        Some(target) => format!(
                            "HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        ),
                        None => {
                            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
                                .to_owned()
                        }
                    };
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self { port, connections }
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn client(policy: &EgressPolicy) -> reqwest::Client {
    policy
        .apply(reqwest::Client::builder())
        // No proxy from the environment: the test is about direct connections.
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// The refusal in a failed request's error chain.
#[track_caller]
fn refusal(result: Result<reqwest::Response, reqwest::Error>) -> (reqwest::Error, Refusal) {
    let error = result.expect_err("the request must be refused");
    let refusal = refusal_of(&error)
        .unwrap_or_else(|| panic!("no Refusal in the chain of {error:?}"))
        .clone();
    (error, refusal)
}

#[tokio::test]
async fn strict_policy_refuses_a_literal_loopback_address_without_connecting() {
    let server = Server::start().await;
    let (_, refusal) = refusal(
        client(&EgressPolicy::default())
            .get(server.url("127.0.0.1", "/"))
            .send()
            .await,
    );
    assert_eq!(refusal.address, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(
        refusal.to_string(),
        "127.0.0.1 is a loopback address; allow it with RELMAN_EGRESS_ALLOW=loopback"
    );
    assert_eq!(server.connections(), 0, "the refused address was dialled");
}

#[tokio::test]
async fn strict_policy_refuses_a_name_that_resolves_to_loopback() {
    let server = Server::start().await;
    let (_, refusal) = refusal(
        client(&EgressPolicy::default())
            .get(server.url("localhost", "/"))
            .send()
            .await,
    );
    assert_eq!(refusal.host, "localhost");
    assert!(
        refusal.address.is_some_and(|a| a.is_loopback()),
        "{refusal:?}"
    );
    assert!(
        refusal.to_string().starts_with("localhost resolves to "),
        "{refusal}"
    );
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn loopback_policy_reaches_the_server_by_address_and_by_name() {
    let server = Server::start().await;
    let client = client(&EgressPolicy::default().allowing_loopback());
    for host in ["127.0.0.1", "localhost"] {
        let response = client.get(server.url(host, "/")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "hello");
    }
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn a_redirect_to_the_metadata_service_is_refused_before_connecting() {
    let server = Server::start().await;
    let client = client(&EgressPolicy::default().allowing_loopback());
    let started = Instant::now();
    let (error, refusal) = refusal(
        client
            .get(server.url("127.0.0.1", "/to/http://169.254.169.254/latest/meta-data"))
            .send()
            .await,
    );
    assert!(
        error.is_redirect(),
        "refused by the redirect policy: {error:?}"
    );
    assert_eq!(refusal.address, Some("169.254.169.254".parse().unwrap()));
    assert!(refusal.to_string().contains("link-local"), "{refusal}");
    // No connection attempt: that would have waited for the connect timeout (or failed fast
    // with a different error).
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_refused_unless_private_is_allowed() {
    let server = Server::start().await;
    let target = server.url("127.0.0.1", "/to/http://10.0.0.1/");
    let (error, refusal) = refusal(
        client(&EgressPolicy::default().allowing_loopback())
            .get(&target)
            .send()
            .await,
    );
    assert!(error.is_redirect(), "{error:?}");
    assert_eq!(refusal.address, Some("10.0.0.1".parse().unwrap()));
    assert!(
        refusal.to_string().contains("a private address"),
        "{refusal}"
    );

    // With private allowed the redirect is followed: the failure (if any) is not a refusal.
    let open = EgressPolicy::parse("loopback,private").unwrap();
    let quick = open
        .apply(reqwest::Client::builder())
        .no_proxy()
        .connect_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    if let Err(error) = quick.get(&target).send().await {
        assert!(refusal_of(&error).is_none(), "{error:?}");
        assert!(!error.is_redirect(), "{error:?}");
    }
}

#[tokio::test]
async fn redirects_to_other_schemes_and_endless_redirects_stop() {
    let server = Server::start().await;
    let client = client(&EgressPolicy::default().allowing_loopback());
    let (error, refusal) = refusal(
        client
            .get(server.url("127.0.0.1", "/to/ftp://files.example/x"))
            .send()
            .await,
    );
    assert!(error.is_redirect());
    assert!(refusal.to_string().contains("not ftp"), "{refusal}");

    // Each hop redirects to a URL one level shorter: 12 hops is past the limit of 10.
    let mut url = server.url("127.0.0.1", "/");
    for _ in 0..12 {
        url = server.url("127.0.0.1", &format!("/to/{url}"));
    }
    let error = client
        .get(&url)
        .send()
        .await
        .expect_err("too many redirects");
    assert!(error.is_redirect(), "{error:?}");
    assert!(refusal_of(&error).is_none());
    let cause = std::error::Error::source(&error).map(ToString::to_string);
    assert_eq!(
        cause.as_deref(),
        Some("more than 10 redirects"),
        "{error:?}"
    );
    // Ten hops are fine.
    let mut url = server.url("127.0.0.1", "/");
    for _ in 0..10 {
        url = server.url("127.0.0.1", &format!("/to/{url}"));
    }
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_listed_range_opens_exactly_that_range() {
    let server = Server::start().await;
    let only_one = client(&EgressPolicy::parse("127.0.0.1").unwrap());
    let response = only_one
        .get(server.url("127.0.0.1", "/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, refusal) = refusal(only_one.get(server.url("127.0.0.2", "/")).send().await);
    assert_eq!(refusal.address, Some("127.0.0.2".parse().unwrap()));
}
