//! The e-form page, as the applicant fills it online and as a reception officer enters it at
//! the counter: the procedure's fields (addresses with the province and commune picker),
//! the dossier components with the files attached, and every error next to its field.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, Shell};
use cqdt_procedures::model::{FieldType, FormField, Procedure};

use super::DossierState;
use crate::address::AdminUnits;
use crate::form::CatalogValues;
use crate::model::{Dossier, DossierFile};

/// A field of the e-form as the page shows it.
struct Input {
    id: String,
    label: String,
    kind: &'static str,
    value: String,
    error: String,
    hint: String,
    required: bool,
    options: Vec<(String, String)>,
    /// For addresses: provinces (code, name), the chosen one, the communes offered and the
    /// commune typed.
    provinces: Vec<(String, String)>,
    province: String,
    communes: Vec<String>,
    commune: String,
}

impl Input {
    fn new(id: String, label: String, kind: &'static str, value: String, error: String) -> Self {
        Input {
            id,
            label,
            kind,
            value,
            error,
            hint: String::new(),
            required: false,
            options: Vec::new(),
            provinces: Vec::new(),
            province: String::new(),
            communes: Vec::new(),
            commune: String::new(),
        }
    }
}

/// A dossier component as the page shows it.
struct Attachment {
    id: String,
    name: String,
    required: bool,
    error: String,
    attached: Vec<String>,
}

#[derive(Template)]
#[template(path = "file_form.html")]
struct FormTpl {
    shell: Shell,
    /// Where the form posts.
    action: String,
    /// Entered at the counter by a reception officer, with the applicant's details.
    counter: bool,
    applicant: Vec<Input>,
    /// The counter offers a lookup in the national databases.
    lookup_offered: bool,
    /// Enterprise codes too.
    lookup_firms: bool,
    /// What the last lookup brought.
    lookup: Option<Lookup>,
    errors: Vec<FieldError>,
    notice: String,
    procedure_code: String,
    procedure_name: String,
    draft: String,
    agencies: Vec<(String, String)>,
    agency: String,
    agency_error: String,
    inputs: Vec<Input>,
    attachments: Vec<Attachment>,
    max_mb: usize,
}

/// The message for `field`, if any.
fn error_on(errors: &[FieldError], field: &str) -> String {
    errors.iter().find(|e| e.field == field).map(|e| e.message.clone()).unwrap_or_default()
}

/// The page's hint for a field: the procedure's, then how to write its type.
fn hint(f: &FormField) -> String {
    let typed = match f.kind {
        FieldType::Date => "Ngày/tháng/năm, ví dụ 02/09/2020.",
        FieldType::PersonalId => "12 chữ số.",
        FieldType::TaxCode => "10 chữ số, hoặc 13 với chi nhánh.",
        FieldType::Phone => "Ví dụ 0912 345 678.",
        _ => "",
    };
    match &f.hint {
        Some(h) if typed.is_empty() => h.clone(),
        Some(h) => format!("{h} {typed}"),
        None => typed.to_string(),
    }
}

/// The catalog of nationalities, and Việt Nam's code in it (ISO 3166-1).
const NATIONALITIES: &str = "nationalities";
const VIET_NAM: &str = "VN";

fn inputs(
    p: &Procedure,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
    catalogs: &CatalogValues,
    units: &AdminUnits,
) -> Vec<Input> {
    p.form
        .iter()
        .map(|f| {
            let mut options = match (&f.catalog, f.kind) {
                (Some(c), FieldType::Choice) => catalogs.get(c).cloned().unwrap_or_default(),
                (None, FieldType::Choice) => {
                    f.options.iter().map(|o| (o.clone(), o.clone())).collect()
                }
                _ => Vec::new(),
            };
            // Most applicants are Vietnamese: Việt Nam first in the list, and chosen until
            // the applicant picks another.
            let mut value = shown(values.get(&f.key), crate::form::length_limit(f));
            if f.catalog.as_deref() == Some(NATIONALITIES) {
                if let Some(i) = options.iter().position(|(code, _)| code == VIET_NAM) {
                    let vn = options.remove(i);
                    options.insert(0, vn);
                    if value.is_empty() {
                        value = VIET_NAM.into();
                    }
                }
            }
            let kind = match f.kind {
                FieldType::Address if !units.is_empty() => "address",
                FieldType::Textarea => "textarea",
                FieldType::Choice if !options.is_empty() => "select",
                FieldType::Email => "email",
                _ => "text",
            };
            let mut input = Input {
                hint: hint(f),
                required: f.required,
                options,
                ..Input::new(
                    format!("f_{}", f.key),
                    f.label.clone(),
                    kind,
                    value,
                    error_on(errors, &f.key),
                )
            };
            if kind == "address" {
                address(&mut input, &f.key, values, units);
            }
            input
        })
        .collect()
}

