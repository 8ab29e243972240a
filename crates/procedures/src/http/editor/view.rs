//! The editor page's inputs, sections and lists, each input with its error.

use cqdt_platform::FieldError;

use super::{ComponentRow, EditorForm, FeeRow, FieldRow};
use crate::model::{FieldType, Level, OnlineLevel, TimeUnit};

/// How the result template is written, shown under its input.
const RESULT_TEMPLATE_HINT: &str = "Nội dung văn bản kết quả mà bộ phận một cửa tạo từ hồ sơ. {{ma_ho_so}}, {{nguoi_nop}}, {{thu_tuc}}, {{co_quan}}, {{ngay_nop}}, {{ngay}} và {{mã trường}} của biểu mẫu được thay bằng giá trị trong hồ sơ. Để trống: văn bản xác nhận kèm các trường của biểu mẫu.";

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
        Input { hint: hint.into(), ..self.input(id, label, "textarea", value) }
    }
    fn check(&self, id: &str, label: &str, checked: bool) -> Input {
        Input { checked, value: "on".into(), ..self.input(id, label, "checkbox", "") }
    }
    fn select(&self, id: &str, label: &str, value: &str, options: Vec<(String, String)>) -> Input {
        Input { options, ..self.input(id, label, "select", value) }
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
                TimeUnit::ALL.iter().map(|u| (u.as_str().into(), u.label().into())).collect(),
            ),
            b.area("time_note", "Ghi chú về thời hạn", &self.time_note, ""),
        ];
        let text = vec![
            b.area("conditions", "Điều kiện thực hiện", &self.conditions, ""),
            b.area("steps", "Trình tự thực hiện", &self.steps, "Mỗi dòng một bước."),
            b.area("legal_basis", "Căn cứ pháp lý", &self.legal_basis, "Mỗi dòng một văn bản."),
            b.text("result", "Kết quả thực hiện", &self.result),
            b.area(
                "result_template",
                "Mẫu văn bản kết quả",
                &self.result_template,
                RESULT_TEMPLATE_HINT,
            ),
        ];
        let sections = vec![
            Section { title: "Thông tin chung", inputs: general },
            Section { title: "Thời hạn giải quyết", inputs: time },
            Section {
                title: "Điều kiện, trình tự, căn cứ và kết quả", inputs: text
            },
        ];
        let fees = list_rows(&b, &self.fees, "fee", "Phí, lệ phí", |i, r| {
            vec![
                b.text(&format!("fee_{i}_name"), "Tên", &r.name),
                Builder::hint(
                    b.text(&format!("fee_{i}_amount"), "Mức thu (đồng)", &r.amount),
                    "Ví dụ 200.000; 0 nếu miễn.",
                ),
                b.text(&format!("fee_{i}_exempt"), "Đối tượng miễn", &r.exempt),
                b.check(&format!("fee_{i}_verified"), "Đã đối chiếu biểu phí", r.verified),
            ]
        });
        let comps = list_rows(&b, &self.components, "comp", "Thành phần", |i, r| {
            vec![
                b.text(&format!("comp_{i}_name"), "Tên giấy tờ", &r.name),
                b.text(&format!("comp_{i}_originals"), "Số bản chính", &r.originals),
                b.text(&format!("comp_{i}_copies"), "Số bản sao", &r.copies),
                b.check(&format!("comp_{i}_required"), "Bắt buộc", r.required),
                Builder::hint(
                    b.text(&format!("comp_{i}_template"), "Mẫu đơn, tờ khai", &r.template),
                    "Đường dẫn hoặc tên mẫu để tải về, nếu có.",
                ),
                b.text(&format!("comp_{i}_note"), "Ghi chú", &r.note),
            ]
        });
        let kinds: Vec<(String, String)> =
            FieldType::ALL.iter().map(|t| (t.as_str().into(), t.label().into())).collect();
        let fields = list_rows(&b, &self.fields, "ff", "Trường", |i, r| {
            vec![
                Builder::hint(
                    b.text(&format!("ff_{i}_key"), "Khoá", &r.key),
                    "Chữ thường không dấu, chữ số, gạch dưới; ví dụ child_name.",
                ),
                b.text(&format!("ff_{i}_label"), "Nhãn", &r.label),
                b.select(&format!("ff_{i}_kind"), "Kiểu", &r.kind, kinds.clone()),
                b.check(&format!("ff_{i}_required"), "Bắt buộc", r.required),
                Builder::hint(
                    b.text(&format!("ff_{i}_catalog"), "Danh mục dùng chung", &r.catalog),
                    "Với trường lựa chọn: mã danh mục, ví dụ dan-toc.",
                ),
                b.area(
                    &format!("ff_{i}_options"),
                    "Các lựa chọn",
                    &r.options,
                    "Với trường lựa chọn không dùng danh mục: mỗi dòng một lựa chọn.",
                ),
                b.text(&format!("ff_{i}_max_length"), "Độ dài tối đa", &r.max_length),
                b.text(&format!("ff_{i}_min"), "Giá trị nhỏ nhất", &r.min),
                b.text(&format!("ff_{i}_max"), "Giá trị lớn nhất", &r.max),
                b.text(&format!("ff_{i}_hint"), "Hướng dẫn", &r.hint),
            ]
        });
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
            "ff" => self
                .fields
                .push(FieldRow { kind: FieldType::Text.as_str().into(), ..FieldRow::default() }),
            _ => {}
        }
    }
}

/// The rows of a repeated list: numbered legends, each row's own "delete" box last.
fn list_rows<T>(
    b: &Builder<'_>,
    items: &[T],
    prefix: &str,
    legend: &str,
    inputs: impl Fn(usize, &T) -> Vec<Input>,
) -> Vec<Row> {
    let rows = items.iter().enumerate().map(|(i, r)| {
        let mut inputs = inputs(i, r);
        inputs.push(b.check(&format!("{prefix}_{i}_delete"), "Xoá dòng này", false));
        Row { legend: format!("{legend} {}", i + 1), inputs }
    });
    rows.collect()
}
