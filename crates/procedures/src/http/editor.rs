//! The administrators' procedure editor: one plain HTML form (it works without JavaScript)
//! that maps to and from a [`Procedure`], with rows for fees, dossier components and e-form
//! fields. Input ids double as error anchors, so the error summary links to each input.

use cqdt_platform::FieldError;

use crate::model::{
    Component, Fee, Field, FieldType, FormField, Level, OnlineLevel, Procedure, ProcessingTime,
    TimeUnit,
};

/// A fee row as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeeRow {
    /// Name.
    pub name: String,
    /// Amount in đồng, as typed (`200.000` or `200000`).
    pub amount: String,
    /// Who is exempt.
    pub exempt: String,
    /// Checked against the fee schedule.
    pub verified: bool,
}

/// A dossier component row as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentRow {
    /// Name.
    pub name: String,
    /// Originals.
    pub originals: String,
    /// Copies.
    pub copies: String,
    /// Required.
    pub required: bool,
    /// Blank form to download.
    pub template: String,
    /// Note.
    pub note: String,
}

/// An e-form field row as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldRow {
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// Type (stored form).
    pub kind: String,
    /// Required.
    pub required: bool,
    /// Shared catalog for choices.
    pub catalog: String,
    /// Choices, one per line.
    pub options: String,
    /// Longest text.
    pub max_length: String,
    /// Smallest number.
    pub min: String,
    /// Largest number.
    pub max: String,
    /// Help text.
    pub hint: String,
}

/// The whole editor form as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EditorForm {
    /// Provincial code.
    pub code: String,
    /// National code.
    pub national_code: String,
    /// National code checked.
    pub code_verified: bool,
    /// Name.
    pub name: String,
    /// Field code.
    pub field_code: String,
    /// Field name.
    pub field_name: String,
    /// Levels (stored forms).
    pub levels: Vec<String>,
    /// Kinds of implementing agencies, one per line.
    pub agency_kinds: String,
    /// Implementing agency codes, one per line.
    pub agencies: String,
    /// Online level (stored form).
    pub online_level: String,
    /// Time amount.
    pub time_amount: String,
    /// Time unit (stored form).
    pub time_unit: String,
    /// Time note.
    pub time_note: String,
    /// Conditions.
    pub conditions: String,
    /// Legal basis, one per line.
    pub legal_basis: String,
    /// Result.
    pub result: String,
    /// Result document template.
    pub result_template: String,
    /// Steps, one per line.
    pub steps: String,
    /// Popular.
    pub popular: bool,
    /// Sample data.
    pub sample: bool,
    /// Process shape, kept as it was (set by the one-stop module).
    pub process_shape: String,
    /// Process key, kept as it was.
    pub process_key: String,
    /// The version the editor was opened at.
    pub version: String,
    /// Fees.
    pub fees: Vec<FeeRow>,
    /// Components.
    pub components: Vec<ComponentRow>,
    /// E-form fields.
    pub fields: Vec<FieldRow>,
}

fn lines(v: &[String]) -> String {
    v.join("\n")
}

fn split_lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// How many blank rows each list offers beyond the filled ones.
pub const BLANK_ROWS: usize = 2;

impl EditorForm {
    /// A form for a new procedure: empty, draft defaults.
    pub fn blank() -> Self {
        let mut f = EditorForm {
            online_level: OnlineLevel::Partial.as_str().into(),
            time_unit: TimeUnit::WorkingDays.as_str().into(),
            ..EditorForm::default()
        };
        f.pad();
        f
    }

