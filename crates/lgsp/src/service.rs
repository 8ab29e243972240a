//! The registry's use cases: members and their systems, services with their OpenAPI
//! documents, access requested per operation and decided by the provider, all audited in the
//! transaction that makes the change.

use std::sync::Arc;

use chrono::NaiveDate;
use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::auth::RoleGrant;
use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, FieldError, Principal, Role, SharedClock};
use rand::RngCore;
use serde::Deserialize;

use crate::model::{
    check_base_url, check_code, check_range, check_text, parse_openapi, Grant, GrantStatus,
    LgspError, Member, Operation, Service, ServiceStatus, Subsystem,
};
use crate::store::{self, GrantFilter};

mod access;

pub use access::AccessRequest;

/// A boxed future, for the object-safe [`Directory`].
pub type DirectoryFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// What the registry needs from other modules, wired by the binary.
pub trait Directory: Send + Sync {
    /// The name of the agency with this QĐ 20/2020 code, if the catalog has it.
    fn agency_name(&self, code: &str) -> Option<String>;
    /// Whether an OAuth client with this id exists, is enabled and may get tokens for itself
    /// with the `lgsp` scope (client credentials).
    fn system_client<'a>(&'a self, client_id: &'a str) -> DirectoryFuture<'a, bool>;
    /// The platform's signed statement (a JWT, `typ` lgsp+jwt) that the consumer system `sub`
    /// calls the service `aud` under the request id `jti`, with the call's own `claims`; the
    /// reason when it cannot be made.
    fn assert_call<'a>(
        &'a self,
        sub: &'a str,
        aud: &'a str,
        jti: &'a str,
        claims: serde_json::Map<String, serde_json::Value>,
    ) -> DirectoryFuture<'a, Result<String, String>>;
    /// The platform's signature over a message log seal with these `claims` (a JWT, `typ`
    /// lgsp-seal+jwt); the reason when it cannot be made.
    fn sign_seal(
        &self,
        claims: serde_json::Map<String, serde_json::Value>,
    ) -> DirectoryFuture<'_, Result<String, String>>;
    /// The claims of another platform's gateway assertion (`typ` lgsp+jwt) for the service
    /// `aud`, checked with the keys (`jwks`) its `issuer` publishes at `now` (seconds since
    /// the epoch); the reason when it does not verify.
    fn verify_peer_assertion(
        &self,
        token: &str,
        jwks: &serde_json::Value,
        issuer: &str,
        aud: &str,
        now: i64,
    ) -> Result<serde_json::Map<String, serde_json::Value>, String>;
    /// The claims of a seal signature the platform made; the reason when it does not verify.
    fn verify_seal<'a>(
        &'a self,
        token: &'a str,
    ) -> DirectoryFuture<'a, Result<serde_json::Map<String, serde_json::Value>, String>>;
}

/// Who changes the registry, and where: the platform's administrator everywhere, an agency's
/// administrator for the members within their agency scope.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Recorded as the actor in the audit log.
    pub name: String,
    /// `None`: everywhere; otherwise the agency scopes of the person's administrator role.
    pub scopes: Option<Vec<RoleGrant>>,
}

impl Actor {
    /// The platform's administrator (or the bootstrap administrator).
    pub fn platform(name: &str) -> Actor {
        Actor { name: name.to_string(), scopes: None }
    }

    /// A signed-in person: platform administrators everywhere, agency administrators within
    /// their scopes; `None` for anyone else.
    pub fn of(p: &Principal) -> Option<Actor> {
        if p.is_platform_admin() {
            return Some(Actor::platform(&p.actor));
        }
        let scopes: Vec<RoleGrant> = p.scopes(Role::AgencyAdmin).into_iter().cloned().collect();
        (!scopes.is_empty()).then(|| Actor { name: p.actor.clone(), scopes: Some(scopes) })
    }

    /// Whether the actor administers this member.
    pub fn manages(&self, member: &str) -> bool {
        self.scopes.as_ref().is_none_or(|s| s.iter().any(|g| g.covers(member)))
    }

    pub(crate) fn require(&self, member: &str) -> Result<(), LgspError> {
        if self.manages(member) {
            Ok(())
        } else {
            Err(LgspError::Forbidden(format!(
                "Ông/bà không quản trị thành viên {member} trên trục LGSP."
            )))
        }
    }
}

