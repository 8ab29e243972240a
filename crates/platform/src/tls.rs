//! TLS for the platform's outgoing connections (SMTP, the SMS gateway, VNeID, PostgreSQL):
//! one crypto provider (rustls on ring) and one trust, the Mozilla roots (webpki-roots) plus an
//! optional CA bundle (`tls_ca_file`) for a province's own CA. Certificates are always verified;
//! nothing here can turn that off.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// A CA bundle that cannot be used, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(pub String);

/// The crypto provider every TLS connection uses.
// rustls 0.23.48 deprecates its ring provider because ring has no post-quantum key exchange;
// ring is still the project's choice (aws-lc-rs's C build is too slow for CI), and the classic
// key exchanges it offers are the ones every server here speaks.
#[allow(deprecated)]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Whom outgoing TLS connections trust: the Mozilla roots and the certificates of an optional
/// CA bundle (PEM).
#[derive(Clone)]
pub struct TlsTrust {
    ca_file: Option<PathBuf>,
    extra: Vec<CertificateDer<'static>>,
    config: Arc<ClientConfig>,
}

impl fmt::Debug for TlsTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTrust")
            .field("ca_file", &self.ca_file)
            .field("extra_roots", &self.extra.len())
            .finish()
    }
}

impl Default for TlsTrust {
    /// The Mozilla roots only.
    fn default() -> Self {
        TlsTrust::build(None, Vec::new()).expect("the Mozilla roots make a client configuration")
    }
}

impl TlsTrust {
    /// The Mozilla roots plus, when `ca_file` is given, every certificate of that PEM file. A
    /// file that cannot be read, holds no certificate or a malformed one is refused.
    pub fn new(ca_file: Option<&Path>) -> Result<Self, TlsError> {
        let Some(path) = ca_file else { return Ok(TlsTrust::default()) };
        let err = |m: String| TlsError(format!("TLS CA bundle {}: {m}", path.display()));
        let pem = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| err(format!("not a PEM file of certificates ({e})")))?;
        if certs.is_empty() {
            return Err(err("no certificate (-----BEGIN CERTIFICATE-----) in the file".into()));
        }
        TlsTrust::build(Some(path.to_path_buf()), certs).map_err(err)
    }

    fn build(
        ca_file: Option<PathBuf>,
        extra: Vec<CertificateDer<'static>>,
    ) -> Result<Self, String> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for (i, cert) in extra.iter().enumerate() {
            roots
                .add(cert.clone())
                .map_err(|e| format!("certificate {} cannot be a trust anchor: {e}", i + 1))?;
        }
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(TlsTrust { ca_file, extra, config: Arc::new(config) })
    }

    /// The CA bundle, when one is configured.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// The certificates of the CA bundle (none without one).
    pub fn extra_roots(&self) -> &[CertificateDer<'static>] {
        &self.extra
    }

    /// A rustls client configuration trusting these roots (for HTTP clients).
    pub fn client_config(&self) -> ClientConfig {
        (*self.config).clone()
    }
}

/// `sslmode` of a PostgreSQL URL, as libpq names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgSslMode {
    /// Clear text (also the mode when the URL names none, as before TLS was built in).
    Disable,
    /// `allow` and `prefer`: TLS, verified, when the server offers it; clear text when it
    /// does not. A server that offers TLS with a certificate that does not verify is refused
    /// (libpq would go on without verifying it).
    Prefer,
    /// `require` and `verify-full`: TLS, the certificate verified for the host name (libpq's
    /// `require` skips the verification; it is never skipped here).
    VerifyFull,
    /// `verify-ca`: TLS, the certificate verified against the roots, the host name not checked.
    VerifyCa,
}

/// A PostgreSQL URL made explicit for sqlx: `sslmode` replaced by the mode sqlx must use
/// (`disable`, `verify-ca` or `verify-full`: sqlx's own `prefer` and `require` accept any
/// certificate), and `sslrootcert` set to the CA bundle when the URL names none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgTlsUrl {
    /// What the URL asked for.
    pub mode: PgSslMode,
    /// The URL with `sslmode=verify-full` (or `verify-ca`) for a TLS connection.
    pub tls: String,
    /// The URL with `sslmode=disable`, for `disable`, and for `prefer` when the server does
    /// not offer TLS.
    pub clear: String,
}

