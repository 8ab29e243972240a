//! Protocol rules without I/O: the authorization request (RFC 6749 §4.1.1, OpenID Connect
//! Core §3.1.2.1), PKCE S256 (RFC 7636), client authentication by HTTP Basic (RFC 6749
//! §2.3.1) and the URL encodings they rest on.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::jose::b64url;
use crate::SandboxConfig;

/// The scopes the sandbox knows.
pub(crate) const SCOPES: [&str; 5] = ["openid", "profile", "phone", "email", "personal_id"];

/// Longest `state` or `nonce` accepted, to bound what is stored and echoed.
const MAX_ECHOED: usize = 1024;

/// A valid authorization request, as carried from the consent page to the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// Requested scopes, space-separated, without repeats.
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
}

/// Why an authorization request is refused, and how to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The client or its redirect URI cannot be trusted: tell the person, never redirect
    /// (RFC 6749 §4.1.2.1). The message is Vietnamese.
    Page(String),
    /// Send the client an error response at its redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// One parameter of a request, where an empty value counts as absent (RFC 6749 §3.1) and a
/// parameter may appear at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param<'a> {
    Missing,
    Value(&'a str),
    Repeated,
}

/// Looks `name` up among decoded request parameters.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Param<'a> {
    let mut found = params.iter().filter(|(k, v)| k == name && !v.is_empty());
    match (found.next(), found.next()) {
        (None, _) => Param::Missing,
        (Some((_, v)), None) => Param::Value(v),
        (Some(_), Some(_)) => Param::Repeated,
    }
}

