//! Platform core (M1): storage on SQLite or PostgreSQL, migrations, the outbox / job queue,
//! the content-addressed file store, the clock, and the web shell every module renders into.

pub mod auth;
pub mod backup;
pub mod clock;
pub mod db;
pub mod error;
pub mod filters;
pub mod http;
pub mod ids;
pub mod migrations;
pub mod model;
pub mod openapi;
pub mod pdf;
pub mod sealing;
pub mod service;
pub mod sql;
pub mod store;
pub mod tls;
pub mod web;
pub mod xlsx;

pub use auth::{AuthHook, MaybePrincipal, Official, Principal, Role, RoleGrant, SessionResolver};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use db::{Backend, Db, Tx};
pub use error::{DbError, DbResultExt, PlatformError};
pub use ids::{PersonalId, TaxCode};
pub use model::{Job, JobStatus, MediaType, RetryPolicy, StoredFile};
pub use service::{
    AdminCredentials, AdminPassword, FileStore, JobFuture, JobHandler, JobQueue, Settings,
};
pub use sql::Sql;
pub use tls::TlsTrust;
pub use web::{
    Admin, ApiJson, ApiQuery, FieldError, HttpError, ModuleInfo, PageError, Platform, Problem,
    RequestId, Shell,
};
