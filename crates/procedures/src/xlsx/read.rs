//! Reading a workbook back into procedures, every error naming its sheet, row and column.

use std::collections::HashMap;

use super::*;

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
    let mut t = Table { name, cols, header_row: 1, positions: HashMap::new(), rows: &[] };
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
            errors.push(at(name, header.number, None, &format!("thiếu cột “{}”.", c.header)));
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
        self.errors.push(at(self.table.name, self.row.number, col, message));
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
            self.fail(key, &format!("cần một số nguyên không âm, không quá {max}."));
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
        let n = if v.contains('.') { v.to_string() } else { v.replace(',', ".") };
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
            self.fail(key, &format!("{what}; chọn một trong {}.", names.join(", ")));
        }
        found
    }
}

pub(super) fn key_of_flag(v: &str) -> Option<bool> {
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
        field: Field { code: r.text("field/code"), name: r.text("field/name") },
        levels,
        implementing_agency_kinds: r.list("implementing_agency_kinds", false),
        agencies: r.list("agencies", true),
        online_level: r.one_of("online_level", ONLINE).unwrap_or(OnlineLevel::Partial),
        processing_time: ProcessingTime {
            // The range is the check's to report.
            amount: r.count("processing_time/amount"),
            unit: r.one_of("processing_time/unit", UNITS).unwrap_or(TimeUnit::WorkingDays),
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
        let mut r = Reader { table: &tables[0], row, errors: &mut errors };
        let p = procedure(&mut r);
        by_code.entry(p.code.clone()).or_insert(procedures.len());
        procedures.push(p);
        origins.push(Origin { row: row.number, ..Origin::default() });
    }
    for t in &tables[1..] {
        for row in t.rows {
            let mut r = Reader { table: t, row, errors: &mut errors };
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
        layout: tables.iter().map(|t| (t.positions.clone(), t.header_row)).collect(),
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
        more.into_iter().filter(|e| row_of(&e.field).is_none_or(|r| !bad_rows.contains(&r))),
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
