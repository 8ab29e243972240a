//! The catalog module's integration tests in one binary, over a fresh database each (SQLite,
//! or PostgreSQL when CQDT_TEST_DATABASE_URL is set).

mod builtin;
mod changes;
mod common;
mod http;
