//! Shared catalogs (M3): a registry of catalogs with typed metadata, entries with effective
//! dates, recorded history and successor links; the built-in national catalogs and the demo
//! province's agencies; a JSON API, the LGSP catalog conventions, and admin pages.

pub mod http;
pub mod model;
pub mod seed;
pub mod service;
pub mod store;

pub use model::{AgencyCode, CatalogMeta, CodeKind, Entry, RowError, Validity};
pub use service::{CatalogError, CatalogService, Format, ImportReport};
pub use store::EntryFilter;
