//! Deadlines on a manual clock and a real database (SQLite, or PostgreSQL with
//! CQDT_TEST_DATABASE_URL): the appointment across Tết, the overdue flag, the apology with a
//! new date (Mẫu 04), the clock stopped for a supplement, and what the statistics count.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone};
use cqdt_audit::Audit;
use cqdt_calendar::{CalendarService, OfficeHours};
use cqdt_dossiers::address::AdminUnits;
use cqdt_dossiers::form::CatalogValues;
use cqdt_dossiers::model::SupplementItem;
use cqdt_dossiers::service::{
    Agency, Applicant, Deadline, Directory, DossierService, OfficeAction, Statistics, StatsBy,
};
use cqdt_dossiers::{Dossier, Neighbours};
use cqdt_platform::{
    FileStore, JobQueue, ManualClock, Principal, RetryPolicy, Role, RoleGrant, SharedClock,
};
use cqdt_procedures::{ProcedureService, Status};
use cqdt_testing::TestDb;

const AGENCY: &str = "000.01.41.H51";

struct OneAgency;

impl Directory for OneAgency {
    fn agencies(&self) -> Arc<Vec<Agency>> {
        Arc::new(vec![Agency {
            code: AGENCY.into(),
            name: "Ủy ban nhân dân Phường 5".into(),
            kind: "commune_committee".into(),
        }])
    }
    fn catalogs(&self) -> Arc<CatalogValues> {
        Arc::default()
    }
    fn admin_units(&self) -> Arc<AdminUnits> {
        Arc::default()
    }
}