impl PgTlsUrl {
    /// Reads `sslmode` (or `ssl-mode`) and `sslrootcert` (or `ssl-root-cert`) of `url`.
    pub fn parse(url: &str, trust: &TlsTrust) -> Result<Self, TlsError> {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, q),
            None => (url, ""),
        };
        let mut kept = Vec::new();
        let mut mode = PgSslMode::Disable;
        let mut root_cert = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslmode" | "ssl-mode" => {
                    mode = match value.to_ascii_lowercase().as_str() {
                        "disable" => PgSslMode::Disable,
                        "allow" | "prefer" => PgSslMode::Prefer,
                        "require" | "verify-full" => PgSslMode::VerifyFull,
                        "verify-ca" => PgSslMode::VerifyCa,
                        other => {
                            return Err(TlsError(format!(
                                "database URL: unknown sslmode {other:?} (disable, allow, \
                                 prefer, require, verify-ca or verify-full)"
                            )))
                        }
                    }
                }
                "sslrootcert" | "ssl-root-cert" => {
                    root_cert = true;
                    kept.push(pair.to_string());
                }
                _ => kept.push(pair.to_string()),
            }
        }
        if !root_cert {
            if let Some(ca) = trust.ca_file() {
                kept.push(format!(
                    "sslrootcert={}",
                    crate::web::url_encode(&ca.display().to_string())
                ));
            }
        }
        let with = |sslmode: &str| {
            let mut params = kept.clone();
            params.push(format!("sslmode={sslmode}"));
            format!("{base}?{}", params.join("&"))
        };
        let tls = with(if mode == PgSslMode::VerifyCa { "verify-ca" } else { "verify-full" });
        Ok(PgTlsUrl { mode, tls, clear: with("disable") })
    }
}

/// Whether a connection failed because the PostgreSQL server does not offer TLS (sqlx's
/// words when a mode that requires TLS meets a server that answers "N" to SSLRequest).
pub fn no_tls_at_server(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Tls(inner) if inner.to_string() == "server does not support TLS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sslmode_of_a_postgres_url_is_made_explicit_and_never_unverified() {
        let t = TlsTrust::default();
        let cases = [
            ("postgres://u@h/db", PgSslMode::Disable),
            ("postgres://u@h/db?sslmode=disable", PgSslMode::Disable),
            ("postgres://u@h/db?sslmode=prefer", PgSslMode::Prefer),
            ("postgres://u@h/db?application_name=x&sslmode=allow", PgSslMode::Prefer),
            ("postgres://u@h/db?sslmode=require", PgSslMode::VerifyFull),
            ("postgres://u@h/db?ssl-mode=verify-full", PgSslMode::VerifyFull),
            ("postgres://u@h/db?sslmode=verify-ca", PgSslMode::VerifyCa),
        ];
        for (url, mode) in cases {
            let p = PgTlsUrl::parse(url, &t).expect(url);
            assert_eq!(p.mode, mode, "{url}");
            assert!(p.clear.ends_with("sslmode=disable"), "{p:?}");
            assert!(p.tls.ends_with("sslmode=verify-full") || p.tls.ends_with("sslmode=verify-ca"));
            assert!(!p.tls.contains("require") && !p.tls.contains("prefer"), "{p:?}");
        }
        let p = PgTlsUrl::parse("postgres://u@h/db?application_name=x&sslmode=verify-ca", &t)
            .expect("parse");
        assert_eq!(p.tls, "postgres://u@h/db?application_name=x&sslmode=verify-ca");
        assert!(PgTlsUrl::parse("postgres://u@h/db?sslmode=verify", &t).is_err());
    }

    #[test]
    fn the_ca_bundle_becomes_the_root_certificate_unless_the_url_names_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca bundle.pem");
        // Only the URL matters here: a trust naming a bundle (not read).
        let t = TlsTrust { ca_file: Some(path.clone()), ..TlsTrust::default() };
        let p = PgTlsUrl::parse("postgres://u@h/db?sslmode=verify-full", &t).expect("parse");
        let encoded = crate::web::url_encode(&path.display().to_string());
        assert_eq!(p.tls, format!("postgres://u@h/db?sslrootcert={encoded}&sslmode=verify-full"));
        let p = PgTlsUrl::parse("postgres://u@h/db?sslrootcert=/etc/pg.pem&sslmode=require", &t)
            .expect("parse");
        assert_eq!(p.tls, "postgres://u@h/db?sslrootcert=/etc/pg.pem&sslmode=verify-full");
    }

    #[test]
    fn an_unusable_ca_bundle_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.pem");
        let e = TlsTrust::new(Some(&missing)).expect_err("missing");
        assert!(e.to_string().contains("missing.pem"), "{e}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let e = TlsTrust::new(Some(&empty)).expect_err("empty");
        assert!(e.to_string().contains("no certificate"), "{e}");
        let broken = dir.path().join("broken.pem");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .expect("write");
        assert!(TlsTrust::new(Some(&broken)).is_err());
        assert!(TlsTrust::new(None).expect("none").extra_roots().is_empty());
    }
}
