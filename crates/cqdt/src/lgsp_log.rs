//! The message log's operations in the binary: sealing and archiving as background work of
//! `cqdt serve`, and the `cqdt lgsp …` commands that seal, archive and check it.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use cqdt_platform::clock::format_ts;
use cqdt_platform::SharedClock;

use crate::app::{open_db, App, AppError};
use crate::config::{Config, LgspCommand};

impl App {
    /// The message log's sealer, stamping with the configured authority.
    pub fn log_sealer(&self) -> cqdt_lgsp::seal::Sealer {
        let tsa = self.config.tsa.as_ref().and_then(|(url, anchors)| {
            let http = reqwest::Client::builder()
                .use_preconfigured_tls(self.config.tls.client_config())
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| tracing::error!(error = %e, "time-stamping client"))
                .ok()?;
            Some(cqdt_timestamp::Client::new(http, url, anchors.clone()))
        });
        self.lgsp.sealer(tsa)
    }

    /// Archives the sealed, stamped records older than `keep_days` into `dir` (several
    /// archives when there is much), removing them from the database.
    pub async fn archive_log(
        &self,
        dir: &Path,
        keep_days: u32,
    ) -> Result<Vec<cqdt_lgsp::archive::Written>, AppError> {
        let identity = self
            .identity
            .as_ref()
            .ok_or_else(|| AppError::Failed("the identity provider has not started".into()))?;
        let now = self.platform.clock.now();
        let before = format_ts(now - chrono::Duration::days(i64::from(keep_days)));
        let (issuer, jwks) = (identity.config().issuer.clone(), identity.jwks());
        let mut written = Vec::new();
        while let Some(w) = cqdt_lgsp::archive::archive(
            &self.platform.db,
            dir,
            &before,
            &issuer,
            &jwks,
            &format_ts(now),
        )
        .await
        .map_err(|e| AppError::Failed(e.to_string()))?
        {
            written.push(w);
        }
        Ok(written)
    }

    /// The sealer (every minute), the push sweeper (every 5 s; on JetStream the pushers) and,
    /// when an archive directory
    /// is configured, the archiver (every hour).
    pub(crate) fn spawn_log_workers(
        &self,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let mut workers = vec![
            self.log_sealer().spawn(Duration::from_secs(60), shutdown.clone()),
            match self.exchange.jetstream() {
                // Each push recipient's consumer on JetStream.
                Some(js) => self.push.clone().spawn_jetstream(js.clone(), shutdown.clone()),
                // Queues whose first message is due again after a failed push.
                None => self.push.clone().spawn_sweeper(Duration::from_secs(5), shutdown.clone()),
            },
        ];
        if let Some(dir) = self.config.lgsp_archive_dir.clone() {
            let (app, mut stop) = (self.clone(), shutdown);
            workers.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                        _ = stop.changed() => break,
                    }
                    match app.archive_log(&dir, app.config.lgsp_keep_days).await {
                        Ok(w) if !w.is_empty() => {
                            tracing::info!(archives = w.len(), "message log archived");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "message log archive"),
                    }
                }
            }));
        }
        workers
    }
}

