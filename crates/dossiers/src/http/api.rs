//! The applicant's JSON API (`/api/v1/dossiers`) for kiosks and mobile apps: file in one
//! step, list and read one's own dossiers, answer a supplement request, withdraw, rate,
//! download a result; the public status lookup; and the address picker's communes
//! (`/api/v1/dia-ban/{province}/xa`).

use cqdt_platform::auth::{scope_rule, ApiScope};
use std::collections::BTreeMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use cqdt_platform::{ApiJson, HttpError, Principal, Problem};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use super::{api_parts, DossierState};
use crate::address::{AdminUnit, CommuneChoice};
use crate::error::DossierError;
use crate::model::{rating_label, Dossier, DossierStatus};
use crate::service::{DossierView, PublicStatus, Upload};
use cqdt_platform::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, TooLarge, Unauthenticated, Unprocessable,
};

/// The routes of this file, merged by the module's router.
pub(super) fn routes(up: super::Uploads) -> Router<DossierState> {
    Router::new()
        .route("/api/v1/dossiers", get(api_mine).post(api_file).layer(up.files))
        .route("/api/v1/dossiers/lookup/{code}", get(api_lookup))
        .route("/api/v1/dossiers/{code}", get(api_get))
        .route("/api/v1/dia-ban/{province}/xa", get(communes_api))
        .route("/api/v1/dossiers/{code}/supplement", post(api_supply).layer(up.files))
        .route("/api/v1/dossiers/{code}/withdraw", post(api_withdraw))
        .route("/api/v1/dossiers/{code}/rating", post(api_rate))
        .route("/api/v1/dossiers/{code}/results/{seq}", get(api_result))
        .route_layer(scope_rule(ApiScope::DossiersRead, ApiScope::DossiersWrite))
        // The same download from the applicant's dossier page.
        .route("/ho-so-cua-toi/{code}/ket-qua/{seq}", get(api_result))
}

/// A dossier filed in one step: the procedure, the receiving agency and the e-form.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct Filing {
    /// Provincial procedure code.
    procedure_code: String,
    /// Receiving agency code.
    agency_code: String,
    /// E-form values by field key (text; numbers are taken as their text).
    #[serde(default)]
    #[schema(value_type = Object)]
    form: BTreeMap<String, Value>,
}

/// A dossier just filed.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Filed {
    /// Dossier code.
    code: Option<String>,
    /// Status (submitted).
    status: DossierStatus,
    /// Status in Vietnamese.
    status_label: String,
    /// When it was submitted.
    submitted_at: Option<String>,
}

/// Where a dossier is after a change.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Changed {
    /// Dossier code.
    code: Option<String>,
    /// Status.
    status: DossierStatus,
    /// Status in Vietnamese.
    status_label: String,
}

impl From<Dossier> for Changed {
    fn from(d: Dossier) -> Self {
        Changed { code: d.code, status: d.status, status_label: d.status.label().to_string() }
    }
}

