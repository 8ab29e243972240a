//! The sandbox time-stamping authority: its own CA and a TSA certificate made as RFC 3161 §2.3
//! wants it (extended key usage `timeStamping` only, critical), tokens signed with ECDSA P-256
//! and SHA-256 carrying the ESS `signingCertificateV2` attribute (RFC 5816), requests checked
//! as §2.4.1 says and refused with the matching failure info.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use cmpv2::status::{PkiFailureInfoValues, PkiStatus, PkiStatusInfo};
use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use const_oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
use der::asn1::{GeneralizedTime, Int, OctetString, SetOfVec, Utf8StringRef};
use der::{Any, Decode, DecodePem, Encode, Sequence, Tag, Tagged};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use rand::RngCore;
use sha2::{Digest, Sha256};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_tsp::{Accuracy, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use crate::{
    TimestampError, ID_AA_SIGNING_CERTIFICATE_V2, ID_CT_TST_INFO, ID_KP_TIME_STAMPING,
    SANDBOX_POLICY,
};

/// `ESSCertIDv2` with the default hash (SHA-256) and no issuer/serial (RFC 5035).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    pub(crate) cert_hash: OctetString,
}

/// `SigningCertificateV2` without policies (RFC 5035).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub(crate) certs: Vec<EssCertIdV2>,
}

/// A time-stamping authority holding its key and certificate.
pub struct Authority {
    key: SigningKey,
    cert: Certificate,
    cert_pem: String,
    ca_pem: String,
    key_pem: String,
}

const KEY_FILE: &str = "tsa-key.pem";
const CERT_FILE: &str = "tsa-cert.pem";
const CA_FILE: &str = "ca-cert.pem";

fn keys_err(what: &str) -> impl Fn(&dyn std::fmt::Display) -> TimestampError + '_ {
    move |e| TimestampError::Keys(format!("{what}: {e}"))
}

