//! The status changes, decided without a database.

use chrono::TimeZone;
use cqdt_calendar::OfficeHours;
use cqdt_platform::RoleGrant;

use super::*;

const AGENCY: &str = "000.01.41.H51";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

/// Wednesday 25/11/2026, 09:00 in Vietnam.
fn at() -> At {
    At {
        now: Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).single().expect("time"),
        today: day(2026, 11, 25),
    }
}

fn dossier(status: DossierStatus) -> Dossier {
    Dossier {
        id: "d1".into(),
        code: Some(format!("{AGENCY}-261120-0001")),
        procedure_code: "1.999201.000.00.00.H51".into(),
        procedure_name: "Thủ tục thử".into(),
        agency_code: AGENCY.into(),
        agency_name: "Ủy ban nhân dân Phường 5".into(),
        applicant_account: "citizen-1".into(),
        applicant_name: "Nguyễn Văn Ấn".into(),
        applicant_phone: Some("+84912345678".into()),
        applicant_email: None,
        form: json!({}),
        status,
        created_at: "2026-11-20T01:00:00Z".into(),
        submitted_at: Some("2026-11-20T01:00:00Z".into()),
        updated_at: "2026-11-20T01:00:00Z".into(),
        due_date: None,
        finished_at: None,
    }
}

fn official(role: Role) -> Principal {
    Principal {
        account_id: "acc".into(),
        actor: "can-bo".into(),
        name: "Cán bộ".into(),
        kind: "official".into(),
        agency: Some(AGENCY.into()),
        roles: vec![RoleGrant { role, agency: AGENCY.into(), subtree: false }],
        session_id: "s".into(),
        access: cqdt_platform::auth::Access::Session,
    }
}

fn cal() -> WorkingCalendar {
    WorkingCalendar::new(Vec::new(), OfficeHours::default())
}

fn receive(due: Option<NaiveDate>) -> OfficeAction {
    OfficeAction::Receive { due_date: due }
}

/// `action` on `d` by an official with `role` at the dossier's agency, on no particular facts.
fn act_as(d: &Dossier, action: &OfficeAction, role: Role) -> Result<Change, DossierError> {
    office(d, action, &official(role), Facts::default(), at())
}

fn fields(e: DossierError) -> Vec<String> {
    match e {
        DossierError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("not a field error: {other:?}"),
    }
}

#[test]
fn reception_sets_the_appointment_and_records_the_day() {
    let d = dossier(DossierStatus::Submitted);
    let facts = Facts { appointment: Some(day(2026, 11, 30)), ..Facts::default() };
    let c = office(&d, &receive(None), &official(Role::ReceptionOfficer), facts, at())
        .expect("received");
    assert_eq!(c.dossier.status, DossierStatus::Received);
    assert_eq!(c.from, DossierStatus::Submitted);
    assert_eq!(c.dossier.due_date.as_deref(), Some("2026-11-30"));
    assert_eq!(c.dossier.finished_at, None);
    assert!(matches!(
        &c.effects[..],
        [Effect::Received { on, due }] if on == "2026-11-25" && due == "2026-11-30"
    ));
    assert_eq!(c.event.status, DossierStatus::Received);
    assert_eq!(c.event.actor, "can-bo");
    assert!(c.event.note.contains("30/11/2026"), "{}", c.event.note);
    assert_eq!(c.audit.action, "dossier.receive");
    assert_eq!(c.audit.object_id.as_deref(), d.code.as_deref());
    // A date typed by the official wins over the computed one.
    let typed =
        act_as(&d, &receive(Some(day(2026, 12, 4))), Role::ReceptionOfficer).expect("received");
    assert_eq!(typed.dossier.due_date.as_deref(), Some("2026-12-04"));
}

#[test]
fn the_wrong_role_is_forbidden_and_the_wrong_status_a_conflict() {
    let facts = || Facts { appointment: Some(day(2026, 11, 30)), ..Facts::default() };
    let d = dossier(DossierStatus::Submitted);
    let e = office(&d, &receive(None), &official(Role::Leader), facts(), at())
        .expect_err("a leader does not receive");
    assert!(matches!(e, DossierError::Forbidden(m) if m.contains("tiếp nhận")));
    let d = dossier(DossierStatus::Processing);
    let e = office(&d, &receive(None), &official(Role::ReceptionOfficer), facts(), at())
        .expect_err("already received");
    assert!(matches!(e, DossierError::Conflict(m) if m.contains("Đang giải quyết")));
    // The pages offer only what is allowed.
    assert!(!receive(None).allowed(&official(Role::ReceptionOfficer), &d));
    assert!(OfficeAction::StartProcessing
        .allowed(&official(Role::ReceptionOfficer), &dossier(DossierStatus::Received)));
}

