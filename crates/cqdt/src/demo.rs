//! The demo province's accounts: one per role, documented in README, so that a newcomer can
//! sign in as each kind of user. Created once, when the demo province is loaded.

use chrono::NaiveDate;
use cqdt_identity::account::{LoginId, NewOfficial, Registration};
use cqdt_identity::{IdentityError, IdentityService};
use cqdt_platform::{PersonalId, Role};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "Thu-nghiem-2026";
/// The TOTP secret of every demo official (add it to an authenticator app by hand).
pub const DEMO_TOTP_SECRET: &str = "KRUGKIDROVWXUIDOMVTWQ2LFNUQDEMBSGY";

/// The demo processes (sample data, BPMN as drawn in bpmn.io), deployed with the demo
/// province; procedures name them by process key.
pub const PROCESSES: [(&str, &str); 10] = [
    ("lltp-lien-thong.bpmn", include_str!("../demo/processes/lltp-lien-thong.bpmn")),
    ("mot-buoc.bpmn", include_str!("../demo/processes/mot-buoc.bpmn")),
    ("hai-buoc.bpmn", include_str!("../demo/processes/hai-buoc.bpmn")),
    ("duyet-tra-lai.bpmn", include_str!("../demo/processes/duyet-tra-lai.bpmn")),
    ("xa-huyen.bpmn", include_str!("../demo/processes/xa-huyen.bpmn")),
    ("xay-dung.bpmn", include_str!("../demo/processes/xay-dung.bpmn")),
    ("chu-truong-dau-tu.bpmn", include_str!("../demo/processes/chu-truong-dau-tu.bpmn")),
    ("don-doc.bpmn", include_str!("../demo/processes/don-doc.bpmn")),
    ("ba-cap.bpmn", include_str!("../demo/processes/ba-cap.bpmn")),
    ("hoi-dong.bpmn", include_str!("../demo/processes/hoi-dong.bpmn")),
];

/// Deploys the demo processes.
pub async fn processes(
    workflow: &cqdt_workflow::WorkflowService,
) -> Result<usize, cqdt_workflow::WorkflowError> {
    for (_, xml) in PROCESSES {
        workflow.deploy("system", "", xml).await?;
    }
    Ok(PROCESSES.len())
}

/// Demo officials: login, name, agency, roles.
pub const OFFICIALS: [(&str, &str, &str, &[Role]); 11] = [
    ("quantri", "Trần Minh Quân", "000.00.00.H51", &[Role::PlatformAdmin]),
    ("qt.stp", "Lý Thị Mai", "000.00.03.H51", &[Role::AgencyAdmin]),
    ("tiepnhan", "Lâm Thị Hồng", "000.02.01.H51", &[Role::ReceptionOfficer]),
    // Sở Tư pháp's own one-stop counter, for the department's procedures (judicial records…).
    ("tiepnhan.stp", "Võ Thị Ngọc Hân", "000.00.03.H51", &[Role::ReceptionOfficer]),
    ("xuly.stp", "Nguyễn Văn Bình", "000.00.03.H51", &[Role::ProcessingOfficer]),
    ("lanhdao.stp", "Thạch Văn Sơn", "000.00.03.H51", &[Role::Leader]),
    ("vanthu.stp", "Huỳnh Thị Lan", "000.00.03.H51", &[Role::Clerk]),
    // A commune's one-stop counter, for the commune-level procedures (birth registration…).
    ("tiepnhan.p5", "Đặng Thị Thu", "000.01.41.H51", &[Role::ReceptionOfficer]),
    ("tuphap.p5", "Trương Văn Hùng", "000.01.41.H51", &[Role::ProcessingOfficer]),
    ("chutich.p5", "Lê Thanh Tâm", "000.01.41.H51", &[Role::Leader]),
    ("thanhtra", "Phan Quốc Việt", "000.00.00.H51", &[Role::Auditor]),
];

/// The demo citizen: personal ID, name, birth date, phone, e-mail.
pub const CITIZEN: (&str, &str, (i32, u32, u32), &str, &str) =
    ("094085000123", "Nguyễn Văn An", (1985, 9, 2), "0912000123", "nguyenvanan@example.vn");

/// The demo citizen's contact address, in the units in force since the 2025 reorganisation.
pub const CITIZEN_ADDRESS: &str = "Số 12 đường Trần Hưng Đạo, Phường Sóc Trăng, Thành phố Cần Thơ";

/// Creates the demo accounts that do not exist yet.
pub async fn accounts(identity: &IdentityService) -> Result<(), IdentityError> {
    for (login, name, agency, roles) in OFFICIALS {
        if identity.find_login(&LoginId::Username(login.into())).await?.is_some() {
            continue;
        }
        let o = NewOfficial {
            username: login.into(),
            full_name: name.into(),
            email: format!("{login}@demo.soctrang.gov.vn"),
            phone: None,
            agency_code: agency.into(),
            roles: roles.to_vec(),
        };
        identity.create_official_with_password(&o, DEMO_PASSWORD, Some(DEMO_TOTP_SECRET)).await?;
    }
    let (pid, name, (y, m, d), phone, email) = CITIZEN;
    if identity.find_login(&LoginId::PersonalId(pid.into())).await?.is_none() {
        let reg = Registration {
            personal_id: PersonalId::parse(pid).map_err(IdentityError::Invalid)?,
            full_name: name.into(),
            birth_date: NaiveDate::from_ymd_opt(y, m, d)
                .ok_or_else(|| IdentityError::Invalid("demo birth date".into()))?,
            phone: format!("+84{}", &phone[1..]),
            email: Some(email.into()),
            password: DEMO_PASSWORD.into(),
        };
        let a = identity.create_citizen_with_password(&reg).await?;
        let system = cqdt_identity::login::Client {
            ip: String::new(),
            user_agent: "cqdt demo".into(),
            request_id: String::new(),
        };
        identity.set_address(&a.id, CITIZEN_ADDRESS, &system).await?;
    }
    Ok(())
}