impl Authority {
    /// A new authority named `name`: a CA of its own (not kept: the sandbox issues no more
    /// certificates) and a TSA certificate from it, valid ten years from `now`.
    pub fn generate(name: &str, now: DateTime<Utc>) -> Result<Self, TimestampError> {
        use rcgen::{
            BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let e = |what: &'static str| move |err: rcgen::Error| keys_err(what)(&err);
        let from = rcgen::date_time_ymd(now.year() - 1, 1, 1);
        let until = rcgen::date_time_ymd(now.year() + 10, 12, 31);
        let ca_key = KeyPair::generate().map_err(e("CA key"))?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(e("CA"))?;
        ca.distinguished_name.push(DnType::CommonName, format!("{name} CA"));
        ca.distinguished_name.push(DnType::OrganizationName, "cqdt sandbox");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        (ca.not_before, ca.not_after) = (from, until);
        let ca_cert = ca.self_signed(&ca_key).map_err(e("CA certificate"))?;

        let key = KeyPair::generate().map_err(e("TSA key"))?;
        let mut tsa = CertificateParams::new(Vec::<String>::new()).map_err(e("TSA"))?;
        tsa.distinguished_name.push(DnType::CommonName, name);
        tsa.distinguished_name.push(DnType::OrganizationName, "cqdt sandbox");
        tsa.is_ca = IsCa::ExplicitNoCa;
        tsa.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let eku = x509_cert::ext::pkix::ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING])
            .to_der()
            .map_err(|err| keys_err("extended key usage")(&err))?;
        let mut eku = CustomExtension::from_oid_content(&[2, 5, 29, 37], eku);
        eku.set_criticality(true); // RFC 3161 §2.3: MUST be critical
        tsa.custom_extensions = vec![eku];
        tsa.use_authority_key_identifier_extension = true;
        let mut serial = [0u8; 16];
        rand::rng().fill_bytes(&mut serial);
        serial[0] &= 0x7f;
        tsa.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
        (tsa.not_before, tsa.not_after) = (from, until);
        let cert = tsa.signed_by(&key, &ca_cert, &ca_key).map_err(e("TSA certificate"))?;
        Self::from_pem(&key.serialize_pem(), &cert.pem(), &ca_cert.pem())
    }

    fn from_pem(key_pem: &str, cert_pem: &str, ca_pem: &str) -> Result<Self, TimestampError> {
        let pair = rcgen::KeyPair::from_pem(key_pem).map_err(|e| keys_err("TSA key")(&e))?;
        let key = SigningKey::from_pkcs8_der(&pair.serialize_der())
            .map_err(|e| keys_err("TSA key (P-256 PKCS#8)")(&e))?;
        let cert = Certificate::from_pem(cert_pem.as_bytes())
            .map_err(|e| keys_err("TSA certificate")(&e))?;
        Certificate::from_pem(ca_pem.as_bytes()).map_err(|e| keys_err("CA certificate")(&e))?;
        Ok(Authority {
            key,
            cert,
            cert_pem: cert_pem.to_string(),
            ca_pem: ca_pem.to_string(),
            key_pem: key_pem.to_string(),
        })
    }

    /// The authority kept in `dir` (`tsa-key.pem`, `tsa-cert.pem`, `ca-cert.pem`), made and
    /// written there the first time.
    pub fn open(dir: &Path, name: &str, now: DateTime<Utc>) -> Result<Self, TimestampError> {
        let read = |f: &str| std::fs::read_to_string(dir.join(f));
        if let (Ok(k), Ok(c), Ok(ca)) = (read(KEY_FILE), read(CERT_FILE), read(CA_FILE)) {
            return Self::from_pem(&k, &c, &ca);
        }
        let made = Self::generate(name, now)?;
        let io = |e: std::io::Error| keys_err("writing the sandbox authority's files")(&e);
        std::fs::create_dir_all(dir).map_err(io)?;
        for (f, text) in
            [(KEY_FILE, &made.key_pem), (CERT_FILE, &made.cert_pem), (CA_FILE, &made.ca_pem)]
        {
            std::fs::write(dir.join(f), text).map_err(io)?;
        }
        Ok(made)
    }

    /// The CA certificate (PEM) a verifier trusts.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The authority's own certificate (PEM).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The DER `TimeStampResp` answering the DER `TimeStampReq` `request` at `now`: a token,
    /// or a rejection with the failure info RFC 3161 names and a reason in words.
    pub fn respond(&self, request: &[u8], now: DateTime<Utc>) -> Vec<u8> {
        let (fail, text) = match self.grant(request, now) {
            Ok(token) => {
                let status = PkiStatusInfo {
                    status: PkiStatus::Accepted,
                    status_string: None,
                    fail_info: None,
                };
                let resp = TimeStampResp { status, time_stamp_token: Some(token) };
                match resp.to_der() {
                    Ok(der) => return der,
                    Err(e) => (PkiFailureInfoValues::SystemFailure, format!("encoding: {e}")),
                }
            }
            Err(refusal) => refusal,
        };
        let status = PkiStatusInfo {
            status: PkiStatus::Rejection,
            status_string: Utf8StringRef::new(&text).ok().map(|t| vec![t]),
            fail_info: Some(fail.into()),
        };
        TimeStampResp { status, time_stamp_token: None }.to_der().unwrap_or_default()
    }

    fn grant(
        &self,
        request: &[u8],
        now: DateTime<Utc>,
    ) -> Result<ContentInfo, (PkiFailureInfoValues, String)> {
        use PkiFailureInfoValues as F;
        let req = TimeStampReq::from_der(request)
            .map_err(|e| (F::BadDataFormat, format!("not a DER TimeStampReq: {e}")))?;
        let imprint = &req.message_imprint;
        let want = match imprint.hash_algorithm.oid {
            ID_SHA_256 => 32,
            ID_SHA_384 => 48,
            ID_SHA_512 => 64,
            other => return Err((F::BadAlg, format!("hash algorithm {other} not accepted"))),
        };
        if imprint.hash_algorithm.parameters.as_ref().is_some_and(|p| p.tag() != Tag::Null) {
            return Err((F::BadAlg, "hash algorithm parameters must be absent or NULL".into()));
        }
        if imprint.hashed_message.as_bytes().len() != want {
            return Err((F::BadDataFormat, format!("the digest is not {want} bytes")));
        }
        if req.req_policy.is_some_and(|p| p != SANDBOX_POLICY) {
            return Err((F::UnacceptedPolicy, format!("only policy {SANDBOX_POLICY}")));
        }
        if req.extensions.is_some() {
            return Err((F::UnacceptedExtension, "no request extension is supported".into()));
        }
        self.sign(&req, now).map_err(|e| (F::SystemFailure, e))
    }

    fn sign(&self, req: &TimeStampReq, now: DateTime<Utc>) -> Result<ContentInfo, String> {
        let e = |what: &'static str| move |err: der::Error| format!("{what}: {err}");
        let mut serial = [0u8; 16];
        rand::rng().fill_bytes(&mut serial);
        serial[0] = (serial[0] & 0x7f) | 0x01; // positive, and 16 bytes as DER wants
        let secs = u64::try_from(now.timestamp()).map_err(|_| "time before 1970".to_string())?;
        let info = TstInfo {
            version: TspVersion::V1,
            policy: SANDBOX_POLICY,
            message_imprint: req.message_imprint.clone(),
            serial_number: Int::new(&serial).map_err(e("serial"))?,
            gen_time: GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
                .map_err(e("time"))?,
            accuracy: Some(Accuracy { seconds: Some(1), millis: None, micros: None }),
            ordering: false,
            nonce: req.nonce.clone(),
            tsa: None,
            extensions: None,
        };
        let content = EncapsulatedContentInfo {
            econtent_type: ID_CT_TST_INFO,
            econtent: Some(
                Any::new(Tag::OctetString, info.to_der().map_err(e("TSTInfo"))?)
                    .map_err(e("content"))?,
            ),
        };
        let cert_der = self.cert.to_der().map_err(e("certificate"))?;
        let ess = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                cert_hash: OctetString::new(Sha256::digest(&cert_der).to_vec())
                    .map_err(e("hash"))?,
            }],
        };
        let mut values = SetOfVec::new();
        values.insert(Any::encode_from(&ess).map_err(e("ESS"))?).map_err(e("ESS"))?;
        let sha256 = AlgorithmIdentifierOwned { oid: ID_SHA_256, parameters: None };
        let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: self.cert.tbs_certificate.issuer.clone(),
            serial_number: self.cert.tbs_certificate.serial_number.clone(),
        });
        let mut signer = SignerInfoBuilder::new(&self.key, sid, sha256.clone(), &content, None)
            .map_err(|err| format!("signer: {err}"))?;
        signer
            .add_signed_attribute(Attribute { oid: ID_AA_SIGNING_CERTIFICATE_V2, values })
            .map_err(|err| format!("signed attribute: {err}"))?;
        let mut builder = SignedDataBuilder::new(&content);
        builder.add_digest_algorithm(sha256).map_err(|err| format!("digest: {err}"))?;
        if req.cert_req {
            builder
                .add_certificate(CertificateChoices::Certificate(self.cert.clone()))
                .map_err(|err| format!("certificate: {err}"))?;
        }
        builder
            .add_signer_info::<SigningKey, DerSignature>(signer)
            .map_err(|err| format!("signature: {err}"))?
            .build()
            .map_err(|err| format!("SignedData: {err}"))
    }
}
