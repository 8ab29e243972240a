//! JSON Web Tokens: the keys that sign them, the JWKs that publish them, and the one verifier
//! that every token check goes through ([`verify`]).
//!
//! Access tokens are always ES256. ID tokens are ES256, or RS256 for a client registered with
//! `id_token_signed_response_alg = RS256` (OpenID Connect Discovery §3 requires RS256 to be
//! supported).
//!
//! Signatures are ring's: ECDSA P-256 with its precomputed base-point tables and hedged nonces,
//! RSASSA-PKCS1-v1_5 with SHA-256. The compact serialisation around a signature (RFC 7515
//! §7.1: `base64url(header) . base64url(claims) . base64url(signature)`) is written here rather
//! than by `jsonwebtoken::encode`, because `encode` reparses the PKCS#8 key at every call (for
//! P-256 a scalar multiplication, as costly as the signature itself), which would halve the rate
//! of client-credentials grants. Verification is jsonwebtoken's, with ring underneath
//! (`ring_provider.rs`).

mod ring_provider;
pub mod verify;

use std::fmt;

use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::DecodingKey;
use ring::rand::SystemRandom;
use ring::signature::{self as sig, EcdsaKeyPair, KeyPair, RsaKeyPair};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::IdentityError;
use crate::model::B64;

pub use verify::{Expectation, Refusal};

/// The name of ES256, as in headers, JWKs and discovery.
pub const ES256: &str = "ES256";
/// The name of RS256.
pub const RS256: &str = "RS256";
/// The media type of JWT access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// The media type of ID tokens (and of JWTs in general, RFC 7519 §5.1).
pub const ID_TOKEN_TYP: &str = "JWT";

/// The `typ` of the assertions the integration platform's gateway sends providers with each
/// call (explicit typing, RFC 8725 §3.11: never taken for an access or an ID token).
pub const GATEWAY_ASSERTION_TYP: &str = "lgsp+jwt";
/// The `typ` of the seals over the integration platform's message log (a range of records and
/// the chain's hash at its end), never taken for any other token.
pub const LOG_SEAL_TYP: &str = "lgsp-seal+jwt";
/// Longest token accepted for parsing, to bound work on hostile input.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Size of the RSA keys this provider makes (the size RS256 keys commonly have; ring signs
/// with 2048 to 4096 bits).
const RSA_BITS: usize = 2048;

/// A JWS algorithm this provider signs or verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// ECDSA P-256 with SHA-256 (RFC 7518 §3.4).
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    Rs256,
}

impl Alg {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Es256 => ES256,
            Alg::Rs256 => RS256,
        }
    }

    /// Parses a registered name; only the two this provider implements.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            ES256 => Some(Alg::Es256),
            RS256 => Some(Alg::Rs256),
            _ => None,
        }
    }

    fn jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Alg::Es256 => jsonwebtoken::Algorithm::ES256,
            Alg::Rs256 => jsonwebtoken::Algorithm::RS256,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn key_err(what: &str, e: impl fmt::Display) -> IdentityError {
    IdentityError::Key(format!("{what}: {e}"))
}

enum Pair {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A private key that signs, with its public half and the JWS headers it signs under.
pub struct SigningKey {
    alg: Alg,
    pair: Pair,
    /// The PKCS#8 document, base64 (standard alphabet), as stored.
    pkcs8_b64: String,
    public: PublicKey,
    access_header: String,
    id_header: String,
    assertion_header: String,
    seal_header: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("alg", &self.alg).field("kid", &self.kid()).finish()
    }
}

