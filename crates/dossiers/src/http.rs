//! Routes of the dossiers module: filing on the portal (the e-form with attachments under
//! `/nop-ho-so/{procedure}`, the review and submission, "Hồ sơ của tôi", the public lookup)
//! in [`filing`]; the applicant's dossier page in [`life`]; the JSON API for applicants
//! (`/api/v1/dossiers`, the address picker `/api/v1/dia-ban/…`) in [`api`] and for the back
//! office (`/api/v1/office/dossiers`) in [`office_api`]; the one-stop back office's pages
//! (`/mot-cua`) in [`office`]. Errors are [`DossierError`]s: problem+json on the API, the
//! Vietnamese error page on pages.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, FromRef, Multipart};
use axum::routing::{get, post};
use axum::Router;
use cqdt_platform::service::upload_refused;
use cqdt_platform::web::nfc;
use cqdt_platform::{Platform, Principal};

use crate::error::DossierError;
use crate::service::{Applicant, BoxFuture, DossierService, Upload};
use office_api::OptionalBodies;

mod api;
mod filing;
mod form;
mod life;
mod office;
mod office_api;

/// Builds the applicant of a signed-in person (from the identity module).
pub trait Applicants: Send + Sync {
    /// The applicant, if the person may file (citizens).
    fn applicant<'a>(&'a self, p: &'a Principal) -> BoxFuture<'a, Option<Applicant>>;

    /// The full name of the person an audit actor (a login name or `account:<id>`) names,
    /// for the slips an official signs.
    fn full_name<'a>(&'a self, actor: &'a str) -> BoxFuture<'a, Option<String>> {
        let _ = actor;
        Box::pin(async { None })
    }
}

/// State of the dossier routes.
#[derive(Clone)]
pub struct DossierState {
    /// Platform core.
    pub platform: Platform,
    /// The service.
    pub dossiers: DossierService,
    /// Who is filing.
    pub applicants: Arc<dyn Applicants>,
}

impl FromRef<DossierState> for Platform {
    fn from_ref(s: &DossierState) -> Platform {
        s.platform.clone()
    }
}

/// Most files one dossier form carries at the file store's largest size each: one per
/// component, as the page sends them. Only the routes that take files get more than the
/// application's small body limit: a dossier's forms this many files' worth, a result one.
const FILES_PER_FORM: usize = 8;

/// The body limits of the routes that take files.
#[derive(Clone, Copy)]
struct Uploads {
    /// Filing, supplements, the counter: several files.
    files: DefaultBodyLimit,
    /// A result document: one file.
    one: DefaultBodyLimit,
}

impl Uploads {
    fn of(max_file_bytes: usize) -> Self {
        Uploads {
            files: cqdt_platform::web::upload_limit(max_file_bytes, FILES_PER_FORM),
            one: cqdt_platform::web::upload_limit(max_file_bytes, 1),
        }
    }
}

/// The routes, ready to merge into the app.
pub fn router(state: DossierState) -> Router {
    let up = Uploads::of(state.platform.files.max_bytes());
    Router::new()
        .route(
            "/nop-ho-so/{procedure}",
            get(filing::form_page).post(filing::form_submit).layer(up.files),
        )
        .route("/nop-ho-so/{procedure}/xem-lai", get(filing::review_page))
        .route("/nop-ho-so/{procedure}/nop", post(filing::submit))
        .route("/ho-so-cua-toi", get(filing::my_list))
        .route("/tra-cuu-ho-so", get(filing::lookup_page))
        .route("/assets/dia-ban.js", get(filing::address_js))
        .merge(api::routes(up))
        .merge(life::routes(up))
        .merge(office_api::routes(up))
        .merge(office::routes(up))
        .with_state(state)
}

/// The applicant a signed-in person files as; officials file at the counter instead.
async fn applicant(s: &DossierState, p: &Principal) -> Result<Applicant, DossierError> {
    s.applicants.applicant(p).await.ok_or_else(|| {
        DossierError::BadRequest(
            "Chỉ tài khoản công dân mới nộp hồ sơ trực tuyến; cán bộ tiếp nhận hồ sơ tại quầy."
                .into(),
        )
    })
}

