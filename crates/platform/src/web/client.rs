//! Who is on the other end: the client's address behind the province's load balancer, and a
//! request id nobody outside can forge.
//!
//! `X-Forwarded-For` and `X-Request-Id` are only as true as whoever wrote them. They are
//! honoured when the connection comes from a configured trusted proxy, and otherwise
//! ignored: the peer address is the client, and the request gets an id of our own. The login
//! throttles and the audit log key on [`ClientIp`], so one visitor's failures behind the
//! proxy no longer lock everyone out, and a client cannot write its own id into the audit log.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// Addresses and networks (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`) of the proxies whose
/// `X-Forwarded-For` and `X-Request-Id` are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma- or space-separated list; the error names the entry that is not an
    /// address or network.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in list.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let ip: IpAddr =
                addr.parse().map_err(|_| format!("“{item}” is not an IP address or network"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("“{item}”: the prefix length must be 0 to {max}"))?,
                None => max,
            };
            nets.push((ip, bits));
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, bits)| within(ip, *net, *bits))
    }

    /// The client behind a chain of proxies: the right-most `X-Forwarded-For` address that
    /// is not itself a trusted proxy, when the peer is trusted; otherwise the peer.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let hops = forwarded_for.iter().flat_map(|h| h.split(',')).map(str::trim);
        let mut client = peer;
        for hop in hops.collect::<Vec<_>>().into_iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else { break };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        client
    }
}

fn within(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (a, b, len) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        (IpAddr::V6(a), IpAddr::V4(b)) => match a.to_ipv4_mapped() {
            Some(a) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
            None => return false,
        },
        (IpAddr::V4(_), IpAddr::V6(_)) => return false,
    };
    let shift = len - u32::from(bits);
    shift >= len || (a >> shift) == (b >> shift)
}

/// The client's address as the platform believes it (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Whether a request id from a trusted proxy may be kept: short, and only characters that
/// cannot disguise anything in a log line.
fn acceptable_request_id(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
}

/// Works out [`ClientIp`] for the request and drops an `X-Request-Id` that did not come well
/// formed from a trusted proxy (a fresh id is made for it afterwards).
pub async fn client_address(
    State(proxies): State<Arc<TrustedProxies>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let trusted = peer.is_some_and(|p| proxies.contains(p));
    if let Some(peer) = peer {
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let ip = proxies.client(peer, &forwarded);
        req.extensions_mut().insert(ClientIp(ip));
    }
    let keep = trusted && req.headers().get("x-request-id").is_some_and(acceptable_request_id);
    if !keep {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn networks_and_addresses_parse_and_bad_entries_are_named() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 2001:db8::/32").expect("list");
        assert!(t.contains(ip("10.1.2.3")));
        assert!(t.contains(ip("192.0.2.7")));
        assert!(!t.contains(ip("192.0.2.8")));
        assert!(t.contains(ip("2001:db8::1")));
        assert!(t.contains(ip("::ffff:10.9.9.9")));
        let e = TrustedProxies::parse("10.0.0.0/33").expect_err("bad prefix");
        assert!(e.contains("10.0.0.0/33"), "{e}");
        assert!(TrustedProxies::parse("proxy.local").is_err());
        assert_eq!(TrustedProxies::parse("").expect("empty"), TrustedProxies::default());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let t = TrustedProxies::parse("10.0.0.5").expect("list");
        assert_eq!(t.client(ip("10.0.0.5"), &["203.0.113.9"]), ip("203.0.113.9"));
        assert_eq!(t.client(ip("198.51.100.1"), &["203.0.113.9"]), ip("198.51.100.1"));
    }

    #[test]
    fn the_client_is_the_right_most_address_that_is_not_a_trusted_proxy() {
        let t = TrustedProxies::parse("10.0.0.0/8").expect("list");
        // The client wrote a fake first hop; the proxies appended the real ones.
        let chain = ["1.1.1.1, 203.0.113.9", "10.0.0.7"];
        assert_eq!(t.client(ip("10.0.0.5"), &chain), ip("203.0.113.9"));
        assert_eq!(t.client(ip("10.0.0.5"), &["garbage"]), ip("10.0.0.5"));
    }

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(acceptable_request_id(&HeaderValue::from_static("lb-7f3a.19:2")));
        assert!(!acceptable_request_id(&HeaderValue::from_static("a b")));
        assert!(!acceptable_request_id(&HeaderValue::from_static("x\"}; drop")));
        let long = HeaderValue::from_str(&"a".repeat(65)).expect("header");
        assert!(!acceptable_request_id(&long));
    }
}
