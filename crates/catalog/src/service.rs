//! Use cases of the shared catalogs: lookups (as of a date, with successors), changes with
//! history and audit; imports and exports are in `transfer`.

mod transfer;

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, DbError, DbResultExt, SharedClock, Tx};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::model::{check_row, CatalogMeta, Entry, EntryInput, RawRow, RowError, Validity};
use crate::store::{self, EntryFilter, NewEntry};

pub use transfer::{Format, ImportReport};

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
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    /// The entry.
    #[serde(flatten)]
    pub entry: Entry,
    /// Current, retired or future, relative to today.
    pub status: Validity,
}

/// A page of entries.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
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
    v.into_iter()
        .map(|(code, effective)| Link { code, effective })
        .collect()
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn vn(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Whether a period overlaps the period of `e` (ends are exclusive, None is open).
pub(crate) fn overlaps(e: &Entry, from: Option<NaiveDate>, to: Option<NaiveDate>) -> bool {
    periods_overlap((e.valid_from, e.valid_to), (from, to))
}

pub(crate) fn periods_overlap(
    a: (Option<NaiveDate>, Option<NaiveDate>),
    b: (Option<NaiveDate>, Option<NaiveDate>),
) -> bool {
    let a_starts_before_b_ends = match (a.0, b.1) {
        (Some(f), Some(t)) => f < t,
        _ => true,
    };
    let b_starts_before_a_ends = match (b.0, a.1) {
        (Some(f), Some(t)) => f < t,
        _ => true,
    };
    a_starts_before_b_ends && b_starts_before_a_ends
}

/// A period as people read it: "từ 01/07/2025 đến trước 01/01/2026".
pub(crate) fn period_vn(from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
    let start = from.map_or("từ trước".to_string(), |d| format!("từ {}", vn(d)));
    match to {
        Some(t) => format!("{start} đến trước {}", vn(t)),
        None => format!("{start}, chưa hết hiệu lực"),
    }
}

/// The fields that differ between a stored version and new input: `{field: [old, new]}`.
pub(crate) fn diff(old: &Entry, new: &EntryInput) -> Map<String, Value> {
    let mut changes = Map::new();
    let mut check = |field: &str, a: Value, b: Value| {
        if a != b {
            changes.insert(field.to_string(), json!([a, b]));
        }
    };
    check("name", json!(old.name), json!(new.name));
    check("parent", json!(old.parent), json!(new.parent));
    check("valid_from", json!(old.valid_from), json!(new.valid_from));
    check("valid_to", json!(old.valid_to), json!(new.valid_to));
    check("sample", json!(old.sample), json!(new.sample));
    let keys: HashSet<&String> = old.data.keys().chain(new.data.keys()).collect();
    let mut keys: Vec<&String> = keys.into_iter().collect();
    keys.sort();
    for k in keys {
        check(
            &format!("data.{k}"),
            old.data.get(k).cloned().unwrap_or(Value::Null),
            new.data.get(k).cloned().unwrap_or(Value::Null),
        );
    }
    changes
}

/// The stored version as input (data keys the catalog declares), so that an update can
/// change only the fields it names.
pub(crate) fn as_raw(e: &Entry, meta: &CatalogMeta) -> RawRow {
    let mut raw = Map::new();
    raw.insert("code".into(), json!(e.code));
    raw.insert("name".into(), json!(e.name));
    raw.insert("parent".into(), json!(e.parent));
    raw.insert("valid_from".into(), json!(e.valid_from.map(iso)));
    raw.insert("valid_to".into(), json!(e.valid_to.map(iso)));
    raw.insert("sample".into(), json!(e.sample));
    for f in &meta.fields {
        if let Some(v) = e.data.get(&f.name) {
            raw.insert(f.name.clone(), v.clone());
        }
    }
    raw
}

/// `base` with every key of `changes` laid over it; keys under `data` count as top-level.
pub(crate) fn overlay(mut base: RawRow, changes: &RawRow) -> RawRow {
    for (k, v) in changes {
        match (k.as_str(), v) {
            ("data", Value::Object(d)) => {
                for (dk, dv) in d {
                    base.insert(dk.clone(), dv.clone());
                }
            }
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    base
}

/// The version of `parent` a child hangs under: the one in force when the child starts.
pub(crate) fn parent_version<'a>(
    versions: &[&'a Entry],
    child_from: Option<NaiveDate>,
) -> Option<&'a Entry> {
    match child_from {
        Some(d) => versions.iter().find(|v| v.valid_on(d)),
        None => versions.iter().find(|v| v.valid_from.is_none()),
    }
    .or_else(|| versions.last())
    .copied()
}

/// Whether two input rows' periods overlap.
pub(crate) fn period_overlap_rows(a: &EntryInput, b: &EntryInput) -> bool {
    periods_overlap((a.valid_from, a.valid_to), (b.valid_from, b.valid_to))
}

/// The path of `code` under a parent with path `parent_path`; refuses cycles.
pub(crate) fn child_path(parent_path: &str, code: &str) -> Result<String, String> {
    if parent_path.split('/').any(|c| c == code) {
        return Err(format!(
            "mã cha không được là chính mục này hay một cấp dưới của nó (đường dẫn {parent_path})"
        ));
    }
    Ok(format!("{parent_path}/{code}"))
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
    pub async fn catalogs(&self) -> Result<Vec<(CatalogMeta, i64)>, CatalogError> {
        Ok(store::list_catalogs(&self.db).await?)
    }

    /// A catalog's metadata.
    pub async fn meta(&self, catalog: &str) -> Result<CatalogMeta, CatalogError> {
        store::get_catalog(&self.db, catalog)
            .await?
            .ok_or_else(|| CatalogError::NotFound(format!("danh mục “{catalog}”")))
    }

    /// Registers a new (not built-in) catalog, audited.
    pub async fn register(
        &self,
        actor: &str,
        request_id: &str,
        meta: CatalogMeta,
    ) -> Result<CatalogMeta, CatalogError> {
        meta.check().map_err(CatalogError::Invalid)?;
        let mut tx = self.db.begin().await?;
        if store::get_catalog_in(&mut tx, &meta.code).await?.is_some() {
            return Err(CatalogError::Conflict(format!(
                "danh mục “{}” đã có",
                meta.code
            )));
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
        let (entries, total) = store::find_entries(
            &self.db,
            catalog,
            filter,
            &ancestor_paths,
            offset,
            page_size,
        )
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
            .or_else(|| {
                versions
                    .iter()
                    .rposition(|e| e.valid_from.is_none_or(|f| f <= day))
            })
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
    pub async fn successors(&self, catalog: &str, code: &str) -> Result<Vec<Link>, CatalogError> {
        self.history(catalog, code).await?;
        Ok(links(store::successors(&self.db, catalog, code).await?))
    }

    /// Every recorded version of a code, oldest first, superseded ones included.
    pub async fn history(&self, catalog: &str, code: &str) -> Result<Vec<EntryView>, CatalogError> {
        self.meta(catalog).await?;
        let today = self.today();
        let h = store::history(&self.db, catalog, code).await?;
        if h.is_empty() {
            return Err(CatalogError::NotFound(format!(
                "mã “{code}” trong danh mục “{catalog}”"
            )));
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

    /// Adds a new entry (or a new period of a code), audited.
    pub async fn create(
        &self,
        actor: &str,
        request_id: &str,
        catalog: &str,
        raw: &RawRow,
    ) -> Result<EntryView, CatalogError> {
        let meta = self.meta(catalog).await?;
        let input = check_row(&meta, 0, raw).map_err(CatalogError::Invalid)?;
        let (_, mut tx) = self.write(catalog).await?;
        let existing = store::current_versions(&mut tx, catalog, &input.code).await?;
        if let Some(clash) = existing
            .iter()
            .find(|e| overlaps(e, input.valid_from, input.valid_to))
        {
            return Err(CatalogError::Conflict(format!(
                "mã “{}” đã có trong danh mục “{catalog}” ({}: {}); thời gian hiệu lực không được chồng lấn",
                input.code,
                clash.name,
                period_vn(clash.valid_from, clash.valid_to)
            )));
        }
        let path = self.path_for(&mut tx, catalog, &input).await?;
        let ids = self
            .insert(&mut tx, catalog, &[(&input, path)], actor)
            .await?;
        let id = ids.first().copied().unwrap_or_default();
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "catalog.entry.create", "catalog_entry")
                    .object(format!("{catalog}/{}", input.code))
                    .request(request_id)
                    .details(json!({
                        "catalog": catalog, "id": id, "code": input.code, "name": input.name,
                        "parent": input.parent, "valid_from": input.valid_from, "valid_to": input.valid_to,
                        "sample": input.sample, "data": input.data,
                    })),
            )
            .await?;
        tx.commit().await?;
        self.fetch(catalog, &input.code, id).await
    }

    /// Records a new version of the entry in force on `as_of` (default today; a code with a
    /// single period needs no date). Fields missing from `raw` keep their value; the old
    /// version is kept as history. Audited with the changed fields.
    pub async fn update(
        &self,
        actor: &str,
        request_id: &str,
        catalog: &str,
        code: &str,
        as_of: Option<NaiveDate>,
        raw: &RawRow,
    ) -> Result<EntryView, CatalogError> {
        let (meta, mut tx) = self.write(catalog).await?;
        let versions = store::current_versions(&mut tx, catalog, code).await?;
        let day = as_of.unwrap_or_else(|| self.today());
        let old = versions
            .iter()
            .find(|e| e.valid_on(day))
            .or_else(|| {
                if versions.len() == 1 {
                    versions.first()
                } else {
                    None
                }
            })
            .cloned()
            .ok_or_else(|| {
                if versions.is_empty() {
                    CatalogError::NotFound(format!("mã “{code}” trong danh mục “{catalog}”"))
                } else {
                    CatalogError::invalid(
                        "as_of",
                        format!(
                            "mã “{code}” có {} thời kỳ hiệu lực và không thời kỳ nào bao gồm ngày {}; \
                             chọn thời kỳ cần sửa bằng as_of",
                            versions.len(),
                            vn(day)
                        ),
                    )
                }
            })?;
        if let Some(other) = raw
            .get("code")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|c| !c.is_empty() && *c != code)
        {
            return Err(CatalogError::invalid(
                "code",
                format!(
                    "không đổi được mã “{code}” thành “{other}”: hãy cho mục này hết hiệu lực và thêm mục mới với mã kế thừa"
                ),
            ));
        }
        let mut merged = overlay(as_raw(&old, &meta), raw);
        merged.insert("code".into(), Value::String(code.to_string()));
        let input = check_row(&meta, 0, &merged).map_err(CatalogError::Invalid)?;
        if let Some(clash) = versions
            .iter()
            .find(|e| e.id != old.id && overlaps(e, input.valid_from, input.valid_to))
        {
            return Err(CatalogError::Conflict(format!(
                "thời gian hiệu lực mới chồng lấn một thời kỳ khác của mã “{code}” ({}: {})",
                clash.name,
                period_vn(clash.valid_from, clash.valid_to)
            )));
        }
        let changes = diff(&old, &input);
        if changes.is_empty() {
            return Ok(view(old, self.today()));
        }
        let path = self.path_for(&mut tx, catalog, &input).await?;
        let moved_path = (path != old.path).then(|| (old.path.clone(), path.clone()));
        let ids = self
            .insert(&mut tx, catalog, &[(&input, path)], actor)
            .await?;
        let id = ids.first().copied().unwrap_or_default();
        store::supersede(&mut tx, old.id, id, &self.now()).await?;
        let mut moved = 0;
        if let Some((from, to)) = moved_path {
            moved = store::rebase_paths(&mut tx, self.db().backend(), catalog, &from, &to).await?;
        }
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "catalog.entry.update", "catalog_entry")
                    .object(format!("{catalog}/{code}"))
                    .request(request_id)
                    .details(json!({"catalog": catalog, "old_id": old.id, "new_id": id,
                                    "changes": changes, "descendants_moved": moved})),
            )
            .await?;
        tx.commit().await?;
        self.fetch(catalog, code, id).await
    }

    /// Ends the version of a code in force on the day before `valid_to`: it ceases on
    /// `valid_to` (a new recorded version, history kept), and `successors` (codes in force on
    /// that date) are linked as what replaced it. Audited.
    pub async fn end(
        &self,
        actor: &str,
        request_id: &str,
        catalog: &str,
        code: &str,
        valid_to: NaiveDate,
        successors: &[String],
    ) -> Result<EntryView, CatalogError> {
        let (meta, mut tx) = self.write(catalog).await?;
        let versions = store::current_versions(&mut tx, catalog, code).await?;
        if versions.is_empty() {
            return Err(CatalogError::NotFound(format!(
                "mã “{code}” trong danh mục “{catalog}”"
            )));
        }
        let last_day = valid_to.pred_opt().unwrap_or(valid_to);
        let old = versions
            .iter()
            .find(|e| e.valid_on(last_day))
            .cloned()
            .ok_or_else(|| {
                CatalogError::invalid(
                    "valid_to",
                    format!(
                        "mã “{code}” không có thời kỳ nào còn hiệu lực vào ngày {}, nên không thể cho hết hiệu lực từ ngày {}",
                        vn(last_day),
                        vn(valid_to)
                    ),
                )
            })?;
        let mut errors = Vec::new();
        let mut wanted: Vec<String> = Vec::new();
        for s in successors
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            if wanted.iter().any(|w| w == s) {
                continue;
            }
            if let Err(m) = meta.code_kind.check(s) {
                errors.push(RowError {
                    row: 0,
                    field: "successors".into(),
                    message: format!("mã kế thừa: {m}"),
                });
                continue;
            }
            let live = store::current_versions(&mut tx, catalog, s)
                .await?
                .into_iter()
                .any(|e| e.valid_on(valid_to));
            if !live {
                errors.push(RowError {
                    row: 0,
                    field: "successors".into(),
                    message: format!(
                        "mã kế thừa “{s}” không có hiệu lực vào ngày {} trong danh mục",
                        vn(valid_to)
                    ),
                });
            }
            wanted.push(s.to_string());
        }
        if !errors.is_empty() {
            return Err(CatalogError::Invalid(errors));
        }
        let mut input = EntryInput {
            code: old.code.clone(),
            name: old.name.clone(),
            parent: old.parent.clone(),
            data: old.data.clone(),
            valid_from: old.valid_from,
            valid_to: Some(valid_to),
            sample: old.sample,
        };
        if old.valid_to == Some(valid_to) && wanted.is_empty() {
            return Ok(view(old, self.today()));
        }
        input.valid_to = Some(valid_to);
        let changes = diff(&old, &input);
        let mut id = old.id;
        if !changes.is_empty() {
            let ids = self
                .insert(&mut tx, catalog, &[(&input, old.path.clone())], actor)
                .await?;
            id = ids.first().copied().unwrap_or_default();
            store::supersede(&mut tx, old.id, id, &self.now()).await?;
        }
        let pairs: Vec<(String, String)> = wanted
            .iter()
            .map(|s| (code.to_string(), s.clone()))
            .collect();
        store::insert_successors(&mut tx, self.db.backend(), catalog, &pairs, valid_to).await?;
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "catalog.entry.end", "catalog_entry")
                    .object(format!("{catalog}/{code}"))
                    .request(request_id)
                    .details(json!({"catalog": catalog, "old_id": old.id, "new_id": id,
                                    "changes": changes, "successors": wanted})),
            )
            .await?;
        tx.commit().await?;
        self.fetch(catalog, code, id).await
    }

    async fn path_for(
        &self,
        tx: &mut Tx,
        catalog: &str,
        input: &EntryInput,
    ) -> Result<String, CatalogError> {
        let Some(parent) = &input.parent else {
            return Ok(input.code.clone());
        };
        let versions = store::current_versions(tx, catalog, parent).await?;
        let refs: Vec<&Entry> = versions.iter().collect();
        match parent_version(&refs, input.valid_from) {
            Some(p) => {
                child_path(&p.path, &input.code).map_err(|m| CatalogError::invalid("parent", m))
            }
            None => Err(CatalogError::invalid(
                "parent",
                format!("mã cha “{parent}” không có trong danh mục “{catalog}”"),
            )),
        }
    }

    pub(crate) async fn insert(
        &self,
        tx: &mut Tx,
        catalog: &str,
        rows: &[(&EntryInput, String)],
        actor: &str,
    ) -> Result<Vec<i64>, DbError> {
        let new: Vec<NewEntry> = rows
            .iter()
            .map(|(e, path)| NewEntry {
                code: &e.code,
                name: &e.name,
                parent: e.parent.as_deref(),
                level: crate::model::level_of(&e.data, path),
                path: path.clone(),
                data: Value::Object(e.data.clone()).to_string(),
                valid_from: e.valid_from,
                valid_to: e.valid_to,
                sample: e.sample,
            })
            .collect();
        store::insert_entries(tx, self.db.backend(), catalog, &new, actor, &self.now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        crate::model::parse_date(s)
    }

    #[test]
    fn periods_that_touch_do_not_overlap_and_open_ends_reach_everything() {
        assert!(!periods_overlap(
            (None, d("2025-07-01")),
            (d("2025-07-01"), None)
        ));
        assert!(periods_overlap(
            (None, d("2025-07-02")),
            (d("2025-07-01"), None)
        ));
        assert!(periods_overlap((None, None), (d("2030-01-01"), None)));
    }

    #[test]
    fn a_parent_cannot_be_the_entry_itself_or_below_it() {
        assert_eq!(child_path("94/941", "31471").as_deref(), Ok("94/941/31471"));
        assert!(child_path("94/941/31471", "941").is_err());
    }

    #[test]
    fn an_update_changes_only_the_fields_it_names() {
        let mut base = Map::new();
        base.insert("name".into(), json!("Cũ"));
        base.insert("kind".into(), json!("department"));
        base.insert("short_name".into(), json!("SC"));
        let mut change = Map::new();
        change.insert("name".into(), json!("Mới"));
        change.insert("data".into(), json!({"short_name": null}));
        let merged = overlay(base, &change);
        assert_eq!(merged["name"], "Mới");
        assert_eq!(merged["kind"], "department");
        assert_eq!(merged["short_name"], Value::Null);
    }
}
