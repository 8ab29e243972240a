//! Changes to catalogs: create, update with history, end with successors, imports that are
//! all or nothing, exports that import again; every change audited.

use crate::common::{day, obj, Env};
use cqdt_catalog::{
    CatalogError, CatalogMeta, CodeKind, EntryFilter, EntryView, FieldDef, FieldType, Format,
    ImportReport, Validity,
};
use serde_json::{json, Value};

fn details(r: &cqdt_audit::AuditRecord) -> Value {
    serde_json::from_str(r.event.details.as_deref().unwrap_or("null")).expect("details json")
}

fn invalid(e: CatalogError) -> Vec<cqdt_catalog::RowError> {
    match e {
        CatalogError::Invalid(rows) => rows,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

/// The administrator's update of an entry's period in force, without a request id.
async fn update(
    env: &Env,
    catalog: &str,
    code: &str,
    body: Value,
) -> Result<EntryView, CatalogError> {
    env.svc.update("admin", "", catalog, code, None, &obj(body)).await
}

/// The administrator's new agency.
async fn create(env: &Env, request_id: &str, body: Value) -> Result<EntryView, CatalogError> {
    env.svc.create("admin", request_id, "agencies", &obj(body)).await
}

/// The administrator ends an agency on a day, naming its successors.
async fn end(
    env: &Env,
    code: &str,
    valid_to: &str,
    successors: &[&str],
) -> Result<EntryView, CatalogError> {
    let successors: Vec<String> = successors.iter().map(|s| s.to_string()).collect();
    env.svc.end("admin", "r", "agencies", code, day(valid_to), &successors).await
}

#[tokio::test]
async fn an_update_keeps_the_old_version_as_history_and_audits_the_changed_fields() {
    let env = Env::seeded().await;
    let code = "000.00.09.H51";
    let before = env.svc.lookup("agencies", code, None).await.expect("lookup").expect("exists");
    let updated = env
        .svc
        .update(
            "admin",
            "req-1",
            "agencies",
            code,
            None,
            &obj(
                json!({"name": "Sở Khoa học và Công nghệ (mới)", "data": {"short_name": "SKHCN"}}),
            ),
        )
        .await
        .expect("update");
    assert_eq!(updated.entry.name, "Sở Khoa học và Công nghệ (mới)");
    // Fields the update does not name keep their value.
    assert_eq!(updated.entry.data["kind"], before.data["kind"]);
    assert_eq!(updated.entry.parent, before.parent);
    assert_eq!(updated.entry.recorded_by, "admin");

    let history = env.svc.history("agencies", code).await.expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].entry.name, before.name);
    assert_eq!(history[0].entry.superseded_by, Some(updated.entry.id));
    assert!(history[0].entry.superseded_at.is_some());
    assert!(history[1].entry.superseded_at.is_none());
    // Lookups see only the new version.
    let page = env
        .svc
        .find("agencies", &EntryFilter { code: Some(code.into()), ..EntryFilter::default() }, 1, 10)
        .await
        .expect("find");
    assert_eq!(page.total, 1);

    let audits = env.audits("catalog.entry.update").await;
    assert_eq!(audits.len(), 1);
    let a = &audits[0].event;
    assert_eq!(a.actor, "admin");
    assert_eq!(a.request_id.as_deref(), Some("req-1"));
    assert_eq!(a.object_id.as_deref(), Some("agencies/000.00.09.H51"));
    let changes = &details(&audits[0])["changes"];
    assert_eq!(changes["name"][1], "Sở Khoa học và Công nghệ (mới)");
    assert_eq!(changes["data.short_name"][1], "SKHCN");
    assert!(changes.get("data.kind").is_none(), "{changes}");

    // The same input again changes nothing and writes nothing.
    let rows = env.entry_rows().await;
    env.svc
        .update(
            "admin",
            "req-2",
            "agencies",
            code,
            None,
            &obj(json!({"name": "Sở Khoa học và Công nghệ (mới)"})),
        )
        .await
        .expect("same");
    assert_eq!(env.entry_rows().await, rows);
    assert_eq!(env.audits("catalog.entry.update").await.len(), 1);
}

