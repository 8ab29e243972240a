//! Dossiers (hồ sơ) filed on the public service portal (M5): the e-form checked against the
//! procedure, attachments per dossier component, drafts, submission with a TT 01/2018 dossier
//! code, the applicant's own list with a status timeline, the public status lookup, and a JSON
//! API for kiosks and mobile apps; then the life after submission the back office drives
//! (reception, supplement requests and answers, results, return, refusal, withdrawal, rating)
//! with notices to the applicant at every change. The one-stop back office (M6) processes them.

pub mod address;
pub mod display;
pub mod error;
pub mod form;
pub mod http;
pub mod model;
pub mod service;
pub mod store;

pub use error::DossierError;
pub use model::{Dossier, DossierStatus};
pub use service::{DossierService, Neighbours, OfficeAction};
