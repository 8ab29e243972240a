//! Composition of all modules into one application: services, routes, middleware, workers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::HeaderName;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cqdt_audit::Audit;
use cqdt_platform::web::{self, Metrics, ModuleInfo, Shell};
use cqdt_platform::{
    AdminCredentials, Db, FileStore, JobQueue, PageError, Platform, RetryPolicy, Settings,
    SharedClock,
};
use serde_json::json;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;

/// Everything that can stop the application from starting or a command from finishing.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Database failure.
    #[error(transparent)]
    Db(#[from] cqdt_platform::DbError),
    /// Platform failure (files, jobs, backup).
    #[error(transparent)]
    Platform(#[from] cqdt_platform::PlatformError),
    /// File system or network failure, with context.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A command failed for a reason the user must act on.
    #[error("{0}")]
    Failed(String),
}

impl AppError {
    /// Wraps an I/O error with context.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> AppError {
        let context = context.into();
        move |source| AppError::Io { context, source }
    }
}

const DEMO_KEY: &str = "demo_province";
const INITIALIZED_KEY: &str = "initialized_at";

/// The running platform's services.
#[derive(Clone)]
pub struct App {
    /// Resolved configuration.
    pub config: Config,
    /// Platform core.
    pub platform: Platform,
    /// Audit log.
    pub audit: Audit,
    /// Working-day calendar.
    pub calendar: cqdt_calendar::CalendarService,
    /// Shared catalogs.
    pub catalogs: cqdt_catalog::CatalogService,
    /// Notifications by e-mail, SMS and in-app notices.
    pub notifier: cqdt_notify::Notifier,
    /// Workflow engine.
    pub workflow: cqdt_workflow::WorkflowService,
    /// OAuth 2.0 / OpenID Connect provider, started by `serve` and `client` (it manages keys).
    pub identity: Option<cqdt_identity::IdentityService>,
    /// Administrative procedures.
    pub procedures: cqdt_procedures::ProcedureService,
    /// Dossiers filed on the portal.
    pub dossiers: cqdt_dossiers::DossierService,
    /// Agencies and e-form choice values read from the catalogs, refreshed at start.
    pub directory: Arc<Directory>,
    /// Agency codes of the catalog, for the identity pages' checks.
    pub agencies: Arc<std::sync::RwLock<std::collections::HashSet<String>>>,
    /// The integration platform's registry (LGSP).
    pub lgsp: cqdt_lgsp::Registry,
    /// The integration platform's gateway.
    pub gateway: cqdt_lgsp::Gateway,
    /// Push delivery of the asynchronous exchange (its sweeper runs with the workers).
    pub push: cqdt_lgsp::delivery::Delivery,
    /// The asynchronous exchange (on the database, or on NATS JetStream).
    pub exchange: cqdt_lgsp::Exchange,
    /// The identity provider once started, for the modules that ask about OAuth clients.
    pub clients: Arc<std::sync::OnceLock<cqdt_identity::IdentityService>>,
}

/// Creates the data directory, connects and migrates.
pub async fn open_db(config: &Config) -> Result<Db, AppError> {
    std::fs::create_dir_all(config.files_dir())
        .map_err(AppError::io(format!("creating data directory {}", config.data_dir.display())))?;
    let db = Db::connect_with(&config.database_url, &config.tls).await?;
    let applied = db.migrate().await?;
    if applied > 0 {
        tracing::info!(applied, backend = ?db.backend(), "migrations applied");
    }
    Ok(db)
}