fn vn(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<chrono::Utc> {
    // Vietnam is UTC+7.
    chrono::Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().expect("time")
        - chrono::Duration::hours(7)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn official(role: Role) -> Principal {
    Principal {
        account_id: format!("acc-{}", role.as_str()),
        actor: role.as_str().into(),
        name: role.label().into(),
        kind: "official".into(),
        agency: Some(AGENCY.into()),
        roles: vec![RoleGrant { role, agency: AGENCY.into(), subtree: false }],
        session_id: "s".into(),
        access: cqdt_platform::auth::Access::Session,
    }
}

/// A fresh database with the test procedure, and the services on a manual clock set to `at`
/// (the database is returned to keep it alive).
async fn start(
    at: chrono::DateTime<chrono::Utc>,
) -> (TestDb, Arc<ManualClock>, DossierService, CalendarService) {
    let t = TestDb::new().await;
    let clock = Arc::new(ManualClock::new(at));
    let (svc, calendar) = service_and_calendar(&t, clock.clone()).await;
    (t, clock, svc, calendar)
}

async fn service_and_calendar(
    t: &TestDb,
    clock: Arc<ManualClock>,
) -> (DossierService, CalendarService) {
    let shared: SharedClock = clock;
    let audit = Audit::new(t.db.clone(), shared.clone());
    let calendar =
        CalendarService::load(t.db.clone(), shared.clone(), audit.clone(), OfficeHours::default())
            .await
            .expect("calendar");
    let jobs = JobQueue::new(t.db.clone(), shared.clone(), RetryPolicy::default());
    let notifier = cqdt_notify::Notifier::new(
        t.db.clone(),
        shared.clone(),
        jobs,
        &cqdt_notify::NotifyConfig::default(),
    )
    .expect("notifier");
    let procedures = ProcedureService::load(t.db.clone(), shared.clone(), audit.clone())
        .await
        .expect("procedures");
    let p: cqdt_procedures::Procedure = serde_json::from_value(serde_json::json!({
        "code": "1.999201.000.00.00.H51", "national_code": "1.999201",
        "name": "Thủ tục thử nghiệm thời hạn", "field": {"code": "TN", "name": "Thử nghiệm"},
        "levels": ["xa"], "online_level": "full",
        "processing_time": {"amount": 3, "unit": "working_days"},
        "form": [{"key": "ly_do", "label": "Lý do", "type": "text", "required": true}]
    }))
    .expect("procedure");
    procedures.create("admin", &p, Status::Published).await.expect("create");
    let workflow = cqdt_workflow::WorkflowService::new(
        t.db.clone(),
        shared.clone(),
        audit.clone(),
        calendar.clone(),
    );
    let files = FileStore::new(t.dir.join("files"), 1 << 20, t.db.clone(), shared.clone());
    let svc = DossierService::new(
        t.db.clone(),
        shared,
        files,
        Neighbours { audit, notifier, procedures, calendar: calendar.clone(), workflow },
        Arc::new(OneAgency),
    );
    (svc, calendar)
}

fn applicant() -> Applicant {
    Applicant {
        account_id: "citizen-1".into(),
        actor: "094085000123".into(),
        name: "Nguyễn Văn An".into(),
        personal_id: Some("094085000123".into()),
        ..Applicant::default()
    }
}

async fn file(svc: &DossierService) -> String {
    let form: BTreeMap<String, String> = [("ly_do".to_string(), "Thử".to_string())].into();
    svc.file_directly(&applicant(), "1.999201.000.00.00.H51", AGENCY, &form, &[])
        .await
        .expect("filed")
        .code
        .expect("code")
}

async fn issue_result(svc: &DossierService, who: &Principal, code: &str) {
    let upload = cqdt_dossiers::service::Upload {
        component: 0,
        file_name: "ket-qua.pdf".into(),
        declared_type: None,
        bytes: b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
            .to_vec(),
    };
    svc.add_result(who, code, &upload, "", true).await.expect("result");
}

/// Receives `code` at the counter with the appointment computed from the calendar.
async fn receive(svc: &DossierService, reception: &Principal, code: &str) -> Dossier {
    svc.act(reception, code, OfficeAction::Receive { due_date: None }).await.expect("received")
}

/// Where `code` stands against its deadline as `who` sees it at the time `at`.
async fn deadline_at(
    svc: &DossierService,
    clock: &ManualClock,
    who: &Principal,
    code: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Deadline {
    clock.set(at);
    let d = svc.view_for_official(who, code).await.expect("view").dossier;
    svc.deadline_of(&d)
}

/// The statistics of 2026 in `who`'s scope (everything with none).
async fn statistics(svc: &DossierService, who: Option<&Principal>, by: StatsBy) -> Statistics {
    svc.statistics(who, day(2026, 1, 1), day(2026, 12, 31), by).await.expect("stats")
}

#[tokio::test]
async fn a_dossier_late_across_tet_gets_an_apology_and_counts_as_late() {
    // Thursday 12/2/2026, 09:00: Tết 2026 holidays run from Saturday 14/2 to Sunday 22/2.
    let (_t, clock, svc, _) = start(vn(2026, 2, 12, 9)).await;
    let reception = official(Role::ReceptionOfficer);
    let processing = official(Role::ProcessingOfficer);
    let code = file(&svc).await;
    let d = receive(&svc, &reception, &code).await;
    // Three working days from Thursday: Friday 13/2, then Tết, then Monday 23/2, Tuesday 24/2.
    assert_eq!(d.due_date.as_deref(), Some("2026-02-24"));
    svc.act(&processing, &code, OfficeAction::StartProcessing).await.expect("processing");

    // Monday 23/2: due the next working day. Wednesday 25/2: overdue.
    let at = |t| deadline_at(&svc, &clock, &processing, &code, t);
    assert_eq!(at(vn(2026, 2, 23, 9)).await, Deadline::DueSoon);
    assert_eq!(at(vn(2026, 2, 25, 9)).await, Deadline::Overdue);

    // The apology cannot go back in time, and needs a reason.
    let refused = svc
        .act(
            &processing,
            &code,
            OfficeAction::Apologise { reason: String::new(), new_due: day(2026, 2, 20) },
        )
        .await;
    assert!(refused.is_err());
    let d = svc
        .act(
            &processing,
            &code,
            OfficeAction::Apologise {
                reason: "Chờ kết quả xác minh của cơ quan khác".into(),
                new_due: day(2026, 2, 27),
            },
        )
        .await
        .expect("apology");
    assert_eq!(d.due_date.as_deref(), Some("2026-02-27"));
    let view = svc.view_for_official(&processing, &code).await.expect("view");
    assert_eq!(view.apologies.len(), 1);
    assert_eq!(view.apologies[0].old_due, "2026-02-24");
    assert!(
        view.events.iter().any(|e| e.note.contains("Mẫu 04")),
        "the apology is on the timeline the applicant sees"
    );
    assert_eq!(
        svc.deadline_of(&view.dossier),
        Deadline::OnTime,
        "the work list follows the new date"
    );

    // The result on Thursday 26/2: before the new date, but late against the statutory one.
    clock.set(vn(2026, 2, 26, 10));
    issue_result(&svc, &processing, &code).await;
    let stats = statistics(&svc, Some(&processing), StatsBy::Month).await;
    assert_eq!(stats.total.received, 1);
    assert_eq!(stats.total.late, 1, "{:?}", stats.total);
    assert_eq!(stats.total.early + stats.total.on_time, 0);
    assert_eq!(stats.total.apologies, 1);
    assert_eq!(stats.groups[0].0, "02/2026");
    // Outside the scope: nothing.
    let mut stranger = official(Role::ProcessingOfficer);
    stranger.roles[0].agency = "000.00.03.H51".into();
    let none = statistics(&svc, Some(&stranger), StatsBy::Agency).await;
    assert_eq!(none.total.received, 0);
}

#[tokio::test]
async fn the_clock_stands_still_while_the_applicant_supplements() {
    // Monday 2/3/2026, 09:00.
    let (_t, clock, svc, _) = start(vn(2026, 3, 2, 9)).await;
    let reception = official(Role::ReceptionOfficer);
    let code = file(&svc).await;
    let d = receive(&svc, &reception, &code).await;
    assert_eq!(d.due_date.as_deref(), Some("2026-03-05"));
    svc.act(
        &reception,
        &code,
        OfficeAction::RequestSupplement {
            items: vec![SupplementItem {
                component: None,
                text: "Bản sao giấy tờ tùy thân".into(),
            }],
            note: String::new(),
        },
    )
    .await
    .expect("asked");
    // Answered the next Monday, 9/3: five working days stood still.
    clock.set(vn(2026, 3, 9, 9));
    svc.supply("citizen-1", "094085000123", &code, &[], "Đã có bản sao trong hồ sơ gốc")
        .await
        .expect("supplied");
    let d = svc.view_for_official(&reception, &code).await.expect("view").dossier;
    assert_eq!(d.due_date.as_deref(), Some("2026-03-12"));
    // Resolved on the moved date: on time, not late.
    clock.set(vn(2026, 3, 12, 9));
    let processing = official(Role::ProcessingOfficer);
    issue_result(&svc, &processing, &code).await;
    let stats = svc
        .statistics(None, day(2026, 3, 1), day(2026, 3, 31), StatsBy::Agency)
        .await
        .expect("stats");
    assert_eq!((stats.total.on_time, stats.total.late), (1, 0), "{:?}", stats.total);
}

#[tokio::test]
async fn a_working_saturday_announced_by_the_government_counts_toward_the_appointment() {
    // Thursday 8/1/2026, 09:00; suppose Saturday 10/1 is announced as a working day.
    let (_t, clock, svc, calendar) = start(vn(2026, 1, 8, 9)).await;
    calendar
        .set_adjustment(
            "admin",
            "",
            cqdt_calendar::Adjustment {
                date: day(2026, 1, 10),
                kind: cqdt_calendar::AdjustmentKind::WorkingDay,
                name: "Làm bù".into(),
            },
        )
        .await
        .expect("adjustment");
    let reception = official(Role::ReceptionOfficer);
    let code = file(&svc).await;
    let d = receive(&svc, &reception, &code).await;
    // Friday 9, the working Saturday 10, Monday 12 (Tuesday 13 without the adjustment).
    assert_eq!(d.due_date.as_deref(), Some("2026-01-12"));
    svc.act(&official(Role::ProcessingOfficer), &code, OfficeAction::StartProcessing)
        .await
        .expect("processing");
    // On Friday the next working day is the Saturday: Monday is not yet due soon.
    let at = |t| deadline_at(&svc, &clock, &reception, &code, t);
    assert_eq!(at(vn(2026, 1, 9, 9)).await, Deadline::OnTime);
    assert_eq!(at(vn(2026, 1, 10, 9)).await, Deadline::DueSoon);
}