impl SigningKey {
    /// Makes a new key from the operating system's random source.
    pub fn generate(alg: Alg) -> Result<Self, IdentityError> {
        let der = match alg {
            Alg::Es256 => EcdsaKeyPair::generate_pkcs8(
                &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|e| key_err("generating a P-256 key", e))?
            .as_ref()
            .to_vec(),
            Alg::Rs256 => {
                use rsa::pkcs8::EncodePrivateKey;
                let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)
                    .map_err(|e| key_err("generating an RSA key", e))?;
                key.to_pkcs8_der().map_err(|e| key_err("encoding PKCS#8", e))?.as_bytes().to_vec()
            }
        };
        Self::from_pkcs8(alg, &base64::engine::general_purpose::STANDARD.encode(der))
    }

    /// Reads a stored key: PKCS#8 (RFC 5208) DER, base64. ES256 keys stored by earlier
    /// releases (p256's PKCS#8, with the public key inside) read the same way.
    pub fn from_pkcs8(alg: Alg, stored: &str) -> Result<Self, IdentityError> {
        let der = base64::engine::general_purpose::STANDARD
            .decode(stored.trim())
            .map_err(|e| key_err("stored key is not base64", e))?;
        let (pair, jwk) = match alg {
            Alg::Es256 => {
                let pair = EcdsaKeyPair::from_pkcs8(
                    &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der,
                    &SystemRandom::new(),
                )
                .map_err(|e| key_err("decoding a P-256 PKCS#8 key", e))?;
                // The uncompressed point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                if point.len() != 65 {
                    return Err(IdentityError::Key("P-256 public key is not 65 bytes".into()));
                }
                let (x, y) = point[1..].split_at(32);
                let jwk =
                    json!({"kty": "EC", "crv": "P-256", "x": B64.encode(x), "y": B64.encode(y)});
                (Pair::Ec(pair), jwk)
            }
            Alg::Rs256 => {
                let pair = RsaKeyPair::from_pkcs8(&der)
                    .map_err(|e| key_err("decoding an RSA PKCS#8 key", e))?;
                let c: sig::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
                (Pair::Rsa(pair), json!({"kty": "RSA", "n": B64.encode(c.n), "e": B64.encode(c.e)}))
            }
        };
        let kid = thumbprint(&jwk)?;
        let public = PublicKey::from_jwk(&with_kid(jwk, &kid, alg))
            .ok_or_else(|| IdentityError::Key("the key's own JWK does not read back".into()))?;
        Ok(SigningKey {
            alg,
            pair,
            pkcs8_b64: base64::engine::general_purpose::STANDARD.encode(&der),
            access_header: encoded_header(alg, &kid, ACCESS_TOKEN_TYP)?,
            id_header: encoded_header(alg, &kid, ID_TOKEN_TYP)?,
            assertion_header: encoded_header(alg, &kid, GATEWAY_ASSERTION_TYP)?,
            seal_header: encoded_header(alg, &kid, LOG_SEAL_TYP)?,
            public,
        })
    }

    /// The algorithm.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The key id: the RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        &self.public.kid
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The private key as stored: PKCS#8 DER, base64.
    pub fn to_pkcs8_b64(&self) -> &str {
        &self.pkcs8_b64
    }

    /// Signs `claims` as an access token (`typ` at+jwt).
    pub fn sign_access<T: Serialize>(&self, claims: &T) -> Result<String, IdentityError> {
        self.sign(&self.access_header, claims)
    }

    /// Signs `claims` as an ID token (`typ` JWT).
    pub fn sign_id<T: Serialize>(&self, claims: &T) -> Result<String, IdentityError> {
        self.sign(&self.id_header, claims)
    }

    /// Signs `claims` as a gateway assertion (`typ` lgsp+jwt).
    pub fn sign_assertion<T: Serialize>(&self, claims: &T) -> Result<String, IdentityError> {
        self.sign(&self.assertion_header, claims)
    }

    /// Signs `claims` as a message log seal (`typ` lgsp-seal+jwt).
    pub fn sign_seal<T: Serialize>(&self, claims: &T) -> Result<String, IdentityError> {
        self.sign(&self.seal_header, claims)
    }

    /// `header.payload.signature` under an encoded header.
    fn sign<T: Serialize>(
        &self,
        encoded_header: &str,
        claims: &T,
    ) -> Result<String, IdentityError> {
        let payload = serde_json::to_vec(claims).map_err(|e| key_err("claims", e))?;
        let mut token = String::with_capacity(encoded_header.len() + payload.len() * 4 / 3 + 360);
        token.push_str(encoded_header);
        token.push('.');
        B64.encode_string(payload, &mut token);
        let rng = SystemRandom::new();
        let signature = match &self.pair {
            // Fixed-width r || s, as JWS wants (RFC 7518 §3.4), not DER.
            Pair::Ec(pair) => pair
                .sign(&rng, token.as_bytes())
                .map_err(|e| key_err("ES256 signature", e))?
                .as_ref()
                .to_vec(),
            Pair::Rsa(pair) => {
                let mut out = vec![0u8; pair.public().modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, &rng, token.as_bytes(), &mut out)
                    .map_err(|e| key_err("RS256 signature", e))?;
                out
            }
        };
        token.push('.');
        B64.encode_string(signature, &mut token);
        Ok(token)
    }
}

