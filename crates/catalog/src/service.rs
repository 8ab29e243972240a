//! Use cases of the shared catalogs: lookups (as of a date, with successors), changes with
//! history and audit, atomic imports, exports.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, DbError, SharedClock, Tx};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::model::{
    check_row, read_csv, read_json, CatalogMeta, Entry, EntryInput, RawRow, RowError, Validity,
};
use crate::store::{self, EntryFilter, NewEntry};

/// Errors of the catalog service.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// No such catalog or entry.
    #[error("không tìm thấy: {0}")]
    NotFound(String),
    /// Input rejected; nothing was written.
    #[error("dữ liệu không hợp lệ ({} lỗi)", .0.len())]
    Invalid(Vec<RowError>),
    /// The change clashes with what exists.
    #[error("{0}")]
    Conflict(String),
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
    /// The version asked for.
    #[serde(flatten)]
    pub entry: EntryView,
    /// Other periods of the same code.
    pub other_periods: Vec<EntryView>,
    /// Direct successors (code, effective date).
    pub successors: Vec<Link>,
    /// Units in force today (or on `as_of`) that this one resolves to, following successors.
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
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    /// Rows read.
    pub rows: usize,
    /// New entries.
    pub created: usize,
    /// Changed entries (a new version recorded).
    pub updated: usize,
    /// Rows identical to what is stored.
    pub unchanged: usize,
}

/// File formats for import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// The shared catalogs.
#[derive(Clone)]
pub struct CatalogService {
    db: Db,
    clock: SharedClock,
    audit: Audit,
}