fn modules() -> Vec<ModuleInfo> {
    vec![
        ModuleInfo {
            id: "M3",
            name: "Danh mục dùng chung",
            summary: "Đơn vị hành chính (có phiên bản theo ngày hiệu lực), cơ quan với mã định danh điện tử, dân tộc, tôn giáo, quốc tịch và các danh mục khác, tra cứu và kết nối theo chuẩn LGSP.",
            href: "/danh-muc",
        },
        ModuleInfo {
            id: "M1",
            name: "Lịch làm việc",
            summary: "Ngày nghỉ lễ, Tết tính theo âm lịch Việt Nam, nghỉ bù và thay đổi hằng năm; tính hạn giải quyết theo ngày làm việc và giờ hành chính.",
            href: "/lich-lam-viec",
        },
        ModuleInfo {
            id: "M1",
            name: "Nhật ký kiểm toán",
            summary: "Ai đã xem hoặc thay đổi dữ liệu nào, khi nào, vì mục đích gì; nhật ký móc xích bằng mã băm, kiểm chứng được.",
            href: "/admin/audit",
        },
        ModuleInfo {
            id: "M5",
            name: "Cổng Dịch vụ công",
            summary: "Tra cứu thủ tục hành chính có dấu hay không dấu, xem thành phần hồ sơ, phí, thời hạn giải quyết và nơi nộp.",
            href: "/dich-vu-cong",
        },
        ModuleInfo {
            id: "M2",
            name: "Tài khoản và đăng nhập một lần",
            summary: "Một tài khoản cho công dân, doanh nghiệp và cán bộ; đăng nhập bằng mật khẩu, VNeID, xác thực hai lớp cho cán bộ; OpenID Connect cho các hệ thống của tỉnh.",
            href: "/dang-nhap",
        },
        ModuleInfo {
            id: "M7",
            name: "Quy trình nghiệp vụ",
            summary: "Nạp quy trình vẽ theo chuẩn BPMN 2.0, chạy bền vững từng bước với công việc theo vai trò trong cơ quan, hạn xử lý tính theo ngày làm việc.",
            href: "/admin/workflow",
        },
        ModuleInfo {
            id: "M10",
            name: "Trục tích hợp LGSP",
            summary: "Kết nối hệ thống của các cơ quan trong tỉnh với nhau: danh bạ dịch vụ kèm tài liệu OpenAPI, cấp quyền theo từng thao tác, cổng chuyển tiếp có kiểm soát lưu lượng và ghi lại từng lượt gọi.",
            href: "/admin/lgsp",
        },
        ModuleInfo {
            id: "M21",
            name: "Thông báo",
            summary: "Gửi thư điện tử, tin nhắn SMS và thông báo trong ứng dụng theo mẫu tiếng Việt; không thất lạc khi máy chủ thư gặp sự cố, có nhật ký gửi từng tin.",
            href: "/admin/notifications",
        },
        ModuleInfo {
            id: "M1",
            name: "Hàng đợi công việc",
            summary: "Gửi thông báo và thông điệp liên thông bảo đảm không thất lạc: thử lại tự động, theo dõi công việc thất bại.",
            href: "/admin/jobs",
        },
    ]
}

