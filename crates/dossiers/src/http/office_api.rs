//! The officials' JSON API (`/api/v1/office/dossiers…`) through which the one-stop back
//! office moves dossiers on: the queues by status, a dossier in scope, the actions
//! (receive, ask for a supplement, hand to processing, return, refuse, apologise), and the
//! result document, uploaded or generated from the procedure's template.

use cqdt_platform::auth::{scope_rule, ApiScope};
use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use cqdt_platform::web::clip;
use cqdt_platform::{ApiJson, FieldError, HttpError, Principal, Problem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::{Changed, FileContent};
use super::{api_parts, control, DossierState};
use crate::error::DossierError;
use crate::model::{Dossier, DossierStatus, SupplementItem};
use crate::service::{DossierView, OfficeAction, ResultDraft, Upload};
use cqdt_platform::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, TooLarge, Unauthenticated, Unprocessable,
};

/// The routes of this file, merged by the module's router.
pub(super) fn routes(up: super::Uploads) -> Router<DossierState> {
    const ONE: &str = "/api/v1/office/dossiers/{code}";
    Router::new()
        .route("/api/v1/office/dossiers", get(office_queue))
        .route(ONE, get(office_get))
        .route(&format!("{ONE}/receive"), post(office_receive))
        .route(&format!("{ONE}/supplement-request"), post(office_supplement_request))
        .route(&format!("{ONE}/processing"), post(office_processing))
        .route(&format!("{ONE}/return"), post(office_return))
        .route(&format!("{ONE}/refuse"), post(office_refuse))
        .route(&format!("{ONE}/apologise"), post(office_apologise))
        .route(&format!("{ONE}/result"), post(office_result).layer(up.one))
        .route(&format!("{ONE}/result/draft"), get(office_result_draft))
        .route(&format!("{ONE}/result/generated"), post(office_result_generated))
        .route(&format!("{ONE}/{{action}}"), post(office_unknown_action))
        .route_layer(scope_rule(ApiScope::Office, ApiScope::Office))
}

/// Dossiers in one status.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Queue {
    /// Oldest first.
    dossiers: Vec<Dossier>,
}

/// Dossiers in a status within the official's agency scope (default: submitted, the reception queue)
#[utoipa::path(get, path = "/api/v1/office/dossiers", tag = "office",
    params(("status" = Option<DossierStatus>, Query, description = "any status but draft; submitted by default")),
    responses(
        (status = 200, description = "the queue", body = Queue),
        BadRequest, Unauthenticated,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn office_queue(
    State(s): State<DossierState>,
    p: Principal,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Queue>, DossierError> {
    let status = match q.get("status").map(String::as_str).unwrap_or("submitted") {
        "draft" => return Err(DossierError::BadRequest("Hồ sơ nháp không thuộc hàng chờ.".into())),
        other => DossierStatus::parse(other)
            .ok_or_else(|| DossierError::BadRequest(format!("Tình trạng “{other}” không có.")))?,
    };
    let dossiers = s.dossiers.queue(&p, status).await?;
    Ok(Json(Queue { dossiers }))
}

/// A dossier in the official's scope with files, timeline, supplement requests, results and rating
#[utoipa::path(get, path = "/api/v1/office/dossiers/{code}", tag = "office",
    params(("code" = String, Path, description = "dossier code")),
    responses(
        (status = 200, description = "the dossier", body = DossierView),
        Unauthenticated, NotFound,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn office_get(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
) -> Result<Json<DossierView>, DossierError> {
    Ok(Json(s.dossiers.view_for_official(&p, &code).await?))
}

/// Where a dossier is after an official's action.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Acted {
    /// Dossier code.
    code: Option<String>,
    /// Status.
    status: DossierStatus,
    /// Status in Vietnamese.
    status_label: String,
    /// The appointment date (yyyy-mm-dd), once received.
    due_date: Option<String>,
}

/// Reception with the appointment date.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub(super) struct ReceiveBody {
    /// Omit to compute it from the procedure's processing time and the working-day calendar.
    #[schema(format = Date)]
    due_date: Option<String>,
}

/// Everything missing, at once (Mẫu 02).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub(super) struct SupplementRequestBody {
    /// What is missing or must be corrected.
    items: Vec<SupplementItem>,
    /// Guidance for the applicant.
    note: Option<String>,
}

/// A refusal (Mẫu 03).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub(super) struct RefuseBody {
    /// Why, in Vietnamese.
    reasons: String,
}

/// An apology for a late result (Mẫu 04).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub(super) struct ApologiseBody {
    /// Why the result is late.
    reason: String,
    /// The new return date.
    #[schema(format = Date)]
    new_due_date: String,
}

