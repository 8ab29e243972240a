//! The procedure catalog as a workbook a provincial official edits in Excel or LibreOffice:
//! one sheet of procedures, one row each, and one sheet each for dossier components, e-form
//! fields and fees, whose rows name their procedure by code. Rows read back into the same
//! [`Procedure`] values as the JSON import, and every error names its sheet, row and column.

use cqdt_platform::web::fold;
use cqdt_platform::xlsx::{self, column_name, Cell, Column, ReadSheet, Row, Sheet, XlsxError};
use cqdt_platform::FieldError;

use crate::model::{
    Component, Fee, Field, FieldType, FormField, Level, OnlineLevel, Procedure, ProcessingTime,
    TimeUnit,
};
use crate::service::Entry;

mod read;
#[cfg(test)]
mod tests;

#[cfg(test)]
use read::key_of_flag;
pub use read::{read, Catalog};

/// Sheet of the procedures, one row each.
pub const PROCEDURES: &str = "Thủ tục";
/// Sheet of the dossier components.
pub const COMPONENTS: &str = "Thành phần hồ sơ";
/// Sheet of the e-form fields.
pub const FORM: &str = "Biểu mẫu điện tử";
/// Sheet of the fees and charges.
pub const FEES: &str = "Phí, lệ phí";
/// Sheet explaining the columns (not read back).
pub const GUIDE: &str = "Hướng dẫn";

/// A column of the layout. `key` is the JSON pointer (below the procedure, or below its
/// component, field or fee) of the value it holds, so that a check's error finds its cell.
struct Col {
    key: &'static str,
    header: &'static str,
    width: f64,
    /// Codes: formatted as text so that Excel keeps `1.000100` as typed.
    text: bool,
    /// The header must be there (the value has no default).
    required: bool,
    choices: &'static [&'static str],
    help: &'static str,
}

const fn col(key: &'static str, header: &'static str, width: f64, help: &'static str) -> Col {
    Col { key, header, width, text: false, required: false, choices: &[], help }
}

const fn code(key: &'static str, header: &'static str, width: f64, help: &'static str) -> Col {
    Col { text: true, ..col(key, header, width, help) }
}

const fn must(c: Col) -> Col {
    Col { required: true, ..c }
}

const fn choice(c: Col, choices: &'static [&'static str]) -> Col {
    Col { choices, ..c }
}

const YES: &str = "Có";
const NO: &str = "Không";
const YES_NO: &[&str] = &[YES, NO];
/// Key of the procedure-code column of the child sheets.
const OWNER: &str = "procedure";
const SEPARATE: &str =
    "mỗi dòng trong ô một mục (Alt+Enter trong Excel, Ctrl+Enter trong LibreOffice)";

/// Labels (written) and other accepted spellings (folded) of the closed lists.
const LEVELS: &[(Level, &str, &[&str])] = &[
    (Level::Tinh, "Cấp tỉnh", &["tinh"]),
    (Level::Huyen, "Cấp huyện", &["huyen"]),
    (Level::Xa, "Cấp xã", &["xa"]),
];
const ONLINE: &[(OnlineLevel, &str, &[&str])] = &[
    (OnlineLevel::Full, "Toàn trình", &["full", "dich vu cong truc tuyen toan trinh"]),
    (OnlineLevel::Partial, "Một phần", &["partial", "dich vu cong truc tuyen mot phan"]),
];
const UNITS: &[(TimeUnit, &str, &[&str])] = &[
    (TimeUnit::WorkingDays, "Ngày làm việc", &["working_days"]),
    (TimeUnit::CalendarDays, "Ngày theo lịch", &["ngay", "calendar_days"]),
    (TimeUnit::Hours, "Giờ làm việc", &["gio", "hours"]),
];
const TYPES: &[(FieldType, &str, &[&str])] = &[
    (FieldType::Text, "Văn bản", &["text"]),
    (FieldType::Textarea, "Văn bản dài", &["textarea"]),
    (FieldType::Number, "Số", &["number"]),
    (FieldType::Date, "Ngày", &["date"]),
    (FieldType::Choice, "Lựa chọn", &["choice"]),
    (FieldType::PersonalId, "Số định danh cá nhân", &["personal_id"]),
    (FieldType::TaxCode, "Mã số thuế", &["tax_code"]),
    (FieldType::Address, "Địa chỉ", &["address"]),
    (FieldType::Phone, "Số điện thoại", &["phone"]),
    (FieldType::Email, "Thư điện tử", &["email"]),
];

