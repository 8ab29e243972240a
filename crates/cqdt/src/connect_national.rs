//! `cqdt lgsp connect-national`: registers on the province's LGSP the provincial office's
//! connection to the national databases as a provider, with the population and business
//! registry services at a base address (by default `cqdt sandbox national`'s), and the
//! one-stop system as a consumer with an OAuth client of its own and approved grants; prints
//! the settings that make the counter ask the national databases through the gateway.

use cqdt_lgsp::{AccessRequest, Actor, GrantStatus, ServiceDraft};
use cqdt_national::sandbox::{
    business_openapi, population_openapi, BUSINESS_BASE, POPULATION_BASE,
};

use crate::app::{App, AppError};

/// Văn phòng UBND tỉnh: runs the province's connection to the national platform.
pub const OFFICE: &str = "000.00.01.H51";
/// UBND tỉnh: the one-stop system's member.
pub const COMMITTEE: &str = "000.00.00.H51";

fn failed(what: &str) -> impl Fn(cqdt_lgsp::LgspError) -> AppError + '_ {
    move |e| AppError::Failed(format!("connecting the national databases, {what}: {e}"))
}

/// Registers the connection with the services at `base` (members that exist are kept; a
/// connection registered before is refused); the one-stop system's client id and secret.
pub async fn register(
    app: &App,
    identity: &cqdt_identity::IdentityService,
    base: &str,
) -> Result<(String, String), AppError> {
    let registry = &app.lgsp;
    let subsystems = registry.subsystems().await.map_err(failed("systems"))?;
    if subsystems.iter().any(|s| s.member_code == OFFICE && s.code == "ket-noi-quoc-gia") {
        return Err(AppError::Failed(format!(
            "the connection is registered already ({OFFICE}/ket-noi-quoc-gia): change it on /admin/lgsp"
        )));
    }
    let actor = Actor::platform("cli");
    let rid = "";
    let members = registry.members().await.map_err(failed("members"))?;
    for code in [OFFICE, COMMITTEE] {
        if !members.iter().any(|m| m.code == code) {
            registry.add_member(&actor, rid, code).await.map_err(failed("member"))?;
        }
    }
    registry
        .add_subsystem(&actor, rid, OFFICE, "ket-noi-quoc-gia", "Kết nối CSDL quốc gia", None)
        .await
        .map_err(failed("system"))?;
    let client = identity
        .add_client(
            "cli",
            rid,
            &cqdt_identity::NewClient {
                name: "Hệ thống một cửa (kết nối LGSP)".into(),
                grants: vec!["client_credentials".into()],
                redirect_uris: Vec::new(),
                public: false,
                scopes: vec!["lgsp".into()],
                first_party: false,
                id_token_signed_response_alg: None,
            },
        )
        .await
        .map_err(|e| AppError::Failed(format!("connecting the national databases, client: {e}")))?;
    let id = client.client.client_id.clone();
    let secret = client.secret.map(|s| s.expose().to_string()).unwrap_or_default();
    registry
        .add_subsystem(&actor, rid, COMMITTEE, "mot-cua-quoc-gia", "Hệ thống một cửa", Some(&id))
        .await
        .map_err(failed("consumer"))?;
    let until = (app.platform.clock.today() + chrono::Duration::days(365)).to_string();
    for (code, path, openapi, operation) in [
        ("dan-cu", POPULATION_BASE, population_openapi(), "traCuuCongDan"),
        ("dang-ky-doanh-nghiep", BUSINESS_BASE, business_openapi(), "traCuuDoanhNghiep"),
    ] {
        let draft = ServiceDraft {
            member_code: OFFICE.into(),
            subsystem_code: "ket-noi-quoc-gia".into(),
            code: code.into(),
            status: "published".into(),
            base_url: format!("{}{path}", base.trim_end_matches('/')),
            openapi,
            owner: "Văn phòng UBND tỉnh".into(),
            ..Default::default()
        };
        let service =
            registry.put_service(&actor, rid, None, &draft).await.map_err(failed(code))?;
        let asked = AccessRequest {
            consumer_member: COMMITTEE.into(),
            consumer_subsystem: "mot-cua-quoc-gia".into(),
            service_id: service.id.clone(),
            operations: vec![operation.into()],
            purpose: "Tra cứu, đối chiếu thông tin khi tiếp nhận hồ sơ thủ tục hành chính".into(),
            valid_until: until.clone(),
        };
        for g in registry.request_access(&actor, rid, &asked).await.map_err(failed("grant"))? {
            registry
                .decide(&actor, rid, &g.id, GrantStatus::Approved, "", None)
                .await
                .map_err(failed("approval"))?;
        }
    }
    Ok((id, secret))
}