/// What any action may carry; each reads its own fields.
#[derive(Deserialize, Default)]
struct ActBody {
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    items: Vec<SupplementItem>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    new_due_date: String,
}

fn date_error(field: &str, message: &str) -> DossierError {
    DossierError::Invalid(vec![FieldError::new(field, message)])
}

/// The action named in the path, with its data from the body; none if there is no such
/// action.
fn action_of(name: &str, b: ActBody) -> Result<Option<OfficeAction>, DossierError> {
    let ymd = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d");
    Ok(Some(match name {
        "receive" => match b.due_date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => OfficeAction::Receive { due_date: None },
            Some(due) => OfficeAction::Receive {
                due_date: Some(ymd(due).map_err(|_| {
                    date_error("due_date", "Ngày hẹn trả kết quả phải có dạng YYYY-MM-DD.")
                })?),
            },
        },
        "supplement-request" => OfficeAction::RequestSupplement { items: b.items, note: b.note },
        "processing" => OfficeAction::StartProcessing,
        "return" => OfficeAction::Return,
        "refuse" => OfficeAction::Refuse { reasons: b.reasons },
        "apologise" => OfficeAction::Apologise {
            new_due: ymd(b.new_due_date.trim())
                .map_err(|_| date_error("new_due_date", "Ngày hẹn mới phải có dạng YYYY-MM-DD."))?,
            reason: b.reason,
        },
        _ => return Ok(None),
    }))
}

/// Takes the action `name` on the dossier `code`; actions without data (processing,
/// return) may come with no body at all.
async fn act(
    s: &DossierState,
    p: &Principal,
    code: &str,
    name: &str,
    body: &Bytes,
) -> Result<Json<Acted>, HttpError> {
    let b: ActBody = if body.iter().all(u8::is_ascii_whitespace) {
        ActBody::default()
    } else {
        // serde's message quotes the value it could not take: clipped.
        serde_json::from_slice(body).map_err(|e| {
            DossierError::BadRequest(format!(
                "Nội dung JSON không hợp lệ: {}",
                clip(&e.to_string(), 300)
            ))
        })?
    };
    let Some(action) = action_of(name, b)? else {
        return Err(Problem::not_found(format!("Không có thao tác “{}”.", clip(name, 100))).into());
    };
    let d = s.dossiers.act(p, code, action).await?;
    Ok(Json(Acted {
        status_label: d.status.label().to_string(),
        code: d.code,
        status: d.status,
        due_date: d.due_date,
    }))
}

/// A handler of one action, described for OpenAPI with the answers every action may give.
macro_rules! action_route {
    ($name:ident, $path:literal, $action:literal, $summary:literal $(, $body:ty)?) => {
        #[doc = $summary]
        #[utoipa::path(post, path = $path, tag = "office",
            params(("code" = String, Path, description = "dossier code")),
            $(request_body = $body,)?
            responses(
                (status = 200, description = "where the dossier is now", body = Acted),
                BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Unprocessable,
            ),
            security(("session" = []), ("bearer" = [])))]
        pub(super) async fn $name(
            State(s): State<DossierState>,
            p: Principal,
            Path(code): Path<String>,
            body: Bytes,
        ) -> Result<Json<Acted>, HttpError> {
            act(&s, &p, &code, $action, &body).await
        }
    };
}

action_route!(
    office_receive,
    "/api/v1/office/dossiers/{code}/receive",
    "receive",
    "Receive (reception officer) with the appointment date",
    ReceiveBody
);
action_route!(
    office_supplement_request,
    "/api/v1/office/dossiers/{code}/supplement-request",
    "supplement-request",
    "Ask for everything missing at once (Mẫu 02); the clock stops",
    SupplementRequestBody
);
action_route!(
    office_processing,
    "/api/v1/office/dossiers/{code}/processing",
    "processing",
    "Hand a received dossier to processing"
);
action_route!(
    office_return,
    "/api/v1/office/dossiers/{code}/return",
    "return",
    "Record that the result was returned at the counter"
);
action_route!(
    office_refuse,
    "/api/v1/office/dossiers/{code}/refuse",
    "refuse",
    "Refuse with reasons (Mẫu 03)",
    RefuseBody
);
action_route!(
    office_apologise,
    "/api/v1/office/dossiers/{code}/apologise",
    "apologise",
    "Apologise for a late result with a new return date (Mẫu 04); the applicant is notified; statistics still count it late",
    ApologiseBody
);