    /// The form showing a procedure as stored, at a version.
    pub fn from_procedure(p: &Procedure, version: i64) -> Self {
        let mut f = EditorForm {
            code: p.code.clone(),
            national_code: p.national_code.clone(),
            code_verified: p.code_verified,
            name: p.name.clone(),
            field_code: p.field.code.clone(),
            field_name: p.field.name.clone(),
            levels: p.levels.iter().map(|l| l.as_str().to_string()).collect(),
            agency_kinds: lines(&p.implementing_agency_kinds),
            agencies: lines(&p.agencies),
            online_level: p.online_level.as_str().into(),
            time_amount: p.processing_time.amount.to_string(),
            time_unit: p.processing_time.unit.as_str().into(),
            time_note: p.processing_time.note.clone().unwrap_or_default(),
            conditions: p.conditions.clone().unwrap_or_default(),
            legal_basis: lines(&p.legal_basis),
            result: p.result.clone(),
            result_template: p.result_template.clone(),
            steps: lines(&p.steps),
            popular: p.popular,
            sample: p.sample,
            process_shape: p.process_shape.clone().unwrap_or_default(),
            process_key: p.process_key.clone().unwrap_or_default(),
            version: version.to_string(),
            fees: p
                .fees
                .iter()
                .map(|x| FeeRow {
                    name: x.name.clone(),
                    amount: x.amount_vnd.to_string(),
                    exempt: x.exempt.clone().unwrap_or_default(),
                    verified: x.fee_verified,
                })
                .collect(),
            components: p
                .components
                .iter()
                .map(|c| ComponentRow {
                    name: c.name.clone(),
                    originals: c.originals.to_string(),
                    copies: c.copies.to_string(),
                    required: c.required,
                    template: c.template.clone().unwrap_or_default(),
                    note: c.note.clone().unwrap_or_default(),
                })
                .collect(),
            fields: p
                .form
                .iter()
                .map(|x| FieldRow {
                    key: x.key.clone(),
                    label: x.label.clone(),
                    kind: x.kind.as_str().into(),
                    required: x.required,
                    catalog: x.catalog.clone().unwrap_or_default(),
                    options: lines(&x.options),
                    max_length: x.max_length.map(|n| n.to_string()).unwrap_or_default(),
                    min: x.min.map(number_text).unwrap_or_default(),
                    max: x.max.map(number_text).unwrap_or_default(),
                    hint: x.hint.clone().unwrap_or_default(),
                })
                .collect(),
        };
        f.pad();
        f
    }

