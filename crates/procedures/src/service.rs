//! Use cases of the procedure catalog: create drafts, edit, publish, retire, import and export,
//! every change versioned and audited; search over the published procedures.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, FieldError, SharedClock, Tx};
use serde::Serialize;
use serde_json::json;

use crate::error::ProcedureError;
use crate::model::{self, Change, Field, Procedure, Status};
use crate::search::{Filters, Index, Synonym, BUILT_IN_SYNONYMS};
use crate::store::{self, StoredRow, SynonymRow, Version, Write};
use crate::xlsx;

/// A procedure with its state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ProcedureEntry)]
pub struct Entry {
    /// The procedure.
    #[serde(flatten)]
    pub procedure: Procedure,
    /// Draft, published or retired.
    pub status: Status,
    /// Version number.
    pub version: i64,
    /// Last change.
    pub updated_at: String,
}

/// A search synonym in force.
#[derive(Debug, Clone)]
pub struct SynonymEntry {
    /// The term people type, folded.
    pub term: String,
    /// The words it stands for.
    pub expansion: String,
    /// Whether cqdt has it built in.
    pub built_in: bool,
    /// Who changed it last and when, if an administrator did.
    pub changed: Option<(String, String)>,
}

/// A version in the history, with what it changed.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    /// The version as recorded.
    pub version: Version,
    /// Its status.
    pub status: Status,
    /// What differs from the version before (empty for the first, or a status change).
    pub changes: Vec<Change>,
}

/// What an import checks before writing anything: each procedure's own checks, codes that
/// appear twice, an empty list. Errors point into the list (`/3/name`).
pub fn check_import(items: &[Procedure]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, p) in items.iter().enumerate() {
        if let Err(e) = p.check() {
            errors.extend(
                e.into_iter()
                    .map(|f| FieldError { field: format!("/{i}{}", f.field), message: f.message }),
            );
        }
        if !seen.insert(p.code.clone()) {
            errors.push(FieldError {
                field: format!("/{i}/code"),
                message: format!("Mã {} xuất hiện hai lần trong tệp.", p.code),
            });
        }
    }
    if items.is_empty() {
        errors.push(FieldError {
            field: "/".into(), message: "Tệp không có thủ tục nào.".into()
        });
    }
    errors
}

/// The procedure catalog. Cheap to clone.
#[derive(Clone)]
pub struct ProcedureService {
    db: Db,
    clock: SharedClock,
    audit: Audit,
    index: Arc<RwLock<Arc<Index>>>,
}

fn parse(row: &StoredRow) -> Result<Entry, ProcedureError> {
    let procedure: Procedure = serde_json::from_str(&row.doc)
        .map_err(|e| ProcedureError::Corrupt(row.code.clone(), e.to_string()))?;
    let status = Status::parse(&row.status)
        .ok_or_else(|| ProcedureError::Corrupt(row.code.clone(), row.status.clone()))?;
    Ok(Entry { procedure, status, version: row.version, updated_at: row.updated_at.clone() })
}

impl ProcedureService {
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub(crate) fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Opens the catalog and builds the search index of the published procedures.
    #[tracing::instrument(skip_all)]
    pub async fn load(db: Db, clock: SharedClock, audit: Audit) -> Result<Self, ProcedureError> {
        let svc = ProcedureService {
            db,
            clock,
            audit,
            index: Arc::new(RwLock::new(Arc::new(Index::default()))),
        };
        svc.reindex().await?;
        Ok(svc)
    }

    /// Rebuilds the search index from the database (after a change, or another node's).
    #[tracing::instrument(skip_all)]
    pub async fn reindex(&self) -> Result<(), ProcedureError> {
        let rows = store::list(&self.db, Some(Status::Published.as_str())).await?;
        let mut procs = Vec::with_capacity(rows.len());
        for r in &rows {
            match parse(r) {
                Ok(e) => procs.push(Arc::new(e.procedure)),
                Err(e) => tracing::error!(error = %e, "skipping an unreadable procedure"),
            }
        }
        let synonyms = self
            .synonyms()
            .await?
            .iter()
            .filter_map(|s| Synonym::new(&s.term, &s.expansion))
            .collect();
        let index = Arc::new(Index::with_synonyms(procs, synonyms));
        if let Ok(mut slot) = self.index.write() {
            *slot = index;
        }
        Ok(())
    }