impl App {
    /// Builds all services over an open database.
    pub async fn build(config: Config, db: Db, clock: SharedClock) -> Result<App, AppError> {
        let settings = Settings::new(db.clone(), clock.clone());
        let demo = settings.get(DEMO_KEY).await?.is_some();
        let admin = AdminCredentials::new(settings.clone());
        let jobs = JobQueue::new(db.clone(), clock.clone(), RetryPolicy::default());
        let files =
            FileStore::new(config.files_dir(), config.max_upload_bytes, db.clone(), clock.clone());
        let instance_name = config.instance_name.clone().unwrap_or_else(|| {
            if demo {
                "tỉnh Sóc Trăng".into()
            } else {
                "cqdt".into()
            }
        });
        let shell = Shell {
            instance_name,
            demo,
            modules: modules(),
            tls: config.public_url.as_deref().is_some_and(|u| u.starts_with("https://")),
            menu: crate::menu::MENU,
            admin_sections: crate::menu::ADMIN_SECTIONS,
        };
        let platform = Platform {
            db: db.clone(),
            clock: clock.clone(),
            jobs,
            files,
            settings,
            admin,
            shell: Arc::new(shell),
            metrics: Arc::new(Metrics::default().with_token(config.metrics_token.clone())),
            auth: Default::default(),
        };
        let audit = Audit::new(db.clone(), clock.clone());
        platform.auth.install_security_log(Arc::new(audit.clone()));
        let office_hours = cqdt_calendar::OfficeHours::parse(&config.office_hours)
            .map_err(|e| AppError::Failed(format!("office_hours: {e}")))?;
        let calendar = cqdt_calendar::CalendarService::load(
            db.clone(),
            clock.clone(),
            audit.clone(),
            office_hours,
        )
        .await?;
        let catalogs = cqdt_catalog::CatalogService::new(db.clone(), clock.clone(), audit.clone());
        let workflow = cqdt_workflow::WorkflowService::new(
            db.clone(),
            clock.clone(),
            audit.clone(),
            calendar.clone(),
        );
        let notifier = cqdt_notify::Notifier::new(
            db,
            clock,
            platform.jobs.clone(),
            &cqdt_notify::NotifyConfig {
                smtp_url: config.smtp_url.clone(),
                smtp_from: config.smtp_from.clone(),
                sms_url: config.sms_url.clone(),
                sms_token: config.sms_token.clone(),
                tls: config.tls.clone(),
            },
        )
        .map_err(|e| AppError::Failed(format!("notifications: {e}")))?;
        notifier.register(&platform.jobs);
        let procedures = cqdt_procedures::ProcedureService::load(
            platform.db.clone(),
            platform.clock.clone(),
            audit.clone(),
        )
        .await
        .map_err(|e| AppError::Failed(format!("procedures: {e}")))?;
        let directory = Arc::new(Directory {
            place: place_of(&platform.shell.instance_name),
            ..Directory::default()
        });
        let dossiers = cqdt_dossiers::DossierService::new(
            platform.db.clone(),
            platform.clock.clone(),
            platform.files.clone(),
            cqdt_dossiers::Neighbours {
                audit: audit.clone(),
                notifier: notifier.clone(),
                procedures: procedures.clone(),
                calendar: calendar.clone(),
                workflow: workflow.clone(),
            },
            directory.clone(),
        );
        let clients: Arc<std::sync::OnceLock<cqdt_identity::IdentityService>> = Arc::default();
        let lgsp = cqdt_lgsp::Registry::new(
            platform.db.clone(),
            platform.clock.clone(),
            audit.clone(),
            Arc::new(crate::wiring::LgspDirectory {
                directory: directory.clone(),
                clients: clients.clone(),
            }),
        )
        .with_kek(config.sealer_quietly().map_err(|e| AppError::Failed(e.to_string()))?);
        let gateway =
            cqdt_lgsp::Gateway::new(lgsp.clone(), &config.tls, cqdt_lgsp::GatewayConfig::default())
                .map_err(|e| AppError::Failed(format!("gateway: {e}")))?;
        // Pushes of the asynchronous exchange go through the outbox's worker.
        let push = reqwest::Client::builder()
            .use_preconfigured_tls(config.tls.client_config())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| AppError::Failed(format!("message delivery: {e}")))?;
        let mut push = lgsp.delivery(push);
        push.register(&platform.jobs);
        let mut exchange = cqdt_lgsp::Exchange::new(
            platform.db.clone(),
            platform.clock.clone(),
            platform.jobs.clone(),
        );
        if let Some((url, stream)) = &config.lgsp_nats {
            let js = cqdt_lgsp::exchange::jetstream::JetStream::connect(
                url,
                stream,
                platform.clock.clone(),
            )
            .await
            .map_err(|e| AppError::Failed(format!("asynchronous exchange: {e}")))?;
            exchange = exchange.on_jetstream(js);
        }
        Ok(App {
            config,
            platform,
            audit,
            calendar,
            catalogs,
            notifier,
            workflow,
            procedures,
            dossiers,
            directory,
            identity: None,
            agencies: Arc::default(),
            lgsp,
            gateway,
            push,
            exchange,
            clients,
        })
    }

    /// Starts the identity provider (creates the first signing key on a new instance).
    pub async fn start_identity(&mut self) -> Result<cqdt_identity::IdentityService, AppError> {
        self.start_identity_at(None).await
    }

    /// Starts the identity provider; without a public URL the issuer is the address the
    /// server actually listens on (`bound`), or the configured one.
    pub async fn start_identity_at(
        &mut self,
        bound: Option<std::net::SocketAddr>,
    ) -> Result<cqdt_identity::IdentityService, AppError> {
        let issuer = self.config.public_url.clone().unwrap_or_else(|| match bound {
            Some(a) => format!("http://{a}"),
            None => format!("http://{}", self.config.listen),
        });
        let mut config = cqdt_identity::IdentityConfig::new(&issuer)
            .map_err(|e| AppError::Failed(format!("identity: {e}")))?;
        config.totp_issuer = format!("Chính quyền điện tử {}", self.platform.shell.instance_name);
        config.sealer = self.config.sealer().map_err(|e| AppError::Failed(e.to_string()))?;
        let identity = cqdt_identity::IdentityService::start(
            self.platform.db.clone(),
            self.platform.clock.clone(),
            self.audit.clone(),
            config,
        )
        .await
        .map_err(|e| AppError::Failed(format!("identity: {e}")))?;
        identity.attach_notifier(self.notifier.clone());
        if let Some((url, id, secret)) = &self.config.vneid {
            let callback = format!("{}/dang-nhap/vneid/callback", issuer.trim_end_matches('/'));
            identity.attach_vneid(
                cqdt_identity::vneid::VneidConfig::new(url, id, secret, &callback)
                    .trusting(self.config.tls.clone()),
            );
        }
        self.platform.auth.install(Arc::new(identity.clone()));
        let _ = self.clients.set(identity.clone());
        if self.platform.shell.demo {
            crate::demo::accounts(&identity)
                .await
                .map_err(|e| AppError::Failed(format!("demo accounts: {e}")))?;
        }
        self.refresh_agencies().await;
        self.identity = Some(identity.clone());
        Ok(identity)
    }

    /// Rereads the agencies and the e-form choice catalogs from the catalog module.
    pub async fn refresh_agencies(&self) {
        let filter =
            cqdt_catalog::EntryFilter { as_of: Some(self.catalogs.today()), ..Default::default() };
        match self.catalogs.find("agencies", &filter, 1, 5000).await {
            Ok(page) => {
                let agencies: Vec<cqdt_dossiers::service::Agency> = page
                    .entries
                    .into_iter()
                    .map(|e| cqdt_dossiers::service::Agency {
                        kind: e
                            .entry
                            .data
                            .get("kind")
                            .and_then(|k| k.as_str())
                            .unwrap_or("")
                            .to_string(),
                        code: e.entry.code,
                        name: e.entry.name,
                    })
                    .collect();
                if let Ok(mut set) = self.agencies.write() {
                    *set = agencies.iter().map(|a| a.code.clone()).collect();
                }
                if let Ok(mut v) = self.directory.agencies.write() {
                    *v = Arc::new(agencies);
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading agency codes"),
        }
        let mut values = cqdt_dossiers::form::CatalogValues::new();
        for catalog in
            ["genders", "ethnic-groups", "nationalities", "marital-statuses", "religions"]
        {
            if let Ok(page) = self.catalogs.find(catalog, &filter, 1, 5000).await {
                values.insert(
                    catalog.to_string(),
                    page.entries.into_iter().map(|e| (e.entry.code, e.entry.name)).collect(),
                );
            }
        }
        if let Ok(mut c) = self.directory.catalogs.write() {
            *c = Arc::new(values);
        }
        let units = self.admin_units(&filter).await;
        if let Ok(mut u) = self.directory.units.write() {
            *u = Arc::new(units);
        }
    }

    /// The administrative units in force, with the province the instance serves: the one of
    /// the top agency, or what it was merged into.
    async fn admin_units(
        &self,
        filter: &cqdt_catalog::EntryFilter,
    ) -> cqdt_dossiers::address::AdminUnits {
        let mut units = Vec::new();
        for level in 1..=3 {
            let mut page = 1;
            loop {
                let f = cqdt_catalog::EntryFilter { level: Some(level), ..filter.clone() };
                let Ok(found) = self.catalogs.find("admin-units", &f, page, 5000).await else {
                    break;
                };
                let n = found.entries.len() as i64;
                units.extend(found.entries.into_iter().map(|e| {
                    cqdt_dossiers::address::AdminUnit {
                        code: e.entry.code,
                        name: e.entry.name,
                        parent: e.entry.parent,
                        level: e.entry.level,
                    }
                }));
                if n < 5000 || page * 5000 >= found.total {
                    break;
                }
                page += 1;
            }
        }
        let top = self
            .catalogs
            .find("agencies", &cqdt_catalog::EntryFilter { roots: true, ..filter.clone() }, 1, 10)
            .await
            .ok()
            .and_then(|p| p.entries.into_iter().next())
            .and_then(|e| {
                e.entry.data.get("admin_unit").and_then(|v| v.as_str()).map(String::from)
            });
        let mut home = top;
        for _ in 0..3 {
            let Some(code) = home.clone() else { break };
            if units.iter().any(|u| u.level == 1 && u.code == code) {
                break;
            }
            home = match self.catalogs.successors("admin-units", &code).await {
                Ok(next) => next.into_iter().next().map(|l| l.code),
                Err(_) => None,
            };
        }
        // Provinces no longer in force keep their names: a birthplace or home town may be one.
        let all = cqdt_catalog::EntryFilter { level: Some(1), as_of: None, ..filter.clone() };
        let former = match self.catalogs.find("admin-units", &all, 1, 5000).await {
            Ok(found) => found.entries.into_iter().map(|e| (e.entry.code, e.entry.name)).collect(),
            Err(_) => Vec::new(),
        };
        cqdt_dossiers::address::AdminUnits::new(units, home).with_former(former)
    }

    /// Whether the database has been initialised (seeded or deliberately left empty).
    pub async fn initialized(&self) -> Result<bool, AppError> {
        Ok(self.platform.settings.get(INITIALIZED_KEY).await?.is_some())
    }

    /// Loads the national catalogs and, when `demo`, the demo province into an empty database.
    pub async fn seed(&self, demo: bool) -> Result<(), AppError> {
        let loaded = cqdt_catalog::seed::load_builtin(&self.catalogs, demo, "system")
            .await
            .map_err(|e| AppError::Failed(format!("loading built-in catalogs: {e}")))?;
        tracing::info!(?loaded, "built-in catalogs loaded");
        if demo {
            let n = crate::demo::processes(&self.workflow)
                .await
                .map_err(|e| AppError::Failed(format!("deploying demo processes: {e}")))?;
            tracing::info!(processes = n, "demo processes deployed");
            let n = cqdt_procedures::seed::load_demo(&self.procedures)
                .await
                .map_err(|e| AppError::Failed(format!("loading demo procedures: {e}")))?;
            tracing::info!(procedures = n, "demo procedures loaded");
        }
        if demo {
            self.platform.settings.put(DEMO_KEY, "soc-trang").await?;
        }
        let now = cqdt_platform::clock::format_ts(self.platform.clock.now());
        self.platform.settings.put(INITIALIZED_KEY, &now).await?;
        self.audit
            .record_now(
                cqdt_audit::AuditEvent::new("system", "platform.initialize", "instance")
                    .details(json!({ "demo": demo })),
            )
            .await?;
        Ok(())
    }

    /// All routes with the middleware stack.
    pub fn router(&self) -> Router {
        let p = self.platform.clone();
        let openapi = crate::openapi::openapi_document();
        let request_id = HeaderName::from_static("x-request-id");
        let identity = match &self.identity {
            Some(identity) => {
                let agencies = self.agencies.clone();
                cqdt_identity::http::router(cqdt_identity::http::IdentityState {
                    platform: p.clone(),
                    identity: identity.clone(),
                    audit: self.audit.clone(),
                    agency_exists: Arc::new(move |code: &str| {
                        agencies.read().is_ok_and(|s| s.contains(code))
                    }),
                })
            }
            None => Router::new(),
        };
        Router::new()
            .merge(identity)
            .merge(cqdt_platform::http::router(&p).with_state(p.clone()))
            .merge(cqdt_audit::http::router(cqdt_audit::http::AuditState {
                platform: p.clone(),
                audit: self.audit.clone(),
            }))
            .merge(cqdt_catalog::http::router(
                cqdt_catalog::http::CatalogState {
                    platform: p.clone(),
                    catalogs: self.catalogs.clone(),
                },
            ))
            .merge(cqdt_notify::http::router(cqdt_notify::http::NotifyState {
                platform: p.clone(),
                notifier: self.notifier.clone(),
                audit: self.audit.clone(),
            }))
            .merge(cqdt_workflow::http::router(
                cqdt_workflow::http::WorkflowState {
                    platform: p.clone(),
                    workflow: self.workflow.clone(),
                },
            ))
            .merge(cqdt_procedures::http::router(
                cqdt_procedures::http::ProcedureState {
                    platform: p.clone(),
                    procedures: self.procedures.clone(),
                },
            ))
            .merge(match &self.identity {
                Some(identity) => cqdt_dossiers::http::router(cqdt_dossiers::http::DossierState {
                    platform: p.clone(),
                    dossiers: self.dossiers.clone(),
                    applicants: Arc::new(IdentityApplicants(identity.clone())),
                }),
                None => Router::new(),
            })
            .merge(cqdt_lgsp::http::router(cqdt_lgsp::http::LgspState {
                platform: p.clone(),
                registry: self.lgsp.clone(),
                gateway: self.gateway.clone(),
                exchange: self.exchange.clone(),
            }))
            .merge(cqdt_calendar::http::router(
                cqdt_calendar::http::CalendarState {
                    platform: p.clone(),
                    calendar: self.calendar.clone(),
                },
            ))
            .route(
                "/api/v1/openapi.json",
                get(move || {
                    let doc = openapi.clone();
                    async move { Json(doc) }
                }),
            )
            .fallback({
                let shell = p.shell.clone();
                move |uri: axum::http::Uri| async move { not_found(uri, &shell) }
            })
            // Text reaches every handler composed (NFC); inside error_pages, so that its
            // refusals render like a handler's.
            .layer(axum::middleware::from_fn(web::compose_text))
            // Module errors carry both forms; pages get the Vietnamese page in this shell.
            .layer(axum::middleware::from_fn_with_state(
                p.shell.clone(),
                web::error_pages,
            ))
            // Outside error_pages, so that error pages also name the person and show their menu.
            .layer(axum::middleware::from_fn_with_state(
                web::PageContextState {
                    auth: p.auth.clone(),
                    agency_name: {
                        let directory = self.directory.clone();
                        Arc::new(move |code: &str| directory.agency_name(code))
                    },
                },
                web::page_context,
            ))
            .layer(axum::middleware::from_fn_with_state(p.auth.clone(), web::csrf_guard))
            .layer(axum::middleware::from_fn(web::refuse_nul))
            .layer(axum::middleware::from_fn_with_state(
                p.metrics.clone(),
                web::track_metrics,
            ))
            .layer(axum::middleware::from_fn_with_state(
                p.shell,
                web::security_headers,
            ))
            // Forms and JSON are small; the routes that take files raise the limit for
            // themselves (`web::upload_limit`).
            .layer(DefaultBodyLimit::max(web::BODY_LIMIT))
            // Where a service's security events find the request (inside the address and
            // the request id).
            .layer(axum::middleware::from_fn_with_state(
                p.auth.clone(),
                cqdt_platform::auth::request_context,
            ))
            .layer(PropagateRequestIdLayer::new(request_id.clone()))
            .layer(
                TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
                })
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
            )
            .layer(SetRequestIdLayer::new(request_id, web::MakeRequestId))
            // First: the client's address, and no request id a client made up.
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(self.config.trusted_proxies.clone()),
                web::client_address,
            ))
    }

    /// Starts background workers; they stop when `shutdown` turns true.
    pub fn spawn_workers(
        &self,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let jobs = self.platform.jobs.spawn_worker(shutdown.clone(), Duration::from_secs(1));
        // Audit events wait in audit_pending until chained; a fifth of a second keeps the log
        // current without taking the chain's lock in every business transaction.
        let chainer = self.audit.spawn_chainer(shutdown.clone(), Duration::from_millis(200));
        // The gateway's monitoring records, written in batches off the request path.
        let recorder = self.gateway.spawn_recorder(shutdown.clone());
        let shutdown_seals = shutdown.clone();
        let workflow = self.workflow.clone();
        let mut stop = shutdown;
        // Calendar-time timers fire to the second (working-day ones on their day): one cheap
        // indexed query a second.
        let timers = tokio::spawn(async move {
            loop {
                if let Err(e) = workflow.fire_due_timers().await {
                    tracing::error!(error = %e, "workflow timers");
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
                if *stop.borrow() {
                    break;
                }
            }
        });
        // The message log's seals: a signed (and time-stamped) root a minute; archiving hourly.
        let mut workers = vec![jobs, timers, chainer, recorder];
        workers.extend(self.spawn_log_workers(shutdown_seals));
        workers
    }
}

