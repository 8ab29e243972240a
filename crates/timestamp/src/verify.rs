//! The check of a time-stamp token (RFC 3161 §2.4.2, RFC 5816): the CMS signature over the
//! signed attributes, the content type and message digest in them, the ESS certificate
//! identifier (SHA-256), the authority's certificate (issued by, or being, a trust anchor; only
//! `timeStamping` as its critical extended key usage; valid at the token's time) and the
//! imprint of the data. Anything else a token may use is refused by name.

use std::path::Path;

use chrono::{DateTime, Utc};
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use const_oid::db::rfc5912::{ECDSA_WITH_SHA_256, ID_CE_EXT_KEY_USAGE, ID_SHA_256};
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Any, Decode, DecodePem, Encode, Sequence, Tag, Tagged};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_tsp::TstInfo;

use crate::{
    invalid, TimestampError, ID_AA_SIGNING_CERTIFICATE, ID_AA_SIGNING_CERTIFICATE_V2,
    ID_CT_TST_INFO, ID_KP_TIME_STAMPING,
};

/// The certificates a verifier trusts to issue (or be) time-stamping authorities.
#[derive(Clone, Debug, Default)]
pub struct Anchors {
    certs: Vec<Certificate>,
}

impl Anchors {
    /// The certificates of a PEM text (one or more).
    pub fn from_pem(pem: &str) -> Result<Self, TimestampError> {
        let mut certs = Vec::new();
        let marker = "-----BEGIN CERTIFICATE-----";
        for (i, part) in pem.match_indices(marker).map(|(i, _)| i).enumerate() {
            let rest = &pem[part..];
            let end = rest.find("-----END CERTIFICATE-----").ok_or_else(|| {
                TimestampError::Keys(format!("certificate {} has no END line", i + 1))
            })? + "-----END CERTIFICATE-----".len();
            let cert = Certificate::from_pem(&rest.as_bytes()[..end])
                .map_err(|e| TimestampError::Keys(format!("certificate {}: {e}", i + 1)))?;
            certs.push(cert);
        }
        if certs.is_empty() {
            return Err(TimestampError::Keys("no certificate in the PEM text".into()));
        }
        Ok(Anchors { certs })
    }

    /// The certificates of a PEM file.
    pub fn load(path: &Path) -> Result<Self, TimestampError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TimestampError::Keys(format!("{}: {e}", path.display())))?;
        Self::from_pem(&text)
    }
}

/// What a valid token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// When the authority stamped it.
    pub gen_time: DateTime<Utc>,
    /// The token's serial number, hex.
    pub serial: String,
    /// The authority's policy.
    pub policy: String,
    /// The authority (its certificate's common name, else its subject).
    pub authority: String,
    /// The request's nonce, hex, when there was one.
    pub nonce: Option<String>,
}

/// `ESSCertIDv2` as others may encode it: a hash algorithm (SHA-256 only here) and an issuer
/// and serial, both optional.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct AnyEssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct AnySigningCertificateV2 {
    certs: Vec<AnyEssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

fn unsupported(what: impl std::fmt::Display) -> TimestampError {
    TimestampError::Unsupported(what.to_string())
}

fn time(t: der::asn1::GeneralizedTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t.to_system_time())
}

/// Checks the DER `token` against `anchors` and the SHA-256 `digest` of the data it should
/// stamp.
pub fn verify(token: &[u8], digest: &[u8], anchors: &Anchors) -> Result<Verified, TimestampError> {
    let ci =
        ContentInfo::from_der(token).map_err(|e| invalid(format!("not a ContentInfo: {e}")))?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(invalid(format!("content type {} is not signedData", ci.content_type)));
    }
    let sd: SignedData = ci.content.decode_as().map_err(|e| invalid(format!("SignedData: {e}")))?;
    if sd.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(invalid("the signed content is not a TSTInfo"));
    }
    let content = sd.encap_content_info.econtent.as_ref().ok_or_else(|| invalid("no TSTInfo"))?;
    if content.tag() != Tag::OctetString {
        return Err(invalid("the TSTInfo is not in an OCTET STRING"));
    }
    let tst_der = content.value();
    let info = TstInfo::from_der(tst_der).map_err(|e| invalid(format!("TSTInfo: {e}")))?;
    if info.message_imprint.hash_algorithm.oid != ID_SHA_256 {
        return Err(unsupported(format!(
            "imprint hash {} (only SHA-256 is checked)",
            info.message_imprint.hash_algorithm.oid
        )));
    }
    if info.message_imprint.hashed_message.as_bytes() != digest {
        return Err(invalid("the token stamps other data (its imprint differs)"));
    }

    let [si] = sd.signer_infos.0.as_slice() else {
        return Err(unsupported(format!("{} signers (one expected)", sd.signer_infos.0.len())));
    };
    if si.digest_alg.oid != ID_SHA_256 {
        return Err(unsupported(format!("digest algorithm {}", si.digest_alg.oid)));
    }
    if si.signature_algorithm.oid != ECDSA_WITH_SHA_256 {
        return Err(unsupported(format!(
            "signature algorithm {} (only ecdsa-with-SHA256)",
            si.signature_algorithm.oid
        )));
    }
    let attrs = si.signed_attrs.as_ref().ok_or_else(|| invalid("no signed attributes"))?;
    let attr = |oid: ObjectIdentifier| -> Option<&Any> {
        attrs.iter().find(|a| a.oid == oid).and_then(|a| a.values.iter().next())
    };
    let ct = attr(ID_CONTENT_TYPE).ok_or_else(|| invalid("no content-type attribute"))?;
    if ct.decode_as::<ObjectIdentifier>().ok() != Some(ID_CT_TST_INFO) {
        return Err(invalid("the content-type attribute is not id-ct-TSTInfo"));
    }
    let md = attr(ID_MESSAGE_DIGEST).ok_or_else(|| invalid("no message-digest attribute"))?;
    let md = md.decode_as::<OctetString>().map_err(|e| invalid(format!("message digest: {e}")))?;
    if md.as_bytes() != Sha256::digest(tst_der).as_slice() {
        return Err(invalid("the message digest does not match the TSTInfo"));
    }

    let signer = signer_certificate(&sd, &si.sid, anchors)?;
    let signer_der = signer.to_der().map_err(invalid)?;
    let ess = match attr(ID_AA_SIGNING_CERTIFICATE_V2) {
        Some(v) => v
            .decode_as::<AnySigningCertificateV2>()
            .map_err(|e| invalid(format!("signingCertificateV2: {e}")))?,
        None if attr(ID_AA_SIGNING_CERTIFICATE).is_some() => {
            return Err(unsupported("signingCertificate with SHA-1 (only the V2 attribute)"))
        }
        None => return Err(invalid("no signingCertificateV2 attribute (RFC 5816)")),
    };
    let first = ess.certs.first().ok_or_else(|| invalid("empty signingCertificateV2"))?;
    if first.hash_algorithm.as_ref().is_some_and(|a| a.oid != ID_SHA_256) {
        return Err(unsupported("an ESS certificate hash other than SHA-256"));
    }
    if first.cert_hash.as_bytes() != Sha256::digest(&signer_der).as_slice() {
        return Err(invalid("signingCertificateV2 names another certificate"));
    }

    let signed = attrs.to_der().map_err(invalid)?;
    ecdsa_verify(&signer, &signed, si.signature.as_bytes())
        .map_err(|e| invalid(format!("the signature does not verify ({e})")))?;

    let gen_time = time(info.gen_time);
    check_authority(&signer, anchors, &signer_der, gen_time)?;
    Ok(Verified {
        gen_time,
        serial: hex::encode(info.serial_number.as_bytes()),
        policy: info.policy.to_string(),
        authority: common_name(&signer.tbs_certificate.subject),
        nonce: info.nonce.map(|n| hex::encode(n.as_bytes())),
    })
}