#[tokio::test]
async fn bad_input_is_refused_with_reasons_per_field_and_nothing_is_written() {
    let env = Env::seeded().await;
    let rows = env.entry_rows().await;
    let e = create(
        &env,
        "",
        json!({"code": "000.0A.00.H51", "name": "", "parent": "000.99.99.H51",
                        "valid_from": "01/07/2026", "valid_to": "2026-01-01"}),
    )
    .await
    .expect_err("invalid");
    let errors = invalid(e);
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["code", "name", "valid_to", "kind"], "{errors:?}");
    assert!(errors[0].message.contains("QĐ 20/2020"));

    // A parent that does not exist is named.
    let e = create(&env, "", json!({"code": "000.01.99.H51", "name": "Phòng thử", "parent": "000.00.99.H51", "kind": "other"}))
        .await
        .expect_err("no parent");
    let errors = invalid(e);
    assert_eq!(errors[0].field, "parent");
    assert!(errors[0].message.contains("000.00.99.H51"));

    // A parent below the entry itself would make a cycle.
    let e = update(&env, "agencies", "000.00.41.H51", json!({"parent": "000.01.41.H51"}))
        .await
        .expect_err("cycle");
    assert_eq!(invalid(e)[0].field, "parent");

    // A code cannot be renamed by an update.
    let e = update(&env, "agencies", "000.00.41.H51", json!({"code": "000.00.60.H51"}))
        .await
        .expect_err("rename");
    assert_eq!(invalid(e)[0].field, "code");

    // Types of the catalog's fields are checked.
    let e = update(&env, "admin-units", "31507", json!({"level": "ba"})).await.expect_err("type");
    assert_eq!(invalid(e)[0].field, "level");
    assert_eq!(env.entry_rows().await, rows);
    assert!(env.audits("catalog.entry").await.is_empty());
}

#[tokio::test]
async fn the_same_code_in_an_overlapping_period_is_a_conflict_but_a_later_period_is_allowed() {
    let env = Env::seeded().await;
    let e = create(&env, "", json!({"code": "000.00.09.H51", "name": "Trùng", "kind": "other"}))
        .await
        .expect_err("duplicate");
    assert!(matches!(e, CatalogError::Conflict(_)), "{e:?}");

    // End the unit on 01/03/2026 and give its code to a new one from that day.
    let ended = end(&env, "000.00.09.H51", "2026-03-01", &[]).await.expect("end");
    assert_eq!(ended.entry.valid_to, Some(day("2026-03-01")));
    assert_eq!(ended.status, Validity::Current, "still in force today (15/01/2026)");
    let again = create(
        &env,
        "r",
        json!({"code": "000.00.09.H51", "name": "Sở mới", "parent": "000.00.00.H51",
                        "kind": "department", "valid_from": "01/03/2026"}),
    )
    .await
    .expect("new period");
    assert_eq!(again.status, Validity::Future);
    let now = env.svc.entry("agencies", "000.00.09.H51", None).await.expect("entry");
    assert_eq!(now.entry.entry.valid_to, Some(day("2026-03-01")));
    assert_eq!(now.other_periods.len(), 1);
    let later =
        env.svc.entry("agencies", "000.00.09.H51", Some(day("2026-06-01"))).await.expect("entry");
    assert_eq!(later.entry.entry.name, "Sở mới");
    assert_eq!(later.entry.entry.path, "000.00.00.H51/000.00.09.H51");
}

