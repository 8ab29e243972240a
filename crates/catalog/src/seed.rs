//! The built-in catalogs, shipped in the binary (crates/catalog/seed, made and checked by
//! tools/catalog-seed; provenance in crates/catalog/seed/README.md) and loaded into an empty
//! database in one transaction.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use cqdt_audit::AuditEvent;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::model::{CatalogMeta, CodeKind, EntryInput, FieldDef, FieldType};
use crate::service::{CatalogError, CatalogService};
use crate::store;

const UNITS_2025_03: &str = include_str!("../seed/admin-units-2025-03-01.json");
const UNITS_2025_07_ST: &str = include_str!("../seed/admin-units-2025-07-01-soc-trang.json");
const AGENCIES: &str = include_str!("../seed/agencies-soc-trang.json");
const CATALOGS: &str = include_str!("../seed/catalogs.json");
const UNITS_SOURCE: &str =
    "Tổng cục Thống kê, Danh mục hành chính (qua daohoangson/dvhcvn), dữ liệu ngày 01/3/2025";
const AGENCIES_SOURCE: &str = "Kiến trúc CQĐT tỉnh Sóc Trăng 2.0 (Bảng 3) và danh mục hành chính; mã theo QĐ 20/2020/QĐ-TTg. Chỉ mã 000.00.00.H51 là mã thật; các mã khác là mẫu đúng định dạng.";

#[derive(Deserialize)]
struct Unit {
    code: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    parent: Option<String>,
}

#[derive(Deserialize)]
struct UnitsFile {
    effective: NaiveDate,
    source: String,
    units: Vec<Unit>,
    #[serde(default)]
    retired: Vec<String>,
    #[serde(default)]
    successors: Vec<Successor>,
}

#[derive(Deserialize)]
struct Successor {
    from: String,
    to: Vec<String>,
}

#[derive(Deserialize)]
struct Agency {
    code: String,
    name: String,
    short_name: String,
    kind: String,
    parent: Option<String>,
    admin_unit: Option<String>,
    sample: bool,
}

#[derive(Deserialize)]
struct SimpleCatalog {
    code: String,
    name: String,
    description: String,
    source: String,
    code_kind: CodeKind,
    fields: Vec<FieldDef>,
    entries: Vec<SimpleEntry>,
}

#[derive(Deserialize)]
struct SimpleEntry {
    code: String,
    name: String,
    data: Map<String, Value>,
}

/// What was loaded: catalog code and entry count.
pub type SeedReport = Vec<(String, usize)>;

fn bad_seed(e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Conflict(format!("built-in catalog data is damaged: {e}"))
}

fn paths(units: &[(String, Option<String>)]) -> HashMap<String, String> {
    let parent: HashMap<&str, Option<&str>> = units
        .iter()
        .map(|(c, p)| (c.as_str(), p.as_deref()))
        .collect();
    let mut out = HashMap::new();
    for (code, _) in units {
        let mut chain = vec![code.as_str()];
        let mut cur = code.as_str();
        while let Some(Some(p)) = parent.get(cur) {
            if chain.len() > 16 || chain.contains(p) {
                break;
            }
            chain.push(p);
            cur = p;
        }
        chain.reverse();
        out.insert(code.clone(), chain.join("/"));
    }
    out
}

