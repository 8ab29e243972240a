//! The procedure catalog as a workbook a provincial official edits in Excel or LibreOffice:
//! one sheet of procedures, one row each, and one sheet each for dossier components, e-form
//! fields and fees, whose rows name their procedure by code. Rows read back into the same
//! [`Procedure`] values as the JSON import, and every error names its sheet, row and column.

use std::collections::HashMap;

use cqdt_platform::web::fold;
use cqdt_platform::xlsx::{self, column_name, Cell, Column, ReadSheet, Row, Sheet, XlsxError};
use cqdt_platform::FieldError;

use crate::model::{
    Component, Fee, Field, FieldType, FormField, Level, OnlineLevel, Procedure, ProcessingTime,
    TimeUnit,
};
use crate::service::Entry;

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
    Col {
        key,
        header,
        width,
        text: false,
        required: false,
        choices: &[],
        help,
    }
}

const fn code(key: &'static str, header: &'static str, width: f64, help: &'static str) -> Col {
    Col {
        text: true,
        ..col(key, header, width, help)
    }
}

const fn must(c: Col) -> Col {
    Col {
        required: true,
        ..c
    }
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
    (
        OnlineLevel::Full,
        "Toàn trình",
        &["full", "dich vu cong truc tuyen toan trinh"],
    ),
    (
        OnlineLevel::Partial,
        "Một phần",
        &["partial", "dich vu cong truc tuyen mot phan"],
    ),
];
const UNITS: &[(TimeUnit, &str, &[&str])] = &[
    (TimeUnit::WorkingDays, "Ngày làm việc", &["working_days"]),
    (
        TimeUnit::CalendarDays,
        "Ngày theo lịch",
        &["ngay", "calendar_days"],
    ),
    (TimeUnit::Hours, "Giờ làm việc", &["gio", "hours"]),
];
const TYPES: &[(FieldType, &str, &[&str])] = &[
    (FieldType::Text, "Văn bản", &["text"]),
    (FieldType::Textarea, "Văn bản dài", &["textarea"]),
    (FieldType::Number, "Số", &["number"]),
    (FieldType::Date, "Ngày", &["date"]),
    (FieldType::Choice, "Lựa chọn", &["choice"]),
    (
        FieldType::PersonalId,
        "Số định danh cá nhân",
        &["personal_id"],
    ),
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
    col(
        "originals",
        "Số bản chính",
        10.0,
        "số nguyên; để trống là 0",
    ),
    col("copies", "Số bản sao", 10.0, "số nguyên; để trống là 0"),
    choice(
        col(
            "required",
            "Bắt buộc",
            10.0,
            "Có hoặc Không; để trống là Không",
        ),
        YES_NO,
    ),
    col(
        "template",
        "Mẫu đơn, tờ khai",
        20.0,
        "tên tệp mẫu, không bắt buộc",
    ),
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
    must(choice(
        col("type", "Kiểu dữ liệu", 16.0, "chọn trong danh sách"),
        TYPE_CHOICES,
    )),
    choice(
        col(
            "required",
            "Bắt buộc",
            10.0,
            "Có hoặc Không; để trống là Không",
        ),
        YES_NO,
    ),
    code(
        "catalog",
        "Danh mục dùng chung",
        18.0,
        "với kiểu Lựa chọn: mã danh mục, ví dụ genders",
    ),
    col(
        "options",
        "Các lựa chọn",
        30.0,
        "với kiểu Lựa chọn không dùng danh mục: mỗi dòng trong ô một lựa chọn",
    ),
    col(
        "max_length",
        "Độ dài tối đa",
        10.0,
        "số ký tự, không bắt buộc",
    ),
    col(
        "min",
        "Giá trị nhỏ nhất",
        10.0,
        "với kiểu Số, không bắt buộc",
    ),
    col(
        "max",
        "Giá trị lớn nhất",
        10.0,
        "với kiểu Số, không bắt buộc",
    ),
    col("hint", "Hướng dẫn nhập", 30.0, "không bắt buộc"),
];

