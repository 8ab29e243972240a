//! The admin page that imports a CSV or JSON file into a catalog, all or nothing; the page
//! shows the report, or every problem of the file.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cqdt_platform::web::{render, url_encode};
use cqdt_platform::{Admin, FieldError, HttpError, Problem, RequestId, Shell};

use super::Area;
use crate::http::CatalogState;
use crate::model::CatalogMeta;
use crate::service::{CatalogError, Format, ImportReport};

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

impl ImportPage {
    fn new(
        s: &CatalogState,
        meta: CatalogMeta,
        errors: Vec<FieldError>,
        done: Option<ImportReport>,
    ) -> Self {
        ImportPage {
            shell: (*s.platform.shell).clone(),
            back_href: Area { admin: true }.catalog(&meta.code),
            action: format!("/admin/catalogs/{}/import", url_encode(&meta.code)),
            meta,
            errors,
            done,
        }
    }
}

pub(super) async fn import_form(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
) -> Result<Response, HttpError> {
    let meta = s.catalogs.meta(&catalog).await?;
    Ok(render(&ImportPage::new(&s, meta, Vec::new(), None)))
}

/// The uploaded file (name and content) of the import form, if one was sent.
async fn upload(mut form: Multipart) -> Result<Option<(String, Bytes)>, HttpError> {
    let mut file = None;
    let unreadable = |what: &str| -> HttpError {
        Problem::bad_request(format!("Không đọc được {what} (tệp quá lớn hoặc bị gián đoạn)."))
            .into()
    };
    while let Some(field) = form.next_field().await.map_err(|_| unreadable("biểu mẫu tải lên"))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|_| unreadable("tệp tải lên"))?;
            file = Some((name, bytes));
        }
    }
    Ok(file)
}

fn file_error(message: String) -> FieldError {
    FieldError { field: "file".into(), message }
}

pub(super) async fn import_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    form: Multipart,
) -> Result<Response, HttpError> {
    let meta = s.catalogs.meta(&catalog).await?;
    let Some((name, bytes)) = upload(form).await?.filter(|(_, b)| !b.is_empty()) else {
        let errors = vec![file_error("Chọn một tệp CSV hoặc JSON để nhập.".into())];
        let page = render(&ImportPage::new(&s, meta, errors, None));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let format = Format::detect(Some(&name), &bytes);
    let errors = match s.catalogs.import(&admin.name, &rid, &catalog, &bytes, format).await {
        Ok(report) => return Ok(render(&ImportPage::new(&s, meta, Vec::new(), Some(report)))),
        Err(CatalogError::Invalid(e)) => e.iter().map(|e| file_error(e.to_string())).collect(),
        Err(CatalogError::Conflict(m)) => vec![file_error(m)],
        Err(e) => return Err(e.into()),
    };
    let page = render(&ImportPage::new(&s, meta, errors, None));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
