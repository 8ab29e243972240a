//! Routes of filing: the e-form with attachments (`/nop-ho-so/{procedure}`), the review and
//! submission, "Hồ sơ của tôi" (`/ho-so-cua-toi`), the public lookup (`/tra-cuu-ho-so`), and
//! the JSON API (`/api/v1/dossiers`).

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, PageError, Platform, Principal, Problem, Shell};
use cqdt_procedures::model::{FieldType, Procedure};
use serde_json::{json, Value};

use crate::error::DossierError;
use crate::model::{Dossier, DossierStatus};
use crate::service::{Applicant, BoxFuture, DossierService, DossierView, Upload};

mod life;
mod office;

/// Builds the applicant of a signed-in person (from the identity module).
pub trait Applicants: Send + Sync {
    /// The applicant, if the person may file (citizens).
    fn applicant<'a>(&'a self, p: &'a Principal) -> BoxFuture<'a, Option<Applicant>>;
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

/// The routes, ready to merge into the app.
pub fn router(state: DossierState) -> Router {
    Router::new()
        .route("/nop-ho-so/{procedure}", get(form_page).post(form_submit))
        .route("/nop-ho-so/{procedure}/xem-lai", get(review_page))
        .route("/nop-ho-so/{procedure}/nop", post(submit))
        .route("/ho-so-cua-toi", get(my_list))
        .route("/tra-cuu-ho-so", get(lookup_page))
        .route("/api/v1/dossiers", get(api_mine).post(api_file))
        .route("/api/v1/dossiers/lookup/{code}", get(api_lookup))
        .route("/api/v1/dossiers/{code}", get(api_get))
        .route("/api/v1/dia-ban/{province}/xa", get(communes_api))
        .route("/assets/dia-ban.js", get(address_js))
        .merge(life::routes())
        .merge(office::routes())
        .with_state(state)
}

async fn applicant(s: &DossierState, p: &Principal) -> Result<Applicant, Response> {
    match s.applicants.applicant(p).await {
        Some(a) => Ok(a),
        None => Err(PageError::BadRequest(
            "Chỉ tài khoản công dân mới nộp hồ sơ trực tuyến; cán bộ tiếp nhận hồ sơ tại quầy."
                .into(),
        )
        .with_shell(&s.platform.shell)),
    }
}

fn page_error(e: DossierError, shell: &Shell) -> Response {
    match e {
        DossierError::NotFound(_) => PageError::NotFound.with_shell(shell),
        DossierError::Forbidden(_) => PageError::Forbidden.with_shell(shell),
        DossierError::Closed(m) | DossierError::Conflict(m) => {
            PageError::BadRequest(m).with_shell(shell)
        }
        DossierError::Invalid(errors) => PageError::BadRequest(
            errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" "),
        )
        .with_shell(shell),
        other => PageError::internal(other).with_shell(shell),
    }
}

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

fn inputs(
    p: &Procedure,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
    catalogs: &crate::form::CatalogValues,
    units: &crate::address::AdminUnits,
) -> Vec<Input> {
    p.form
        .iter()
        .map(|f| {
            let options = match (&f.catalog, f.kind) {
                (Some(c), FieldType::Choice) => catalogs.get(c).cloned().unwrap_or_default(),
                (None, FieldType::Choice) => {
                    f.options.iter().map(|o| (o.clone(), o.clone())).collect()
                }
                _ => Vec::new(),
            };
            let kind = match f.kind {
                FieldType::Address if !units.is_empty() => "address",
                FieldType::Textarea => "textarea",
                FieldType::Choice if !options.is_empty() => "select",
                FieldType::Email => "email",
                _ => "text",
            };
            let hint = match f.kind {
                FieldType::Date => "Ngày/tháng/năm, ví dụ 02/09/2020.".to_string(),
                FieldType::PersonalId => "12 chữ số.".to_string(),
                FieldType::TaxCode => "10 chữ số, hoặc 13 với chi nhánh.".to_string(),
                FieldType::Phone => "Ví dụ 0912 345 678.".to_string(),
                _ => String::new(),
            };
            let hint = match &f.hint {
                Some(h) if hint.is_empty() => h.clone(),
                Some(h) => format!("{h} {hint}"),
                None => hint,
            };
            let mut input = Input {
                id: format!("f_{}", f.key),
                label: f.label.clone(),
                kind,
                value: values.get(&f.key).cloned().unwrap_or_default(),
                error: errors
                    .iter()
                    .find(|e| e.field == f.key)
                    .map(|e| e.message.clone())
                    .unwrap_or_default(),
                hint,
                required: f.required,
                options,
                provinces: Vec::new(),
                province: String::new(),
                communes: Vec::new(),
                commune: String::new(),
            };
            if kind == "address" {
                let (tinh, xa, _) = crate::form::address_keys(&f.key);
                input.province = values
                    .get(&tinh)
                    .filter(|p| units.get(p).is_some())
                    .cloned()
                    .or_else(|| units.home.clone())
                    .unwrap_or_default();
                input.provinces = units
                    .provinces()
                    .into_iter()
                    .map(|u| (u.code.clone(), u.name.clone()))
                    .collect();
                input.communes = units
                    .communes_of(&input.province)
                    .into_iter()
                    .map(|c| c.label)
                    .collect();
                input.commune = values.get(&xa).cloned().unwrap_or_default();
            }
            input
        })
        .collect()
}

