//! Use cases of the platform core: the job queue (outbox), the file store, admin credentials.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::{watch, Notify};

use crate::clock::{format_ts, SharedClock};
use crate::db::{Db, Tx};
use crate::error::{DbError, PlatformError};
use crate::model::{Job, JobAttempt, JobStatus, MediaType, RetryPolicy, StoredFile};
use crate::store;

/// What a job handler returns: `Err` with a message makes the job retry.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
/// A handler for one kind of job; it receives the JSON payload.
pub type JobHandler = Arc<dyn Fn(String) -> JobFuture + Send + Sync>;

/// Jobs the worker claims and runs at once: a slow destination (an SMTP server, an SMS gateway,
/// another agency's system) no longer holds up the deliveries behind it.
pub const WORKER_BATCH: usize = 32;

/// The transactional outbox and job queue: at-least-once delivery with retries and a dead letter.
#[derive(Clone)]
pub struct JobQueue {
    db: Db,
    clock: SharedClock,
    policy: RetryPolicy,
    handlers: Arc<RwLock<HashMap<String, JobHandler>>>,
    wake: Arc<Notify>,
}

impl JobQueue {
    /// A queue over `db`.
    pub fn new(db: Db, clock: SharedClock, policy: RetryPolicy) -> Self {
        JobQueue {
            db,
            clock,
            policy,
            handlers: Arc::new(RwLock::new(HashMap::new())),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Registers the handler for `kind`; a later registration replaces an earlier one.
    pub fn register(&self, kind: &str, handler: JobHandler) {
        if let Ok(mut map) = self.handlers.write() {
            map.insert(kind.to_string(), handler);
        }
    }

    /// Enqueues a job inside the caller's transaction, so it exists exactly when the change does.
    // Debug level: on the submission path, a span per call must cost nothing when not logged.
    #[tracing::instrument(level = "debug", skip_all, fields(kind))]
    pub async fn enqueue(
        &self,
        tx: &mut Tx,
        kind: &str,
        payload: &serde_json::Value,
    ) -> Result<i64, DbError> {
        let now = format_ts(self.clock.now());
        store::insert_job(tx, kind, &payload.to_string(), self.policy.max_attempts, &now).await
    }

    /// Enqueues one job of `kind` per payload in one statement; ids in the payloads' order.
    #[tracing::instrument(level = "debug", skip_all, fields(kind, jobs = payloads.len()))]
    pub async fn enqueue_many(
        &self,
        tx: &mut Tx,
        kind: &str,
        payloads: &[serde_json::Value],
    ) -> Result<Vec<i64>, DbError> {
        let now = format_ts(self.clock.now());
        let payloads: Vec<String> = payloads.iter().map(|p| p.to_string()).collect();
        store::insert_jobs(tx, kind, &payloads, self.policy.max_attempts, &now).await
    }

    /// Tells the worker that new jobs may be due (call after commit).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn kinds(&self) -> Vec<String> {
        self.handlers.read().map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    fn handler(&self, kind: &str) -> Option<JobHandler> {
        self.handlers.read().ok().and_then(|m| m.get(kind).cloned())
    }

    /// Claims and runs one due job; answers whether there was one.
    pub async fn run_once(&self) -> Result<bool, PlatformError> {
        Ok(self.run_batch(1).await? > 0)
    }

    /// Claims up to `n` due jobs and runs them concurrently (deliveries to different places
    /// wait for each other no longer); answers how many ran.
    #[tracing::instrument(level = "debug", skip_all, fields(jobs = tracing::field::Empty))]
    pub async fn run_batch(&self, n: usize) -> Result<usize, PlatformError> {
        let jobs = self.claim(n).await?;
        tracing::Span::current().record("jobs", jobs.len());
        let started = format_ts(self.clock.now());
        let runs = jobs.into_iter().map(|job| {
            let started = started.clone();
            async move { self.run_claimed(job, &started).await }
        });
        let outcomes = futures_util::future::join_all(runs).await;
        let ran = outcomes.len();
        for outcome in outcomes {
            outcome?;
        }
        Ok(ran)
    }

    /// Claims up to `n` due jobs for the lease.
    async fn claim(&self, n: usize) -> Result<Vec<Job>, DbError> {
        let now = self.clock.now();
        let lease = chrono::Duration::from_std(self.policy.lease)
            .unwrap_or_else(|_| chrono::Duration::minutes(5));
        let (now_s, until) = (format_ts(now), format_ts(now + lease));
        let limit = i64::try_from(n).unwrap_or(1);
        store::claim_jobs(&self.db, &self.kinds(), &now_s, &until, limit).await
    }

    /// Runs a claimed job and records the attempt.
    #[tracing::instrument(level = "debug", skip_all, fields(job = job.id, kind = %job.kind))]
    async fn run_claimed(&self, job: Job, started: &str) -> Result<(), PlatformError> {
        let outcome = match self.handler(&job.kind) {
            Some(handler) => handler(job.payload.clone()).await,
            None => Err(format!("no handler for job kind {}", job.kind)),
        };
        let end = self.clock.now();
        let (status, next, error) = match outcome {
            Ok(()) => (JobStatus::Done, end, None),
            Err(e) if job.attempts >= job.max_attempts => (JobStatus::Dead, end, Some(e)),
            Err(e) => {
                let delay = chrono::Duration::from_std(self.policy.delay_after(job.attempts))
                    .unwrap_or_else(|_| chrono::Duration::hours(1));
                (JobStatus::Pending, end + delay, Some(e))
            }
        };
        if let Some(e) = &error {
            tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, status = status.as_str(), error = %e, "job failed");
        }
        store::finish_attempt(
            &self.db,
            &job,
            started,
            &format_ts(end),
            error.as_deref(),
            status,
            &format_ts(next),
        )
        .await?;
        Ok(())
    }

    /// Runs due jobs until nothing is due; for tests and the CLI.
    #[tracing::instrument(skip_all)]
    pub async fn drain(&self) -> Result<usize, PlatformError> {
        let mut n = 0;
        while self.run_once().await? {
            n += 1;
        }
        Ok(n)
    }

    /// Starts the background worker; it stops when `shutdown` turns true.
    pub fn spawn_worker(
        &self,
        mut shutdown: watch::Receiver<bool>,
        poll: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let queue = self.clone();
        tokio::spawn(async move {
            // Up to WORKER_BATCH jobs in flight; a free slot is filled as soon as one ends,
            // so a slow job holds up no other.
            let mut running = tokio::task::JoinSet::new();
            loop {
                if *shutdown.borrow() {
                    break;
                }
                let free = WORKER_BATCH.saturating_sub(running.len());
                let claimed = if free > 0 { queue.claim(free).await } else { Ok(Vec::new()) };
                let claimed = claimed.unwrap_or_else(|e| {
                    tracing::error!(error = %e, "job worker");
                    Vec::new()
                });
                let started = format_ts(queue.clock.now());
                let more = claimed.len() == free && free > 0;
                for job in claimed {
                    let (queue, started) = (queue.clone(), started.clone());
                    running.spawn(async move { queue.run_claimed(job, &started).await });
                }
                if more {
                    continue;
                }
                tokio::select! {
                    Some(done) = running.join_next(), if !running.is_empty() => {
                        if let Ok(Err(e)) = done {
                            tracing::error!(error = %e, "job worker");
                        }
                    }
                    _ = queue.wake.notified() => {}
                    _ = tokio::time::sleep(poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
            // Jobs under way get a moment to finish; the rest are stopped, and their lease
            // runs out so that this node after a restart, or another one, runs them again.
            let finish = async { while running.join_next().await.is_some() {} };
            if tokio::time::timeout(Duration::from_secs(10), finish).await.is_err() {
                running.abort_all();
            }
        })
    }

    /// Jobs, newest first.
    #[tracing::instrument(skip(self))]
    pub async fn list(&self, status: Option<JobStatus>, limit: i64) -> Result<Vec<Job>, DbError> {
        store::list_jobs(&self.db, status, limit).await
    }

    /// One job and its attempts.
    #[tracing::instrument(skip(self))]
    pub async fn get(&self, id: i64) -> Result<Option<(Job, Vec<JobAttempt>)>, DbError> {
        match store::get_job(&self.db, id).await? {
            Some(job) => Ok(Some((job, store::job_attempts(&self.db, id).await?))),
            None => Ok(None),
        }
    }

    /// Counts by status.
    #[tracing::instrument(skip_all)]
    pub async fn counts(&self) -> Result<Vec<(String, i64)>, DbError> {
        store::count_jobs(&self.db).await
    }

    /// Gives a dead job a fresh set of attempts; false if it was not dead.
    #[tracing::instrument(skip(self))]
    pub async fn retry_dead(&self, id: i64) -> Result<bool, DbError> {
        let ok = store::requeue_job(&self.db, id, &format_ts(self.clock.now())).await?;
        if ok {
            self.wake();
        }
        Ok(ok)
    }
}

/// Content-addressed storage for attachments: files live under their SHA-256, never a user path.
#[derive(Clone)]
pub struct FileStore {
    root: PathBuf,
    max_bytes: usize,
    db: Db,
    clock: SharedClock,
}

impl FileStore {
    /// A store under `root` that refuses files over `max_bytes`.
    pub fn new(root: PathBuf, max_bytes: usize, db: Db, clock: SharedClock) -> Self {
        FileStore { root, max_bytes, db, clock }
    }

    /// The largest file accepted.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The directory holding the files.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(&sha256[2..4]).join(sha256)
    }

    /// Checks and stores a file; `file_name` is only used to catch disguised files.
    pub async fn put(
        &self,
        bytes: &[u8],
        file_name: Option<&str>,
    ) -> Result<StoredFile, PlatformError> {
        self.put_declared(bytes, file_name, None).await
    }

    /// Checks and stores a file whose client declared its type as `declared` (a multipart
    /// part's `Content-Type`). A refused one, but for an empty file, is a security event
    /// ([`upload_refused`]).
    #[tracing::instrument(skip_all, fields(size = bytes.len()))]
    pub async fn put_declared(
        &self,
        bytes: &[u8],
        file_name: Option<&str>,
        declared: Option<&str>,
    ) -> Result<StoredFile, PlatformError> {
        let media_type = match self.check(bytes, file_name) {
            Ok(media_type) => media_type,
            Err((reason, message)) => {
                if let Some(reason) = reason {
                    let size = Some(bytes.len() as u64);
                    upload_refused(reason, file_name, declared, size).await;
                }
                return Err(PlatformError::Rejected(message));
            }
        };
        let sha256 = hex::encode(Sha256::digest(bytes));
        let file = StoredFile { sha256: sha256.clone(), size: bytes.len() as i64, media_type };
        let path = self.path_of(&sha256);
        let on_disk = tokio::fs::metadata(&path).await.is_ok();
        if !on_disk {
            let dir = path.parent().unwrap_or(&self.root).to_path_buf();
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| PlatformError::io(format!("creating {}", dir.display()), e))?;
            let tmp = dir.join(format!(".{}.{}", sha256, rand::random::<u64>()));
            tokio::fs::write(&tmp, bytes)
                .await
                .map_err(|e| PlatformError::io(format!("writing {}", tmp.display()), e))?;
            let f = tokio::fs::File::open(&tmp)
                .await
                .map_err(|e| PlatformError::io("reopening stored file", e))?;
            f.sync_all().await.map_err(|e| PlatformError::io("syncing stored file", e))?;
            tokio::fs::rename(&tmp, &path)
                .await
                .map_err(|e| PlatformError::io(format!("storing {}", path.display()), e))?;
        }
        // A file already stored has its row (written once the file is in place): a read, not a
        // write, for the same document sent again (every dossier's blank form, say).
        if !on_disk || store::get_file(&self.db, &sha256).await?.is_none() {
            store::insert_file(&self.db, &file, &format_ts(self.clock.now())).await?;
        }
        Ok(file)
    }

    /// The type of a file the store takes, or why it refuses it: the security event's reason
    /// (none for an empty file) and the message for the user.
    fn check(
        &self,
        bytes: &[u8],
        file_name: Option<&str>,
    ) -> Result<MediaType, (Option<&'static str>, String)> {
        if bytes.is_empty() {
            return Err((None, "Tệp rỗng, không có nội dung.".into()));
        }
        if bytes.len() > self.max_bytes {
            return Err((
                Some("too_large"),
                format!(
                    "Tệp quá lớn: {} byte, tối đa cho phép là {} byte.",
                    bytes.len(),
                    self.max_bytes
                ),
            ));
        }
        let media_type = MediaType::sniff(bytes).ok_or((
            Some("forbidden_type"),
            "Loại tệp không được chấp nhận. Chỉ nhận PDF, ảnh PNG/JPEG, tệp văn phòng (DOCX, XLSX, ODT), XML hoặc văn bản.".into(),
        ))?;
        if let Some(ext) =
            file_name.and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase())
        {
            if !media_type.extensions().contains(&ext.as_str()) {
                return Err((
                    Some("disguised"),
                    format!(
                        "Tệp có đuôi “.{ext}” nhưng nội dung là {}: tệp bị đổi tên hoặc giả mạo.",
                        media_type.mime()
                    ),
                ));
            }
        }
        Ok(media_type)
    }

    /// Reads a stored file by its hash.
    #[tracing::instrument(skip(self))]
    pub async fn get(&self, sha256: &str) -> Result<(StoredFile, Vec<u8>), PlatformError> {
        let valid = sha256.len() == 64
            && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if !valid {
            return Err(PlatformError::NotFound(sha256.chars().take(80).collect()));
        }
        let meta = store::get_file(&self.db, sha256)
            .await?
            .ok_or_else(|| PlatformError::NotFound(sha256.to_string()))?;
        let path = self.path_of(sha256);
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| PlatformError::io(format!("reading {}", path.display()), e))?;
        Ok((meta, bytes))
    }
}

