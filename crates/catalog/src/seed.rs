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
    level: i64,
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

/// What was loaded: catalog code and entry count (versions included).
pub type SeedReport = Vec<(String, usize)>;

fn bad_seed(e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Internal(format!("built-in catalog data is damaged: {e}"))
}

fn paths(units: &[(String, Option<String>)]) -> HashMap<String, String> {
    let parent: HashMap<&str, Option<&str>> =
        units.iter().map(|(c, p)| (c.as_str(), p.as_deref())).collect();
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

/// One built-in catalog ready to load: metadata, rows with their paths, successor links.
struct Planned {
    meta: CatalogMeta,
    rows: Vec<(EntryInput, String)>,
    successors: Vec<(String, String)>,
    effective: Option<NaiveDate>,
}

fn simple_catalogs() -> Result<Vec<Planned>, CatalogError> {
    let simple: Vec<SimpleCatalog> = serde_json::from_str(CATALOGS).map_err(bad_seed)?;
    Ok(simple
        .into_iter()
        .map(|c| Planned {
            meta: CatalogMeta {
                code: c.code,
                name: c.name,
                description: c.description,
                source: c.source,
                fields: c.fields,
                code_kind: c.code_kind,
                builtin: true,
            }
            // The seed lists `code` and `name` first; they are columns, not data keys.
            .without_column_fields(),
            rows: c
                .entries
                .into_iter()
                .map(|e| {
                    let path = e.code.clone();
                    (
                        EntryInput {
                            code: e.code,
                            name: e.name,
                            parent: None,
                            data: e.data,
                            valid_from: None,
                            valid_to: None,
                            sample: false,
                        },
                        path,
                    )
                })
                .collect(),
            successors: Vec::new(),
            effective: None,
        })
        .collect())
}

fn admin_units() -> Result<Planned, CatalogError> {
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
            FieldDef { name: "level".into(), label: "Cấp (1 tỉnh, 2 huyện, 3 xã)".into(), kind: FieldType::Integer, required: false },
        ],
        code_kind: CodeKind::Gso,
        builtin: true,
    };
    // The seed's choice: retired units, and old units whose code a new unit takes over, are
    // loaded already ending on the effective date (valid_to), not closed by a later version.
    let reused: HashSet<&str> = v2.units.iter().map(|u| u.code.as_str()).collect();
    let retired: HashSet<&str> =
        v2.retired.iter().map(String::as_str).chain(reused.iter().copied()).collect();
    let p1 = paths(&v1.iter().map(|u| (u.code.clone(), u.parent.clone())).collect::<Vec<_>>());
    let p2 =
        paths(&v2.units.iter().map(|u| (u.code.clone(), u.parent.clone())).collect::<Vec<_>>());
    let mut rows = Vec::with_capacity(v1.len() + v2.units.len());
    for (units, ps, from) in [(&v1, &p1, None), (&v2.units, &p2, Some(effective))] {
        for u in units.iter() {
            let path = ps.get(&u.code).cloned().unwrap_or_else(|| u.code.clone());
            let mut data = Map::new();
            data.insert("type".into(), json!(u.kind));
            data.insert("level".into(), json!(u.level));
            let valid_to =
                (from.is_none() && retired.contains(u.code.as_str())).then_some(effective);
            rows.push((
                EntryInput {
                    code: u.code.clone(),
                    name: u.name.clone(),
                    parent: u.parent.clone(),
                    data,
                    valid_from: from,
                    valid_to,
                    sample: false,
                },
                path,
            ));
        }
    }
    let mut successors: Vec<(String, String)> = v2
        .successors
        .iter()
        .flat_map(|s| s.to.iter().map(|t| (s.from.clone(), t.clone())))
        .collect();
    // A unit that is not retired but whose code a new unit takes (92 Cần Thơ) continues as it.
    let mut continued: Vec<&&str> =
        reused.iter().filter(|c| !v2.retired.iter().any(|r| r == **c)).collect();
    continued.sort();
    for code in continued {
        successors.push((code.to_string(), code.to_string()));
    }
    Ok(Planned { meta, rows, successors, effective: Some(effective) })
}

fn agencies() -> Result<Planned, CatalogError> {
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
    let ps =
        paths(&agencies.iter().map(|a| (a.code.clone(), a.parent.clone())).collect::<Vec<_>>());
    let rows = agencies
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
    Ok(Planned { meta, rows, successors: Vec::new(), effective: None })
}