/// The communes of a province, for the address picker.
async fn communes_api(State(s): State<DossierState>, Path(province): Path<String>) -> Response {
    let units = s.dossiers.admin_units();
    match units.get(&province).filter(|u| u.level == 1) {
        Some(p) => {
            Json(json!({"province": p, "communes": units.communes_of(&p.code)})).into_response()
        }
        None => Problem::not_found(format!(
            "Không có tỉnh, thành phố mã “{}”.",
            province.chars().take(20).collect::<String>()
        ))
        .into_response(),
    }
}

/// The address picker's script (progressive enhancement).
async fn address_js() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/address.js"),
    )
        .into_response()
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
pub(crate) struct Counter {
    /// Code and name.
    pub agency: (String, String),
    /// `applicant_name`, `applicant_personal_id`, `applicant_phone`, `applicant_email`.
    pub applicant: BTreeMap<String, String>,
}

/// The applicant's details a reception officer types: key, label, input type, required.
pub(crate) const COUNTER_FIELDS: [(&str, &str, &str, bool); 4] = [
    ("applicant_name", "Họ và tên người nộp", "text", true),
    (
        "applicant_personal_id",
        "Số định danh cá nhân",
        "text",
        true,
    ),
    ("applicant_phone", "Số điện thoại di động", "text", false),
    ("applicant_email", "Thư điện tử", "email", false),
];