const ONLINE_CHOICES: &[&str] = &["Toàn trình", "Một phần"];
const UNIT_CHOICES: &[&str] = &["Ngày làm việc", "Ngày theo lịch", "Giờ làm việc"];
const TYPE_CHOICES: &[&str] = &[
    "Văn bản",
    "Văn bản dài",
    "Số",
    "Ngày",
    "Lựa chọn",
    "Số định danh cá nhân",
    "Mã số thuế",
    "Địa chỉ",
    "Số điện thoại",
    "Thư điện tử",
];

const PROCEDURE_COLS: &[Col] = &[
    must(code("code", "Mã thủ tục", 26.0, "mã quốc gia nối với mã định danh cơ quan, ví dụ 1.001193.000.00.00.H51; thủ tục có mã đã có được cập nhật")),
    must(code("national_code", "Mã thủ tục quốc gia", 14.0, "dạng 1.001193")),
    choice(col("code_verified", "Đã đối chiếu mã quốc gia", 12.0, "Có hoặc Không; để trống là Có"), YES_NO),
    must(col("name", "Tên thủ tục", 48.0, "từ 5 đến 500 ký tự")),
    must(code("field/code", "Mã lĩnh vực", 10.0, "ví dụ HT")),
    must(col("field/name", "Tên lĩnh vực", 22.0, "ví dụ Hộ tịch")),
    must(col("levels", "Cấp thực hiện", 16.0, "Cấp tỉnh, Cấp huyện, Cấp xã; nhiều cấp cách nhau bởi dấu phẩy")),
    col("implementing_agency_kinds", "Loại cơ quan thực hiện", 28.0, SEPARATE),
    code("agencies", "Mã cơ quan thực hiện", 18.0, "mã định danh cơ quan, cách nhau bởi dấu phẩy"),
    must(choice(col("online_level", "Mức độ trực tuyến", 14.0, "Toàn trình hoặc Một phần"), ONLINE_CHOICES)),
    must(col("processing_time/amount", "Thời hạn giải quyết", 11.0, "số nguyên từ 1 đến 365")),
    must(choice(col("processing_time/unit", "Đơn vị thời hạn", 15.0, "Ngày làm việc, Ngày theo lịch hoặc Giờ làm việc"), UNIT_CHOICES)),
    col("processing_time/note", "Ghi chú thời hạn", 30.0, "không bắt buộc"),
    col("conditions", "Điều kiện thực hiện", 30.0, "không bắt buộc"),
    col("legal_basis", "Căn cứ pháp lý", 40.0, SEPARATE),
    col("result", "Kết quả thực hiện", 30.0, "giấy tờ người nộp nhận được"),
    col("result_template", "Mẫu văn bản kết quả", 40.0, "không bắt buộc; {{mã trường}} được thay bằng giá trị trong hồ sơ"),
    col("steps", "Trình tự thực hiện", 40.0, SEPARATE),
    code("process_shape", "Dạng quy trình", 16.0, "không bắt buộc, ví dụ simple"),
    code("process_key", "Mã quy trình xử lý", 16.0, "không bắt buộc"),
    choice(col("popular", "Thủ tục phổ biến", 11.0, "Có hoặc Không; để trống là Không"), YES_NO),
    choice(col("sample", "Dữ liệu mẫu", 11.0, "Có hoặc Không; để trống là Không"), YES_NO),
    col("status", "Trạng thái (chỉ để xem)", 14.0, "không được đọc khi nhập: thủ tục mới là dự thảo; chọn “Công bố tất cả” khi nhập để công bố"),
];

const OWNER_HELP: &str =
    "mã thủ tục (như ở trang Thủ tục) mà dòng này thuộc về; thứ tự các dòng là thứ tự hiển thị";