/// Any other action: there is none
#[utoipa::path(post, path = "/api/v1/office/dossiers/{code}/{action}", tag = "office",
    params(
        ("code" = String, Path, description = "dossier code"),
        ("action" = String, Path, description = "not one of the actions above"),
    ),
    responses(
        BadRequest, Unauthenticated, NotFound,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn office_unknown_action(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Acted>, HttpError> {
    act(&s, &p, &code, &action, &body).await
}

/// A result document uploaded.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(super) struct ResultForm {
    /// The document: PDF, JPEG or PNG.
    file_0: FileContent,
    /// Description (e.g. the licence number).
    note: Option<String>,
    /// `true` returns it through the portal at once.
    online: Option<bool>,
}

/// Attach the result document (processing officer or leader); online=true returns it through the portal
#[utoipa::path(post, path = "/api/v1/office/dossiers/{code}/result", tag = "office",
    params(("code" = String, Path, description = "dossier code")),
    request_body(content = ResultForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "where the dossier is now", body = Changed),
        BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, TooLarge, Unprocessable,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn office_result(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    m: Result<Multipart, MultipartRejection>,
) -> Result<Json<Changed>, DossierError> {
    let mut parts = api_parts(m).await?;
    let Some(upload) = parts.uploads.pop().filter(|_| parts.uploads.is_empty()) else {
        return Err(DossierError::Invalid(vec![FieldError::new(
            "file",
            "Cần đính kèm đúng một tệp kết quả (trường file_0).",
        )]));
    };
    let upload = Upload { component: 0, ..upload };
    let note = control(&parts.control, "note");
    let online = matches!(control(&parts.control, "online"), "true" | "1");
    let d = s.dossiers.add_result(&p, &code, &upload, note, online).await?;
    Ok(Json(d.into()))
}

/// The result document as the procedure's template fills it from the dossier (processing officer or leader, while the result may be issued)
#[utoipa::path(get, path = "/api/v1/office/dossiers/{code}/result/draft", tag = "office",
    params(("code" = String, Path, description = "dossier code")),
    responses(
        (status = 200, description = "the draft", body = ResultDraft),
        Unauthenticated, Forbidden, NotFound,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn office_result_draft(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
) -> Result<Json<ResultDraft>, DossierError> {
    let (_, draft) = s.dossiers.result_draft(&p, &code).await?;
    Ok(Json(draft))
}

/// A generated result: the draft's fields to replace (the rest as the template fills them),
/// and whether to preview it or return it online.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct GeneratedBody {
    /// Number and symbol.
    number: Option<String>,
    /// Title.
    title: Option<String>,
    /// Body; lines are paragraphs.
    body: Option<String>,
    /// Title of the signer.
    signer_title: Option<String>,
    /// Name of the signer.
    signer_name: Option<String>,
    /// Return it through the portal at once.
    #[serde(default)]
    online: bool,
    /// Answer the PDF and store nothing.
    #[serde(default)]
    preview: bool,
}

/// Generate the result document (A4 PDF, not digitally signed) from the draft with the given fields replaced; preview=true answers the PDF and stores nothing, otherwise it is issued as the result (online=true returns it through the portal)
#[utoipa::path(post, path = "/api/v1/office/dossiers/{code}/result/generated", tag = "office",
    params(("code" = String, Path, description = "dossier code")),
    request_body = GeneratedBody,
    responses(
        (status = 200, description = "where the dossier is now, or the PDF with preview", content(
            (Changed = "application/json"),
            (FileContent = "application/pdf"),
        )),
        BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Unprocessable,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(super) async fn office_result_generated(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<GeneratedBody>,
) -> Result<Response, DossierError> {
    let (_, mut draft) = s.dossiers.result_draft(&p, &code).await?;
    for (field, value) in [
        (&mut draft.number, b.number),
        (&mut draft.title, b.title),
        (&mut draft.body, b.body),
        (&mut draft.signer_title, b.signer_title),
        (&mut draft.signer_name, b.signer_name),
    ] {
        if let Some(v) = value {
            *field = v;
        }
    }
    if b.preview {
        let pdf = s.dossiers.result_preview(&p, &code, &draft).await?;
        return Ok(([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response());
    }
    let d = s.dossiers.generate_result(&p, &code, &draft, b.online).await?;
    Ok(Json(Changed::from(d)).into_response())
}

/// Marks the body of a reception optional: without one, the appointment is computed.
pub(super) struct OptionalBodies;

impl utoipa::Modify for OptionalBodies {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let receive = doc
            .paths
            .paths
            .get_mut("/api/v1/office/dossiers/{code}/receive")
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.request_body.as_mut());
        if let Some(body) = receive {
            body.required = Some(utoipa::openapi::Required::False);
        }
    }
}