#[allow(clippy::too_many_arguments)]
fn render_form(
    s: &DossierState,
    p: &Procedure,
    draft: Option<&Dossier>,
    files: &[crate::model::DossierFile],
    values: &BTreeMap<String, String>,
    errors: Vec<FieldError>,
    notice: &str,
    agency: &str,
    counter: Option<&Counter>,
) -> Response {
    let catalogs = s.dossiers.catalogs();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let applicant = counter
        .map(|c| {
            COUNTER_FIELDS
                .iter()
                .map(|(key, label, kind, required)| Input {
                    id: (*key).to_string(),
                    label: (*label).to_string(),
                    kind,
                    value: c.applicant.get(*key).cloned().unwrap_or_default(),
                    error: errors
                        .iter()
                        .find(|e| e.field == *key)
                        .map(|e| e.message.clone())
                        .unwrap_or_default(),
                    hint: String::new(),
                    required: *required,
                    options: Vec::new(),
                    provinces: Vec::new(),
                    province: String::new(),
                    communes: Vec::new(),
                    commune: String::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut res = render(&FormTpl {
        shell: (*s.platform.shell).clone(),
        action: match counter {
            Some(_) => format!("/mot-cua/tiep-nhan-truc-tiep/{}", p.code),
            None => format!("/nop-ho-so/{}", p.code),
        },
        counter: counter.is_some(),
        applicant,
        notice: notice.to_string(),
        procedure_code: p.code.clone(),
        procedure_name: p.name.clone(),
        draft: draft.map(|d| d.id.clone()).unwrap_or_default(),
        agencies: match counter {
            Some(c) => vec![c.agency.clone()],
            None => s
                .dossiers
                .receiving_agencies(p)
                .into_iter()
                .map(|a| (a.code, a.name))
                .collect(),
        },
        agency: agency.to_string(),
        agency_error: errors
            .iter()
            .find(|e| e.field == "agency")
            .map(|e| e.message.clone())
            .unwrap_or_default(),
        inputs: inputs(p, values, &errors, &catalogs, &s.dossiers.admin_units()),
        attachments: p
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| Attachment {
                id: format!("file_{i}"),
                name: c.name.clone(),
                required: c.required,
                error: errors
                    .iter()
                    .find(|e| e.field == format!("file_{i}"))
                    .map(|e| e.message.clone())
                    .unwrap_or_default(),
                attached: files
                    .iter()
                    .filter(|f| f.component == i as i64)
                    .map(|f| f.file_name.clone())
                    .collect(),
            })
            .collect(),
        max_mb: s.platform.files.max_bytes() / (1024 * 1024),
        errors: page_errors(p, &errors),
    });
    if res.status().is_success() {
        *res.status_mut() = status;
    }
    res
}

fn draft_values(d: &Dossier) -> BTreeMap<String, String> {
    d.form
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect()
}

async fn form_page(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let who = match applicant(&s, &p).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let procedure = match s.dossiers.open_procedure(&code).await {
        Ok(x) => x,
        Err(e) => return page_error(e, shell),
    };
    if let Some(id) = q.get("ho_so") {
        return match s.dossiers.view_for(&who.account_id, id).await {
            Ok(v) if v.dossier.status == DossierStatus::Draft => render_form(
                &s,
                &procedure,
                Some(&v.dossier),
                &v.files,
                &draft_values(&v.dossier),
                Vec::new(),
                "",
                &v.dossier.agency_code,
                None,
            ),
            Ok(_) => Redirect::to(&format!("/ho-so-cua-toi/{id}")).into_response(),
            Err(e) => page_error(e, shell),
        };
    }
    let values = crate::form::prefill(&procedure.form, &who.facts(), &s.dossiers.admin_units());
    let agencies = s.dossiers.receiving_agencies(&procedure);
    let agency = if agencies.len() == 1 {
        agencies[0].code.clone()
    } else {
        String::new()
    };
    render_form(
        &s,
        &procedure,
        None,
        &[],
        &values,
        Vec::new(),
        "",
        &agency,
        None,
    )
}

/// Reads the multipart form: control fields, e-form values (`f_<key>`), files (`file_<i>`).
async fn read_multipart(
    mut m: Multipart,
) -> Result<
    (
        BTreeMap<String, String>,
        BTreeMap<String, String>,
        Vec<Upload>,
    ),
    String,
> {
    let mut control = BTreeMap::new();
    let mut values = BTreeMap::new();
    let mut uploads = Vec::new();
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(format!("Không đọc được biểu mẫu gửi lên: {e}")),
        };
        let name = field.name().unwrap_or("").to_string();
        if let Some(i) = name.strip_prefix("file_") {
            let file_name = field.file_name().unwrap_or("").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| format!("Không đọc được tệp tải lên: {e}"))?;
            if bytes.is_empty() && file_name.is_empty() {
                continue;
            }
            // `file_khac` carries files that answer no particular component.
            let component = if i == "khac" {
                usize::MAX
            } else {
                i.parse::<usize>()
                    .map_err(|_| "Tên tệp tải lên không hợp lệ.".to_string())?
            };
            uploads.push(Upload {
                component,
                file_name,
                bytes: bytes.to_vec(),
            });
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|e| format!("Không đọc được biểu mẫu gửi lên: {e}"))?;
        match name.strip_prefix("f_") {
            Some(key) => {
                values.insert(key.to_string(), text);
            }
            None => {
                control.insert(name, text);
            }
        }
    }
    Ok((control, values, uploads))
}