/// A service as the provider registers or changes it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ServiceDraft {
    /// The providing member (agency code).
    pub member_code: String,
    /// The providing system's code.
    pub subsystem_code: String,
    /// The service's code within the member (2–40: a–z, 0–9, -).
    pub code: String,
    /// Name; the document's `info.title` when empty.
    #[serde(default)]
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// `draft`, `published`, `deprecated` or `retired`.
    pub status: String,
    /// Where the gateway sends calls (http or https).
    pub base_url: String,
    /// The OpenAPI 3.0/3.1 document, as JSON text.
    pub openapi: String,
    /// Who answers for it.
    pub owner: String,
    /// Answer time promised, ms (default 2000).
    pub sla_response_ms: Option<i64>,
    /// Availability promised, ‰ (default 995).
    pub sla_availability: Option<i64>,
    /// How long the gateway waits, ms (default 30000).
    pub timeout_ms: Option<i64>,
    /// Largest request body, bytes (default 10 MiB).
    pub max_body_bytes: Option<i64>,
    /// Calls a minute per consumer (default 600).
    pub calls_per_minute: Option<i64>,
    /// Keep each exchange's bodies up to this many bytes, sealed (default 0: digests only;
    /// at most 16 MiB).
    pub keep_bodies_bytes: Option<i64>,
    /// The peer platform that provides it (see [`crate::federation`]); the service then has
    /// the same member and code as there, and is reached at the peer's gateway.
    #[serde(default)]
    pub peer_code: Option<String>,
}

/// The integration platform's registry.
#[derive(Clone)]
pub struct Registry {
    db: Db,
    clock: SharedClock,
    audit: Audit,
    directory: Arc<dyn Directory>,
    /// Bumped after every change that alters what the gateway lets through, so that its
    /// snapshot of the registry is read again at once on this node.
    generation: Arc<std::sync::atomic::AtomicU64>,
    /// Seals the bodies the message log keeps (the platform's key-encryption key).
    kek: cqdt_platform::sealing::Sealer,
}

impl Registry {
    /// The registry over the platform's database.
    pub fn new(db: Db, clock: SharedClock, audit: Audit, directory: Arc<dyn Directory>) -> Self {
        Registry {
            db,
            clock,
            audit,
            directory,
            generation: Arc::default(),
            kek: cqdt_platform::sealing::Sealer::ephemeral(),
        }
    }

    /// The registry with the key that seals the bodies the message log keeps (without it, a
    /// key that lives as long as the process: kept bodies would not open after a restart).
    pub fn with_kek(mut self, kek: cqdt_platform::sealing::Sealer) -> Self {
        self.kek = kek;
        self
    }

    pub(crate) fn kek(&self) -> &cqdt_platform::sealing::Sealer {
        &self.kek
    }

    pub(crate) fn audit(&self) -> &Audit {
        &self.audit
    }

