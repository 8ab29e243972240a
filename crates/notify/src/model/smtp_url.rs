//! The SMTP server's URL.

use std::fmt;

use super::NotifyError;

// SMTP URL

/// Where the SMTP server is and how the connection is protected:
///
/// - `smtps://[user:pass@]host[:port]`: TLS from the first byte (implicit TLS, port 465
///   unless given);
/// - `smtp://[user:pass@]host[:port]?starttls=required`: plain SMTP upgraded with STARTTLS
///   (port 25 unless given; 587 is the usual submission port); a server that does not offer
///   STARTTLS is refused, never used in clear text;
/// - `smtp://[user:pass@]host[:port]`: plain SMTP, not encrypted, for a relay on the same host
///   or a trusted network.
///
/// The server's certificate is always verified (the Mozilla roots and the `tls_ca_file`
/// bundle).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// Port: given, or 465 for `smtps://`, 25 for `smtp://`.
    pub port: u16,
    /// User name and password, percent-decoded.
    pub credentials: Option<(String, String)>,
    /// How the connection is protected.
    pub security: SmtpSecurity,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Not at all (`smtp://`).
    Plain,
    /// STARTTLS, required (`smtp://…?starttls=required`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    ImplicitTls,
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
        let scheme = if self.security == SmtpSecurity::ImplicitTls { "smtps" } else { "smtp" };
        let query = if self.security == SmtpSecurity::StartTls { "?starttls=required" } else { "" };
        match &self.credentials {
            Some((user, _)) => write!(f, "{scheme}://{user}:***@{host}:{}{query}", self.port),
            None => write!(f, "{scheme}://{host}:{}{query}", self.port),
        }
    }
}

impl SmtpUrl {
    /// Parses `smtps://[user:pass@]host[:port]` or `smtp://[user:pass@]host[:port]`, the
    /// latter optionally with `?starttls=required`; anything else is refused.
    pub fn parse(url: &str) -> Result<Self, NotifyError> {
        let err = |m: &str| NotifyError::Config(format!("SMTP URL: {m}"));
        let url = url.trim();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| err("expected smtps://[user:pass@]host[:port] or smtp://…"))?;
        let implicit = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => false,
            "smtps" => true,
            _ => return Err(err("the scheme must be smtps:// or smtp://")),
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (path, query) = match tail.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (tail, None),
        };
        if !(path.is_empty() || path == "/") || tail.contains('#') {
            return Err(err("no path or fragment is allowed after the host"));
        }
        let security = match (implicit, query) {
            (true, None) => SmtpSecurity::ImplicitTls,
            (false, None) => SmtpSecurity::Plain,
            (false, Some(q)) if q.eq_ignore_ascii_case("starttls=required") => {
                SmtpSecurity::StartTls
            }
            (true, Some(_)) => {
                return Err(err("smtps:// takes no parameters (TLS starts with the connection)"))
            }
            (false, Some(_)) => {
                return Err(err("the only parameter of smtp:// is ?starttls=required"))
            }
        };
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
            None if implicit => 465,
            None => 25,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| err("the port must be a number from 1 to 65535"))?,
        };
        Ok(SmtpUrl { host, port, credentials, security })
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
        assert_eq!(u.security, SmtpSecurity::Plain);
        let u = SmtpUrl::parse("smtp://127.0.0.1:2525/").expect("parse");
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 2525));
    }

    #[test]
    fn an_smtps_url_is_implicit_tls_on_port_465_unless_given() {
        let u = SmtpUrl::parse("smtps://mail.soctrang.gov.vn").expect("parse");
        assert_eq!((u.port, u.security), (465, SmtpSecurity::ImplicitTls));
        assert_eq!(u.to_string(), "smtps://mail.soctrang.gov.vn:465");
        let u = SmtpUrl::parse("SMTPS://u:p@mail.soctrang.gov.vn:4650/").expect("parse");
        assert_eq!((u.port, u.security), (4650, SmtpSecurity::ImplicitTls));
        assert_eq!(u.to_string(), "smtps://u:***@mail.soctrang.gov.vn:4650");
    }

    #[test]
    fn starttls_is_asked_for_with_a_parameter_and_shown() {
        let u = SmtpUrl::parse("smtp://u:p@relay.local:587?starttls=required").expect("parse");
        assert_eq!((u.port, u.security), (587, SmtpSecurity::StartTls));
        assert_eq!(u.to_string(), "smtp://u:***@relay.local:587?starttls=required");
        let u = SmtpUrl::parse("smtp://relay.local/?starttls=required").expect("parse");
        assert_eq!((u.port, u.security), (25, SmtpSecurity::StartTls));
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
            "smtps://",
            "smtps://mail.local?starttls=required",
            "smtp://mail.local?starttls=opportunistic",
            "smtp://mail.local?starttls=required&x=1",
            "smtp://mail.local?starttls=required#x",
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
        let Err(e) = SmtpUrl::parse("smtp://x?starttls=opportunistic") else { panic!("accepted") };
        assert!(e.to_string().contains("starttls=required"), "{e}");
    }
}
