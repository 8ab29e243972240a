//! HTML pages in Vietnamese: the public read-only catalog pages (`/danh-muc`) and the admin
//! pages (`/admin/catalogs`) to browse, add, edit, end entries and import files. This file
//! has the list of catalogs and the browse page; one entry, the entry forms and the import
//! page are in the submodules.

mod entry;
mod form;
mod import;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use cqdt_platform::web::{render, url_encode};
use cqdt_platform::{Admin, FieldError, HttpError, Shell};

use super::{parse_list, CatalogState, ListQuery};
use crate::model::{CatalogMeta, Entry, Validity};
use crate::service::{EntryView, Page};

/// Entries per page of the browse pages.
const PAGE_SIZE: i64 = 50;

/// The pages; `upload` is the body limit of the import form, the one that takes a file.
pub(super) fn routes(upload: DefaultBodyLimit) -> Router<CatalogState> {
    Router::new()
        .route("/danh-muc", get(public_catalogs))
        .route("/danh-muc/{catalog}", get(public_browse))
        .route("/danh-muc/{catalog}/{code}", get(entry::public_entry))
        .route("/admin/catalogs", get(admin_catalogs))
        .route("/admin/catalogs/{catalog}", get(admin_browse))
        .route("/admin/catalogs/{catalog}/new", get(form::new_form).post(form::new_submit))
        .route("/admin/catalogs/{catalog}/entries/{code}", get(entry::admin_entry))
        .route(
            "/admin/catalogs/{catalog}/entries/{code}/edit",
            get(form::edit_form).post(form::edit_submit),
        )
        .route("/admin/catalogs/{catalog}/entries/{code}/end", post(entry::end_submit))
        .route(
            "/admin/catalogs/{catalog}/import",
            get(import::import_form).post(import::import_submit).layer(upload),
        )
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
            format!("/admin/catalogs/{}/entries/{}", url_encode(catalog), url_encode(code))
        } else {
            format!("/danh-muc/{}/{}", url_encode(catalog), url_encode(code))
        }
    }
}

fn vn(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default()
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
    e.valid_from.or_else(|| e.valid_to.and_then(|t| t.pred_opt()))
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

/// Where to go after a change: the admin page of the entry, at its period unless current.
fn changed_href(catalog: &str, code: &str, e: &EntryView) -> String {
    let mut href = Area { admin: true }.entry(catalog, code);
    if let Some(d) = day_in(&e.entry).filter(|_| e.status != Validity::Current) {
        href.push_str(&format!("?as_of={}", iso(d)));
    }
    href
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

async fn catalogs_page(s: &CatalogState, area: Area) -> Result<Response, HttpError> {
    let list = s.catalogs.catalogs().await?;
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

async fn public_catalogs(State(s): State<CatalogState>) -> Result<Response, HttpError> {
    catalogs_page(&s, Area { admin: false }).await
}

async fn admin_catalogs(
    _admin: Admin,
    State(s): State<CatalogState>,
) -> Result<Response, HttpError> {
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

/// The browse page's rows, totals and links to the pages before and after.
struct Listing {
    rows: Vec<EntryRow>,
    total: i64,
    page: i64,
    pages: i64,
    prev_href: String,
    next_href: String,
}

impl Listing {
    fn new(area: Area, catalog: &str, q: &ListQuery, found: Option<&Page>) -> Self {
        let (rows, total, page) = match found {
            Some(p) => (p.entries.iter().map(|e| row(area, catalog, e)).collect(), p.total, p.page),
            None => (Vec::new(), 0, 1),
        };
        let link: String = [&q.q, &q.parent, &q.level, &q.as_of]
            .into_iter()
            .zip(["q", "parent", "level", "as_of"])
            .filter_map(|(v, k)| v.as_deref().map(|v| (k, v.trim())))
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}&", url_encode(v)))
            .collect();
        let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
        let at = |n: i64| format!("{}?{link}page={n}", area.catalog(catalog));
        Listing {
            rows,
            total,
            page,
            pages,
            prev_href: if page > 1 { at(page - 1) } else { String::new() },
            next_href: if page < pages { at(page + 1) } else { String::new() },
        }
    }
}

/// A page of the catalog's entries for a browse query, or what is wrong with the query.
/// Without a condition, the top-level entries are listed.
async fn browse_find(
    s: &CatalogState,
    catalog: &str,
    q: &ListQuery,
) -> Result<(Result<Page, Vec<FieldError>>, bool), HttpError> {
    let (mut filter, page, _) = match parse_list(q, PAGE_SIZE) {
        Ok(found) => found,
        Err(errors) => return Ok((Err(errors), false)),
    };
    let roots_only = filter.parent.is_none()
        && filter.q.is_none()
        && filter.ancestor.is_none()
        && filter.code.is_none()
        && filter.level.is_none();
    if roots_only {
        filter.roots = true;
    }
    let found = s.catalogs.find(catalog, &filter, page, PAGE_SIZE).await?;
    Ok((Ok(found), roots_only))
}

async fn browse_page(
    s: &CatalogState,
    area: Area,
    catalog: &str,
    q: ListQuery,
) -> Result<Response, HttpError> {
    let meta = s.catalogs.meta(catalog).await?;
    // Pages number themselves; a bad page number just shows the first page.
    let q = ListQuery {
        page: q.page.filter(|p| p.trim().parse::<i64>().is_ok_and(|n| n >= 1)),
        page_size: None,
        ..q
    };
    let (found, roots_only) = browse_find(s, catalog, &q).await?;
    let (errors, found) = match found {
        Ok(p) => (Vec::new(), Some(p)),
        Err(e) => (e, None),
    };
    let list = Listing::new(area, catalog, &q, found.as_ref());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
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
        rows: list.rows,
        total: list.total,
        page: list.page,
        pages: list.pages,
        prev_href: list.prev_href,
        next_href: list.next_href,
        roots_only,
        meta,
    });
    Ok((status, body).into_response())
}

async fn public_browse(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, HttpError> {
    browse_page(&s, Area { admin: false }, &catalog, q).await
}

async fn admin_browse(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, HttpError> {
    browse_page(&s, Area { admin: true }, &catalog, q).await
}
