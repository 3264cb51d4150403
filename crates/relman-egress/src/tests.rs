use std::net::IpAddr;

use crate::EgressPolicy;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// How a policy treats one address: `Ok` or the start of the refusal's kind.
fn verdict(policy: &EgressPolicy, address: &str) -> Result<(), String> {
    policy.check_ip(ip(address)).map_err(|refusal| {
        assert_eq!(refusal.address, Some(ip(address)));
        assert_eq!(refusal.host.parse(), Ok(ip(address)));
        refusal.reason
    })
}

const NEVER: &str = "which outgoing requests may never reach";
const LOOPBACK: &str = "a loopback address; allow it with RELMAN_EGRESS_ALLOW=loopback";
const PRIVATE: &str = "a private address; allow it with RELMAN_EGRESS_ALLOW=private";

/// Every address with what the strict policy, the loopback one, the private one and the most
/// permissive one (`loopback,private,0.0.0.0/0,::/0`) say about it: `A` allowed, `L` refused as
/// loopback, `P` refused as private, `N` never allowed.
#[test]
fn classification_table() {
    let strict = EgressPolicy::default();
    let loopback = EgressPolicy::parse("loopback").unwrap();
    let private = EgressPolicy::parse("private").unwrap();
    let everything = EgressPolicy::parse("loopback,private,0.0.0.0/0,::/0").unwrap();
    #[rustfmt::skip]
    let table = [
        // public
        ("8.8.8.8", "AAAA"), ("1.1.1.1", "AAAA"), ("2606:4700::1111", "AAAA"),
        ("172.32.0.1", "AAAA"), ("100.128.0.1", "AAAA"), ("169.253.255.255", "AAAA"),
        ("::ffff:8.8.8.8", "AAAA"), ("64:ff9b::808:808", "AAAA"), ("2001:db8::1", "AAAA"),
        // loopback
        ("127.0.0.1", "LALA"), ("127.255.255.254", "LALA"), ("::1", "LALA"),
        ("::ffff:127.0.0.1", "LALA"),
        // private, CGNAT, unique-local
        ("10.0.0.1", "PPAA"), ("172.16.0.1", "PPAA"), ("172.31.255.255", "PPAA"),
        ("192.168.1.1", "PPAA"), ("100.64.0.1", "PPAA"), ("100.127.255.255", "PPAA"),
        ("fc00::1", "PPAA"), ("fd12:3456::1", "PPAA"), ("fec0::1", "PPAA"),
        ("::ffff:10.0.0.1", "PPAA"), ("::ffff:192.168.0.1", "PPAA"), ("64:ff9b::a00:1", "PPAA"),
        // never
        ("169.254.169.254", "NNNN"), ("169.254.0.1", "NNNN"), ("fe80::1", "NNNN"),
        ("febf::1", "NNNN"), ("fd00:ec2::254", "NNNN"), ("0.0.0.0", "NNNN"), ("0.1.2.3", "NNNN"),
        ("::", "NNNN"), ("224.0.0.1", "NNNN"), ("239.255.255.250", "NNNN"), ("ff02::1", "NNNN"),
        ("255.255.255.255", "NNNN"), ("::ffff:169.254.169.254", "NNNN"), ("::ffff:0.0.0.0", "NNNN"),
        ("::ffff:224.0.0.1", "NNNN"), ("::ffff:255.255.255.255", "NNNN"),
        ("64:ff9b::a9fe:a9fe", "NNNN"), ("::169.254.169.254", "NNNN"),
    ];
    for (address, expected) in table {
        for (policy, want) in [&strict, &loopback, &private, &everything]
            .into_iter()
            .zip(expected.chars())
        {
            let got = verdict(policy, address);
            let ok = match want {
                'A' => got.is_ok(),
                'L' => got.as_ref().is_err_and(|r| r.contains(LOOPBACK)),
                'P' => got.as_ref().is_err_and(|r| r.contains(PRIVATE)),
                'N' => got.as_ref().is_err_and(|r| r.ends_with(NEVER)),
                _ => unreachable!(),
            };
            assert!(
                ok,
                "{address} under {}: want {want}, got {got:?}",
                policy.describe()
            );
        }
    }
}

