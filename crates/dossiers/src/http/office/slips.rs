//! The printable slips of TT 01/2018 (`/mot-cua/ho-so/{code}/phieu/{form}`), on A5 with a QR
//! code of the dossier code: the receipt with the appointment (Mẫu 01), the supplement
//! request (Mẫu 02), the refusal (Mẫu 03), the apology with a new date (Mẫu 04) and the
//! control slip of the hand-overs (Mẫu 05).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::NaiveDate;
use cqdt_platform::web::{qr_svg, render};
use cqdt_platform::{Principal, Shell};
use cqdt_procedures::model::Procedure;
use cqdt_workflow::store::TaskRow;
use cqdt_workflow::InstanceDetail;

use super::{component_files, vn_date, vn_ts};
use crate::error::DossierError;
use crate::http::DossierState;
use crate::model::{Dossier, DossierEvent, DossierStatus};
use crate::service::{task_role_label, DossierView};

#[derive(Template)]
#[template(path = "office_slip.html")]
struct SlipTpl {
    shell: Shell,
    form: &'static str,
    title: &'static str,
    d: Dossier,
    qr: String,
    received: String,
    due: String,
    time: String,
    components: Vec<(String, String)>,
    items: Vec<String>,
    note: String,
    reasons: String,
    /// Mẫu 04: the appointment that will be missed.
    old_due: String,
    official: String,
    today: String,
    /// Mẫu 05 rows: receiving agency and role, hand-over times, result against the due date,
    /// note.
    control: Vec<[String; 4]>,
}