async fn form_submit(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let shell = &s.platform.shell;
    let who = match applicant(&s, &p).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let parsed = match multipart {
        Ok(m) => read_multipart(m).await,
        Err(e) => Err(format!("Biểu mẫu cần gửi dạng multipart/form-data: {e}")),
    };
    let (control, values, uploads) = match parsed {
        Ok(x) => x,
        Err(m) => return PageError::BadRequest(m).with_shell(shell),
    };
    let procedure = match s.dossiers.open_procedure(&code).await {
        Ok(x) => x,
        Err(e) => return page_error(e, shell),
    };
    let draft_id = control.get("ho_so").filter(|d| !d.is_empty()).cloned();
    let agency = control.get("agency").cloned().unwrap_or_default();
    let (d, problems) = match s
        .dossiers
        .save_draft(&who, draft_id.as_deref(), &code, &agency, &values, &uploads)
        .await
    {
        Ok(x) => x,
        Err(e) => return page_error(e, shell),
    };
    let files = match s.dossiers.view_for(&who.account_id, &d.id).await {
        Ok(v) => v.files,
        Err(e) => return page_error(e, shell),
    };
    if control.get("action").map(String::as_str) == Some("save") {
        let mut res = render_form(
            &s,
            &procedure,
            Some(&d),
            &files,
            &values,
            Vec::new(),
            "Đã lưu hồ sơ nháp. Ông/bà có thể quay lại hoàn thiện sau trong “Hồ sơ của tôi”.",
            &d.agency_code,
            None,
        );
        // A file that was refused is reported even when only saving.
        if problems
            .iter()
            .any(|e| e.field.starts_with("file_") && !e.message.starts_with("Chưa"))
        {
            let upload_errors: Vec<FieldError> = problems
                .into_iter()
                .filter(|e| e.field.starts_with("file_") && !e.message.starts_with("Chưa"))
                .collect();
            res = render_form(
                &s,
                &procedure,
                Some(&d),
                &files,
                &values,
                upload_errors,
                "",
                &d.agency_code,
                None,
            );
        }
        return res;
    }
    if problems.is_empty() {
        return Redirect::to(&format!(
            "/nop-ho-so/{}/xem-lai?ho_so={}",
            procedure.code, d.id
        ))
        .into_response();
    }
    render_form(
        &s,
        &procedure,
        Some(&d),
        &files,
        &values,
        problems,
        "",
        &d.agency_code,
        None,
    )
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewTpl {
    shell: Shell,
    procedure_code: String,
    view: DossierView,
    rows: Vec<(String, String)>,
    components: Vec<(String, Vec<String>)>,
}

async fn review_page(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let who = match applicant(&s, &p).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let procedure = match s.dossiers.open_procedure(&code).await {
        Ok(x) => x,
        Err(e) => return page_error(e, shell),
    };
    let id = q.get("ho_so").cloned().unwrap_or_default();
    let view = match s.dossiers.view_for(&who.account_id, &id).await {
        Ok(v) if v.dossier.status == DossierStatus::Draft => v,
        Ok(v) => {
            return Redirect::to(&format!(
                "/ho-so-cua-toi/{}",
                v.dossier.code.unwrap_or(v.dossier.id)
            ))
            .into_response()
        }
        Err(e) => return page_error(e, shell),
    };
    let values = draft_values(&view.dossier);
    let rows = procedure
        .form
        .iter()
        .map(|f| {
            (
                f.label.clone(),
                values.get(&f.key).cloned().unwrap_or_else(|| "–".into()),
            )
        })
        .collect();
    let components = procedure
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                c.name.clone(),
                view.files
                    .iter()
                    .filter(|f| f.component == i as i64)
                    .map(|f| f.file_name.clone())
                    .collect(),
            )
        })
        .collect();
    render(&ReviewTpl {
        shell: (**shell).clone(),
        procedure_code: procedure.code.clone(),
        view,
        rows,
        components,
    })
}

async fn submit(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let who = match applicant(&s, &p).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let id = f.get("ho_so").cloned().unwrap_or_default();
    match s.dossiers.submit(&who, &id).await {
        Ok(d) => Redirect::to(&format!(
            "/ho-so-cua-toi/{}?da-nop=1",
            d.code.unwrap_or(d.id)
        ))
        .into_response(),
        Err(DossierError::Invalid(_)) => {
            Redirect::to(&format!("/nop-ho-so/{code}?ho_so={id}")).into_response()
        }
        Err(e) => page_error(e, shell),
    }
}

#[derive(Template)]
#[template(path = "my_dossiers.html")]
struct ListTpl {
    shell: Shell,
    dossiers: Vec<Dossier>,
    notices: Vec<cqdt_notify::Notice>,
}

