//! Unit tests of the catalog model.

use super::*;

fn agencies() -> CatalogMeta {
    CatalogMeta {
        code: "agencies".into(),
        name: "Cơ quan".into(),
        description: String::new(),
        source: String::new(),
        fields: vec![FieldDef {
            name: "kind".into(),
            label: "Loại".into(),
            kind: FieldType::String,
            required: true,
        }],
        code_kind: CodeKind::Agency,
        builtin: true,
    }
}

/// A row as read from a file: column name to text.
fn cells(cells: &[(&str, &str)]) -> RawRow {
    cells.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect()
}

#[test]
fn agency_codes_follow_the_national_format() {
    for good in ["000.00.00.H51", "000.18.29.H51", "123.45.67.K51"] {
        let c = AgencyCode::parse(good).expect(good);
        assert_eq!(c.to_string(), good);
    }
    assert_eq!(AgencyCode::parse("000.00.41.H51").map(|c| c.top().to_string()), Ok("H51".into()));
    for (bad, why) in [
        ("000.0A.00.H51", "phần Z1Z2 “0A”"),
        ("00.00.00.H51", "phần V1V2V3 “00”"),
        ("000.00.0.H51", "phần Y1Y2 “0”"),
        ("000.00.00.h51", "phần MX1X2 “h51”"),
        ("000.00.00.H5", "phần MX1X2 “H5”"),
        ("000.00.00", "có 3"),
        ("000-00-00-H51", "có 1"),
        ("000.00.00.H51 ", "khoảng trắng"),
        ("", "để trống"),
    ] {
        let e = AgencyCode::parse(bad).expect_err(bad);
        assert!(e.contains("QĐ 20/2020") && e.contains(why), "{bad}: {e}");
    }
    let parsed: Result<AgencyCode, _> = serde_json::from_str("\"000.00.01.H51\"");
    assert!(parsed.is_ok());
    let refused: Result<AgencyCode, _> = serde_json::from_str("\"000.00.01\"");
    assert!(refused.is_err());
}

#[test]
fn catalog_codes_are_url_safe_slugs() {
    assert!(CatalogCode::parse("admin-units").is_ok());
    for bad in ["", "Admin", "a b", "-x", "đơn-vị", "a/b"] {
        assert!(CatalogCode::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn gso_and_iso_codes_are_checked() {
    assert!(
        CodeKind::Gso.check("94").is_ok()
            && CodeKind::Gso.check("941").is_ok()
            && CodeKind::Gso.check("31471").is_ok()
    );
    assert!(CodeKind::Gso.check("9411").is_err() && CodeKind::Gso.check("94a").is_err());
    assert!(CodeKind::IsoAlpha2.check("VN").is_ok() && CodeKind::IsoAlpha2.check("vn").is_err());
    assert!(CodeKind::Text.check("a b").is_err() && CodeKind::Text.check("").is_err());
}

#[test]
fn a_csv_row_with_a_bad_code_is_reported_with_its_row_number() {
    let csv = "\u{feff}code,name,parent,kind\n000.00.01.H51,Sở Nội vụ,000.00.00.H51,department\n000.0A.00.H51,Sở Lỗi,,department\n";
    let rows = read_csv(csv.as_bytes()).expect("csv");
    assert!(check_row(&agencies(), 1, &rows[0]).is_ok());
    let errors = check_row(&agencies(), 2, &rows[1]).expect_err("bad");
    assert_eq!(errors[0].row, 2);
    let text = errors[0].to_string();
    assert!(
        text.starts_with("Dòng 2: mã cơ quan “000.0A.00.H51” không đúng định dạng QĐ 20/2020"),
        "{text}"
    );
}

#[test]
fn csv_files_may_use_semicolons_a_bom_and_any_header_case() {
    let rows = read_csv("\u{feff}Code;Name;Kind\n000.00.01.H51;Sở Nội vụ;department\n".as_bytes())
        .expect("csv");
    assert_eq!(rows[0]["code"], "000.00.01.H51");
    assert_eq!(rows[0]["name"], "Sở Nội vụ");
}

#[test]
fn broken_csv_files_are_refused_with_a_reason() {
    let e = read_csv(b"code,name,code\n1,a,1\n").expect_err("duplicate header");
    assert!(e.message.contains("hai lần"), "{}", e.message);
    let e = read_csv(b"code,name\n1,a\n2,b,c\n").expect_err("ragged");
    assert_eq!(e.row, 2);
    assert!(e.message.contains("có 3 cột"), "{}", e.message);
    let e = read_csv(b"code,name\n1,\xff\xfe\n").expect_err("latin-1");
    assert!(e.message.contains("UTF-8"), "{}", e.message);
    let e = read_csv(b"ma,ten\n1,a\n").expect_err("no code column");
    assert!(e.message.contains("“code”"), "{}", e.message);
}

#[test]
fn dates_in_rows_take_both_vietnamese_and_iso_forms() {
    let mut raw = cells(&[
        ("code", "000.00.02.H51"),
        ("name", "Sở Tư pháp"),
        ("kind", "department"),
        ("valid_from", "01/07/2025"),
        ("valid_to", "2026-01-01"),
    ]);
    let e = check_row(&agencies(), 1, &raw).expect("ok");
    assert_eq!(e.valid_from, parse_date("2025-07-01"));
    assert_eq!(e.valid_to, parse_date("01/01/2026"));
    raw.insert("valid_from".into(), "31/02/2025".into());
    let errors = check_row(&agencies(), 4, &raw).expect_err("bad date");
    assert_eq!(
        errors[0].to_string(),
        "Dòng 4: ngày “31/02/2025” không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)"
    );
}

#[test]
fn required_fields_types_dates_and_unknown_columns_are_checked() {
    let raw = cells(&[
        ("code", "000.00.02.H51"),
        ("name", "Sở Tư pháp"),
        ("valid_from", "01/07/2025"),
        ("valid_to", "2025-01-01"),
        ("colour", "red"),
    ]);
    let errors = check_row(&agencies(), 5, &raw).expect_err("bad");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["valid_to", "kind", "colour"]);
}

#[test]
fn json_rows_may_carry_extra_fields_under_data() {
    let rows = read_json(
        br#"[{"code":"000.00.03.H51","name":"S\u1edf Y t\u1ebf","data":{"kind":"department"}}]"#,
    )
    .expect("json");
    let e = check_row(&agencies(), 1, &rows[0]).expect("ok");
    assert_eq!(e.data.get("kind"), Some(&Value::String("department".into())));
    assert!(read_json(b"{\"x\":1}").is_err());
    assert_eq!(read_json(b"[{},1]").expect_err("not an object").row, 2);
    let wrapped = read_json(br#"{"entries":[{"code":"x","name":"y"}]}"#).expect("wrapped");
    assert_eq!(wrapped.len(), 1);
}

#[test]
fn validity_follows_the_effective_dates() {
    let d = |s| parse_date(s).expect("date");
    let e = Entry {
        id: 1,
        code: "941".into(),
        name: "Thành phố Sóc Trăng".into(),
        parent: Some("94".into()),
        path: "94/941".into(),
        level: 2,
        data: Map::new(),
        valid_from: None,
        valid_to: Some(d("2025-07-01")),
        sample: false,
        recorded_at: String::new(),
        recorded_by: String::new(),
        superseded_at: None,
        superseded_by: None,
    };
    assert!(e.valid_on(d("2025-06-30")));
    assert!(!e.valid_on(d("2025-07-01")));
    assert_eq!(e.validity(d("2026-11-25")), Validity::Retired);
}
