//! The administrators' procedure editor: one plain HTML form (it works without JavaScript)
//! that maps to and from a [`Procedure`], with rows for fees, dossier components and e-form
//! fields. Input ids double as error anchors, so the error summary links to each input.

use crate::model::{FieldType, OnlineLevel, Procedure, TimeUnit};

mod convert;
#[cfg(test)]
mod tests;
mod view;

#[cfg(test)]
use convert::input_id;
pub use view::{Group, Section};

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

/// A row of a repeated list on the editor page, filled part by part from the posted form.
trait PostedRow: Default {
    /// Sets one part (`name`, `amount`, …) from its posted value; `on` when a box is ticked.
    fn set(&mut self, part: &str, v: String, on: bool);
    /// The texts that make the row: when all are blank, the row is dropped.
    fn texts(&self) -> Vec<&str>;
}

impl PostedRow for FeeRow {
    fn set(&mut self, part: &str, v: String, on: bool) {
        match part {
            "name" => self.name = v,
            "amount" => self.amount = v,
            "exempt" => self.exempt = v,
            "verified" => self.verified = on,
            _ => {}
        }
    }
    fn texts(&self) -> Vec<&str> {
        vec![&self.name, &self.amount, &self.exempt]
    }
}

impl PostedRow for ComponentRow {
    fn set(&mut self, part: &str, v: String, on: bool) {
        match part {
            "name" => self.name = v,
            "originals" => self.originals = v,
            "copies" => self.copies = v,
            "required" => self.required = on,
            "template" => self.template = v,
            "note" => self.note = v,
            _ => {}
        }
    }
    // Counts alone (a blank row offers 1 original) do not make a row.
    fn texts(&self) -> Vec<&str> {
        vec![&self.name, &self.template, &self.note]
    }
}

impl PostedRow for FieldRow {
    fn set(&mut self, part: &str, v: String, on: bool) {
        match part {
            "key" => self.key = v.trim().into(),
            "label" => self.label = v,
            "kind" => self.kind = v,
            "required" => self.required = on,
            "catalog" => self.catalog = v.trim().into(),
            "options" => self.options = v,
            "max_length" => self.max_length = v.trim().into(),
            "min" => self.min = v.trim().into(),
            "max" => self.max = v.trim().into(),
            "hint" => self.hint = v,
            _ => {}
        }
    }
    fn texts(&self) -> Vec<&str> {
        vec![
            &self.key,
            &self.label,
            &self.catalog,
            &self.options,
            &self.max_length,
            &self.min,
            &self.max,
            &self.hint,
        ]
    }
}

/// Sets a part of row `i` of a posted list (with its "delete" box), growing the list to it.
fn set_part<T: PostedRow>(rows: &mut Vec<(T, bool)>, i: usize, part: &str, v: String, on: bool) {
    // Bounded so a forged post cannot make us allocate millions of rows.
    if i >= 500 {
        return;
    }
    if rows.len() <= i {
        rows.resize_with(i + 1, || (T::default(), false));
    }
    let (r, del) = &mut rows[i];
    if part == "delete" {
        *del = on;
    } else {
        r.set(part, v, on);
    }
}

/// The posted rows to keep, in order: not marked for deletion and not blank.
fn kept<T: PostedRow>(rows: Vec<(T, bool)>) -> Vec<T> {
    let blank = |r: &T| r.texts().iter().all(|p| p.trim().is_empty());
    rows.into_iter().filter(|(r, del)| !del && !blank(r)).map(|(r, _)| r).collect()
}

fn lines(v: &[String]) -> String {
    v.join("\n")
}

fn split_lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
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
                        "fee" => set_part(&mut fees, i, part, v, on),
                        "comp" => set_part(&mut comps, i, part, v, on),
                        "ff" => set_part(&mut fields, i, part, v, on),
                        _ => {}
                    }
                }
            }
        }
        f.fees = kept(fees);
        f.components = kept(comps);
        f.fields = kept(fields);
        f
    }

    /// Adds the blank rows the page offers for new entries.
    pub fn pad(&mut self) {
        self.fees.extend(std::iter::repeat_with(FeeRow::default).take(BLANK_ROWS));
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
}