    fn index(&self) -> Arc<Index> {
        self.index.read().map(|i| i.clone()).unwrap_or_else(|_| Arc::new(Index::default()))
    }

    /// Published procedures matching a query and filters, best first.
    pub fn search(&self, query: &str, filters: &Filters, limit: usize) -> Vec<Arc<Procedure>> {
        self.index().search(query, filters, limit)
    }

    /// A published procedure, from memory (no database read).
    pub fn published(&self, code: &str) -> Option<Arc<Procedure>> {
        self.index().get(code).cloned()
    }

    /// Published procedures marked popular.
    pub fn popular(&self, limit: usize) -> Vec<Arc<Procedure>> {
        let mut v: Vec<Arc<Procedure>> =
            self.index().all().filter(|p| p.popular).cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v.truncate(limit);
        v
    }

    /// The fields of the published procedures with how many each has, by name.
    pub fn fields(&self) -> Vec<(Field, usize)> {
        let mut m: BTreeMap<String, (Field, usize)> = BTreeMap::new();
        for p in self.index().all() {
            m.entry(p.field.name.clone()).or_insert_with(|| (p.field.clone(), 0)).1 += 1;
        }
        m.into_values().collect()
    }

    /// The kinds of implementing agencies of the published procedures, with counts.
    pub fn agency_kinds(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for p in self.index().all() {
            for k in &p.implementing_agency_kinds {
                *m.entry(k.clone()).or_default() += 1;
            }
        }
        m.into_iter().collect()
    }

    /// How many procedures are published.
    pub fn published_count(&self) -> usize {
        self.index().len()
    }

    /// One procedure, in any status.
    #[tracing::instrument(skip(self))]
    pub async fn get(&self, code: &str) -> Result<Option<Entry>, ProcedureError> {
        let mut conn = self.db.pool().acquire().await.map_err(|source| {
            cqdt_platform::DbError::Sqlx { context: "acquiring a connection", source }
        })?;
        match store::get(&mut conn, code).await? {
            Some(r) => Ok(Some(parse(&r)?)),
            None => Ok(None),
        }
    }

    /// Every procedure, or those of one status.
    #[tracing::instrument(skip(self))]
    pub async fn list(&self, status: Option<Status>) -> Result<Vec<Entry>, ProcedureError> {
        store::list(&self.db, status.map(Status::as_str)).await?.iter().map(parse).collect()
    }

    /// The recorded versions of a procedure, newest first.
    #[tracing::instrument(skip(self))]
    pub async fn history(&self, code: &str) -> Result<Vec<Version>, ProcedureError> {
        Ok(store::versions(&self.db, code).await?)
    }