    /// Reads the posted pairs. Rows travel as `fee_<i>_<part>`, `comp_<i>_<part>` and
    /// `ff_<i>_<part>`; a row marked `…_delete` is dropped, blank rows are dropped, the rest
    /// keep their order.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = EditorForm::default();
        let mut fees: Vec<(FeeRow, bool)> = Vec::new();
        let mut comps: Vec<(ComponentRow, bool)> = Vec::new();
        let mut fields: Vec<(FieldRow, bool)> = Vec::new();
        fn row<T: Default>(rows: &mut Vec<(T, bool)>, i: usize) -> Option<&mut (T, bool)> {
            // Bounded so a forged post cannot make us allocate millions of rows.
            if i >= 500 {
                return None;
            }
            if rows.len() <= i {
                rows.resize_with(i + 1, || (T::default(), false));
            }
            rows.get_mut(i)
        }
        for (k, v) in pairs {
            let v = v.clone();
            let on = v == "on" || v == "true";
            match k.as_str() {
                "code" => f.code = v.trim().into(),
                "national_code" => f.national_code = v.trim().into(),
                "code_verified" => f.code_verified = on,
                "name" => f.name = v,
                "field_code" => f.field_code = v.trim().into(),
                "field_name" => f.field_name = v,
                "level" => f.levels.push(v),
                "agency_kinds" => f.agency_kinds = v,
                "agencies" => f.agencies = v,
                "online_level" => f.online_level = v,
                "time_amount" => f.time_amount = v.trim().into(),
                "time_unit" => f.time_unit = v,
                "time_note" => f.time_note = v,
                "conditions" => f.conditions = v,
                "legal_basis" => f.legal_basis = v,
                "result" => f.result = v,
                "result_template" => f.result_template = v,
                "steps" => f.steps = v,
                "popular" => f.popular = on,
                "sample" => f.sample = on,
                "process_shape" => f.process_shape = v,
                "process_key" => f.process_key = v,
                "version" => f.version = v.trim().into(),
                _ => {
                    let mut it = k.splitn(3, '_');
                    let (Some(list), Some(i), Some(part)) = (it.next(), it.next(), it.next())
                    else {
                        continue;
                    };
                    let Ok(i) = i.parse::<usize>() else { continue };
                    match list {
                        "fee" => {
                            let Some((r, del)) = row(&mut fees, i) else {
                                continue;
                            };
                            match part {
                                "name" => r.name = v,
                                "amount" => r.amount = v,
                                "exempt" => r.exempt = v,
                                "verified" => r.verified = on,
                                "delete" => *del = on,
                                _ => {}
                            }
                        }
                        "comp" => {
                            let Some((r, del)) = row(&mut comps, i) else {
                                continue;
                            };
                            match part {
                                "name" => r.name = v,
                                "originals" => r.originals = v,
                                "copies" => r.copies = v,
                                "required" => r.required = on,
                                "template" => r.template = v,
                                "note" => r.note = v,
                                "delete" => *del = on,
                                _ => {}
                            }
                        }
                        "ff" => {
                            let Some((r, del)) = row(&mut fields, i) else {
                                continue;
                            };
                            match part {
                                "key" => r.key = v.trim().into(),
                                "label" => r.label = v,
                                "kind" => r.kind = v,
                                "required" => r.required = on,
                                "catalog" => r.catalog = v.trim().into(),
                                "options" => r.options = v,
                                "max_length" => r.max_length = v.trim().into(),
                                "min" => r.min = v.trim().into(),
                                "max" => r.max = v.trim().into(),
                                "hint" => r.hint = v,
                                "delete" => *del = on,
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        let blank = |parts: &[&str]| parts.iter().all(|p| p.trim().is_empty());
        f.fees = fees
            .into_iter()
            .filter(|(r, del)| !del && !blank(&[&r.name, &r.amount, &r.exempt]))
            .map(|(r, _)| r)
            .collect();
        f.components = comps
            .into_iter()
            // Counts alone (a blank row offers 1 original) do not make a row.
            .filter(|(r, del)| !del && !blank(&[&r.name, &r.template, &r.note]))
            .map(|(r, _)| r)
            .collect();
        f.fields = fields
            .into_iter()
            .filter(|(r, del)| {
                !del && !blank(&[
                    &r.key,
                    &r.label,
                    &r.catalog,
                    &r.options,
                    &r.max_length,
                    &r.min,
                    &r.max,
                    &r.hint,
                ])
            })
            .map(|(r, _)| r)
            .collect();
        f
    }

    /// Adds the blank rows the page offers for new entries.
    pub fn pad(&mut self) {
        self.fees
            .extend(std::iter::repeat_with(FeeRow::default).take(BLANK_ROWS));
        self.components.extend(
            std::iter::repeat_with(|| ComponentRow {
                originals: "1".into(),
                copies: "0".into(),
                ..ComponentRow::default()
            })
            .take(BLANK_ROWS),
        );
        self.fields.extend(
            std::iter::repeat_with(|| FieldRow {
                kind: FieldType::Text.as_str().into(),
                ..FieldRow::default()
            })
            .take(BLANK_ROWS),
        );
    }

    /// The version the editor was opened at, if it says one.
    pub fn expected_version(&self) -> Option<i64> {
        self.version.parse().ok()
    }

    /// The procedure the form describes, or every problem at once, each under the id of
    /// the input to fix. The procedure's own checks run too.
    pub fn to_procedure(&self) -> Result<Procedure, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut e = |id: String, message: &str| {
            errors.push(FieldError {
                field: id,
                message: message.into(),
            })
        };
        let mut levels = Vec::new();
        for l in &self.levels {
            match Level::parse(l) {
                Some(l) if !levels.contains(&l) => levels.push(l),
                Some(_) => {}
                None => e("level_tinh".into(), "Cấp thực hiện không hợp lệ."),
            }
        }
        levels.sort();
        let online_level = OnlineLevel::parse(&self.online_level).unwrap_or_else(|| {
            e(
                "online_level".into(),
                "Chọn mức độ dịch vụ công trực tuyến.",
            );
            OnlineLevel::Partial
        });
        let amount = match self.time_amount.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                e(
                    "time_amount".into(),
                    "Thời hạn giải quyết là một số nguyên, ví dụ 15.",
                );
                1
            }
        };
        let unit = TimeUnit::parse(&self.time_unit).unwrap_or_else(|| {
            e("time_unit".into(), "Chọn đơn vị của thời hạn.");
            TimeUnit::WorkingDays
        });
        let count = |s: &str| -> Option<u32> {
            let s = s.trim();
            if s.is_empty() {
                Some(0)
            } else {
                s.parse().ok().filter(|n| *n <= 100)
            }
        };
        let mut fees = Vec::new();
        for (i, r) in self.fees.iter().enumerate() {
            if r.name.trim().is_empty() {
                e(format!("fee_{i}_name"), "Phí, lệ phí cần có tên.");
            }
            let digits: String = r
                .amount
                .chars()
                .filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}'))
                .collect();
            let amount_vnd = if digits.is_empty() {
                0
            } else if let Ok(n) = digits.parse::<u64>() {
                n
            } else {
                e(
                    format!("fee_{i}_amount"),
                    "Mức thu là số đồng, ví dụ 200.000.",
                );
                0
            };
            fees.push(Fee {
                name: r.name.trim().into(),
                amount_vnd,
                exempt: opt(&r.exempt),
                fee_verified: r.verified,
            });
        }
        let mut components = Vec::new();
        for (i, r) in self.components.iter().enumerate() {
            let originals = count(&r.originals).unwrap_or_else(|| {
                e(format!("comp_{i}_originals"), "Số bản chính từ 0 đến 100.");
                0
            });
            let copies = count(&r.copies).unwrap_or_else(|| {
                e(format!("comp_{i}_copies"), "Số bản sao từ 0 đến 100.");
                0
            });
            components.push(Component {
                name: r.name.trim().into(),
                originals,
                copies,
                required: r.required,
                template: opt(&r.template),
                note: opt(&r.note),
            });
        }
        let number = |s: &str| -> Result<Option<f64>, ()> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Some)
                .ok_or(())
        };
        let mut form = Vec::new();
        for (i, r) in self.fields.iter().enumerate() {
            let kind = FieldType::parse(&r.kind).unwrap_or_else(|| {
                e(format!("ff_{i}_kind"), "Chọn kiểu của trường.");
                FieldType::Text
            });
            let max_length = match r.max_length.trim() {
                "" => None,
                t => match t.parse::<u32>() {
                    Ok(n) if (1..=10_000).contains(&n) => Some(n),
                    _ => {
                        e(
                            format!("ff_{i}_max_length"),
                            "Độ dài tối đa từ 1 đến 10000 ký tự.",
                        );
                        None
                    }
                },
            };
            let min = number(&r.min).unwrap_or_else(|_| {
                e(format!("ff_{i}_min"), "Giá trị nhỏ nhất phải là số.");
                None
            });
            let max = number(&r.max).unwrap_or_else(|_| {
                e(format!("ff_{i}_max"), "Giá trị lớn nhất phải là số.");
                None
            });
            form.push(FormField {
                key: r.key.trim().into(),
                label: r.label.trim().into(),
                kind,
                required: r.required,
                catalog: opt(&r.catalog),
                options: split_lines(&r.options),
                max_length,
                min,
                max,
                hint: opt(&r.hint),
            });
        }
        let p = Procedure {
            code: self.code.trim().into(),
            national_code: self.national_code.trim().into(),
            code_verified: self.code_verified,
            name: self.name.trim().into(),
            field: Field {
                code: self.field_code.trim().into(),
                name: self.field_name.trim().into(),
            },
            levels,
            implementing_agency_kinds: split_lines(&self.agency_kinds),
            agencies: split_lines(&self.agencies),
            online_level,
            processing_time: ProcessingTime {
                amount,
                unit,
                note: opt(&self.time_note),
            },
            fees,
            components,
            form,
            conditions: opt(&self.conditions),
            legal_basis: split_lines(&self.legal_basis),
            result: self.result.trim().into(),
            result_template: self.result_template.trim().into(),
            steps: split_lines(&self.steps),
            process_shape: opt(&self.process_shape),
            process_key: opt(&self.process_key),
            popular: self.popular,
            sample: self.sample,
        };
        if let Err(checks) = p.check() {
            for c in checks {
                // Typed-input errors already name that input; keep one message per input.
                let id = input_id(&c.field);
                if !errors.iter().any(|x| x.field == id) {
                    errors.push(FieldError {
                        field: id,
                        message: c.message,
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(p)
        } else {
            // The summary lists errors in the order of the inputs on the page.
            errors.sort_by_key(|e| page_order(&e.field));
            Err(errors)
        }
    }
}

/// How the result template is written, shown under its input.
const RESULT_TEMPLATE_HINT: &str = "Nội dung văn bản kết quả mà bộ phận một cửa tạo từ hồ sơ. {{ma_ho_so}}, {{nguoi_nop}}, {{thu_tuc}}, {{co_quan}}, {{ngay_nop}}, {{ngay}} và {{mã trường}} của biểu mẫu được thay bằng giá trị trong hồ sơ. Để trống: văn bản xác nhận kèm các trường của biểu mẫu.";

/// Where an input comes on the page, for ordering the error summary.
fn page_order(id: &str) -> (usize, usize, usize) {
    const TOP: [&str; 20] = [
        "code",
        "national_code",
        "name",
        "field_code",
        "field_name",
        "level_tinh",
        "agency_kinds",
        "agencies",
        "online_level",
        "time_amount",
        "time_unit",
        "time_note",
        "conditions",
        "steps",
        "legal_basis",
        "result",
        "result_template",
        "fee",
        "comp",
        "ff",
    ];
    let mut parts = id.splitn(3, '_');
    let (head, index) = (parts.next().unwrap_or(""), parts.next());
    match (TOP.iter().position(|t| *t == head), index) {
        (Some(group), Some(i)) if group >= 17 => (group, i.parse().unwrap_or(0), 0),
        _ => (TOP.iter().position(|t| *t == id).unwrap_or(TOP.len()), 0, 0),
    }
}

/// The editor input a procedure check's JSON pointer points at (`/form/2/key` → `ff_2_key`).
pub fn input_id(pointer: &str) -> String {
    let p = pointer.trim_start_matches('/');
    match p {
        "field" => return "field_code".into(),
        "levels" => return "level_tinh".into(),
        "processing_time/amount" => return "time_amount".into(),
        _ => {}
    }
    let mut parts = p.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("components"), Some(i), Some(part)) => format!("comp_{i}_{part}"),
        (Some("fees"), Some(i), Some(part)) => format!("fee_{i}_{part}"),
        (Some("form"), Some(i), Some(part)) => format!("ff_{i}_{part}"),
        _ => p.replace('/', "_"),
    }
}

/// One input of the editor page.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// Element id, also the error anchor.
    pub id: String,
    /// Form name.
    pub name: String,
    /// Label.
    pub label: String,
    /// `text`, `textarea`, `select`, `checkbox`.
    pub kind: &'static str,
    /// Value (for a check box: the value sent when checked).
    pub value: String,
    /// Check box state.
    pub checked: bool,
    /// Choices of a select: value and label.
    pub options: Vec<(String, String)>,
    /// Help text.
    pub hint: String,
    /// Error message, if any.
    pub error: String,
    /// Textarea height.
    pub rows: usize,
}

