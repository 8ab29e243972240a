//! HTML pages in Vietnamese: the public read-only catalog pages (`/danh-muc`) and the admin
//! pages (`/admin/catalogs`) to browse, add, edit, end entries and import files.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use cqdt_platform::web::{render, url_encode};
use cqdt_platform::{Admin, FieldError, PageError, RequestId, Shell};
use serde_json::{json, Map, Value};

use super::{end_request, nonempty, parse_list, AsOf, CatalogState, ListQuery};
use crate::model::{parse_date, CatalogMeta, CodeKind, Entry, FieldType, RowError, Validity};
use crate::service::{CatalogError, EntryView, Format, ImportReport, Link};
use crate::store::EntryFilter;

/// Entries per page of the browse pages.
const PAGE_SIZE: i64 = 50;

pub(super) fn routes() -> Router<CatalogState> {
    Router::new()
        .route("/danh-muc", get(public_catalogs))
        .route("/danh-muc/{catalog}", get(public_browse))
        .route("/danh-muc/{catalog}/{code}", get(public_entry))
        .route("/admin/catalogs", get(admin_catalogs))
        .route("/admin/catalogs/{catalog}", get(admin_browse))
        .route(
            "/admin/catalogs/{catalog}/new",
            get(new_form).post(new_submit),
        )
        .route("/admin/catalogs/{catalog}/entries/{code}", get(admin_entry))
        .route(
            "/admin/catalogs/{catalog}/entries/{code}/edit",
            get(edit_form).post(edit_submit),
        )
        .route(
            "/admin/catalogs/{catalog}/entries/{code}/end",
            post(end_submit),
        )
        .route(
            "/admin/catalogs/{catalog}/import",
            get(import_form).post(import_submit),
        )
}

fn page_error(e: CatalogError) -> PageError {
    match e {
        CatalogError::NotFound(_) => PageError::NotFound,
        CatalogError::Invalid(errors) => PageError::BadRequest(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        CatalogError::Conflict(m) => PageError::BadRequest(m),
        CatalogError::Db(e) => PageError::internal(e),
        CatalogError::Internal(m) => PageError::internal(m),
    }
}

/// Where a set of pages lives: the public read-only pages or the admin pages.
#[derive(Clone, Copy)]
struct Area {
    admin: bool,
}

impl Area {
    fn home(self) -> &'static str {
        if self.admin {
            "/admin/catalogs"
        } else {
            "/danh-muc"
        }
    }

    fn catalog(self, catalog: &str) -> String {
        format!("{}/{}", self.home(), url_encode(catalog))
    }

    fn entry(self, catalog: &str, code: &str) -> String {
        if self.admin {
            format!(
                "/admin/catalogs/{}/entries/{}",
                url_encode(catalog),
                url_encode(code)
            )
        } else {
            format!("/danh-muc/{}/{}", url_encode(catalog), url_encode(code))
        }
    }
}