#[test]
fn an_appointment_in_the_past_is_refused() {
    let d = dossier(DossierStatus::Submitted);
    let e = act_as(&d, &receive(Some(day(2026, 11, 24))), Role::ReceptionOfficer)
        .expect_err("yesterday");
    assert_eq!(fields(e), ["due_date"]);
}

#[test]
fn a_supplement_request_lists_everything_and_remembers_where_to_go_back() {
    let d = dossier(DossierStatus::Received);
    let items = vec![
        SupplementItem { component: Some(0), text: " Bản sao giấy khai sinh ".into() },
        SupplementItem { component: None, text: "  ".into() },
    ];
    let action =
        OfficeAction::RequestSupplement { items, note: "Nộp trước thứ Sáu.".into() };
    let c = act_as(&d, &action, Role::ProcessingOfficer).expect("asked");
    assert_eq!(c.dossier.status, DossierStatus::Supplement);
    let [Effect::OpenSupplement(r)] = &c.effects[..] else {
        panic!("{:?}", c.effects);
    };
    assert_eq!(r.resume_status, DossierStatus::Received);
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].text, "Bản sao giấy khai sinh");
    assert_eq!(c.event.note, "Yêu cầu bổ sung hồ sơ:\n1. Bản sao giấy khai sinh");
    let empty = OfficeAction::RequestSupplement { items: Vec::new(), note: String::new() };
    let e = act_as(&d, &empty, Role::ProcessingOfficer).expect_err("nothing asked");
    assert_eq!(fields(e), ["items"]);
}

#[test]
fn refusal_and_return_finish_the_dossier() {
    let c = act_as(
        &dossier(DossierStatus::Received),
        &OfficeAction::Refuse { reasons: "Không thuộc thẩm quyền.".into() },
        Role::Leader,
    )
    .expect("refused");
    assert_eq!(c.dossier.status, DossierStatus::Refused);
    assert!(c.dossier.finished_at.is_some());
    assert_eq!(c.event.note, "Từ chối: Không thuộc thẩm quyền.");
    let e = act_as(
        &dossier(DossierStatus::Received),
        &OfficeAction::Refuse { reasons: " ".into() },
        Role::Leader,
    )
    .expect_err("no reason");
    assert_eq!(fields(e), ["reasons"]);
    let c =
        act_as(&dossier(DossierStatus::ResultReady), &OfficeAction::Return, Role::ReceptionOfficer)
            .expect("returned");
    assert_eq!(c.dossier.status, DossierStatus::Returned);
    assert!(c.dossier.finished_at.is_some());
    assert!(c.effects.is_empty());
}

#[test]
fn processing_starts_the_procedures_process_with_the_form() {
    let facts =
        Facts { process: Some(("cap-phep".into(), json!({"floors": 7}))), ..Facts::default() };
    let c = office(
        &dossier(DossierStatus::Received),
        &OfficeAction::StartProcessing,
        &official(Role::ProcessingOfficer),
        facts,
        at(),
    )
    .expect("processing");
    assert_eq!(c.dossier.status, DossierStatus::Processing);
    let [Effect::StartProcess { key, vars }] = &c.effects[..] else {
        panic!("{:?}", c.effects);
    };
    assert_eq!(key, "cap-phep");
    assert_eq!(vars["form"]["floors"], 7);
    assert_eq!(vars["dossier"], json!(dossier(DossierStatus::Received).code));
    // A procedure without a process only changes the status.
    let c = act_as(
        &dossier(DossierStatus::Received),
        &OfficeAction::StartProcessing,
        Role::ProcessingOfficer,
    )
    .expect("processing");
    assert!(c.effects.is_empty());
}

#[test]
fn an_apology_moves_the_appointment_but_keeps_the_status() {
    let mut d = dossier(DossierStatus::Processing);
    d.due_date = Some("2026-11-26".into());
    let apologise =
        |new_due, reason: &str| OfficeAction::Apologise { reason: reason.into(), new_due };
    let c = act_as(&d, &apologise(day(2026, 12, 3), "Chờ ý kiến liên ngành"), Role::Leader)
        .expect("apologised");
    assert_eq!(c.dossier.status, DossierStatus::Processing);
    assert_eq!(c.dossier.due_date.as_deref(), Some("2026-12-03"));
    let [Effect::Apology(a)] = &c.effects[..] else {
        panic!("{:?}", c.effects);
    };
    assert_eq!((a.old_due.as_str(), a.new_due.as_str()), ("2026-11-26", "2026-12-03"));
    assert!(c.notices[0].params["body"].contains("26/11/2026"));
    let e = act_as(&d, &apologise(day(2026, 11, 26), ""), Role::Leader)
        .expect_err("no later date, no reason");
    assert_eq!(fields(e), ["reason", "new_due"]);
}

