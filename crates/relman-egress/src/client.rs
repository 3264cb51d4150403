//! The policy inside a reqwest client. A connection can be opened to an address in three ways,
//! and each is covered:
//!
//! 1. **A host name**, in the first request or after a redirect: reqwest asks its DNS resolver,
//!    and [`PolicyResolver`] resolves with the system resolver and refuses the name when *any*
//!    address it resolves to is refused (rather than connecting to the allowed rest: a name that
//!    mixes public and internal addresses is not one to trust, and a retry could pick another).
//!    The addresses checked are the ones connected to, so DNS rebinding cannot slip between the
//!    check and the connection.
//! 2. **A literal IP** in the first request: reqwest does not call the resolver for those, so a
//!    connector layer ([`LiteralIpLayer`]) checks the destination of every new connection before
//!    the inner connector dials.
//! 3. **A redirect** to a literal IP: the redirect policy refuses it before the next request is
//!    made (the connector layer would too, later), refuses schemes other than http and https,
//!    and stops after [`MAX_REDIRECTS`] like reqwest's default policy.
//!
//! Every refusal is a [`Refusal`] boxed as the error's source, so `reqwest::Error`'s source chain
//! holds it ([`crate::refusal_of`]).
//!
//! Through a proxy (`HTTPS_PROXY` and the like) the resolver resolves the proxy's name, so the
//! proxy's own address must be allowed, and a destination *name* is resolved by the proxy and not
//! checked here; the connector layer still sees the destination (not the proxy), so literal IPs
//! and redirects to them are still refused.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::{Attempt, Policy};
use url::{Host, Url};

use crate::{EgressPolicy, Refusal, check_scheme};

/// Redirects followed before a request fails, as in reqwest's default policy.
pub(crate) const MAX_REDIRECTS: usize = 10;

type BoxError = Box<dyn Error + Send + Sync>;

pub(crate) fn apply(
    policy: &EgressPolicy,
    builder: reqwest::ClientBuilder,
) -> reqwest::ClientBuilder {
    let policy = Arc::new(policy.clone());
    let redirects = Arc::clone(&policy);
    builder
        .dns_resolver(Arc::new(PolicyResolver {
            policy: Arc::clone(&policy),
        }))
        .redirect(Policy::custom(move |attempt| redirect(&redirects, attempt)))
        .connector_layer(LiteralIpLayer { policy })
}

/// The system resolver, then the policy over every address.
struct PolicyResolver {
    policy: Arc<EgressPolicy>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str();
            // Port 0: reqwest puts the destination's port on the addresses it is given.
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
            for address in &addresses {
                policy.check_address(host, address.ip())?;
            }
            Ok::<Addrs, BoxError>(Box::new(addresses.into_iter()))
        })
    }
}

fn redirect(policy: &EgressPolicy, attempt: Attempt<'_>) -> reqwest::redirect::Action {
    // `previous` starts with the first request's URL, which was not a redirect.
    if attempt.previous().len() > MAX_REDIRECTS {
        return attempt.error(TooManyRedirects);
    }
    let checked = check_scheme(attempt.url()).and_then(|()| match attempt.url().host() {
        Some(Host::Ipv4(v4)) => policy.check_ip(v4.into()),
        Some(Host::Ipv6(v6)) => policy.check_ip(v6.into()),
        // Names go through the resolver when the redirect is followed.
        Some(Host::Domain(_)) | None => Ok(()),
    });
    match checked {
        Ok(()) => attempt.follow(),
        Err(refusal) => attempt.error(refusal),
    }
}

/// The error of a request that redirected more than [`MAX_REDIRECTS`] times.
#[derive(Debug)]
struct TooManyRedirects;

impl fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "more than {MAX_REDIRECTS} redirects")
    }
}

impl Error for TooManyRedirects {}

/// Wraps reqwest's connector: a new connection to a refused literal IP fails before dialling.
#[derive(Clone)]
struct LiteralIpLayer {
    policy: Arc<EgressPolicy>,
}

impl<S> tower_layer::Layer<S> for LiteralIpLayer {
    type Service = LiteralIpConnector<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LiteralIpConnector {
            inner,
            policy: Arc::clone(&self.policy),
        }
    }
}

#[derive(Clone)]
struct LiteralIpConnector<S> {
    inner: S,
    policy: Arc<EgressPolicy>,
}

/// Generic over the request because reqwest's connector request type is sealed: it can be
/// neither named nor read, except through its `Debug`, which prints the destination URI
/// (`Unnameable(http://10.0.0.1:80/)`). That is what [`destination`] reads. Should a later
/// reqwest print something else, every connection fails closed with a refusal saying so
/// (and this crate's tests fail), rather than connecting unchecked.
impl<S, R> tower_service::Service<R> for LiteralIpConnector<S>
where
    S: tower_service::Service<R, Error = BoxError>,
    S::Response: Send + 'static,
    S::Future: Send + 'static,
    R: fmt::Debug,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        match check_destination(&self.policy, &format!("{request:?}")) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(refusal) => Box::pin(std::future::ready(Err(Box::new(refusal) as BoxError))),
        }
    }
}

/// Checks the destination a connector request's `Debug` names, when its host is a literal IP.
fn check_destination(policy: &EgressPolicy, debugged: &str) -> Result<(), Refusal> {
    let Some(url) = destination(debugged) else {
        return Err(Refusal {
            host: String::new(),
            address: None,
            reason: format!(
                "the egress policy cannot read the destination of a connection ({debugged}); refusing it"
            ),
        });
    };
    match url.host() {
        Some(Host::Ipv4(v4)) => policy.check_ip(v4.into()),
        Some(Host::Ipv6(v6)) => policy.check_ip(v6.into()),
        Some(Host::Domain(_)) => Ok(()),
        None => Err(Refusal {
            host: String::new(),
            address: None,
            reason: "a connection has no destination host; refusing it".into(),
        }),
    }
}

/// The URI inside `Unnameable(…)` (or any `Name(…)` wrapper), parsed.
fn destination(debugged: &str) -> Option<Url> {
    let inner = debugged.split_once('(')?.1.strip_suffix(')')?;
    Url::parse(inner).ok().filter(|url| url.has_host())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_read_from_the_connector_request() {
        let strict = EgressPolicy::default();
        for ok in [
            "Unnameable(https://registry.example/)",
            "Unnameable(http://8.8.8.8:80/)",
            "Unnameable(https://[2001:db8::1]:443/)",
        ] {
            assert_eq!(check_destination(&strict, ok), Ok(()), "{ok}");
        }
        for (refused, address) in [
            ("Unnameable(http://127.0.0.1:5000/)", Some("127.0.0.1")),
            ("Unnameable(http://[::1]:5000/)", Some("::1")),
            (
                "Unnameable(http://169.254.169.254/)",
                Some("169.254.169.254"),
            ),
            (
                "Unnameable(http://[::ffff:10.0.0.1]/)",
                Some("::ffff:10.0.0.1"),
            ),
            ("Unnameable", None),
            ("Something { uri: http://127.0.0.1/ }", None),
            ("Unnameable(not a uri)", None),
        ] {
            let refusal = check_destination(&strict, refused).unwrap_err();
            assert_eq!(
                refusal.address,
                address.map(|a| a.parse().unwrap()),
                "{refused}: {refusal}"
            );
        }
        let loopback = EgressPolicy::default().allowing_loopback();
        assert_eq!(
            check_destination(&loopback, "Unnameable(http://127.0.0.1:5000/)"),
            Ok(())
        );
    }
}
