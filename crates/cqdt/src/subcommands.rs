//! The subcommands of `cqdt` below the top level (`cqdt audit …`, `cqdt lgsp …`, …).

use std::path::PathBuf;

use clap::Subcommand;

/// `cqdt procedures …`
#[derive(Debug, Subcommand)]
pub enum ProcedureCommand {
    /// Look up every document the procedures' legal bases cite in the national legal documents
    /// database (CQDT_NATIONAL_LEGAL_URL) and keep what it says, for the portal's links; lists
    /// the documents no longer in force and those not found.
    CheckLegalBases,
    /// Look up the national code of every procedure on the portal in the national procedure
    /// database (CQDT_NATIONAL_PROCEDURES_URL) and keep what it publishes, for the portal;
    /// lists the codes it does not know, the names that differ and the procedures it lists as
    /// repealed (exit 1 when any, or when the database failed to answer for some).
    CheckNationalCodes,
}

/// `cqdt national …`
#[derive(Debug, Subcommand)]
pub enum NationalCommand {
    /// Take the dossiers filed on the national public service portal since the last round (as
    /// `cqdt serve` does every minute) and send what is owed to the portal; lists each dossier
    /// taken or refused, and fails when the round stopped early.
    TakePortalDossiers,
    /// Compare what the portal shows for the dossiers taken from it with what was reported;
    /// lists the differences and fails when there are any.
    ReconcilePortal {
        /// How many of the newest dossiers.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
}

/// `cqdt audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole hash chain; fails naming the first altered, removed or reordered row.
    Verify {
        /// An anchor printed by an earlier verify (SEQ:HASH) and kept outside the database:
        /// also proves no rows were cut from the end since then.
        #[arg(long)]
        anchor: Option<String>,
    },
}

/// `cqdt lgsp …`
#[derive(Debug, Subcommand)]
pub enum LgspCommand {
    /// Check the gateway's message log (its hash chain and its signed, time-stamped seals);
    /// fails naming the first altered, removed or reordered record, or the first seal the log
    /// no longer matches.
    VerifyLog {
        /// An anchor printed by an earlier check (SEQ:HASH) and kept outside the database:
        /// also proves no records were cut from the end since then.
        #[arg(long)]
        anchor: Option<String>,
    },
    /// Seal the records not sealed yet and time-stamp the seals still without a token, now
    /// (`cqdt serve` does it every minute).
    Seal,
    /// Move the sealed, time-stamped records older than KEEP_DAYS into archives in OUT
    /// (`cqdt serve` does it hourly with lgsp_archive_dir).
    Archive {
        /// Directory of the archives.
        #[arg(long)]
        out: PathBuf,
        /// Days the records stay in the database.
        #[arg(long, default_value_t = 180)]
        keep_days: u32,
    },
    /// Check an archive of the message log from the file alone (and tsa_ca_file for its
    /// time-stamps); exit 3 naming the first problem.
    VerifyArchive {
        /// The archive (.tar.gz).
        file: PathBuf,
    },
    /// Register the connection to the national population database and business registry on
    /// this LGSP (provider 000.00.01.H51/ket-noi-quoc-gia with services dan-cu and
    /// dang-ky-doanh-nghiep, the one-stop system 000.00.00.H51/mot-cua-quoc-gia with a new OAuth
    /// client and approved grants) and print the settings that use it.
    ConnectNational {
        /// Base address of the national services [default: `cqdt sandbox national`'s].
        #[arg(long, default_value = "http://127.0.0.1:9400")]
        base: String,
    },
}

/// `cqdt calendar …`
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Public holidays of a year (with compensatory days and announced changes).
    Holidays {
        /// Year, 1990–2100.
        year: i32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The date N working days after DATE (dd/mm/yyyy or yyyy-mm-dd).
    AddWorkingDays {
        /// Start date.
        date: String,
        /// Number of working days (negative goes back).
        #[arg(allow_hyphen_values = true)]
        days: i64,
    },
    /// Working days after the first date up to and including the second.
    WorkingDaysBetween {
        /// From.
        from: String,
        /// To.
        to: String,
    },
}

/// `cqdt kek …`
#[derive(Debug, Subcommand)]
pub enum KekCommand {
    /// Print a new random key (base64), for CQDT_KEK or a line of CQDT_KEK_FILE.
    Generate,
    /// Reseal every secret under the current key; afterwards the previous keys can go.
    Rewrap,
}