/// The signed-in applicant's dossiers (session cookie or bearer token)
#[utoipa::path(get, path = "/api/v1/dossiers", tag = "dossiers",
    responses(
        (status = 200, description = "dossiers, newest first", body = Vec<Dossier>),
        Unauthenticated,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn api_mine(
    State(s): State<DossierState>,
    p: Principal,
) -> Result<Json<Vec<Dossier>>, DossierError> {
    Ok(Json(s.dossiers.mine(&p.account_id).await?))
}

/// A filing sent as `multipart/form-data`, for procedures with attachments: the procedure
/// and agency, one part per e-form value named `form.<key>`, and the files.
pub(super) struct FilingForm;

impl utoipa::PartialSchema for FilingForm {
    fn schema() -> RefOr<Schema> {
        let text = |description: &str| {
            ObjectBuilder::new().schema_type(Type::String).description(Some(description))
        };
        let file = |description: &str| {
            text(description).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        };
        ObjectBuilder::new()
            .description(Some(
                "One part per e-form value, named `form.<key>` (e.g. `form.child_full_name`; an \
                 address also as `form.<key>__tinh` and `form.<key>__xa`), and one file part per \
                 component, `file_0`, `file_1`… by the component's place in the procedure.",
            ))
            .property("procedure_code", text("Provincial procedure code."))
            .required("procedure_code")
            .property("agency_code", text("Receiving agency code."))
            .required("agency_code")
            .property(
                "file_0",
                file("A file for component 0 (PDF, JPEG or PNG, recognised by its content)."),
            )
            .property("file_1", file("A file for component 1; and so on."))
            .additional_properties(Some(text(
                "An e-form value (`form.<key>`) or another component's file (`file_N`).",
            )))
            .into()
    }
}

impl ToSchema for FilingForm {}

/// File and submit a dossier in one step, with the portal's checks: attachments (multipart) for every required component
#[utoipa::path(post, path = "/api/v1/dossiers", tag = "dossiers",
    request_body(
        description = "JSON for a procedure without required components; otherwise \
            multipart/form-data with the files. A missing required component is refused (422) \
            by name, as on the portal.",
        content(
            (Filing = "application/json"),
            (FilingForm = "multipart/form-data"),
        ),
    ),
    responses(
        (status = 201, description = "the dossier, submitted", body = Filed),
        BadRequest, Unauthenticated, Forbidden, Conflict, TooLarge, Unprocessable,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn api_file(
    State(s): State<DossierState>,
    p: Principal,
    req: Request,
) -> Result<(StatusCode, Json<Filed>), HttpError> {
    let who = s.applicants.applicant(&p).await.ok_or_else(|| {
        DossierError::Forbidden("Chỉ tài khoản công dân mới nộp hồ sơ trực tuyến.".into())
    })?;
    let f = filing_of(req).await?;
    let d = s
        .dossiers
        .file_directly(&who, &f.procedure_code, &f.agency_code, &f.values, &f.uploads)
        .await?;
    let filed = Filed {
        status_label: d.status.label().to_string(),
        code: d.code,
        status: d.status,
        submitted_at: d.submitted_at,
    };
    Ok((StatusCode::CREATED, Json(filed)))
}

/// A filing as sent, in JSON or as a multipart form.
struct Sent {
    procedure_code: String,
    agency_code: String,
    values: BTreeMap<String, String>,
    uploads: Vec<Upload>,
}

/// Reads a filing: a multipart form (`form.<key>` values, `file_N` files) or JSON.
async fn filing_of(req: Request) -> Result<Sent, HttpError> {
    let multipart =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data")
        });
    if multipart {
        let parts = api_parts(Multipart::from_request(req, &()).await).await?;
        let control = |k: &str| super::control(&parts.control, k).trim().to_string();
        return Ok(Sent {
            procedure_code: control("procedure_code"),
            agency_code: control("agency_code"),
            values: parts.values,
            uploads: parts.uploads,
        });
    }
    let ApiJson(f) = ApiJson::<Filing>::from_request(req, &()).await?;
    Ok(Sent {
        procedure_code: f.procedure_code,
        agency_code: f.agency_code,
        values: f.form.into_iter().map(|(k, v)| (k, text_of(v))).collect(),
        uploads: Vec::new(),
    })
}

/// One of the applicant's dossiers with files and timeline
#[utoipa::path(get, path = "/api/v1/dossiers/{code}", tag = "dossiers",
    params(("code" = String, Path, description = "dossier code (or a draft's id)")),
    responses(
        (status = 200, description = "the dossier", body = DossierView),
        Unauthenticated, NotFound,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn api_get(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
) -> Result<Json<DossierView>, DossierError> {
    Ok(Json(s.dossiers.view_for(&p.account_id, &code).await?))
}

/// Public status lookup by dossier code (no personal data)
#[utoipa::path(get, path = "/api/v1/dossiers/lookup/{code}", tag = "dossiers",
    params(("code" = String, Path, description = "dossier code")),
    responses(
        (status = 200, description = "status and steps", body = PublicStatus),
        NotFound,
    ),
    security(()))]
pub(super) async fn api_lookup(
    State(s): State<DossierState>,
    Path(code): Path<String>,
) -> Result<Json<PublicStatus>, DossierError> {
    match s.dossiers.lookup(&code).await? {
        Some(v) => Ok(Json(v)),
        None => Err(DossierError::NotFound(code)),
    }
}

/// A province and its commune-level units in force.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Communes {
    /// The province.
    province: AdminUnit,
    /// Its commune-level units, by label.
    communes: Vec<CommuneChoice>,
}

/// Commune-level units of a province in force, for address fields (send the label or code as `<key>__xa`, the province as `<key>__tinh`)
#[utoipa::path(get, path = "/api/v1/dia-ban/{province}/xa", tag = "dossiers",
    params(("province" = String, Path, description = "province code, e.g. 94")),
    responses(
        (status = 200, description = "the province and its communes", body = Communes),
        NotFound,
    ),
    security(()))]
