//! The admin page `/admin/workflow`: deployed definitions, recent instances, and an upload
//! form that deploys a BPMN file through the same service call as the API.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cqdt_platform::filters;
use cqdt_platform::web::render;
use cqdt_platform::{Admin, FieldError, RequestId, Shell};

use super::WorkflowState;
use crate::service::WorkflowError;
use crate::store::{DefinitionRow, InstanceRow, JobRow};

#[derive(Template)]
#[template(path = "workflow.html")]
struct WorkflowPage {
    shell: Shell,
    notice: String,
    errors: Vec<FieldError>,
    definitions: Vec<DefinitionRow>,
    instances: Vec<InstanceRow>,
    /// External tasks whose worker gave up (no retries left).
    incidents: Vec<JobRow>,
    /// Running instances nothing can move on.
    stuck: Vec<InstanceRow>,
}

impl WorkflowPage {
    /// An instance's status as the administrator reads it.
    fn status_label<'a>(&self, status: &'a str) -> &'a str {
        match status {
            "active" => "Đang chạy",
            "completed" => "Đã hoàn thành",
            "incident" => "Gặp sự cố",
            "cancelled" => "Đã huỷ",
            other => other,
        }
    }
}

async fn show(
    s: &WorkflowState,
    notice: String,
    errors: Vec<FieldError>,
) -> Result<Response, WorkflowError> {
    Ok(render(&WorkflowPage {
        shell: (*s.platform.shell).clone(),
        notice,
        errors,
        definitions: s.workflow.definitions().await?,
        instances: s.workflow.instances(None, 50).await?,
        incidents: s.workflow.jobs(None, true, 100).await?,
        stuck: s.workflow.stuck(50).await?,
    }))
}

pub(super) async fn page(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WorkflowError> {
    let notice = match (q.get("nap"), q.get("phien-ban"), q.get("huy"), q.get("thu-lai")) {
        _ if q.contains_key("chay-lai") => {
            let id = q.get("chay-lai").map(String::as_str).unwrap_or("");
            match q.get("ket-qua").map(String::as_str) {
                Some("incident") => format!(
                    "Đã chạy lại lượt {id} nhưng lượt chạy lại gặp sự cố; xem lý do trong bảng."
                ),
                _ => format!("Đã chạy lại lượt {id} từ chỗ dừng; đã ghi nhật ký."),
            }
        }
        (Some(key), Some(v), _, _) => format!("Đã nạp quy trình “{key}”, phiên bản {v}."),
        (_, _, Some(id), _) => format!("Đã huỷ lượt chạy {id}; lý do đã được ghi lại."),
        (_, _, _, Some(id)) => {
            format!("Việc tự động {id} được giao lại cho worker (3 lần thử); đã ghi nhật ký.")
        }
        _ => String::new(),
    };
    show(&s, notice, Vec::new()).await
}

/// An error the page shows at the file input.
fn at_file(message: String) -> FieldError {
    FieldError { field: "file".into(), message }
}

/// The uploaded file's bytes; an unreadable form is an error at the file input.
async fn uploaded(mut m: Multipart) -> Result<Vec<u8>, FieldError> {
    let unreadable = || at_file("Không đọc được biểu mẫu (tệp quá lớn hoặc bị gián đoạn).".into());
    let mut file = Vec::new();
    while let Some(field) = m.next_field().await.map_err(|_| unreadable())? {
        if field.name() == Some("file") {
            file = field.bytes().await.map_err(|_| unreadable())?.to_vec();
        }
    }
    Ok(file)
}

pub(super) async fn upload(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    m: Multipart,
) -> Result<Response, WorkflowError> {
    let errors = match uploaded(m).await {
        Err(e) => vec![e],
        Ok(f) if f.is_empty() => vec![at_file("Chọn một tệp BPMN (.bpmn hoặc .xml).".into())],
        Ok(f) => match String::from_utf8(f) {
            Err(_) => vec![at_file("Tệp BPMN phải là văn bản UTF-8.".into())],
            Ok(xml) => match s.workflow.deploy(&admin.name, &rid, &xml).await {
                Ok(d) => {
                    let to = format!("/admin/workflow?nap={}&phien-ban={}", d.key, d.version);
                    return Ok(Redirect::to(&to).into_response());
                }
                // Every error, each naming its element, linked to the file input.
                Err(WorkflowError::Bpmn(errs)) => {
                    errs.iter().map(|e| at_file(e.to_string())).collect()
                }
                Err(e) => return Err(e),
            },
        },
    };
    let mut res = show(&s, String::new(), errors).await?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

/// A page form about one instance (`…/{id}/…`): the administrator sending it, the request,
/// the instance and the fields as typed (trimmed).
pub(super) struct InstanceForm {
    pub admin: Admin,
    pub rid: String,
    pub id: i64,
    fields: HashMap<String, String>,
}

impl InstanceForm {
    /// A field as typed, trimmed; empty when absent.
    pub fn field(&self, name: &str) -> String {
        self.fields.get(name).map(|v| v.trim().to_string()).unwrap_or_default()
    }
}

impl FromRequest<WorkflowState> for InstanceForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &WorkflowState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let admin = Admin::from_request_parts(&mut parts, state).await?;
        let Ok(RequestId(rid)) = RequestId::from_request_parts(&mut parts, state).await;
        let Path(id) = Path::<i64>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Form(fields) =
            Form::<HashMap<String, String>>::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(IntoResponse::into_response)?;
        Ok(InstanceForm { admin, rid, id, fields })
    }
}

/// Cancels an instance from the page, with the reason typed beside it; a missing reason or
/// an instance that has ended shows the page again with the error.
pub(super) async fn cancel(
    State(s): State<WorkflowState>,
    f: InstanceForm,
) -> Result<Response, WorkflowError> {
    let (id, reason) = (f.id, f.field("reason"));
    let (admin, rid) = (&f.admin, &f.rid);
    let (status, message) = match s.workflow.cancel(&admin.name, rid, id, &reason).await {
        Ok(_) => return Ok(Redirect::to(&format!("/admin/workflow?huy={id}")).into_response()),
        Err(WorkflowError::BadRequest(m)) => (StatusCode::UNPROCESSABLE_ENTITY, m),
        Err(WorkflowError::Conflict(m)) => (StatusCode::CONFLICT, m),
        Err(e) => return Err(e),
    };
    let field = format!("reason-{id}");
    let mut res = show(&s, String::new(), vec![FieldError { field, message }]).await?;
    *res.status_mut() = status;
    Ok(res)
}

/// Retries used when an administrator hands a failed job back to the workers.
const RETRIES_FROM_PAGE: i64 = 3;

/// Hands an external task whose worker gave up back to the workers (resolves its incident).
pub(super) async fn retry_job(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
) -> Result<Response, WorkflowError> {
    s.workflow.set_job_retries(&admin.name, &rid, id, RETRIES_FROM_PAGE).await?;
    Ok(Redirect::to(&format!("/admin/workflow?thu-lai={id}")).into_response())
}

/// Runs on an instance an incident stopped, from the page (once its cause is fixed, e.g. a
/// handler registered or a catalog entry added); the page says whether it stopped again.
pub(super) async fn retry(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
) -> Result<Response, WorkflowError> {
    let step = s.workflow.retry_incident(&admin.name, &rid, id, Default::default()).await?;
    let to = format!("/admin/workflow?chay-lai={id}&ket-qua={}", step.instance.status);
    Ok(Redirect::to(&to).into_response())
}
