//! RFC 3161 time-stamping: a client that asks a time-stamping authority (TSA) for a token over
//! a SHA-256 digest, the check of such a token against the authorities we trust, and the
//! sandbox authority the project ships so that everything runs offline (`cqdt sandbox tsa`).
//!
//! The protocol's structures come from RustCrypto's `x509-tsp`, `cms` and `x509-cert`; the
//! signatures from `p256`. This crate holds the glue and the checks RFC 3161 and RFC 5816 ask
//! of a verifier, and refuses what it does not check (other signature algorithms, the older
//! SHA-1 `signingCertificate` attribute) by name instead of accepting it unchecked.

#![warn(missing_docs)]

pub mod authority;
pub mod client;
pub mod sandbox;
pub mod verify;

pub use authority::Authority;
pub use client::{Client, Stamped};
pub use verify::{verify, Anchors, Verified};

use const_oid::ObjectIdentifier;

/// `id-aa-signingCertificateV2` (RFC 5035): the ESS attribute naming the signer's certificate.
pub const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// `id-aa-signingCertificate` (RFC 2634), SHA-1 only: refused.
pub const ID_AA_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// `id-kp-timeStamping`, the only extended key usage a TSA's certificate may have.
pub const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// The sandbox's policy: the example OpenSSL's sample TSA configuration uses (`tsa_policy1`
/// in openssl.cnf), nobody's real policy, as a sandbox token is nobody's real time-stamp.
pub const SANDBOX_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.3.4.1");
/// `id-ct-TSTInfo` (RFC 3161 §2.4.2): the content type of a token's signed content.
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// Why a token could not be had or does not verify.
#[derive(Debug, thiserror::Error)]
pub enum TimestampError {
    /// The authority could not be reached or answered something other than a response.
    #[error("time-stamping authority unreachable or broken: {0}")]
    Unreachable(String),
    /// The authority refused the request.
    #[error("the time-stamping authority refused the request: {0}")]
    Refused(String),
    /// The token is not what RFC 3161 describes, or something in it does not hold.
    #[error("time-stamp token invalid: {0}")]
    Invalid(String),
    /// The token uses something this verifier does not check; it is refused, not trusted.
    #[error("time-stamp token not supported: {0}")]
    Unsupported(String),
    /// Key or certificate material could not be made, read or written.
    #[error("time-stamping keys: {0}")]
    Keys(String),
}

fn invalid(what: impl std::fmt::Display) -> TimestampError {
    TimestampError::Invalid(what.to_string())
}
