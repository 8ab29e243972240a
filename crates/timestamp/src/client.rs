//! Asking an authority for a token (RFC 3161 §3.4, time-stamp protocol over HTTP).

use cmpv2::status::PkiStatus;
use const_oid::db::rfc5912::ID_SHA_256;
use der::asn1::{Int, OctetString};
use der::{Decode, Encode};
use rand::RngCore;
use x509_cert::spki::AlgorithmIdentifier;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

use crate::verify::{verify, Anchors, Verified};
use crate::TimestampError;

/// A token and what it says.
#[derive(Clone, Debug)]
pub struct Stamped {
    /// The DER `TimeStampToken` (a CMS ContentInfo).
    pub token: Vec<u8>,
    /// Its checked content.
    pub verified: Verified,
}

/// A client of one authority, trusting `anchors` for its tokens.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    anchors: Anchors,
}

impl Client {
    /// A client posting to `url` with `http` (built with the platform's TLS trust).
    pub fn new(http: reqwest::Client, url: &str, anchors: Anchors) -> Self {
        Client { http, url: url.to_string(), anchors }
    }

    /// The anchors its tokens are checked against.
    pub fn anchors(&self) -> &Anchors {
        &self.anchors
    }

    /// A token over the SHA-256 `digest`, checked (signature, certificate, imprint, nonce)
    /// before it is returned.
    pub async fn stamp(&self, digest: &[u8; 32]) -> Result<Stamped, TimestampError> {
        let mut nonce = [0u8; 8];
        rand::rng().fill_bytes(&mut nonce);
        nonce[0] = (nonce[0] & 0x7f) | 0x01;
        let bad = |e: der::Error| TimestampError::Invalid(e.to_string());
        let req = TimeStampReq {
            version: TspVersion::V1,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifier { oid: ID_SHA_256, parameters: None },
                hashed_message: OctetString::new(digest.to_vec()).map_err(bad)?,
            },
            req_policy: None,
            nonce: Some(Int::new(&nonce).map_err(bad)?),
            cert_req: true,
            extensions: None,
        };
        let unreachable = |e: reqwest::Error| TimestampError::Unreachable(e.to_string());
        let resp = self
            .http
            .post(&self.url)
            .header("content-type", "application/timestamp-query")
            .body(req.to_der().map_err(bad)?)
            .send()
            .await
            .map_err(unreachable)?;
        if !resp.status().is_success() {
            return Err(TimestampError::Unreachable(format!("HTTP {}", resp.status())));
        }
        let body = resp.bytes().await.map_err(unreachable)?;
        let answer = TimeStampResp::from_der(&body)
            .map_err(|e| TimestampError::Unreachable(format!("not a TimeStampResp: {e}")))?;
        let granted =
            matches!(answer.status.status, PkiStatus::Accepted | PkiStatus::GrantedWithMods);
        let token = match answer.time_stamp_token {
            Some(t) if granted => t.to_der().map_err(bad)?,
            _ => {
                let text: Vec<String> = answer
                    .status
                    .status_string
                    .iter()
                    .flatten()
                    .map(|s| s.as_str().to_string())
                    .collect();
                return Err(TimestampError::Refused(format!(
                    "{:?} {:?} {}",
                    answer.status.status,
                    answer.status.fail_info,
                    text.join("; ")
                )));
            }
        };
        let verified = verify(&token, digest, &self.anchors)?;
        if verified.nonce.as_deref() != Some(hex::encode(nonce).as_str()) {
            return Err(TimestampError::Invalid("the token's nonce is not the request's".into()));
        }
        Ok(Stamped { token, verified })
    }
}
