//! Command line, configuration file and `CQDT_*` environment variables.
//!
//! Precedence: command-line flag, then environment variable, then the TOML file, then the default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use cqdt_platform::sealing::{parse_key, parse_key_file, SealError, Sealer};
use serde::Deserialize;

/// cqdt – nền tảng Chính quyền điện tử (open-source e-government platform for Vietnamese provinces).
#[derive(Debug, Parser)]
#[command(name = "cqdt", version, about, long_about = None)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command; each also reads a `CQDT_*` variable or the TOML file.
#[derive(Debug, Args, Default, Clone)]
pub struct GlobalArgs {
    /// TOML configuration file (keys are the long option names with underscores, e.g. data_dir).
    #[arg(long, env = "CQDT_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database, stored files and keys [default: ./data].
    #[arg(long, env = "CQDT_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: postgres://user:pass@host/db for PostgreSQL [default: SQLite in the data dir].
    #[arg(long, env = "CQDT_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// SMTP server for e-mail notifications: smtps://user:pass@mail.example.vn (implicit TLS),
    /// smtp://user:pass@mail.example.vn:587?starttls=required, or smtp://127.0.0.1:25 (no TLS).
    #[arg(long, env = "CQDT_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender address of e-mail notifications [default: no-reply@cqdt.local].
    #[arg(long, env = "CQDT_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,
    /// SMS gateway endpoint (HTTP POST of {"to","text"}), https://… or e.g. the sandbox's http://127.0.0.1:9100/api/sms.
    #[arg(long, env = "CQDT_SMS_URL", global = true)]
    pub sms_url: Option<String>,
    /// Bearer token for the SMS gateway.
    #[arg(long, env = "CQDT_SMS_TOKEN", global = true, hide_env_values = true)]
    pub sms_token: Option<String>,
    /// Password of the bootstrap administrator (user "admin"); generated and printed once if unset.
    #[arg(long, env = "CQDT_ADMIN_PASSWORD", global = true, hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Largest accepted upload in megabytes [default: 20].
    #[arg(long, env = "CQDT_MAX_UPLOAD_MB", global = true)]
    pub max_upload_mb: Option<u64>,
    /// Office hours for deadlines counted in hours [default: 07:00-11:30,13:30-17:00].
    #[arg(long, env = "CQDT_OFFICE_HOURS", global = true)]
    pub office_hours: Option<String>,
    /// Public address of the platform; https:// turns on HSTS.
    #[arg(long, env = "CQDT_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "CQDT_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Name of the instance shown on pages [default: the demo province, or "cqdt"].
    #[arg(long, env = "CQDT_INSTANCE_NAME", global = true)]
    pub instance_name: Option<String>,
    /// Issuer URL of VNeID (or of `cqdt sandbox vneid`); turns on "Đăng nhập bằng VNeID".
    #[arg(long, env = "CQDT_VNEID_URL", global = true)]
    pub vneid_url: Option<String>,
    /// The platform's client id at VNeID.
    #[arg(long, env = "CQDT_VNEID_CLIENT_ID", global = true)]
    pub vneid_client_id: Option<String>,
    /// The platform's client secret at VNeID.
    #[arg(long, env = "CQDT_VNEID_CLIENT_SECRET", global = true, hide_env_values = true)]
    pub vneid_client_secret: Option<String>,
    /// Load balancers and reverse proxies whose X-Forwarded-For and X-Request-Id are believed:
    /// addresses or networks, comma-separated (e.g. 10.0.0.0/8) [default: none].
    #[arg(long, env = "CQDT_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    /// Bearer token a Prometheus scraper presents at /metrics [default: loopback clients only].
    #[arg(long, env = "CQDT_METRICS_TOKEN", global = true, hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Extra CA certificates (PEM) trusted, besides the Mozilla roots, by every outgoing TLS
    /// connection: SMTP, the SMS gateway, VNeID and PostgreSQL (as its sslrootcert).
    #[arg(long, env = "CQDT_TLS_CA_FILE", global = true)]
    pub tls_ca_file: Option<PathBuf>,
    /// RFC 3161 time-stamping authority that stamps the message log's seals (e.g. the one
    /// `cqdt sandbox tsa` serves, http://127.0.0.1:9300/) [default: seals are signed, not
    /// time-stamped].
    #[arg(long, env = "CQDT_TSA_URL", global = true)]
    pub tsa_url: Option<String>,
    /// The CA certificate(s), PEM, that issue the time-stamping authority's certificate
    /// (the sandbox writes its own as ca-cert.pem); goes with tsa_url.
    #[arg(long, env = "CQDT_TSA_CA_FILE", global = true)]
    pub tsa_ca_file: Option<PathBuf>,
    /// Where `cqdt serve` archives the message log's sealed records every hour [default: no
    /// archiving: the records stay].
    #[arg(long, env = "CQDT_LGSP_ARCHIVE_DIR", global = true)]
    pub lgsp_archive_dir: Option<PathBuf>,
    /// Days the message log's records stay in the database before they are archived [default: 180].
    #[arg(long, env = "CQDT_LGSP_KEEP_DAYS", global = true)]
    pub lgsp_keep_days: Option<u32>,
    /// The NATS server (with JetStream) that keeps the asynchronous exchange's messages, such
    /// as nats://127.0.0.1:4222, for a province on several nodes [default: the database].
    #[arg(long, env = "CQDT_LGSP_NATS_URL", global = true)]
    pub lgsp_nats_url: Option<String>,
    /// The JetStream stream for those messages (letters, digits, _) [default: LGSP_EXCHANGE].
    #[arg(long, env = "CQDT_LGSP_NATS_STREAM", global = true)]
    pub lgsp_nats_stream: Option<String>,
    /// The national population database's lookup service: an http(s) URL, or a path such as
    /// /lgsp/{member}/{service} on this platform's own LGSP gateway [default: not connected].
    #[arg(long, env = "CQDT_NATIONAL_POPULATION_URL", global = true)]
    pub national_population_url: Option<String>,
    /// The national business registry's lookup service, as national_population_url.
    #[arg(long, env = "CQDT_NATIONAL_BUSINESS_URL", global = true)]
    pub national_business_url: Option<String>,
    /// The national legal documents database's lookup service, as national_population_url.
    #[arg(long, env = "CQDT_NATIONAL_LEGAL_URL", global = true)]
    pub national_legal_url: Option<String>,
    /// The national public service portal's services for the province (dossier feed, files,
    /// status reports), as national_population_url; dossiers filed there are taken every minute.
    #[arg(long, env = "CQDT_NATIONAL_PORTAL_URL", global = true)]
    pub national_portal_url: Option<String>,
    /// The national procedure database's lookup service, as national_population_url; the
    /// catalog's national codes are checked against it daily.
    #[arg(long, env = "CQDT_NATIONAL_PROCEDURES_URL", global = true)]
    pub national_procedures_url: Option<String>,
    /// The platform's OAuth client (client credentials) for the national services' gateway.
    #[arg(long, env = "CQDT_NATIONAL_CLIENT_ID", global = true)]
    pub national_client_id: Option<String>,
    /// Its client secret.
    #[arg(long, env = "CQDT_NATIONAL_CLIENT_SECRET", global = true, hide_env_values = true)]
    pub national_client_secret: Option<String>,
    /// The token endpoint that client asks [default: this platform's /oauth/token].
    #[arg(long, env = "CQDT_NATIONAL_TOKEN_URL", global = true)]
    pub national_token_url: Option<String>,
    /// Key-encryption key that seals signing keys and TOTP secrets in the database: 32 bytes
    /// as 64 hex digits or base64 (`cqdt kek generate` makes one) [default: CQDT_KEK_FILE, or
    /// the file `kek` in the data dir, created on first start].
    #[arg(long, env = "CQDT_KEK", global = true, hide_env_values = true)]
    pub kek: Option<String>,
    /// File of key-encryption keys, one a line: the first seals, the others (previous keys,
    /// during a rotation) only open.
    #[arg(long, env = "CQDT_KEK_FILE", global = true)]
    pub kek_file: Option<PathBuf>,
    /// Previous key-encryption keys, comma-separated, that still open what they sealed until
    /// `cqdt kek rewrap` has resealed it under CQDT_KEK.
    #[arg(long, env = "CQDT_KEK_PREVIOUS", global = true, hide_env_values = true)]
    pub kek_previous: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the whole platform (migrations run first; an empty database gets the demo province).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo province into an empty database.
    Seed,
    /// Audit log tools.
    Audit {
        /// Audit command.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The integration platform's tools.
    Lgsp {
        /// LGSP command.
        #[command(subcommand)]
        command: LgspCommand,
    },
    /// Write the whole instance (database and files) to one archive, encrypted under the
    /// key-encryption key (a restore needs that key, or a later one after `kek rewrap` with it
    /// as previous).
    Backup {
        /// Archive to write (.tar.gz).
        file: PathBuf,
    },
    /// Restore an archive written by `cqdt backup`.
    Restore {
        /// Archive to read.
        file: PathBuf,
        /// Replace the data of a non-empty instance.
        #[arg(long)]
        force: bool,
    },
    /// Working-day calendar.
    Calendar {
        /// Calendar command.
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Key-encryption keys (the key that seals secrets in the database).
    Kek {
        /// Key command.
        #[command(subcommand)]
        command: KekCommand,
    },
    /// The national public service portal as a channel (CQDT_NATIONAL_PORTAL_URL).
    National {
        /// National command.
        #[command(subcommand)]
        command: NationalCommand,
    },
    /// The procedure catalog's tools.
    Procedures {
        /// Procedures command.
        #[command(subcommand)]
        command: ProcedureCommand,
    },
    /// Shared catalogs.
    Catalog {
        /// Catalog command.
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Stand-ins for external systems, for tests and demos.
    Sandbox {
        /// Which sandbox.
        #[command(subcommand)]
        command: SandboxCommand,
    },
    /// OAuth clients (systems that call the platform's APIs).
    Client {
        /// Client command.
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// The project's benchmarks (machine-readable JSON results).
    Bench {
        /// Which benchmark.
        #[command(subcommand)]
        command: BenchCommand,
    },
}

/// Options of `cqdt serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CQDT_LISTEN")]
    pub listen: Option<String>,
    /// Do not load the demo province into an empty database.
    #[arg(long, env = "CQDT_NO_DEMO")]
    pub no_demo: bool,
}

pub use crate::subcommands::{
    AuditCommand, BenchCommand, CalendarCommand, CatalogCommand, ClientCommand, KekCommand,
    LgspCommand, NationalCommand, ProcedureCommand, SandboxCommand,
};

/// Values read from the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<String>,
    no_demo: Option<bool>,
    smtp_url: Option<String>,
    smtp_from: Option<String>,
    sms_url: Option<String>,
    sms_token: Option<String>,
    admin_password: Option<String>,
    max_upload_mb: Option<u64>,
    office_hours: Option<String>,
    public_url: Option<String>,
    log_format: Option<String>,
    instance_name: Option<String>,
    vneid_url: Option<String>,
    vneid_client_id: Option<String>,
    vneid_client_secret: Option<String>,
    trusted_proxies: Option<String>,
    metrics_token: Option<String>,
    tls_ca_file: Option<PathBuf>,
    kek_file: Option<PathBuf>,
    tsa_url: Option<String>,
    tsa_ca_file: Option<PathBuf>,
    lgsp_archive_dir: Option<PathBuf>,
    lgsp_keep_days: Option<u32>,
    lgsp_nats_url: Option<String>,
    lgsp_nats_stream: Option<String>,
    national_population_url: Option<String>,
    national_business_url: Option<String>,
    national_legal_url: Option<String>,
    national_portal_url: Option<String>,
    national_procedures_url: Option<String>,
    national_client_id: Option<String>,
    national_client_secret: Option<String>,
    national_token_url: Option<String>,
}

/// Where the key-encryption keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KekSource {
    /// Configured (`CQDT_KEK`, `CQDT_KEK_FILE`).
    Configured(Sealer),
    /// Nothing configured: the key file in the data directory, made on first use.
    DataDir(PathBuf),
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database URL.
    pub database_url: String,
    /// Listen address.
    pub listen: String,
    /// Load the demo province into an empty database.
    pub demo: bool,
    /// SMTP URL.
    pub smtp_url: Option<String>,
    /// Sender address.
    pub smtp_from: String,
    /// SMS gateway URL.
    pub sms_url: Option<String>,
    /// SMS token.
    pub sms_token: Option<String>,
    /// Bootstrap admin password.
    pub admin_password: Option<String>,
    /// Upload limit in bytes.
    pub max_upload_bytes: usize,
    /// Office hours.
    pub office_hours: String,
    /// Public URL.
    pub public_url: Option<String>,
    /// Log as JSON.
    pub log_json: bool,
    /// Instance name override.
    pub instance_name: Option<String>,
    /// VNeID issuer, client id and secret, when login with VNeID is on.
    pub vneid: Option<(String, String, String)>,
    /// Proxies whose forwarded client address and request id are believed.
    pub trusted_proxies: cqdt_platform::web::TrustedProxies,
    /// Bearer token for /metrics.
    pub metrics_token: Option<String>,
    /// Whom outgoing TLS connections trust: the Mozilla roots and the `tls_ca_file` bundle.
    pub tls: cqdt_platform::TlsTrust,
    /// Where the key-encryption keys come from.
    pub kek: KekSource,
    /// The time-stamping authority and the CAs its tokens are checked against.
    pub tsa: Option<(String, cqdt_timestamp::Anchors)>,
    /// Where the message log is archived, and after how many days.
    pub lgsp_archive_dir: Option<PathBuf>,
    /// Days the message log's records stay in the database.
    pub lgsp_keep_days: u32,
    /// The NATS server and stream of the asynchronous exchange, if not the database.
    pub lgsp_nats: Option<(String, String)>,
    /// How the national systems are reached.
    pub national: NationalConfig,
}

/// Where the national systems' services are and how the platform authenticates to them. A
/// URL that is a path is on this platform's own address (its LGSP gateway).
#[derive(Debug, Clone, Default)]
pub struct NationalConfig {
    /// The population database's service.
    pub population_url: Option<String>,
    /// The business registry's service.
    pub business_url: Option<String>,
    /// The legal documents database's service.
    pub legal_url: Option<String>,
    /// The national public service portal's services.
    pub portal_url: Option<String>,
    /// The national procedure database's service.
    pub procedures_url: Option<String>,
    /// Client id and secret (client credentials), if the services need a token.
    pub client: Option<(String, String)>,
    /// The token endpoint [default: this platform's].
    pub token_url: Option<String>,
}

impl NationalConfig {
    fn resolve(g: &GlobalArgs, file: &mut FileConfig) -> Result<Self, ConfigError> {
        let url = |flag: &Option<String>, file: &mut Option<String>, what: &str| {
            let v = flag.clone().or(file.take());
            match &v {
                Some(u)
                    if !(u.starts_with("https://")
                        || u.starts_with("http://")
                        || u.starts_with('/')) =>
                {
                    Err(ConfigError(format!(
                        "{what} {u:?} is neither an http(s) URL nor a path on this platform"
                    )))
                }
                _ => Ok(v),
            }
        };
        let population_url = url(
            &g.national_population_url,
            &mut file.national_population_url,
            "national_population_url",
        )?;
        let business_url = url(
            &g.national_business_url,
            &mut file.national_business_url,
            "national_business_url",
        )?;
        let legal_url =
            url(&g.national_legal_url, &mut file.national_legal_url, "national_legal_url")?;
        let portal_url =
            url(&g.national_portal_url, &mut file.national_portal_url, "national_portal_url")?;
        let procedures_url = url(
            &g.national_procedures_url,
            &mut file.national_procedures_url,
            "national_procedures_url",
        )?;
        let token_url =
            url(&g.national_token_url, &mut file.national_token_url, "national_token_url")?;
        let client = match (
            g.national_client_id.clone().or(file.national_client_id.take()),
            g.national_client_secret.clone().or(file.national_client_secret.take()),
        ) {
            (Some(i), Some(s)) => Some((i, s)),
            (None, None) => None,
            _ => {
                return Err(ConfigError(
                    "national_client_id and national_client_secret go together".into(),
                ))
            }
        };
        Ok(NationalConfig {
            population_url,
            business_url,
            legal_url,
            portal_url,
            procedures_url,
            client,
            token_url,
        })
    }
}

/// A configuration problem, reported before anything starts.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Resolves flags, environment and file.
    pub fn resolve(g: &GlobalArgs, serve: Option<&ServeArgs>) -> Result<Self, ConfigError> {
        let mut file = match &g.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let national = NationalConfig::resolve(g, &mut file)?;
        let data_dir =
            g.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = g
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| cqdt_platform::Db::sqlite_url(&data_dir));
        let listen = serve
            .and_then(|s| s.listen.clone())
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        listen
            .parse::<SocketAddr>()
            .map_err(|e| ConfigError(format!("listen address {listen:?}: {e}")))?;
        let no_demo = serve.map(|s| s.no_demo).unwrap_or(false) || file.no_demo.unwrap_or(false);
        let log_format = g.log_format.clone().or(file.log_format).unwrap_or_else(|| "text".into());
        if !matches!(log_format.as_str(), "text" | "json") {
            return Err(ConfigError(format!(
                "log_format must be text or json, not {log_format:?}"
            )));
        }
        let tls_ca_file = g.tls_ca_file.clone().or(file.tls_ca_file);
        let tls = cqdt_platform::TlsTrust::new(tls_ca_file.as_deref())
            .map_err(|e| ConfigError(format!("tls_ca_file: {e}")))?;
        let max_upload_mb = g.max_upload_mb.or(file.max_upload_mb).unwrap_or(20);
        if max_upload_mb == 0 || max_upload_mb > 1024 {
            return Err(ConfigError("max_upload_mb must be between 1 and 1024".into()));
        }
        let trusted_proxies = cqdt_platform::web::TrustedProxies::parse(
            g.trusted_proxies.as_deref().or(file.trusted_proxies.as_deref()).unwrap_or(""),
        )
        .map_err(|e| ConfigError(format!("trusted_proxies: {e}")))?;
        let kek = kek_source(g, file.kek_file.as_deref(), &data_dir)?;
        let tsa = match (
            g.tsa_url.clone().or(file.tsa_url),
            g.tsa_ca_file.clone().or(file.tsa_ca_file),
        ) {
            (Some(url), Some(ca)) => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(ConfigError(format!("tsa_url {url:?} is not an http(s) URL")));
                }
                let anchors = cqdt_timestamp::Anchors::load(&ca)
                    .map_err(|e| ConfigError(format!("tsa_ca_file: {e}")))?;
                Some((url, anchors))
            }
            (None, None) => None,
            _ => return Err(ConfigError("tsa_url and tsa_ca_file go together".into())),
        };
        Ok(Config {
            national,
            tsa,
            lgsp_archive_dir: g.lgsp_archive_dir.clone().or(file.lgsp_archive_dir),
            lgsp_keep_days: g.lgsp_keep_days.or(file.lgsp_keep_days).unwrap_or(180),
            lgsp_nats: match (
                g.lgsp_nats_url.clone().or(file.lgsp_nats_url),
                g.lgsp_nats_stream.clone().or(file.lgsp_nats_stream),
            ) {
                (Some(url), stream) => {
                    Some((url, stream.unwrap_or_else(|| "LGSP_EXCHANGE".into())))
                }
                (None, Some(_)) => {
                    return Err(ConfigError("lgsp_nats_stream needs lgsp_nats_url".into()))
                }
                (None, None) => None,
            },
            kek,
            trusted_proxies,
            metrics_token: g.metrics_token.clone().or(file.metrics_token),
            data_dir,
            database_url,
            listen,
            demo: !no_demo,
            smtp_url: g.smtp_url.clone().or(file.smtp_url),
            smtp_from: g
                .smtp_from
                .clone()
                .or(file.smtp_from)
                .unwrap_or_else(|| "no-reply@cqdt.local".into()),
            sms_url: g.sms_url.clone().or(file.sms_url),
            sms_token: g.sms_token.clone().or(file.sms_token),
            admin_password: g.admin_password.clone().or(file.admin_password),
            max_upload_bytes: (max_upload_mb as usize) * 1024 * 1024,
            office_hours: g
                .office_hours
                .clone()
                .or(file.office_hours)
                .unwrap_or_else(|| "07:00-11:30,13:30-17:00".into()),
            public_url: g.public_url.clone().or(file.public_url),
            log_json: log_format == "json",
            instance_name: g.instance_name.clone().or(file.instance_name),
            vneid: match (
                g.vneid_url.clone().or(file.vneid_url),
                g.vneid_client_id.clone().or(file.vneid_client_id),
                g.vneid_client_secret.clone().or(file.vneid_client_secret),
            ) {
                (Some(u), Some(i), Some(s)) => Some((u, i, s)),
                (None, None, None) => None,
                _ => {
                    return Err(ConfigError(
                        "vneid_url, vneid_client_id and vneid_client_secret go together".into(),
                    ))
                }
            },
            tls,
        })
    }

    /// Where stored files live.
    pub fn files_dir(&self) -> PathBuf {
        self.data_dir.join("files")
    }

    /// The key-encryption keys; without configured ones, those of the data directory's `kek`
    /// file (created with a new key the first time, with a warning: it must be kept, and kept
    /// apart from backups).
    pub fn sealer(&self) -> Result<Sealer, ConfigError> {
        self.load_sealer(true)
    }

    /// The key-encryption keys as [`Config::sealer`], without the warning (said once, where
    /// the identity provider starts).
    pub fn sealer_quietly(&self) -> Result<Sealer, ConfigError> {
        self.load_sealer(false)
    }

    fn load_sealer(&self, warn: bool) -> Result<Sealer, ConfigError> {
        match &self.kek {
            KekSource::Configured(s) => Ok(s.clone()),
            KekSource::DataDir(path) => {
                let (sealer, created) = Sealer::load_or_create_file(path).map_err(|e| {
                    ConfigError(format!("key-encryption key {}: {e}", path.display()))
                })?;
                if !warn {
                    return Ok(sealer);
                }
                tracing::warn!(
                    file = %path.display(),
                    kek = sealer.current_id(),
                    created,
                    "no CQDT_KEK or CQDT_KEK_FILE configured: secrets are sealed with the key in \
                     the data directory; for production keep the key elsewhere (see README)"
                );
                Ok(sealer)
            }
        }
    }
}