#[test]
fn refusals_read_well() {
    let strict = EgressPolicy::default();
    let text = |address: &str| strict.check_ip(ip(address)).unwrap_err().to_string();
    assert_eq!(
        text("169.254.169.254"),
        "169.254.169.254 is a link-local address, which outgoing requests may never reach"
    );
    assert_eq!(
        text("127.0.0.1"),
        "127.0.0.1 is a loopback address; allow it with RELMAN_EGRESS_ALLOW=loopback"
    );
    assert_eq!(
        text("fd00:ec2::254"),
        "fd00:ec2::254 is a cloud metadata address, which outgoing requests may never reach"
    );
    assert_eq!(
        text("10.0.0.1"),
        "10.0.0.1 is a private address; allow it with RELMAN_EGRESS_ALLOW=private or a CIDR that contains it"
    );
    let resolved = strict.check_address("localhost", ip("::1")).unwrap_err();
    assert_eq!(
        resolved.to_string(),
        "localhost resolves to ::1, a loopback address; allow it with RELMAN_EGRESS_ALLOW=loopback"
    );
    assert_eq!(resolved.host, "localhost");
    assert_eq!(resolved.address, Some(ip("::1")));
}

#[test]
fn listed_ranges_allow_only_themselves() {
    let policy = EgressPolicy::parse("10.1.0.0/16, fd00:1::/32 ,192.168.7.7").unwrap();
    for allowed in [
        "10.1.0.1",
        "10.1.255.255",
        "::ffff:10.1.2.3",
        "fd00:1::5",
        "192.168.7.7",
        "8.8.8.8",
    ] {
        assert_eq!(verdict(&policy, allowed), Ok(()), "{allowed}");
    }
    for refused in ["10.2.0.1", "fd00:2::5", "192.168.7.8", "127.0.0.1", "::1"] {
        assert!(verdict(&policy, refused).is_err(), "{refused}");
    }
    // A range over the never-allowed addresses does not reach them.
    let wide = EgressPolicy::parse("0.0.0.0/0,::/0").unwrap();
    for never in [
        "169.254.169.254",
        "fd00:ec2::254",
        "fe80::1",
        "255.255.255.255",
    ] {
        assert!(
            verdict(&wide, never).is_err_and(|r| r.ends_with(NEVER)),
            "{never}"
        );
    }
    assert_eq!(verdict(&wide, "127.0.0.1"), Ok(()));
    assert_eq!(verdict(&wide, "fd00:ec2::253"), Ok(()));
}

#[test]
fn parse_and_describe() {
    for (spec, described) in [
        ("", "public addresses only"),
        ("  ", "public addresses only"),
        ("loopback", "loopback"),
        ("private,loopback", "loopback, private"),
        ("LOOPBACK, Private", "loopback, private"),
        ("loopback,,private,", "loopback, private"),
        (
            "loopback, private, 10.1.0.0/16",
            "loopback, private, 10.1.0.0/16",
        ),
        ("10.1.0.0/16,10.1.0.0/16", "10.1.0.0/16"),
        ("fd00::/8, 10.1.2.3", "fd00::/8, 10.1.2.3/32"),
        ("::1", "::1/128"),
    ] {
        assert_eq!(
            EgressPolicy::parse(spec).unwrap().describe(),
            described,
            "{spec:?}"
        );
    }
    assert_eq!(EgressPolicy::parse("").unwrap(), EgressPolicy::default());
    assert_eq!(
        EgressPolicy::parse("loopback").unwrap(),
        EgressPolicy::default().allowing_loopback()
    );
}

