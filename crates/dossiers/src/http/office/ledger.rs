//! The ledger of dossiers (TT 01/2018 Mẫu 06, `/mot-cua/so-theo-doi`) of the official's
//! agencies over a period, optionally of one agency and one procedure; on the page, or as a
//! workbook with the form's columns.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use cqdt_platform::filters;
use cqdt_platform::web::render;
use cqdt_platform::{Principal, Shell};

use super::statistics::period;
use super::{vn_date, vn_ts, xlsx_response};
use crate::error::DossierError;
use crate::http::DossierState;

/// A ledger line as the page and the workbook show it.
struct LedgerLine {
    code: String,
    procedure: String,
    applicant: String,
    phone: String,
    agency: String,
    received: String,
    due: String,
    resolved: String,
    finished: String,
    note: String,
}

fn ledger_line(r: crate::store::LedgerRow) -> LedgerLine {
    let date = |d: &Option<String>| d.as_deref().map(vn_date).unwrap_or_default();
    let note = match (&r.resolved_on, &r.statutory_due) {
        (Some(done), Some(due)) if done > due => "Trễ hạn".to_string(),
        (Some(done), Some(due)) if done == due => "Đúng hạn".to_string(),
        (Some(_), Some(_)) => "Trước hạn".to_string(),
        _ => r.status.label().to_string(),
    };
    let due = match (&r.statutory_due, &r.due_date) {
        (Some(s), Some(d)) if s != d => format!("{} (hẹn lại {})", vn_date(s), vn_date(d)),
        (Some(s), _) => vn_date(s),
        (None, d) => date(d),
    };
    LedgerLine {
        code: r.code,
        procedure: r.procedure_name,
        applicant: r.applicant_name,
        phone: r.applicant_phone.as_deref().map(crate::display::phone_text).unwrap_or_default(),
        agency: r.agency_name,
        received: match &r.received_on {
            Some(d) => vn_date(d),
            None => r.submitted_at.as_deref().map(vn_ts).unwrap_or_default(),
        },
        due,
        resolved: date(&r.resolved_on),
        finished: r.finished_at.as_deref().map(vn_ts).unwrap_or_default(),
        note,
    }
}

#[derive(Template)]
#[template(path = "office_ledger.html")]
struct LedgerTpl {
    shell: Shell,
    from: String,
    to: String,
    agency: String,
    procedure: String,
    agencies: Vec<(String, String)>,
    lines: Vec<LedgerLine>,
    truncated: bool,
    error: String,
}

/// Lines a ledger page shows; the workbook takes more.
const LEDGER_PAGE: i64 = 2000;
const LEDGER_XLSX: i64 = 100_000;

pub(super) async fn ledger_page(
    State(s): State<DossierState>,
    p: Principal,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    let agencies = s.dossiers.agencies_in_scope(&p);
    if agencies.is_empty() {
        return Err(DossierError::Forbidden("Trang dành cho cán bộ một cửa.".into()));
    }
    let (from, to, _, error) = period(&q, s.dossiers.today());
    let filter = |k: &str| q.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let (agency, procedure) = (filter("co-quan"), filter("thu-tuc"));
    let xlsx = q.get("dinh-dang").map(String::as_str) == Some("xlsx");
    let limit = if xlsx { LEDGER_XLSX } else { LEDGER_PAGE + 1 };
    let rows =
        s.dossiers.ledger(&p, from, to, agency.as_deref(), procedure.as_deref(), limit).await?;
    let truncated = !xlsx && rows.len() as i64 > LEDGER_PAGE;
    let lines: Vec<LedgerLine> = rows.into_iter().take(limit as usize).map(ledger_line).collect();
    if xlsx {
        return ledger_xlsx(&lines);
    }
    Ok(render(&LedgerTpl {
        shell: (*s.platform.shell).clone(),
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        agency: agency.unwrap_or_default(),
        procedure: procedure.unwrap_or_default(),
        agencies,
        lines: lines.into_iter().take(LEDGER_PAGE as usize).collect(),
        truncated,
        error,
    }))
}

/// The ledger as a workbook, the columns of Mẫu 06.
fn ledger_xlsx(lines: &[LedgerLine]) -> Result<Response, DossierError> {
    use cqdt_platform::xlsx::{Cell, Column, Sheet};
    let columns = [
        ("STT", 6.0, false),
        ("Mã hồ sơ", 26.0, true),
        ("Tên thủ tục hành chính", 48.0, false),
        ("Tên cá nhân, tổ chức", 26.0, false),
        ("Số điện thoại", 14.0, true),
        ("Cơ quan chủ trì giải quyết", 32.0, false),
        ("Ngày nhận hồ sơ", 16.0, true),
        ("Hạn xử lý", 22.0, true),
        ("Ngày có kết quả", 16.0, true),
        ("Ngày trả kết quả / kết thúc", 20.0, true),
        ("Ghi chú", 18.0, false),
    ];
    let rows = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                Cell::Number((i + 1) as f64),
                Cell::from(l.code.as_str()),
                Cell::from(l.procedure.as_str()),
                Cell::from(l.applicant.as_str()),
                Cell::from(l.phone.as_str()),
                Cell::from(l.agency.as_str()),
                Cell::from(l.received.as_str()),
                Cell::from(l.due.as_str()),
                Cell::from(l.resolved.as_str()),
                Cell::from(l.finished.as_str()),
                Cell::from(l.note.as_str()),
            ]
        })
        .collect();
    let sheet = Sheet {
        name: "Sổ theo dõi hồ sơ".into(),
        columns: columns
            .iter()
            .map(|(h, w, text)| Column {
                header: (*h).to_string(),
                width: *w,
                text: *text,
                ..Column::default()
            })
            .collect(),
        rows,
    };
    xlsx_response(&sheet, "so-theo-doi-ho-so.xlsx")
}