const COMPONENT_COLS: &[Col] = &[
    must(code(OWNER, "Mã thủ tục", 26.0, OWNER_HELP)),
    must(col("name", "Tên giấy tờ", 50.0, "bắt buộc")),
    col("originals", "Số bản chính", 10.0, "số nguyên; để trống là 0"),
    col("copies", "Số bản sao", 10.0, "số nguyên; để trống là 0"),
    choice(col("required", "Bắt buộc", 10.0, "Có hoặc Không; để trống là Không"), YES_NO),
    col("template", "Mẫu đơn, tờ khai", 20.0, "tên tệp mẫu, không bắt buộc"),
    col("note", "Ghi chú", 30.0, "không bắt buộc"),
];

const FORM_COLS: &[Col] = &[
    must(code(OWNER, "Mã thủ tục", 26.0, OWNER_HELP)),
    must(code(
        "key",
        "Khoá trường",
        24.0,
        "chữ thường không dấu, chữ số và gạch dưới; không trùng trong một thủ tục",
    )),
    must(col("label", "Nhãn", 36.0, "tên trường người nộp nhìn thấy")),
    must(choice(col("type", "Kiểu dữ liệu", 16.0, "chọn trong danh sách"), TYPE_CHOICES)),
    choice(col("required", "Bắt buộc", 10.0, "Có hoặc Không; để trống là Không"), YES_NO),
    code("catalog", "Danh mục dùng chung", 18.0, "với kiểu Lựa chọn: mã danh mục, ví dụ genders"),
    col(
        "options",
        "Các lựa chọn",
        30.0,
        "với kiểu Lựa chọn không dùng danh mục: mỗi dòng trong ô một lựa chọn",
    ),
    col("max_length", "Độ dài tối đa", 10.0, "số ký tự, không bắt buộc"),
    col("min", "Giá trị nhỏ nhất", 10.0, "với kiểu Số, không bắt buộc"),
    col("max", "Giá trị lớn nhất", 10.0, "với kiểu Số, không bắt buộc"),
    col("hint", "Hướng dẫn nhập", 30.0, "không bắt buộc"),
];

const FEE_COLS: &[Col] = &[
    must(code(OWNER, "Mã thủ tục", 26.0, OWNER_HELP)),
    must(col("name", "Tên phí, lệ phí", 40.0, "bắt buộc")),
    must(col("amount_vnd", "Mức thu (đồng)", 14.0, "số nguyên, 0 nếu miễn")),
    col("exempt", "Đối tượng miễn, giảm", 40.0, "không bắt buộc"),
    choice(
        col("fee_verified", "Đã đối chiếu biểu phí", 12.0, "Có hoặc Không; để trống là Có"),
        YES_NO,
    ),
];

/// The data sheets in order, with their columns and the pointer segment of their rows.
const SHEETS: [(&str, &[Col], &str); 4] = [
    (PROCEDURES, PROCEDURE_COLS, ""),
    (COMPONENTS, COMPONENT_COLS, "components"),
    (FORM, FORM_COLS, "form"),
    (FEES, FEE_COLS, "fees"),
];

