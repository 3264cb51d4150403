//! relman's one egress policy: which destination addresses its outgoing HTTP requests (registries,
//! their token realms, webhooks) may reach, so that a URL an API user typed cannot make the server
//! request its cloud metadata service or an internal admin port (server-side request forgery).
//!
//! - **Always refused**, whatever the configuration: link-local (`169.254.0.0/16`, `fe80::/10`,
//!   which holds the cloud metadata service at `169.254.169.254`), the AWS IPv6 metadata address
//!   `fd00:ec2::254`, unspecified (`0.0.0.0/8`, `::`), multicast and broadcast.
//! - **Refused unless allowed** by `RELMAN_EGRESS_ALLOW`: loopback (`127.0.0.0/8`, `::1`) with
//!   `loopback`; private (`10/8`, `172.16/12`, `192.168/16`, `100.64/10`, `fc00::/7`, `fec0::/10`)
//!   with `private`; any listed CIDR.
//! - **Allowed**: everything else (public addresses).
//!
//! An IPv6 address that stands for an IPv4 one (`::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`,
//! IPv4-compatible `::a.b.c.d`) is judged by that IPv4 address.
//!
//! [`EgressPolicy::apply`] enforces the policy inside a reqwest client (resolver, connector and
//! redirects; see its docs); [`EgressPolicy::check_url`] checks a URL up front, for validation.
//! A refused request fails with a [`Refusal`] in its error's source chain ([`refusal_of`]).

mod cidr;
mod class;
mod client;

use std::error::Error;
use std::net::IpAddr;

use url::{Host, Url};

use crate::cidr::Cidr;
use crate::class::{Class, classify, embedded_v4, never_allowed};

/// The environment variable (and its help text's name) that configures the policy.
pub const ENV_VAR: &str = "RELMAN_EGRESS_ALLOW";

/// Which destination addresses outgoing requests may reach. Default = strict: public addresses
/// only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    loopback: bool,
    private: bool,
    cidrs: Vec<Cidr>,
}

/// Why a destination is refused. `Display` is `reason`, one sentence naming the host and the
/// address, e.g. "169.254.169.254 is a link-local address, which outgoing requests may never
/// reach" or "127.0.0.1 is a loopback address; allow it with RELMAN_EGRESS_ALLOW=loopback". It
/// never holds a URL's path or query (which may carry credentials).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    /// The host asked for: a name, or an address as written.
    pub host: String,
    /// The refused address, when the refusal is about one (not about a scheme or a lookup).
    pub address: Option<IpAddr>,
    /// The whole explanation, as `Display` prints it.
    pub reason: String,
}

/// A `RELMAN_EGRESS_ALLOW` value that cannot be understood.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(String);

