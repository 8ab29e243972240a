//! Helpers for the catalog tests: a fresh database (SQLite, or PostgreSQL with
//! CQDT_TEST_DATABASE_URL), a stopped clock, the service, and the router on a real port.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use cqdt_audit::{Audit, Filter};
use cqdt_catalog::{CatalogService, CatalogState};
use cqdt_platform::web::{Metrics, Shell};
use cqdt_platform::{
    AdminCredentials, FileStore, JobQueue, ManualClock, Platform, RetryPolicy, Settings,
    SharedClock,
};
use cqdt_testing::TestDb;

/// The administrator's password in HTTP tests (user `admin`).
pub const PASSWORD: &str = "test-password";

/// A migrated database with the catalog service over it; today is 15/01/2026 in Vietnam.
pub struct Env {
    /// The database (dropped with the value).
    pub t: TestDb,
    /// The clock every service uses.
    pub clock: Arc<ManualClock>,
    /// The audit log.
    pub audit: Audit,
    /// The catalogs.
    pub svc: CatalogService,
}

impl Env {
    /// An empty database.
    pub async fn empty() -> Env {
        let t = TestDb::new().await;
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 1, 15, 3, 0, 0).single().expect("time"),
        ));
        let shared: SharedClock = clock.clone();
        let audit = Audit::new(t.db.clone(), shared.clone());
        let svc = CatalogService::new(t.db.clone(), shared, audit.clone());
        Env { t, clock, audit, svc }
    }

    /// A database with the built-in catalogs and the demo agencies.
    pub async fn seeded() -> Env {
        let env = Env::empty().await;
        cqdt_catalog::load_builtin(&env.svc, true, "system").await.expect("built-in catalogs load");
        env
    }

    /// Audit records whose action starts with `action`, newest first.
    pub async fn audits(&self, action: &str) -> Vec<cqdt_audit::AuditRecord> {
        self.audit
            .search(&Filter { action: Some(action.into()), ..Filter::default() }, None, 10_000)
            .await
            .expect("audit search")
    }

    /// Rows of the entries table (every version), to prove that nothing was written.
    pub async fn entry_rows(&self) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM catalog_entries")
            .fetch_one(self.t.db.pool())
            .await
            .expect("count")
    }

    /// The platform state as the binary builds it.
    pub async fn platform(&self) -> Platform {
        let clock: SharedClock = self.clock.clone();
        let db = self.t.db.clone();
        let settings = Settings::new(db.clone(), clock.clone());
        let admin = AdminCredentials::new(settings.clone());
        admin.ensure(Some(PASSWORD)).await.expect("admin password");
        Platform {
            db: db.clone(),
            clock: clock.clone(),
            jobs: JobQueue::new(db.clone(), clock.clone(), RetryPolicy::default()),
            files: FileStore::new(self.t.dir.join("files"), 1 << 20, db, clock),
            settings,
            admin,
            shell: Arc::new(Shell {
                instance_name: "tỉnh Sóc Trăng".into(),
                demo: true,
                modules: Vec::new(),
                tls: false,
                menu: &[],
                admin_sections: &[],
            }),
            metrics: Arc::new(Metrics::default()),
            auth: Default::default(),
        }
    }

    /// Serves the catalog routes on a free loopback port; returns the base URL.
    pub async fn serve(&self) -> String {
        let platform = self.platform().await;
        let shell = platform.shell.clone();
        // Errors render as the app renders them: pages outside /api/ and /dmdc/.
        let router = cqdt_catalog::router(CatalogState { platform, catalogs: self.svc.clone() })
            .layer(axum::middleware::from_fn_with_state(shell, cqdt_platform::web::error_pages));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        format!("http://{addr}")
    }
}

/// A JSON object from `json!`.
pub fn obj(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(o) => o,
        other => panic!("not an object: {other}"),
    }
}

/// A date.
pub fn day(s: &str) -> chrono::NaiveDate {
    cqdt_platform::clock::parse_date(s).expect("date")
}
