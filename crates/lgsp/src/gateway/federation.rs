//! The gateway's side of federation ([`crate::federation`]): the tokens this platform gets from
//! its peers to call their services, and the check of a peer's signed assertion on the calls
//! it makes here, with the keys its issuer publishes (read through its OpenID Connect
//! discovery document and kept ten minutes; read again once when a token names a key not
//! among them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method};
use serde_json::Value;

use super::Gateway;
use crate::federation::Peer;
use crate::model::{LgspError, Refusal, Service, Side};
use crate::service::{Actor, ServiceDraft};

/// How long a peer's published keys are used before they are read again.
const KEYS_FOR: Duration = Duration::from_secs(600);
/// Keys younger than this are not read again on a failed check (a forged token must not make
/// the gateway fetch them on every call).
const KEYS_FRESH: Duration = Duration::from_secs(30);

/// Tokens and keys of the peers, shared by the gateway's clones.
#[derive(Default)]
pub(crate) struct PeerLinks {
    /// Peer code → (access token, when to stop using it).
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    /// Issuer → (JWKS, when read).
    keys: Mutex<HashMap<String, (Arc<Value>, Instant)>>,
    /// (issuer, jti) of the assertions accepted, until they expire: one is accepted once.
    seen: Mutex<HashMap<(String, String), Instant>>,
}

/// How long an accepted assertion's id is remembered: its life and a minute's skew.
const SEEN_FOR: Duration = Duration::from_secs(360);

