//! The admin forms that add an entry to a catalog and record a new version of one; a
//! refused form comes back with the GOV.UK error summary linking to its inputs.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use cqdt_platform::web::{render, url_encode};
use cqdt_platform::{Admin, FieldError, HttpError, RequestId, Shell};
use serde_json::{json, Map, Value};

use super::entry::as_of_param;
use super::{changed_href, day_in, iso, vn, Area};
use crate::http::{AsOf, CatalogState};
use crate::model::{CatalogMeta, CodeKind, FieldType, RowError};
use crate::service::CatalogError;

/// One input of the entry form.
struct FormField {
    name: String,
    label: String,
    hint: String,
    value: String,
    error: String,
    checkbox: bool,
}

#[derive(Template)]
#[template(path = "entry_form.html")]
struct EntryFormPage {
    shell: Shell,
    back_href: String,
    title: String,
    code: String,
    action: String,
    errors: Vec<FieldError>,
    fields: Vec<FormField>,
}

fn form_fields(
    meta: &CatalogMeta,
    new: bool,
    values: &Map<String, Value>,
    errors: &[FieldError],
) -> Vec<FormField> {
    let mut defs: Vec<(String, String, String, bool)> = Vec::new();
    if new {
        let hint = match meta.code_kind {
            CodeKind::Agency => {
                "Dạng V1V2V3.Z1Z2.Y1Y2.MX1X2, ví dụ 000.00.00.H51 (QĐ 20/2020/QĐ-TTg)"
            }
            CodeKind::Gso => "Mã Tổng cục Thống kê: 2, 3 hoặc 5 chữ số",
            CodeKind::Digits => "Chỉ gồm chữ số",
            CodeKind::IsoAlpha2 => "Hai chữ in hoa theo ISO 3166-1, ví dụ VN",
            CodeKind::Text => "Không có khoảng trắng hay dấu “/”, tối đa 64 ký tự",
        };
        defs.push(("code".into(), "Mã".into(), hint.into(), false));
    }
    defs.push(("name".into(), "Tên".into(), String::new(), false));
    defs.push((
        "parent".into(),
        "Mã cấp trên (không bắt buộc)".into(),
        "Để trống nếu không có cấp trên".into(),
        false,
    ));
    defs.push((
        "valid_from".into(),
        "Hiệu lực từ ngày (không bắt buộc)".into(),
        "dd/mm/yyyy; để trống nếu đã có từ trước".into(),
        false,
    ));
    defs.push((
        "valid_to".into(),
        "Hết hiệu lực từ ngày (không bắt buộc)".into(),
        "dd/mm/yyyy; để trống nếu còn hiệu lực".into(),
        false,
    ));
    for f in &meta.fields {
        let hint = match f.kind {
            FieldType::Date => "dd/mm/yyyy",
            FieldType::Integer => "Số nguyên",
            FieldType::Boolean => "true hoặc false",
            FieldType::String => "",
        };
        let optional = if f.required { "" } else { " (không bắt buộc)" };
        defs.push((f.name.clone(), format!("{}{optional}", f.label), hint.into(), false));
    }
    defs.push((
        "sample".into(),
        "Dữ liệu mẫu, chưa phải mã chính thức".into(),
        String::new(),
        true,
    ));
    defs.into_iter()
        .map(|(name, label, hint, checkbox)| FormField {
            value: match values.get(&name) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            },
            error: errors
                .iter()
                .filter(|e| e.field == name)
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
            name,
            label,
            hint,
            checkbox,
        })
        .collect()
}

/// Form field names of a catalog's entry form, the first one first.
fn form_names(meta: &CatalogMeta, new: bool) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if new {
        names.push("code".into());
    }
    for n in ["name", "parent", "valid_from", "valid_to"] {
        names.push(n.into());
    }
    names.extend(meta.fields.iter().map(|f| f.name.clone()));
    names.push("sample".into());
    names
}

/// Field errors that link to an input of the form (anything else links to the first one).
pub(super) fn field_errors<S: AsRef<str>>(errors: &[RowError], inputs: &[S]) -> Vec<FieldError> {
    let first = inputs.first().map(AsRef::as_ref).unwrap_or("name");
    errors
        .iter()
        .map(|e| FieldError {
            field: if inputs.iter().any(|i| i.as_ref() == e.field) {
                e.field.clone()
            } else {
                first.to_string()
            },
            message: e.to_string(),
        })
        .collect()
}

pub(super) fn form_to_raw(form: Vec<(String, String)>) -> Map<String, Value> {
    form.into_iter().filter(|(k, _)| k != "_csrf").map(|(k, v)| (k, Value::String(v))).collect()
}