impl EgressPolicy {
    /// Parses `RELMAN_EGRESS_ALLOW`: comma-separated `loopback`, `private`, or CIDRs
    /// (`10.1.0.0/16`, `fd00::/8`, a bare IP = /32 or /128). Empty string = default. An unknown
    /// word, a bad CIDR or a range that is always refused is an error saying which.
    pub fn parse(spec: &str) -> Result<Self, PolicyError> {
        let mut policy = Self::default();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry.to_ascii_lowercase().as_str() {
                "loopback" => policy.loopback = true,
                "private" => policy.private = true,
                _ => {
                    let cidr: Cidr = entry.parse().map_err(|e| {
                        PolicyError(format!(
                            "{e}; {ENV_VAR} lists loopback, private or CIDRs such as 10.1.0.0/16, separated by commas"
                        ))
                    })?;
                    if let Some(what) = never_allowed(&cidr) {
                        return Err(PolicyError(format!(
                            "'{entry}' is {what}, which outgoing requests may never reach; it cannot be allowed"
                        )));
                    }
                    if !policy.cidrs.contains(&cidr) {
                        policy.cidrs.push(cidr);
                    }
                }
            }
        }
        Ok(policy)
    }

    /// Builder used by tests and local set-ups: also allows loopback (127.0.0.0/8 and ::1).
    #[must_use]
    pub fn allowing_loopback(mut self) -> Self {
        self.loopback = true;
        self
    }

    /// Checks one address.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refusal> {
        self.check_address(&ip.to_string(), ip)
    }

    /// Parses `url` (http and https only), resolves its host (a literal IP as is, a name with the
    /// system resolver) and checks every address: for validating a URL when it is configured.
    /// A name that does not resolve is refused too, since it cannot be checked.
    pub async fn check_url(&self, url: &str) -> Result<(), Refusal> {
        let refuse = |host: &str, reason: String| Refusal {
            host: host.to_owned(),
            address: None,
            reason,
        };
        let url = Url::parse(url).map_err(|e| refuse("", format!("the URL is not valid ({e})")))?;
        check_scheme(&url)?;
        let port = url.port_or_known_default().unwrap_or(80);
        match url.host() {
            None => Err(refuse("", "the URL has no host".to_owned())),
            Some(Host::Ipv4(v4)) => self.check_ip(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => self.check_ip(IpAddr::V6(v6)),
            Some(Host::Domain(name)) => {
                let addresses: Vec<_> = tokio::net::lookup_host((name, port))
                    .await
                    .map_err(|e| refuse(name, format!("{name} could not be resolved ({e})")))?
                    .collect();
                if addresses.is_empty() {
                    return Err(refuse(name, format!("{name} resolves to no address")));
                }
                addresses
                    .iter()
                    .try_for_each(|a| self.check_address(name, a.ip()))
            }
        }
    }

    /// Applies the policy to a reqwest client builder: a DNS resolver (the system one) that
    /// refuses a name when *any* address it resolves to is refused, a connector layer that
    /// refuses a new connection to a refused literal IP before dialling (reqwest does not ask the
    /// resolver about those), and a redirect policy that refuses redirects to refused literal IPs
    /// and to schemes other than http(s), and stops after 10. A refused request fails with the
    /// [`Refusal`] in its error's source chain ([`refusal_of`]).
    ///
    /// Set the rest of the builder as usual, but do not replace its DNS resolver or redirect
    /// policy, nor add `resolve` overrides, afterwards: each would bypass the policy.
    pub fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        client::apply(self, builder)
    }

    /// Human summary for logs, e.g. "loopback, private, 10.1.0.0/16"; "public addresses only"
    /// for the default.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.loopback {
            parts.push("loopback".into());
        }
        if self.private {
            parts.push("private".into());
        }
        parts.extend(self.cidrs.iter().map(ToString::to_string));
        if parts.is_empty() {
            "public addresses only".into()
        } else {
            parts.join(", ")
        }
    }

    /// Checks `ip`, which `host` (a name, or the address itself) stands for.
    pub(crate) fn check_address(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        let what = match classify(ip) {
            Class::Public => return Ok(()),
            Class::Forbidden(what) => format!("{what}, which outgoing requests may never reach"),
            Class::Loopback if self.loopback || self.listed(ip) => return Ok(()),
            Class::Loopback => {
                format!("a loopback address; allow it with {ENV_VAR}=loopback")
            }
            Class::Private if self.private || self.listed(ip) => return Ok(()),
            Class::Private => format!(
                "a private address; allow it with {ENV_VAR}=private or a CIDR that contains it"
            ),
        };
        let literal = host.trim_start_matches('[').trim_end_matches(']').parse() == Ok(ip);
        let reason = if literal {
            format!("{ip} is {what}")
        } else {
            format!("{host} resolves to {ip}, {what}")
        };
        Err(Refusal {
            host: host.to_owned(),
            address: Some(ip),
            reason,
        })
    }

    /// Whether a listed range holds `ip` (or the IPv4 address it stands for).
    fn listed(&self, ip: IpAddr) -> bool {
        let v4 = match ip {
            IpAddr::V6(v6) => embedded_v4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        self.cidrs
            .iter()
            .any(|c| c.contains(ip) || v4.is_some_and(|v4| c.contains(v4)))
    }
}

/// The [`Refusal`] somewhere in `err`'s source chain (`err` itself included), e.g. in the
/// `reqwest::Error` of a request the policy stopped.
pub fn refusal_of<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a Refusal> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(refusal) = e.downcast_ref::<Refusal>() {
            return Some(refusal);
        }
        current = e.source();
    }
    None
}

/// Refuses anything but http and https. The URL itself is not echoed: it may hold credentials.
pub(crate) fn check_scheme(url: &Url) -> Result<(), Refusal> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(Refusal {
            host: url.host_str().unwrap_or_default().to_owned(),
            address: None,
            reason: format!("only http and https URLs may be requested, not {other}"),
        }),
    }
}

#[cfg(test)]
mod tests;