/// `cqdt catalog …`
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List catalogs with entry counts.
    List,
    /// Print a catalog's current entries.
    Export {
        /// Catalog code, e.g. agencies.
        name: String,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
    },
    /// Import entries from a CSV or JSON file, all or nothing.
    Import {
        /// Catalog code.
        name: String,
        /// File (.csv or .json).
        file: PathBuf,
    },
}

/// `cqdt client …`
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its id and, once, its secret.
    Add {
        /// Display name.
        name: String,
        /// Grant it may use: client_credentials or authorization_code (repeatable).
        #[arg(long = "grant", required = true)]
        grants: Vec<String>,
        /// Exact redirect URI (repeatable; for authorization_code).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A public client (no secret; authorization_code with PKCE only).
        #[arg(long)]
        public: bool,
        /// Allowed scope (repeatable, or space/comma separated).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// First-party: no consent screen.
        #[arg(long)]
        first_party: bool,
        /// Algorithm of its ID tokens: ES256 (default) or RS256.
        #[arg(long = "id-token-alg")]
        id_token_alg: Option<String>,
    },
    /// List registered clients.
    List,
}

/// `cqdt sandbox …`
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// An SMS gateway sandbox that keeps messages in memory and shows them.
    Sms {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9100")]
        listen: String,
        /// Bearer token the sandbox requires, if any.
        #[arg(long)]
        token: Option<String>,
    },
    /// A VNeID stand-in: a small OpenID Connect provider with test identities.
    Vneid {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9200")]
        listen: String,
        /// The client id the platform uses.
        #[arg(long, default_value = "cqdt")]
        client_id: String,
        /// The client secret the platform uses.
        #[arg(long, default_value = "cqdt-sandbox-secret")]
        client_secret: String,
        /// Redirect URIs allowed (the platform's `/dang-nhap/vneid/callback`).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
    },
    /// An RFC 3161 time-stamping authority with a CA of its own, for the message log's seals.
    Tsa {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9300")]
        listen: String,
        /// Where its key and certificates are kept (made on first start; ca-cert.pem is the
        /// platform's tsa_ca_file).
        #[arg(long, default_value = "./tsa-sandbox")]
        dir: PathBuf,
    },
    /// Stand-ins for the national population database and business registry, with invented
    /// records, labelled as a sandbox in every answer.
    National {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9400")]
        listen: String,
    },
}

/// `cqdt bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Start-up time to ready and idle memory of `cqdt serve` with the demo province, against a
    /// baseline (the SMS sandbox: the same binary serving almost nothing) measured in the same run.
    Startup {
        /// Runs to measure.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Process instances started and driven through three user tasks to the end, durably,
    /// against a baseline of the same number of bare write transactions on the same database.
    Workflow {
        /// Instances to run.
        #[arg(long, default_value_t = 20_000)]
        instances: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 512)]
        concurrency: usize,
        /// `engine`: calls into the engine in-process; `http`: through the HTTP API of a
        /// `cqdt serve` it starts (four requests an instance, against `/healthz`); `jobs`:
        /// one external task an instance, done by workers through the job API (at most 64
        /// workers; the instances are started before the clock runs).
        #[arg(long, default_value = "engine", value_parser = ["engine", "http", "jobs"])]
        via: String,
    },
    /// Dossiers submitted per second through the JSON API (no attachments) of a `cqdt serve`
    /// it starts, against `/healthz` requests per second to the same server in the same run.
    Submit {
        /// Seconds of load.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent clients (many kiosks and phones at once: submissions arriving together
        /// share a commit).
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// Procedure search latency over a catalog of this many procedures (the demo ones and
    /// variants of them), against a naive scan of the same catalog in the same run.
    Search {
        /// Procedures in the catalog.
        #[arg(long, default_value_t = 2000)]
        procedures: usize,
        /// Searches to time.
        #[arg(long, default_value_t = 20000)]
        searches: usize,
    },
    /// The portal's procedure page and search page served per second by a `cqdt serve` it
    /// starts, against `/healthz` on the same server in the same run.
    Pages {
        /// Seconds to load each page.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// Calls through the integration platform's gateway (token, grant, limits, monitoring)
    /// against nginx proxying the same upstream in the same run, and a 1 GB body streamed
    /// through it while the server's memory is watched. Needs nginx (Debian nginx-light).
    Gateway {
        /// Seconds to load each path.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// Messages accepted durably per second by the LGSP's asynchronous exchange (1 KB, pushed
    /// to the recipient, every one arriving in its sender's order), against /healthz.
    Exchange {
        /// Seconds of sending.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent senders.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Runs the exchange on this NATS server (JetStream, a stream of the run's own, removed
        /// at the end) instead of the database.
        #[arg(long)]
        nats: Option<String>,
    },
}