/// Fills an address input's province (the one chosen, or the instance's own) and commune.
fn address(input: &mut Input, key: &str, values: &BTreeMap<String, String>, units: &AdminUnits) {
    let (tinh, xa, _) = crate::form::address_keys(key);
    input.province = values
        .get(&tinh)
        .filter(|p| units.get(p).is_some())
        .cloned()
        .or_else(|| units.home.clone())
        .unwrap_or_default();
    input.provinces =
        units.provinces().into_iter().map(|u| (u.code.clone(), u.name.clone())).collect();
    input.communes = units.communes_of(&input.province).into_iter().map(|c| c.label).collect();
    input.commune = shown(values.get(&xa), SHOWN_LIMIT);
}

/// The most characters of a value typed outside the e-form (an applicant's details at the
/// counter, a commune) the page shows again.
const SHOWN_LIMIT: usize = 200;

/// A value as the page shows it again: no longer than its field allows (one sent longer
/// is refused with an error on the field, and not repeated whole).
fn shown(value: Option<&String>, limit: usize) -> String {
    value.map(|v| v.chars().take(limit).collect()).unwrap_or_default()
}

/// Errors keyed for the page: e-form keys become their input ids.
fn page_errors(p: &Procedure, errors: &[FieldError]) -> Vec<FieldError> {
    errors
        .iter()
        .map(|e| FieldError {
            field: if p.form.iter().any(|f| f.key == e.field) {
                format!("f_{}", e.field)
            } else {
                e.field.clone()
            },
            message: e.message.clone(),
        })
        .collect()
}

/// A dossier entered at the counter: the receiving agency (the officer's) and the
/// applicant's details as typed.
pub(super) struct Counter {
    /// Code and name.
    pub agency: (String, String),
    /// `applicant_name`, `applicant_personal_id`, `applicant_phone`, `applicant_email`.
    pub applicant: BTreeMap<String, String>,
    /// A national database is connected: the page offers the lookup.
    pub lookup_offered: bool,
    /// The business registry is connected: enterprise codes are looked up too.
    pub lookup_firms: bool,
    /// What the lookup brought, when the officer asked.
    pub lookup: Option<Lookup>,
}

/// The answer of the national population database as the counter page shows it.
#[derive(Clone)]
pub(super) struct Lookup {
    /// The record was found and the form filled from it.
    pub found: bool,
    /// What happened, in a sentence (source, time, purpose; or why nothing came).
    pub message: String,
    /// The record's facts: label and value.
    pub facts: Vec<(String, String)>,
}

/// The applicant's details a reception officer types: key, label, input type, required.
const COUNTER_FIELDS: [(&str, &str, &str, bool); 4] = [
    ("applicant_name", "Họ và tên người nộp", "text", true),
    ("applicant_personal_id", "Số định danh cá nhân", "text", true),
    ("applicant_phone", "Số điện thoại di động", "text", false),
    ("applicant_email", "Thư điện tử", "email", false),
];

fn applicant_inputs(c: &Counter, errors: &[FieldError]) -> Vec<Input> {
    COUNTER_FIELDS
        .iter()
        .map(|(key, label, kind, required)| Input {
            required: *required,
            ..Input::new(
                (*key).to_string(),
                (*label).to_string(),
                kind,
                shown(c.applicant.get(*key), SHOWN_LIMIT),
                error_on(errors, key),
            )
        })
        .collect()
}