fn not_found(uri: axum::http::Uri, shell: &Shell) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") || path.starts_with("/dmdc/") {
        cqdt_platform::Problem::not_found(format!("Không có tài nguyên {path}.")).into_response()
    } else {
        PageError::NotFound.with_shell(shell)
    }
}

/// Agencies and e-form choice values, read from the catalog module and handed to the
/// dossiers module.
#[derive(Default)]
pub struct Directory {
    agencies: std::sync::RwLock<Arc<Vec<cqdt_dossiers::service::Agency>>>,
    catalogs: std::sync::RwLock<Arc<cqdt_dossiers::form::CatalogValues>>,
    units: std::sync::RwLock<Arc<cqdt_dossiers::address::AdminUnits>>,
    /// The province the instance is named for, as documents' date lines write it.
    place: Option<String>,
}

/// The province an instance's name names ("tỉnh Sóc Trăng" → "Sóc Trăng"), if it names one.
fn place_of(instance_name: &str) -> Option<String> {
    let name = instance_name.trim();
    ["tỉnh ", "Tỉnh ", "thành phố ", "Thành phố "]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
}

impl Directory {
    /// An agency's name from its code.
    pub(crate) fn agency_name(&self, code: &str) -> Option<String> {
        let agencies = self.agencies.read().ok()?.clone();
        agencies.iter().find(|a| a.code == code).map(|a| a.name.clone())
    }
}