/// A titled group of inputs.
#[derive(Debug, Clone)]
pub struct Section {
    /// Heading.
    pub title: &'static str,
    /// Inputs.
    pub inputs: Vec<Input>,
}

/// One row of a list (a fee, a component, a field).
#[derive(Debug, Clone)]
pub struct Row {
    /// Legend, e.g. "Phí 2".
    pub legend: String,
    /// Inputs.
    pub inputs: Vec<Input>,
}

/// A list of rows with its "add a row" button.
#[derive(Debug, Clone)]
pub struct Group {
    /// Heading.
    pub title: &'static str,
    /// Explanation.
    pub hint: &'static str,
    /// Value of the add button (`fee`, `comp`, `ff`).
    pub add: &'static str,
    /// Label of the add button.
    pub add_label: &'static str,
    /// Rows.
    pub rows: Vec<Row>,
}

struct Builder<'a> {
    errors: &'a [FieldError],
}

impl Builder<'_> {
    fn input(&self, id: &str, label: &str, kind: &'static str, value: &str) -> Input {
        Input {
            id: id.into(),
            name: id.into(),
            label: label.into(),
            kind,
            value: value.into(),
            error: self
                .errors
                .iter()
                .filter(|e| e.field == id)
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            rows: 4,
            ..Input::default()
        }
    }
    fn text(&self, id: &str, label: &str, value: &str) -> Input {
        self.input(id, label, "text", value)
    }
    fn area(&self, id: &str, label: &str, value: &str, hint: &str) -> Input {
        Input {
            hint: hint.into(),
            ..self.input(id, label, "textarea", value)
        }
    }
    fn check(&self, id: &str, label: &str, checked: bool) -> Input {
        Input {
            checked,
            value: "on".into(),
            ..self.input(id, label, "checkbox", "")
        }
    }
    fn select(&self, id: &str, label: &str, value: &str, options: Vec<(String, String)>) -> Input {
        Input {
            options,
            ..self.input(id, label, "select", value)
        }
    }
    fn hint(mut i: Input, hint: &str) -> Input {
        i.hint = hint.into();
        i
    }
}

