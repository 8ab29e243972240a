//! Federation with other platforms (the national NDXP, other provinces), as X-Road federates
//! instances: a *peer* is another platform's gateway. Outgoing, a service registered with the
//! peer's code is that platform's service, with the same member and service code as there: the
//! gateway calls it at the peer's gateway with a token the peer issued to this platform, and
//! signs its own assertion of the consumer as for any provider. Incoming, the peer calls as one
//! of this registry's systems, and every call must carry the peer platform's signed assertion
//! (checked with the keys its issuer publishes) naming the consumer there; the call is logged
//! under the peer's request id, so that both platforms' logs can be matched.

use cqdt_audit::AuditEvent;
use cqdt_platform::clock::format_ts;
use cqdt_platform::{DbError, DbResultExt, FieldError};
use serde::{Deserialize, Serialize};
use sqlx::{Any, Executor};

use crate::model::{check_code, check_text, LgspError};
use crate::service::{Actor, Registry};
use crate::store;

/// Another platform this one exchanges with.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Peer {
    /// Short code (`quoc-gia`, `can-tho`…), named by the services it provides.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its OpenID Connect issuer: its assertions are checked with the keys published there.
    pub issuer: String,
    /// Its gateway's address (where `/lgsp/{member}/{service}` is).
    pub gateway_url: String,
    /// Where this platform gets its tokens for calling the peer.
    pub token_url: String,
    /// This platform's client at the peer (client credentials), if it calls the peer.
    pub client_id: Option<String>,
    /// The member whose system the peer calls this platform as, if it does.
    pub consumer_member: Option<String>,
    /// That system's code.
    pub consumer_subsystem: Option<String>,
    /// Registered (RFC 3339).
    pub created_at: String,
}

impl Peer {
    /// The system it calls as (`member/code`), if it calls.
    pub fn consumer_key(&self) -> Option<String> {
        Some(format!("{}/{}", self.consumer_member.as_ref()?, self.consumer_subsystem.as_ref()?))
    }
}

/// A peer as the platform's administrator registers it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PeerDraft {
    /// Short code (2–40: a–z, 0–9, -).
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its OpenID Connect issuer (http or https).
    pub issuer: String,
    /// Its gateway's address; the issuer when empty.
    #[serde(default)]
    pub gateway_url: String,
    /// Its token endpoint; `{issuer}/oauth/token` when empty.
    #[serde(default)]
    pub token_url: String,
    /// This platform's client at the peer, to call its services.
    #[serde(default)]
    pub client_id: String,
    /// That client's secret (kept sealed).
    #[serde(default)]
    pub client_secret: String,
    /// The member whose system the peer calls as (`member/system`), if it calls.
    #[serde(default)]
    pub calls_as: String,
}

/// Where a peer's client secret is sealed.
pub(crate) fn secret_context(code: &str) -> String {
    format!("lgsp_peers.client_secret:{code}")
}

/// An address of the peer: absolute http(s), with a host, no query, fragment or credentials.
fn url_field(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let ok = reqwest::Url::parse(value.trim()).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.query().is_none()
            && u.fragment().is_none()
            && u.username().is_empty()
            && u.password().is_none()
    });
    if ok.is_none() {
        errors.push(FieldError::new(
            field,
            "Nhập địa chỉ đầy đủ bắt đầu bằng https:// (hoặc http://), không kèm tham số, ví dụ https://ndxp.gov.vn.",
        ));
    }
    ok.map(|_| value.trim().to_string())
}

