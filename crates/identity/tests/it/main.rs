//! The identity module's integration tests in one binary, over a fresh database each (SQLite,
//! or PostgreSQL when CQDT_TEST_DATABASE_URL is set). The log-secrecy test is a binary of its
//! own (`tests/secrets.rs`): it installs a process-wide log collector.

mod clients;
mod common;
mod nodes;
mod oauth;
mod registration;
mod sealed;
mod vneid_tls;