/// Checks an authorization request against the one registered client.
pub(crate) fn check_authorization(
    params: &[(String, String)],
    config: &SandboxConfig,
) -> Result<AuthRequest, Refusal> {
    let client_id = match param(params, "client_id") {
        Param::Value(c) if c == config.client_id => c.to_string(),
        Param::Value(_) => {
            return Err(Refusal::Page(
                "Ứng dụng (client_id) chưa được đăng ký với cổng xác thực thử nghiệm.".into(),
            ))
        }
        Param::Missing => {
            return Err(Refusal::Page("Yêu cầu thiếu mã ứng dụng (client_id).".into()))
        }
        Param::Repeated => {
            return Err(Refusal::Page("Mã ứng dụng (client_id) xuất hiện nhiều lần.".into()))
        }
    };
    let redirect_uri = match param(params, "redirect_uri") {
        Param::Value(r) if config.redirect_uris.iter().any(|u| u == r) => r.to_string(),
        Param::Value(_) => return Err(Refusal::Page(
            "Địa chỉ chuyển hướng (redirect_uri) không khớp với địa chỉ đã đăng ký của ứng dụng."
                .into(),
        )),
        Param::Missing => {
            return Err(Refusal::Page("Yêu cầu thiếu địa chỉ chuyển hướng (redirect_uri).".into()))
        }
        Param::Repeated => {
            return Err(Refusal::Page(
                "Địa chỉ chuyển hướng (redirect_uri) xuất hiện nhiều lần.".into(),
            ))
        }
    };
    let state = match param(params, "state") {
        Param::Value(s) if s.len() <= MAX_ECHOED => Some(s.to_string()),
        _ => None,
    };
    let refuse = |error: &'static str, description: &str| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        description: description.to_string(),
    };
    const SINGLE: [&str; 9] = [
        "response_type",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "request",
        "request_uri",
    ];
    if let Some(name) = SINGLE.iter().find(|n| param(params, n) == Param::Repeated) {
        return Err(refuse("invalid_request", &format!("parameter {name} is repeated")));
    }
    let value = |name: &str| match param(params, name) {
        Param::Value(v) => Some(v),
        _ => None,
    };
    match value("response_type") {
        None => return Err(refuse("invalid_request", "response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(refuse("unsupported_response_type", "only response_type=code is supported"))
        }
    }
    if value("state").is_some_and(|s| s.len() > MAX_ECHOED) {
        return Err(refuse("invalid_request", "state is too long"));
    }
    if value("request").is_some() {
        return Err(refuse("request_not_supported", "request objects are not supported"));
    }
    if value("request_uri").is_some() {
        return Err(refuse("request_uri_not_supported", "request_uri is not supported"));
    }
    let mut scopes: Vec<&str> = Vec::new();
    for s in value("scope").unwrap_or("").split(' ').filter(|s| !s.is_empty()) {
        if !SCOPES.contains(&s) {
            return Err(refuse("invalid_scope", &format!("unknown scope {s}")));
        }
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    if !scopes.contains(&"openid") {
        return Err(refuse("invalid_scope", "scope must include openid"));
    }
    match value("code_challenge_method") {
        Some("S256") => {}
        None => {
            return Err(refuse("invalid_request", "PKCE is required: code_challenge_method=S256"))
        }
        Some(_) => return Err(refuse("invalid_request", "code_challenge_method must be S256")),
    }
    let code_challenge = match value("code_challenge") {
        Some(c) if valid_challenge(c) => c.to_string(),
        Some(_) => {
            return Err(refuse("invalid_request", "code_challenge must be 43 base64url characters"))
        }
        None => {
            return Err(refuse("invalid_request", "PKCE is required: code_challenge is missing"))
        }
    };
    let nonce = value("nonce").map(str::to_string);
    if nonce.as_ref().is_some_and(|n| n.len() > MAX_ECHOED) {
        return Err(refuse("invalid_request", "nonce is too long"));
    }
    if value("prompt").is_some_and(|p| p.split(' ').any(|p| p == "none")) {
        return Err(refuse(
            "login_required",
            "the sandbox always asks the person to choose an identity",
        ));
    }
    Ok(AuthRequest {
        client_id,
        redirect_uri,
        scope: scopes.join(" "),
        state,
        nonce,
        code_challenge,
    })
}

/// The PKCE S256 challenge of a verifier: base64url(SHA-256(ASCII(verifier))).
pub(crate) fn s256(verifier: &str) -> String {
    b64url(Sha256::digest(verifier.as_bytes()))
}

/// Whether a code verifier has the RFC 7636 §4.1 form: 43 to 128 unreserved characters.
pub(crate) fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Whether an S256 challenge has the form of one: a base64url SHA-256, 43 characters.
pub(crate) fn valid_challenge(c: &str) -> bool {
    c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `verifier` is well formed and hashes to `challenge`.
pub(crate) fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    valid_verifier(verifier) && same_secret(&s256(verifier), challenge)
}

/// Compares two secrets in time independent of where they differ (their SHA-256 digests are
/// compared, so lengths do not leak either).
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
pub(crate) fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space); `None` if malformed.
pub(crate) fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `base` with query parameters added (after `?`, or `&` if it already has a query).
pub(crate) fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = base.to_string();
    for (i, (k, v)) in pairs.iter().enumerate() {
        let sep = if i == 0 && !base.contains('?') { '?' } else { '&' };
        url.push(sep);
        url.push_str(&pct_encode(k));
        url.push('=');
        url.push_str(&pct_encode(v));
    }
    url
}

/// The client id and secret of an `Authorization: Basic` header value, each form-urlencoded
/// before base64 as RFC 6749 §2.3.1 requires; `None` for another scheme or a malformed value.
pub(crate) fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let rest = rest.trim();
    let raw = STANDARD.decode(rest).or_else(|_| STANDARD_NO_PAD.decode(rest)).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// The bearer token of an `Authorization` header value (RFC 6750 §2.1).
pub(crate) fn parse_bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The origin (`scheme://host[:port]`) of an absolute URL.
pub(crate) fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_ascii_lowercase();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{authority}").to_ascii_lowercase()
}