#[test]
fn parse_errors_are_clear() {
    for (spec, says) in [
        (
            "loopbak",
            "'loopbak' is neither loopback, private nor an IP address or CIDR",
        ),
        ("loopback,public", "'public' is neither"),
        ("10.0.0.0/33", "'10.0.0.0/33' has an invalid prefix length"),
        (
            "10.0.0.1/8",
            "'10.0.0.1/8' has host bits set; the range is written 10.0.0.0/8",
        ),
        (
            "169.254.169.254",
            "'169.254.169.254' is a link-local address, which outgoing requests may never reach; it cannot be allowed",
        ),
        ("169.254.0.0/16", "link-local"),
        ("fe80::/64", "link-local"),
        ("fd00:ec2::254", "cloud metadata"),
        ("::ffff:169.254.169.254", "link-local"),
        ("224.0.0.0/8", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
    ] {
        let err = EgressPolicy::parse(spec).unwrap_err().to_string();
        assert!(err.contains(says), "{spec}: {err}");
    }
    let err = EgressPolicy::parse("intranet").unwrap_err().to_string();
    assert!(
        err.contains("RELMAN_EGRESS_ALLOW lists loopback, private or CIDRs"),
        "{err}"
    );
    // Ranges that only touch the never-allowed set are fine.
    for ok in ["169.0.0.0/8", "::1", "fd00::/8", "::ffff:10.0.0.0/104"] {
        assert!(EgressPolicy::parse(ok).is_ok(), "{ok}");
    }
}

#[tokio::test]
async fn check_url_refuses_internal_destinations_by_default() {
    let strict = EgressPolicy::default();
    let loopback = EgressPolicy::default().allowing_loopback();
    for (url, says) in [
        (
            "http://169.254.169.254/latest/meta-data",
            "169.254.169.254 is a link-local address",
        ),
        (
            "http://[fd00:ec2::254]/",
            "fd00:ec2::254 is a cloud metadata address",
        ),
        (
            "http://2852039166/",
            "169.254.169.254 is a link-local address",
        ),
        (
            "http://[::ffff:a9fe:a9fe]/",
            "::ffff:169.254.169.254 is a link-local",
        ),
    ] {
        for policy in [&strict, &loopback] {
            let refusal = policy.check_url(url).await.unwrap_err();
            assert!(refusal.to_string().contains(says), "{url}: {refusal}");
        }
    }
    for url in [
        "http://localhost:1/",
        "http://127.0.0.1:1/",
        "https://[::1]/",
    ] {
        let refusal = strict.check_url(url).await.unwrap_err();
        assert!(
            refusal.reason.contains("a loopback address"),
            "{url}: {refusal}"
        );
        assert!(refusal.address.is_some_and(|a| a.is_loopback()), "{url}");
        assert_eq!(loopback.check_url(url).await, Ok(()), "{url}");
    }
    let localhost = strict.check_url("http://localhost:1/").await.unwrap_err();
    assert_eq!(localhost.host, "localhost");
    assert!(
        localhost.reason.starts_with("localhost resolves to "),
        "{localhost}"
    );
    assert_eq!(strict.check_url("https://93.184.215.14/").await, Ok(()));
}

#[tokio::test]
async fn check_url_refuses_what_it_cannot_check() {
    let open = EgressPolicy::parse("loopback,private").unwrap();
    for (url, says) in [
        (
            "ftp://user:pw-secret@files.example/x",
            "only http and https URLs may be requested, not ftp",
        ),
        ("file:///etc/passwd", "not file"),
        ("not a url", "the URL is not valid"),
        (
            "http://unresolvable.invalid/",
            "unresolvable.invalid could not be resolved",
        ),
    ] {
        let refusal = open.check_url(url).await.unwrap_err();
        assert!(refusal.reason.contains(says), "{url}: {refusal}");
        assert!(!refusal.reason.contains("pw-secret"), "{refusal}");
        assert_eq!(refusal.address, None);
    }
}
