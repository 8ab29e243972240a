//! JSON Web Tokens signed with ES256, written out by hand because the need is small:
//! JWS compact serialisation (RFC 7515 §7.1), the ES256 algorithm with its raw `r || s`
//! signature (RFC 7518 §3.4), EC public keys as JWK (RFC 7517, RFC 7518 §6.2) and the JWK
//! thumbprint used as key id (RFC 7638).

use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use p256::EncodedPoint;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::IdentityError;
use crate::model::B64;

/// The only algorithm this provider signs with and accepts.
pub const ES256: &str = "ES256";
/// The media type of JWT access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// Longest token accepted for parsing, to bound work on hostile input.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Draws a new P-256 private key from the operating system's random source.
pub fn generate_key() -> Result<SigningKey, IdentityError> {
    // A random 32-byte string is a valid scalar except with probability about 2^-32.
    for _ in 0..16 {
        let bytes: [u8; 32] = rand::random();
        if let Ok(key) = SigningKey::from_bytes(&bytes.into()) {
            return Ok(key);
        }
    }
    Err(IdentityError::Key("no valid P-256 scalar drawn".into()))
}

/// The private key as PKCS#8 DER, base64 (standard alphabet) for storage.
pub fn to_pkcs8_b64(key: &SigningKey) -> Result<String, IdentityError> {
    let der = p256::SecretKey::from(key)
        .to_pkcs8_der()
        .map_err(|e| IdentityError::Key(format!("encoding PKCS#8: {e}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(der.as_bytes()))
}

/// Reads a stored PKCS#8 private key.
pub fn from_pkcs8_b64(s: &str) -> Result<SigningKey, IdentityError> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| IdentityError::Key(format!("stored key is not base64: {e}")))?;
    p256::SecretKey::from_pkcs8_der(&der)
        .map(SigningKey::from)
        .map_err(|e| IdentityError::Key(format!("decoding PKCS#8: {e}")))
}

fn coordinates(key: &VerifyingKey) -> Result<(String, String), IdentityError> {
    let point = key.to_encoded_point(false);
    match (point.x(), point.y()) {
        (Some(x), Some(y)) => Ok((B64.encode(x), B64.encode(y))),
        _ => Err(IdentityError::Key("public key has no affine coordinates".into())),
    }
}

/// The RFC 7638 thumbprint of an EC public key: base64url SHA-256 of its canonical JWK.
pub fn thumbprint(key: &VerifyingKey) -> Result<String, IdentityError> {
    let (x, y) = coordinates(key)?;
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    Ok(B64.encode(Sha256::digest(canonical.as_bytes())))
}

/// The public key as a JWK for the JWKS.
pub fn public_jwk(key: &VerifyingKey, kid: &str) -> Result<Value, IdentityError> {
    let (x, y) = coordinates(key)?;
    Ok(json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": ES256}))
}

/// Reads an EC P-256 public key from a JWK.
pub fn verifying_key_from_jwk(jwk: &Value) -> Option<VerifyingKey> {
    if jwk.get("kty")?.as_str()? != "EC" || jwk.get("crv")?.as_str()? != "P-256" {
        return None;
    }
    let x = B64.decode(jwk.get("x")?.as_str()?).ok()?;
    let y = B64.decode(jwk.get("y")?.as_str()?).ok()?;
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let x: [u8; 32] = x.try_into().ok()?;
    let y: [u8; 32] = y.try_into().ok()?;
    let point = EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
    VerifyingKey::from_encoded_point(&point).ok()
}

/// The protected header of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Algorithm.
    pub alg: String,
    /// Media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Critical extensions: none is understood, so any makes the token invalid (RFC 7515 §4.1.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crit: Option<Value>,
}

/// The encoded protected header of tokens signed by `kid`; it is the same for every token of a
/// key, so it is made once.
pub fn encoded_header(kid: &str, typ: &str) -> Result<String, IdentityError> {
    let header =
        Header { alg: ES256.into(), typ: Some(typ.into()), kid: Some(kid.into()), crit: None };
    let json = serde_json::to_vec(&header).map_err(|e| IdentityError::Key(e.to_string()))?;
    Ok(B64.encode(json))
}

/// Signs `claims` under an encoded header: `header.payload.signature`.
pub fn sign<T: Serialize>(
    encoded_header: &str,
    claims: &T,
    key: &SigningKey,
) -> Result<String, IdentityError> {
    let payload = serde_json::to_vec(claims).map_err(|e| IdentityError::Key(e.to_string()))?;
    let mut token = String::with_capacity(encoded_header.len() + payload.len() * 4 / 3 + 100);
    token.push_str(encoded_header);
    token.push('.');
    B64.encode_string(payload, &mut token);
    // ECDSA over SHA-256 with RFC 6979 deterministic nonces (the same bytes p256 would make,
    // faster: see es256.rs); no random source needed here.
    let signature = crate::es256::sign(key, token.as_bytes())?;
    token.push('.');
    B64.encode_string(signature, &mut token);
    Ok(token)
}

/// A token split into its parts, its signature not yet checked.
#[derive(Debug, Clone)]
pub struct Unverified<'a> {
    /// The decoded header.
    pub header: Header,
    /// `header.payload`, the bytes that were signed.
    pub signing_input: &'a str,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

/// Splits a compact JWS; `None` if it is not one.
pub fn parse(token: &str) -> Option<Unverified<'_>> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    if payload.contains('.') {
        return None;
    }
    let header: Header = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
    Some(Unverified {
        header,
        signing_input,
        payload: B64.decode(payload).ok()?,
        signature: B64.decode(signature).ok()?,
    })
}