/// Records a refused upload as a security event (`security.upload_refused`) of the request
/// being served: why (`too_large`, `forbidden_type`, `disguised`, `type_not_taken`,
/// `body_limit`), the file's name clipped, the type its client declared and its size; never
/// its content.
pub async fn upload_refused(
    reason: &str,
    file_name: Option<&str>,
    declared: Option<&str>,
    size: Option<u64>,
) {
    let clip = |s: Option<&str>| s.map(|s| crate::web::clip(s, 120));
    crate::auth::SecurityEvent::here("security.upload_refused")
        .details(serde_json::json!({
            "reason": reason,
            "file_name": clip(file_name),
            "declared_type": clip(declared),
            "size": size,
        }))
        .record()
        .await;
}

/// Settings stored in the database, shared by all nodes.
#[derive(Clone)]
pub struct Settings {
    db: Db,
    clock: SharedClock,
}

impl Settings {
    /// Settings over `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Settings { db, clock }
    }

    /// Reads a setting.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn get(&self, key: &str) -> Result<Option<String>, DbError> {
        store::get_setting(&self.db, key).await
    }

    /// Writes a setting (the value is not logged: some are secrets' digests).
    #[tracing::instrument(level = "debug", skip(self, value))]
    pub async fn put(&self, key: &str, value: &str) -> Result<(), DbError> {
        store::put_setting(&self.db, key, value, &format_ts(self.clock.now())).await
    }
}