/// An entry form as sent: an unticked checkbox sends nothing, which means "no".
fn entry_form_raw(form: Vec<(String, String)>) -> Map<String, Value> {
    let mut raw = form_to_raw(form);
    let sample = raw.get("sample").and_then(Value::as_str).is_some_and(|v| v == "true");
    raw.insert("sample".into(), Value::Bool(sample));
    raw
}

pub(super) async fn new_form(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
) -> Result<Response, HttpError> {
    let meta = s.catalogs.meta(&catalog).await?;
    Ok(render(&EntryFormPage {
        shell: (*s.platform.shell).clone(),
        back_href: Area { admin: true }.catalog(&catalog),
        title: format!("Thêm mục vào danh mục {}", meta.name),
        code: String::new(),
        action: format!("/admin/catalogs/{}/new", url_encode(&meta.code)),
        fields: form_fields(&meta, true, &Map::new(), &[]),
        errors: Vec::new(),
    }))
}

pub(super) async fn new_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let meta = s.catalogs.meta(&catalog).await?;
    let raw = entry_form_raw(form);
    let names = form_names(&meta, true);
    let errors = match s.catalogs.create(&admin.name, &rid, &catalog, &raw).await {
        Ok(e) => {
            return Ok(
                Redirect::to(&Area { admin: true }.entry(&catalog, &e.entry.code)).into_response()
            )
        }
        Err(CatalogError::Invalid(e)) => field_errors(&e, &names),
        Err(CatalogError::Conflict(m)) => vec![FieldError { field: "code".into(), message: m }],
        Err(e) => return Err(e.into()),
    };
    let page = render(&EntryFormPage {
        shell: (*s.platform.shell).clone(),
        back_href: Area { admin: true }.catalog(&catalog),
        title: format!("Thêm mục vào danh mục {}", meta.name),
        code: String::new(),
        action: format!("/admin/catalogs/{}/new", url_encode(&meta.code)),
        fields: form_fields(&meta, true, &raw, &errors),
        errors,
    });
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn edit_action(catalog: &str, code: &str, as_of: Option<NaiveDate>) -> String {
    let mut a =
        format!("/admin/catalogs/{}/entries/{}/edit", url_encode(catalog), url_encode(code));
    if let Some(d) = as_of {
        a.push_str(&format!("?as_of={}", iso(d)));
    }
    a
}

pub(super) async fn edit_form(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Response, HttpError> {
    let as_of = as_of_param(&q)?;
    let meta = s.catalogs.meta(&catalog).await?;
    let detail = s.catalogs.entry(&catalog, &code, as_of).await?;
    let e = &detail.entry.entry;
    let mut values = e.data.clone();
    values.insert("name".into(), json!(e.name));
    values.insert("parent".into(), json!(e.parent.clone().unwrap_or_default()));
    values.insert("valid_from".into(), json!(vn(e.valid_from)));
    values.insert("valid_to".into(), json!(vn(e.valid_to)));
    if e.sample {
        values.insert("sample".into(), json!("true"));
    }
    Ok(render(&EntryFormPage {
        shell: (*s.platform.shell).clone(),
        back_href: Area { admin: true }.entry(&catalog, &code),
        title: format!("Sửa {} – {}", e.code, e.name),
        code: e.code.clone(),
        action: edit_action(&catalog, &code, day_in(e).or(as_of)),
        fields: form_fields(&meta, false, &values, &[]),
        errors: Vec::new(),
    }))
}

pub(super) async fn edit_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let as_of = as_of_param(&q)?;
    let meta = s.catalogs.meta(&catalog).await?;
    let raw = entry_form_raw(form);
    let names = form_names(&meta, false);
    let errors = match s.catalogs.update(&admin.name, &rid, &catalog, &code, as_of, &raw).await {
        Ok(e) => return Ok(Redirect::to(&changed_href(&catalog, &code, &e)).into_response()),
        Err(CatalogError::Invalid(e)) => field_errors(&e, &names),
        Err(CatalogError::Conflict(m)) => {
            vec![FieldError { field: "valid_from".into(), message: m }]
        }
        Err(e) => return Err(e.into()),
    };
    let mut values = raw.clone();
    if values.get("sample") == Some(&Value::Bool(true)) {
        values.insert("sample".into(), json!("true"));
    } else {
        values.remove("sample");
    }
    let page = render(&EntryFormPage {
        shell: (*s.platform.shell).clone(),
        back_href: Area { admin: true }.entry(&catalog, &code),
        title: format!("Sửa {code}"),
        code: code.clone(),
        action: edit_action(&catalog, &code, as_of),
        fields: form_fields(&meta, false, &values, &errors),
        errors,
    });
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