const FEE_COLS: &[Col] = &[
    must(code(OWNER, "Mã thủ tục", 26.0, OWNER_HELP)),
    must(col("name", "Tên phí, lệ phí", 40.0, "bắt buộc")),
    must(col(
        "amount_vnd",
        "Mức thu (đồng)",
        14.0,
        "số nguyên, 0 nếu miễn",
    )),
    col("exempt", "Đối tượng miễn, giảm", 40.0, "không bắt buộc"),
    choice(
        col(
            "fee_verified",
            "Đã đối chiếu biểu phí",
            12.0,
            "Có hoặc Không; để trống là Có",
        ),
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
    table
        .iter()
        .find(|(t, _, _)| *t == v)
        .map(|(_, l, _)| *l)
        .unwrap_or("")
}

/// Folds case, diacritics (composed or not, as Vietnamese keyboards type them) and spaces.
fn key(s: &str) -> String {
    let bare: String = s
        .chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .collect();
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
                    if c.required {
                        "Bắt buộc có cột. "
                    } else {
                        ""
                    },
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
    Sheet {
        name: GUIDE.into(),
        columns,
        rows,
    }
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
            text(
                &p.levels
                    .iter()
                    .map(|l| label(LEVELS, *l))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
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
        sheets.push(Sheet {
            name: (*name).into(),
            columns: columns(cols),
            rows,
        });
    }
    sheets.push(guide());
    xlsx::write(&sheets)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Where a read value came from: a cell, or a whole row when no column applies.
fn at(sheet: &str, row: u32, col: Option<(usize, &str)>, message: &str) -> FieldError {
    match col {
        Some((c, header)) => FieldError {
            field: format!("'{sheet}'!{}{row}", column_name(c as u32)),
            message: format!("Trang “{sheet}”, dòng {row}, cột “{header}”: {message}"),
        },
        None => FieldError {
            field: format!("'{sheet}'!{row}:{row}"),
            message: format!("Trang “{sheet}”, dòng {row}: {message}"),
        },
    }
}

/// A data sheet as found in the file: where its header is and where each column went.
struct Table<'a> {
    name: &'static str,
    cols: &'static [Col],
    header_row: u32,
    positions: HashMap<&'static str, usize>,
    rows: &'a [Row],
}

impl Table<'_> {
    fn column(&self, key: &str) -> Option<(usize, &'static str)> {
        let c = find(self.cols, key)?;
        Some((*self.positions.get(c.key)?, c.header))
    }
}

fn table<'a>(
    sheet: &'a ReadSheet,
    name: &'static str,
    cols: &'static [Col],
    errors: &mut Vec<FieldError>,
) -> Table<'a> {
    let mut t = Table {
        name,
        cols,
        header_row: 1,
        positions: HashMap::new(),
        rows: &[],
    };
    // The first non-empty row is the header, so a title row above it does no harm.
    let Some((header, rows)) = sheet.rows.split_first() else {
        errors.push(at(name, 1, None, "trang trống, thiếu dòng tiêu đề."));
        return t;
    };
    t.header_row = header.number;
    t.rows = rows;
    for (i, h) in header.cells.iter().enumerate() {
        if h.trim().is_empty() {
            continue;
        }
        match cols.iter().find(|c| key(c.header) == key(h)) {
            Some(c) if t.positions.contains_key(c.key) => errors.push(at(
                name,
                header.number,
                Some((i, h)),
                "cột này xuất hiện hai lần.",
            )),
            Some(c) => {
                t.positions.insert(c.key, i);
            }
            None => errors.push(at(
                name,
                header.number,
                Some((i, h)),
                "cột không có trong mẫu; sửa tên cột theo mẫu (xem trang “Hướng dẫn”) hoặc xoá cột.",
            )),
        }
    }
    for c in cols.iter().filter(|c| c.required) {
        if !t.positions.contains_key(c.key) {
            errors.push(at(
                name,
                header.number,
                None,
                &format!("thiếu cột “{}”.", c.header),
            ));
        }
    }
    t
}

/// Reads one row's cells, collecting what is wrong with them.
struct Reader<'a, 'e> {
    table: &'a Table<'a>,
    row: &'a Row,
    errors: &'e mut Vec<FieldError>,
}