/// What `AdminCredentials::ensure` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminPassword {
    /// The stored password was kept.
    Unchanged,
    /// The configured password replaced the stored one.
    Configured,
    /// No password existed: this one was generated (show it once).
    Generated(String),
}

/// The bootstrap administrator's password (argon2id), until identity and SSO take over.
#[derive(Clone)]
pub struct AdminCredentials {
    settings: Settings,
    // Remembers the digest of the last accepted password, so pages do not pay argon2 each time.
    accepted: Arc<RwLock<Option<[u8; 32]>>>,
    failures: Arc<std::sync::Mutex<HashMap<String, Failures>>>,
}

/// Failed sign-ins from one source.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first: chrono::DateTime<chrono::Utc>,
    locked_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Failures from one source within the window that lock it out.
pub const MAX_FAILED_SIGN_INS: u32 = 10;
const FAILURE_WINDOW_MINUTES: i64 = 15;
const LOCKOUT_MINUTES: i64 = 15;

const ADMIN_HASH_KEY: &str = "admin_password_argon2id";

impl AdminCredentials {
    /// Credentials kept in `settings`.
    pub fn new(settings: Settings) -> Self {
        AdminCredentials {
            settings,
            accepted: Arc::new(RwLock::new(None)),
            failures: Arc::new(std::sync::Mutex::new(HashMap::new())),
        }
    }

