//! Unit tests of the workbook layout.

use super::*;
use crate::model::Status;
use crate::seed::demo_procedures;

fn entries(items: Vec<Procedure>) -> Vec<Entry> {
    items
        .into_iter()
        .map(|procedure| Entry {
            procedure,
            status: Status::Published,
            version: 1,
            updated_at: String::new(),
        })
        .collect()
}

fn none(_: &[Procedure]) -> Vec<FieldError> {
    Vec::new()
}

#[test]
fn the_demo_catalog_reads_back_equal_from_its_workbook() {
    let items = demo_procedures().expect("seed");
    let bytes = write(&entries(items.clone())).expect("write");
    let catalog = read(&bytes, none).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(catalog.procedures.len(), items.len());
    for (a, b) in catalog.procedures.iter().zip(&items) {
        assert_eq!(a, b, "{}", b.code);
    }
}

/// A workbook made of the demo catalog with some cells changed.
fn edited(change: impl Fn(&mut Vec<Sheet>)) -> Vec<u8> {
    let items = demo_procedures().expect("seed");
    let bytes = write(&entries(items)).expect("write");
    let book = xlsx::read(&bytes).expect("read");
    let mut sheets = book.to_sheets();
    change(&mut sheets);
    xlsx::write(&sheets).expect("write")
}

#[test]
fn unreadable_cells_name_their_sheet_row_and_column() {
    let bytes = edited(|s| {
        s[0].rows[2][6] = Cell::from("Cấp thôn"); // levels, row 4
        s[2].rows[0][3] = Cell::from("Hình ảnh"); // e-form type, row 2
        s[3].rows[1][0] = Cell::from("9.999999.000.00.00.H51"); // fee of no procedure
    });
    let errors = read(&bytes, none).err().expect("errors");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["'Thủ tục'!G4", "'Biểu mẫu điện tử'!D2", "'Phí, lệ phí'!A3"],
        "{errors:?}"
    );
    assert!(errors[0]
        .message
        .starts_with("Trang “Thủ tục”, dòng 4, cột “Cấp thực hiện”: “Cấp thôn”"));
}

#[test]
fn a_checks_pointer_becomes_the_cell_to_fix() {
    let bytes = edited(|_| {});
    let catalog = read(&bytes, none).unwrap_or_else(|e| panic!("{e:?}"));
    let located = catalog.locate(vec![
        FieldError {
            field: "/1/form/2/key".into(),
            message: "Khoá trường chỉ gồm chữ thường.".into(),
        },
        FieldError {
            field: "/0/processing_time/amount".into(),
            message: "Thời hạn giải quyết từ 1 đến 365.".into(),
        },
        FieldError { field: "/0/field".into(), message: "Cần mã và tên lĩnh vực.".into() },
    ]);
    let first_form_rows = catalog.procedures[0].form.len() as u32;
    assert_eq!(located[0].field, format!("'Biểu mẫu điện tử'!B{}", first_form_rows + 2 + 2));
    assert_eq!(located[1].field, "'Thủ tục'!K2");
    assert_eq!(located[2].field, "'Thủ tục'!E2");
    assert!(located[1].message.starts_with("Trang “Thủ tục”, dòng 2, cột “Thời hạn giải quyết”:"));
}

#[test]
fn headers_are_matched_by_name_and_unknown_ones_refused() {
    let bytes = edited(|s| {
        s[0].columns.swap(0, 3);
        for r in &mut s[0].rows {
            r.swap(0, 3);
        }
        s[1].columns[6].header = "ghi chu".into(); // no diacritics: still “Ghi chú”
        s[3].columns[3].header = "Miễn giảm".into();
    });
    let errors = read(&bytes, none).err().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "'Phí, lệ phí'!D1");
}

#[test]
fn spellings_people_type_are_accepted() {
    assert_eq!(pick(LEVELS, "cap xa"), Some(Level::Xa));
    assert_eq!(pick(LEVELS, "Cấp  HUYỆN "), Some(Level::Huyen));
    // Decomposed diacritics, as some keyboards type them.
    let decomposed = "Ca\u{302}\u{301}p huye\u{302}\u{323}n";
    assert_eq!(pick(LEVELS, decomposed), Some(Level::Huyen));
    assert_eq!(pick(UNITS, "working_days"), Some(TimeUnit::WorkingDays));
    assert_eq!(pick(TYPES, "so dinh danh ca nhan"), Some(FieldType::PersonalId));
    assert_eq!(key_of_flag("X"), Some(true));
    assert_eq!(key_of_flag("không"), Some(false));
}
