//! Where a request comes from, as the services record it and as their rate limits count it.
//!
//! Both services take the peer address of the connection, or, when told to trust a reverse
//! proxy, the last `X-Forwarded-For` entry (the one that proxy wrote: earlier entries are
//! whatever the client sent). Rate limits count per [`AddressScope`]: an IPv4 address, or the
//! /64 network of an IPv6 one, since one host commonly holds a whole /64 and could otherwise
//! pick a fresh address for every try.

use std::fmt;
use std::net::IpAddr;

/// The address of a request: the peer's, or with `trust_forwarded_for` the last non-empty
/// `X-Forwarded-For` entry when there is one. `None` when neither is known (a request that did
/// not come over TCP).
pub fn request_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trust_forwarded_for: bool,
) -> Option<String> {
    let forwarded = forwarded_for
        .filter(|_| trust_forwarded_for)
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    forwarded.or_else(|| peer.map(|ip| ip.to_canonical().to_string()))
}

/// What a rate limit counts failures per: see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddressScope(String);

impl AddressScope {
    /// The scope of an address as [`request_address`] gives it: an IPv4 address as it is (also
    /// when written IPv4-mapped, `::ffff:192.0.2.1`, as a dual-stack listener reports IPv4
    /// peers), an IPv6 address as its /64, and everything else (no address, a forwarded value
    /// that is not an IP address) as the one scope `unknown`.
    pub fn of(address: Option<&str>) -> Self {
        let ip = address.and_then(|a| a.trim().parse::<IpAddr>().ok());
        Self(match ip.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V4(v4)) => v4.to_string(),
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            None => "unknown".into(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AddressScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_unless_a_trusted_proxy_names_the_client() {
        let peer = Some("192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
        let xff = Some("203.0.113.9, 198.51.100.7 ");
        assert_eq!(
            request_address(peer, xff, false).as_deref(),
            Some("192.0.2.1")
        );
        assert_eq!(
            request_address(peer, xff, true).as_deref(),
            Some("198.51.100.7")
        );
        assert_eq!(
            request_address(peer, Some(" , "), true).as_deref(),
            Some("192.0.2.1")
        );
        assert_eq!(
            request_address(peer, None, true).as_deref(),
            Some("192.0.2.1")
        );
        assert_eq!(request_address(None, None, false), None);
        let mapped = "::ffff:192.0.2.1".parse().ok();
        assert_eq!(
            request_address(mapped, None, false).as_deref(),
            Some("192.0.2.1")
        );
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let scope = |a: &str| AddressScope::of(Some(a)).to_string();
        assert_eq!(scope("192.0.2.1"), "192.0.2.1");
        assert_eq!(scope("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(scope("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(scope("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
        assert_ne!(scope("2001:db8:1:3::1"), scope("2001:db8:1:2::1"));
        assert_eq!(scope("not an address"), "unknown");
        assert_eq!(AddressScope::of(None).as_str(), "unknown");
    }
}
