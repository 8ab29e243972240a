//! The one verifier every JWT check goes through: access tokens (RFC 9068), this provider's
//! ID tokens presented back as `id_token_hint` (at logout), and the ID tokens of VNeID
//! (OpenID Connect Core §3.1.3.7). Each kind is an [`Expectation`]; [`Expectation::verify`]
//! refuses, with its [`Refusal`]:
//!
//! - a `typ` other than the kind's (an access token presented as an ID token, or the reverse:
//!   RFC 8725 §3.11 explicit typing);
//! - an `alg` the kind does not allow, or other than the key's own (so `none`, or HS256 with
//!   the public key as secret, never reach a signature check), and any `crit` header;
//! - a bad signature, or a key id that is not in the key set;
//! - a wrong `iss` or `aud`, a missing `sub`, `exp` or `iat`;
//! - an expired token, one not yet valid (`nbf`), one issued in the future (`iat`);
//! - for VNeID, a `nonce` other than the one sent.
//!
//! jsonwebtoken parses the token and checks the header, the algorithm against the key, the
//! signature (with ring, `ring_provider.rs`), `iss` and `aud`. The times are checked here,
//! against the clock passed in (jsonwebtoken reads the system clock, and the platform's time
//! comes from its `SharedClock`), and so is `typ` (jsonwebtoken does not check it).

use std::fmt;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::Validation;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Alg, PublicKey, ACCESS_TOKEN_TYP, ID_TOKEN_TYP, MAX_TOKEN_LEN};