fn label<T: PartialEq + Copy>(table: &[(T, &'static str, &[&str])], v: T) -> &'static str {
    table.iter().find(|(t, _, _)| *t == v).map(|(_, l, _)| *l).unwrap_or("")
}

/// Folds case, diacritics (composed or not, as Vietnamese keyboards type them) and spaces.
fn key(s: &str) -> String {
    let bare: String = s.chars().filter(|c| !('\u{300}'..='\u{36f}').contains(c)).collect();
    fold(&bare)
}

fn pick<T: Copy>(table: &[(T, &str, &[&str])], s: &str) -> Option<T> {
    let k = key(s);
    table
        .iter()
        .find(|(_, l, other)| key(l) == k || other.contains(&k.as_str()))
        .map(|(t, _, _)| *t)
}

fn yes_no(b: bool) -> Cell {
    Cell::from(if b { YES } else { NO })
}

fn text(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::from(s)
    }
}

fn opt(s: &Option<String>) -> Cell {
    s.as_deref().map(text).unwrap_or(Cell::Empty)
}

fn lines(v: &[String]) -> Cell {
    text(&v.join("\n"))
}

fn number(v: Option<f64>) -> Cell {
    v.map(Cell::Number).unwrap_or(Cell::Empty)
}

fn columns(cols: &[Col]) -> Vec<Column> {
    cols.iter()
        .map(|c| Column {
            header: c.header.into(),
            width: c.width,
            text: c.text,
            choices: c.choices.iter().map(|s| s.to_string()).collect(),
        })
        .collect()
}

fn guide() -> Sheet {
    let mut rows: Vec<Vec<Cell>> = [
        "Mỗi dòng ở trang “Thủ tục” là một thủ tục. Thành phần hồ sơ, trường của biểu mẫu điện tử và phí, lệ phí ở các trang riêng, mỗi dòng ghi mã thủ tục mà nó thuộc về.",
        "Khi nhập, cả tệp được kiểm tra trước: chỉ một dòng sai là không thủ tục nào được nhập; mọi lỗi được liệt kê kèm tên trang, số dòng và tên cột.",
        "Thủ tục có mã đã có được thay bằng nội dung trong tệp (ghi phiên bản mới), kể cả thành phần hồ sơ, biểu mẫu và phí: dòng bị xoá ở tệp thì bị xoá khỏi thủ tục.",
        "Không đổi tên trang và tên cột; có thể đổi thứ tự cột. Thủ tục đã bãi bỏ không có trong tệp xuất và không nhập đè được.",
    ]
    .iter()
    .map(|t| vec![Cell::from(*t), Cell::Empty, Cell::Empty])
    .collect();
    for (sheet, cols, _) in SHEETS {
        for c in cols {
            rows.push(vec![
                Cell::from(sheet),
                Cell::from(c.header),
                Cell::from(format!(
                    "{}{}",
                    if c.required { "Bắt buộc có cột. " } else { "" },
                    c.help
                )),
            ]);
        }
    }
    let mut columns = columns(&[
        col("", "Trang", 20.0, ""),
        col("", "Cột", 28.0, ""),
        col("", "Cách ghi", 90.0, ""),
    ]);
    columns.iter_mut().for_each(|c| c.text = true);
    Sheet { name: GUIDE.into(), columns, rows }
}

/// The workbook of these procedures (export): the four data sheets and the guide.
pub fn write(entries: &[Entry]) -> Result<Vec<u8>, XlsxError> {
    let mut procedures = Vec::new();
    let (mut components, mut form, mut fees) = (Vec::new(), Vec::new(), Vec::new());
    for e in entries {
        let p = &e.procedure;
        let t = &p.processing_time;
        procedures.push(vec![
            text(&p.code),
            text(&p.national_code),
            yes_no(p.code_verified),
            text(&p.name),
            text(&p.field.code),
            text(&p.field.name),
            text(&p.levels.iter().map(|l| label(LEVELS, *l)).collect::<Vec<_>>().join(", ")),
            lines(&p.implementing_agency_kinds),
            text(&p.agencies.join(", ")),
            text(label(ONLINE, p.online_level)),
            Cell::from(t.amount),
            text(label(UNITS, t.unit)),
            opt(&t.note),
            opt(&p.conditions),
            lines(&p.legal_basis),
            text(&p.result),
            text(&p.result_template),
            lines(&p.steps),
            opt(&p.process_shape),
            opt(&p.process_key),
            yes_no(p.popular),
            yes_no(p.sample),
            text(e.status.label()),
        ]);
        for c in &p.components {
            components.push(vec![
                text(&p.code),
                text(&c.name),
                Cell::from(c.originals),
                Cell::from(c.copies),
                yes_no(c.required),
                opt(&c.template),
                opt(&c.note),
            ]);
        }
        for f in &p.form {
            form.push(vec![
                text(&p.code),
                text(&f.key),
                text(&f.label),
                text(label(TYPES, f.kind)),
                yes_no(f.required),
                opt(&f.catalog),
                lines(&f.options),
                number(f.max_length.map(f64::from)),
                number(f.min),
                number(f.max),
                opt(&f.hint),
            ]);
        }
        for f in &p.fees {
            fees.push(vec![
                text(&p.code),
                text(&f.name),
                // Amounts in đồng stay far below 2^53, exact as a spreadsheet number.
                Cell::Number(f.amount_vnd as f64),
                opt(&f.exempt),
                yes_no(f.fee_verified),
            ]);
        }
    }
    let mut sheets = Vec::new();
    for ((name, cols, _), rows) in SHEETS.iter().zip([procedures, components, form, fees]) {
        sheets.push(Sheet { name: (*name).into(), columns: columns(cols), rows });
    }
    sheets.push(guide());
    xlsx::write(&sheets)
}
