//! Use cases of the shared catalogs: lookups (as of a date, with successors) here; changes
//! with history and audit in `change`; imports and exports in `transfer`; the rules they
//! share (periods, paths, differences) in `rules`.

mod change;
mod rules;
mod transfer;

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, DbError, DbResultExt, SharedClock, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::model::{CatalogMeta, Entry, RowError, Validity};
use crate::store::{self, EntryFilter};

pub(crate) use rules::{
    as_raw, child_path, diff, overlaps, overlay, parent_version, period_overlap_rows, period_vn,
};
pub use transfer::{ExportRow, Format, ImportReport};

/// Largest page of entries a lookup returns.
pub const MAX_PAGE_SIZE: i64 = 5000;

/// Errors of the catalog module.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// No such catalog or entry.
    #[error("không tìm thấy {0}")]
    NotFound(String),
    /// Input rejected; nothing was written.
    #[error("dữ liệu không hợp lệ ({} lỗi), không có gì được ghi", .0.len())]
    Invalid(Vec<RowError>),
    /// The change clashes with what exists (e.g. the same code in an overlapping period).
    #[error("{0}")]
    Conflict(String),
    /// Something that should not fail did (damaged built-in data, an encoder error).
    #[error("lỗi nội bộ: {0}")]
    Internal(String),
}

impl CatalogError {
    /// One input problem that is not tied to a row.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        CatalogError::Invalid(vec![RowError {
            row: 0,
            field: field.into(),
            message: message.into(),
        }])
    }
}

/// An entry with where it stands today.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CatalogEntryView)]
pub struct EntryView {
    /// The entry.
    #[serde(flatten)]
    pub entry: Entry,
    /// Current, retired or future, relative to today.
    pub status: Validity,
}

/// A page of entries.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CatalogPage)]
pub struct Page {
    /// Entries on this page.
    pub entries: Vec<EntryView>,
    /// Entries matching in all.
    pub total: i64,
    /// Page number, from 1.
    pub page: i64,
    /// Page size.
    pub page_size: i64,
}

/// One entry with its links in time.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CatalogEntryDetail)]
pub struct EntryDetail {
    /// The version asked for: in force on `as_of` (default today), else the last one before.
    #[serde(flatten)]
    pub entry: EntryView,
    /// Other periods of the same code.
    pub other_periods: Vec<EntryView>,
    /// Direct successors (code, effective date).
    pub successors: Vec<Link>,
    /// When the version is not in force on the date: the units in force then that it
    /// resolves to, following successors.
    pub resolved: Vec<EntryView>,
    /// Direct predecessors.
    pub predecessors: Vec<Link>,
}

/// A successor or predecessor link.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CatalogLink)]
pub struct Link {
    /// The other code.
    pub code: String,
    /// From when (yyyy-mm-dd).
    pub effective: String,
}

impl Link {
    /// The effective date as pages show it (dd/mm/yyyy).
    pub fn effective_vn(&self) -> String {
        crate::model::parse_date(&self.effective)
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|| self.effective.clone())
    }

    /// The day before the link took effect (yyyy-mm-dd), to look at the older unit.
    pub fn day_before(&self) -> String {
        crate::model::parse_date(&self.effective)
            .and_then(|d| d.pred_opt())
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| self.effective.clone())
    }
}

/// The shared catalogs.
#[derive(Clone)]
pub struct CatalogService {
    db: Db,
    clock: SharedClock,
    audit: Audit,
}

pub(crate) fn view(entry: Entry, today: NaiveDate) -> EntryView {
    let status = entry.validity(today);
    EntryView { entry, status }
}