pub(super) async fn communes_api(
    State(s): State<DossierState>,
    Path(province): Path<String>,
) -> Result<Json<Communes>, HttpError> {
    let units = s.dossiers.admin_units();
    let Some(p) = units.get(&province).filter(|u| u.level == 1) else {
        return Err(Problem::not_found(format!(
            "Không có tỉnh, thành phố mã “{}”.",
            province.chars().take(20).collect::<String>()
        ))
        .into());
    };
    Ok(Json(Communes { communes: units.communes_of(&p.code), province: p.clone() }))
}

/// The content of a file.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub(super) struct FileContent(#[allow(dead_code)] Vec<u8>);

/// The answer to a supplement request: files per component (`file_N`), other files
/// (`file_khac`) and a note.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(super) struct SupplyForm {
    /// What the applicant adds.
    note: Option<String>,
    /// A file for component 0 (`file_1`, `file_2`… for the others).
    file_0: Option<FileContent>,
    /// A file that answers no particular component.
    file_khac: Option<FileContent>,
}

/// Answer the open supplement request with files (file_N per component, file_khac) and a note
#[utoipa::path(post, path = "/api/v1/dossiers/{code}/supplement", tag = "dossiers",
    params(("code" = String, Path, description = "dossier code")),
    request_body(content = SupplyForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "where the dossier is now", body = Changed),
        BadRequest, Unauthenticated, NotFound, Conflict, TooLarge, Unprocessable,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn api_supply(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    m: Result<Multipart, MultipartRejection>,
) -> Result<Json<Changed>, DossierError> {
    let parts = api_parts(m).await?;
    let note = super::control(&parts.control, "note");
    let d = s.dossiers.supply(&p.account_id, &p.actor, &code, &parts.uploads, note).await?;
    Ok(Json(d.into()))
}

/// Why the applicant withdraws.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct WithdrawBody {
    /// Why (optional).
    #[serde(default)]
    reason: String,
}

/// Withdraw a dossier not yet decided
#[utoipa::path(post, path = "/api/v1/dossiers/{code}/withdraw", tag = "dossiers",
    params(("code" = String, Path, description = "dossier code")),
    request_body = WithdrawBody,
    responses(
        (status = 200, description = "where the dossier is now", body = Changed),
        BadRequest, Unauthenticated, NotFound, Conflict, Unprocessable,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn api_withdraw(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<WithdrawBody>,
) -> Result<Json<Changed>, DossierError> {
    let d = s.dossiers.withdraw(&p.account_id, &p.actor, &code, &b.reason).await?;
    Ok(Json(d.into()))
}

/// The applicant's rating of the service.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct RateBody {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    #[schema(value_type = i64, minimum = 1, maximum = 5)]
    score: Value,
    /// Optional comment.
    #[serde(default)]
    comment: String,
}

/// A rating as given.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RatingGiven {
    /// 1 to 5.
    score: i64,
    /// The score in Vietnamese.
    label: String,
    /// Comment.
    comment: String,
    /// When.
    rated_at: String,
}

/// Rate the service of a finished dossier (1–5), once
#[utoipa::path(post, path = "/api/v1/dossiers/{code}/rating", tag = "dossiers",
    params(("code" = String, Path, description = "dossier code")),
    request_body = RateBody,
    responses(
        (status = 201, description = "the rating", body = RatingGiven),
        BadRequest, Unauthenticated, NotFound, Conflict, Unprocessable,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn api_rate(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<RateBody>,
) -> Result<(StatusCode, Json<RatingGiven>), DossierError> {
    let score = text_of(b.score);
    let r = s.dossiers.rate(&p.account_id, &p.actor, &code, &score, &b.comment).await?;
    let given = RatingGiven {
        label: rating_label(r.score).to_string(),
        score: r.score,
        comment: r.comment,
        rated_at: r.rated_at,
    };
    Ok((StatusCode::CREATED, Json(given)))
}

/// Download a result document
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/results/{seq}", tag = "dossiers",
    params(
        ("code" = String, Path, description = "dossier code"),
        ("seq" = i64, Path, description = "the result's number, from 1"),
    ),
    responses(
        (status = 200, description = "the file", content(
            (FileContent = "application/pdf"),
            (FileContent = "image/jpeg"),
            (FileContent = "image/png"),
        )),
        Unauthenticated, NotFound,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn api_result(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, seq)): Path<(String, String)>,
) -> Result<Response, DossierError> {
    let Ok(seq) = seq.parse::<i64>() else {
        return Err(DossierError::NotFound(code));
    };
    let (doc, bytes) = s.dossiers.result_file(&p.account_id, &code, seq).await?;
    Ok(super::file_response(&doc.file_name, &doc.media_type, bytes, false))
}

/// A JSON value as the text a form field would carry: a string as it is, a number as its
/// digits.
fn text_of(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}