fn attachments(p: &Procedure, files: &[DossierFile], errors: &[FieldError]) -> Vec<Attachment> {
    p.components
        .iter()
        .enumerate()
        .map(|(i, c)| Attachment {
            id: format!("file_{i}"),
            name: c.name.clone(),
            required: c.required,
            error: error_on(errors, &format!("file_{i}")),
            attached: files
                .iter()
                .filter(|f| f.component == i as i64)
                .map(|f| f.file_name.clone())
                .collect(),
        })
        .collect()
}

/// The e-form page: its procedure, the draft being completed (if any) with its files, the
/// values and errors to show, a notice, the receiving agency chosen, and for a dossier
/// entered at the counter the officer's agency and the applicant's details.
pub(super) struct FormPage<'a> {
    pub procedure: &'a Procedure,
    pub draft: Option<&'a Dossier>,
    pub files: &'a [DossierFile],
    pub values: &'a BTreeMap<String, String>,
    pub errors: Vec<FieldError>,
    pub notice: &'a str,
    pub agency: &'a str,
    pub counter: Option<&'a Counter>,
}

impl<'a> FormPage<'a> {
    /// A fresh form of `procedure` with `values` and `agency` chosen.
    pub fn new(
        procedure: &'a Procedure,
        values: &'a BTreeMap<String, String>,
        agency: &'a str,
    ) -> Self {
        FormPage {
            procedure,
            draft: None,
            files: &[],
            values,
            errors: Vec::new(),
            notice: "",
            agency,
            counter: None,
        }
    }

    /// The page: 200, or 422 when it shows errors.
    pub fn render(self, s: &DossierState) -> Response {
        let p = self.procedure;
        let errors = &self.errors;
        let agencies: Vec<(String, String)> = match self.counter {
            Some(c) => vec![c.agency.clone()],
            None => {
                s.dossiers.receiving_agencies(p).into_iter().map(|a| (a.code, a.name)).collect()
            }
        };
        let mut res = render(&FormTpl {
            shell: (*s.platform.shell).clone(),
            action: match self.counter {
                Some(_) => format!("/mot-cua/tiep-nhan-truc-tiep/{}", p.code),
                None => format!("/nop-ho-so/{}", p.code),
            },
            counter: self.counter.is_some(),
            applicant: self.counter.map(|c| applicant_inputs(c, errors)).unwrap_or_default(),
            lookup_offered: self.counter.is_some_and(|c| c.lookup_offered),
            lookup_firms: self.counter.is_some_and(|c| c.lookup_firms),
            lookup: self.counter.and_then(|c| c.lookup.clone()),
            notice: self.notice.to_string(),
            procedure_code: p.code.clone(),
            procedure_name: p.name.clone(),
            draft: self.draft.map(|d| d.id.clone()).unwrap_or_default(),
            agency: if self.agency.is_empty() {
                preselected(p, &agencies).unwrap_or_default()
            } else {
                self.agency.to_string()
            },
            agencies,
            agency_error: error_on(errors, "agency"),
            inputs: inputs(
                p,
                self.values,
                errors,
                &s.dossiers.catalogs(),
                &s.dossiers.admin_units(),
            ),
            attachments: attachments(p, self.files, errors),
            max_mb: s.platform.files.max_bytes() / (1024 * 1024),
            errors: page_errors(p, errors),
        });
        if res.status().is_success() && !errors.is_empty() {
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        }
        res
    }
}

/// The receiving agency chosen before the applicant picks one: the only one, or the one
/// agency named like the procedure's first implementing agency ("Sở Tư pháp" for the
/// judicial record).
fn preselected(p: &Procedure, agencies: &[(String, String)]) -> Option<String> {
    if let [(only, _)] = agencies {
        return Some(only.clone());
    }
    let kind = cqdt_platform::web::fold(p.implementing_agency_kinds.first()?);
    let mut named =
        agencies.iter().filter(|(_, name)| cqdt_platform::web::fold(name).contains(&kind));
    match (named.next(), named.next()) {
        (Some((code, _)), None) => Some(code.clone()),
        _ => None,
    }
}

/// A draft's e-form values, as typed.
pub(super) fn draft_values(d: &Dossier) -> BTreeMap<String, String> {
    d.form
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect()
}