    /// When `source` (a client address) is locked out, until when. Fails closed: if a panic
    /// left the failure table poisoned, its counts are not to be trusted, so every source is
    /// locked out until the node restarts.
    pub fn locked_until(&self, source: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        let now = self.settings.clock.now();
        let Ok(map) = self.failures.lock() else {
            tracing::error!("admin lockout table poisoned by a panic: refusing every sign-in");
            return Some(now + chrono::Duration::minutes(LOCKOUT_MINUTES));
        };
        map.get(source).and_then(|f| f.locked_until).filter(|t| *t > now)
    }

    /// Checks a password for a sign-in from `source`, counting failures toward a lockout.
    /// Refuses every password while the failure table is poisoned (see `locked_until`).
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(&self, source: &str, password: &str) -> bool {
        if self.failures.is_poisoned() {
            return false;
        }
        let ok = self.verify(password).await;
        let now = self.settings.clock.now();
        let Ok(mut map) = self.failures.lock() else {
            return false;
        };
        if ok {
            map.remove(source);
        } else {
            let window = chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
            let f = map.entry(source.to_string()).or_insert(Failures {
                count: 0,
                first: now,
                locked_until: None,
            });
            if now - f.first > window {
                *f = Failures { count: 0, first: now, locked_until: None };
            }
            f.count += 1;
            if f.count >= MAX_FAILED_SIGN_INS {
                f.locked_until = Some(now + chrono::Duration::minutes(LOCKOUT_MINUTES));
            }
            // Bound memory under a flood of sources.
            if map.len() > 100_000 {
                map.retain(|_, f| f.locked_until.is_some_and(|t| t > now));
            }
        }
        ok
    }