/// A multipart form as read: control fields, e-form values (`f_<key>`), files (`file_<i>`).
struct Parts {
    control: BTreeMap<String, String>,
    values: BTreeMap<String, String>,
    uploads: Vec<Upload>,
}

/// Why a multipart form could not be read, for the user: larger than the route takes, or
/// broken.
struct Unreadable {
    too_large: bool,
    message: String,
}

impl From<Unreadable> for DossierError {
    fn from(u: Unreadable) -> Self {
        if u.too_large {
            DossierError::TooLarge(u.message)
        } else {
            DossierError::BadRequest(u.message)
        }
    }
}

fn unreadable(what: &str, e: &axum::extract::multipart::MultipartError) -> Unreadable {
    let too_large = e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE;
    let message = if too_large {
        format!("Không nhận được {what}: vượt quá dung lượng cho phép của một lần gửi.")
    } else {
        // The parser's words, which may quote what was sent: clipped.
        format!("Không đọc được {what}: {}", cqdt_platform::web::clip(&e.body_text(), 200))
    };
    Unreadable { too_large, message }
}

/// Reads a multipart form: control fields, e-form values (parts named `prefix` + key),
/// files (`file_<i>`, and `file_khac` for files that answer no particular component).
/// A file cut off by the route's body limit is a refused upload (a security event).
async fn read_form(mut m: Multipart, prefix: &str) -> Result<Parts, Unreadable> {
    let mut parts =
        Parts { control: BTreeMap::new(), values: BTreeMap::new(), uploads: Vec::new() };
    loop {
        let field = match m.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(cut_off(unreadable("biểu mẫu gửi lên", &e), None, None).await),
        };
        let name = field.name().unwrap_or("").to_string();
        if let Some(i) = name.strip_prefix("file_") {
            // Composed (NFC) like all text input: macOS sends file names decomposed.
            let file_name = nfc(field.file_name().unwrap_or("")).into_owned();
            let declared_type = field.content_type().map(str::to_string);
            let bytes = match field.bytes().await {
                Ok(bytes) => bytes,
                Err(e) => {
                    let u = unreadable("tệp tải lên", &e);
                    return Err(cut_off(u, Some(&file_name), declared_type.as_deref()).await);
                }
            };
            if bytes.is_empty() && file_name.is_empty() {
                continue;
            }
            let component = if i == "khac" {
                usize::MAX
            } else {
                i.parse::<usize>().map_err(|_| Unreadable {
                    too_large: false,
                    message: "Tên tệp tải lên không hợp lệ.".into(),
                })?
            };
            let bytes = bytes.to_vec();
            parts.uploads.push(Upload { component, file_name, declared_type, bytes });
            continue;
        }
        let text = field.text().await.map_err(|e| unreadable("biểu mẫu gửi lên", &e))?;
        if text.contains('\0') {
            return Err(Unreadable {
                too_large: false,
                message: "Biểu mẫu gửi lên chứa ký tự NUL, không được chấp nhận.".into(),
            });
        }
        let text = nfc(&text).into_owned();
        match name.strip_prefix(prefix) {
            Some(key) => parts.values.insert(key.to_string(), text),
            None => parts.control.insert(name, text),
        };
    }
    Ok(parts)
}

/// A form cut off by the route's body limit is a refused upload: recorded, with the file
/// being read if any and the length the request declared.
async fn cut_off(u: Unreadable, file_name: Option<&str>, declared: Option<&str>) -> Unreadable {
    if u.too_large {
        let size = cqdt_platform::auth::declared_length();
        upload_refused("body_limit", file_name, declared, size).await;
    }
    u
}

/// Reads the multipart form of a page (e-form values as `f_<key>`); the error is for the
/// user.
async fn read_multipart(m: Multipart) -> Result<Parts, String> {
    read_form(m, "f_").await.map_err(|u| u.message)
}

/// A multipart body of the JSON API, read (e-form values as `form.<key>`); a body that is no
/// multipart form is a bad request, one larger than the route takes a 413.
async fn api_parts(m: Result<Multipart, MultipartRejection>) -> Result<Parts, DossierError> {
    let m = m.map_err(|e| DossierError::BadRequest(e.body_text()))?;
    Ok(read_form(m, "form.").await?)
}