async fn my_list(State(s): State<DossierState>, p: Principal) -> Response {
    let notices = match s.dossiers.notices(&p.account_id).await {
        Ok(n) => n,
        Err(e) => return page_error(e, &s.platform.shell),
    };
    match s.dossiers.mine(&p.account_id).await {
        Ok(dossiers) => render(&ListTpl {
            shell: (*s.platform.shell).clone(),
            dossiers,
            notices,
        }),
        Err(e) => page_error(e, &s.platform.shell),
    }
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupTpl {
    shell: Shell,
    code: String,
    result: Option<Value>,
    searched: bool,
}

async fn lookup_page(
    State(s): State<DossierState>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let code = q
        .get("ma")
        .map(|c| c.trim().to_string())
        .unwrap_or_default();
    let result = if code.is_empty() {
        None
    } else {
        match s.dossiers.lookup(&code).await {
            Ok(r) => r,
            Err(e) => return page_error(e, &s.platform.shell),
        }
    };
    render(&LookupTpl {
        shell: (*s.platform.shell).clone(),
        searched: !code.is_empty(),
        code,
        result,
    })
}

// ---- API ----

fn problem(e: DossierError) -> Response {
    match e {
        DossierError::Invalid(errors) => {
            let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Hồ sơ chưa hợp lệ")
                .with_detail("Xem danh sách lỗi theo từng trường.");
            p.errors = errors;
            p.into_response()
        }
        DossierError::NotFound(c) => {
            Problem::not_found(format!("Không có hồ sơ {c}.")).into_response()
        }
        DossierError::Closed(m) | DossierError::Conflict(m) => {
            Problem::new(StatusCode::CONFLICT, "Không thực hiện được")
                .with_detail(m)
                .into_response()
        }
        DossierError::Forbidden(m) => Problem::new(StatusCode::FORBIDDEN, "Không có quyền")
            .with_detail(m)
            .into_response(),
        other => Problem::internal(other).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct Filing {
    procedure_code: String,
    agency_code: String,
    #[serde(default)]
    form: BTreeMap<String, Value>,
}

async fn api_file(
    State(s): State<DossierState>,
    p: Principal,
    body: Result<Json<Filing>, JsonRejection>,
) -> Response {
    let Some(who) = s.applicants.applicant(&p).await else {
        return Problem::new(StatusCode::FORBIDDEN, "Không có quyền")
            .with_detail("Chỉ tài khoản công dân mới nộp hồ sơ trực tuyến.")
            .into_response();
    };
    let f = match body {
        Ok(Json(f)) => f,
        Err(e) => {
            return Problem::bad_request(format!("Nội dung JSON không đọc được: {}", e.body_text()))
                .into_response()
        }
    };
    let values: BTreeMap<String, String> = f
        .form
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect();
    match s.dossiers.file_directly(&who, &f.procedure_code, &f.agency_code, &values).await {
        Ok(d) => (StatusCode::CREATED, Json(json!({"code": d.code, "status": d.status, "status_label": d.status.label(), "submitted_at": d.submitted_at}))).into_response(),
        Err(e) => problem(e),
    }
}

async fn api_mine(State(s): State<DossierState>, p: Principal) -> Response {
    match s.dossiers.mine(&p.account_id).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => problem(e),
    }
}

async fn api_get(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
) -> Response {
    match s.dossiers.view_for(&p.account_id, &code).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => problem(e),
    }
}

async fn api_lookup(State(s): State<DossierState>, Path(code): Path<String>) -> Response {
    match s.dossiers.lookup(&code).await {
        Ok(Some(v)) => Json(v).into_response(),
        Ok(None) => problem(DossierError::NotFound(code)),
        Err(e) => problem(e),
    }
}

/// The OpenAPI paths of the dossier API.
pub fn openapi_paths() -> Value {
    let problem = json!({"$ref": "#/components/responses/Problem"});
    let code =
        json!([{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}]);
    let mut paths = json!({
        "/api/v1/dossiers": {
            "get": {"summary": "The signed-in applicant's dossiers (session cookie or bearer token)", "tags": ["dossiers"],
                "responses": {"200": {"description": "dossiers"}, "401": problem}},
            "post": {"summary": "File and submit a dossier in one step (procedures without required attachments)", "tags": ["dossiers"],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["procedure_code", "agency_code"],
                    "properties": {"procedure_code": {"type": "string"}, "agency_code": {"type": "string"}, "form": {"type": "object"}}}}}},
                "responses": {"201": {"description": "{code, status, submitted_at}"}, "401": problem, "409": problem, "422": problem}}},
        "/api/v1/dossiers/{code}": {"get": {"summary": "One of the applicant's dossiers with files and timeline", "tags": ["dossiers"],
            "parameters": code, "responses": {"200": {"description": "dossier"}, "404": problem}}},
        "/api/v1/dossiers/lookup/{code}": {"get": {"summary": "Public status lookup by dossier code (no personal data)", "tags": ["dossiers"],
            "parameters": code, "responses": {"200": {"description": "status and steps"}, "404": problem}}},
        "/api/v1/dia-ban/{province}/xa": {"get": {"summary": "Commune-level units of a province in force, for address fields (send the label or code as `<key>__xa`, the province as `<key>__tinh`)", "tags": ["dossiers"],
            "parameters": [{"name": "province", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "{province, communes: [{code, label}]}"}, "404": problem}}}
    });
    if let (Some(all), Value::Object(more)) = (paths.as_object_mut(), life::openapi_paths()) {
        all.extend(more);
    }
    paths
}