#[test]
fn notices_go_in_app_and_by_sms_without_diacritics() {
    let c =
        withdraw(&dossier(DossierStatus::Received), "094085000123", "", at()).expect("withdrawn");
    assert_eq!(c.dossier.status, DossierStatus::Withdrawn);
    assert!(c.dossier.finished_at.is_some());
    let channels: Vec<Channel> = c.notices.iter().map(|n| n.channel).collect();
    assert_eq!(channels, [Channel::InApp, Channel::Sms]);
    assert!(c.notices[0].params["body"].contains("09:00 25/11/2026"));
    assert!(c.notices[1].params["body"].is_ascii());
    assert_eq!(c.raced, RACED_APPLICANT);
    let e = withdraw(&dossier(DossierStatus::Returned), "x", "", at()).expect_err("finished");
    assert!(matches!(e, DossierError::Conflict(_)));
}

#[test]
fn an_online_result_returns_the_dossier_at_once() {
    let doc = ResultDoc {
        seq: 0,
        sha256: "ab".into(),
        file_name: "ket-qua.pdf".into(),
        media_type: "application/pdf".into(),
        size: 10,
        added_at: format_ts(at().now),
        added_by: "can-bo".into(),
        note: String::new(),
    };
    let who = official(Role::ProcessingOfficer);
    let c =
        result(&dossier(DossierStatus::Processing), &who, doc.clone(), true, at()).expect("issued");
    assert_eq!(c.dossier.status, DossierStatus::Returned);
    assert!(c.dossier.finished_at.is_some());
    assert!(
        matches!(&c.effects[..], [Effect::Result { resolved_on, .. }] if resolved_on == "2026-11-25")
    );
    let c =
        result(&dossier(DossierStatus::Received), &who, doc.clone(), false, at()).expect("ready");
    assert_eq!(c.dossier.status, DossierStatus::ResultReady);
    assert_eq!(c.dossier.finished_at, None);
    let e = result(
        &dossier(DossierStatus::Received),
        &official(Role::ReceptionOfficer),
        doc,
        false,
        at(),
    )
    .expect_err("reception does not issue results");
    assert!(matches!(e, DossierError::Forbidden(_)));
}

#[test]
fn a_supplement_moves_the_appointment_by_the_working_days_it_took() {
    let mut d = dossier(DossierStatus::Supplement);
    d.due_date = Some("2026-11-30".into());
    // Asked on Friday 20/11; answered Wednesday 25/11: three working days stood still.
    let request = SupplementRequest {
        seq: 2,
        requested_at: "2026-11-20T02:00:00Z".into(),
        requested_by: "can-bo".into(),
        items: Vec::new(),
        note: String::new(),
        resume_status: DossierStatus::Processing,
        answered_at: None,
        answer_note: None,
    };
    let supplied = |note: &'static str, uploaded: bool| Supply {
        request: &request,
        uploaded,
        files: Vec::new(),
        file_errors: Vec::new(),
        note,
    };
    let c = supply(&d, "094085000123", supplied(" Đã nộp bản sao. ", false), &cal(), at())
        .expect("supplied");
    assert_eq!(c.dossier.status, DossierStatus::Processing);
    assert_eq!(c.dossier.due_date.as_deref(), Some("2026-12-03"));
    assert!(matches!(
        &c.effects[..],
        [
            Effect::ShiftStatutoryDue { days: 3 },
            Effect::AddFiles(files),
            Effect::AnswerSupplement { seq: 2, note },
        ] if files.is_empty() && note == "Đã nộp bản sao."
    ));
    assert_eq!(c.event.note, "Người nộp đã bổ sung hồ sơ: Đã nộp bản sao.");
    let e = supply(&d, "x", supplied("", false), &cal(), at()).expect_err("nothing sent");
    assert_eq!(fields(e), ["files"]);
    let e = supply(&dossier(DossierStatus::Processing), "x", supplied("", true), &cal(), at())
        .expect_err("nothing asked for");
    assert!(matches!(e, DossierError::Conflict(_)));
}

#[test]
fn text_no_notice_can_carry_is_refused_by_its_field() {
    let refuse = OfficeAction::Refuse { reasons: "Thiếu giấy tờ\u{0}".into() };
    let e = act_as(&dossier(DossierStatus::Received), &refuse, Role::Leader)
        .expect_err("a control character");
    assert_eq!(fields(e), ["reasons"]);
    // Line breaks and tabs are fine.
    let refuse = OfficeAction::Refuse { reasons: "Thiếu:\n\tgiấy khai sinh".into() };
    assert!(act_as(&dossier(DossierStatus::Received), &refuse, Role::Leader).is_ok());
    let long = OfficeAction::RequestSupplement {
        items: (0..8).map(|_| SupplementItem { component: None, text: "x".repeat(900) }).collect(),
        note: String::new(),
    };
    let e = act_as(&dossier(DossierStatus::Received), &long, Role::ProcessingOfficer)
        .expect_err("too long for one notice");
    assert_eq!(fields(e), ["items"]);
}