impl cqdt_dossiers::service::Directory for Directory {
    fn agencies(&self) -> Arc<Vec<cqdt_dossiers::service::Agency>> {
        self.agencies.read().map(|v| v.clone()).unwrap_or_default()
    }

    fn catalogs(&self) -> Arc<cqdt_dossiers::form::CatalogValues> {
        self.catalogs.read().map(|v| v.clone()).unwrap_or_default()
    }

    fn admin_units(&self) -> Arc<cqdt_dossiers::address::AdminUnits> {
        self.units.read().map(|v| v.clone()).unwrap_or_default()
    }

    fn place_name(&self) -> Option<String> {
        self.place.clone()
    }
}

/// Applicants are citizens' accounts of the identity module.
struct IdentityApplicants(cqdt_identity::IdentityService);

impl cqdt_dossiers::http::Applicants for IdentityApplicants {
    fn applicant<'a>(
        &'a self,
        p: &'a cqdt_platform::Principal,
    ) -> cqdt_dossiers::service::BoxFuture<'a, Option<cqdt_dossiers::service::Applicant>> {
        Box::pin(async move {
            if p.kind != "citizen" {
                return None;
            }
            let a = self.0.account_for(p).await.ok()??;
            Some(cqdt_dossiers::service::Applicant {
                account_id: a.id.clone(),
                actor: a.actor(),
                name: a.full_name,
                personal_id: a.personal_id,
                phone: a.phone,
                email: a.email,
                birth_date: a.birth_date,
                address: a.address,
            })
        })
    }

    fn full_name<'a>(
        &'a self,
        actor: &'a str,
    ) -> cqdt_dossiers::service::BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let account = match actor.strip_prefix("account:") {
                Some(id) => self.0.account(id).await,
                None => {
                    let login = cqdt_identity::account::LoginId::Username(actor.to_string());
                    self.0.find_login(&login).await
                }
            };
            account.ok().flatten().map(|a| a.full_name)
        })
    }
}