impl<'a> Reader<'a, '_> {
    fn raw(&self, key: &str) -> &'a str {
        match self.table.positions.get(key) {
            Some(&i) => self.row.get(i).trim(),
            None => "",
        }
    }

    fn fail(&mut self, key: &str, message: &str) {
        let col = self.table.column(key);
        self.errors
            .push(at(self.table.name, self.row.number, col, message));
    }

    fn text(&self, key: &str) -> String {
        self.raw(key).to_string()
    }

    fn opt(&self, key: &str) -> Option<String> {
        Some(self.text(key)).filter(|s| !s.is_empty())
    }

    /// A list written one item a line (or, with `commas`, also separated by , or ;).
    fn list(&self, key: &str, commas: bool) -> Vec<String> {
        self.raw(key)
            .split(|c| c == '\n' || (commas && (c == ',' || c == ';')))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn flag(&mut self, key: &str, default: bool) -> bool {
        let v = self.raw(key);
        match key_of_flag(v) {
            Some(b) => b,
            None if v.is_empty() => default,
            None => {
                self.fail(key, "ghi “Có” hoặc “Không”.");
                default
            }
        }
    }

    fn whole(&mut self, key: &str, max: u64) -> Option<u64> {
        let v = self.raw(key);
        if v.is_empty() {
            return None;
        }
        let n = v
            .replace(' ', "")
            .parse::<f64>()
            .ok()
            .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= max as f64);
        if n.is_none() {
            self.fail(
                key,
                &format!("cần một số nguyên không âm, không quá {max}."),
            );
        }
        n.map(|n| n as u64)
    }

    fn count(&mut self, key: &str) -> u32 {
        self.whole(key, u64::from(u32::MAX)).unwrap_or(0) as u32
    }

    fn real(&mut self, key: &str) -> Option<f64> {
        let v = self.raw(key);
        if v.is_empty() {
            return None;
        }
        // A decimal comma, as Vietnamese spreadsheets show numbers typed as text.
        let n = if v.contains('.') {
            v.to_string()
        } else {
            v.replace(',', ".")
        };
        let n = n.parse::<f64>().ok().filter(|n| n.is_finite());
        if n.is_none() {
            self.fail(key, "cần một số.");
        }
        n
    }

    fn one_of<T: Copy>(&mut self, key: &str, table: &[(T, &str, &[&str])]) -> Option<T> {
        let v = self.raw(key);
        let found = pick(table, v);
        if found.is_none() {
            let names: Vec<String> = table.iter().map(|(_, l, _)| format!("“{l}”")).collect();
            let what = if v.is_empty() {
                "còn trống".to_string()
            } else {
                format!("“{v}” không hợp lệ")
            };
            self.fail(
                key,
                &format!("{what}; chọn một trong {}.", names.join(", ")),
            );
        }
        found
    }
}

fn key_of_flag(v: &str) -> Option<bool> {
    match key(v).as_str() {
        "co" | "x" | "true" | "1" | "yes" | "dung" => Some(true),
        "khong" | "false" | "0" | "no" | "sai" => Some(false),
        _ => None,
    }
}

/// Where each procedure's parts came from, to put a check's error on its cell.
#[derive(Default)]
struct Origin {
    row: u32,
    components: Vec<u32>,
    form: Vec<u32>,
    fees: Vec<u32>,
}