fn view(entry: Entry, today: NaiveDate) -> EntryView {
    let status = entry.validity(today);
    EntryView { entry, status }
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

    /// Every catalog with its number of entries.
    pub async fn catalogs(&self) -> Result<Vec<(CatalogMeta, i64)>, CatalogError> {
        Ok(store::list_catalogs(&self.db).await?)
    }

    /// A catalog's metadata.
    pub async fn meta(&self, catalog: &str) -> Result<CatalogMeta, CatalogError> {
        store::get_catalog(&self.db, catalog)
            .await?
            .ok_or_else(|| CatalogError::NotFound(format!("danh mục “{catalog}”")))
    }

    /// Entries matching a filter, a page at a time (page from 1).
    pub async fn find(
        &self,
        catalog: &str,
        filter: &EntryFilter,
        page: i64,
        page_size: i64,
    ) -> Result<Page, CatalogError> {
        self.meta(catalog).await?;
        let page = page.max(1);
        let page_size = page_size.clamp(1, 20_000);
        let (entries, total) =
            store::find_entries(&self.db, catalog, filter, (page - 1) * page_size, page_size)
                .await?;
        let today = self.today();
        Ok(Page {
            entries: entries.into_iter().map(|e| view(e, today)).collect(),
            total,
            page,
            page_size,
        })
    }

    /// One code: the version in force on `as_of` (default today, else its latest period).
    pub async fn entry(
        &self,
        catalog: &str,
        code: &str,
        as_of: Option<NaiveDate>,
    ) -> Result<EntryDetail, CatalogError> {
        self.meta(catalog).await?;
        let mut conn = self
            .db
            .pool()
            .acquire()
            .await
            .map_err(|source| DbError::Sqlx {
                context: "acquiring connection",
                source,
            })?;
        let versions = store::current_versions(&mut conn, catalog, code).await?;
        drop(conn);
        let day = as_of.unwrap_or_else(|| self.today());
        let chosen = versions
            .iter()
            .position(|e| e.valid_on(day))
            .or_else(|| {
                if as_of.is_none() {
                    versions.len().checked_sub(1)
                } else {
                    None
                }
            })
            .ok_or_else(|| {
                CatalogError::NotFound(format!(
                    "mã “{code}” trong danh mục “{catalog}” vào ngày {}",
                    day.format("%d/%m/%Y")
                ))
            })?;
        let today = self.today();
        let mut others = versions;
        let entry = others.remove(chosen);
        let links = |v: Vec<(String, String)>| {
            v.into_iter()
                .map(|(code, effective)| Link { code, effective })
                .collect::<Vec<_>>()
        };
        let successors = links(store::successors(&self.db, catalog, code).await?);
        let predecessors = links(store::predecessors(&self.db, catalog, code).await?);
        let resolved =
            if entry.valid_on(day) && as_of.is_some() || entry.valid_on(today) && as_of.is_none() {
                Vec::new()
            } else {
                self.resolve(catalog, code, as_of).await?
            };
        Ok(EntryDetail {
            entry: view(entry, today),
            other_periods: others.into_iter().map(|e| view(e, today)).collect(),
            successors,
            resolved,
            predecessors,
        })
    }

    /// Follows successor links from `code` to the units in force on `as_of` (default today).
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
        let mut conn = self
            .db
            .pool()
            .acquire()
            .await
            .map_err(|source| DbError::Sqlx {
                context: "acquiring connection",
                source,
            })?;
        while let Some(c) = frontier.pop() {
            if !seen.insert(c.clone()) || seen.len() > 10_000 {
                continue;
            }
            let versions = store::current_versions(&mut conn, catalog, &c).await?;
            let live = if c == code {
                None
            } else {
                versions.into_iter().find(|e| e.valid_on(day))
            };
            match live {
                Some(e) => {
                    out.insert(c.clone(), view(e, today));
                }
                None => {
                    for (to, _) in store::successors(&self.db, catalog, &c).await? {
                        frontier.push(to);
                    }
                }
            }
        }
        Ok(out.into_values().collect())
    }

    /// Every recorded version of a code, oldest first.
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

    /// Parses a file into raw rows.
    pub fn read(bytes: &[u8], format: Format) -> Result<Vec<RawRow>, CatalogError> {
        match format {
            Format::Csv => read_csv(bytes),
            Format::Json => read_json(bytes),
        }
        .map_err(|e| CatalogError::Invalid(vec![e]))
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
        let mut tx = self.db.begin().await?;
        let existing = store::current_versions(&mut tx, catalog, &input.code).await?;
        if let Some(clash) = existing
            .iter()
            .find(|e| overlaps(e, input.valid_from, input.valid_to))
        {
            return Err(CatalogError::Conflict(format!(
                "mã “{}” đã có trong danh mục với thời gian hiệu lực chồng lấn (bản ghi {})",
                input.code, clash.id
            )));
        }
        let path = self
            .path_for(&mut tx, catalog, &input, &HashMap::new())
            .await?;
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
                    .details(json!({"catalog": catalog, "id": id, "name": input.name, "parent": input.parent})),
            )
            .await?;
        tx.commit().await?;
        let today = self.today();
        let h = store::history(&self.db, catalog, &input.code).await?;
        h.into_iter()
            .find(|e| e.id == id)
            .map(|e| view(e, today))
            .ok_or_else(|| CatalogError::NotFound(input.code.clone()))
    }

    /// Records a new version of the entry in force on `as_of` (default today), audited.
    pub async fn update(
        &self,
        actor: &str,
        request_id: &str,
        catalog: &str,
        code: &str,
        as_of: Option<NaiveDate>,
        raw: &RawRow,
    ) -> Result<EntryView, CatalogError> {
        let meta = self.meta(catalog).await?;
        let mut raw = raw.clone();
        raw.insert("code".into(), Value::String(code.to_string()));
        let input = check_row(&meta, 0, &raw).map_err(CatalogError::Invalid)?;
        let mut tx = self.db.begin().await?;
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
                CatalogError::NotFound(format!("mã “{code}” trong danh mục “{catalog}”"))
            })?;
        if let Some(clash) = versions
            .iter()
            .find(|e| e.id != old.id && overlaps(e, input.valid_from, input.valid_to))
        {
            return Err(CatalogError::Conflict(format!(
                "thời gian hiệu lực mới chồng lấn một thời kỳ khác của mã “{code}” (bản ghi {})",
                clash.id
            )));
        }
        let changes = diff(&old, &input);
        if changes.is_empty() {
            return Ok(view(old, self.today()));
        }
        let path = self
            .path_for(&mut tx, catalog, &input, &HashMap::new())
            .await?;
        let ids = self
            .insert(&mut tx, catalog, &[(&input, path)], actor)
            .await?;
        let id = ids.first().copied().unwrap_or_default();
        store::supersede(&mut tx, old.id, id, &self.now()).await?;
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "catalog.entry.update", "catalog_entry")
                    .object(format!("{catalog}/{code}"))
                    .request(request_id)
                    .details(json!({"catalog": catalog, "old_id": old.id, "new_id": id, "changes": changes})),
            )
            .await?;
        tx.commit().await?;
        let h = store::history(&self.db, catalog, code).await?;
        let today = self.today();
        h.into_iter()
            .find(|e| e.id == id)
            .map(|e| view(e, today))
            .ok_or_else(|| CatalogError::NotFound(code.to_string()))
    }

    /// Imports a whole file: every row is checked first; one bad row rejects the file.
    pub async fn import(
        &self,
        actor: &str,
        request_id: &str,
        catalog: &str,
        bytes: &[u8],
        format: Format,
    ) -> Result<ImportReport, CatalogError> {
        let meta = self.meta(catalog).await?;
        let raws = Self::read(bytes, format)?;
        if raws.is_empty() {
            return Err(CatalogError::Invalid(vec![RowError {
                row: 0,
                field: String::new(),
                message: "tệp không có dòng dữ liệu nào".into(),
            }]));
        }
        let mut errors = Vec::new();
        let mut inputs = Vec::new();
        let mut seen: HashMap<(String, Option<NaiveDate>), usize> = HashMap::new();
        for (i, raw) in raws.iter().enumerate() {
            match check_row(&meta, i + 1, raw) {
                Ok(input) => {
                    if let Some(first) = seen.insert((input.code.clone(), input.valid_from), i + 1)
                    {
                        errors.push(RowError {
                            row: i + 1,
                            field: "code".into(),
                            message: format!("mã “{}” lặp lại dòng {first}", input.code),
                        });
                    }
                    inputs.push(input);
                }
                Err(e) => errors.extend(e),
            }
            if errors.len() >= 50 {
                break;
            }
        }
        if !errors.is_empty() {
            return Err(CatalogError::Invalid(errors));
        }
        let mut tx = self.db.begin().await?;
        let codes: Vec<String> = inputs
            .iter()
            .map(|e| e.code.clone())
            .chain(inputs.iter().filter_map(|e| e.parent.clone()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let stored = store::current_by_codes(&mut tx, catalog, &codes).await?;
        let mut stored_by_code: HashMap<&str, Vec<&Entry>> = HashMap::new();
        for e in &stored {
            stored_by_code.entry(e.code.as_str()).or_default().push(e);
        }
        // Paths: parents from the file first (any order), then from the database.
        let mut paths: HashMap<String, String> = HashMap::new();
        let mut pending: Vec<usize> = (0..inputs.len()).collect();
        loop {
            let before = pending.len();
            pending.retain(|&i| {
                let e = &inputs[i];
                let parent_path = match &e.parent {
                    None => Some(None),
                    Some(p) => paths
                        .get(p)
                        .cloned()
                        .or_else(|| {
                            stored_by_code
                                .get(p.as_str())
                                .and_then(|v| v.last())
                                .map(|s| s.path.clone())
                        })
                        .map(Some),
                };
                match parent_path {
                    Some(pp) => {
                        let path = match pp {
                            Some(pp) => format!("{pp}/{}", e.code),
                            None => e.code.clone(),
                        };
                        paths.insert(e.code.clone(), path);
                        false
                    }
                    None => true,
                }
            });
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        if !pending.is_empty() {
            let errors = pending
                .iter()
                .take(50)
                .map(|&i| RowError {
                    row: i + 1,
                    field: "parent".into(),
                    message: format!(
                        "mã cha “{}” không có trong danh mục hay trong tệp",
                        inputs[i].parent.clone().unwrap_or_default()
                    ),
                })
                .collect();
            return Err(CatalogError::Invalid(errors));
        }
        let mut report = ImportReport {
            rows: inputs.len(),
            ..ImportReport::default()
        };
        let mut to_insert: Vec<(&EntryInput, String)> = Vec::new();
        let mut to_supersede: Vec<i64> = Vec::new();
        for e in &inputs {
            let same_period = stored_by_code
                .get(e.code.as_str())
                .and_then(|v| v.iter().find(|s| s.valid_from == e.valid_from));
            let path = paths
                .get(&e.code)
                .cloned()
                .unwrap_or_else(|| e.code.clone());
            match same_period {
                Some(s) if diff(s, e).is_empty() => report.unchanged += 1,
                Some(s) => {
                    report.updated += 1;
                    to_supersede.push(s.id);
                    to_insert.push((e, path));
                }
                None => {
                    report.created += 1;
                    to_insert.push((e, path));
                }
            }
        }
        let ids = self.insert(&mut tx, catalog, &to_insert, actor).await?;
        let now = self.now();
        let mut new_ids = ids.iter();
        for (e, _) in &to_insert {
            let id = new_ids.next().copied().unwrap_or_default();
            if let Some(old) = stored_by_code
                .get(e.code.as_str())
                .and_then(|v| v.iter().find(|s| s.valid_from == e.valid_from))
            {
                if to_supersede.contains(&old.id) {
                    store::supersede(&mut tx, old.id, id, &now).await?;
                }
            }
        }
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "catalog.import", "catalog")
                    .object(catalog)
                    .request(request_id)
                    .details(json!(report)),
            )
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The recorded-current entries of a catalog as CSV or JSON, importable again.
    pub async fn export(&self, catalog: &str, format: Format) -> Result<String, CatalogError> {
        let meta = self.meta(catalog).await?;
        let (entries, _) =
            store::find_entries(&self.db, catalog, &EntryFilter::default(), 0, i64::MAX / 4)
                .await?;
        let d = |x: Option<NaiveDate>| {
            x.map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        match format {
            Format::Json => {
                let rows: Vec<Value> = entries
                    .iter()
                    .map(|e| {
                        json!({"code": e.code, "name": e.name, "parent": e.parent, "valid_from": e.valid_from,
                               "valid_to": e.valid_to, "sample": e.sample, "data": e.data})
                    })
                    .collect();
                serde_json::to_string_pretty(&rows)
                    .map_err(|e| CatalogError::Conflict(e.to_string()))
            }
            Format::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                let mut header = vec!["code", "name", "parent", "valid_from", "valid_to", "sample"];
                header.extend(meta.fields.iter().map(|f| f.name.as_str()));
                let csv_err = |e: csv::Error| CatalogError::Conflict(e.to_string());
                w.write_record(&header).map_err(csv_err)?;
                for e in &entries {
                    let mut rec = vec![
                        e.code.clone(),
                        e.name.clone(),
                        e.parent.clone().unwrap_or_default(),
                        d(e.valid_from),
                        d(e.valid_to),
                        e.sample.to_string(),
                    ];
                    for f in &meta.fields {
                        rec.push(match e.data.get(&f.name) {
                            None | Some(Value::Null) => String::new(),
                            Some(Value::String(s)) => s.clone(),
                            Some(v) => v.to_string(),
                        });
                    }
                    w.write_record(&rec).map_err(csv_err)?;
                }
                let bytes = w
                    .into_inner()
                    .map_err(|e| CatalogError::Conflict(e.to_string()))?;
                String::from_utf8(bytes).map_err(|e| CatalogError::Conflict(e.to_string()))
            }
        }
    }

    async fn path_for(
        &self,
        tx: &mut Tx,
        catalog: &str,
        input: &EntryInput,
        known: &HashMap<String, String>,
    ) -> Result<String, CatalogError> {
        let Some(parent) = &input.parent else {
            return Ok(input.code.clone());
        };
        if let Some(p) = known.get(parent) {
            return Ok(format!("{p}/{}", input.code));
        }
        let versions = store::current_versions(tx, catalog, parent).await?;
        match versions.last() {
            Some(p) => Ok(format!("{}/{}", p.path, input.code)),
            None => Err(CatalogError::Invalid(vec![RowError {
                row: 0,
                field: "parent".into(),
                message: format!("mã cha “{parent}” không có trong danh mục {catalog}"),
            }])),
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
                path: path.clone(),
                data: Value::Object(e.data.clone()).to_string(),
                valid_from: e.valid_from,
                valid_to: e.valid_to,
                sample: e.sample,
            })
            .collect();
        store::insert_entries(tx, catalog, &new, actor, &self.now()).await
    }
}

fn overlaps(e: &Entry, from: Option<NaiveDate>, to: Option<NaiveDate>) -> bool {
    let starts_before_other_ends = match (from, e.valid_to) {
        (Some(f), Some(t)) => f < t,
        _ => true,
    };
    let other_starts_before_end = match (e.valid_from, to) {
        (Some(f), Some(t)) => f < t,
        _ => true,
    };
    starts_before_other_ends && other_starts_before_end
}

fn diff(old: &Entry, new: &EntryInput) -> Map<String, Value> {
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
    check(
        "data",
        Value::Object(old.data.clone()),
        Value::Object(new.data.clone()),
    );
    changes
}
