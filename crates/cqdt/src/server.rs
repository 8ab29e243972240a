//! `cqdt serve` as a library call: the whole platform (every module's routes and the
//! background workers) built from one configuration and served on a listener the caller
//! bound. The binary serves until a signal; the tests start one per test, in-process.

use std::future::Future;
use std::net::SocketAddr;

use cqdt_platform::{Db, SharedClock};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{open_db, App, AppError};
use crate::config::Config;

/// A running platform: its HTTP server and background workers.
pub struct Server {
    addr: SocketAddr,
    app: App,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    workers: Vec<JoinHandle<()>>,
    db: Db,
}

/// Opens (and migrates) the database, loads the demo province or the bare catalogs into an
/// empty one, sets the bootstrap administrator, starts the workers and serves every route on
/// `listener`. Returns once the server accepts requests.
pub async fn start(
    config: Config,
    listener: TcpListener,
    clock: SharedClock,
) -> Result<Server, AppError> {
    let started = std::time::Instant::now();
    let addr = listener.local_addr().map_err(AppError::io("reading the listen address"))?;
    let db = open_db(&config).await?;
    let mut app = initialized_app(&config, &db, &clock).await?;
    ensure_admin(&app, &config).await?;
    app.start_identity_at(Some(addr)).await?;
    let national = crate::wiring::national(&config, addr)
        .map_err(|e| AppError::Failed(format!("national systems: {e}")))?;
    let portal = national.portal.is_some();
    let checks = national.clone();
    app.dossiers = app.dossiers.clone().with_national(national);
    if portal {
        app.connect_portal();
    }
    let (stop, stop_rx) = watch::channel(false);
    let mut workers = app.spawn_workers(stop_rx.clone());
    workers.extend(app.spawn_catalog_checks(&checks, stop_rx.clone()));
    if portal {
        workers.push(app.spawn_portal_intake(stop_rx.clone()));
    }
    let service = app.router().into_make_service_with_connect_info::<SocketAddr>();
    let mut stopped = stop_rx;
    let http = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
    });
    tracing::info!(%addr, backend = ?db.backend(), startup_ms = started.elapsed().as_millis() as u64, "cqdt ready");
    Ok(Server { addr, app, stop, http, workers, db })
}

/// The application over `db`, with the demo province (or only the built-in catalogs) loaded
/// first when the database is empty.
async fn initialized_app(config: &Config, db: &Db, clock: &SharedClock) -> Result<App, AppError> {
    let app = App::build(config.clone(), db.clone(), clock.clone()).await?;
    if app.initialized().await? {
        return Ok(app);
    }
    let t = std::time::Instant::now();
    app.seed(config.demo).await?;
    tracing::info!(
        demo = config.demo,
        ms = t.elapsed().as_millis() as u64,
        "empty database initialised"
    );
    // Rebuild so the shell knows about the demo.
    App::build(config.clone(), db.clone(), clock.clone()).await
}

/// Sets the bootstrap administrator's password from the configuration, or generates and
/// prints one on a new instance; either change is audited.
#[allow(clippy::print_stderr)] // The generated password is for the operator's terminal, once.
async fn ensure_admin(app: &App, config: &Config) -> Result<(), AppError> {
    let outcome = app.platform.admin.ensure(config.admin_password.as_deref()).await?;
    if outcome != cqdt_platform::AdminPassword::Unchanged {
        let source = match outcome {
            cqdt_platform::AdminPassword::Generated(_) => "generated",
            _ => "configuration",
        };
        app.audit
            .record_now(
                cqdt_audit::AuditEvent::new(
                    "system",
                    "platform.admin_password.set",
                    "admin_account",
                )
                .object("admin")
                .details(serde_json::json!({ "source": source })),
            )
            .await?;
    }
    if let cqdt_platform::AdminPassword::Generated(password) = outcome {
        eprintln!(
            "cqdt: bootstrap administrator created: user \"admin\", password \"{password}\" \
             (shown once; set CQDT_ADMIN_PASSWORD to choose it)"
        );
    }
    Ok(())
}

impl Server {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:34567`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The services behind the routes.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serves until `signal` completes (or the server fails), then shuts down gracefully.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> Result<(), AppError> {
        let failed = tokio::select! {
            _ = signal => None,
            r = &mut self.http => Some(r),
        };
        let _ = self.stop.send(true);
        let served = match failed {
            Some(r) => r,
            None => (&mut self.http).await,
        };
        for w in self.workers.drain(..) {
            let _ = w.await;
        }
        self.db.close().await;
        match served {
            Ok(r) => r.map_err(AppError::io("serving HTTP")),
            Err(e) => Err(AppError::Failed(format!("the HTTP server stopped: {e}"))),
        }
    }

    /// Stops accepting requests, lets those in flight finish, stops the workers and closes
    /// the database.
    pub async fn shutdown(self) -> Result<(), AppError> {
        self.run_until(std::future::ready(())).await
    }
}