    /// How many changes this node has made to what the gateway lets through.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn directory(&self) -> &dyn Directory {
        self.directory.as_ref()
    }

    pub(crate) fn clock(&self) -> &SharedClock {
        &self.clock
    }

    fn now(&self) -> String {
        format_ts(self.clock.now())
    }

    /// The message log's sealer, signing through the directory and stamping with `tsa`.
    pub fn sealer(&self, tsa: Option<cqdt_timestamp::Client>) -> crate::seal::Sealer {
        crate::seal::Sealer::new(self.db.clone(), self.clock.clone(), self.directory.clone(), tsa)
    }

    /// The push delivery of the asynchronous exchange, over `http`.
    pub fn delivery(&self, http: reqwest::Client) -> crate::delivery::Delivery {
        crate::delivery::Delivery::new(
            self.db.clone(),
            self.clock.clone(),
            http,
            self.directory.clone(),
        )
    }

    /// Checks every seal of the message log (time-stamps against `anchors` when given).
    pub async fn verify_seals(
        &self,
        anchors: Option<&cqdt_timestamp::Anchors>,
    ) -> Result<crate::seal::SealReport, cqdt_platform::DbError> {
        crate::seal::verify(&self.db, self.directory.as_ref(), anchors).await
    }

    /// Today in Vietnam, yyyy-mm-dd (grants run to the end of their day there).
    pub fn today(&self) -> String {
        cqdt_platform::clock::to_vn(self.clock.now()).format("%Y-%m-%d").to_string()
    }

    /// Makes an agency a member.
    #[tracing::instrument(skip(self, actor))]
    pub async fn add_member(
        &self,
        actor: &Actor,
        rid: &str,
        code: &str,
    ) -> Result<Member, LgspError> {
        if actor.scopes.is_some() {
            return Err(LgspError::Forbidden("Chỉ quản trị hệ thống kết nạp thành viên.".into()));
        }
        let code = code.trim();
        let Some(name) = self.directory.agency_name(code) else {
            return Err(LgspError::field(
                "code",
                format!("Không có cơ quan mã “{code}” trong danh mục cơ quan (QĐ 20/2020)."),
            ));
        };
        let mut tx = self.db.begin().await?;
        if store::member(&mut *tx, code).await?.is_some() {
            return Err(LgspError::Conflict(format!("{name} đã là thành viên.")));
        }
        let m = Member { code: code.to_string(), name, created_at: self.now() };
        store::insert_member(&mut tx, &m, &actor.name).await?;
        self.audit
            .record(&mut tx, event(actor, rid, "lgsp.member.add", "lgsp_member", &m.code))
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(m)
    }

    /// Every member.
    pub async fn members(&self) -> Result<Vec<Member>, LgspError> {
        Ok(store::members(self.db.pool()).await?)
    }

    /// Every system.
    pub async fn subsystems(&self) -> Result<Vec<Subsystem>, LgspError> {
        Ok(store::subsystems(self.db.pool()).await?)
    }

    /// Adds a system to a member, with the OAuth client it calls the gateway as.
    #[tracing::instrument(skip(self, actor))]
    pub async fn add_subsystem(
        &self,
        actor: &Actor,
        rid: &str,
        member: &str,
        code: &str,
        name: &str,
        client_id: Option<&str>,
    ) -> Result<Subsystem, LgspError> {
        let mut errors = Vec::new();
        check_code("code", code, &mut errors);
        check_text("name", "tên hệ thống", name, 200, &mut errors);
        let client_id = client_id.map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = client_id {
            if !self.directory.system_client(c).await {
                errors.push(FieldError::new(
                    "client_id",
                    format!(
                        "Không có ứng dụng kết nối “{c}” đang hoạt động, dùng kiểu client_credentials với phạm vi “lgsp” (đăng ký tại Quản trị → Ứng dụng kết nối)."
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(LgspError::Invalid(errors));
        }
        let mut tx = self.db.begin().await?;
        self.member_in(&mut tx, member).await?;
        actor.require(member)?;
        if store::subsystem(&mut *tx, member, code).await?.is_some() {
            return Err(LgspError::Conflict(format!(
                "Thành viên {member} đã có hệ thống “{code}”."
            )));
        }
        if let Some(c) = client_id {
            if let Some(other) = store::subsystem_of_client(&mut *tx, c).await? {
                return Err(LgspError::Conflict(format!(
                    "Ứng dụng “{c}” đã là hệ thống {} của thành viên {}.",
                    other.code, other.member_code
                )));
            }
        }
        let s = Subsystem {
            member_code: member.to_string(),
            code: code.to_string(),
            name: name.trim().to_string(),
            client_id: client_id.map(str::to_string),
            push_url: None,
        };
        store::insert_subsystem(&mut tx, &s, &self.now()).await?;
        self.audit
            .record(
                &mut tx,
                event(actor, rid, "lgsp.subsystem.add", "lgsp_subsystem", &s.key())
                    .details(serde_json::json!({ "client_id": s.client_id })),
            )
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(s)
    }

    /// Sets where the platform pushes a system's messages (http or https), or clears it (the
    /// system then pulls them).
    #[tracing::instrument(skip(self, actor))]
    pub async fn set_push_url(
        &self,
        actor: &Actor,
        rid: &str,
        member: &str,
        code: &str,
        url: Option<&str>,
    ) -> Result<Subsystem, LgspError> {
        let url = match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u) => {
                let mut errors = Vec::new();
                let checked = check_base_url(u, &mut errors);
                if !errors.is_empty() || checked.is_none() {
                    let errors = errors
                        .into_iter()
                        .map(|e| {
                            FieldError::new(
                                "push_url",
                                e.message.replace("dịch vụ", "nhận thông điệp"),
                            )
                        })
                        .collect();
                    return Err(LgspError::Invalid(errors));
                }
                checked
            }
        };
        let mut tx = self.db.begin().await?;
        actor.require(member)?;
        let Some(mut sub) = store::subsystem(&mut *tx, member, code).await? else {
            return Err(LgspError::NotFound(format!(
                "Thành viên {member} không có hệ thống “{code}”."
            )));
        };
        store::set_push_url(&mut tx, member, code, url.as_deref()).await?;
        sub.push_url = url;
        self.audit
            .record(
                &mut tx,
                event(actor, rid, "lgsp.subsystem.push", "lgsp_subsystem", &sub.key())
                    .details(serde_json::json!({ "push_url": sub.push_url })),
            )
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(sub)
    }

    async fn member_in(&self, tx: &mut cqdt_platform::Tx, code: &str) -> Result<Member, LgspError> {
        store::member(&mut **tx, code)
            .await?
            .ok_or_else(|| LgspError::NotFound(format!("Chưa có thành viên mã “{code}”.")))
    }

    /// Registers a service (`id` None) or changes one, with its OpenAPI document checked and
    /// read into operations. A published service's operations that grants refer to must stay.
    #[tracing::instrument(skip(self, actor, d), fields(member = %d.member_code, code = %d.code))]
    pub async fn put_service(
        &self,
        actor: &Actor,
        rid: &str,
        id: Option<&str>,
        d: &ServiceDraft,
    ) -> Result<Service, LgspError> {
        let mut errors = Vec::new();
        check_code("code", &d.code, &mut errors);
        check_code("subsystem_code", &d.subsystem_code, &mut errors);
        let status = ServiceStatus::parse(d.status.trim());
        if status.is_none() {
            errors.push(FieldError::new("status", "Chọn tình trạng của dịch vụ."));
        }
        let peer_code = d.peer_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let base_url = match peer_code {
            // A peer's service is where the peer's gateway serves it (set below).
            Some(_) if d.base_url.trim().is_empty() => Some(String::new()),
            _ => check_base_url(&d.base_url, &mut errors),
        };
        check_text("owner", "đơn vị, người chịu trách nhiệm", &d.owner, 300, &mut errors);
        if d.description.chars().count() > 2000 {
            errors.push(FieldError::new("description", "Mô tả dài tối đa 2000 ký tự."));
        }
        let sla_response_ms = d.sla_response_ms.unwrap_or(2000);
        let sla_availability = d.sla_availability.unwrap_or(995);
        let timeout_ms = d.timeout_ms.unwrap_or(30_000);
        let max_body_bytes = d.max_body_bytes.unwrap_or(10 * 1024 * 1024);
        let calls_per_minute = d.calls_per_minute.unwrap_or(600);
        let keep_bodies_bytes = d.keep_bodies_bytes.unwrap_or(0);
        check_range(
            "sla_response_ms",
            "Thời gian trả lời cam kết (ms)",
            sla_response_ms,
            1,
            600_000,
            &mut errors,
        );
        check_range(
            "sla_availability",
            "Độ sẵn sàng cam kết (‰)",
            sla_availability,
            0,
            1000,
            &mut errors,
        );
        check_range("timeout_ms", "Thời gian chờ (ms)", timeout_ms, 100, 600_000, &mut errors);
        check_range(
            "max_body_bytes",
            "Dung lượng tối đa (byte)",
            max_body_bytes,
            0,
            1 << 40,
            &mut errors,
        );
        check_range(
            "calls_per_minute",
            "Số lượt gọi mỗi phút",
            calls_per_minute,
            1,
            1_000_000,
            &mut errors,
        );
        check_range(
            "keep_bodies_bytes",
            "Dung lượng nội dung lưu vào nhật ký (byte)",
            keep_bodies_bytes,
            0,
            crate::bodies::MAX_KEPT,
            &mut errors,
        );
        let parsed = match parse_openapi(&d.openapi) {
            Ok(p) => Some(p),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        };
        let name = match (d.name.trim(), &parsed) {
            ("", Some(p)) => p.title.clone(),
            (n, _) => n.to_string(),
        };
        // Without a readable document an empty name is not the problem to report.
        if parsed.is_some() || !name.is_empty() {
            check_text("name", "tên dịch vụ", &name, 200, &mut errors);
        }
        let (Some(status), Some(base_url), Some(parsed), true) =
            (status, base_url, parsed, errors.is_empty())
        else {
            return Err(LgspError::Invalid(errors));
        };
        let mut tx = self.db.begin().await?;
        self.member_in(&mut tx, &d.member_code).await?;
        actor.require(&d.member_code)?;
        if store::subsystem(&mut *tx, &d.member_code, &d.subsystem_code).await?.is_none() {
            return Err(LgspError::field(
                "subsystem_code",
                format!("Thành viên {} chưa có hệ thống “{}”.", d.member_code, d.subsystem_code),
            ));
        }
        let old = match id {
            Some(id) => Some(self.service_in(&mut tx, id).await?),
            None => None,
        };
        if let Some(old) = &old {
            actor.require(&old.member_code)?;
            let granted = store::grants(
                &mut *tx,
                &GrantFilter {
                    service_id: old.id.clone(),
                    status: "approved".into(),
                    ..Default::default()
                },
                10_000,
            )
            .await?;
            let lost: Vec<&str> = granted
                .iter()
                .map(|g| g.operation_id.as_str())
                .filter(|op| !parsed.operations.iter().any(|o| o.operation_id == *op))
                .collect();
            if !lost.is_empty() {
                return Err(LgspError::field(
                    "openapi",
                    format!(
                        "Tài liệu mới bỏ thao tác đang được cấp quyền: {}. Hãy thu hồi quyền trước, hoặc giữ các thao tác này.",
                        lost.join(", ")
                    ),
                ));
            }
        }
        let base_url = match peer_code {
            Some(code) => {
                let peer = crate::federation::peer(&mut *tx, code).await?.ok_or_else(|| {
                    LgspError::field("peer_code", format!("Chưa kết nối nền tảng “{code}”."))
                })?;
                let at = format!("{}/lgsp/{}/{}", peer.gateway_url, d.member_code, d.code);
                if !base_url.is_empty() && base_url.trim_end_matches('/') != at {
                    return Err(LgspError::field(
                        "base_url",
                        format!("Dịch vụ của nền tảng “{}” ở địa chỉ {at}.", peer.name),
                    ));
                }
                at
            }
            None => base_url,
        };
        let clash = store::service_at(&mut *tx, &d.member_code, &d.code).await?;
        if clash.as_ref().is_some_and(|c| Some(c.id.as_str()) != id) {
            return Err(LgspError::Conflict(format!(
                "Thành viên {} đã có dịch vụ mã “{}”.",
                d.member_code, d.code
            )));
        }
        let s = Service {
            id: old.as_ref().map(|o| o.id.clone()).unwrap_or_else(new_id),
            member_code: d.member_code.clone(),
            subsystem_code: d.subsystem_code.clone(),
            code: d.code.clone(),
            name,
            description: d.description.trim().to_string(),
            version: parsed.version.clone(),
            status,
            base_url,
            owner: d.owner.trim().to_string(),
            sla_response_ms,
            sla_availability,
            timeout_ms,
            max_body_bytes,
            calls_per_minute,
            keep_bodies_bytes,
            peer_code: peer_code.map(str::to_string),
            updated_at: self.now(),
        };
        store::put_service(
            &mut tx,
            &s,
            &parsed.compact,
            &parsed.operations,
            &actor.name,
            old.is_some(),
        )
        .await?;
        let action = if old.is_some() { "lgsp.service.update" } else { "lgsp.service.register" };
        self.audit
            .record(
                &mut tx,
                event(actor, rid, action, "lgsp_service", &s.id).details(serde_json::json!({
                    "service": format!("{}/{}", s.member_code, s.code),
                    "status": s.status.as_str(),
                    "version": s.version,
                    "operations": parsed.operations.len(),
                })),
            )
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(s)
    }

    async fn service_in(&self, tx: &mut cqdt_platform::Tx, id: &str) -> Result<Service, LgspError> {
        store::service(&mut **tx, id)
            .await?
            .ok_or_else(|| LgspError::NotFound(format!("Không có dịch vụ “{id}”.")))
    }

    /// Services, of one member or all.
    pub async fn services(&self, member: Option<&str>) -> Result<Vec<Service>, LgspError> {
        Ok(store::services(self.db.pool(), member).await?)
    }

    /// A service with its operations.
    pub async fn service(&self, id: &str) -> Result<(Service, Vec<Operation>), LgspError> {
        let s = store::service(self.db.pool(), id)
            .await?
            .ok_or_else(|| LgspError::NotFound(format!("Không có dịch vụ “{id}”.")))?;
        let ops = store::operations(self.db.pool(), id).await?;
        Ok((s, ops))
    }

    /// A service by its gateway address.
    pub async fn service_at(&self, member: &str, code: &str) -> Result<Service, LgspError> {
        store::service_at(self.db.pool(), member, code)
            .await?
            .ok_or_else(|| LgspError::NotFound(format!("Không có dịch vụ {member}/{code}.")))
    }

    /// A service's OpenAPI document.
    pub async fn openapi(&self, id: &str) -> Result<String, LgspError> {
        store::openapi(self.db.pool(), id)
            .await?
            .ok_or_else(|| LgspError::NotFound(format!("Không có dịch vụ “{id}”.")))
    }
}

fn event(actor: &Actor, rid: &str, action: &str, object: &str, id: &str) -> AuditEvent {
    AuditEvent::new(&actor.name, action, object).object(id.to_string()).request(rid)
}

/// A fresh id: 128 random bits, hex.
pub(crate) fn new_id() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// A date as people read it, from yyyy-mm-dd.
pub fn date_vn(iso: &str) -> String {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(cqdt_platform::clock::format_date_vn)
        .unwrap_or_else(|_| iso.to_string())
}
