//! Imports (CSV, JSON; checked whole, applied in one transaction) and exports of catalogs.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use cqdt_audit::AuditEvent;
use serde::Serialize;
use serde_json::{json, Value};

use super::{
    as_raw, child_path, diff, overlay, parent_version, period_overlap_rows, CatalogError,
    CatalogService,
};
use crate::model::{check_row, read_csv, read_json, Entry, EntryInput, RawRow, RowError};
use crate::store::{self, EntryFilter};

/// Most row errors an import reports before it stops checking.
pub const MAX_ROW_ERRORS: usize = 50;

/// What an import did.
#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = CatalogImportReport)]
pub struct ImportReport {
    /// Rows read.
    pub rows: usize,
    /// New entries (new codes or new periods of a code).
    pub created: usize,
    /// Changed entries (a new version recorded, the old one kept as history).
    pub updated: usize,
    /// Rows identical to what is stored.
    pub unchanged: usize,
}

/// One entry as exported in JSON (the import format).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CatalogExportRow)]
pub struct ExportRow<'a> {
    /// Code.
    pub code: &'a str,
    /// Name.
    pub name: &'a str,
    /// Parent code.
    pub parent: Option<&'a str>,
    /// In force from.
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_from: Option<NaiveDate>,
    /// In force until (exclusive).
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_to: Option<NaiveDate>,
    /// Sample data.
    pub sample: bool,
    /// Extra fields.
    #[schema(value_type = Object)]
    pub data: &'a serde_json::Map<String, Value>,
}

impl<'a> From<&'a Entry> for ExportRow<'a> {
    fn from(e: &'a Entry) -> Self {
        ExportRow {
            code: &e.code,
            name: &e.name,
            parent: e.parent.as_deref(),
            valid_from: e.valid_from,
            valid_to: e.valid_to,
            sample: e.sample,
            data: &e.data,
        }
    }
}

/// File formats for import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
}

