//! Unit tests of the editor form.

use super::*;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn good() -> Vec<(String, String)> {
    pairs(&[
        ("code", "1.001193.000.00.00.H51"),
        ("national_code", "1.001193"),
        ("name", "Thủ tục đăng ký khai sinh"),
        ("field_code", "HT"),
        ("field_name", "Hộ tịch"),
        ("level", "xa"),
        ("online_level", "full"),
        ("time_amount", "1"),
        ("time_unit", "working_days"),
        ("legal_basis", "Luật Hộ tịch 2014\n\n Nghị định 123/2015/NĐ-CP "),
        ("fee_0_name", "Lệ phí đăng ký khai sinh"),
        ("fee_0_amount", "8.000"),
        ("fee_1_name", ""),
        ("fee_1_amount", ""),
        ("comp_0_name", "Tờ khai đăng ký khai sinh"),
        ("comp_0_originals", "1"),
        ("comp_0_copies", "0"),
        ("comp_0_required", "on"),
        ("comp_1_name", "Giấy chứng sinh"),
        ("comp_1_originals", "1"),
        ("comp_1_delete", "on"),
        ("ff_0_key", "child_name"),
        ("ff_0_label", "Họ tên trẻ"),
        ("ff_0_kind", "text"),
        ("ff_0_required", "on"),
        ("ff_1_key", "gender"),
        ("ff_1_label", "Giới tính"),
        ("ff_1_kind", "choice"),
        ("ff_1_options", "Nam\r\nNữ\r\n"),
        ("ff_2_kind", "text"),
        ("version", "4"),
    ])
}

#[test]
fn a_filled_form_becomes_a_procedure_and_back() {
    let f = EditorForm::from_pairs(&good());
    let p = f.to_procedure().expect("valid");
    assert_eq!(p.fees.len(), 1, "the blank fee row is dropped");
    assert_eq!(p.fees[0].amount_vnd, 8_000);
    assert_eq!(p.components.len(), 1, "the row marked for deletion is dropped");
    assert!(p.components[0].required);
    assert_eq!(p.form.len(), 2, "a row with only its type chosen is blank");
    assert_eq!(p.form[1].options, ["Nam", "Nữ"]);
    assert_eq!(p.legal_basis, ["Luật Hộ tịch 2014", "Nghị định 123/2015/NĐ-CP"]);
    assert_eq!(f.expected_version(), Some(4));
    let mut again = EditorForm::from_procedure(&p, 4);
    assert_eq!(again.fees.len(), 1 + BLANK_ROWS);
    again.fees.truncate(1);
    again.components.truncate(1);
    again.fields.truncate(2);
    assert_eq!(again.to_procedure().expect("valid"), p);
}

#[test]
fn every_problem_names_the_input_to_fix() {
    let mut items = good();
    for (k, v) in items.iter_mut() {
        match k.as_str() {
            "time_amount" => *v = "mười".into(),
            "fee_0_amount" => *v = "8 nghìn".into(),
            "ff_1_options" => *v = String::new(),
            "ff_0_key" => *v = "Họ tên".into(),
            "national_code" => *v = "1.11".into(),
            _ => {}
        }
    }
    items.retain(|(k, _)| k != "level");
    let errors = EditorForm::from_pairs(&items).to_procedure().expect_err("invalid");
    let ids: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for id in
        ["time_amount", "fee_0_amount", "ff_1_options", "ff_0_key", "national_code", "level_tinh"]
    {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(errors.iter().all(|e| !e.message.is_empty()), "each error says what is wrong");
    let pos = |id: &str| ids.iter().position(|x| *x == id);
    assert!(pos("national_code") < pos("level_tinh"));
    assert!(pos("level_tinh") < pos("time_amount"));
    assert!(pos("time_amount") < pos("fee_0_amount"));
    assert!(pos("fee_0_amount") < pos("ff_0_key"));
    assert!(pos("ff_0_key") < pos("ff_1_options"), "in page order: {ids:?}");
}

#[test]
fn a_forged_row_index_cannot_grow_the_form_without_bound() {
    let mut items = good();
    items.push(("fee_99999999_name".into(), "x".into()));
    let f = EditorForm::from_pairs(&items);
    assert_eq!(f.fees.len(), 1);
}

#[test]
fn pointers_map_to_input_ids() {
    assert_eq!(input_id("/components/3/name"), "comp_3_name");
    assert_eq!(input_id("/form/0/min"), "ff_0_min");
    assert_eq!(input_id("/processing_time/amount"), "time_amount");
    assert_eq!(input_id("/name"), "name");
    assert_eq!(input_id("/field"), "field_code");
}
