//! Administrative procedures (M4, the seed's CSDL thủ tục hành chính): the catalog of
//! procedures with their components, fees, times and e-forms; drafts, publication and
//! retirement with history; search that forgives missing diacritics and small typos; the
//! public procedure pages of the portal and a JSON API; import and export in JSON and XLSX.

pub mod error;
pub mod http;
pub mod legal;
pub mod model;
pub mod national_codes;
pub mod search;
pub mod seed;
pub mod service;
pub mod store;
pub mod xlsx;

pub use error::ProcedureError;
pub use model::{Level, OnlineLevel, Procedure, Status};
pub use service::ProcedureService;
