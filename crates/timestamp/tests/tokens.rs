//! The sandbox authority, the client and the verifier together, and OpenSSL (`openssl ts
//! -verify`, a verifier we did not write) on the tokens.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use cqdt_timestamp::{verify, Anchors, Authority, Client, TimestampError};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 3, 4, 5).unwrap()
}

async fn sandbox(authority: Arc<Authority>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = cqdt_timestamp::sandbox::router(authority, Arc::new(at));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/")
}

fn client(url: &str, authority: &Authority) -> Client {
    Client::new(reqwest::Client::new(), url, Anchors::from_pem(authority.ca_pem()).unwrap())
}

#[tokio::test]
async fn a_token_from_the_sandbox_verifies_with_its_ca_and_says_when() {
    let authority = Arc::new(Authority::generate("cqdt TSA sandbox", at()).unwrap());
    let url = sandbox(authority.clone()).await;
    let digest: [u8; 32] = Sha256::digest(b"seal 1..100").into();
    let stamped = client(&url, &authority).stamp(&digest).await.unwrap();
    assert_eq!(stamped.verified.gen_time, at());
    assert_eq!(stamped.verified.policy, "1.2.3.4.1");
    assert!(stamped.verified.authority.contains("cqdt TSA sandbox"), "{:?}", stamped.verified);

    let again = verify(&stamped.token, &digest, client(&url, &authority).anchors()).unwrap();
    assert_eq!(again, stamped.verified);
    let other: [u8; 32] = Sha256::digest(b"seal 1..101").into();
    let err = verify(&stamped.token, &other, client(&url, &authority).anchors()).unwrap_err();
    assert!(err.to_string().contains("imprint"), "{err}");
}

#[tokio::test]
async fn a_token_is_refused_under_another_authoritys_ca_or_when_altered() {
    let authority = Arc::new(Authority::generate("cqdt TSA sandbox", at()).unwrap());
    let stranger = Authority::generate("another TSA", at()).unwrap();
    let url = sandbox(authority.clone()).await;
    let digest: [u8; 32] = Sha256::digest(b"x").into();
    let token = client(&url, &authority).stamp(&digest).await.unwrap().token;
    let theirs = Anchors::from_pem(stranger.ca_pem()).unwrap();
    let err = verify(&token, &digest, &theirs).unwrap_err();
    assert!(err.to_string().contains("not issued by a trusted CA"), "{err}");
    // The same token under a stranger asking for it through its own client is refused too.
    let err = client(&url, &stranger).stamp(&digest).await.unwrap_err();
    assert!(matches!(err, TimestampError::Invalid(_)), "{err}");

    // Change one byte of the signed time: the signature no longer holds.
    let ours = Anchors::from_pem(authority.ca_pem()).unwrap();
    let mut bad = token.clone();
    let pos = bad.windows(6).position(|w| w == b"202612").expect("genTime in the token");
    bad[pos + 5] = b'3';
    let err = verify(&bad, &digest, &ours).unwrap_err();
    assert!(matches!(err, TimestampError::Invalid(_)), "{err}");
}

#[test]
fn requests_the_authority_cannot_honour_are_rejected_with_the_failure_named() {
    use cmpv2::status::PkiStatus;
    use x509_tsp::{TimeStampReq, TimeStampResp};
    let authority = Authority::generate("cqdt TSA sandbox", at()).unwrap();
    let garbage = authority.respond(b"not DER", at());
    let resp = TimeStampResp::from_der(&garbage).unwrap();
    assert_eq!(resp.status.status, PkiStatus::Rejection);
    assert!(resp.time_stamp_token.is_none());

    // SHA-1 imprint: badAlg.
    let sha1 = x509_cert::spki::AlgorithmIdentifier {
        oid: const_oid::db::rfc5912::ID_SHA_1,
        parameters: None,
    };
    let req = TimeStampReq {
        version: x509_tsp::TspVersion::V1,
        message_imprint: x509_tsp::MessageImprint {
            hash_algorithm: sha1,
            hashed_message: der::asn1::OctetString::new(vec![0u8; 20]).unwrap(),
        },
        req_policy: None,
        nonce: None,
        cert_req: false,
        extensions: None,
    };
    let resp_der = authority.respond(&req.to_der().unwrap(), at());
    let resp = TimeStampResp::from_der(&resp_der).unwrap();
    assert_eq!(resp.status.status, PkiStatus::Rejection);
    let fail = resp.status.fail_info.unwrap();
    assert!(fail.contains(cmpv2::status::PkiFailureInfoValues::BadAlg), "{fail:?}");
}

/// OpenSSL checks the token as any relying party would: its CA, the TSA certificate's
/// critical timeStamping usage, the ESS certificate identifier and the imprint.
#[tokio::test]
async fn openssl_ts_verify_accepts_the_sandboxs_tokens() {
    let present = std::process::Command::new("openssl").arg("version").output().is_ok();
    let what = "the openssl command is missing (apt-get install openssl)";
    if !cqdt_testing::prerequisite(present, "openssl ts -verify", what, "CQDT_REQUIRE_OPENSSL") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let authority = Arc::new(Authority::open(dir.path(), "cqdt TSA sandbox", at()).unwrap());
    let reopened = Authority::open(dir.path(), "ignored", at()).unwrap();
    assert_eq!(reopened.cert_pem(), authority.cert_pem(), "the files are read back, not remade");
    let url = sandbox(authority.clone()).await;
    let data = b"the message log's seal statement";
    let digest: [u8; 32] = Sha256::digest(data).into();
    let token = client(&url, &authority).stamp(&digest).await.unwrap().token;
    std::fs::write(dir.path().join("token.der"), &token).unwrap();
    std::fs::write(dir.path().join("data.bin"), data).unwrap();
    let run = |data_file: &str| {
        std::process::Command::new("openssl")
            .args(["ts", "-verify", "-token_in", "-in", "token.der", "-data", data_file])
            .args(["-CAfile", "ca-cert.pem"])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = run("data.bin");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.contains("Verification: OK"), "{said}");
    std::fs::write(dir.path().join("other.bin"), b"something else").unwrap();
    let out = run("other.bin");
    assert!(!out.status.success(), "OpenSSL must refuse the token for other data");
}
