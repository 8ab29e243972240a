//! Client-credentials grants per second over real HTTP on loopback, the load generator in the
//! same process (so it shares the machine's cores with the server). Prints one JSON line.
//!
//! cargo run --release -p cqdt-identity --example grant_bench [seconds] [connections]
//! With CQDT_TEST_DATABASE_URL=postgres://… it runs on PostgreSQL, else on SQLite.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cqdt_audit::Audit;
use cqdt_identity::http::{router, IdentityState};
use cqdt_identity::{ClientCredentials, IdentityConfig, IdentityService, NewClient, TokenRequest};
use cqdt_platform::web::{Metrics, Shell};
use cqdt_platform::{
    AdminCredentials, FileStore, JobQueue, Platform, RetryPolicy, Settings, SharedClock,
    SystemClock,
};
use cqdt_testing::TestDb;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let connections: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(64);
    let t = TestDb::new().await;
    let clock: SharedClock = Arc::new(SystemClock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let audit = Audit::new(t.db.clone(), clock.clone());
    let identity = IdentityService::start(
        t.db.clone(),
        clock.clone(),
        audit.clone(),
        IdentityConfig::new(&base)?,
    )
    .await?;
    let created = identity
        .add_client(
            "bench",
            "",
            &NewClient {
                name: "bench".into(),
                grants: vec!["client_credentials".into()],
                redirect_uris: Vec::new(),
                public: false,
                scopes: vec!["catalog:read".into()],
                first_party: true,
                id_token_signed_response_alg: None,
            },
        )
        .await?;
    let id = created.client.client_id.clone();
    let secret = created.secret.map(|s| s.expose().to_string()).unwrap_or_default();

    // Baseline in the same run: the grant without HTTP (authentication, signing, audit).
    let creds = ClientCredentials {
        client_id: id.clone(),
        secret: Some(secret.clone()),
        method: cqdt_identity::AuthMethod::ClientSecretBasic,
        address: None,
    };
    let req = TokenRequest {
        grant_type: "client_credentials".into(),
        scope: None,
        params: Default::default(),
    };
    let in_process = {
        let done = Arc::new(AtomicU64::new(0));
        let end = Instant::now() + Duration::from_secs(seconds.min(3));
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let (identity, creds, req, done) =
                (identity.clone(), creds.clone(), req.clone(), done.clone());
            tasks.push(tokio::spawn(async move {
                while Instant::now() < end {
                    if identity.token(&creds, &req, "").await.is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        let start = Instant::now();
        for t in tasks {
            t.await?;
        }
        done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
    };

    let settings = Settings::new(t.db.clone(), clock.clone());
    let platform = Platform {
        db: t.db.clone(),
        clock: clock.clone(),
        jobs: JobQueue::new(t.db.clone(), clock.clone(), RetryPolicy::default()),
        files: FileStore::new(t.dir.join("files"), 1 << 20, t.db.clone(), clock.clone()),
        admin: AdminCredentials::new(settings.clone()),
        settings,
        shell: Arc::new(Shell {
            instance_name: "bench".into(),
            demo: false,
            modules: Vec::new(),
            tls: false,
            menu: &[],
            admin_sections: &[],
        }),
        metrics: Arc::new(Metrics::default()),
        auth: Default::default(),
    };
    // A citizen for the password login measurement.
    let password = "Cau Quay Soc Trang 1937!";
    identity
        .create_citizen_with_password(&cqdt_identity::account::Registration {
            personal_id: cqdt_platform::PersonalId::parse("094085000999")?,
            full_name: "Người Đo Thử".into(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1985, 1, 1).ok_or("date")?,
            phone: "+84912000999".into(),
            email: None,
            password: password.into(),
        })
        .await?;
    let app = router(IdentityState {
        platform,
        identity: identity.clone(),
        audit,
        agency_exists: Arc::new(|_: &str| true),
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let url = format!("{base}/oauth/token");
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
        let (url, id, secret, ok, failed) =
            (url.clone(), id.clone(), secret.clone(), ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                let res = client
                    .post(&url)
                    .basic_auth(&id, Some(&secret))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await;
                let good = match res {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if good {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let start = Instant::now();
    for t in tasks {
        t.await?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let grants = ok.load(Ordering::Relaxed);
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "client_credentials_grants",
            "backend": format!("{:?}", t.db.backend()).to_lowercase(),
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "connections": connections,
            "seconds": elapsed,
            "grants": grants,
            "failed": failed.load(Ordering::Relaxed),
            "grants_per_second_http": grants as f64 / elapsed,
            "grants_per_second_in_process": in_process,
            "target_per_second": 5000,
        })
    );

    // Password login over HTTP, one at a time, against the argon2id verification alone.
    let stored = cqdt_identity::password::hash(password)?;
    let mut verify_ms = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let _ = cqdt_identity::password::verify(password, &stored);
        verify_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let mut login_ms = Vec::new();
    for _ in 0..40 {
        let t0 = Instant::now();
        let res = client
            .post(format!("{base}/dang-nhap"))
            .form(&[("login", "094085000999"), ("password", password)])
            .send()
            .await?;
        if res.status().as_u16() != 303 {
            return Err(format!("login failed: {}", res.status()).into());
        }
        login_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() - 1) as f64 * p).round() as usize]
    };
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "password_login",
            "backend": format!("{:?}", t.db.backend()).to_lowercase(),
            "logins": login_ms.len(),
            "login_p50_ms": pct(&mut login_ms, 0.5),
            "login_p99_ms": pct(&mut login_ms, 0.99),
            "baseline_argon2id_verify_p50_ms": pct(&mut verify_ms, 0.5),
            "target_p50_ms": 150,
        })
    );
    Ok(())
}
