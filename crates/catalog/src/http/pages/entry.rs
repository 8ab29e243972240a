//! One entry's page (public and admin): the version asked for, its data, links in time,
//! other periods and recorded history; on the admin page, the form that ends it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use cqdt_platform::web::{render, url_encode};
use cqdt_platform::{Admin, FieldError, HttpError, Problem, RequestId, Shell};
use serde_json::Value;

use super::form::{field_errors, form_to_raw};
use super::{changed_href, day_in, iso, row, vn, Area, EntryRow};
use crate::http::{end_request, nonempty, AsOf, CatalogState};
use crate::model::{parse_date, CatalogMeta, Validity};
use crate::service::{CatalogError, EntryDetail, EntryView, Link};
use crate::store::EntryFilter;

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
pub(super) struct EndForm {
    errors: Vec<FieldError>,
    valid_to: String,
    successors: String,
}

/// The `as_of` of a page's address; a bad date is a 400 page that says how to write one.
pub(super) fn as_of_param(q: &AsOf) -> Result<Option<NaiveDate>, Problem> {
    match nonempty(&q.as_of) {
        None => Ok(None),
        Some(s) => parse_date(&s).map(Some).ok_or_else(|| {
            Problem::bad_request(format!("Ngày “{s}” không hợp lệ; nhập theo dạng dd/mm/yyyy."))
        }),
    }
}

/// What an entry's page shows, read from the catalog.
struct Facts {
    meta: CatalogMeta,
    detail: EntryDetail,
    history: Vec<EntryView>,
    children: i64,
}

async fn facts(
    s: &CatalogState,
    catalog: &str,
    code: &str,
    as_of: Option<NaiveDate>,
) -> Result<Facts, CatalogError> {
    let meta = s.catalogs.meta(catalog).await?;
    let detail = s.catalogs.entry(catalog, code, as_of).await?;
    let history = s.catalogs.history(catalog, code).await?;
    let children = EntryFilter { parent: Some(code.to_string()), ..EntryFilter::default() };
    let children = s.catalogs.find(catalog, &children, 1, 1).await?.total;
    Ok(Facts { meta, detail, history, children })
}

/// The catalog's own fields of an entry, labelled, as text.
fn data_rows(meta: &CatalogMeta, data: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    meta.fields
        .iter()
        .filter_map(|f| {
            data.get(&f.name).map(|v| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(true) => "Có".into(),
                    Value::Bool(false) => "Không".into(),
                    other => other.to_string(),
                };
                (f.label.clone(), text)
            })
        })
        .collect()
}

/// Links to successors (at their start) or predecessors (the day before the link).
fn link_rows(area: Area, catalog: &str, links: &[Link], before: bool) -> Vec<LinkRow> {
    links
        .iter()
        .map(|l| LinkRow {
            href: format!(
                "{}?as_of={}",
                area.entry(catalog, &l.code),
                if before { l.day_before() } else { l.effective.clone() }
            ),
            code: l.code.clone(),
            date: l.effective_vn(),
        })
        .collect()
}

fn history_rows(history: &[EntryView]) -> Vec<HistoryRow> {
    history
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
        .collect()
}

impl EntryPage {
    fn new(
        shell: Shell,
        area: Area,
        (catalog, code): (&str, &str),
        as_of: Option<NaiveDate>,
        f: Facts,
        form: EndForm,
    ) -> Self {
        let entry = &f.detail.entry.entry;
        let period = day_in(entry)
            .filter(|_| f.detail.entry.status != Validity::Current)
            .map(|d| format!("?as_of={}", iso(d)))
            .unwrap_or_default();
        let rows = |v: &[EntryView]| v.iter().map(|e| row(area, catalog, e)).collect();
        let (c, k) = (url_encode(catalog), url_encode(code));
        EntryPage {
            shell,
            admin: area.admin,
            back_href: area.catalog(catalog),
            e: row(area, catalog, &f.detail.entry),
            level: entry.level,
            as_of: as_of.map(|d| vn(Some(d))).unwrap_or_default(),
            data: data_rows(&f.meta, &entry.data),
            children: f.children,
            children_href: format!("{}?parent={k}", area.catalog(catalog)),
            successors: link_rows(area, catalog, &f.detail.successors, false),
            predecessors: link_rows(area, catalog, &f.detail.predecessors, true),
            resolved: rows(&f.detail.resolved),
            other_periods: rows(&f.detail.other_periods),
            history: history_rows(&f.history),
            edit_href: format!("/admin/catalogs/{c}/entries/{k}/edit{period}"),
            end_action: format!("/admin/catalogs/{c}/entries/{k}/end"),
            errors: form.errors,
            end_valid_to: form.valid_to,
            end_successors: form.successors,
            meta: f.meta,
        }
    }
}

async fn entry_page(
    s: &CatalogState,
    area: Area,
    catalog: &str,
    code: &str,
    as_of: Option<NaiveDate>,
    form: EndForm,
) -> Result<Response, HttpError> {
    let facts = facts(s, catalog, code, as_of).await?;
    let status =
        if form.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let shell = (*s.platform.shell).clone();
    let page = EntryPage::new(shell, area, (catalog, code), as_of, facts, form);
    Ok((status, render(&page)).into_response())
}

/// The entry page as a GET shows it, with no end form filled in.
async fn entry_get(
    s: &CatalogState,
    area: Area,
    catalog: &str,
    code: &str,
    q: &AsOf,
) -> Result<Response, HttpError> {
    let d = as_of_param(q)?;
    entry_page(s, area, catalog, code, d, EndForm::default()).await
}

pub(super) async fn public_entry(
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Response, HttpError> {
    entry_get(&s, Area { admin: false }, &catalog, &code, &q).await
}

pub(super) async fn admin_entry(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Response, HttpError> {
    entry_get(&s, Area { admin: true }, &catalog, &code, &q).await
}

pub(super) async fn end_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let raw = form_to_raw(form);
    let text = |k: &str| raw.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let errors = match end_request(&raw) {
        Err(e) => e,
        Ok((valid_to, successors)) => {
            match s.catalogs.end(&admin.name, &rid, &catalog, &code, valid_to, &successors).await {
                Ok(e) => {
                    return Ok(Redirect::to(&changed_href(&catalog, &code, &e)).into_response())
                }
                Err(CatalogError::Invalid(e)) => field_errors(&e, &["valid_to", "successors"]),
                Err(CatalogError::Conflict(m)) => {
                    vec![FieldError { field: "valid_to".into(), message: m }]
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let form = EndForm { errors, valid_to: text("valid_to"), successors: text("successors") };
    entry_page(&s, Area { admin: true }, &catalog, &code, None, form).await
}