#[tokio::test]
async fn ending_an_entry_links_its_successors_and_lookups_after_that_day_follow_them() {
    let env = Env::seeded().await;
    let e = end(&env, "000.00.08.H51", "2026-01-01", &["000.00.07.H51", "000.00.99.H51"])
        .await
        .expect_err("unknown successor");
    let errors = invalid(e);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "successors");

    let ended = end(&env, "000.00.08.H51", "2026-01-01", &["000.00.07.H51"]).await.expect("end");
    assert_eq!(ended.status, Validity::Retired);
    let detail = env.svc.entry("agencies", "000.00.08.H51", None).await.expect("entry");
    assert_eq!(detail.successors.len(), 1);
    assert_eq!(detail.resolved.len(), 1);
    assert_eq!(detail.resolved[0].entry.code, "000.00.07.H51");
    let predecessors =
        env.svc.entry("agencies", "000.00.07.H51", None).await.expect("entry").predecessors;
    assert_eq!(predecessors[0].code, "000.00.08.H51");
    let audits = env.audits("catalog.entry.end").await;
    assert_eq!(audits.len(), 1);
    assert_eq!(details(&audits[0])["successors"], json!(["000.00.07.H51"]));
    assert_eq!(details(&audits[0])["changes"]["valid_to"][1], "2026-01-01");
}

#[tokio::test]
async fn moving_an_entry_under_another_parent_moves_its_descendants() {
    let env = Env::seeded().await;
    // Huyện Kế Sách's committee (000.00.42.H51) goes under Sở Nội vụ (000.00.02.H51).
    let under = |ancestor: &'static str| EntryFilter {
        ancestor: Some(ancestor.into()),
        ..EntryFilter::default()
    };
    let children =
        env.svc.find("agencies", &under("000.00.42.H51"), 1, 100).await.expect("find").total;
    assert!(children > 0);
    let before_noi_vu =
        env.svc.find("agencies", &under("000.00.02.H51"), 1, 100).await.expect("find").total;
    let moved = update(&env, "agencies", "000.00.42.H51", json!({"parent": "000.00.02.H51"}))
        .await
        .expect("move");
    assert_eq!(moved.entry.path, "000.00.00.H51/000.00.02.H51/000.00.42.H51");
    assert_eq!(moved.entry.level, 3);
    let after_noi_vu =
        env.svc.find("agencies", &under("000.00.02.H51"), 1, 100).await.expect("find");
    assert_eq!(after_noi_vu.total, before_noi_vu + 1 + children);
    assert!(after_noi_vu
        .entries
        .iter()
        .filter(|e| e.entry.parent.as_deref() == Some("000.00.42.H51"))
        .all(|e| e.entry.level == 4));
    let audits = env.audits("catalog.entry.update").await;
    assert_eq!(details(&audits[0])["descendants_moved"], json!(children));
}

#[tokio::test]
async fn an_import_with_one_bad_agency_code_is_rejected_whole_naming_the_row_and_changes_nothing() {
    let env = Env::seeded().await;
    let rows = env.entry_rows().await;
    let csv = "code,name,parent,valid_from,valid_to,kind,short_name\n\
               000.00.30.H51,Sở Du lịch,000.00.00.H51,,,department,SDL\n\
               000.01.30.H51,Phòng Lữ hành,000.00.30.H51,01/07/2026,,other,\n\
               000.0A.31.H51,Sở Sai Mã,000.00.00.H51,,,department,SSM\n\
               000.00.32.H51,Ban Thiếu Loại,000.00.00.H51,,,,BTL\n\
               000.00.33.H51,Ban Sai Ngày,000.00.00.H51,30/02/2026,,other,\n";
    let e = env
        .svc
        .import("admin", "req-imp", "agencies", csv.as_bytes(), Format::Csv)
        .await
        .expect_err("rejected");
    let errors = invalid(e);
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text[0].starts_with("Dòng 3: mã cơ quan “000.0A.31.H51” không đúng định dạng QĐ 20/2020"),
        "{text:?}"
    );
    assert_eq!(
        errors.iter().map(|e| (e.row, e.field.as_str())).collect::<Vec<_>>(),
        [(3, "code"), (4, "kind"), (5, "valid_from")]
    );
    assert_eq!(env.entry_rows().await, rows);
    assert!(env.audits("catalog.import").await.is_empty());

    // JSON: the row number is the position in the array.
    let json = br#"[{"code":"000.00.30.H51","name":"S\u1edf Du l\u1ecbch","data":{"kind":"department"}},
                     {"code":"000.00.00.H52","name":"T\u1ec9nh kh\u00e1c","parent":"000.00.99.H51","kind":"other"}]"#;
    let errors = invalid(
        env.svc.import("admin", "", "agencies", json, Format::Json).await.expect_err("rejected"),
    );
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].row, errors[0].field.as_str()), (2, "parent"));
    assert!(errors[0].to_string().starts_with("Dòng 2: mã cha “000.00.99.H51”"));
    assert_eq!(env.entry_rows().await, rows);
}

