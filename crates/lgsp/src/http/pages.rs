//! The integration platform's admin pages: the registry (members, systems, services), a
//! service's documentation read from its OpenAPI document, access requests waiting for the
//! provider's decision, and the gateway's traffic (operational monitoring).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cqdt_platform::filters;
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, RequestId, Shell};
use serde::Deserialize;

mod federation;

use super::{LgspState, Steward};
use crate::model::{
    Grant, GrantStatus, LgspError, Member, Operation, Service, ServiceStatus, Subsystem,
};
use crate::monitor::{chart, summarise, Traffic};
use crate::service::{date_vn, AccessRequest, Actor, ServiceDraft};
use crate::store::GrantFilter;

pub(super) fn routes() -> Router<LgspState> {
    Router::new()
        .route("/admin/lgsp", get(overview))
        .route("/admin/lgsp/thanh-vien", post(add_member))
        .route("/admin/lgsp/he-thong", post(add_subsystem))
        .route("/admin/lgsp/nhan", post(set_push))
        .route("/admin/lgsp/nen-tang", post(federation::add_peer))
        .route("/admin/lgsp/nen-tang/dich-vu", post(federation::import_service))
        .route("/admin/lgsp/nen-tang/ngat", post(federation::remove_peer))
        .route("/admin/lgsp/dich-vu", post(register_service))
        .route("/admin/lgsp/dich-vu/{id}", get(service_page))
        .route("/admin/lgsp/nhat-ky/{seq}/{side}", get(super::bodies::body))
        .route("/admin/lgsp/quyen", post(request_access))
        .route("/admin/lgsp/quyen/{id}", post(decide))
}

struct GrantView {
    id: String,
    consumer: String,
    service: String,
    operation: String,
    purpose: String,
    until: String,
    status: &'static str,
    requested: String,
    decidable: bool,
    revocable: bool,
}

struct ServiceView {
    id: String,
    name: String,
    /// `member/code`.
    key: String,
    address: String,
    provider: String,
    status: &'static str,
    version: String,
}

#[derive(Template)]
#[template(path = "lgsp_overview.html")]
struct Overview {
    shell: Shell,
    errors: Vec<FieldError>,
    notice: String,
    members: Vec<Member>,
    subsystems: Vec<Subsystem>,
    /// The members and systems the person administers (the forms offer only these).
    own_members: Vec<Member>,
    own_subsystems: Vec<Subsystem>,
    /// Whether the person may make agencies members (platform administrators).
    platform: bool,
    /// Peer platforms.
    peers: Vec<federation::PeerView>,
    services: Vec<ServiceView>,
    pending: Vec<GrantView>,
    granted: Vec<GrantView>,
    traffic: Traffic,
    /// The service whose traffic is shown (`member/code`), or "" for all.
    traffic_of: String,
    calls_chart: String,
    latency_chart: String,
    /// Records in the message log, and its newest seal.
    log_records: i64,
    seal: Option<crate::seal::Seal>,
    /// The dead letter: messages that could not be pushed, newest first.
    dead: Vec<crate::exchange::Message>,
    statuses: Vec<(&'static str, &'static str)>,
    /// How much of each body a new service keeps: (bytes, label).
    keep_choices: Vec<(String, String)>,
    agencies_hint: &'static str,
    /// A refused form's values as typed, by input id.
    typed: Typed,
}

/// A refused form's values as typed, by the inputs' ids, so nothing typed is lost.
#[derive(Default)]
struct Typed(Vec<(String, String)>);

impl Typed {
    fn get(&self, id: &str) -> &str {
        self.0.iter().find(|(k, _)| k == id).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    fn is(&self, id: &str, value: impl AsRef<str>) -> bool {
        self.get(id) == value.as_ref()
    }

    fn of(prefix: &str, fields: &[(&str, &str)]) -> Typed {
        Typed(fields.iter().map(|(k, v)| (format!("{prefix}{k}"), v.to_string())).collect())
    }
}

/// What pages show instead of codes: systems and people by name.
struct Names {
    services: Vec<Service>,
    systems: std::collections::HashMap<String, String>,
    people: std::collections::HashMap<String, String>,
}

impl Names {
    async fn read(
        s: &LgspState,
        services: Vec<Service>,
        grants: &[&Grant],
    ) -> Result<Names, LgspError> {
        let members = s.registry.members().await?;
        let systems = s
            .registry
            .subsystems()
            .await?
            .into_iter()
            .map(|x| {
                let agency = members
                    .iter()
                    .find(|m| m.code == x.member_code)
                    .map(|m| m.name.clone())
                    .unwrap_or_else(|| x.member_code.clone());
                (x.key(), format!("{} – {agency}", x.name))
            })
            .collect();
        let mut actors: Vec<String> = grants.iter().map(|g| g.requested_by.clone()).collect();
        actors.sort();
        actors.dedup();
        let people = s.platform.auth.display_names(&actors).await;
        Ok(Names { services, systems, people })
    }