    /// The versions of a procedure, newest first, each with what it changed from the one
    /// before it.
    #[tracing::instrument(skip(self))]
    pub async fn changes(&self, code: &str) -> Result<Vec<HistoryEntry>, ProcedureError> {
        let versions = self.history(code).await?;
        let docs = versions
            .iter()
            .map(|v| {
                serde_json::from_str::<Procedure>(&v.doc)
                    .map_err(|e| ProcedureError::Corrupt(code.into(), e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(versions
            .into_iter()
            .enumerate()
            .map(|(i, version)| {
                // Newest first: the version before this one is the next in the list.
                let changes = docs
                    .get(i + 1)
                    .map(|before| model::changes(before, &docs[i]))
                    .unwrap_or_default();
                let status = Status::parse(&version.status).unwrap_or(Status::Draft);
                HistoryEntry { version, status, changes }
            })
            .collect())
    }

    /// Puts an earlier version's content back as a new version (audited as an update).
    #[tracing::instrument(skip(self, actor))]
    pub async fn restore(
        &self,
        actor: &str,
        code: &str,
        version: i64,
        expected: Option<i64>,
    ) -> Result<Entry, ProcedureError> {
        let versions = self.history(code).await?;
        let Some(v) = versions.iter().find(|v| v.version == version) else {
            return Err(ProcedureError::NotFound(format!("{code} phiên bản {version}")));
        };
        let p: Procedure = serde_json::from_str(&v.doc)
            .map_err(|e| ProcedureError::Corrupt(code.into(), e.to_string()))?;
        self.update(actor, code, &p, expected).await
    }

    async fn write(
        &self,
        tx: &mut Tx,
        actor: &str,
        p: &Procedure,
        status: Status,
        version: i64,
        action: &str,
    ) -> Result<(), ProcedureError> {
        let doc = serde_json::to_string(p)
            .map_err(|e| ProcedureError::Corrupt(p.code.clone(), e.to_string()))?;
        let now = format_ts(self.clock.now());
        store::put(
            tx,
            &Write {
                code: &p.code,
                national_code: &p.national_code,
                name: &p.name,
                field_code: &p.field.code,
                status: status.as_str(),
                version,
                doc: &doc,
                action,
                at: &now,
                by: actor,
            },
        )
        .await?;
        self.audit
            .record(
                tx,
                AuditEvent::new(actor, &format!("procedure.{action}"), "procedure")
                    .object(p.code.clone())
                    .details(
                        json!({"version": version, "status": status.as_str(), "name": p.name}),
                    ),
            )
            .await?;
        Ok(())
    }

    /// Adds a procedure as a draft (or published, for imports of a catalog in force).
    #[tracing::instrument(skip_all, fields(code = %p.code, ?status))]
    pub async fn create(
        &self,
        actor: &str,
        p: &Procedure,
        status: Status,
    ) -> Result<Entry, ProcedureError> {
        p.check().map_err(ProcedureError::Invalid)?;
        let mut tx = self.db.begin().await?;
        if store::get(&mut tx, &p.code).await?.is_some() {
            return Err(ProcedureError::Conflict(format!("Thủ tục mã {} đã có.", p.code)));
        }
        self.write(&mut tx, actor, p, status, 1, "create").await?;
        tx.commit().await?;
        if status == Status::Published {
            self.reindex().await?;
        }
        self.get(&p.code).await?.ok_or_else(|| ProcedureError::NotFound(p.code.clone()))
    }

    /// Replaces a procedure's content (its code stays); a published one stays published.
    /// With `expected`, refuses when someone else saved a version since it was read.
    #[tracing::instrument(skip(self, actor, p))]
    pub async fn update(
        &self,
        actor: &str,
        code: &str,
        p: &Procedure,
        expected: Option<i64>,
    ) -> Result<Entry, ProcedureError> {
        p.check().map_err(ProcedureError::Invalid)?;
        if p.code != code {
            return Err(ProcedureError::Invalid(vec![FieldError {
                field: "/code".into(),
                message: "Không đổi được mã thủ tục; hãy tạo thủ tục mới và bãi bỏ thủ tục cũ."
                    .into(),
            }]));
        }
        let mut tx = self.db.begin().await?;
        let Some(row) = store::get(&mut tx, code).await? else {
            return Err(ProcedureError::NotFound(code.into()));
        };
        let old = parse(&row)?;
        if old.status == Status::Retired {
            return Err(ProcedureError::Conflict("Thủ tục đã bãi bỏ không sửa được.".into()));
        }
        if expected.is_some_and(|v| v != row.version) {
            return Err(ProcedureError::Conflict(format!(
                "Thủ tục đã được {} sửa lúc {} (phiên bản {}) sau khi bạn mở; hãy mở lại để xem thay đổi của họ.",
                row.updated_by, row.updated_at, row.version
            )));
        }
        self.write(&mut tx, actor, p, old.status, row.version + 1, "update").await?;
        tx.commit().await?;
        self.reindex().await?;
        self.get(code).await?.ok_or_else(|| ProcedureError::NotFound(code.into()))
    }

    /// The search synonyms in force, by term: the built-in ones as the administrators left
    /// them, and theirs.
    pub async fn synonyms(&self) -> Result<Vec<SynonymEntry>, ProcedureError> {
        let mut all: BTreeMap<String, SynonymEntry> = BUILT_IN_SYNONYMS
            .iter()
            .map(|(t, e)| {
                let entry = SynonymEntry {
                    term: (*t).into(),
                    expansion: (*e).into(),
                    built_in: true,
                    changed: None,
                };
                ((*t).to_string(), entry)
            })
            .collect();
        for r in store::synonyms(&self.db).await? {
            if r.expansion.is_empty() {
                all.remove(&r.term);
                continue;
            }
            let built_in = all.get(&r.term).is_some_and(|e| e.built_in);
            let changed = Some((r.updated_by, r.updated_at));
            all.insert(
                r.term.clone(),
                SynonymEntry { term: r.term, expansion: r.expansion, built_in, changed },
            );
        }
        Ok(all.into_values().collect())
    }

    /// Adds a search synonym, or changes what its term stands for (audited); the search uses
    /// it at once. The term is stored folded, as the search compares it.
    #[tracing::instrument(skip(self, actor))]
    pub async fn set_synonym(
        &self,
        actor: &str,
        term: &str,
        expansion: &str,
    ) -> Result<(), ProcedureError> {
        let mut errors = Vec::new();
        let folded = cqdt_platform::web::fold(term.trim());
        let field = |f: &str, m: &str| FieldError { field: f.into(), message: m.into() };
        if Synonym::new(term, "x").is_none() || folded.chars().count() > 60 {
            errors.push(field(
                "term",
                "Nhập từ viết tắt hoặc cách gọi thường dùng (tối đa 60 ký tự).",
            ));
        }
        let expansion = expansion.trim();
        if Synonym::new("x", expansion).is_none() || expansion.chars().count() > 200 {
            errors.push(field("expansion", "Nhập các từ có trong tên thủ tục (tối đa 200 ký tự)."));
        }
        if !errors.is_empty() {
            return Err(ProcedureError::Invalid(errors));
        }
        let term = folded.split_whitespace().collect::<Vec<_>>().join(" ");
        let row = SynonymRow {
            term: term.clone(),
            expansion: expansion.to_string(),
            updated_at: format_ts(self.clock.now()),
            updated_by: actor.to_string(),
        };
        let mut tx = self.db.begin().await?;
        store::put_synonym(&mut tx, &row).await?;
        let event = AuditEvent::new(actor, "procedure.synonym_set", "search_synonym")
            .object(term)
            .details(json!({"expansion": expansion}));
        self.audit.record(&mut tx, event).await?;
        tx.commit().await?;
        self.reindex().await
    }

    /// Removes a search synonym (audited); a built-in one stays removed.
    #[tracing::instrument(skip(self, actor))]
    pub async fn delete_synonym(&self, actor: &str, term: &str) -> Result<(), ProcedureError> {
        let built_in = BUILT_IN_SYNONYMS.iter().any(|(t, _)| *t == term);
        let mut tx = self.db.begin().await?;
        let removed = if built_in {
            // An empty expansion keeps the built-in term out of the list.
            let row = SynonymRow {
                term: term.into(),
                expansion: String::new(),
                updated_at: format_ts(self.clock.now()),
                updated_by: actor.into(),
            };
            store::put_synonym(&mut tx, &row).await?;
            true
        } else {
            store::delete_synonym(&mut tx, term).await?
        };
        if !removed {
            return Err(ProcedureError::NotFound(format!("từ đồng nghĩa “{term}”")));
        }
        let event =
            AuditEvent::new(actor, "procedure.synonym_delete", "search_synonym").object(term);
        self.audit.record(&mut tx, event).await?;
        tx.commit().await?;
        self.reindex().await
    }

    /// Publishes a draft, retires a procedure, or reinstates a retired one (audited).
    /// Retired procedures take no new dossiers until they are reinstated.
    #[tracing::instrument(skip(self, actor))]
    pub async fn set_status(
        &self,
        actor: &str,
        code: &str,
        status: Status,
    ) -> Result<Entry, ProcedureError> {
        let mut tx = self.db.begin().await?;
        let Some(row) = store::get(&mut tx, code).await? else {
            return Err(ProcedureError::NotFound(code.into()));
        };
        let old = parse(&row)?;
        let allowed = matches!(
            (old.status, status),
            (Status::Draft | Status::Retired, Status::Published)
                | (Status::Published | Status::Draft, Status::Retired)
        );
        if !allowed {
            return Err(ProcedureError::Conflict(format!(
                "Không chuyển được thủ tục từ “{}” sang “{}”.",
                old.status.label(),
                status.label()
            )));
        }
        let action = match (old.status, status) {
            (Status::Retired, _) => "reinstate",
            (_, Status::Published) => "publish",
            _ => "retire",
        };
        self.write(&mut tx, actor, &old.procedure, status, row.version + 1, action).await?;
        tx.commit().await?;
        self.reindex().await?;
        self.get(code).await?.ok_or_else(|| ProcedureError::NotFound(code.into()))
    }

    /// Imports procedures all or nothing: new codes are created, existing ones updated; with
    /// `publish`, drafts become published. Errors name the item (`/3/name`).
    #[tracing::instrument(skip_all, fields(items = items.len(), publish))]
    pub async fn import(
        &self,
        actor: &str,
        items: &[Procedure],
        publish: bool,
    ) -> Result<usize, ProcedureError> {
        let errors = check_import(items);
        if !errors.is_empty() {
            return Err(ProcedureError::Invalid(errors));
        }
        let mut tx = self.db.begin().await?;
        for (i, p) in items.iter().enumerate() {
            let existing = store::get(&mut tx, &p.code).await?;
            let (status, version) = match &existing {
                Some(r) => {
                    let old = parse(r)?;
                    if old.status == Status::Retired {
                        return Err(ProcedureError::Invalid(vec![FieldError {
                            field: format!("/{i}/code"),
                            message: format!("Thủ tục {} đã bãi bỏ, không nhập đè được.", p.code),
                        }]));
                    }
                    (old.status, r.version + 1)
                }
                None => (Status::Draft, 1),
            };
            let status = if publish { Status::Published } else { status };
            self.write(&mut tx, actor, p, status, version, "import").await?;
        }
        tx.commit().await?;
        self.reindex().await?;
        Ok(items.len())
    }

    /// Imports a workbook (the layout of [`crate::xlsx`]) the way [`Self::import`] imports
    /// JSON: all or nothing, every error naming the sheet, row and column to fix.
    #[tracing::instrument(skip_all, fields(bytes = bytes.len(), publish))]
    pub async fn import_xlsx(
        &self,
        actor: &str,
        bytes: &[u8],
        publish: bool,
    ) -> Result<usize, ProcedureError> {
        let catalog = xlsx::read(bytes, check_import).map_err(ProcedureError::Invalid)?;
        match self.import(actor, &catalog.procedures, publish).await {
            Err(ProcedureError::Invalid(errors)) => {
                Err(ProcedureError::Invalid(catalog.locate(errors)))
            }
            other => other,
        }
    }

    /// Every procedure that is not retired, as a workbook (the layout of [`crate::xlsx`]).
    #[tracing::instrument(skip_all)]
    pub async fn export_xlsx(&self) -> Result<Vec<u8>, ProcedureError> {
        let entries: Vec<Entry> =
            self.list(None).await?.into_iter().filter(|e| e.status != Status::Retired).collect();
        xlsx::write(&entries).map_err(|e| ProcedureError::Corrupt("xlsx".into(), e.to_string()))
    }

    /// Every procedure that is not retired, for export.
    #[tracing::instrument(skip_all)]
    pub async fn export(&self) -> Result<Vec<Procedure>, ProcedureError> {
        Ok(self
            .list(None)
            .await?
            .into_iter()
            .filter(|e| e.status != Status::Retired)
            .map(|e| e.procedure)
            .collect())
    }
}
