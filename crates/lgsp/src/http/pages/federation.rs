//! The overview's forms for federation: connect a peer platform (the platform's
//! administrator), and register one of a peer's services here from its metadata services.

use axum::extract::State;
use axum::response::Response;
use axum::Form;
use cqdt_platform::RequestId;
use serde::Deserialize;

use super::{settle, Names, Typed};
use crate::federation::{Peer, PeerDraft};
use crate::http::{LgspState, Steward};
use crate::model::LgspError;

/// A peer as the overview lists it.
pub(super) struct PeerView {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) issuer: String,
    pub(super) gateway_url: String,
    /// Whether this platform calls its services (it has a client there).
    pub(super) calls_out: bool,
    /// The system here it calls as, by name.
    pub(super) calls_as: Option<String>,
}

impl PeerView {
    pub(super) fn of(p: &Peer, names: &Names) -> PeerView {
        PeerView {
            code: p.code.clone(),
            name: p.name.clone(),
            issuer: p.issuer.clone(),
            gateway_url: p.gateway_url.clone(),
            calls_out: p.client_id.is_some(),
            calls_as: p.consumer_key().map(|k| names.system(&k)),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct PeerForm {
    code: String,
    name: String,
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    calls_as: String,
}

pub(super) async fn add_peer(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Form(f): Form<PeerForm>,
) -> Result<Response, LgspError> {
    let d = PeerDraft {
        code: f.code.trim().to_string(),
        name: f.name.clone(),
        issuer: f.issuer.clone(),
        client_id: f.client_id.clone(),
        client_secret: f.client_secret.clone(),
        calls_as: f.calls_as.clone(),
        ..Default::default()
    };
    let done = s.registry.add_peer(&actor, &rid, &d).await;
    // The secret is not typed back into the page.
    let typed = || {
        let fields = [
            ("code", &f.code),
            ("name", &f.name),
            ("issuer", &f.issuer),
            ("client_id", &f.client_id),
            ("calls_as", &f.calls_as),
        ];
        Typed::of("peer-", &fields.map(|(k, v)| (k, v.as_str())))
    };
    settle(&s, &actor, done, "nen-tang", &|f| format!("peer-{f}"), typed).await
}

#[derive(Deserialize)]
pub(super) struct ImportForm {
    peer: String,
    member_code: String,
    code: String,
}

pub(super) async fn import_service(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Form(f): Form<ImportForm>,
) -> Result<Response, LgspError> {
    let (member, code) = (f.member_code.trim(), f.code.trim());
    let done = s.gateway.import_from_peer(&actor, &rid, &f.peer, member, code).await;
    let typed = || {
        let fields = [("peer", &f.peer), ("member_code", &f.member_code), ("code", &f.code)];
        Typed::of("import-", &fields.map(|(k, v)| (k, v.as_str())))
    };
    settle(&s, &actor, done, "lay-dich-vu", &|f| format!("import-{f}"), typed).await
}

#[derive(Deserialize)]
pub(super) struct RemoveForm {
    code: String,
    #[serde(default)]
    confirm: String,
}

pub(super) async fn remove_peer(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Form(f): Form<RemoveForm>,
) -> Result<Response, LgspError> {
    let done = if f.confirm == "yes" {
        s.registry.remove_peer(&actor, &rid, &f.code).await
    } else {
        Err(LgspError::field("confirm", "Đánh dấu ô xác nhận để ngắt kết nối."))
    };
    // Every reason is shown at the section's heading.
    settle(&s, &actor, done, "ngat-ket-noi", &|_| "nen-tang".to_string(), Typed::default).await
}
