//! Address ranges in CIDR notation, parsed by hand: the policy needs parsing, containment and
//! display of a handful of ranges, which is smaller than a dependency (`ipnet`) would be.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One range, `network/prefix`, with no host bits set in `network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The range; `None` when the prefix is too long for the family or host bits are set.
    pub(crate) fn new(network: IpAddr, prefix: u8) -> Option<Self> {
        let cidr = Self { network, prefix };
        (prefix <= max_prefix(network) && cidr.mask(network) == bits(network)).then_some(cidr)
    }

    /// A range the caller knows to be well formed (the constant tables).
    pub(crate) const fn exact(network: IpAddr, prefix: u8) -> Self {
        Self { network, prefix }
    }

    /// The first address.
    pub(crate) fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length.
    pub(crate) fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies in the range; never across families.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        self.network.is_ipv4() == ip.is_ipv4() && self.mask(ip) == bits(self.network)
    }

    /// Whether every address of `other` lies in this range.
    pub(crate) fn covers(&self, other: &Self) -> bool {
        other.prefix >= self.prefix && self.contains(other.network)
    }

    /// `ip` with the bits below the prefix cleared, as a number.
    fn mask(&self, ip: IpAddr) -> u128 {
        let width = u32::from(max_prefix(ip));
        let host_bits = width - u32::from(self.prefix);
        match host_bits {
            0 => bits(ip),
            128 => 0,
            n => bits(ip) >> n << n,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    /// `10.1.0.0/16`, `fd00::/8`, or a bare address (a range of one).
    fn from_str(text: &str) -> Result<Self, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().map_err(|_| {
            format!("'{text}' is neither loopback, private nor an IP address or CIDR")
        })?;
        let prefix = match prefix {
            None => max_prefix(network),
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max_prefix(network))
                .ok_or_else(|| {
                    format!(
                        "'{text}' has an invalid prefix length (0 to {} for this address)",
                        max_prefix(network)
                    )
                })?,
        };
        Self::new(network, prefix).ok_or_else(|| {
            let network = from_bits(network, Self::exact(network, prefix).mask(network));
            format!("'{text}' has host bits set; the range is written {network}/{prefix}")
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// 32 or 128.
fn max_prefix(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// The address of `like`'s family whose number is `value`.
fn from_bits(like: IpAddr, value: u128) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4(u32::try_from(value).unwrap_or(u32::MAX).into()),
        IpAddr::V6(_) => IpAddr::V6(value.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn parse_and_display() {
        for (text, shown) in [
            ("10.1.0.0/16", "10.1.0.0/16"),
            ("10.1.2.3", "10.1.2.3/32"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("fd00::/8", "fd00::/8"),
            ("2001:db8::1", "2001:db8::1/128"),
            ("::/0", "::/0"),
        ] {
            assert_eq!(text.parse::<Cidr>().unwrap().to_string(), shown, "{text}");
        }
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        for (text, says) in [
            ("10.1.0.0/33", "prefix length (0 to 32"),
            ("fd00::/129", "prefix length (0 to 128"),
            ("10.1.0.0/", "prefix length"),
            ("10.1.0.0/x", "prefix length"),
            ("10.1.2.3/16", "written 10.1.0.0/16"),
            ("fd00::1/8", "written fd00::/8"),
            ("10.1.0/16", "neither loopback"),
            ("example.com", "neither loopback"),
        ] {
            let err = text.parse::<Cidr>().unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn containment() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.0.0")));
        assert!(net.contains(ip("10.1.255.255")));
        assert!(!net.contains(ip("10.2.0.0")));
        assert!(!net.contains(ip("::ffff:10.1.0.1")), "families never mix");
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("255.255.255.255")));
        assert!(!all.contains(ip("::1")));
        let ula: Cidr = "fd00::/8".parse().unwrap();
        assert!(ula.contains(ip("fdff::1")));
        assert!(!ula.contains(ip("fc00::1")));
        let one: Cidr = "2001:db8::1".parse().unwrap();
        assert!(one.contains(ip("2001:db8::1")));
        assert!(!one.contains(ip("2001:db8::2")));
        assert!(net.covers(&"10.1.2.0/24".parse().unwrap()));
        assert!(!net.covers(&"10.0.0.0/8".parse().unwrap()));
    }
}