    fn system(&self, key: &str) -> String {
        self.systems.get(key).cloned().unwrap_or_else(|| key.to_string())
    }

    fn grant(&self, g: &Grant, actor: &Actor) -> GrantView {
        let svc = self.services.iter().find(|s| s.id == g.service_id);
        let manages = svc.is_some_and(|s| actor.manages(&s.member_code));
        GrantView {
            id: g.id.clone(),
            consumer: self.system(&format!("{}/{}", g.consumer_member, g.consumer_subsystem)),
            service: svc.map(|s| s.name.clone()).unwrap_or_else(|| g.service_id.clone()),
            operation: g.operation_id.clone(),
            purpose: g.purpose.clone(),
            until: date_vn(&g.valid_until),
            status: g.status.label(),
            requested: self
                .people
                .get(&g.requested_by)
                .cloned()
                .unwrap_or_else(|| g.requested_by.clone()),
            decidable: manages && g.status == GrantStatus::Requested,
            revocable: manages && g.status == GrantStatus::Approved,
        }
    }
}

async fn overview_page(
    s: &LgspState,
    actor: &Actor,
    errors: Vec<FieldError>,
    notice: String,
    typed: Typed,
    traffic_of: &str,
) -> Result<Response, LgspError> {
    let services = s.registry.services(None).await?;
    let members = s.registry.members().await?;
    let subsystems = s.registry.subsystems().await?;
    let pending = s
        .registry
        .grants(&GrantFilter { status: "requested".into(), ..Default::default() }, 200)
        .await?;
    let granted = s
        .registry
        .grants(&GrantFilter { status: "approved".into(), ..Default::default() }, 200)
        .await?;
    let (log_records, seal) = crate::seal::status(s.registry.db()).await?;
    let dead = s.exchange.dead(50).await?;
    let peers = s.registry.peers().await?;
    let names =
        Names::read(s, services.clone(), &pending.iter().chain(&granted).collect::<Vec<_>>())
            .await?;
    // Only a registered service is a filter; anything else shows all.
    let traffic_of = services
        .iter()
        .map(|x| format!("{}/{}", x.member_code, x.code))
        .find(|k| k == traffic_of)
        .unwrap_or_default();
    let (db, clock) = (s.registry.db(), s.registry.clock());
    let traffic = summarise(db, clock, &services, &traffic_of, |k| names.system(k)).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = render(&Overview {
        shell: (*s.platform.shell).clone(),
        errors,
        notice,
        own_members: members.iter().filter(|m| actor.manages(&m.code)).cloned().collect(),
        own_subsystems: subsystems
            .iter()
            .filter(|x| actor.manages(&x.member_code))
            .cloned()
            .collect(),
        platform: actor.scopes.is_none(),
        peers: peers.iter().map(|p| federation::PeerView::of(p, &names)).collect(),
        members,
        subsystems,
        typed,
        services: services
            .iter()
            .map(|x| ServiceView {
                id: x.id.clone(),
                name: x.name.clone(),
                key: format!("{}/{}", x.member_code, x.code),
                address: format!("/lgsp/{}/{}", x.member_code, x.code),
                provider: names.system(&format!("{}/{}", x.member_code, x.subsystem_code)),
                status: x.status.label(),
                version: x.version.clone(),
            })
            .collect(),
        pending: pending.iter().map(|g| names.grant(g, actor)).collect(),
        granted: granted.iter().map(|g| names.grant(g, actor)).collect(),
        calls_chart: chart::calls_chart(&traffic.hours),
        latency_chart: chart::latency_chart(&traffic.hours),
        traffic,
        traffic_of,
        log_records,
        seal,
        dead,
        statuses: ServiceStatus::ALL.iter().map(|x| (x.as_str(), x.label())).collect(),
        keep_choices: [0, 100_000, 1_000_000, 16_000_000]
            .into_iter()
            .map(|n| match n {
                0 => ("0".into(), "Không lưu, chỉ giữ mã băm".into()),
                n => (n.to_string(), format!("Lưu nội dung đến {}", filters::size_text(n))),
            })
            .collect(),
        agencies_hint: "Mã cơ quan theo QĐ 20/2020, ví dụ 000.00.12.H51",
    });
    Ok((status, page).into_response())
}

/// What the overview says after a change (`?xong=…`): fixed sentences, never the query's text.
#[derive(Deserialize)]
struct Done {
    xong: Option<String>,
    /// The service whose traffic to show.
    #[serde(rename = "dich-vu")]
    dich_vu: Option<String>,
}

const NOTICES: [(&str, &str); 9] = [
    ("ngat-ket-noi", "Đã ngắt kết nối nền tảng."),
    ("nen-tang", "Đã kết nối nền tảng."),
    ("lay-dich-vu", "Đã đăng ký dịch vụ của nền tảng kết nối."),
    ("thanh-vien", "Đã kết nạp thành viên."),
    ("he-thong", "Đã thêm hệ thống."),
    ("yeu-cau", "Đã gửi yêu cầu cấp quyền; quản trị của đơn vị cung cấp sẽ duyệt."),
    ("quyet-dinh", "Đã ghi quyết định về quyền khai thác."),
    ("dich-vu", "Đã lưu dịch vụ."),
    ("nhan", "Đã lưu địa chỉ nhận thông điệp."),
];

async fn overview(
    Steward(actor): Steward,
    State(s): State<LgspState>,
    Query(q): Query<Done>,
) -> Result<Response, LgspError> {
    let notice = NOTICES
        .iter()
        .find(|(k, _)| q.xong.as_deref() == Some(*k))
        .map(|(_, text)| text.to_string())
        .unwrap_or_default();
    let only = q.dich_vu.as_deref().unwrap_or("");
    overview_page(&s, &actor, Vec::new(), notice, Typed::default(), only).await
}

/// A refused form shows the page again with the reasons; anything else is an error page.
/// The forms of the overview page share field names (each has a code); an error names the
/// input of the form that was sent (`input` maps a field to its id), so the summary links to
/// it and only that form shows it.
async fn again(
    s: &LgspState,
    actor: &Actor,
    e: LgspError,
    input: &(dyn Fn(&str) -> String + Sync),
    typed: Typed,
) -> Result<Response, LgspError> {
    let errors = match e {
        LgspError::Invalid(errors) => errors,
        LgspError::Conflict(m) | LgspError::NotFound(m) => vec![FieldError::new("code", m)],
        // A peer platform that does not answer (the service import).
        LgspError::Gateway(r) => vec![FieldError::new("code", r.detail)],
        other => return Err(other),
    };
    let errors = errors.into_iter().map(|e| FieldError::new(input(&e.field), e.message)).collect();
    overview_page(s, actor, errors, String::new(), typed, "").await
}

/// After a form of the overview page: the page with `notice` when the change was made, else
/// the page again with the reasons ([`again`]).
async fn settle<T>(
    s: &LgspState,
    actor: &Actor,
    result: Result<T, LgspError>,
    notice: &str,
    input: &(dyn Fn(&str) -> String + Sync),
    typed: impl FnOnce() -> Typed,
) -> Result<Response, LgspError> {
    match result {
        Ok(_) => Ok(done(notice)),
        Err(e) => again(s, actor, e, input, typed()).await,
    }
}

fn done(notice: &str) -> Response {
    Redirect::to(&format!("/admin/lgsp?xong={notice}")).into_response()
}

#[derive(Deserialize)]
struct MemberForm {
    code: String,
}

async fn add_member(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Form(f): Form<MemberForm>,
) -> Result<Response, LgspError> {
    let done = s.registry.add_member(&actor, &rid, &f.code).await;
    let typed = || Typed::of("member-", &[("code", &f.code)]);
    settle(&s, &actor, done, "thanh-vien", &|f| format!("member-{f}"), typed).await
}

#[derive(Deserialize)]
struct SubsystemForm {
    member: String,
    code: String,
    name: String,
    #[serde(default)]
    client_id: String,
}

async fn add_subsystem(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Form(f): Form<SubsystemForm>,
) -> Result<Response, LgspError> {
    let client = Some(f.client_id.as_str()).filter(|c| !c.trim().is_empty());
    let (member, code) = (f.member.trim(), f.code.trim());
    let done = s.registry.add_subsystem(&actor, &rid, member, code, &f.name, client).await;
    let typed = || {
        let fields = [
            ("member", &f.member),
            ("code", &f.code),
            ("name", &f.name),
            ("client_id", &f.client_id),
        ];
        Typed::of("sub-", &fields.map(|(k, v)| (k, v.as_str())))
    };
    settle(&s, &actor, done, "he-thong", &|f| format!("sub-{f}"), typed).await
}

#[derive(Deserialize)]
struct PushForm {
    system: String,
    #[serde(default)]
    push_url: String,
}

async fn set_push(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Form(f): Form<PushForm>,
) -> Result<Response, LgspError> {
    let (member, code) = f.system.split_once('/').unwrap_or((f.system.as_str(), ""));
    let url = Some(f.push_url.as_str()).filter(|u| !u.trim().is_empty());
    let done = s.registry.set_push_url(&actor, &rid, member, code, url).await;
    let typed = || Typed::of("push-", &[("system", &f.system), ("url", &f.push_url)]);
    let input = |f: &str| if f == "push_url" { "push-url".into() } else { format!("push-{f}") };
    settle(&s, &actor, done, "nhan", &input, typed).await
}

#[derive(Deserialize)]
struct ServiceForm {
    provider: String,
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    status: String,
    base_url: String,
    owner: String,
    openapi: String,
    #[serde(default)]
    keep_bodies_bytes: String,
}

async fn register_service(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Form(f): Form<ServiceForm>,
) -> Result<Response, LgspError> {
    let (member, subsystem) = f.provider.split_once('/').unwrap_or((f.provider.as_str(), ""));
    let d = ServiceDraft {
        member_code: member.to_string(),
        subsystem_code: subsystem.to_string(),
        code: f.code.trim().to_string(),
        name: f.name.clone(),
        description: f.description.clone(),
        status: f.status.clone(),
        base_url: f.base_url.clone(),
        openapi: f.openapi.clone(),
        owner: f.owner.clone(),
        keep_bodies_bytes: match f.keep_bodies_bytes.trim() {
            "" => None,
            t => Some(t.parse().unwrap_or(-1)),
        },
        ..Default::default()
    };
    match s.registry.put_service(&actor, &rid, None, &d).await {
        Ok(x) => Ok(Redirect::to(&format!("/admin/lgsp/dich-vu/{}", x.id)).into_response()),
        Err(e) => {
            let typed = Typed::of(
                "svc-",
                &[
                    ("provider", &f.provider),
                    ("code", &d.code),
                    ("name", &d.name),
                    ("description", &d.description),
                    ("status", &d.status),
                    ("base_url", &d.base_url),
                    ("owner", &d.owner),
                    ("keep_bodies_bytes", &f.keep_bodies_bytes),
                    ("openapi", &d.openapi),
                ],
            );
            let input = |f: &str| match f {
                "member_code" | "subsystem_code" => "svc-provider".to_string(),
                f => format!("svc-{f}"),
            };
            again(&s, &actor, e, &input, typed).await
        }
    }
}

#[derive(Template)]
#[template(path = "lgsp_service.html")]
struct ServicePage {
    shell: Shell,
    service: Service,
    status: &'static str,
    address: String,
    operations: Vec<Operation>,
    grants: Vec<GrantView>,
    consumers: Vec<(String, String)>,
    provider: String,
    errors: Vec<FieldError>,
    kept: Vec<KeptExchange>,
}

/// An exchange whose bodies the service kept, as its page lists it.
struct KeptExchange {
    seq: i64,
    at: String,
    consumer: String,
    operation: String,
    status: i64,
    /// (label, link when kept, size) of each body.
    bodies: Vec<(&'static str, Option<String>, i64)>,
}

/// The kept bodies, one line per exchange.
fn kept_exchanges(rows: Vec<crate::bodies::KeptBody>, names: &Names) -> Vec<KeptExchange> {
    let mut out: Vec<KeptExchange> = Vec::new();
    for b in rows {
        let Some(side) = crate::bodies::BodySide::parse(&b.side) else { continue };
        let link = (b.kept == 1).then(|| format!("/admin/lgsp/nhat-ky/{}/{}", b.seq, side.slug()));
        let body = (side.label(), link, b.bytes);
        match out.last_mut() {
            Some(e) if e.seq == b.seq => e.bodies.push(body),
            _ => out.push(KeptExchange {
                seq: b.seq,
                at: b.at,
                consumer: names.system(&b.consumer),
                operation: b.operation_id.unwrap_or_default(),
                status: b.status,
                bodies: vec![body],
            }),
        }
    }
    out
}

async fn service_page(
    Steward(actor): Steward,
    State(s): State<LgspState>,
    Path(id): Path<String>,
) -> Result<Response, LgspError> {
    service_view(&s, &actor, &id, Vec::new(), StatusCode::OK).await
}

async fn service_view(
    s: &LgspState,
    actor: &Actor,
    id: &str,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, LgspError> {
    let (service, operations) = s.registry.service(id).await?;
    let grants = s
        .registry
        .grants(&GrantFilter { service_id: service.id.clone(), ..Default::default() }, 500)
        .await?;
    let names = Names::read(s, vec![service.clone()], &grants.iter().collect::<Vec<_>>()).await?;
    let kept = if actor.manages(&service.member_code) {
        let key = format!("{}/{}", service.member_code, service.code);
        kept_exchanges(s.registry.kept_bodies(&key, 40).await?, &names)
    } else {
        Vec::new()
    };
    let consumers = s
        .registry
        .subsystems()
        .await?
        .into_iter()
        .filter(|x| x.client_id.is_some() && actor.manages(&x.member_code))
        .map(|x| (x.key(), names.system(&x.key())))
        .collect();
    let page = render(&ServicePage {
        shell: (*s.platform.shell).clone(),
        status: service.status.label(),
        address: format!("/lgsp/{}/{}", service.member_code, service.code),
        grants: grants.iter().map(|g| names.grant(g, actor)).collect(),
        provider: names.system(&format!("{}/{}", service.member_code, service.subsystem_code)),
        service,
        operations,
        consumers,
        errors,
        kept,
    });
    Ok((status, page).into_response())
}

/// The access form: one `operation` field per box ticked, which serde's form reader cannot
/// collect, so the pairs are read as they come.
#[derive(Default)]
struct AccessForm {
    service_id: String,
    consumer: String,
    operation: Vec<String>,
    purpose: String,
    valid_until: String,
}

impl AccessForm {
    fn read(body: &[u8]) -> AccessForm {
        let mut f = AccessForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match &*k {
                "service_id" => f.service_id = v,
                "consumer" => f.consumer = v,
                "operation" => f.operation.push(v),
                "purpose" => f.purpose = v,
                "valid_until" => f.valid_until = v,
                _ => {}
            }
        }
        f
    }
}

async fn request_access(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    body: Bytes,
) -> Result<Response, LgspError> {
    let f = AccessForm::read(&body);
    let (member, subsystem) = f.consumer.split_once('/').unwrap_or((f.consumer.as_str(), ""));
    let r = AccessRequest {
        consumer_member: member.to_string(),
        consumer_subsystem: subsystem.to_string(),
        service_id: f.service_id.clone(),
        operations: f.operation,
        purpose: f.purpose,
        valid_until: f.valid_until,
    };
    match s.registry.request_access(&actor, &rid, &r).await {
        Ok(_) => Ok(done("yeu-cau")),
        Err(LgspError::Invalid(errors)) => {
            service_view(&s, &actor, &f.service_id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(LgspError::Conflict(m)) => {
            let errors = vec![FieldError::new("operation", m)];
            service_view(&s, &actor, &f.service_id, errors, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
}

async fn decide(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, LgspError> {
    let to = match f.decision.as_str() {
        "approve" => GrantStatus::Approved,
        "reject" => GrantStatus::Rejected,
        "revoke" => GrantStatus::Revoked,
        _ => return Err(LgspError::field("decision", "Chọn duyệt, từ chối hoặc thu hồi.")),
    };
    let done = s.registry.decide(&actor, &rid, &id, to, &f.note, None).await;
    settle(&s, &actor, done, "quyet-dinh", &|_| format!("note-{id}"), Typed::default).await
}
