//! The SMTP server's URL.

use std::fmt;

use super::NotifyError;

// SMTP URL

/// Where the SMTP server is, parsed from `smtp://[user:pass@]host[:port]`.
///
/// Only plain SMTP is supported for now: the connection is not encrypted (no STARTTLS, no
/// implicit TLS), so point it at a relay on the same host or a trusted network.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// Port, 25 unless given.
    pub port: u16,
    /// User name and password, percent-decoded.
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

impl fmt::Display for SmtpUrl {
    /// The URL with the password hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host =
            if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        match &self.credentials {
            Some((user, _)) => write!(f, "smtp://{user}:***@{host}:{}", self.port),
            None => write!(f, "smtp://{host}:{}", self.port),
        }
    }
}

impl SmtpUrl {
    /// Parses `smtp://[user:pass@]host[:port]`; `smtps://` and other schemes are refused.
    pub fn parse(url: &str) -> Result<Self, NotifyError> {
        let err = |m: &str| NotifyError::Config(format!("SMTP URL: {m}"));
        let url = url.trim();
        let (scheme, rest) =
            url.split_once("://").ok_or_else(|| err("expected smtp://[user:pass@]host[:port]"))?;
        match scheme.to_ascii_lowercase().as_str() {
            "smtp" => {}
            "smtps" => {
                return Err(err(
                    "smtps:// (TLS) is not supported by this build; use smtp:// to a local or trusted relay",
                ))
            }
            _ => return Err(err("the scheme must be smtp://")),
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if !(tail.is_empty() || tail == "/") {
            return Err(err("no path, query or fragment is allowed after the host"));
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let credentials = match userinfo {
            None => None,
            Some(u) => {
                let (user, pass) = u
                    .split_once(':')
                    .ok_or_else(|| err("a user name needs a password (user:pass@host)"))?;
                let user =
                    percent_decode(user).ok_or_else(|| err("bad %-escape in the user name"))?;
                let pass =
                    percent_decode(pass).ok_or_else(|| err("bad %-escape in the password"))?;
                if user.is_empty() {
                    return Err(err("the user name is empty"));
                }
                Some((user, pass))
            }
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) =
                v6.split_once(']').ok_or_else(|| err("unclosed [ in an IPv6 address"))?;
            if h.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(err("bad IPv6 address"));
            }
            match after {
                "" => (h.to_string(), None),
                p => match p.strip_prefix(':') {
                    Some(p) => (h.to_string(), Some(p)),
                    None => return Err(err("unexpected text after the IPv6 address")),
                },
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (hostport.to_string(), None),
            }
        };
        let host_ok = !host.is_empty()
            && (host.contains(':')
                || host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
        if !host_ok {
            return Err(err("missing or invalid host"));
        }
        let port = match port {
            None => 25,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| err("the port must be a number from 1 to 65535"))?,
        };
        Ok(SmtpUrl { host, port, credentials })
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_smtp_url_defaults_to_port_25() {
        let u = SmtpUrl::parse("smtp://mail.soctrang.gov.vn").expect("parse");
        assert_eq!(u.host, "mail.soctrang.gov.vn");
        assert_eq!(u.port, 25);
        assert_eq!(u.credentials, None);
        let u = SmtpUrl::parse("smtp://127.0.0.1:2525/").expect("parse");
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 2525));
    }

    #[test]
    fn smtp_credentials_are_percent_decoded_and_hidden_when_shown() {
        let u = SmtpUrl::parse("SMTP://no-reply%40soctrang.gov.vn:p%3Ass%40w@relay.local:587")
            .expect("parse");
        assert_eq!(u.credentials, Some(("no-reply@soctrang.gov.vn".into(), "p:ss@w".into())));
        assert_eq!(u.port, 587);
        assert_eq!(u.to_string(), "smtp://no-reply@soctrang.gov.vn:***@relay.local:587");
        assert!(!format!("{u:?}").contains("p:ss"));
    }

    #[test]
    fn an_ipv6_smtp_host_is_written_in_brackets() {
        let u = SmtpUrl::parse("smtp://[::1]:2525").expect("parse");
        assert_eq!((u.host.as_str(), u.port), ("::1", 2525));
        assert_eq!(u.to_string(), "smtp://[::1]:2525");
    }

    #[test]
    fn unusable_smtp_urls_are_refused_with_a_reason() {
        for bad in [
            "mail.local:25",
            "http://mail.local",
            "smtps://mail.local:465",
            "smtp://",
            "smtp://mail.local:0",
            "smtp://mail.local:99999",
            "smtp://mail.local:x",
            "smtp://user@mail.local",
            "smtp://mail.local/x",
            "smtp://mail.local?tls=required",
            "smtp://u:%zz@mail.local",
            "smtp://[::1",
            "smtp://mail_local",
        ] {
            assert!(matches!(SmtpUrl::parse(bad), Err(NotifyError::Config(_))), "{bad} accepted");
        }
        let Err(e) = SmtpUrl::parse("smtps://x") else { panic!("accepted") };
        assert!(e.to_string().contains("TLS"));
    }
}