/// The key-encryption keys as configured: `CQDT_KEK` (with `CQDT_KEK_PREVIOUS`), else the key
/// file, else the data directory's `kek` file.
fn kek_source(
    g: &GlobalArgs,
    file_kek_file: Option<&Path>,
    data_dir: &Path,
) -> Result<KekSource, ConfigError> {
    let bad = |what: &str, e: SealError| ConfigError(format!("{what}: {e}"));
    let previous = g
        .kek_previous
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|k| !k.trim().is_empty())
        .map(parse_key)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("kek_previous", e))?;
    if let Some(k) = &g.kek {
        let current = parse_key(k).map_err(|e| bad("kek", e))?;
        return Ok(KekSource::Configured(Sealer::new(current, &previous)));
    }
    if let Some(path) = g.kek_file.as_deref().or(file_kek_file) {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("kek_file {}: {e}", path.display())))?;
        let mut keys = parse_key_file(&text).map_err(|e| bad("kek_file", e))?;
        keys.extend(previous);
        let (first, rest) = keys
            .split_first()
            .ok_or_else(|| ConfigError(format!("kek_file {}: no key in it", path.display())))?;
        return Ok(KekSource::Configured(Sealer::new(*first, rest)));
    }
    if !previous.is_empty() {
        return Err(ConfigError("kek_previous needs kek or kek_file".into()));
    }
    Ok(KekSource::DataDir(data_dir.join("kek")))
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("reading {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_everything_in_the_data_directory() {
        let c = Config::resolve(&GlobalArgs::default(), None).expect("config");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert!(c.database_url.starts_with("sqlite://./data/cqdt.db"));
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert!(c.demo);
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = std::env::temp_dir().join(format!("cqdt-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("cqdt.toml");
        std::fs::write(
            &path,
            "data_dir = \"/srv/cqdt\"\nlisten = \"0.0.0.0:80\"\nsmtp_from = \"a@b.vn\"\n",
        )
        .expect("write");
        let g = GlobalArgs {
            config: Some(path),
            smtp_from: Some("flag@b.vn".into()),
            ..GlobalArgs::default()
        };
        let c = Config::resolve(&g, None).expect("config");
        assert_eq!(c.data_dir, PathBuf::from("/srv/cqdt"));
        assert_eq!(c.listen, "0.0.0.0:80");
        assert_eq!(c.smtp_from, "flag@b.vn");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_tls_ca_file_is_read_from_the_file_and_an_unusable_one_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("cqdt.toml");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&path, format!("tls_ca_file = {:?}\n", ca.display().to_string()))
            .expect("write");
        let g = GlobalArgs { config: Some(path), ..GlobalArgs::default() };
        std::fs::write(&ca, "no certificate here\n").expect("write");
        let e = Config::resolve(&g, None).expect_err("not a bundle");
        assert!(e.to_string().contains("tls_ca_file") && e.to_string().contains("ca.pem"), "{e}");
        let test_ca = cqdt_testing::tls::TestCa::new("cqdt test CA");
        std::fs::write(&ca, test_ca.pem()).expect("write");
        let c = Config::resolve(&g, None).expect("a bundle of one certificate");
        assert_eq!(c.tls.ca_file(), Some(ca.as_path()));
        assert_eq!(c.tls.extra_roots().len(), 1);
        let c = Config::resolve(&GlobalArgs::default(), None).expect("config");
        assert_eq!(c.tls.ca_file(), None);
    }

    #[test]
    fn the_kek_comes_from_the_variable_or_the_key_file_and_a_bad_one_is_refused() {
        let c = Config::resolve(&GlobalArgs::default(), None).expect("config");
        assert_eq!(c.kek, KekSource::DataDir(PathBuf::from("./data/kek")));
        let key = cqdt_platform::sealing::generate_key_text();
        let old = hex::encode([5u8; 32]);
        let g = GlobalArgs {
            kek: Some(key.clone()),
            kek_previous: Some(old.clone()),
            ..GlobalArgs::default()
        };
        let c = Config::resolve(&g, None).expect("config");
        let expected = Sealer::new(parse_key(&key).unwrap(), &[[5u8; 32]]);
        assert_eq!(c.sealer().expect("sealer"), expected);
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("keys");
        std::fs::write(&file, format!("{key}\n{old}\n")).expect("write");
        let g = GlobalArgs { kek_file: Some(file), ..GlobalArgs::default() };
        assert_eq!(Config::resolve(&g, None).expect("config").sealer().expect("sealer"), expected);
        let g = GlobalArgs { kek: Some("too short".into()), ..GlobalArgs::default() };
        assert!(Config::resolve(&g, None).expect_err("bad key").to_string().contains("kek"));
        let g = GlobalArgs { kek_file: Some(dir.path().join("none")), ..GlobalArgs::default() };
        assert!(Config::resolve(&g, None).is_err(), "a named key file must exist");
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
    }

    #[test]
    fn a_bad_listen_address_is_refused() {
        let s = ServeArgs { listen: Some("localhost:http".into()), no_demo: false };
        assert!(Config::resolve(&GlobalArgs::default(), Some(&s)).is_err());
    }
}