impl Unverified<'_> {
    /// Checks an ES256 signature with `key`; refuses any other algorithm and any critical
    /// extension.
    pub fn verify_es256(&self, key: &VerifyingKey) -> bool {
        if self.header.alg != ES256 || self.header.crit.is_some() {
            return false;
        }
        let Ok(sig) = Signature::from_slice(&self.signature) else {
            return false;
        };
        key.verify(self.signing_input.as_bytes(), &sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7515_es256_example_verifies_and_a_changed_payload_does_not() {
        // RFC 7515 Appendix A.3: the JWK and the complete JWS.
        let jwk = json!({"kty": "EC", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
        let key = verifying_key_from_jwk(&jwk).expect("jwk");
        let jws = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
        let parsed = parse(jws).expect("parse");
        assert_eq!(parsed.header.alg, "ES256");
        assert!(parsed.verify_es256(&key));
        let tampered = jws.replacen(".eyJpc3MiOiJqb2Ui", ".eyJpc3MiOiJqb2Mi", 1);
        assert!(!parse(&tampered).expect("parse").verify_es256(&key));
    }

    #[test]
    fn a_signed_token_round_trips_and_only_its_own_key_verifies_it() {
        let key = generate_key().expect("key");
        let vk = *key.verifying_key();
        let kid = thumbprint(&vk).expect("kid");
        let header = encoded_header(&kid, ACCESS_TOKEN_TYP).expect("header");
        let token = sign(&header, &json!({"sub": "c1", "n": 1}), &key).expect("sign");
        let parsed = parse(&token).expect("parse");
        assert_eq!(parsed.header.kid.as_deref(), Some(kid.as_str()));
        assert_eq!(parsed.header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(parsed.signature.len(), 64, "raw r||s, not DER");
        assert!(parsed.verify_es256(&vk));
        let other = generate_key().expect("other");
        assert!(!parsed.verify_es256(other.verifying_key()));
        let payload: Value = serde_json::from_slice(&parsed.payload).expect("json");
        assert_eq!(payload["sub"], "c1");
    }

    #[test]
    fn other_algorithms_and_critical_headers_are_refused() {
        let key = generate_key().expect("key");
        let vk = *key.verifying_key();
        for header in [
            json!({"alg": "none"}),
            json!({"alg": "HS256"}),
            json!({"alg": "ES256", "crit": ["exp"], "exp": 1}),
        ] {
            let h = B64.encode(header.to_string());
            let token = sign(&h, &json!({"sub": "x"}), &key).expect("sign");
            assert!(!parse(&token).expect("parse").verify_es256(&vk), "{header}");
        }
        assert!(parse("a.b").is_none());
        assert!(parse("a.b.c.d").is_none());
        assert!(parse(&"a".repeat(MAX_TOKEN_LEN + 1)).is_none());
    }

    #[test]
    fn keys_survive_pkcs8_storage_and_the_jwk_matches_the_key() {
        let key = generate_key().expect("key");
        let stored = to_pkcs8_b64(&key).expect("pkcs8");
        let back = from_pkcs8_b64(&stored).expect("read");
        assert_eq!(back.to_bytes(), key.to_bytes());
        let kid = thumbprint(key.verifying_key()).expect("kid");
        assert_eq!(kid.len(), 43);
        let jwk = public_jwk(key.verifying_key(), &kid).expect("jwk");
        assert_eq!(jwk["kid"], kid.as_str());
        assert_eq!(verifying_key_from_jwk(&jwk), Some(*key.verifying_key()));
        assert!(jwk.get("d").is_none(), "no private part in the JWK");
        assert!(from_pkcs8_b64("not a key").is_err());
    }
}