/// Clock skew tolerated between this provider's nodes, and between it and VNeID, on `nbf`
/// and `iat` (and on `exp` of VNeID's tokens): one minute.
pub const LEEWAY_SECS: i64 = 60;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a compact JWS this verifier can read (or longer than it reads).
    Malformed,
    /// The header's `typ` is not the one this kind of token has.
    Type(Option<String>),
    /// The algorithm is not allowed for this kind of token, or is not the key's.
    Algorithm,
    /// No key with the token's `kid`.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// `iss` is not the expected issuer.
    Issuer,
    /// `aud` does not name the expected audience.
    Audience,
    /// A required claim is missing or malformed.
    Claim(String),
    /// `exp` has passed.
    Expired,
    /// `nbf` is still ahead.
    NotYetValid,
    /// `iat` is ahead.
    IssuedInFuture,
    /// `nonce` is not the one sent.
    Nonce,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed => f.write_str("not a well-formed signed JWT"),
            Refusal::Type(t) => write!(f, "wrong token type (typ {t:?})"),
            Refusal::Algorithm => f.write_str("algorithm not allowed for this token"),
            Refusal::UnknownKey => f.write_str("signed by an unknown key"),
            Refusal::Signature => f.write_str("signature does not verify"),
            Refusal::Issuer => f.write_str("wrong issuer"),
            Refusal::Audience => f.write_str("wrong audience"),
            Refusal::Claim(c) => write!(f, "claim {c} missing or malformed"),
            Refusal::Expired => f.write_str("expired"),
            Refusal::NotYetValid => f.write_str("not yet valid (nbf)"),
            Refusal::IssuedInFuture => f.write_str("issued in the future (iat)"),
            Refusal::Nonce => f.write_str("nonce does not match"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Which `typ` headers a kind of token may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Typ {
    /// Exactly this media type (the `application/` prefix may be left out, RFC 7515 §4.1.9).
    Exactly(&'static str),
    /// `JWT`, or none: ID tokens of other providers often carry no `typ`.
    JwtOrNone,
}

/// What a token of one kind must be.
#[derive(Debug, Clone)]
pub struct Expectation {
    typ: Typ,
    algs: &'static [Alg],
    issuer: String,
    audience: String,
    /// How long after `exp` the token is still accepted; `None`: the kind has no `exp` (a
    /// statement that holds for good, such as a message log seal).
    exp_grace: Option<i64>,
    nonce: Option<String>,
}

impl Expectation {
    /// An access token of this provider (RFC 9068 §4): `typ` at+jwt, ES256, this issuer and
    /// the resource audience, not expired (no grace: every node signs and checks with the same
    /// clock source).
    pub fn access_token(issuer: &str, audience: &str) -> Self {
        Expectation {
            typ: Typ::Exactly(ACCESS_TOKEN_TYP),
            algs: &[Alg::Es256],
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            exp_grace: Some(0),
            nonce: None,
        }
    }

    /// A seal of the integration platform's message log signed by this provider (`typ`
    /// lgsp-seal+jwt, ES256, this issuer as issuer and audience): it has no `exp`, as what it
    /// states stays true.
    pub fn log_seal(issuer: &str) -> Self {
        Expectation {
            typ: Typ::Exactly(super::LOG_SEAL_TYP),
            algs: &[Alg::Es256],
            issuer: issuer.to_string(),
            audience: issuer.to_string(),
            exp_grace: None,
            nonce: None,
        }
    }

    /// Another platform's statement that one of its systems calls a service here through its
    /// gateway (`typ` lgsp+jwt, ES256, that platform's issuer, `lgsp:{member}/{service}` as
    /// audience; it lives five minutes, with a minute's skew).
    pub fn gateway_assertion(issuer: &str, audience: &str) -> Self {
        Expectation {
            typ: Typ::Exactly(super::GATEWAY_ASSERTION_TYP),
            algs: &[Alg::Es256],
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            exp_grace: Some(LEEWAY_SECS),
            nonce: None,
        }
    }

    /// An ID token of this provider presented back by a client (`id_token_hint`): `typ` JWT,
    /// ES256 or RS256, this issuer, the client as audience. RP-Initiated Logout 1.0 §2 asks
    /// the provider to accept hints whose `exp` has passed, so `exp_grace` says how long
    /// after: the caller bounds it (by the life of the grant the token came with).
    pub fn id_token_hint(issuer: &str, client_id: &str, exp_grace: i64) -> Self {
        Expectation {
            typ: Typ::Exactly(ID_TOKEN_TYP),
            algs: &[Alg::Es256, Alg::Rs256],
            issuer: issuer.to_string(),
            audience: client_id.to_string(),
            exp_grace: Some(exp_grace.max(0)),
            nonce: None,
        }
    }

    /// An ID token of another OpenID Connect provider (VNeID) for this platform's registration
    /// there (OIDC Core §3.1.3.7): `typ` JWT or none, ES256 or RS256, its issuer, our client id
    /// as audience, the nonce sent, a minute's skew on `exp`.
    pub fn external_id_token(issuer: &str, client_id: &str, nonce: &str) -> Self {
        Expectation {
            typ: Typ::JwtOrNone,
            algs: &[Alg::Es256, Alg::Rs256],
            issuer: issuer.to_string(),
            audience: client_id.to_string(),
            exp_grace: Some(LEEWAY_SECS),
            nonce: Some(nonce.to_string()),
        }
    }

    /// Checks `token` with `key` (found by [`key_id`]) at `now` (seconds since the epoch);
    /// returns its claims.
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        key: Option<&PublicKey>,
        now: i64,
    ) -> Result<T, Refusal> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Refusal::Malformed);
        }
        let key = key.ok_or(Refusal::UnknownKey)?;
        if !self.algs.contains(&key.alg()) {
            return Err(Refusal::Algorithm);
        }
        super::ring_provider::install();
        let mut v = Validation::new(key.alg().jsonwebtoken());
        v.set_required_spec_claims(if self.exp_grace.is_some() {
            &["exp", "iss", "aud", "sub"]
        } else {
            &["iss", "aud", "sub"]
        });
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.validate_exp = false;
        v.validate_nbf = false;
        let data = jsonwebtoken::decode::<Value>(token, key.decoding(), &v).map_err(refusal)?;
        if !self.typ_ok(data.header.typ.as_deref()) {
            return Err(Refusal::Type(data.header.typ));
        }
        let claims = data.claims;
        if let Some(grace) = self.exp_grace {
            let exp = time(&claims, "exp")?.ok_or_else(|| Refusal::Claim("exp".into()))?;
            if now >= exp.saturating_add(grace) {
                return Err(Refusal::Expired);
            }
        }
        if time(&claims, "nbf")?.is_some_and(|nbf| nbf > now + LEEWAY_SECS) {
            return Err(Refusal::NotYetValid);
        }
        let iat = time(&claims, "iat")?.ok_or_else(|| Refusal::Claim("iat".into()))?;
        if iat > now + LEEWAY_SECS {
            return Err(Refusal::IssuedInFuture);
        }
        if let Some(nonce) = &self.nonce {
            if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
                return Err(Refusal::Nonce);
            }
        }
        serde_json::from_value(claims).map_err(|e| Refusal::Claim(e.to_string()))
    }

    fn typ_ok(&self, typ: Option<&str>) -> bool {
        let is = |t: &str, want: &str| {
            let t = t.strip_prefix("application/").unwrap_or(t);
            t.eq_ignore_ascii_case(want)
        };
        match (self.typ, typ) {
            (Typ::Exactly(want), Some(t)) => is(t, want),
            (Typ::Exactly(_), None) => false,
            (Typ::JwtOrNone, None) => true,
            (Typ::JwtOrNone, Some(t)) => is(t, ID_TOKEN_TYP),
        }
    }
}

/// The `kid` a token names in its header, read before the signature is checked, only to find
/// the key: `Err` when the token is not a JWS at all.
pub fn key_id(token: &str) -> Result<Option<String>, Refusal> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Refusal::Malformed);
    }
    jsonwebtoken::decode_header(token).map(|h| h.kid).map_err(|_| Refusal::Malformed)
}

/// A NumericDate claim (RFC 7519 §2), whole seconds; fractions are cut.
fn time(claims: &Value, name: &str) -> Result<Option<i64>, Refusal> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| Refusal::Claim(name.to_string())),
    }
}

fn refusal(e: jsonwebtoken::errors::Error) -> Refusal {
    match e.kind() {
        ErrorKind::InvalidSignature => Refusal::Signature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::InvalidEcdsaKey => Refusal::Algorithm,
        ErrorKind::InvalidIssuer => Refusal::Issuer,
        ErrorKind::InvalidAudience => Refusal::Audience,
        ErrorKind::MissingRequiredClaim(c) | ErrorKind::InvalidClaimFormat(c) => {
            Refusal::Claim(c.clone())
        }
        _ => Refusal::Malformed,
    }
}