/// `cqdt lgsp …`
pub(crate) async fn command(
    config: Config,
    clock: SharedClock,
    command: LgspCommand,
) -> Result<ExitCode, AppError> {
    match command {
        LgspCommand::VerifyLog { anchor } => verify_log(config, clock, anchor).await,
        LgspCommand::Seal => {
            let app = started(config, clock).await?;
            let round = app.log_sealer().run().await?;
            for (first, last) in &round.sealed {
                println!("sealed records {first}–{last}");
            }
            println!("{} seals time-stamped", round.stamped);
            for why in &round.failures {
                println!("FAILED: {why}");
            }
            Ok(if round.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        LgspCommand::Archive { out, keep_days } => {
            let app = started(config, clock).await?;
            let written = app.archive_log(&out, keep_days).await?;
            for w in &written {
                println!(
                    "archived records {}–{} ({} records) to {} (SHA-256 {})",
                    w.manifest.first,
                    w.manifest.last,
                    w.manifest.records,
                    w.path.display(),
                    w.sha256
                );
            }
            if written.is_empty() {
                println!("nothing to archive: no time-stamped seal older than {keep_days} days");
            }
            Ok(ExitCode::SUCCESS)
        }
        LgspCommand::VerifyArchive { file } => verify_archive(&config, &clock, &file),
        LgspCommand::ConnectNational { base } => {
            let db = open_db(&config).await?;
            let mut app = App::build(config, db, clock).await?;
            let identity = app.start_identity().await?;
            let (id, secret) = crate::connect_national::register(&app, &identity, &base).await?;
            let office = crate::connect_national::OFFICE;
            println!("registered: {office}/ket-noi-quoc-gia with dan-cu and dang-ky-doanh-nghiep at {base}");
            println!("client_id: {id}");
            println!("client_secret: {secret}");
            println!("settings for the counter (the secret is shown only now):");
            println!("CQDT_NATIONAL_POPULATION_URL=/lgsp/{office}/dan-cu");
            println!("CQDT_NATIONAL_BUSINESS_URL=/lgsp/{office}/dang-ky-doanh-nghiep");
            println!("CQDT_NATIONAL_CLIENT_ID={id}");
            println!("CQDT_NATIONAL_CLIENT_SECRET={secret}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn started(config: Config, clock: SharedClock) -> Result<App, AppError> {
    let db = open_db(&config).await?;
    let mut app = App::build(config, db, clock).await?;
    app.start_identity().await?;
    Ok(app)
}

/// `cqdt lgsp verify-archive FILE`: from the file alone (and the authority's CA); exit 3 when
/// it does not hold.
fn verify_archive(config: &Config, clock: &SharedClock, file: &Path) -> Result<ExitCode, AppError> {
    use cqdt_identity::jwt::{verify::key_id, Expectation, KeySet};
    let now = clock.now().timestamp();
    let signature = |token: &str, issuer: &str, jwks: &serde_json::Value| {
        let keys = KeySet::from_jwks(jwks);
        let kid = key_id(token).map_err(|e| e.to_string())?;
        Expectation::log_seal(issuer)
            .verify(token, keys.find(kid.as_deref()), now)
            .map_err(|e| e.to_string())
    };
    let anchors = config.tsa.as_ref().map(|(_, a)| a);
    match cqdt_lgsp::archive::check(file, anchors, &signature) {
        Ok(r) => {
            println!(
                "archive OK: records {}–{} ({}), {} seals signed by {}, {} time-stamps verified",
                r.manifest.first,
                r.manifest.last,
                r.manifest.records,
                r.seals,
                r.manifest.issuer,
                r.stamped
            );
            println!("the chain before it: {}", r.manifest.prev_hash);
            if anchors.is_none() {
                println!(
                    "time-stamps NOT checked: no tsa_ca_file configured to check them against"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            println!("archive BROKEN: {why}");
            Ok(ExitCode::from(3))
        }
    }
}

/// `cqdt lgsp verify-log [--anchor SEQ:HASH]`: exit code 3 when the message log is broken.
async fn verify_log(
    config: Config,
    clock: SharedClock,
    anchor: Option<String>,
) -> Result<ExitCode, AppError> {
    use cqdt_lgsp::log::{matches_anchor, verify, Break};
    let db = open_db(&config).await?;
    let report = verify(&db).await?;
    if let Some((seq, why)) = &report.first_bad {
        let reason = match why {
            Break::Altered => "its content does not match its hash (altered)".to_string(),
            Break::Missing { expected } => {
                format!("expected record {expected} here (records removed or reordered)")
            }
            Break::Relinked => "its link to the previous record is broken".to_string(),
        };
        println!(
            "message log BROKEN at record {seq}: {reason}; {} records before it are intact",
            report.checked
        );
        return Ok(ExitCode::from(3));
    }
    if let Some(anchor) = anchor {
        let (seq, hash) = anchor
            .split_once(':')
            .and_then(|(s, h)| Some((s.parse::<i64>().ok()?, h.to_string())))
            .ok_or_else(|| AppError::Failed(format!("anchor {anchor:?} is not SEQ:HASH")))?;
        if !matches_anchor(&db, seq, &hash).await? {
            println!(
                "message log BROKEN: anchor record {seq} is missing or differs (records cut \
                 from the end, or the log was rewritten)"
            );
            return Ok(ExitCode::from(3));
        }
    }
    println!(
        "message log OK: {} records; anchor {}:{}",
        report.checked, report.head_seq, report.head
    );
    let records = report.head_seq;
    let mut app = App::build(config, db, clock).await?;
    app.start_identity().await?;
    let anchors = app.config.tsa.as_ref().map(|(_, a)| a);
    let seals = app.lgsp.verify_seals(anchors).await?;
    if let Some((last, why)) = &seals.first_bad {
        println!("message log BROKEN at the seal ending at record {last}: {why}");
        return Ok(ExitCode::from(3));
    }
    println!(
        "seals OK: {} seals cover records 1–{} ({} newer records not sealed yet); {} time-stamps verified",
        seals.seals,
        seals.sealed_to,
        records - seals.sealed_to,
        seals.stamped
    );
    if let Some(v) = &seals.last_stamp {
        let at = cqdt_platform::clock::to_vn(v.gen_time).format("%H:%M:%S %d/%m/%Y");
        println!("newest time-stamp: {at} (Vietnam time) by {}", v.authority);
    }
    if seals.unchecked > 0 {
        println!(
            "{} time-stamps NOT checked: no tsa_ca_file configured to check them against",
            seals.unchecked
        );
    }
    Ok(ExitCode::SUCCESS)
}