impl Format {
    /// `csv` or `json` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The format a Content-Type names (`text/csv`, `application/json`, `…+json`), if any.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let essence =
            content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" | "application/csv" | "text/comma-separated-values" => Some(Format::Csv),
            "application/json" | "text/json" => Some(Format::Json),
            e if e.ends_with("+json") => Some(Format::Json),
            _ => None,
        }
    }

    /// Guesses from the content: JSON when it starts with `[` or `{`, else CSV.
    pub fn sniff(bytes: &[u8]) -> Self {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[' | b'{') => Format::Json,
            _ => Format::Csv,
        }
    }

    /// The format of a file: by its extension (`.csv`, `.json`), else by its content.
    pub fn detect(file_name: Option<&str>, bytes: &[u8]) -> Self {
        file_name
            .and_then(|n| n.rsplit_once('.'))
            .and_then(|(_, ext)| Format::parse(ext))
            .unwrap_or_else(|| Format::sniff(bytes))
    }

    /// The media type of exports.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }

    /// The file extension, without dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

fn row_error(row: usize, field: &str, message: String) -> RowError {
    RowError { row, field: field.into(), message }
}

/// Rows of the file as checked input, with their 1-based data row numbers.
struct Checked {
    inputs: Vec<(usize, EntryInput)>,
}

impl CatalogService {
    /// Parses a file into raw rows.
    pub fn read(bytes: &[u8], format: Format) -> Result<Vec<RawRow>, CatalogError> {
        match format {
            Format::Csv => read_csv(bytes),
            Format::Json => read_json(bytes),
        }
        .map_err(|e| CatalogError::Invalid(vec![e]))
    }

    /// Imports a file whose format is found from its name or content (for the CLI and uploads).
    #[tracing::instrument(skip(self, actor, bytes), fields(bytes = bytes.len()))]
    pub async fn import_file(
        &self,
        actor: &str,
        request_id: &str,
        catalog: &str,
        file_name: Option<&str>,
        bytes: &[u8],
    ) -> Result<ImportReport, CatalogError> {
        let format = Format::detect(file_name, bytes);
        self.import(actor, request_id, catalog, bytes, format).await
    }

    /// Imports a whole file: every row is checked first (up to 50 errors, each with its data
    /// row number); one bad row rejects the file and nothing is written. Otherwise new codes
    /// are inserted, changed ones get a new version and unchanged ones are skipped, in one
    /// transaction with one audit record.
    #[tracing::instrument(skip(self, actor, bytes), fields(bytes = bytes.len()))]
    pub async fn import(
        &self,
        actor: &str,
        request_id: &str,
        catalog: &str,
        bytes: &[u8],
        format: Format,
    ) -> Result<ImportReport, CatalogError> {
        let meta = self.meta(catalog).await?;
        // Imported text is composed (NFC) like every other text input, so that a file saved
        // with decomposed Vietnamese stores, and is searched, as the same words.
        let composed = std::str::from_utf8(bytes).ok().map(cqdt_platform::web::nfc);
        let bytes = composed.as_deref().map_or(bytes, str::as_bytes);
        let raws = Self::read(bytes, format)?;
        if raws.is_empty() {
            return Err(CatalogError::invalid("file", "tệp không có dòng dữ liệu nào"));
        }
        let (_, mut tx) = self.write(catalog).await?;
        let backend = self.db().backend();
        let named = |r: &RawRow, key: &str| -> Option<String> {
            r.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let codes: HashSet<String> =
            raws.iter().flat_map(|r| [named(r, "code"), named(r, "parent")]).flatten().collect();
        let mut stored = store::current_by_codes(
            &mut tx,
            backend,
            catalog,
            &codes.into_iter().collect::<Vec<_>>(),
        )
        .await?;
        // A row for a stored version keeps the values of columns the file does not have.
        let today = self.today();
        let mut by_code: HashMap<&str, Vec<&Entry>> = HashMap::new();
        for e in &stored {
            by_code.entry(e.code.as_str()).or_default().push(e);
        }
        let merged: Vec<RawRow> = raws
            .iter()
            .map(|r| {
                let Some(code) = named(r, "code") else {
                    return r.clone();
                };
                let versions: &[&Entry] = by_code.get(code.as_str()).map_or(&[], Vec::as_slice);
                let target = if r.contains_key("valid_from") {
                    let from = named(r, "valid_from").map(|s| crate::model::parse_date(&s));
                    match from {
                        Some(None) => None,
                        Some(Some(d)) => versions.iter().find(|e| e.valid_from == Some(d)),
                        None => versions.iter().find(|e| e.valid_from.is_none()),
                    }
                } else {
                    versions.iter().find(|e| e.valid_on(today)).or(if versions.len() == 1 {
                        versions.first()
                    } else {
                        None
                    })
                };
                match target {
                    Some(e) => overlay(as_raw(e, &meta), r),
                    None => r.clone(),
                }
            })
            .collect();
        drop(by_code);
        let checked = check_rows(&meta, &merged)?;
        let inputs = &checked.inputs;
        let stored_codes: HashSet<&str> = stored.iter().map(|e| e.code.as_str()).collect();
        let missing: Vec<String> = inputs
            .iter()
            .filter_map(|(_, e)| e.parent.clone())
            .filter(|p| !stored_codes.contains(p.as_str()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !missing.is_empty() {
            stored.extend(store::current_by_codes(&mut tx, backend, catalog, &missing).await?);
        }
        let mut stored_by_code: HashMap<&str, Vec<&Entry>> = HashMap::new();
        for e in &stored {
            stored_by_code.entry(e.code.as_str()).or_default().push(e);
        }
        for v in stored_by_code.values_mut() {
            v.sort_by_key(|e| e.valid_from);
        }
        let matched = |e: &EntryInput| -> Option<&Entry> {
            stored_by_code
                .get(e.code.as_str())
                .and_then(|v| v.iter().find(|s| s.valid_from == e.valid_from).copied())
        };

        let mut errors = overlap_errors(inputs, &stored_by_code);
        let paths = match resolve_paths(catalog, inputs, &stored_by_code) {
            Ok(p) => p,
            Err(e) => {
                errors.extend(e);
                HashMap::new()
            }
        };
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.row);
            errors.truncate(MAX_ROW_ERRORS);
            return Err(CatalogError::Invalid(errors));
        }

        let mut report = ImportReport { rows: inputs.len(), ..ImportReport::default() };
        let mut to_insert: Vec<(&EntryInput, String)> = Vec::new();
        let mut replaces: Vec<Option<&Entry>> = Vec::new();
        let (mut created_codes, mut updated_codes) = (Vec::new(), Vec::new());
        for (i, (_, e)) in inputs.iter().enumerate() {
            let path = paths.get(&i).cloned().unwrap_or_else(|| e.code.clone());
            match matched(e) {
                Some(s) if diff(s, e).is_empty() && s.path == path => report.unchanged += 1,
                Some(s) => {
                    report.updated += 1;
                    updated_codes.push(e.code.clone());
                    replaces.push(Some(s));
                    to_insert.push((e, path));
                }
                None => {
                    report.created += 1;
                    created_codes.push(e.code.clone());
                    replaces.push(None);
                    to_insert.push((e, path));
                }
            }
        }
        let ids = self.insert(&mut tx, catalog, &to_insert, actor).await?;
        let mut pairs = Vec::new();
        let mut moves = Vec::new();
        for ((old, (_, new_path)), id) in replaces.iter().zip(&to_insert).zip(&ids) {
            if let Some(old) = old {
                pairs.push((old.id, *id));
                if old.path != *new_path {
                    moves.push((old.path.clone(), new_path.clone()));
                }
            }
        }
        store::supersede_many(&mut tx, &pairs, &self.now()).await?;
        let mut moved = 0;
        for (from, to) in &moves {
            moved += store::rebase_paths(&mut tx, self.db().backend(), catalog, from, to).await?;
        }
        let listed = |codes: Vec<String>| -> Value {
            let n = codes.len();
            json!({"count": n, "codes": codes.into_iter().take(200).collect::<Vec<_>>(), "truncated": n > 200})
        };
        self.audit()
            .record(
                &mut tx,
                AuditEvent::new(actor, "catalog.import", "catalog")
                    .object(catalog)
                    .request(request_id)
                    .details(json!({
                        "format": format, "rows": report.rows, "unchanged": report.unchanged,
                        "created": listed(created_codes), "updated": listed(updated_codes),
                        "descendants_moved": moved,
                    })),
            )
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The recorded-current entries of a catalog (every period) as CSV or JSON, importable again.
    #[tracing::instrument(skip(self))]
    pub async fn export(&self, catalog: &str, format: Format) -> Result<String, CatalogError> {
        let mut out = Vec::new();
        self.export_to(catalog, format, &mut out).await?;
        String::from_utf8(out).map_err(|e| CatalogError::Internal(e.to_string()))
    }

    /// Writes the export of a catalog to `w`.
    #[tracing::instrument(skip(self, w))]
    pub async fn export_to<W: std::io::Write>(
        &self,
        catalog: &str,
        format: Format,
        mut w: W,
    ) -> Result<(), CatalogError> {
        let meta = self.meta(catalog).await?;
        let (entries, _) =
            store::find_entries(self.db(), catalog, &EntryFilter::default(), &[], 0, i64::MAX / 4)
                .await?;
        let internal = |e: &dyn std::fmt::Display| CatalogError::Internal(e.to_string());
        match format {
            Format::Json => {
                let rows: Vec<ExportRow> = entries.iter().map(ExportRow::from).collect();
                serde_json::to_writer_pretty(&mut w, &rows).map_err(|e| internal(&e))?;
                w.write_all(b"\n").map_err(|e| internal(&e))?;
            }
            Format::Csv => {
                let d = |x: Option<NaiveDate>| {
                    x.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
                };
                let mut cw = csv::Writer::from_writer(&mut w);
                let mut header = vec!["code", "name", "parent", "valid_from", "valid_to", "sample"];
                header.extend(meta.fields.iter().map(|f| f.name.as_str()));
                cw.write_record(&header).map_err(|e| internal(&e))?;
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
                    cw.write_record(&rec).map_err(|e| internal(&e))?;
                }
                cw.flush().map_err(|e| internal(&e))?;
            }
        }
        Ok(())
    }
}

/// Checks every row; collects up to 50 errors; refuses a (code, valid_from) given twice.
fn check_rows(meta: &crate::model::CatalogMeta, raws: &[RawRow]) -> Result<Checked, CatalogError> {
    let mut errors = Vec::new();
    let mut inputs = Vec::new();
    let mut seen: HashMap<(String, Option<NaiveDate>), usize> = HashMap::new();
    for (i, raw) in raws.iter().enumerate() {
        let row = i + 1;
        match check_row(meta, row, raw) {
            Ok(input) => {
                if let Some(first) = seen.insert((input.code.clone(), input.valid_from), row) {
                    errors.push(row_error(
                        row,
                        "code",
                        format!("mã “{}” đã có ở dòng {first}", input.code),
                    ));
                }
                inputs.push((row, input));
            }
            Err(e) => errors.extend(e),
        }
        if errors.len() >= MAX_ROW_ERRORS {
            break;
        }
    }
    if errors.is_empty() {
        Ok(Checked { inputs })
    } else {
        errors.truncate(MAX_ROW_ERRORS);
        Err(CatalogError::Invalid(errors))
    }
}

/// Periods that would overlap after the import: a row against another row of the same code,
/// or against a stored period of the code that no row replaces.
fn overlap_errors(
    inputs: &[(usize, EntryInput)],
    stored_by_code: &HashMap<&str, Vec<&Entry>>,
) -> Vec<RowError> {
    let mut by_code: HashMap<&str, Vec<&(usize, EntryInput)>> = HashMap::new();
    for r in inputs {
        by_code.entry(r.1.code.as_str()).or_default().push(r);
    }
    let mut errors = Vec::new();
    for (code, rows) in &by_code {
        let kept: Vec<&Entry> = stored_by_code
            .get(code)
            .map(|v| {
                v.iter()
                    .filter(|s| !rows.iter().any(|(_, e)| e.valid_from == s.valid_from))
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        for (i, (row, e)) in rows.iter().enumerate() {
            if let Some(s) = kept.iter().find(|s| super::overlaps(s, e.valid_from, e.valid_to)) {
                errors.push(row_error(
                    *row,
                    "valid_from",
                    format!(
                        "mã “{code}” đã có trong danh mục ({}: {}); thời kỳ hiệu lực của dòng này chồng lấn thời kỳ đó",
                        s.name,
                        super::period_vn(s.valid_from, s.valid_to)
                    ),
                ));
            }
            if let Some((other, _)) = rows[..i].iter().find(|(_, o)| period_overlap_rows(o, e)) {
                errors.push(row_error(
                    *row,
                    "valid_from",
                    format!("mã “{code}” có thời kỳ hiệu lực chồng lấn dòng {other}"),
                ));
            }
        }
    }
    errors
}

/// Materialised paths of every row (by index), parents from the file first, then stored.
fn resolve_paths(
    catalog: &str,
    inputs: &[(usize, EntryInput)],
    stored_by_code: &HashMap<&str, Vec<&Entry>>,
) -> Result<HashMap<usize, String>, Vec<RowError>> {
    let mut in_file: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (_, e)) in inputs.iter().enumerate() {
        in_file.entry(e.code.as_str()).or_default().push(i);
    }
    let mut paths: HashMap<usize, String> = HashMap::new();
    let mut errors = Vec::new();
    let mut pending: Vec<usize> = Vec::new();
    for (i, (row, e)) in inputs.iter().enumerate() {
        match &e.parent {
            None => {
                paths.insert(i, e.code.clone());
            }
            Some(p)
                if !in_file.contains_key(p.as_str())
                    && !stored_by_code.contains_key(p.as_str()) =>
            {
                errors.push(row_error(
                    *row,
                    "parent",
                    format!("mã cha “{p}” không có trong danh mục “{catalog}” hay trong tệp"),
                ));
            }
            Some(_) => pending.push(i),
        }
    }
    loop {
        let before = pending.len();
        let mut still = Vec::new();
        for i in pending {
            let (row, e) = &inputs[i];
            let Some(p) = e.parent.as_deref() else {
                continue;
            };
            let parent_path = match in_file.get(p) {
                Some(rows) => {
                    // The parent's row in force when the child starts, else any of its rows.
                    let pick = rows
                        .iter()
                        .find(|&&j| {
                            let pe = &inputs[j].1;
                            match e.valid_from {
                                Some(d) => {
                                    pe.valid_from.is_none_or(|f| f <= d)
                                        && pe.valid_to.is_none_or(|t| d < t)
                                }
                                None => pe.valid_from.is_none(),
                            }
                        })
                        .or(rows.first());
                    pick.and_then(|j| paths.get(j)).cloned()
                }
                None => stored_by_code
                    .get(p)
                    .and_then(|v| parent_version(v, e.valid_from))
                    .map(|pv| pv.path.clone()),
            };
            match parent_path {
                Some(pp) => match child_path(&pp, &e.code) {
                    Ok(path) => {
                        paths.insert(i, path);
                    }
                    Err(m) => errors.push(row_error(*row, "parent", m)),
                },
                None => still.push(i),
            }
        }
        pending = still;
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    for i in pending {
        let (row, e) = &inputs[i];
        errors.push(row_error(
            *row,
            "parent",
            format!(
                "mã cha “{}” tạo thành vòng lặp cấp trên – cấp dưới trong tệp",
                e.parent.clone().unwrap_or_default()
            ),
        ));
    }
    if errors.is_empty() {
        Ok(paths)
    } else {
        Err(errors)
    }
}