fn vn(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn status(v: Validity) -> (&'static str, &'static str) {
    match v {
        Validity::Current => ("Đang hiệu lực", "current"),
        Validity::Retired => ("Hết hiệu lực", "retired"),
        Validity::Future => ("Chưa hiệu lực", "future"),
    }
}

/// A day inside a version's period, to name that period in links (`as_of`).
fn day_in(e: &Entry) -> Option<NaiveDate> {
    e.valid_from
        .or_else(|| e.valid_to.and_then(|t| t.pred_opt()))
}

struct EntryRow {
    href: String,
    code: String,
    name: String,
    parent: String,
    parent_href: String,
    valid_from: String,
    valid_to: String,
    status: &'static str,
    status_class: &'static str,
    sample: bool,
}

fn row(area: Area, catalog: &str, e: &EntryView) -> EntryRow {
    let (label, class) = status(e.status);
    let mut href = area.entry(catalog, &e.entry.code);
    if e.status != Validity::Current {
        if let Some(d) = day_in(&e.entry) {
            href.push_str(&format!("?as_of={}", iso(d)));
        }
    }
    let parent = e.entry.parent.clone().unwrap_or_default();
    EntryRow {
        href,
        parent_href: format!("{}?parent={}", area.catalog(catalog), url_encode(&parent)),
        code: e.entry.code.clone(),
        name: e.entry.name.clone(),
        parent,
        valid_from: vn(e.entry.valid_from),
        valid_to: vn(e.entry.valid_to),
        status: label,
        status_class: class,
        sample: e.entry.sample,
    }
}

// ---- list of catalogs ----

struct CatalogRow {
    href: String,
    code: String,
    name: String,
    description: String,
    entries: i64,
}

#[derive(Template)]
#[template(path = "catalogs.html")]
struct CatalogsPage {
    shell: Shell,
    admin: bool,
    catalogs: Vec<CatalogRow>,
}

async fn catalogs_page(s: &CatalogState, area: Area) -> Result<Response, PageError> {
    let list = s.catalogs.catalogs().await.map_err(page_error)?;
    Ok(render(&CatalogsPage {
        shell: (*s.platform.shell).clone(),
        admin: area.admin,
        catalogs: list
            .into_iter()
            .map(|(m, n)| CatalogRow {
                href: area.catalog(&m.code),
                code: m.code,
                name: m.name,
                description: m.description,
                entries: n,
            })
            .collect(),
    }))
}

async fn public_catalogs(State(s): State<CatalogState>) -> Result<Response, PageError> {
    catalogs_page(&s, Area { admin: false }).await
}

async fn admin_catalogs(
    _admin: Admin,
    State(s): State<CatalogState>,
) -> Result<Response, PageError> {
    catalogs_page(&s, Area { admin: true }).await
}

// ---- browse one catalog ----

#[derive(Template)]
#[template(path = "browse.html")]
struct BrowsePage {
    shell: Shell,
    admin: bool,
    meta: CatalogMeta,
    home: String,
    action: String,
    errors: Vec<FieldError>,
    q: String,
    parent: String,
    level: String,
    as_of: String,
    rows: Vec<EntryRow>,
    total: i64,
    page: i64,
    pages: i64,
    prev_href: String,
    next_href: String,
    roots_only: bool,
}

async fn browse_page(
    s: &CatalogState,
    area: Area,
    catalog: &str,
    q: ListQuery,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(catalog).await.map_err(page_error)?;
    // Pages number themselves; a bad page number just shows the first page.
    let q = ListQuery {
        page: q
            .page
            .filter(|p| p.trim().parse::<i64>().is_ok_and(|n| n >= 1)),
        page_size: None,
        ..q
    };
    let mut roots_only = false;
    let (errors, page) = match parse_list(&q, PAGE_SIZE) {
        Ok((mut filter, page, _)) => {
            if filter.parent.is_none()
                && filter.q.is_none()
                && filter.ancestor.is_none()
                && filter.code.is_none()
                && filter.level.is_none()
            {
                filter.roots = true;
                roots_only = true;
            }
            let found = s
                .catalogs
                .find(catalog, &filter, page, PAGE_SIZE)
                .await
                .map_err(page_error)?;
            (Vec::new(), Some(found))
        }
        Err(e) => (e, None),
    };
    let (rows, total, pg) = match &page {
        Some(p) => (
            p.entries.iter().map(|e| row(area, catalog, e)).collect(),
            p.total,
            p.page,
        ),
        None => (Vec::new(), 0, 1),
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let link: String = [
        ("q", text(&q.q)),
        ("parent", text(&q.parent)),
        ("level", text(&q.level)),
        ("as_of", text(&q.as_of)),
    ]
    .iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| format!("{k}={}&", url_encode(v.trim())))
    .collect();
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let at = |n: i64| format!("{}?{link}page={n}", area.catalog(catalog));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = render(&BrowsePage {
        shell: (*s.platform.shell).clone(),
        admin: area.admin,
        home: area.home().to_string(),
        action: area.catalog(catalog),
        errors,
        q: text(&q.q),
        parent: text(&q.parent),
        level: text(&q.level),
        as_of: text(&q.as_of),
        rows,
        total,
        page: pg,
        pages,
        prev_href: if pg > 1 { at(pg - 1) } else { String::new() },
        next_href: if pg < pages {
            at(pg + 1)
        } else {
            String::new()
        },
        roots_only,
        meta,
    });
    Ok((status, body).into_response())
}

async fn public_browse(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    browse_page(&s, Area { admin: false }, &catalog, q).await
}

async fn admin_browse(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    browse_page(&s, Area { admin: true }, &catalog, q).await
}

// ---- one entry ----

struct LinkRow {
    href: String,
    code: String,
    date: String,
}

struct HistoryRow {
    recorded_at: String,
    recorded_by: String,
    name: String,
    parent: String,
    valid_from: String,
    valid_to: String,
    superseded: bool,
}

#[derive(Template)]
#[template(path = "entry.html")]
struct EntryPage {
    shell: Shell,
    admin: bool,
    meta: CatalogMeta,
    back_href: String,
    e: EntryRow,
    level: i64,
    as_of: String,
    data: Vec<(String, String)>,
    children: i64,
    children_href: String,
    successors: Vec<LinkRow>,
    predecessors: Vec<LinkRow>,
    resolved: Vec<EntryRow>,
    other_periods: Vec<EntryRow>,
    history: Vec<HistoryRow>,
    edit_href: String,
    end_action: String,
    errors: Vec<FieldError>,
    end_valid_to: String,
    end_successors: String,
}

/// What the end form sends back when it is shown again with errors.
#[derive(Default)]
struct EndForm {
    errors: Vec<FieldError>,
    valid_to: String,
    successors: String,
}

fn as_of_param(q: &AsOf) -> Result<Option<NaiveDate>, PageError> {
    match nonempty(&q.as_of) {
        None => Ok(None),
        Some(s) => parse_date(&s).map(Some).ok_or_else(|| {
            PageError::BadRequest(format!(
                "Ngày “{s}” không hợp lệ; nhập theo dạng dd/mm/yyyy."
            ))
        }),
    }
}

async fn entry_page(
    s: &CatalogState,
    area: Area,
    catalog: &str,
    code: &str,
    as_of: Option<NaiveDate>,
    form: EndForm,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(catalog).await.map_err(page_error)?;
    let detail = s
        .catalogs
        .entry(catalog, code, as_of)
        .await
        .map_err(page_error)?;
    let history = s
        .catalogs
        .history(catalog, code)
        .await
        .map_err(page_error)?;
    let children = s
        .catalogs
        .find(
            catalog,
            &EntryFilter {
                parent: Some(code.to_string()),
                ..EntryFilter::default()
            },
            1,
            1,
        )
        .await
        .map_err(page_error)?
        .total;
    let entry = &detail.entry.entry;
    let data = meta
        .fields
        .iter()
        .filter_map(|f| {
            entry.data.get(&f.name).map(|v| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(true) => "Có".into(),
                    Value::Bool(false) => "Không".into(),
                    other => other.to_string(),
                };
                (f.label.clone(), text)
            })
        })
        .collect();
    let link_rows = |links: &[Link], before: bool| -> Vec<LinkRow> {
        links
            .iter()
            .map(|l| LinkRow {
                href: format!(
                    "{}?as_of={}",
                    area.entry(catalog, &l.code),
                    if before {
                        l.day_before()
                    } else {
                        l.effective.clone()
                    }
                ),
                code: l.code.clone(),
                date: l.effective_vn(),
            })
            .collect()
    };
    let period = day_in(entry)
        .filter(|_| detail.entry.status != Validity::Current)
        .map(|d| format!("?as_of={}", iso(d)))
        .unwrap_or_default();
    let status_code = if form.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(&EntryPage {
        shell: (*s.platform.shell).clone(),
        admin: area.admin,
        back_href: area.catalog(catalog),
        e: row(area, catalog, &detail.entry),
        level: entry.level,
        as_of: as_of.map(|d| vn(Some(d))).unwrap_or_default(),
        data,
        children,
        children_href: format!("{}?parent={}", area.catalog(catalog), url_encode(code)),
        successors: link_rows(&detail.successors, false),
        predecessors: link_rows(&detail.predecessors, true),
        resolved: detail
            .resolved
            .iter()
            .map(|e| row(area, catalog, e))
            .collect(),
        other_periods: detail
            .other_periods
            .iter()
            .map(|e| row(area, catalog, e))
            .collect(),
        history: history
            .iter()
            .map(|h| HistoryRow {
                recorded_at: cqdt_platform::clock::parse_ts(&h.entry.recorded_at)
                    .map(cqdt_platform::clock::format_ts_vn)
                    .unwrap_or_else(|| h.entry.recorded_at.clone()),
                recorded_by: h.entry.recorded_by.clone(),
                name: h.entry.name.clone(),
                parent: h.entry.parent.clone().unwrap_or_default(),
                valid_from: vn(h.entry.valid_from),
                valid_to: vn(h.entry.valid_to),
                superseded: h.entry.superseded_at.is_some(),
            })
            .collect(),
        edit_href: format!(
            "/admin/catalogs/{}/entries/{}/edit{period}",
            url_encode(catalog),
            url_encode(code)
        ),
        end_action: format!(
            "/admin/catalogs/{}/entries/{}/end",
            url_encode(catalog),
            url_encode(code)
        ),
        errors: form.errors,
        end_valid_to: form.valid_to,
        end_successors: form.successors,
        meta,
    });
    Ok((status_code, body).into_response())
}