/// Loads the national catalogs and, with `demo`, the demo province's agencies; skips catalogs
/// that already exist.
pub async fn load_builtin(
    svc: &CatalogService,
    demo: bool,
    actor: &str,
) -> Result<SeedReport, CatalogError> {
    let existing: HashSet<String> = svc
        .catalogs()
        .await?
        .into_iter()
        .map(|(m, _)| m.code)
        .collect();
    let mut report = Vec::new();
    let mut tx = svc.db().begin().await?;
    let now = svc.now();

    let simple: Vec<SimpleCatalog> = serde_json::from_str(CATALOGS).map_err(bad_seed)?;
    for c in simple.into_iter().filter(|c| !existing.contains(&c.code)) {
        let meta = CatalogMeta {
            code: c.code.clone(),
            name: c.name,
            description: c.description,
            source: c.source,
            fields: c.fields,
            code_kind: c.code_kind,
            builtin: true,
        };
        store::insert_catalog(&mut tx, &meta, &now).await?;
        let inputs: Vec<EntryInput> = c
            .entries
            .into_iter()
            .map(|e| EntryInput {
                code: e.code,
                name: e.name,
                parent: None,
                data: e.data,
                valid_from: None,
                valid_to: None,
                sample: false,
            })
            .collect();
        let rows: Vec<(&EntryInput, String)> = inputs.iter().map(|e| (e, e.code.clone())).collect();
        svc.insert(&mut tx, &c.code, &rows, actor).await?;
        report.push((c.code, inputs.len()));
    }

    if !existing.contains("admin-units") {
        let v1: Vec<Unit> = serde_json::from_str(UNITS_2025_03).map_err(bad_seed)?;
        let v2: UnitsFile = serde_json::from_str(UNITS_2025_07_ST).map_err(bad_seed)?;
        let effective = v2.effective;
        let meta = CatalogMeta {
            code: "admin-units".into(),
            name: "Đơn vị hành chính".into(),
            description: "Tỉnh, huyện, xã theo mã của Tổng cục Thống kê, có phiên bản theo ngày hiệu lực và liên kết đơn vị kế thừa khi sắp xếp lại.".into(),
            source: format!("{UNITS_SOURCE}; từ 01/7/2025: {}", v2.source),
            fields: vec![
                FieldDef { name: "type".into(), label: "Loại đơn vị".into(), kind: FieldType::String, required: true },
                FieldDef { name: "level".into(), label: "Cấp".into(), kind: FieldType::Integer, required: false },
            ],
            code_kind: CodeKind::Gso,
            builtin: true,
        };
        store::insert_catalog(&mut tx, &meta, &now).await?;
        // Codes reused by a new unit end their old period on the effective date too.
        let reused: HashSet<&str> = v2.units.iter().map(|u| u.code.as_str()).collect();
        let retired: HashSet<&str> = v2
            .retired
            .iter()
            .map(String::as_str)
            .chain(reused.iter().copied())
            .collect();
        let p1 = paths(
            &v1.iter()
                .map(|u| (u.code.clone(), u.parent.clone()))
                .collect::<Vec<_>>(),
        );
        let p2 = paths(
            &v2.units
                .iter()
                .map(|u| (u.code.clone(), u.parent.clone()))
                .collect::<Vec<_>>(),
        );
        let mut inputs = Vec::with_capacity(v1.len() + v2.units.len());
        for (units, ps, from) in [(&v1, &p1, None), (&v2.units, &p2, Some(effective))] {
            for Unit {
                code,
                name,
                kind,
                parent,
            } in units.iter()
            {
                let path = ps.get(code).cloned().unwrap_or_else(|| code.clone());
                let level = path.split('/').count();
                let mut data = Map::new();
                data.insert("type".into(), json!(kind));
                data.insert("level".into(), json!(level));
                let valid_to =
                    (from.is_none() && retired.contains(code.as_str())).then_some(effective);
                inputs.push((
                    EntryInput {
                        code: code.clone(),
                        name: name.clone(),
                        parent: parent.clone(),
                        data,
                        valid_from: from,
                        valid_to,
                        sample: false,
                    },
                    path,
                ));
            }
        }
        let rows: Vec<(&EntryInput, String)> = inputs.iter().map(|(e, p)| (e, p.clone())).collect();
        svc.insert(&mut tx, "admin-units", &rows, actor).await?;
        let mut links: Vec<(String, String)> = v2
            .successors
            .iter()
            .flat_map(|s| s.to.iter().map(|t| (s.from.clone(), t.clone())))
            .collect();
        for code in reused
            .iter()
            .filter(|c| !v2.retired.iter().any(|r| r == *c))
        {
            links.push((code.to_string(), code.to_string()));
        }
        store::insert_successors(&mut tx, "admin-units", &links, effective).await?;
        report.push(("admin-units".into(), inputs.len()));
    }

    if demo && !existing.contains("agencies") {
        let agencies: Vec<Agency> = serde_json::from_str(AGENCIES).map_err(bad_seed)?;
        let meta = CatalogMeta {
            code: "agencies".into(),
            name: "Cơ quan, đơn vị".into(),
            description: "Cơ quan, đơn vị của tỉnh với mã định danh điện tử theo QĐ 20/2020/QĐ-TTg, phân cấp từ UBND tỉnh đến UBND xã.".into(),
            source: AGENCIES_SOURCE.into(),
            fields: vec![
                FieldDef { name: "short_name".into(), label: "Tên viết tắt".into(), kind: FieldType::String, required: false },
                FieldDef { name: "kind".into(), label: "Loại cơ quan".into(), kind: FieldType::String, required: true },
                FieldDef { name: "admin_unit".into(), label: "Mã đơn vị hành chính".into(), kind: FieldType::String, required: false },
            ],
            code_kind: CodeKind::Agency,
            builtin: true,
        };
        store::insert_catalog(&mut tx, &meta, &now).await?;
        let ps = paths(
            &agencies
                .iter()
                .map(|a| (a.code.clone(), a.parent.clone()))
                .collect::<Vec<_>>(),
        );
        let inputs: Vec<(EntryInput, String)> = agencies
            .into_iter()
            .map(|a| {
                let mut data = Map::new();
                data.insert("short_name".into(), json!(a.short_name));
                data.insert("kind".into(), json!(a.kind));
                if let Some(u) = a.admin_unit {
                    data.insert("admin_unit".into(), json!(u));
                }
                let path = ps.get(&a.code).cloned().unwrap_or_else(|| a.code.clone());
                (
                    EntryInput {
                        code: a.code,
                        name: a.name,
                        parent: a.parent,
                        data,
                        valid_from: None,
                        valid_to: None,
                        sample: a.sample,
                    },
                    path,
                )
            })
            .collect();
        let rows: Vec<(&EntryInput, String)> = inputs.iter().map(|(e, p)| (e, p.clone())).collect();
        svc.insert(&mut tx, "agencies", &rows, actor).await?;
        report.push(("agencies".into(), inputs.len()));
    }

    for (code, n) in &report {
        svc.audit()
            .record(
                &mut tx,
                AuditEvent::new(actor, "catalog.seed", "catalog")
                    .object(code.clone())
                    .details(json!({"entries": n})),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(report)
}
