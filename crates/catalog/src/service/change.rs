//! Changes to entries: add, record a new version, end with successors; each in one
//! transaction holding the catalog's write lock, with history kept and an audit event.

use chrono::NaiveDate;
use cqdt_audit::AuditEvent;
use cqdt_platform::{DbError, Tx};
use serde_json::{json, Value};

use super::{
    as_raw, child_path, diff, overlaps, overlay, parent_version, period_vn, view, vn, CatalogError,
    CatalogService, EntryView,
};
use crate::model::{check_row, Entry, EntryInput, RawRow, RowError};
use crate::store::{self, NewEntry};

/// The audit event of a change to one entry, named `catalog/code`.
fn entry_event(
    actor: &str,
    request_id: &str,
    action: &str,
    catalog: &str,
    code: &str,
) -> AuditEvent {
    let object = format!("{catalog}/{code}");
    AuditEvent::new(actor, action, "catalog_entry").object(object).request(request_id)
}

impl CatalogService {
    /// Audits a change to one entry in its transaction, commits, and reads the entry back.
    async fn commit_audited(
        &self,
        mut tx: Tx,
        event: AuditEvent,
        catalog: &str,
        code: &str,
        id: i64,
    ) -> Result<EntryView, CatalogError> {
        self.audit.record(&mut tx, event).await?;
        tx.commit().await?;
        self.fetch(catalog, code, id).await
    }

    /// Adds a new entry (or a new period of a code), audited.
    #[tracing::instrument(skip(self, actor, raw))]
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
        if let Some(clash) = existing.iter().find(|e| overlaps(e, input.valid_from, input.valid_to))
        {
            return Err(CatalogError::Conflict(format!(
                "mã “{}” đã có trong danh mục “{catalog}” ({}: {}); thời gian hiệu lực không được chồng lấn",
                input.code,
                clash.name,
                period_vn(clash.valid_from, clash.valid_to)
            )));
        }
        let path = self.path_for(&mut tx, catalog, &input).await?;
        let ids = self.insert(&mut tx, catalog, &[(&input, path)], actor).await?;
        let id = ids.first().copied().unwrap_or_default();
        let event = entry_event(actor, request_id, "catalog.entry.create", catalog, &input.code)
            .details(json!({
                "catalog": catalog, "id": id, "code": input.code, "name": input.name,
                "parent": input.parent, "valid_from": input.valid_from, "valid_to": input.valid_to,
                "sample": input.sample, "data": input.data,
            }));
        self.commit_audited(tx, event, catalog, &input.code, id).await
    }

    /// Records a new version of the entry in force on `as_of` (default today; a code with a
    /// single period needs no date). Fields missing from `raw` keep their value; the old
    /// version is kept as history. Audited with the changed fields.
    #[tracing::instrument(skip(self, actor, raw))]
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
        let ids = self.insert(&mut tx, catalog, &[(&input, path)], actor).await?;
        let id = ids.first().copied().unwrap_or_default();
        store::supersede(&mut tx, old.id, id, &self.now()).await?;
        let mut moved = 0;
        if let Some((from, to)) = moved_path {
            moved = store::rebase_paths(&mut tx, self.db().backend(), catalog, &from, &to).await?;
        }
        let event = entry_event(actor, request_id, "catalog.entry.update", catalog, code)
            .details(json!({"catalog": catalog, "old_id": old.id, "new_id": id,
                           "changes": changes, "descendants_moved": moved}));
        self.commit_audited(tx, event, catalog, code, id).await
    }

    /// Ends the version of a code in force on the day before `valid_to`: it ceases on
    /// `valid_to` (a new recorded version, history kept), and `successors` (codes in force on
    /// that date) are linked as what replaced it. Audited.
    #[tracing::instrument(skip(self, actor))]
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
            return Err(CatalogError::NotFound(format!("mã “{code}” trong danh mục “{catalog}”")));
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
        for s in successors.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
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
            let ids = self.insert(&mut tx, catalog, &[(&input, old.path.clone())], actor).await?;
            id = ids.first().copied().unwrap_or_default();
            store::supersede(&mut tx, old.id, id, &self.now()).await?;
        }
        let pairs: Vec<(String, String)> =
            wanted.iter().map(|s| (code.to_string(), s.clone())).collect();
        store::insert_successors(&mut tx, self.db.backend(), catalog, &pairs, valid_to).await?;
        let event = entry_event(actor, request_id, "catalog.entry.end", catalog, code)
            .details(json!({"catalog": catalog, "old_id": old.id, "new_id": id,
                           "changes": changes, "successors": wanted}));
        self.commit_audited(tx, event, catalog, code, id).await
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