async fn public_entry(
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Response, PageError> {
    let d = as_of_param(&q)?;
    entry_page(
        &s,
        Area { admin: false },
        &catalog,
        &code,
        d,
        EndForm::default(),
    )
    .await
}

async fn admin_entry(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Response, PageError> {
    let d = as_of_param(&q)?;
    entry_page(
        &s,
        Area { admin: true },
        &catalog,
        &code,
        d,
        EndForm::default(),
    )
    .await
}

async fn end_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let raw = form_to_raw(form);
    let text = |k: &str| raw.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let errors = match end_request(&raw) {
        Err(e) => e,
        Ok((valid_to, successors)) => match s
            .catalogs
            .end(&admin.name, &rid, &catalog, &code, valid_to, &successors)
            .await
        {
            Ok(e) => {
                let mut href = Area { admin: true }.entry(&catalog, &code);
                if let Some(d) = day_in(&e.entry).filter(|_| e.status != Validity::Current) {
                    href.push_str(&format!("?as_of={}", iso(d)));
                }
                return Ok(Redirect::to(&href).into_response());
            }
            Err(CatalogError::Invalid(e)) => field_errors(&e, &["valid_to", "successors"]),
            Err(CatalogError::Conflict(m)) => vec![FieldError {
                field: "valid_to".into(),
                message: m,
            }],
            Err(e) => return Err(page_error(e)),
        },
    };
    entry_page(
        &s,
        Area { admin: true },
        &catalog,
        &code,
        None,
        EndForm {
            errors,
            valid_to: text("valid_to"),
            successors: text("successors"),
        },
    )
    .await
}

// ---- new and edit forms ----

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
        let optional = if f.required {
            ""
        } else {
            " (không bắt buộc)"
        };
        defs.push((
            f.name.clone(),
            format!("{}{optional}", f.label),
            hint.into(),
            false,
        ));
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
fn field_errors<S: AsRef<str>>(errors: &[RowError], inputs: &[S]) -> Vec<FieldError> {
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

fn form_to_raw(form: Vec<(String, String)>) -> Map<String, Value> {
    form.into_iter()
        .filter(|(k, _)| k != "_csrf")
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

/// An entry form as sent: an unticked checkbox sends nothing, which means "no".
fn entry_form_raw(form: Vec<(String, String)>) -> Map<String, Value> {
    let mut raw = form_to_raw(form);
    let sample = raw
        .get("sample")
        .and_then(Value::as_str)
        .is_some_and(|v| v == "true");
    raw.insert("sample".into(), Value::Bool(sample));
    raw
}

async fn new_form(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
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

async fn new_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    let raw = entry_form_raw(form);
    let names = form_names(&meta, true);
    let errors = match s.catalogs.create(&admin.name, &rid, &catalog, &raw).await {
        Ok(e) => {
            return Ok(
                Redirect::to(&Area { admin: true }.entry(&catalog, &e.entry.code)).into_response(),
            )
        }
        Err(CatalogError::Invalid(e)) => field_errors(&e, &names),
        Err(CatalogError::Conflict(m)) => vec![FieldError {
            field: "code".into(),
            message: m,
        }],
        Err(e) => return Err(page_error(e)),
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
    let mut a = format!(
        "/admin/catalogs/{}/entries/{}/edit",
        url_encode(catalog),
        url_encode(code)
    );
    if let Some(d) = as_of {
        a.push_str(&format!("?as_of={}", iso(d)));
    }
    a
}

async fn edit_form(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Response, PageError> {
    let as_of = as_of_param(&q)?;
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    let detail = s
        .catalogs
        .entry(&catalog, &code, as_of)
        .await
        .map_err(page_error)?;
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

async fn edit_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let as_of = as_of_param(&q)?;
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    let raw = entry_form_raw(form);
    let names = form_names(&meta, false);
    let errors = match s
        .catalogs
        .update(&admin.name, &rid, &catalog, &code, as_of, &raw)
        .await
    {
        Ok(e) => {
            let mut href = Area { admin: true }.entry(&catalog, &code);
            if let Some(d) = day_in(&e.entry).filter(|_| e.status != Validity::Current) {
                href.push_str(&format!("?as_of={}", iso(d)));
            }
            return Ok(Redirect::to(&href).into_response());
        }
        Err(CatalogError::Invalid(e)) => field_errors(&e, &names),
        Err(CatalogError::Conflict(m)) => vec![FieldError {
            field: "valid_from".into(),
            message: m,
        }],
        Err(e) => return Err(page_error(e)),
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

// ---- import ----

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    shell: Shell,
    meta: CatalogMeta,
    back_href: String,
    action: String,
    errors: Vec<FieldError>,
    done: Option<ImportReport>,
}

async fn import_form(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    Ok(render(&ImportPage {
        shell: (*s.platform.shell).clone(),
        back_href: Area { admin: true }.catalog(&catalog),
        action: format!("/admin/catalogs/{}/import", url_encode(&catalog)),
        meta,
        errors: Vec::new(),
        done: None,
    }))
}

async fn import_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    let mut file: Option<(String, Bytes)> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                if field.name() == Some("file") {
                    let name = field.file_name().unwrap_or("").to_string();
                    let bytes = field.bytes().await.map_err(|_| {
                        PageError::BadRequest(
                            "Không đọc được tệp tải lên (tệp quá lớn hoặc bị gián đoạn).".into(),
                        )
                    })?;
                    file = Some((name, bytes));
                }
            }
            Ok(None) => break,
            Err(_) => {
                return Err(PageError::BadRequest(
                    "Không đọc được biểu mẫu tải lên (tệp quá lớn hoặc bị gián đoạn).".into(),
                ))
            }
        }
    }
    let file_error = |message: String| FieldError {
        field: "file".into(),
        message,
    };
    let (errors, done) = match file.filter(|(_, b)| !b.is_empty()) {
        None => (
            vec![file_error("Chọn một tệp CSV hoặc JSON để nhập.".into())],
            None,
        ),
        Some((name, bytes)) => {
            let format = Format::detect(Some(&name), &bytes);
            match s
                .catalogs
                .import(&admin.name, &rid, &catalog, &bytes, format)
                .await
            {
                Ok(r) => (Vec::new(), Some(r)),
                Err(CatalogError::Invalid(e)) => {
                    (e.iter().map(|e| file_error(e.to_string())).collect(), None)
                }
                Err(CatalogError::Conflict(m)) => (vec![file_error(m)], None),
                Err(e) => return Err(page_error(e)),
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(&ImportPage {
            shell: (*s.platform.shell).clone(),
            back_href: Area { admin: true }.catalog(&catalog),
            action: format!("/admin/catalogs/{}/import", url_encode(&catalog)),
            meta,
            errors,
            done,
        }),
    )
        .into_response())
}
