//! Test support shared by the crates' tests; a dev-dependency only, never linked into the
//! platform: fresh databases on the backend the environment chooses ([`TestDb`]), an
//! in-process SMTP server that keeps what it receives ([`smtp::SmtpSink`], plain, with STARTTLS
//! or implicit TLS), a throwaway certificate authority and HTTPS servers ([`tls`]), and the
//! rule for checks that need an outside tool ([`prerequisite`]: skipped, saying so, unless
//! required).

mod db;
mod prerequisite;
pub mod smtp;
pub mod tls;

pub use db::{postgres_admin_url, PgDatabase, TestDb};
pub use prerequisite::{prerequisite, python_modules, required};