fn plan(demo: bool) -> Result<Vec<Planned>, CatalogError> {
    let mut out = simple_catalogs()?;
    out.push(admin_units()?);
    if demo {
        out.push(agencies()?);
    }
    Ok(out)
}

/// Loads the built-in national catalogs and, with `demo`, the demo province's agencies, in
/// one transaction with batched inserts; catalogs that already exist are skipped, so it is
/// safe to call again.
pub async fn load_builtin(
    svc: &CatalogService,
    demo: bool,
    actor: &str,
) -> Result<SeedReport, CatalogError> {
    let started = std::time::Instant::now();
    let planned = plan(demo)?;
    let mut tx = svc.db().begin().await?;
    let existing: HashSet<String> = store::catalog_codes(&mut tx).await?.into_iter().collect();
    let now = svc.now();
    let mut report = Vec::new();
    for p in planned.into_iter().filter(|p| !existing.contains(&p.meta.code)) {
        store::insert_catalog(&mut tx, &p.meta, &now).await?;
        let rows: Vec<(&EntryInput, String)> =
            p.rows.iter().map(|(e, path)| (e, path.clone())).collect();
        svc.insert(&mut tx, &p.meta.code, &rows, actor).await?;
        if let Some(effective) = p.effective {
            store::insert_successors(
                &mut tx,
                svc.db().backend(),
                &p.meta.code,
                &p.successors,
                effective,
            )
            .await?;
        }
        svc.audit()
            .record(
                &mut tx,
                AuditEvent::new(actor, "catalog.seed", "catalog")
                    .object(p.meta.code.clone())
                    .details(json!({"entries": p.rows.len(), "successors": p.successors.len()})),
            )
            .await?;
        report.push((p.meta.code, p.rows.len()));
    }
    tx.commit().await?;
    tracing::info!(
        catalogs = report.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "built-in catalogs loaded"
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::check_row;

    fn raw(e: &EntryInput) -> crate::model::RawRow {
        let mut r = Map::new();
        r.insert("code".into(), json!(e.code));
        r.insert("name".into(), json!(e.name));
        r.insert("parent".into(), json!(e.parent));
        r.insert("valid_from".into(), json!(e.valid_from));
        r.insert("valid_to".into(), json!(e.valid_to));
        r.insert("sample".into(), json!(e.sample));
        r.insert("data".into(), Value::Object(e.data.clone()));
        r
    }

    #[test]
    fn every_built_in_entry_passes_its_catalogs_own_checks() {
        let planned = plan(true).expect("seed data parses");
        assert_eq!(planned.len(), 9);
        for p in &planned {
            assert!(p.meta.check().is_ok(), "{}: {:?}", p.meta.code, p.meta.check());
            for (i, (e, path)) in p.rows.iter().enumerate() {
                let checked = check_row(&p.meta, i + 1, &raw(e))
                    .unwrap_or_else(|errs| panic!("{} {}: {errs:?}", p.meta.code, e.code));
                assert_eq!(&checked, e);
                assert!(path.ends_with(&e.code), "{path}");
            }
        }
    }

    #[test]
    fn admin_unit_levels_agree_with_the_hierarchy_and_counts_match_the_gso_list() {
        let units = admin_units().expect("units");
        let first: Vec<&(EntryInput, String)> =
            units.rows.iter().filter(|(e, _)| e.valid_from.is_none()).collect();
        let count = |l: i64| first.iter().filter(|(e, _)| e.data["level"] == l).count();
        assert_eq!((count(1), count(2), count(3)), (63, 696, 10_047));
        for (e, path) in &units.rows {
            if e.valid_from.is_none() {
                assert_eq!(e.data["level"], json!(path.split('/').count()), "{path}");
            } else if e.code != "92" {
                // From 2025-07-01 communes sit directly under the city: level 3, depth 2.
                assert_eq!((e.data["level"].as_i64(), path.split('/').count()), (Some(3), 2));
            }
        }
        assert_eq!(units.rows.len(), 10_806 + 44);
        assert!(units.successors.contains(&("94".into(), "92".into())));
        assert!(units.successors.contains(&("92".into(), "92".into())));
    }
}
