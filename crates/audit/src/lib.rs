//! Audit log (part of M1): one API for every module to record state changes and reads of
//! personal data; append-only and hash-chained, verifiable end to end.

pub mod error;
pub mod http;
pub mod model;
pub mod service;
pub mod store;
pub mod words;

pub use error::AuditError;
pub use model::{AuditEvent, AuditRecord, ChainBreak, Outcome};
pub use service::{Audit, VerifyReport};
pub use store::Filter;