#[tokio::test]
async fn a_good_import_inserts_new_codes_supersedes_changed_ones_skips_the_rest_and_is_audited_once(
) {
    let env = Env::seeded().await;
    // Parents may come after their children in the file.
    let csv = "\u{feff}code,name,parent,valid_from,valid_to,kind,short_name\n\
               000.01.30.H51,Phòng Quản lý lữ hành,000.00.30.H51,,,other,\n\
               000.00.30.H51,Sở Du lịch,000.00.00.H51,01/01/2026,,department,SDL\n\
               000.00.03.H51,Sở Tư pháp tỉnh Sóc Trăng,000.00.00.H51,,,department,Sở Tư pháp\n\
               000.00.05.H51,Sở Tài chính (đổi tên),000.00.00.H51,,,department,STC\n";
    let before = env.svc.history("agencies", "000.00.03.H51").await.expect("h");
    let report = env
        .svc
        .import("admin", "req-imp", "agencies", csv.as_bytes(), Format::Csv)
        .await
        .expect("import");
    assert_eq!(report, ImportReport { rows: 4, created: 2, updated: 1, unchanged: 1 });
    assert_eq!(
        env.svc.history("agencies", "000.00.03.H51").await.expect("h").len(),
        before.len(),
        "unchanged rows write nothing"
    );
    let renamed = env.svc.history("agencies", "000.00.05.H51").await.expect("h");
    assert_eq!(renamed.len(), 2);
    assert_eq!(renamed[1].entry.name, "Sở Tài chính (đổi tên)");
    let child = env.svc.entry("agencies", "000.01.30.H51", None).await.expect("child");
    assert_eq!(child.entry.entry.path, "000.00.00.H51/000.00.30.H51/000.01.30.H51");
    let new = env
        .svc
        .lookup("agencies", "000.00.30.H51", Some(day("2026-01-01")))
        .await
        .expect("lookup")
        .expect("in force");
    assert_eq!(new.valid_from, Some(day("2026-01-01")));

    let audits = env.audits("catalog.import").await;
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].event.request_id.as_deref(), Some("req-imp"));
    let d = details(&audits[0]);
    assert_eq!(d["created"]["count"], 2);
    assert_eq!(d["updated"]["codes"], json!(["000.00.05.H51"]));

    // The same file again changes nothing.
    let again =
        env.svc.import("admin", "", "agencies", csv.as_bytes(), Format::Csv).await.expect("again");
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 4));

    // A row whose period overlaps a stored period of the same code is refused.
    let overlap = "code,name,parent,valid_from,kind\n000.00.30.H51,Sở Du lịch 2,000.00.00.H51,01/06/2026,department\n";
    let errors = invalid(
        env.svc
            .import("admin", "", "agencies", overlap.as_bytes(), Format::Csv)
            .await
            .expect_err("overlap"),
    );
    assert_eq!(errors[0].row, 1);
    assert!(errors[0].message.contains("chồng lấn"), "{}", errors[0]);
}