    /// Makes the stored password the configured one, or generates one if none is stored.
    #[tracing::instrument(skip_all)]
    pub async fn ensure(&self, configured: Option<&str>) -> Result<AdminPassword, PlatformError> {
        if let Some(p) = configured {
            if self.verify(p).await {
                return Ok(AdminPassword::Unchanged);
            }
            self.set(p).await?;
            return Ok(AdminPassword::Configured);
        }
        if self.settings.get(ADMIN_HASH_KEY).await?.is_some() {
            return Ok(AdminPassword::Unchanged);
        }
        let generated: String = {
            use rand::Rng;
            let mut rng = rand::rng();
            (0..20)
                .map(|_| {
                    let chars = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
                    chars[rng.random_range(0..chars.len())] as char
                })
                .collect()
        };
        self.set(&generated).await?;
        Ok(AdminPassword::Generated(generated))
    }

    /// Replaces the password.
    #[tracing::instrument(skip_all)]
    pub async fn set(&self, password: &str) -> Result<(), PlatformError> {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt_bytes: [u8; 16] = rand::random();
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| PlatformError::Rejected(format!("salt: {e}")))?;
        let hash = argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| PlatformError::Rejected(format!("hashing password: {e}")))?
            .to_string();
        self.settings.put(ADMIN_HASH_KEY, &hash).await?;
        if let Ok(mut a) = self.accepted.write() {
            *a = None;
        }
        Ok(())
    }

    /// Checks a password.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn verify(&self, password: &str) -> bool {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        if self.accepted.read().map(|a| *a == Some(digest)).unwrap_or(false) {
            return true;
        }
        let Ok(Some(stored)) = self.settings.get(ADMIN_HASH_KEY).await else {
            return false;
        };
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let ok = argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        if ok {
            if let Ok(mut a) = self.accepted.write() {
                *a = Some(digest);
            }
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn an_admin_lockout_poisoned_by_a_panic_refuses_every_sign_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::connect(&Db::sqlite_url(dir.path())).await.expect("db");
        db.migrate().await.expect("migrate");
        let clock: SharedClock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let admin = AdminCredentials::new(Settings::new(db, clock));
        admin.set("mật khẩu đúng").await.expect("set");
        assert!(admin.locked_until("10.0.0.1").is_none());
        std::thread::scope(|s| {
            let poisoner = s.spawn(|| {
                let _held = admin.failures.lock();
                panic!("a panic while the failure table is held");
            });
            assert!(poisoner.join().is_err());
        });
        assert!(admin.locked_until("10.0.0.1").is_some(), "a source never seen before");
        assert!(!admin.sign_in("10.0.0.1", "mật khẩu đúng").await, "even the right password");
    }
}
