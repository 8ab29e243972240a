//! PostgreSQL over TLS: a throwaway server of its own (initdb and pg_ctl from
//! /usr/lib/postgresql/*/bin, on a free port in a temporary directory, `ssl = on` with a
//! certificate of a test CA), whatever database the other tests use. The shared server is never
//! reconfigured.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cqdt_platform::{Db, TlsTrust};
use cqdt_testing::tls::TestCa;

/// The newest PostgreSQL server binaries installed, if any.
fn server_binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// A PostgreSQL server with TLS on, stopped (immediately) when dropped.
struct TlsServer {
    bin: PathBuf,
    data: PathBuf,
    /// As whom the server runs: `postgres` when the tests run as root (the server refuses
    /// root), else the current user.
    as_postgres: bool,
    port: u16,
    _dir: tempfile::TempDir,
}

impl TlsServer {
    /// Starts one; `None` (having said why) when it cannot be started here.
    fn start(ca: &TestCa) -> Option<TlsServer> {
        let bin = server_binaries();
        let usable = bin.is_some();
        if !cqdt_testing::prerequisite(
            usable,
            "PostgreSQL over TLS against a server of its own",
            "no initdb/pg_ctl under /usr/lib/postgresql/*/bin (apt-get install postgresql)",
            "CQDT_REQUIRE_POSTGRES_SERVER",
        ) {
            return None;
        }
        let bin = bin?;
        let as_postgres = is_root();
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let owner = if as_postgres { Some(postgres_ids()) } else { None };
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let server = TlsServer { bin, data, as_postgres, port: free_port(), _dir: dir };
        server.run("initdb", &["-D", path(&server.data), "-A", "trust", "-U", "postgres", "-N"]);
        let cert = ca.server_cert(&["localhost", "127.0.0.1"]);
        for (name, text) in [("server.crt", &cert.cert_pem), ("server.key", &cert.key_pem)] {
            let file = server.data.join(name);
            std::fs::write(&file, text).expect("write");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("mode");
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(&file, Some(uid), Some(gid)).expect("chown");
            }
        }
        // TLS in postgresql.conf, not on the command line, which ALTER SYSTEM cannot override.
        let conf = server.data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("postgresql.conf");
        text.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        std::fs::write(&conf, text).expect("write postgresql.conf");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            server.port,
            path(&server.data),
        );
        let log = server.data.join("server.log");
        server.run(
            "pg_ctl",
            &["-D", path(&server.data), "-l", path(&log), "-o", &options, "-w", "start"],
        );
        Some(server)
    }

    /// Runs a server program, as `postgres` when needed; panics with its output on failure.
    fn run(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd.args(args).current_dir("/").output().expect("run a PostgreSQL program");
        assert!(
            out.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self, params: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres{params}", self.port)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let data = path(&self.data).to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn postgres_ids() -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let out = Command::new("id").args([flag, "postgres"]).output().expect("id");
        assert!(out.status.success(), "running as root needs a postgres user for the server");
        String::from_utf8_lossy(&out.stdout).trim().parse().expect("a numeric id")
    };
    (id("-u"), id("-g"))
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Connects with `url` and `trust`; whether the session is encrypted, or the error.
async fn encrypted(url: &str, trust: &TlsTrust) -> Result<bool, String> {
    let db = Db::connect_with(url, trust).await.map_err(|e| e.to_string())?;
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl")
            .fetch_one(db.pool())
            .await
            .map_err(|e| e.to_string())?;
    db.close().await;
    Ok(n == 1)
}

#[tokio::test]
async fn postgres_sslmode_is_honoured_and_the_certificate_is_always_verified() {
    let ca = TestCa::new("cqdt test CA");
    let Some(server) = TlsServer::start(&ca) else { return };
    let (bundle, none) = (ca.trust(), TlsTrust::default());
    let rootcert = format!("&sslrootcert={}", path(&ca.pem_path()));

    // Verified TLS: the CA comes from the bundle setting or from sslrootcert.
    assert_eq!(encrypted(&server.url("?sslmode=verify-full"), &bundle).await, Ok(true));
    let own_root = server.url(&format!("?sslmode=verify-full{rootcert}"));
    assert_eq!(encrypted(&own_root, &none).await, Ok(true));
    assert_eq!(encrypted(&server.url("?sslmode=verify-ca"), &bundle).await, Ok(true));
    assert_eq!(encrypted(&server.url("?sslmode=require"), &bundle).await, Ok(true));
    assert_eq!(encrypted(&server.url("?sslmode=prefer"), &bundle).await, Ok(true));

    // An unknown CA is refused in every TLS mode; libpq's require and prefer would go on.
    for mode in ["verify-full", "verify-ca", "require", "prefer"] {
        let url = server.url(&format!("?sslmode={mode}"));
        let refused = encrypted(&url, &none).await.expect_err(mode);
        assert!(refused.contains("certificate") || refused.contains("UnknownIssuer"), "{refused}");
    }

    // Clear text when asked, and when the URL names no mode (as before TLS was built in).
    assert_eq!(encrypted(&server.url("?sslmode=disable"), &none).await, Ok(false));
    assert_eq!(encrypted(&server.url(""), &bundle).await, Ok(false));

    // A server without TLS: prefer goes on in clear text, require is refused.
    let admin = Db::connect(&server.url("?sslmode=disable")).await.expect("connect");
    sqlx::query("ALTER SYSTEM SET ssl = off").execute(admin.pool()).await.expect("ssl off");
    sqlx::query("SELECT pg_reload_conf()").execute(admin.pool()).await.expect("reload");
    admin.close().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let prefer = encrypted(&server.url("?sslmode=prefer"), &bundle).await;
        if prefer == Ok(false) {
            break;
        }
        assert!(Instant::now() < deadline, "prefer did not fall back to clear text: {prefer:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused = encrypted(&server.url("?sslmode=require"), &bundle).await.expect_err("no TLS");
    assert!(refused.contains("does not support TLS"), "{refused}");
    drop(server);
}