/// The peer's side failed (its token endpoint): a provider-side refusal naming it.
fn peer_failed(peer: &Peer, why: impl std::fmt::Display) -> LgspError {
    Refusal::new(
        502,
        Side::Provider,
        "peer_unavailable",
        format!("Nền tảng “{}” không cấp mã truy cập cho trục này: {why}", peer.name),
    )
    .into()
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(serde::Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

impl Gateway {
    /// A token for calling `peer`'s services (client credentials, scope `lgsp`), kept until a
    /// minute before it expires.
    pub(super) async fn peer_token(&self, peer: &Peer) -> Result<String, LgspError> {
        if let Some((t, until)) =
            self.peers.tokens.lock().unwrap_or_else(|p| p.into_inner()).get(&peer.code)
        {
            if Instant::now() < *until {
                return Ok(t.clone());
            }
        }
        let (Some(id), Some(secret)) =
            (peer.client_id.as_deref(), self.registry.peer_secret(&peer.code).await?)
        else {
            return Err(peer_failed(
                peer,
                "chưa cấu hình ứng dụng kết nối của trục tại nền tảng đó",
            ));
        };
        let res = self
            .http
            .post(&peer.token_url)
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", "lgsp")])
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| peer_failed(peer, e))?;
        if !res.status().is_success() {
            return Err(peer_failed(peer, format!("trả lời {}", res.status())));
        }
        let t: TokenAnswer = res.json().await.map_err(|e| peer_failed(peer, e))?;
        let life = Duration::from_secs(t.expires_in.unwrap_or(300).saturating_sub(60).max(1));
        self.peers
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(peer.code.clone(), (t.access_token.clone(), Instant::now() + life));
        Ok(t.access_token)
    }

    /// Registers (or brings up to date) a peer's service here from the peer's metadata
    /// services: its document, name, owner and service levels as the peer publishes them,
    /// under the same member and code, reached at the peer's gateway. The member and its
    /// system must be in this registry already.
    pub async fn import_from_peer(
        &self,
        actor: &Actor,
        rid: &str,
        peer_code: &str,
        member: &str,
        code: &str,
    ) -> Result<Service, LgspError> {
        let peer = crate::federation::peer(self.registry.db().pool(), peer_code)
            .await?
            .ok_or_else(|| LgspError::NotFound(format!("Chưa kết nối nền tảng “{peer_code}”.")))?;
        let token = self.peer_token(&peer).await?;
        let read = |url: String| {
            let token = token.clone();
            let peer = &peer;
            async move {
                let res = self
                    .http
                    .get(&url)
                    .bearer_auth(token)
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                    .map_err(|e| peer_failed(peer, e))?;
                if !res.status().is_success() {
                    return Err(LgspError::Conflict(format!(
                        "Nền tảng “{}” trả lời {} cho {url}.",
                        peer.name,
                        res.status()
                    )));
                }
                res.text().await.map_err(|e| peer_failed(peer, e))
            }
        };
        let meta = format!("{}/api/v1/lgsp/meta", peer.gateway_url);
        let encoded: String = form_urlencoded::byte_serialize(member.as_bytes()).collect();
        let listed = read(format!("{meta}/services?member={encoded}")).await?;
        let listed: Vec<Value> =
            serde_json::from_str(&listed).map_err(|e| peer_failed(&peer, e))?;
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let number = |v: &Value, k: &str| v.get(k).and_then(Value::as_i64);
        let remote = listed
            .iter()
            .find(|s| text(s, "member_code") == member && text(s, "code") == code)
            .ok_or_else(|| {
                LgspError::NotFound(format!(
                    "Nền tảng “{}” không công bố dịch vụ {member}/{code}.",
                    peer.name
                ))
            })?;
        let openapi = read(format!("{meta}/services/{}/openapi", text(remote, "id"))).await?;
        // Brought up to date, a service keeps how this gateway treats it.
        let here = crate::store::service_at(self.registry.db().pool(), member, code).await?;
        let draft = ServiceDraft {
            member_code: member.to_string(),
            subsystem_code: text(remote, "subsystem_code"),
            code: code.to_string(),
            name: text(remote, "name"),
            description: text(remote, "description"),
            status: "published".into(),
            base_url: String::new(),
            openapi,
            owner: text(remote, "owner"),
            sla_response_ms: number(remote, "sla_response_ms"),
            sla_availability: number(remote, "sla_availability"),
            timeout_ms: number(remote, "timeout_ms"),
            max_body_bytes: number(remote, "max_body_bytes"),
            calls_per_minute: here.as_ref().map(|h| h.calls_per_minute),
            keep_bodies_bytes: here.as_ref().map(|h| h.keep_bodies_bytes),
            peer_code: Some(peer.code.clone()),
        };
        self.registry.put_service(actor, rid, here.as_ref().map(|s| s.id.as_str()), &draft).await
    }

    /// Drops the token kept for `peer` (it answered 401).
    pub(super) fn forget_peer_token(&self, peer: &str) {
        self.peers.tokens.lock().unwrap_or_else(|p| p.into_inner()).remove(peer);
    }

    /// Checks the assertion `peer` signed for this call of `service`: returns the consumer in
    /// the peer's platform and the peer's request id.
    pub(super) async fn check_peer_assertion(
        &self,
        peer: &Peer,
        headers: &HeaderMap,
        service: &Service,
        method: &Method,
    ) -> Result<(String, String), LgspError> {
        let refuse = |why: String| -> LgspError {
            Refusal::new(
                401,
                Side::Consumer,
                "peer_assertion",
                format!(
                    "Lời gọi từ nền tảng “{}” cần chữ ký xác nhận hợp lệ của nền tảng đó (x-lgsp-assertion): {why}",
                    peer.name
                ),
            )
            .into()
        };
        let token = headers
            .get("x-lgsp-assertion")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| refuse("không có".into()))?;
        let aud = format!("lgsp:{}/{}", service.member_code, service.code);
        let now = self.registry.clock().now().timestamp();
        let directory = self.registry.directory();
        let (keys, read_at) = self.peer_keys(peer, false).await.map_err(&refuse)?;
        let claims = match directory.verify_peer_assertion(token, &keys, &peer.issuer, &aud, now) {
            Ok(c) => c,
            Err(_) if read_at.elapsed() > KEYS_FRESH => {
                let (keys, _) = self.peer_keys(peer, true).await.map_err(&refuse)?;
                directory
                    .verify_peer_assertion(token, &keys, &peer.issuer, &aud, now)
                    .map_err(&refuse)?
            }
            Err(e) => return Err(refuse(e)),
        };
        let text = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        if text("htm") != method.as_str() {
            return Err(refuse(format!("chữ ký cho phương thức “{}”", text("htm"))));
        }
        let (sub, jti) = (text("sub"), text("jti"));
        let id_ok = (8..=100).contains(&jti.len())
            && jti.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if sub.is_empty() || sub.len() > 200 || !id_ok {
            return Err(refuse("thiếu hệ thống khai thác (sub) hoặc mã yêu cầu (jti)".into()));
        }
        // A replayed assertion (on this node) is refused.
        let mut seen = self.peers.seen.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if seen.len() > 100_000 {
            seen.retain(|_, until| *until > now);
        }
        let key = (peer.issuer.clone(), jti.clone());
        if seen.get(&key).is_some_and(|until| *until > now) {
            return Err(refuse(format!("chữ ký của yêu cầu {jti} đã được dùng")));
        }
        seen.insert(key, now + SEEN_FOR);
        Ok((sub, jti))
    }

    /// The keys `peer`'s issuer publishes, and when they were read.
    async fn peer_keys(&self, peer: &Peer, again: bool) -> Result<(Arc<Value>, Instant), String> {
        if !again {
            let kept = self
                .peers
                .keys
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&peer.issuer)
                .cloned();
            if let Some((k, at)) = kept.filter(|(_, at)| at.elapsed() < KEYS_FOR) {
                return Ok((k, at));
            }
        }
        let get = |url: String| async move {
            let res = self
                .http
                .get(&url)
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .map_err(|e| format!("không đọc được {url}: {e}"))?;
            if !res.status().is_success() {
                return Err(format!("{url} trả lời {}", res.status()));
            }
            res.json::<Value>().await.map_err(|e| format!("{url}: {e}"))
        };
        let discovery = get(format!("{}/.well-known/openid-configuration", peer.issuer)).await?;
        let d: Discovery = serde_json::from_value(discovery).map_err(|e| e.to_string())?;
        if d.issuer.trim_end_matches('/') != peer.issuer {
            return Err(format!("nền tảng tự xưng “{}”, không phải “{}”", d.issuer, peer.issuer));
        }
        let keys = Arc::new(get(d.jwks_uri).await?);
        let at = Instant::now();
        self.peers
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(peer.issuer.clone(), (keys.clone(), at));
        Ok((keys, at))
    }
}