/// Checks a URL the sandbox will put in a header or redirect to: absolute `http(s)`, printable
/// ASCII, without fragment (RFC 6749 §3.1.2).
pub(crate) fn check_url(what: &str, url: &str) -> Result<(), String> {
    let absolute = (url.starts_with("http://") || url.starts_with("https://"))
        && origin_of(url).len() > "https://".len();
    if !absolute || url.contains('#') || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "{what} must be an absolute http(s) URL in ASCII without fragment: {url:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SandboxConfig {
        SandboxConfig {
            issuer: "http://127.0.0.1:9000".into(),
            client_id: "cqdt".into(),
            client_secret: "s3cret".into(),
            redirect_uris: vec!["http://app.test/cb".into()],
        }
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn request(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", "cqdt"),
            ("redirect_uri", "http://app.test/cb"),
            ("scope", "openid profile openid"),
            ("state", "xyz"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            p.retain(|(name, _)| name != k);
            p.push((k.to_string(), v.to_string()));
        }
        p
    }

    fn error_of(r: Result<AuthRequest, Refusal>) -> &'static str {
        match r {
            Err(Refusal::Redirect { error, .. }) => error,
            other => panic!("expected a redirect error, got {other:?}"),
        }
    }

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(s256(verifier), CHALLENGE);
        assert!(pkce_matches(verifier, CHALLENGE));
        assert!(!pkce_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx", CHALLENGE));
        assert!(!valid_verifier("short"));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}+", "a".repeat(43))));
    }

    #[test]
    fn a_good_request_is_accepted_with_scopes_deduplicated() {
        let r = check_authorization(&request(&[("nonce", "n-1")]), &config()).expect("valid");
        assert_eq!(r.scope, "openid profile");
        assert_eq!(r.state.as_deref(), Some("xyz"));
        assert_eq!(r.nonce.as_deref(), Some("n-1"));
    }

    #[test]
    fn an_unknown_client_or_redirect_uri_is_refused_without_redirect() {
        for bad in
            [("client_id", "evil"), ("redirect_uri", "http://app.test/cb/x"), ("client_id", "")]
        {
            assert!(matches!(
                check_authorization(&request(&[bad]), &config()),
                Err(Refusal::Page(_))
            ));
        }
        let mut twice = request(&[]);
        twice.push(("redirect_uri".into(), "http://evil.test/".into()));
        assert!(matches!(check_authorization(&twice, &config()), Err(Refusal::Page(_))));
    }

    #[test]
    fn other_faults_are_reported_to_the_client() {
        let c = config();
        for (name, value, error) in [
            ("response_type", "token", "unsupported_response_type"),
            ("response_type", "", "invalid_request"),
            ("scope", "profile", "invalid_scope"),
            ("scope", "openid admin", "invalid_scope"),
            ("code_challenge", "", "invalid_request"),
            ("code_challenge", "abc", "invalid_request"),
            ("code_challenge_method", "plain", "invalid_request"),
            ("prompt", "none", "login_required"),
        ] {
            let answer = error_of(check_authorization(&request(&[(name, value)]), &c));
            assert_eq!(answer, error, "{name}={value}");
        }
        let mut twice = request(&[]);
        twice.push(("scope".into(), "openid".into()));
        assert_eq!(error_of(check_authorization(&twice, &c)), "invalid_request");
    }

    #[test]
    fn encodings_round_trip() {
        assert_eq!(pct_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(form_decode("a+b%26c%3D%C3%A9").as_deref(), Some("a b&c=é"));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%4"), None);
        assert_eq!(
            with_query("http://a/cb", &[("code", "1"), ("state", "x y")]),
            "http://a/cb?code=1&state=x%20y"
        );
        assert_eq!(with_query("http://a/cb?k=v", &[("code", "1")]), "http://a/cb?k=v&code=1");
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%20app:p%3Ass+word"));
        assert_eq!(parse_basic(&header), Some(("my app".into(), "p:ss word".into())));
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
        assert_eq!(parse_bearer("bearer tok"), Some("tok"));
        assert_eq!(parse_bearer("Basic tok"), None);
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn origins_and_urls() {
        assert_eq!(origin_of("HTTP://Example.test:8080/x?y"), "http://example.test:8080");
        assert!(check_url("u", "https://a.test/cb?x=1").is_ok());
        assert!(check_url("u", "https://a.test/cb#f").is_err());
        assert!(check_url("u", "ftp://a.test/").is_err());
        assert!(check_url("u", "https:///x").is_err());
        assert!(check_url("u", "https://a.test/ x").is_err());
    }
}
