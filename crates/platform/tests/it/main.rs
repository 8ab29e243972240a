//! The platform core's integration tests, one test program: each module runs against a real
//! database (SQLite, or PostgreSQL with `CQDT_TEST_DATABASE_URL`).

mod files;
mod jobs;
mod migrations;
mod postgres_tls;