/// A control field of a form, or nothing.
fn control<'a>(f: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    f.get(key).map(String::as_str).unwrap_or("")
}

/// The OpenAPI document of this module's routes, generated from its handlers and types
/// (`<ApiDoc as utoipa::OpenApi>::openapi()`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api::api_mine,
        api::api_file,
        api::api_get,
        api::api_lookup,
        api::communes_api,
        api::api_supply,
        api::api_withdraw,
        api::api_rate,
        api::api_result,
        office_api::office_queue,
        office_api::office_get,
        office_api::office_receive,
        office_api::office_supplement_request,
        office_api::office_processing,
        office_api::office_return,
        office_api::office_refuse,
        office_api::office_apologise,
        office_api::office_unknown_action,
        office_api::office_result,
        office_api::office_result_draft,
        office_api::office_result_generated,
    ),
    components(schemas(
        crate::model::Dossier,
        crate::model::DossierStatus,
        crate::model::DossierFile,
        crate::model::DossierEvent,
        crate::model::SupplementItem,
        crate::model::SupplementRequest,
        crate::model::ResultDoc,
        crate::model::Rating,
        crate::model::Apology,
        crate::service::DossierView,
        crate::service::PublicStatus,
        crate::service::PublicStep,
        crate::service::ResultDraft,
        crate::address::AdminUnit,
        crate::address::CommuneChoice,
        api::Filing,
        api::FilingForm,
        api::Filed,
        api::Changed,
        api::WithdrawBody,
        api::RateBody,
        api::RatingGiven,
        api::Communes,
        api::SupplyForm,
        office_api::Queue,
        office_api::Acted,
        office_api::ReceiveBody,
        office_api::SupplementRequestBody,
        office_api::RefuseBody,
        office_api::ApologiseBody,
        office_api::ResultForm,
        office_api::GeneratedBody,
    )),
    modifiers(&OptionalBodies),
    tags(
        (name = "dossiers", description = "Dossiers filed on the portal: the applicant's own, the public lookup, the address picker"),
        (name = "office", description = "The one-stop back office: queues and actions on dossiers in the official's scope"),
    )
)]
pub struct ApiDoc;

/// A stored file as a response: its media type, a `Content-Disposition` naming it (RFC
/// 6266/5987: the UTF-8 name for browsers, an ASCII one for the rest), `inline` to open in
/// the browser's PDF or image viewer, never cached and never sniffed as anything else.
pub(crate) fn file_response(
    name: &str,
    media_type: &str,
    bytes: Vec<u8>,
    inline: bool,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse;
    let ascii: String = cqdt_platform::web::fold(name)
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    let disposition = format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_route_is_in_the_document() {
        let up = Uploads::of(1024);
        let routes: Router<DossierState> = api::routes(up)
            .merge(life::routes(up))
            .merge(office_api::routes(up))
            .merge(office::routes(up));
        let paths = cqdt_platform::openapi::api_paths(&routes);
        assert!(paths.len() >= 20, "{paths:?}");
        let doc = <ApiDoc as utoipa::OpenApi>::openapi();
        for path in paths {
            assert!(doc.paths.paths.contains_key(&path), "{path} is not described");
        }
        let receive = &doc.paths.paths["/api/v1/office/dossiers/{code}/receive"];
        let body = receive.post.as_ref().and_then(|op| op.request_body.as_ref());
        assert!(
            body.is_some_and(|b| b.required == Some(utoipa::openapi::Required::False)),
            "a reception may come without a body"
        );
        let filing = doc.paths.paths["/api/v1/dossiers"].post.as_ref();
        let body = filing.and_then(|op| op.request_body.as_ref()).expect("a filing has a body");
        let kinds: Vec<&str> = body.content.keys().map(String::as_str).collect();
        assert_eq!(kinds, ["application/json", "multipart/form-data"], "files are filed too");
        if let Ok(file) = std::env::var("CQDT_WRITE_OPENAPI") {
            let json = doc.to_pretty_json().unwrap_or_default();
            std::fs::write(file, json).expect("written");
        }
    }
}
