//! Shared catalogs (M3): a registry of catalogs with typed metadata, entries with effective
//! dates (legal validity) and recorded history (nothing is overwritten), successor links for
//! reorganisations; the built-in national catalogs and the demo province's agencies; a JSON
//! API, the LGSP catalog conventions, public pages and admin pages.
//!
//! The binary builds a [`CatalogService`] over the database, clock and audit log, loads the
//! built-in catalogs once with [`seed::load_builtin`], and merges [`http::router`] with a
//! [`CatalogState`]; [`ApiDoc`] is its part of the OpenAPI document.

#![warn(missing_docs)]

pub mod http;
pub mod model;
pub mod seed;
pub mod service;
mod store;

pub use http::{router, ApiDoc, CatalogState};
pub use model::{
    AgencyCode, CatalogCode, CatalogMeta, CodeKind, Entry, EntryInput, FieldDef, FieldType,
    RowError, Validity,
};
pub use seed::{load_builtin, SeedReport};
pub use service::{
    CatalogError, CatalogService, EntryDetail, EntryView, Format, ImportReport, Link, Page,
    MAX_PAGE_SIZE,
};
pub use store::EntryFilter;