/// The name a person reads: the subject's common name, else the whole distinguished name.
fn common_name(name: &x509_cert::name::Name) -> String {
    let cn = const_oid::db::rfc4519::CN;
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == cn)
        .and_then(|atv| {
            let text = atv.to_string();
            text.strip_prefix("CN=").map(str::to_string)
        })
        .unwrap_or_else(|| name.to_string())
}

fn signer_certificate(
    sd: &SignedData,
    sid: &SignerIdentifier,
    anchors: &Anchors,
) -> Result<Certificate, TimestampError> {
    let SignerIdentifier::IssuerAndSerialNumber(id) = sid else {
        return Err(unsupported("a signer named by subject key identifier"));
    };
    let carried = sd.certificates.iter().flat_map(|set| set.0.iter()).filter_map(|c| match c {
        CertificateChoices::Certificate(c) => Some(c),
        CertificateChoices::Other(_) => None,
    });
    carried
        .chain(anchors.certs.iter())
        .find(|c| {
            c.tbs_certificate.issuer == id.issuer
                && c.tbs_certificate.serial_number == id.serial_number
        })
        .cloned()
        .ok_or_else(|| invalid("the token does not carry its authority's certificate"))
}

fn ecdsa_verify(key_of: &Certificate, message: &[u8], signature: &[u8]) -> Result<(), String> {
    let spki =
        key_of.tbs_certificate.subject_public_key_info.to_der().map_err(|e| e.to_string())?;
    let key =
        VerifyingKey::from_public_key_der(&spki).map_err(|e| format!("not a P-256 key: {e}"))?;
    let sig = DerSignature::try_from(signature).map_err(|e| e.to_string())?;
    key.verify(message, &sig).map_err(|e| e.to_string())
}

fn check_authority(
    cert: &Certificate,
    anchors: &Anchors,
    cert_der: &[u8],
    at: DateTime<Utc>,
) -> Result<(), TimestampError> {
    let tbs = &cert.tbs_certificate;
    let eku = tbs
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == ID_CE_EXT_KEY_USAGE)
        .ok_or_else(|| invalid("the authority's certificate has no extended key usage"))?;
    let usages = ExtendedKeyUsage::from_der(eku.extn_value.as_bytes()).map_err(invalid)?;
    if !eku.critical || usages.0 != [ID_KP_TIME_STAMPING] {
        return Err(invalid(
            "the authority's certificate is not only for time-stamping (critical)",
        ));
    }
    let v = &tbs.validity;
    if at < DateTime::<Utc>::from(v.not_before.to_system_time())
        || at > DateTime::<Utc>::from(v.not_after.to_system_time())
    {
        return Err(invalid("the token's time is outside its certificate's validity"));
    }
    for anchor in &anchors.certs {
        if anchor.to_der().is_ok_and(|d| d == cert_der) {
            return Ok(());
        }
        if anchor.tbs_certificate.subject != tbs.issuer {
            continue;
        }
        if cert.signature_algorithm.oid != ECDSA_WITH_SHA_256 {
            return Err(unsupported(format!(
                "certificate signature algorithm {}",
                cert.signature_algorithm.oid
            )));
        }
        let tbs_der = tbs.to_der().map_err(invalid)?;
        let sig = cert.signature.as_bytes().ok_or_else(|| invalid("signature bits"))?;
        if ecdsa_verify(anchor, &tbs_der, sig).is_ok() {
            return Ok(());
        }
    }
    Err(invalid(format!("the authority {} is not issued by a trusted CA", tbs.subject)))
}
