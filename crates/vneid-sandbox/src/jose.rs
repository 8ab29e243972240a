//! The signing key and the little of JOSE the sandbox needs: ES256 JWS compact serialisation
//! (RFC 7515 §7.1, RFC 7518 §3.4: the raw 64-byte `r || s` signature), the public key as a
//! JWK (RFC 7517, RFC 7518 §6.2) and its RFC 7638 thumbprint as key id.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::SandboxError;

/// Base64url without padding, as JOSE and PKCE use it.
pub(crate) fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `n` random bytes from the thread's cryptographically secure generator, base64url.
pub(crate) fn random_token(n: usize) -> String {
    let bytes: Vec<u8> = (0..n).map(|_| rand::random::<u8>()).collect();
    b64url(bytes)
}

/// The RFC 7638 thumbprint of a P-256 key given its base64url coordinates: base64url SHA-256
/// of the canonical JWK (required members only, in lexicographic order, no whitespace).
pub(crate) fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    b64url(Sha256::digest(canonical.as_bytes()))
}

/// The sandbox's ES256 key with its published form.
pub(crate) struct IdTokenSigner {
    key: SigningKey,
    kid: String,
    jwk: Value,
    encoded_header: String,
}

impl IdTokenSigner {
    /// A signer with a key drawn fresh from the operating system's random source.
    pub(crate) fn generate() -> Result<Self, SandboxError> {
        // A random 32-byte string is a valid P-256 scalar except with probability ~2^-32.
        for _ in 0..16 {
            let bytes: [u8; 32] = rand::random();
            if let Ok(key) = SigningKey::from_bytes(&bytes.into()) {
                return Self::new(key);
            }
        }
        Err(SandboxError::Key("no valid P-256 scalar drawn".into()))
    }

    /// A signer for a given key.
    pub(crate) fn new(key: SigningKey) -> Result<Self, SandboxError> {
        let point = key.verifying_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(SandboxError::Key("public key has no affine coordinates".into()));
        };
        let (x, y) = (b64url(x), b64url(y));
        let kid = thumbprint(&x, &y);
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "x": x, "y": y,
            "kid": kid, "use": "sig", "alg": "ES256",
        });
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": kid});
        let encoded_header = b64url(header.to_string());
        Ok(IdTokenSigner { key, kid, jwk, encoded_header })
    }

    /// The key id (its thumbprint).
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWK Set document with the one public key.
    pub(crate) fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    /// `claims` as a signed JWT: `header.payload.signature`.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        let mut token = format!("{}.{}", self.encoded_header, b64url(claims.to_string()));
        let signature: Signature = self.key.sign(token.as_bytes());
        token.push('.');
        token.push_str(&b64url(signature.to_bytes()));
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;
    use p256::EncodedPoint;

    fn decode(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).expect("base64url")
    }

    #[test]
    fn the_thumbprint_hashes_the_canonical_jwk() {
        let expected = b64url(Sha256::digest(br#"{"crv":"P-256","kty":"EC","x":"AB","y":"CD"}"#));
        assert_eq!(thumbprint("AB", "CD"), expected);
        assert_eq!(expected.len(), 43);
    }

    #[test]
    fn random_tokens_are_long_and_different() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
    }

    #[test]
    fn a_signed_token_verifies_with_the_published_key() {
        let signer = IdTokenSigner::generate().expect("key");
        let jwks = signer.jwks();
        let jwk = &jwks["keys"][0];
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["kid"], signer.kid());
        let x: [u8; 32] = decode(jwk["x"].as_str().expect("x")).try_into().expect("32");
        let y: [u8; 32] = decode(jwk["y"].as_str().expect("y")).try_into().expect("32");
        let point = EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
        let public = VerifyingKey::from_encoded_point(&point).expect("point");

        let token = signer.sign(&json!({"sub": "abc"}));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&decode(parts[0])).expect("header");
        assert_eq!(header, json!({"alg": "ES256", "typ": "JWT", "kid": signer.kid()}));
        let raw = decode(parts[2]);
        assert_eq!(raw.len(), 64);
        let signature = Signature::from_slice(&raw).expect("r||s");
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert!(public.verify(signed.as_bytes(), &signature).is_ok());
        assert!(public.verify(b"something else", &signature).is_err());
    }
}
