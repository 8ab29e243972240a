//! Unit tests of the procedure model.

use super::*;

fn sample() -> Procedure {
    serde_json::from_value(serde_json::json!({
        "code": "1.001193.000.00.00.H51",
        "national_code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "field": {"code": "HT", "name": "Hộ tịch"},
        "levels": ["xa"],
        "online_level": "full",
        "processing_time": {"amount": 1, "unit": "working_days"},
        "form": [{"key": "child_name", "label": "Họ tên trẻ", "type": "text", "required": true}]
    }))
    .expect("procedure")
}

/// An optional e-form field with no limits, options or hint.
fn optional_field(key: &str, label: &str, kind: FieldType) -> FormField {
    FormField {
        key: key.into(),
        label: label.into(),
        kind,
        required: false,
        catalog: None,
        options: vec![],
        max_length: None,
        min: None,
        max: None,
        hint: None,
    }
}

#[test]
fn a_result_template_may_name_only_the_form_and_the_dossier_facts() {
    let mut p = sample();
    p.result_template = "Xác nhận {{ child_name }} ({{ma_ho_so}}) ngày {{ngay}}.".into();
    assert_eq!(p.check(), Ok(()));
    let filled = fill_template(&p.result_template, &|k| match k {
        "child_name" => Some("Trần Gia Huy".into()),
        "ma_ho_so" => Some("HS-1".into()),
        _ => None,
    });
    assert_eq!(filled, "Xác nhận Trần Gia Huy (HS-1) ngày .");
    for bad in ["{{ten_me}}", "Xác nhận {{child_name", "{{họ tên}}"] {
        p.result_template = bad.into();
        let errors = p.check().expect_err(bad);
        assert!(errors.iter().any(|e| e.field == "/result_template"), "{bad}");
    }
    // Without a template, the default confirms the procedure and lists the e-form.
    p.result_template.clear();
    let t = p.result_template_or_default();
    assert!(t.contains("{{thu_tuc}}") && t.contains("- Họ tên trẻ: {{child_name}}"));
    assert_eq!(template_keys(&t).map(|k| k.len()), Ok(6));
}

#[test]
fn a_well_formed_procedure_passes_its_checks() {
    assert_eq!(sample().check(), Ok(()));
    assert_eq!(sample().time_text(), "1 ngày làm việc");
    assert_eq!(sample().fee_text(), "Không thu phí, lệ phí");
}

#[test]
fn every_problem_is_reported_with_its_pointer() {
    let mut p = sample();
    p.national_code = "1.11".into();
    p.levels.clear();
    p.form.push(p.form[0].clone());
    p.form.push(optional_field("Bad Key", "", FieldType::Choice));
    let errors = p.check().expect_err("invalid");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for f in [
        "/national_code",
        "/code",
        "/levels",
        "/form/1/key",
        "/form/2/key",
        "/form/2/label",
        "/form/2/options",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

#[test]
fn changes_name_each_part_that_differs() {
    let old = sample();
    let mut new = sample();
    assert!(changes(&old, &new).is_empty(), "no change, no entry");
    new.name = "Thủ tục đăng ký khai sinh có yếu tố nước ngoài".into();
    new.processing_time.amount = 3;
    new.form[0].required = false;
    new.form.push(optional_field("father_name", "Họ tên cha", FieldType::Text));
    let c = changes(&old, &new);
    let parts: Vec<&str> = c.iter().map(|c| c.part).collect();
    assert_eq!(parts, ["Tên", "Thời hạn giải quyết", "Trường của tờ khai"]);
    assert_eq!(c[1].detail, "1 ngày làm việc → 3 ngày làm việc");
    assert_eq!(c[2].detail, "thêm “father_name”; sửa “child_name”");
}

#[test]
fn field_types_and_units_round_trip_their_stored_form() {
    for t in FieldType::ALL {
        assert_eq!(FieldType::parse(t.as_str()), Some(t));
        let json = serde_json::to_value(t).expect("json");
        assert_eq!(json, serde_json::json!(t.as_str()));
    }
    for u in TimeUnit::ALL {
        assert_eq!(TimeUnit::parse(u.as_str()), Some(u));
        assert_eq!(serde_json::to_value(u).expect("json"), serde_json::json!(u.as_str()));
    }
}

#[test]
fn amounts_use_vietnamese_separators() {
    assert_eq!(vnd(200_000), "200.000 đồng");
    assert_eq!(vnd(5_000), "5.000 đồng");
    assert_eq!(vnd(1_500_000), "1.500.000 đồng");
    assert_eq!(vnd(0), "0 đồng");
}