impl Registry {
    /// Registers a peer platform (the platform's administrator only), audited.
    pub async fn add_peer(
        &self,
        actor: &Actor,
        rid: &str,
        d: &PeerDraft,
    ) -> Result<Peer, LgspError> {
        if actor.scopes.is_some() {
            return Err(LgspError::Forbidden(
                "Chỉ quản trị nền tảng mới kết nối nền tảng khác.".into(),
            ));
        }
        let mut errors = Vec::new();
        check_code("code", &d.code, &mut errors);
        check_text("name", "tên nền tảng", &d.name, 200, &mut errors);
        let issuer = url_field("issuer", &d.issuer, &mut errors);
        let or_issuer = |v: &str, tail: &str| match (v.trim(), &issuer) {
            ("", Some(i)) => format!("{}{tail}", i.trim_end_matches('/')),
            (v, _) => v.to_string(),
        };
        // Left empty, they follow the issuer (and say nothing more when it is wrong).
        let derived = |field: &str, given: &str, tail: &str, errors: &mut Vec<FieldError>| match (
            given.trim(),
            &issuer,
        ) {
            ("", None) => None,
            (g, _) => url_field(field, &or_issuer(g, tail), errors),
        };
        let gateway_url = derived("gateway_url", &d.gateway_url, "", &mut errors);
        let token_url = derived("token_url", &d.token_url, "/oauth/token", &mut errors);
        let (client_id, secret) = (d.client_id.trim(), d.client_secret.trim());
        if client_id.is_empty() != secret.is_empty() {
            errors.push(FieldError::new(
                "client_secret",
                "Nhập cả mã ứng dụng và khoá bí mật do nền tảng kia cấp, hoặc bỏ trống cả hai.",
            ));
        }
        let calls_as = match d.calls_as.trim() {
            "" => None,
            c => match c.split_once('/') {
                Some((m, s)) if !m.is_empty() && !s.is_empty() => {
                    Some((m.to_string(), s.to_string()))
                }
                _ => {
                    errors.push(FieldError::new(
                        "calls_as",
                        "Ghi hệ thống dạng mã-thành-viên/mã-hệ-thống, ví dụ 000.00.00.H51/lien-thong.",
                    ));
                    None
                }
            },
        };
        let (Some(issuer), Some(gateway_url), Some(token_url), true) =
            (issuer, gateway_url, token_url, errors.is_empty())
        else {
            return Err(LgspError::Invalid(errors));
        };
        let mut tx = self.db().begin().await?;
        if let Some((m, s)) = &calls_as {
            if store::subsystem(&mut *tx, m, s).await?.is_none() {
                return Err(LgspError::field(
                    "calls_as",
                    format!("Chưa có hệ thống {m}/{s}: thêm hệ thống cho thành viên trước."),
                ));
            }
        }
        if peer(&mut *tx, &d.code).await?.is_some() {
            return Err(LgspError::Conflict(format!("Đã có nền tảng mã “{}”.", d.code)));
        }
        let p = Peer {
            code: d.code.clone(),
            name: d.name.trim().to_string(),
            issuer: issuer.trim_end_matches('/').to_string(),
            gateway_url: gateway_url.trim_end_matches('/').to_string(),
            token_url,
            client_id: (!client_id.is_empty()).then(|| client_id.to_string()),
            consumer_member: calls_as.as_ref().map(|c| c.0.clone()),
            consumer_subsystem: calls_as.as_ref().map(|c| c.1.clone()),
            created_at: format_ts(self.clock().now()),
        };
        let sealed = (!secret.is_empty())
            .then(|| self.kek().seal(&secret_context(&p.code), secret.as_bytes()));
        sqlx::query(
            "INSERT INTO lgsp_peers (code, name, issuer, gateway_url, token_url, client_id, \
             client_secret, consumer_member, consumer_subsystem, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&p.code)
        .bind(&p.name)
        .bind(&p.issuer)
        .bind(&p.gateway_url)
        .bind(&p.token_url)
        .bind(p.client_id.as_deref())
        .bind(sealed.as_deref())
        .bind(p.consumer_member.as_deref())
        .bind(p.consumer_subsystem.as_deref())
        .bind(&p.created_at)
        .bind(&actor.name)
        .execute(&mut *tx)
        .await
        .ctx("adding a peer")?;
        self.audit()
            .record(
                &mut tx,
                AuditEvent::new(&actor.name, "lgsp.peer.add", "lgsp_peer")
                    .object(p.code.clone())
                    .request(rid)
                    .details(serde_json::json!({
                        "issuer": p.issuer, "gateway_url": p.gateway_url,
                        "calls_as": p.consumer_key(), "calls_out": p.client_id.is_some(),
                    })),
            )
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(p)
    }

    /// Disconnects a peer (the platform's administrator only), audited; refused while services
    /// here that still take calls are the peer's (retire them first: they would have nowhere
    /// to go).
    pub async fn remove_peer(&self, actor: &Actor, rid: &str, code: &str) -> Result<(), LgspError> {
        if actor.scopes.is_some() {
            return Err(LgspError::Forbidden(
                "Chỉ quản trị nền tảng mới ngắt kết nối nền tảng khác.".into(),
            ));
        }
        let mut tx = self.db().begin().await?;
        let p = peer(&mut *tx, code)
            .await?
            .ok_or_else(|| LgspError::NotFound(format!("Chưa kết nối nền tảng “{code}”.")))?;
        let using: Vec<String> = sqlx::query_scalar(
            "SELECT member_code || '/' || code FROM lgsp_services WHERE peer_code = $1 \
             AND status <> 'retired' ORDER BY 1",
        )
        .bind(code)
        .fetch_all(&mut *tx)
        .await
        .ctx("reading a peer's services")?;
        if !using.is_empty() {
            return Err(LgspError::Conflict(format!(
                "Các dịch vụ {} là của nền tảng “{}”: chuyển chúng sang ngừng cung cấp trước.",
                using.join(", "),
                p.name
            )));
        }
        sqlx::query("DELETE FROM lgsp_peers WHERE code = $1")
            .bind(code)
            .execute(&mut *tx)
            .await
            .ctx("removing a peer")?;
        self.audit()
            .record(
                &mut tx,
                AuditEvent::new(&actor.name, "lgsp.peer.remove", "lgsp_peer")
                    .object(code.to_string())
                    .request(rid)
                    .details(serde_json::json!({ "issuer": p.issuer })),
            )
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// Every peer, by code.
    pub async fn peers(&self) -> Result<Vec<Peer>, LgspError> {
        Ok(peers(self.db().pool()).await?)
    }

    /// This platform's client secret at a peer, opened.
    pub(crate) async fn peer_secret(&self, code: &str) -> Result<Option<String>, LgspError> {
        let sealed: Option<Option<String>> =
            sqlx::query_scalar("SELECT client_secret FROM lgsp_peers WHERE code = $1")
                .bind(code)
                .fetch_optional(self.db().pool())
                .await
                .ctx("reading a peer's secret")?;
        let Some(sealed) = sealed.flatten() else { return Ok(None) };
        let clear = self.kek().open_text(&secret_context(code), &sealed).map_err(|e| {
            LgspError::Db(DbError::Config(format!("the client secret at peer {code}: {e}")))
        })?;
        Ok(Some(clear))
    }
}

const PEER_COLS: &str = "code, name, issuer, gateway_url, token_url, client_id, consumer_member, \
     consumer_subsystem, created_at";

/// Every peer.
pub(crate) async fn peers<'e, E: Executor<'e, Database = Any>>(
    exec: E,
) -> Result<Vec<Peer>, DbError> {
    sqlx::query_as(&format!("SELECT {PEER_COLS} FROM lgsp_peers ORDER BY code"))
        .fetch_all(exec)
        .await
        .ctx("listing peers")
}

/// A peer by code.
pub(crate) async fn peer<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    code: &str,
) -> Result<Option<Peer>, DbError> {
    sqlx::query_as(&format!("SELECT {PEER_COLS} FROM lgsp_peers WHERE code = $1"))
        .bind(code)
        .fetch_optional(exec)
        .await
        .ctx("reading a peer")
}