/// The form asked for and its title, if the dossier has that slip.
fn kind(
    form: &str,
    view: &DossierView,
    process: bool,
) -> Result<(&'static str, &'static str), DossierError> {
    let d = &view.dossier;
    Ok(match form {
        "04" if !view.apologies.is_empty() => ("04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
        "05" if process => ("05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
        "01" if d.due_date.is_some() => ("01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
        "02" if !view.supplements.is_empty() => ("02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
        "03" if d.status == DossierStatus::Refused => {
            ("03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ")
        }
        _ => return Err(DossierError::NotFound(form.to_string())),
    })
}

/// The components received, with how many originals and copies.
fn components(procedure: Option<&Procedure>, view: &DossierView) -> Vec<(String, String)> {
    component_files(procedure, view)
        .filter(|(_, files)| !files.is_empty())
        .map(|(c, _)| {
            (c.name.clone(), format!("{} bản chính, {} bản sao (điện tử)", c.originals, c.copies))
        })
        .collect()
}

/// How a process task ended against its due date.
fn task_result(t: &TaskRow) -> &'static str {
    let done_on = t.completed_at.as_deref().and_then(|c| {
        chrono::DateTime::parse_from_rfc3339(c)
            .ok()
            .map(|c| cqdt_platform::clock::to_vn(c.with_timezone(&chrono::Utc)).date_naive())
    });
    let due = t.due_date.as_deref().and_then(|x| NaiveDate::parse_from_str(x, "%Y-%m-%d").ok());
    match (t.status.as_str(), done_on, due) {
        ("completed", Some(on), Some(due)) if on < due => "Trước hạn",
        ("completed", Some(on), Some(due)) if on == due => "Đúng hạn",
        ("completed", Some(_), Some(_)) => "Quá hạn",
        ("completed", _, None) => "Hoàn thành",
        ("cancelled", _, _) => "Huỷ",
        _ => "Đang giải quyết",
    }
}

/// Mẫu 05: each hand-over of the process, from the receiving agency on.
async fn control_rows(s: &DossierState, d: &Dossier, process: &InstanceDetail) -> Vec<[String; 4]> {
    let mut from = d.agency_name.clone();
    let mut rows = Vec::new();
    for t in &process.tasks {
        let agency = s.dossiers.agency_name(t.agency.as_deref().unwrap_or(""));
        let role = task_role_label(t);
        let handover =
            format!("Giao: {from}, {}. Nhận: {} ({role}).", vn_ts(&t.created_at), t.name);
        from = agency.clone();
        // Who did it by full name, when, and the opinion they gave.
        let note = match (&t.completed_by, &t.completed_at) {
            (Some(by), Some(at)) => {
                let name = s.applicants.full_name(by).await.unwrap_or_else(|| by.clone());
                let opinion = crate::service::task_opinion(process, t);
                let done = format!("{name}, {}", vn_ts(at));
                if opinion.is_empty() {
                    done
                } else {
                    format!("{done}: {opinion}")
                }
            }
            _ => t.due_date.as_deref().map(|x| format!("Hạn {}", vn_date(x))).unwrap_or_default(),
        };
        rows.push([agency, handover, task_result(t).to_string(), note]);
    }
    rows
}

/// Who signs the slip, and the reasons it gives (refusal, or lateness for Mẫu 04).
fn official_and_reasons(
    form: &str,
    view: &DossierView,
    received_by: Option<String>,
) -> (String, String) {
    let refusal: Option<&DossierEvent> =
        view.events.iter().rev().find(|e| e.status == DossierStatus::Refused);
    let apology = view.apologies.last();
    let official = match form {
        "01" => received_by,
        "04" => apology.map(|a| a.issued_by.clone()),
        "02" => view.supplements.last().map(|r| r.requested_by.clone()),
        _ => refusal.map(|e| e.actor.clone()),
    };
    let reasons = match form {
        "04" => apology.map(|a| a.reason.clone()),
        _ => refusal.map(|e| e.note.trim_start_matches("Từ chối: ").to_string()),
    };
    (official.unwrap_or_default(), reasons.unwrap_or_default())
}

/// The date line of a document: "Sóc Trăng, ngày 05 tháng 12 năm 2026".
fn dated(place: &str, today: NaiveDate) -> String {
    let date = today.format("ngày %d tháng %m năm %Y");
    if place.is_empty() {
        date.to_string()
    } else {
        format!("{place}, {date}")
    }
}

pub(super) async fn slip(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, form)): Path<(String, String)>,
) -> Result<Response, DossierError> {
    let view = s.dossiers.view_for_official(&p, &code).await?;
    let procedure = s.dossiers.procedure_of(&view.dossier).await?;
    let process = s.dossiers.process_for_official(&p, &code).await?;
    let (form, title) = kind(&form, &view, process.is_some())?;
    // Who received it, and when: the step that moved it to "received".
    let received = view
        .events
        .iter()
        .find(|e| e.status == DossierStatus::Received)
        .map(|e| (vn_ts(&e.at), e.actor.clone()));
    let (received_at, received_by) = received.unzip();
    let (official, reasons) = official_and_reasons(form, &view, received_by);
    // The slip is signed with the official's full name, not their login.
    let official = match official.as_str() {
        "" => official,
        actor if actor == p.actor => p.name.clone(),
        actor => s.applicants.full_name(actor).await.unwrap_or(official),
    };
    let last_request = view.supplements.last();
    let d = view.dossier.clone();
    let code_text = d.code.clone().unwrap_or_default();
    Ok(render(&SlipTpl {
        shell: (*s.platform.shell).clone(),
        form,
        title,
        qr: qr_svg(&code_text, &format!("Mã QR của mã hồ sơ {code_text}")).unwrap_or_default(),
        received: received_at.unwrap_or_default(),
        official,
        due: d.due_date.as_deref().map(vn_date).unwrap_or_default(),
        time: procedure.as_ref().map(|p| p.time_text()).unwrap_or_default(),
        components: components(procedure.as_ref(), &view),
        items: last_request
            .map(|r| r.items.iter().map(|i| i.text.clone()).collect())
            .unwrap_or_default(),
        note: last_request.map(|r| r.note.clone()).unwrap_or_default(),
        reasons,
        old_due: view.apologies.last().map(|a| vn_date(&a.old_due)).unwrap_or_default(),
        today: dated(&s.dossiers.place_name(), s.dossiers.today()),
        control: match &process {
            Some(pr) => control_rows(&s, &d, pr).await,
            None => Vec::new(),
        },
        d,
    }))
}