#[tokio::test]
async fn an_export_imports_again_without_changes_on_every_built_in_catalog() {
    let env = Env::seeded().await;
    for (catalog, format) in [
        ("admin-units", Format::Csv),
        ("agencies", Format::Json),
        ("ethnic-groups", Format::Csv),
        ("nationalities", Format::Json),
    ] {
        let text = env.svc.export(catalog, format).await.expect("export");
        let report = env
            .svc
            .import("admin", "", catalog, text.as_bytes(), format)
            .await
            .unwrap_or_else(|e| panic!("{catalog}: {e:?}"));
        assert_eq!((report.created, report.updated), (0, 0), "{catalog}: {report:?}");
        assert!(report.unchanged > 0);
    }
    let csv = env.svc.export("admin-units", Format::Csv).await.expect("csv");
    assert!(csv.starts_with("code,name,parent,valid_from,valid_to,sample,type,level\n"));
    assert!(csv.contains("\n31507,Phường 6,941,,2025-07-01,false,Phường,3\n"));
    assert!(csv.contains("\n31507,Phường Sóc Trăng,92,2025-07-01,,false,Phường,3\n"));
    let mut out = Vec::new();
    env.svc.export_to("genders", Format::Json, &mut out).await.expect("to writer");
    let rows: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(rows.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_registered_catalog_checks_its_own_field_types_and_codes() {
    let env = Env::empty().await;
    let meta = CatalogMeta {
        code: "postal-codes".into(),
        name: "Mã bưu chính".into(),
        description: "Mã bưu chính quốc gia".into(),
        source: "thử".into(),
        fields: vec![
            FieldDef {
                name: "households".into(),
                label: "Số hộ".into(),
                kind: FieldType::Integer,
                required: false,
            },
            FieldDef {
                name: "opened".into(),
                label: "Ngày mở".into(),
                kind: FieldType::Date,
                required: false,
            },
            FieldDef {
                name: "rural".into(),
                label: "Nông thôn".into(),
                kind: FieldType::Boolean,
                required: true,
            },
        ],
        code_kind: CodeKind::Digits,
        builtin: false,
    };
    env.svc.register("admin", "", meta.clone()).await.expect("register");
    assert!(matches!(env.svc.register("admin", "", meta).await, Err(CatalogError::Conflict(_))));
    let csv = "code,name,households,opened,rural\n96000,Sóc Trăng,12,01/02/2003,0\n96A00,Sai,x,2003-13-01,có lẽ\n";
    let errors = invalid(
        env.svc
            .import("admin", "", "postal-codes", csv.as_bytes(), Format::Csv)
            .await
            .expect_err("bad row"),
    );
    assert_eq!(
        errors.iter().map(|e| (e.row, e.field.as_str())).collect::<Vec<_>>(),
        [(2, "code"), (2, "households"), (2, "opened"), (2, "rural")]
    );
    let good = "code,name,households,opened,rural\n96000,Sóc Trăng,12,01/02/2003,false\n";
    env.svc
        .import("admin", "", "postal-codes", good.as_bytes(), Format::Csv)
        .await
        .expect("import");
    let e = env.svc.lookup("postal-codes", "96000", None).await.expect("lookup").expect("exists");
    assert_eq!(e.data["households"], 12);
    assert_eq!(e.data["opened"], "2003-02-01");
    assert_eq!(e.data["rural"], false);
    assert_eq!(env.audits("catalog.create").await.len(), 1);
}

#[tokio::test]
async fn an_import_written_in_decomposed_unicode_is_stored_composed_and_found_either_way() {
    let env = Env::seeded().await;
    // "Sở Du lịch" with its tones as combining marks, as "Unicode tổ hợp" types them.
    let decomposed = "So\u{31b}\u{309} Du li\u{323}ch";
    let csv = format!(
        "code,name,parent,valid_from,valid_to,kind,short_name\n\
         000.00.30.H51,{decomposed},000.00.00.H51,,,department,SDL\n"
    );
    env.svc
        .import("admin", "req-imp", "agencies", csv.as_bytes(), Format::Csv)
        .await
        .expect("import");
    let stored = env.svc.entry("agencies", "000.00.30.H51", None).await.expect("entry");
    assert_eq!(stored.entry.entry.name, "Sở Du lịch");
    for q in ["Sở Du lịch", decomposed, "so du lich"] {
        let filter = EntryFilter { q: Some(q.into()), ..EntryFilter::default() };
        let found = env.svc.find("agencies", &filter, 1, 50).await.expect("search");
        assert!(found.entries.iter().any(|e| e.entry.code == "000.00.30.H51"), "{q}");
    }
}
