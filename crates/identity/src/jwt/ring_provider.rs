//! jsonwebtoken's signature checks, done by ring: the `CryptoProvider` that jsonwebtoken asks
//! for a verifier per token. Only ES256 (P-256, fixed-width `r || s`) and RS256 (PKCS#1 v1.5,
//! 2048 to 8192 bits) exist here; every other algorithm, HMAC included, is refused, so a token
//! whose header names HS256 can never be checked against a public key used as a secret.
//! Signing does not come this way (see `mod.rs`).

use std::sync::Once;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::signature;
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::signature as sig;

struct Es256(Vec<u8>);
struct Rs256 {
    n: Vec<u8>,
    e: Vec<u8>,
}

fn refused(_: ring::error::Unspecified) -> signature::Error {
    signature::Error::new()
}

impl signature::Verifier<Vec<u8>> for Es256 {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, &self.0)
            .verify(msg, signature)
            .map_err(refused)
    }
}

impl JwtVerifier for Es256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

impl signature::Verifier<Vec<u8>> for Rs256 {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        sig::RsaPublicKeyComponents { n: &self.n, e: &self.e }
            .verify(&sig::RSA_PKCS1_2048_8192_SHA256, msg, signature)
            .map_err(refused)
    }
}

impl JwtVerifier for Rs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    match (alg, key.kind()) {
        (Algorithm::ES256, DecodingKeyKind::SecretOrDer(point))
            if key.family() == jsonwebtoken::AlgorithmFamily::Ec =>
        {
            Ok(Box::new(Es256(point.clone())))
        }
        (Algorithm::RS256, DecodingKeyKind::RsaModulusExponent { n, e }) => {
            Ok(Box::new(Rs256 { n: n.clone(), e: e.clone() }))
        }
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn no_signer(_: &Algorithm, _: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    Err(ErrorKind::InvalidAlgorithm.into())
}

fn digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>, Error> {
    let alg = match hash {
        ThumbprintHash::SHA256 => &ring::digest::SHA256,
        ThumbprintHash::SHA384 => &ring::digest::SHA384,
        ThumbprintHash::SHA512 => &ring::digest::SHA512,
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(ring::digest::digest(alg, data).as_ref().to_vec())
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: no_signer,
    verifier_factory: verifier,
    // Nothing here reads private keys through jsonwebtoken: those helpers refuse.
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: |_| Err(ErrorKind::InvalidKeyFormat.into()),
        rsa_pub_components_from_public_key: |_| Err(ErrorKind::InvalidKeyFormat.into()),
        ec_pub_components_from_private_key: |_, _| Err(ErrorKind::InvalidKeyFormat.into()),
        ed_pub_components_from_private_key: |_, _| Err(ErrorKind::InvalidKeyFormat.into()),
        compute_digest: digest,
    },
};

/// Makes ring jsonwebtoken's provider for this process, before the first token is checked.
pub(super) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if PROVIDER.install_default().is_err() {
            tracing::warn!("another jsonwebtoken CryptoProvider was installed first; using it");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_and_other_algorithms_get_no_verifier_even_with_a_public_key() {
        let key = DecodingKey::from_ec_components(
            "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        )
        .expect("key");
        for alg in [Algorithm::HS256, Algorithm::RS256, Algorithm::ES384, Algorithm::PS256] {
            assert!(verifier(&alg, &key).is_err(), "{alg:?}");
        }
        assert!(verifier(&Algorithm::ES256, &key).is_ok());
        let secret = DecodingKey::from_secret(b"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0")
            .expect("secret");
        assert!(verifier(&Algorithm::HS256, &secret).is_err());
        assert!(verifier(&Algorithm::ES256, &secret).is_err(), "an HMAC secret is not a point");
    }
}
