//! What kind of destination an address is: never reachable, loopback, private or public.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::cidr::Cidr;

/// The kind of an address, as far as the egress policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// No configuration can allow it; the text names the kind ("a link-local address").
    Forbidden(&'static str),
    /// 127.0.0.0/8 and ::1.
    Loopback,
    /// RFC 1918, CGNAT and unique-local ranges.
    Private,
    /// Everything else.
    Public,
}

const LINK_LOCAL: Class = Class::Forbidden("a link-local address");
const MULTICAST: Class = Class::Forbidden("a multicast address");

/// IPv4 ranges, the first match wins.
const V4: &[(Cidr, Class)] = &[
    (
        v4(0, 0, 0, 0, 32),
        Class::Forbidden("the unspecified address"),
    ),
    (
        v4(0, 0, 0, 0, 8),
        Class::Forbidden("a \"this network\" address (0.0.0.0/8)"),
    ),
    (v4(169, 254, 0, 0, 16), LINK_LOCAL),
    (v4(224, 0, 0, 0, 4), MULTICAST),
    (
        v4(255, 255, 255, 255, 32),
        Class::Forbidden("the broadcast address"),
    ),
    (v4(127, 0, 0, 0, 8), Class::Loopback),
    (v4(10, 0, 0, 0, 8), Class::Private),
    (v4(172, 16, 0, 0, 12), Class::Private),
    (v4(192, 168, 0, 0, 16), Class::Private),
    (v4(100, 64, 0, 0, 10), Class::Private),
];

/// IPv6 ranges, the first match wins. Addresses that embed an IPv4 one are classified by it
/// before this table is consulted (see [`embedded_v4`]).
const V6: &[(Cidr, Class)] = &[
    (
        v6([0, 0, 0, 0, 0, 0, 0, 0], 128),
        Class::Forbidden("the unspecified address"),
    ),
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), Class::Loopback),
    // The AWS instance metadata service over IPv6 (Nitro), inside the unique-local range.
    (
        v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], 128),
        Class::Forbidden("a cloud metadata address"),
    ),
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), LINK_LOCAL),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), MULTICAST),
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), Class::Private),
    // Deprecated site-local addresses still route inside some networks.
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), Class::Private),
];

/// The class of `ip`.
pub(crate) fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(_) => lookup(V4, ip),
        IpAddr::V6(v6) if v6.is_unspecified() || v6.is_loopback() => lookup(V6, ip),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => lookup(V4, IpAddr::V4(v4)),
            None => lookup(V6, ip),
        },
    }
}

/// The IPv4 address an IPv6 one stands for: IPv4-mapped `::ffff:a.b.c.d` (the socket reaches
/// a.b.c.d), the NAT64 well-known prefix `64:ff9b::/96` (a translator reaches it) and the
/// deprecated IPv4-compatible `::a.b.c.d`.
pub(crate) fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let [a, b, c, d, e, f, _, _] = v6.segments();
    let tail = Ipv4Addr::from(u32::try_from(u128::from(v6) & 0xffff_ffff).ok()?);
    match [a, b, c, d, e, f] {
        [0, 0, 0, 0, 0, 0xffff] | [0x64, 0xff9b, 0, 0, 0, 0] | [0, 0, 0, 0, 0, 0] => Some(tail),
        _ => None,
    }
}

/// Why every address of `cidr` is always refused, when it is; so that a listed range that
/// could never take effect is an error at start-up rather than a silent no-op.
pub(crate) fn never_allowed(cidr: &Cidr) -> Option<&'static str> {
    let (table, cidr) = match cidr.network() {
        IpAddr::V4(_) => (V4, *cidr),
        IpAddr::V6(v6) if v6.is_unspecified() || v6.is_loopback() => (V6, *cidr),
        IpAddr::V6(v6) => match embedded_v4(v6).filter(|_| cidr.prefix() >= 96) {
            Some(v4) => (V4, Cidr::exact(IpAddr::V4(v4), cidr.prefix() - 96)),
            None => (V6, *cidr),
        },
    };
    table.iter().find_map(|(range, class)| match class {
        Class::Forbidden(what) if range.covers(&cidr) => Some(*what),
        _ => None,
    })
}

fn lookup(table: &[(Cidr, Class)], ip: IpAddr) -> Class {
    table
        .iter()
        .find(|(range, _)| range.contains(ip))
        .map_or(Class::Public, |(_, class)| *class)
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Cidr {
    Cidr::exact(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), prefix)
}

const fn v6(s: [u16; 8], prefix: u8) -> Cidr {
    Cidr::exact(
        IpAddr::V6(Ipv6Addr::new(
            s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
        )),
        prefix,
    )
}