impl EditorForm {
    /// The page's sections and lists, with each input's error.
    pub fn view(&self, errors: &[FieldError], is_new: bool) -> (Vec<Section>, Vec<Group>) {
        let b = Builder { errors };
        let mut code = Builder::hint(
            b.text("code", "Mã thủ tục của tỉnh", &self.code),
            "Mã quốc gia nối với mã định danh cơ quan, ví dụ 1.001193.000.00.00.H51.",
        );
        if !is_new {
            code.hint = "Không đổi được mã; hãy tạo thủ tục mới và bãi bỏ thủ tục này.".into();
        }
        let mut levels: Vec<Input> = Level::ALL
            .iter()
            .map(|l| {
                let mut i = b.check(&format!("level_{}", l.as_str()), l.label(), false);
                i.name = "level".into();
                i.value = l.as_str().into();
                i.checked = self.levels.iter().any(|x| x == l.as_str());
                i
            })
            .collect();
        if let Some(first) = levels.first_mut() {
            first.hint = "Cấp thực hiện (chọn ít nhất một).".into();
        }
        let mut general = vec![
            code,
            Builder::hint(
                b.text("national_code", "Mã thủ tục quốc gia", &self.national_code),
                "Ví dụ 1.001193.",
            ),
            b.check(
                "code_verified",
                "Mã đã đối chiếu với Cơ sở dữ liệu quốc gia về thủ tục hành chính",
                self.code_verified,
            ),
            b.text("name", "Tên thủ tục", &self.name),
            Builder::hint(
                b.text("field_code", "Mã lĩnh vực", &self.field_code),
                "Ví dụ HT (hộ tịch).",
            ),
            b.text("field_name", "Tên lĩnh vực", &self.field_name),
        ];
        general.append(&mut levels);
        general.extend([
            b.area(
                "agency_kinds",
                "Loại cơ quan thực hiện",
                &self.agency_kinds,
                "Mỗi dòng một loại, ví dụ UBND cấp xã.",
            ),
            b.area(
                "agencies",
                "Mã cơ quan thực hiện",
                &self.agencies,
                "Mỗi dòng một mã định danh, ví dụ 000.00.03.H51; để trống nếu mọi cơ quan cùng loại đều thực hiện.",
            ),
            b.select(
                "online_level",
                "Mức độ dịch vụ công trực tuyến",
                &self.online_level,
                [OnlineLevel::Full, OnlineLevel::Partial]
                    .iter()
                    .map(|o| (o.as_str().into(), o.label().into()))
                    .collect(),
            ),
            b.check("popular", "Hiện trong các thủ tục phổ biến", self.popular),
            b.check(
                "sample",
                "Dữ liệu mẫu (không phải thủ tục chính thức của tỉnh)",
                self.sample,
            ),
        ]);
        let time = vec![
            Builder::hint(
                b.text("time_amount", "Thời hạn giải quyết", &self.time_amount),
                "Từ 1 đến 365.",
            ),
            b.select(
                "time_unit",
                "Đơn vị",
                &self.time_unit,
                TimeUnit::ALL
                    .iter()
                    .map(|u| (u.as_str().into(), u.label().into()))
                    .collect(),
            ),
            b.area("time_note", "Ghi chú về thời hạn", &self.time_note, ""),
        ];
        let text = vec![
            b.area("conditions", "Điều kiện thực hiện", &self.conditions, ""),
            b.area(
                "steps",
                "Trình tự thực hiện",
                &self.steps,
                "Mỗi dòng một bước.",
            ),
            b.area(
                "legal_basis",
                "Căn cứ pháp lý",
                &self.legal_basis,
                "Mỗi dòng một văn bản.",
            ),
            b.text("result", "Kết quả thực hiện", &self.result),
            b.area(
                "result_template",
                "Mẫu văn bản kết quả",
                &self.result_template,
                RESULT_TEMPLATE_HINT,
            ),
        ];
        let sections = vec![
            Section {
                title: "Thông tin chung",
                inputs: general,
            },
            Section {
                title: "Thời hạn giải quyết",
                inputs: time,
            },
            Section {
                title: "Điều kiện, trình tự, căn cứ và kết quả",
                inputs: text,
            },
        ];
        let delete = |b: &Builder, id: String| b.check(&id, "Xoá dòng này", false);
        let fees = self
            .fees
            .iter()
            .enumerate()
            .map(|(i, r)| Row {
                legend: format!("Phí, lệ phí {}", i + 1),
                inputs: vec![
                    b.text(&format!("fee_{i}_name"), "Tên", &r.name),
                    Builder::hint(
                        b.text(&format!("fee_{i}_amount"), "Mức thu (đồng)", &r.amount),
                        "Ví dụ 200.000; 0 nếu miễn.",
                    ),
                    b.text(&format!("fee_{i}_exempt"), "Đối tượng miễn", &r.exempt),
                    b.check(
                        &format!("fee_{i}_verified"),
                        "Đã đối chiếu biểu phí",
                        r.verified,
                    ),
                    delete(&b, format!("fee_{i}_delete")),
                ],
            })
            .collect();
        let comps = self
            .components
            .iter()
            .enumerate()
            .map(|(i, r)| Row {
                legend: format!("Thành phần {}", i + 1),
                inputs: vec![
                    b.text(&format!("comp_{i}_name"), "Tên giấy tờ", &r.name),
                    b.text(&format!("comp_{i}_originals"), "Số bản chính", &r.originals),
                    b.text(&format!("comp_{i}_copies"), "Số bản sao", &r.copies),
                    b.check(&format!("comp_{i}_required"), "Bắt buộc", r.required),
                    Builder::hint(
                        b.text(
                            &format!("comp_{i}_template"),
                            "Mẫu đơn, tờ khai",
                            &r.template,
                        ),
                        "Đường dẫn hoặc tên mẫu để tải về, nếu có.",
                    ),
                    b.text(&format!("comp_{i}_note"), "Ghi chú", &r.note),
                    delete(&b, format!("comp_{i}_delete")),
                ],
            })
            .collect();
        let kinds: Vec<(String, String)> = FieldType::ALL
            .iter()
            .map(|t| (t.as_str().into(), t.label().into()))
            .collect();
        let fields = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, r)| Row {
                legend: format!("Trường {}", i + 1),
                inputs: vec![
                    Builder::hint(
                        b.text(&format!("ff_{i}_key"), "Khoá", &r.key),
                        "Chữ thường không dấu, chữ số, gạch dưới; ví dụ child_name.",
                    ),
                    b.text(&format!("ff_{i}_label"), "Nhãn", &r.label),
                    b.select(&format!("ff_{i}_kind"), "Kiểu", &r.kind, kinds.clone()),
                    b.check(&format!("ff_{i}_required"), "Bắt buộc", r.required),
                    Builder::hint(
                        b.text(
                            &format!("ff_{i}_catalog"),
                            "Danh mục dùng chung",
                            &r.catalog,
                        ),
                        "Với trường lựa chọn: mã danh mục, ví dụ dan-toc.",
                    ),
                    b.area(
                        &format!("ff_{i}_options"),
                        "Các lựa chọn",
                        &r.options,
                        "Với trường lựa chọn không dùng danh mục: mỗi dòng một lựa chọn.",
                    ),
                    b.text(
                        &format!("ff_{i}_max_length"),
                        "Độ dài tối đa",
                        &r.max_length,
                    ),
                    b.text(&format!("ff_{i}_min"), "Giá trị nhỏ nhất", &r.min),
                    b.text(&format!("ff_{i}_max"), "Giá trị lớn nhất", &r.max),
                    b.text(&format!("ff_{i}_hint"), "Hướng dẫn", &r.hint),
                    delete(&b, format!("ff_{i}_delete")),
                ],
            })
            .collect();
        let groups = vec![
            Group {
                title: "Phí, lệ phí",
                hint: "Dòng để trống được bỏ qua.",
                add: "fee",
                add_label: "Thêm dòng phí, lệ phí",
                rows: fees,
            },
            Group {
                title: "Thành phần hồ sơ",
                hint: "Dòng không có tên được bỏ qua.",
                add: "comp",
                add_label: "Thêm thành phần hồ sơ",
                rows: comps,
            },
            Group {
                title: "Tờ khai điện tử",
                hint: "Các trường người nộp điền khi nộp hồ sơ trực tuyến, theo thứ tự. Dòng để trống được bỏ qua.",
                add: "ff",
                add_label: "Thêm trường",
                rows: fields,
            },
        ];
        (sections, groups)
    }

    /// One more blank row in a list (the page's "add" buttons).
    pub fn add_row(&mut self, list: &str) {
        match list {
            "fee" => self.fees.push(FeeRow::default()),
            "comp" => self.components.push(ComponentRow {
                originals: "1".into(),
                copies: "0".into(),
                ..ComponentRow::default()
            }),
            "ff" => self.fields.push(FieldRow {
                kind: FieldType::Text.as_str().into(),
                ..FieldRow::default()
            }),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
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
            (
                "legal_basis",
                "Luật Hộ tịch 2014\n\n Nghị định 123/2015/NĐ-CP ",
            ),
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
        assert_eq!(
            p.components.len(),
            1,
            "the row marked for deletion is dropped"
        );
        assert!(p.components[0].required);
        assert_eq!(p.form.len(), 2, "a row with only its type chosen is blank");
        assert_eq!(p.form[1].options, ["Nam", "Nữ"]);
        assert_eq!(
            p.legal_basis,
            ["Luật Hộ tịch 2014", "Nghị định 123/2015/NĐ-CP"]
        );
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
        let errors = EditorForm::from_pairs(&items)
            .to_procedure()
            .expect_err("invalid");
        let ids: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for id in [
            "time_amount",
            "fee_0_amount",
            "ff_1_options",
            "ff_0_key",
            "national_code",
            "level_tinh",
        ] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        assert!(
            errors.iter().all(|e| !e.message.is_empty()),
            "each error says what is wrong"
        );
        let pos = |id: &str| ids.iter().position(|x| *x == id);
        assert!(pos("national_code") < pos("level_tinh"));
        assert!(pos("level_tinh") < pos("time_amount"));
        assert!(pos("time_amount") < pos("fee_0_amount"));
        assert!(pos("fee_0_amount") < pos("ff_0_key"));
        assert!(
            pos("ff_0_key") < pos("ff_1_options"),
            "in page order: {ids:?}"
        );
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
}
