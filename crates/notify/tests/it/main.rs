//! The notification module's integration tests in one binary, over a fresh database each
//! (SQLite, or PostgreSQL when CQDT_TEST_DATABASE_URL is set), with an SMTP server and the SMS
//! gateway sandbox in-process.

mod common;
mod delivery;
mod http;
mod sandbox;
mod tls;
