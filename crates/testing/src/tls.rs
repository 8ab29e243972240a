//! TLS for tests: a throwaway certificate authority made in the test ([`TestCa`]), server
//! certificates it signs, and an HTTPS server for an axum router ([`serve_https`]), so that
//! the platform's TLS clients are checked against real handshakes with certificates nobody
//! else trusts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// A certificate authority made for one test; its certificate is written to `ca.pem` in a
/// temporary directory removed with it.
pub struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
    dir: tempfile::TempDir,
}

/// A server certificate signed by a [`TestCa`], with its private key.
pub struct ServerCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key (PKCS#8), PEM.
    pub key_pem: String,
    /// The certificate, DER.
    pub cert_der: CertificateDer<'static>,
    /// Its private key, DER.
    pub key_der: PrivateKeyDer<'static>,
}

impl TestCa {
    /// A new CA named `name` (ECDSA P-256).
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("CA certificate");
        let dir = tempfile::tempdir().expect("temporary directory for the CA");
        std::fs::write(dir.path().join("ca.pem"), cert.pem()).expect("write ca.pem");
        TestCa { cert, key, dir }
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// The file holding the CA's certificate (PEM), for `tls_ca_file` or `sslrootcert`.
    pub fn pem_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The platform's trust with this CA's certificate as the extra bundle.
    pub fn trust(&self) -> cqdt_platform::TlsTrust {
        cqdt_platform::TlsTrust::new(Some(&self.pem_path())).expect("the test CA as a bundle")
    }

    /// A server certificate for `names` (host names or IP addresses).
    pub fn server_cert(&self, names: &[&str]) -> ServerCert {
        let key = KeyPair::generate().expect("server key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().cloned().unwrap_or_default());
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.cert, &self.key).expect("server certificate");
        ServerCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().clone(),
            key_der: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }

    /// A rustls server configuration presenting a certificate for `localhost` and
    /// `127.0.0.1`.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.server_config_for(&["localhost", "127.0.0.1"])
    }

    /// A rustls server configuration presenting a certificate for `names`.
    pub fn server_config_for(&self, names: &[&str]) -> Arc<ServerConfig> {
        let cert = self.server_cert(names);
        let config = ServerConfig::builder_with_provider(cqdt_platform::tls::provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert_der], cert.key_der)
            .expect("server configuration");
        Arc::new(config)
    }

    /// The directory the CA's files live in (removed with the CA).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Serves `router` over HTTPS on `listener` (bound by the caller, who may need its address
/// first) with `config`; returns the address. Clients whose handshake fails (an unknown CA)
/// are dropped and the server goes on.
pub fn serve_https(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    config: Arc<ServerConfig>,
) -> SocketAddr {
    let addr = listener.local_addr().expect("address");
    let tls = TlsListener { listener, acceptor: tokio_rustls::TlsAcceptor::from(config) };
    tokio::spawn(async move {
        let _ = axum::serve(tls, router).await;
    });
    addr
}

struct TlsListener {
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.listener.accept().await else { continue };
            let handshake = self.acceptor.accept(tcp);
            if let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), handshake).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}