fn links(v: Vec<(String, String)>) -> Vec<Link> {
    v.into_iter().map(|(code, effective)| Link { code, effective }).collect()
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn vn(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

impl CatalogService {
    /// The service over `db`.
    pub fn new(db: Db, clock: SharedClock, audit: Audit) -> Self {
        CatalogService { db, clock, audit }
    }

    /// Today in Vietnam.
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn audit(&self) -> &Audit {
        &self.audit
    }

    pub(crate) fn now(&self) -> String {
        format_ts(self.clock.now())
    }

    /// Every catalog with its number of recorded-current entries (all periods).
    #[tracing::instrument(skip_all)]
    pub async fn catalogs(&self) -> Result<Vec<(CatalogMeta, i64)>, CatalogError> {
        Ok(store::list_catalogs(&self.db).await?)
    }

    /// A catalog's metadata.
    #[tracing::instrument(skip(self))]
    pub async fn meta(&self, catalog: &str) -> Result<CatalogMeta, CatalogError> {
        store::get_catalog(&self.db, catalog)
            .await?
            .ok_or_else(|| CatalogError::NotFound(format!("danh mục “{catalog}”")))
    }

    /// Registers a new (not built-in) catalog, audited.
    #[tracing::instrument(skip_all, fields(catalog = %meta.code, request_id = %request_id))]
    pub async fn register(
        &self,
        actor: &str,
        request_id: &str,
        meta: CatalogMeta,
    ) -> Result<CatalogMeta, CatalogError> {
        meta.check().map_err(CatalogError::Invalid)?;
        let mut tx = self.db.begin().await?;
        if store::get_catalog_in(&mut tx, &meta.code).await?.is_some() {
            return Err(CatalogError::Conflict(format!("danh mục “{}” đã có", meta.code)));
        }
        store::insert_catalog(&mut tx, &meta, &self.now()).await?;
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "catalog.create", "catalog")
                    .object(meta.code.clone())
                    .request(request_id)
                    .details(json!({"name": meta.name, "code_kind": meta.code_kind, "fields": meta.fields})),
            )
            .await?;
        tx.commit().await?;
        Ok(meta)
    }

    /// Entries matching a filter, a page at a time (page from 1, size up to 5,000).
    #[tracing::instrument(skip(self, filter))]
    pub async fn find(
        &self,
        catalog: &str,
        filter: &EntryFilter,
        page: i64,
        page_size: i64,
    ) -> Result<Page, CatalogError> {
        self.meta(catalog).await?;
        let page = page.max(1);
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        let offset = (page - 1).saturating_mul(page_size);
        let ancestor_paths = match &filter.ancestor {
            Some(a) => store::paths_of(&self.db, catalog, a).await?,
            None => Vec::new(),
        };
        let (entries, total) =
            store::find_entries(&self.db, catalog, filter, &ancestor_paths, offset, page_size)
                .await?;
        let today = self.today();
        Ok(Page {
            entries: entries.into_iter().map(|e| view(e, today)).collect(),
            total,
            page,
            page_size,
        })
    }

    /// The version of a code in force on `as_of` (default today), if any: for other modules
    /// that check a code ("is this agency code valid?") or show a name.
    #[tracing::instrument(skip(self))]
    pub async fn lookup(
        &self,
        catalog: &str,
        code: &str,
        as_of: Option<NaiveDate>,
    ) -> Result<Option<Entry>, CatalogError> {
        let day = as_of.unwrap_or_else(|| self.today());
        let versions = self.versions(catalog, code).await?;
        Ok(versions.into_iter().find(|e| e.valid_on(day)))
    }

    async fn versions(&self, catalog: &str, code: &str) -> Result<Vec<Entry>, CatalogError> {
        let mut conn = self.db.pool().acquire().await.ctx("acquiring connection")?;
        Ok(store::current_versions(&mut conn, catalog, code).await?)
    }

    /// One code: the version in force on `as_of` (default today); when none is, the last
    /// version that started before (retired by then, with what it resolves to), or without
    /// `as_of` the first future one.
    #[tracing::instrument(skip(self))]
    pub async fn entry(
        &self,
        catalog: &str,
        code: &str,
        as_of: Option<NaiveDate>,
    ) -> Result<EntryDetail, CatalogError> {
        self.meta(catalog).await?;
        let versions = self.versions(catalog, code).await?;
        let not_found =
            || CatalogError::NotFound(format!("mã “{code}” trong danh mục “{catalog}”"));
        if versions.is_empty() {
            return Err(not_found());
        }
        let day = as_of.unwrap_or_else(|| self.today());
        let chosen = versions
            .iter()
            .position(|e| e.valid_on(day))
            .or_else(|| versions.iter().rposition(|e| e.valid_from.is_none_or(|f| f <= day)))
            .or(if as_of.is_none() { Some(0) } else { None })
            .ok_or_else(|| {
                CatalogError::NotFound(format!(
                    "mã “{code}” trong danh mục “{catalog}” vào ngày {} (chưa có hiệu lực)",
                    vn(day)
                ))
            })?;
        let today = self.today();
        let mut others = versions;
        let entry = others.remove(chosen);
        let successors = links(store::successors(&self.db, catalog, code).await?);
        let predecessors = links(store::predecessors(&self.db, catalog, code).await?);
        let resolved = if entry.valid_on(day) || entry.validity(day) == Validity::Future {
            Vec::new()
        } else {
            self.resolve(catalog, code, Some(day)).await?
        };
        Ok(EntryDetail {
            entry: view(entry, today),
            other_periods: others.into_iter().map(|e| view(e, today)).collect(),
            successors,
            resolved,
            predecessors,
        })
    }

    /// The units in force on `as_of` (default today) that `code` stands for: itself when it
    /// is in force, else its successors followed transitively (links effective by then).
    #[tracing::instrument(skip(self))]
    pub async fn resolve(
        &self,
        catalog: &str,
        code: &str,
        as_of: Option<NaiveDate>,
    ) -> Result<Vec<EntryView>, CatalogError> {
        let day = as_of.unwrap_or_else(|| self.today());
        let today = self.today();
        let mut out: BTreeMap<String, EntryView> = BTreeMap::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut frontier = vec![code.to_string()];
        let mut conn = self.db.pool().acquire().await.ctx("acquiring connection")?;
        while let Some(c) = frontier.pop() {
            if seen.len() >= 10_000 || !seen.insert(c.clone()) {
                continue;
            }
            let versions = store::current_versions(&mut conn, catalog, &c).await?;
            if let Some(e) = versions.into_iter().find(|e| e.valid_on(day)) {
                out.insert(c, view(e, today));
                continue;
            }
            for (to, effective) in store::successors_in(&mut conn, catalog, &c).await? {
                if crate::model::parse_date(&effective).is_some_and(|d| d <= day) {
                    frontier.push(to);
                }
            }
        }
        Ok(out.into_values().collect())
    }

    /// Direct successor links of a code.
    #[tracing::instrument(skip(self))]
    pub async fn successors(&self, catalog: &str, code: &str) -> Result<Vec<Link>, CatalogError> {
        self.history(catalog, code).await?;
        Ok(links(store::successors(&self.db, catalog, code).await?))
    }

    /// Every recorded version of a code, oldest first, superseded ones included.
    #[tracing::instrument(skip(self))]
    pub async fn history(&self, catalog: &str, code: &str) -> Result<Vec<EntryView>, CatalogError> {
        self.meta(catalog).await?;
        let today = self.today();
        let h = store::history(&self.db, catalog, code).await?;
        if h.is_empty() {
            return Err(CatalogError::NotFound(format!("mã “{code}” trong danh mục “{catalog}”")));
        }
        Ok(h.into_iter().map(|e| view(e, today)).collect())
    }

    /// Starts a write to `catalog`: a transaction holding the catalog's write lock.
    async fn write(&self, catalog: &str) -> Result<(CatalogMeta, Tx), CatalogError> {
        let meta = self.meta(catalog).await?;
        let mut tx = self.db.begin().await?;
        store::lock_catalog(&mut tx, catalog, &self.now()).await?;
        Ok((meta, tx))
    }

    async fn fetch(&self, catalog: &str, code: &str, id: i64) -> Result<EntryView, CatalogError> {
        let today = self.today();
        store::history(&self.db, catalog, code)
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .map(|e| view(e, today))
            .ok_or_else(|| CatalogError::NotFound(format!("mã “{code}”")))
    }
}