/// A public key that verifies, as published in a JWKS.
#[derive(Clone)]
pub struct PublicKey {
    kid: String,
    alg: Alg,
    jwk: Value,
    decoding: DecodingKey,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey").field("alg", &self.alg).field("kid", &self.kid).finish()
    }
}

impl PublicKey {
    /// Reads a public key from a JWK (RFC 7517): an EC key on P-256 verifies ES256, an RSA key
    /// of at least 2048 bits RS256. Anything else — other curves, symmetric keys, a key whose
    /// `alg` or `use` says otherwise — is not a key this provider verifies with: `None`.
    pub fn from_jwk(value: &Value) -> Option<Self> {
        let jwk: Jwk = serde_json::from_value(value.clone()).ok()?;
        let (alg, decoding) = match &jwk.algorithm {
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                let (x, y) = (B64.decode(&p.x).ok()?, B64.decode(&p.y).ok()?);
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                (Alg::Es256, DecodingKey::from_ec_components(&p.x, &p.y).ok()?)
            }
            AlgorithmParameters::RSA(p) => {
                if B64.decode(&p.n).ok()?.len() < 256 {
                    return None;
                }
                (Alg::Rs256, DecodingKey::from_rsa_components(&p.n, &p.e).ok()?)
            }
            _ => return None,
        };
        if let Some(stated) = value.get("alg") {
            if stated.as_str() != Some(alg.as_str()) {
                return None;
            }
        }
        if let Some(usage) = value.get("use") {
            if usage.as_str() != Some("sig") {
                return None;
            }
        }
        let kid = jwk.common.key_id.unwrap_or_default();
        Some(PublicKey { kid, alg, jwk: value.clone(), decoding })
    }

    /// The key id (empty when the JWK has none).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm it verifies.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The JWK, for the JWKS.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    pub(crate) fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }
}

/// The keys of a JWKS document (of another provider, such as VNeID).
#[derive(Debug, Clone, Default)]
pub struct KeySet(pub Vec<PublicKey>);

impl KeySet {
    /// Reads the keys of a JWKS this provider can verify with; the others are left out.
    pub fn from_jwks(jwks: &Value) -> Self {
        let keys = jwks.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        KeySet(keys.iter().filter_map(PublicKey::from_jwk).collect())
    }

    /// The key a token names by its `kid`; a token without `kid` is accepted only when the set
    /// has exactly one key, so that no key is ever guessed.
    pub fn find(&self, kid: Option<&str>) -> Option<&PublicKey> {
        match kid {
            Some(kid) => self.0.iter().find(|k| k.kid == kid),
            None if self.0.len() == 1 => self.0.first(),
            None => None,
        }
    }
}

fn with_kid(mut jwk: Value, kid: &str, alg: Alg) -> Value {
    if let Some(m) = jwk.as_object_mut() {
        m.insert("kid".into(), json!(kid));
        m.insert("use".into(), json!("sig"));
        m.insert("alg".into(), json!(alg.as_str()));
    }
    jwk
}

/// The RFC 7638 thumbprint of a public JWK: base64url SHA-256 of its required members, in
/// lexicographic order, without whitespace.
pub fn thumbprint(jwk: &Value) -> Result<String, IdentityError> {
    let member = |k: &str| {
        jwk.get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| IdentityError::Key(format!("JWK without {k}")))
    };
    // serde_json writes these strings (base64url and fixed names) without escapes.
    let canonical = match member("kty")? {
        "EC" => json!({"crv": member("crv")?, "kty": "EC", "x": member("x")?, "y": member("y")?}),
        "RSA" => json!({"e": member("e")?, "kty": "RSA", "n": member("n")?}),
        other => return Err(IdentityError::Key(format!("JWK of type {other}"))),
    };
    Ok(B64.encode(Sha256::digest(canonical.to_string().as_bytes())))
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

/// The encoded protected header of the tokens a key signs with one `typ`; the same for every
/// token, so it is made once per key.
fn encoded_header(alg: Alg, kid: &str, typ: &str) -> Result<String, IdentityError> {
    let json = serde_json::to_vec(&Header { alg: alg.as_str(), typ, kid })
        .map_err(|e| key_err("header", e))?;
    Ok(B64.encode(json))
}

#[cfg(test)]
mod service_tests;
#[cfg(test)]
mod tests;
