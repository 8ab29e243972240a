//! The command line: every `cqdt` command, run against the configuration it resolved.

use std::process::ExitCode;
use std::sync::Arc;

use cqdt_platform::clock::format_ts;
use cqdt_platform::{SharedClock, SystemClock};

use crate::app::{open_db, App, AppError};
use crate::bench;
use crate::config::{
    AuditCommand, BenchCommand, CalendarCommand, CatalogCommand, ClientCommand, Command, Config,
    KekCommand, NationalCommand, ProcedureCommand, SandboxCommand,
};

/// Runs one command; `database_url_flag` is the database the user named, if any (the
/// benchmarks create their own otherwise).
pub async fn run(
    command: Command,
    config: Config,
    database_url_flag: Option<String>,
) -> Result<ExitCode, AppError> {
    let clock: SharedClock = Arc::new(SystemClock);
    match command {
        Command::Serve(_) => serve(config, clock).await,
        Command::Migrate => {
            let db = open_db(&config).await?;
            println!("schema version {}", db.schema_version().await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed => {
            let db = open_db(&config).await?;
            let app = App::build(config, db, clock).await?;
            if app.initialized().await? {
                return Err(AppError::Failed(
                    "the database is already initialised; seed loads only into an empty database"
                        .into(),
                ));
            }
            app.seed(true).await?;
            println!("demo province loaded");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify { anchor } } => {
            audit_verify(config, clock, anchor).await
        }
        Command::Lgsp { command } => crate::lgsp_log::command(config, clock, command).await,
        Command::Backup { file } => {
            let db = open_db(&config).await?;
            let sealer = config.sealer().map_err(|e| AppError::Failed(e.to_string()))?;
            let now = format_ts(clock.now());
            let m = cqdt_platform::backup::backup(&db, &config.files_dir(), &file, &now, &sealer)
                .await?;
            let rows: usize = m.tables.iter().map(|t| t.rows).sum();
            println!(
                "backup written to {}, encrypted under key {}: {} tables, {rows} rows, {} files",
                file.display(),
                sealer.current_id(),
                m.tables.len(),
                m.files
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file, force } => {
            let db = open_db(&config).await?;
            let sealer = config.sealer().map_err(|e| AppError::Failed(e.to_string()))?;
            let m = cqdt_platform::backup::restore(&db, &config.files_dir(), &file, force, &sealer)
                .await?;
            let rows: usize = m.tables.iter().map(|t| t.rows).sum();
            println!(
                "restored {} from {} backup of {}: {rows} rows, {} files",
                file.display(),
                m.source_backend,
                m.created_at,
                m.files
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { command } => {
            let db = open_db(&config).await?;
            let app = App::build(config, db, clock).await?;
            calendar_command(&app, command)
        }
        Command::Procedures { command: ProcedureCommand::CheckLegalBases } => {
            let db = open_db(&config).await?;
            let app = App::build(config, db, clock).await?;
            let report = app.check_legal_bases("cqdt procedures check-legal-bases").await?;
            println!("{} documents looked up, {} in force", report.checked, report.in_force);
            for (n, validity, by) in &report.not_in_force {
                let by = by.as_deref().map(|b| format!(", replaced by {b}")).unwrap_or_default();
                println!("NOT IN FORCE: {n} ({validity}{by})");
            }
            for n in &report.not_found {
                println!("NOT FOUND: {n}");
            }
            for (n, why) in &report.failed {
                println!("FAILED: {n}: {why}");
            }
            Ok(if report.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::National { command } => {
            let db = open_db(&config).await?;
            let app = App::build(config, db, clock).await?;
            national_command(app, command).await
        }
        Command::Procedures { command: ProcedureCommand::CheckNationalCodes } => {
            let db = open_db(&config).await?;
            let app = App::build(config, db, clock).await?;
            let r = app.check_national_codes("cqdt procedures check-national-codes").await?;
            println!("{} national codes looked up, {} confirmed", r.checked, r.confirmed);
            for (code, ours, theirs) in &r.renamed {
                println!("OTHER NAME: {code}: here “{ours}”, there “{theirs}”");
            }
            for (code, name) in &r.repealed {
                println!("REPEALED: {code} ({name})");
            }
            for (code, name) in &r.not_found {
                println!("NOT FOUND: {code} ({name})");
            }
            for (code, name) in &r.malformed {
                println!("NOT A NATIONAL CODE: {code} ({name})");
            }
            for (code, why) in &r.failed {
                println!("FAILED: {code}: {why}");
            }
            let clean = r.checked == r.confirmed;
            Ok(if clean { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Catalog { command } => {
            let db = open_db(&config).await?;
            let app = App::build(config, db, clock).await?;
            catalog_command(&app, command).await
        }
        Command::Client { command } => client_command(config, clock, command).await,
        Command::Kek { command: KekCommand::Generate } => {
            println!("{}", cqdt_platform::sealing::generate_key_text());
            Ok(ExitCode::SUCCESS)
        }
        Command::Kek { command: KekCommand::Rewrap } => {
            let db = open_db(&config).await?;
            let mut app = App::build(config, db, clock).await?;
            let identity = app.start_identity().await?;
            let done = identity
                .rewrap_secrets("cli")
                .await
                .map_err(|e| AppError::Failed(format!("rewrap: {e}")))?;
            let lgsp = app
                .lgsp
                .rewrap_secrets("cli")
                .await
                .map_err(|e| AppError::Failed(format!("rewrap: {e}")))?;
            println!(
                "resealed under key {}: {} TOTP secrets, {} signing keys, {} kept LGSP bodies, {} peer secrets; the previous keys are no longer needed",
                identity.config().sealer.current_id(),
                done.totp_secrets,
                done.signing_keys,
                lgsp.bodies,
                lgsp.peer_secrets
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Sandbox { command: SandboxCommand::Sms { listen, token } } => {
            let router = cqdt_notify::sandbox::SmsSandbox::new(token).router();
            let what = "SMS gateway SANDBOX: messages are kept in memory, nothing is sent";
            serve_sandbox(&listen, "SMS", what, |_| Ok(router)).await
        }
        Command::Sandbox {
            command: SandboxCommand::Vneid { listen, client_id, client_secret, redirect_uris },
        } => {
            let what = "VNeID SANDBOX: test identities only, not the national identity system";
            serve_sandbox(&listen, "VNeID", what, |addr| {
                let config = cqdt_vneid_sandbox::SandboxConfig {
                    issuer: format!("http://{addr}"),
                    client_id,
                    client_secret,
                    redirect_uris,
                };
                cqdt_vneid_sandbox::router(config).map_err(|e| e.to_string())
            })
            .await
        }
        Command::Sandbox { command: SandboxCommand::Tsa { listen, dir } } => {
            let now = clock.now();
            let authority = cqdt_timestamp::Authority::open(&dir, "cqdt TSA sandbox", now)
                .map_err(|e| AppError::Failed(e.to_string()))?;
            println!(
                "CA certificate to trust (tsa_ca_file): {}",
                dir.join("ca-cert.pem").display()
            );
            let what =
                "time-stamping SANDBOX: tokens for tests and demonstrations, not a real authority";
            let clock = clock.clone();
            serve_sandbox(&listen, "time-stamping", what, move |_| {
                Ok(cqdt_timestamp::sandbox::router(
                    Arc::new(authority),
                    Arc::new(move || clock.now()),
                ))
            })
            .await
        }
        Command::Sandbox { command: SandboxCommand::National { listen } } => {
            let what = "national systems SANDBOX: invented citizens and enterprises, not the national databases";
            let sandbox = cqdt_national::sandbox::Sandbox::new(clock.clone());
            serve_sandbox(&listen, "national", what, move |_| Ok(sandbox.router())).await
        }
        Command::Bench { command: BenchCommand::Startup { runs } } => {
            bench::startup(runs, database_url_flag).await
        }
        Command::Bench { command: BenchCommand::Workflow { instances, concurrency, via } } => {
            if via == "http" {
                crate::bench_workflow_http::workflow_http(instances, concurrency, database_url_flag)
                    .await
            } else if via == "jobs" {
                let workers = concurrency.min(64);
                crate::bench_jobs::jobs_http(instances, workers, database_url_flag).await
            } else {
                bench::workflow(instances, concurrency, database_url_flag).await
            }
        }
        Command::Bench { command: BenchCommand::Submit { seconds, concurrency } } => {
            bench::submit(seconds, concurrency, database_url_flag).await
        }
        Command::Bench { command: BenchCommand::Search { procedures, searches } } => {
            bench::search(procedures, searches)
        }
        Command::Bench { command: BenchCommand::Pages { seconds, concurrency } } => {
            crate::bench_pages::pages(seconds, concurrency, database_url_flag).await
        }
        Command::Bench { command: BenchCommand::Gateway { seconds, concurrency } } => {
            crate::bench_gateway::gateway(seconds, concurrency, database_url_flag).await
        }
        Command::Bench { command: BenchCommand::Exchange { seconds, concurrency, nats } } => {
            crate::bench_exchange::exchange(seconds, concurrency, database_url_flag, nats).await
        }
    }
}

/// `cqdt audit verify [--anchor SEQ:HASH]`: exit code 3 when the chain is broken.
async fn audit_verify(
    config: Config,
    clock: SharedClock,
    anchor: Option<String>,
) -> Result<ExitCode, AppError> {
    let db = open_db(&config).await?;
    let app = App::build(config, db, clock).await?;
    let report = app.audit.verify().await?;
    match &report.first_bad {
        None => {
            if let Some(anchor) = anchor {
                let (seq, hash) = anchor
                    .split_once(':')
                    .and_then(|(s, h)| Some((s.parse::<i64>().ok()?, h.to_string())))
                    .ok_or_else(|| {
                        AppError::Failed(format!("anchor {anchor:?} is not SEQ:HASH"))
                    })?;
                if !app.audit.matches_anchor(seq, &hash).await? {
                    println!(
                        "audit log BROKEN: anchor row {seq} is missing or differs \
                             (rows cut from the end, or the chain was rewritten)"
                    );
                    return Ok(ExitCode::from(3));
                }
            }
            println!(
                "audit log OK: {} rows; anchor {}:{}",
                report.checked, report.checked, report.head
            );
            Ok(ExitCode::SUCCESS)
        }
        Some((seq, why)) => {
            let reason = match why {
                cqdt_audit::ChainBreak::Altered => {
                    "its content does not match its hash (altered)".to_string()
                }
                cqdt_audit::ChainBreak::Discontinuity { expected_seq } => {
                    format!("expected row {expected_seq} here (rows removed or reordered)")
                }
                cqdt_audit::ChainBreak::BrokenLink => {
                    "its link to the previous row is broken (rows altered, removed or reordered)"
                        .to_string()
                }
            };
            println!(
                "audit log BROKEN at row {seq}: {reason}; {} rows before it are intact",
                report.checked
            );
            Ok(ExitCode::from(3))
        }
    }
}

/// `cqdt client add|list`: OAuth clients, through the identity module.
async fn client_command(
    config: Config,
    clock: SharedClock,
    command: ClientCommand,
) -> Result<ExitCode, AppError> {
    let db = open_db(&config).await?;
    let mut app = App::build(config, db, clock).await?;
    let identity = app.start_identity().await?;
    match command {
        ClientCommand::Add {
            name,
            grants,
            redirect_uris,
            public,
            scopes,
            first_party,
            id_token_alg,
        } => {
            let created = identity
                .add_client(
                    "cli",
                    "",
                    &cqdt_identity::NewClient {
                        name,
                        grants,
                        redirect_uris,
                        public,
                        scopes,
                        first_party,
                        id_token_signed_response_alg: id_token_alg,
                    },
                )
                .await
                .map_err(|e| AppError::Failed(e.to_string()))?;
            println!("client_id: {}", created.client.client_id);
            if let Some(secret) = created.secret {
                println!("client_secret: {} (shown once; store it now)", secret.expose());
            }
        }
        ClientCommand::List => {
            for c in identity.list_clients().await.map_err(|e| AppError::Failed(e.to_string()))? {
                println!("{}  {}", c.client_id, c.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn catalog_command(app: &App, command: CatalogCommand) -> Result<ExitCode, AppError> {
    use cqdt_catalog::{CatalogError, Format};
    let fail = |e: CatalogError| match e {
        CatalogError::Invalid(errors) => AppError::Failed(format!(
            "rejected, nothing was written:\n{}",
            errors.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n")
        )),
        other => AppError::Failed(other.to_string()),
    };
    match command {
        CatalogCommand::List => {
            for (m, n) in app.catalogs.catalogs().await.map_err(fail)? {
                println!("{:<18} {:>6}  {}", m.code, n, m.name);
            }
        }
        CatalogCommand::Export { name, format } => {
            let f = match format.as_str() {
                "csv" => Format::Csv,
                "json" => Format::Json,
                other => {
                    return Err(AppError::Failed(format!("unknown format {other} (csv, json)")))
                }
            };
            print!("{}", app.catalogs.export(&name, f).await.map_err(fail)?);
        }
        CatalogCommand::Import { name, file } => {
            let bytes = std::fs::read(&file)
                .map_err(AppError::io(format!("reading {}", file.display())))?;
            let is_json = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
            let f = if is_json { Format::Json } else { Format::Csv };
            let r = app.catalogs.import("cli", "", &name, &bytes, f).await.map_err(fail)?;
            println!(
                "imported {} rows into {name}: {} created, {} updated, {} unchanged",
                r.rows, r.created, r.updated, r.unchanged
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn calendar_date(s: &str) -> Result<chrono::NaiveDate, AppError> {
    use chrono::Datelike;
    cqdt_platform::clock::parse_date(s).filter(|d| (1990..=2100).contains(&d.year())).ok_or_else(
        || AppError::Failed(format!("“{s}” is not a date in 1990–2100 (dd/mm/yyyy or yyyy-mm-dd)")),
    )
}

fn calendar_command(app: &App, command: CalendarCommand) -> Result<ExitCode, AppError> {
    use cqdt_platform::clock::format_date_vn;
    let cal = app.calendar.calendar();
    match command {
        CalendarCommand::Holidays { year, json } => {
            if !(1990..=2100).contains(&year) {
                return Err(AppError::Failed(format!("year {year} is outside 1990–2100")));
            }
            let holidays = cal.holidays(year);
            if json {
                let text = serde_json::to_string_pretty(&holidays)
                    .map_err(|e| AppError::Failed(e.to_string()))?;
                println!("{text}");
            } else {
                for h in holidays {
                    println!(
                        "{}  {:<8}  {}",
                        format_date_vn(h.date),
                        cqdt_calendar::weekday_vi(h.date),
                        h.name
                    );
                }
            }
        }
        CalendarCommand::AddWorkingDays { date, days } => {
            let d = calendar_date(&date)?;
            if days.abs() > 3650 {
                return Err(AppError::Failed("at most 3650 working days".into()));
            }
            let r = cal.add_working_days(d, days);
            println!("{}  {}", format_date_vn(r), cqdt_calendar::weekday_vi(r));
        }
        CalendarCommand::WorkingDaysBetween { from, to } => {
            let (a, b) = (calendar_date(&from)?, calendar_date(&to)?);
            println!("{}", cal.working_days_between(a, b));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `cqdt serve`: the whole platform on the configured address until SIGINT or SIGTERM.
async fn serve(config: Config, clock: SharedClock) -> Result<ExitCode, AppError> {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(AppError::io(format!("listening on {}", config.listen)))?;
    let server = crate::server::start(config, listener, clock).await?;
    println!("cqdt listening on {}", server.url());
    server.run_until(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Serves a sandbox's router on `listen` until Ctrl-C, saying what it is.
async fn serve_sandbox(
    listen: &str,
    name: &str,
    what: &str,
    router: impl FnOnce(std::net::SocketAddr) -> Result<axum::Router, String>,
) -> Result<ExitCode, AppError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(AppError::io(format!("listening on {listen}")))?;
    let addr = listener.local_addr().map_err(AppError::io("reading the listen address"))?;
    let router = router(addr).map_err(|e| AppError::Failed(format!("{name} sandbox: {e}")))?;
    tracing::warn!(%addr, "{what}");
    println!("cqdt {name} sandbox listening on http://{addr}");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(AppError::io(format!("serving the {name} sandbox")))?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

async fn national_command(app: App, command: NationalCommand) -> Result<ExitCode, AppError> {
    match command {
        NationalCommand::TakePortalDossiers => {
            let intake = app.take_portal_dossiers().await?;
            if intake.elsewhere {
                println!("another node is taking from the portal now; nothing done");
                return Ok(ExitCode::SUCCESS);
            }
            for (portal, local) in &intake.taken {
                println!("TAKEN: {portal} as {local}");
            }
            for (portal, why) in &intake.refused {
                println!("REFUSED: {portal}: {why}");
            }
            for what in &intake.requests_applied {
                println!("APPLIED: {what}");
            }
            for (what, why) in &intake.requests_refused {
                println!("NOT APPLIED: {what}: {why}");
            }
            println!("{} taken, {} refused", intake.taken.len(), intake.refused.len());
            match intake.stopped {
                Some(why) => {
                    println!("STOPPED: {why}");
                    Ok(ExitCode::FAILURE)
                }
                None => Ok(ExitCode::SUCCESS),
            }
        }
        NationalCommand::ReconcilePortal { limit } => {
            let r = app.reconcile_portal(limit).await?;
            for d in &r.differences {
                let local = d.local_code.as_deref().unwrap_or("-");
                println!(
                    "DIFFERS: {} ({local}): here “{}”, portal “{}”",
                    d.portal_code, d.ours, d.theirs
                );
            }
            println!(
                "{} dossiers compared, {} differ, {} reports waiting to be sent",
                r.compared,
                r.differences.len(),
                r.pending
            );
            Ok(if r.differences.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}