/// A workbook read into procedures, with where each value came from.
pub struct Catalog {
    /// The procedures, in the order of their rows.
    pub procedures: Vec<Procedure>,
    origins: Vec<Origin>,
    /// Column positions and header row of each data sheet, in [`SHEETS`] order.
    layout: Vec<(HashMap<&'static str, usize>, u32)>,
}

fn procedure(r: &mut Reader) -> Procedure {
    let levels = r
        .list("levels", true)
        .iter()
        .filter_map(|l| {
            let found = pick(LEVELS, l);
            if found.is_none() {
                r.fail(
                    "levels",
                    &format!(
                        "“{l}” không phải cấp thực hiện; ghi Cấp tỉnh, Cấp huyện hoặc Cấp xã."
                    ),
                );
            }
            found
        })
        .collect();
    Procedure {
        code: r.text("code"),
        national_code: r.text("national_code"),
        code_verified: r.flag("code_verified", true),
        name: r.text("name"),
        field: Field {
            code: r.text("field/code"),
            name: r.text("field/name"),
        },
        levels,
        implementing_agency_kinds: r.list("implementing_agency_kinds", false),
        agencies: r.list("agencies", true),
        online_level: r
            .one_of("online_level", ONLINE)
            .unwrap_or(OnlineLevel::Partial),
        processing_time: ProcessingTime {
            // The range is the check's to report.
            amount: r.count("processing_time/amount"),
            unit: r
                .one_of("processing_time/unit", UNITS)
                .unwrap_or(TimeUnit::WorkingDays),
            note: r.opt("processing_time/note"),
        },
        fees: Vec::new(),
        components: Vec::new(),
        form: Vec::new(),
        conditions: r.opt("conditions"),
        legal_basis: r.list("legal_basis", false),
        result: r.text("result"),
        result_template: r.text("result_template"),
        steps: r.list("steps", false),
        process_shape: r.opt("process_shape"),
        process_key: r.opt("process_key"),
        popular: r.flag("popular", false),
        sample: r.flag("sample", false),
    }
}

fn component(r: &mut Reader) -> Component {
    Component {
        name: r.text("name"),
        originals: r.count("originals"),
        copies: r.count("copies"),
        required: r.flag("required", false),
        template: r.opt("template"),
        note: r.opt("note"),
    }
}

fn form_field(r: &mut Reader) -> FormField {
    FormField {
        key: r.text("key"),
        label: r.text("label"),
        kind: r.one_of("type", TYPES).unwrap_or(FieldType::Text),
        required: r.flag("required", false),
        catalog: r.opt("catalog"),
        options: r.list("options", false),
        max_length: r.whole("max_length", u64::from(u32::MAX)).map(|n| n as u32),
        min: r.real("min"),
        max: r.real("max"),
        hint: r.opt("hint"),
    }
}

fn fee(r: &mut Reader) -> Fee {
    Fee {
        name: r.text("name"),
        amount_vnd: r.whole("amount_vnd", 1 << 53).unwrap_or(0),
        exempt: r.opt("exempt"),
        fee_verified: r.flag("fee_verified", true),
    }
}

/// Reads a workbook into procedures. Every problem of the file is reported at once, each
/// naming its sheet, row and column; `check` is the import's own check of the procedures, so
/// that a file with unreadable cells still gets the rest of its errors.
pub fn read(
    bytes: &[u8],
    check: impl Fn(&[Procedure]) -> Vec<FieldError>,
) -> Result<Catalog, Vec<FieldError>> {
    let book = xlsx::read(bytes).map_err(|e| {
        vec![FieldError {
            field: "file".into(),
            message: format!("{}.", capitalised(&e.to_string())),
        }]
    })?;
    let mut errors = Vec::new();
    let mut tables = Vec::new();
    for (name, cols, _) in SHEETS {
        match book.sheets.iter().find(|s| key(&s.name) == key(name)) {
            Some(sheet) => tables.push(table(sheet, name, cols, &mut errors)),
            None => errors.push(FieldError {
                field: format!("'{name}'"),
                message: format!("Tệp thiếu trang “{name}” (xem tệp xuất ra từ hệ thống)."),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut procedures = Vec::new();
    let mut origins: Vec<Origin> = Vec::new();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    for row in tables[0].rows {
        let mut r = Reader {
            table: &tables[0],
            row,
            errors: &mut errors,
        };
        let p = procedure(&mut r);
        by_code.entry(p.code.clone()).or_insert(procedures.len());
        procedures.push(p);
        origins.push(Origin {
            row: row.number,
            ..Origin::default()
        });
    }
    for t in &tables[1..] {
        for row in t.rows {
            let mut r = Reader {
                table: t,
                row,
                errors: &mut errors,
            };
            let owner = r.text(OWNER);
            let Some(&i) = by_code.get(&owner) else {
                let why = if owner.is_empty() {
                    "cần mã thủ tục mà dòng này thuộc về.".to_string()
                } else {
                    format!("không có thủ tục mã “{owner}” ở trang “{PROCEDURES}”.")
                };
                r.fail(OWNER, &why);
                continue;
            };
            let (p, o) = (&mut procedures[i], &mut origins[i]);
            match t.name {
                COMPONENTS => {
                    p.components.push(component(&mut r));
                    o.components.push(row.number);
                }
                FORM => {
                    p.form.push(form_field(&mut r));
                    o.form.push(row.number);
                }
                _ => {
                    p.fees.push(fee(&mut r));
                    o.fees.push(row.number);
                }
            }
        }
    }
    let catalog = Catalog {
        procedures,
        origins,
        layout: tables
            .iter()
            .map(|t| (t.positions.clone(), t.header_row))
            .collect(),
    };
    if errors.is_empty() {
        return Ok(catalog);
    }
    // Add the checks' errors, but not on rows whose cells could not be read: those rows'
    // values are stand-ins and their errors would mislead.
    let bad_rows: std::collections::HashSet<(String, u32)> =
        errors.iter().filter_map(|e| row_of(&e.field)).collect();
    let more = catalog.locate(check(&catalog.procedures));
    errors.extend(
        more.into_iter()
            .filter(|e| row_of(&e.field).is_none_or(|r| !bad_rows.contains(&r))),
    );
    Err(sorted(errors))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The sheet and row of a located error's field (`'Thủ tục'!G5`, `'Thủ tục'!5:5`).
fn row_of(field: &str) -> Option<(String, u32)> {
    let (sheet, cell) = field.strip_prefix('\'')?.split_once("'!")?;
    let digits: String = cell
        .chars()
        .skip_while(char::is_ascii_alphabetic)
        .take_while(char::is_ascii_digit)
        .collect();
    Some((sheet.to_string(), digits.parse().ok()?))
}

/// Errors in the order of the sheets, then rows.
fn sorted(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    errors.sort_by_key(|e| {
        let (sheet, row) = row_of(&e.field).unwrap_or_default();
        let order = SHEETS.iter().position(|(n, _, _)| *n == sheet);
        (order, row)
    });
    errors
}

impl Catalog {
    /// Turns the import's errors, which point into the procedures (`/3/form/2/key`), into
    /// errors that name the sheet, row and column of the cell to fix.
    pub fn locate(&self, errors: Vec<FieldError>) -> Vec<FieldError> {
        errors.into_iter().map(|e| self.place(e)).collect()
    }

    fn place(&self, e: FieldError) -> FieldError {
        let message = capitalised(&e.message);
        let mut parts = e.field.trim_start_matches('/').splitn(2, '/');
        let item = parts.next().and_then(|i| i.parse::<usize>().ok());
        let rest = parts.next().unwrap_or("");
        let Some(origin) = item.and_then(|i| self.origins.get(i)) else {
            // Not about one procedure, e.g. a file without any.
            let first = self.layout.first().map_or(1, |(_, h)| *h) + 1;
            return at(PROCEDURES, first, None, &message);
        };
        let (rows, rest) = match rest.split_once('/') {
            Some(("components", r)) => (Some((1, &origin.components)), r),
            Some(("form", r)) => (Some((2, &origin.form)), r),
            Some(("fees", r)) => (Some((3, &origin.fees)), r),
            _ => (None, rest),
        };
        // A part's row when the pointer names one, else the procedure's row.
        let (sheet, row, rest) = rows
            .and_then(|(sheet, rows)| {
                let (j, r) = rest.split_once('/').unwrap_or((rest, ""));
                let row = rows.get(j.parse::<usize>().ok()?)?;
                Some((sheet, *row, r))
            })
            .unwrap_or((0, origin.row, if rows.is_some() { "" } else { rest }));
        let (name, cols, _) = SHEETS[sheet];
        let col = find(cols, rest).and_then(|c| {
            let (positions, _) = self.layout.get(sheet)?;
            Some((*positions.get(c.key)?, c.header))
        });
        at(name, row, col, &message)
    }
}

/// The column holding a pointer's value, or the first of those below it (`field` →
/// `field/code`).
fn find<'c>(cols: &'c [Col], pointer: &str) -> Option<&'c Col> {
    if pointer.is_empty() {
        return None;
    }
    let below = format!("{pointer}/");
    cols.iter()
        .find(|c| c.key == pointer)
        .or_else(|| cols.iter().find(|c| c.key.starts_with(&below)))
}

#[cfg(test)]
mod tests {
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
            FieldError {
                field: "/0/field".into(),
                message: "Cần mã và tên lĩnh vực.".into(),
            },
        ]);
        let first_form_rows = catalog.procedures[0].form.len() as u32;
        assert_eq!(
            located[0].field,
            format!("'Biểu mẫu điện tử'!B{}", first_form_rows + 2 + 2)
        );
        assert_eq!(located[1].field, "'Thủ tục'!K2");
        assert_eq!(located[2].field, "'Thủ tục'!E2");
        assert!(located[1]
            .message
            .starts_with("Trang “Thủ tục”, dòng 2, cột “Thời hạn giải quyết”:"));
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
        assert_eq!(
            pick(TYPES, "so dinh danh ca nhan"),
            Some(FieldType::PersonalId)
        );
        assert_eq!(key_of_flag("X"), Some(true));
        assert_eq!(key_of_flag("không"), Some(false));
    }
}
