//! The one-stop statistics (`/mot-cua/thong-ke` for officials, their agencies only;
//! `/thong-ke-ho-so` for everyone, counts only): a period grouped by agency, field,
//! procedure or month, with a chart, and as a workbook.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use cqdt_platform::web::render;
use cqdt_platform::{Principal, Role, Shell};

use super::xlsx_response;
use crate::error::DossierError;
use crate::http::DossierState;
use crate::model::Counts;
use crate::service::{Statistics, StatsBy};

#[derive(Template)]
#[template(path = "office_stats.html")]
struct StatsTpl {
    shell: Shell,
    public: bool,
    from: String,
    to: String,
    by: StatsBy,
    bys: Vec<(&'static str, &'static str, bool)>,
    stats: Statistics,
    chart: String,
    error: String,
}

/// The period and grouping a statistics page was asked for; this year to date by default.
pub(super) fn period(
    q: &BTreeMap<String, String>,
    today: NaiveDate,
) -> (NaiveDate, NaiveDate, StatsBy, String) {
    let start_of_year =
        NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today);
    let date = |k: &str| {
        q.get(k)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d"))
    };
    let mut error = String::new();
    let from = match date("tu") {
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            error = "Ngày không hợp lệ; đang hiển thị từ đầu năm.".into();
            start_of_year
        }
        None => start_of_year,
    };
    let to = match date("den") {
        Some(Ok(d)) if d >= from => d,
        Some(_) => {
            error = "Khoảng thời gian không hợp lệ; đang hiển thị đến hôm nay.".into();
            today
        }
        None => today,
    };
    let by = q.get("theo").and_then(|v| StatsBy::parse(v)).unwrap_or(StatsBy::Agency);
    (from, to, by, error)
}

/// A stacked bar chart of resolutions per month (early, on time, late), as an SVG image
/// with a text alternative; the table beside it carries the same numbers.
fn chart(months: &[(String, Counts)]) -> String {
    if months.is_empty() {
        return String::new();
    }
    let max =
        months.iter().map(|(_, c)| c.resolved().max(c.received)).max().unwrap_or(1).max(1) as f64;
    // Drawn about as wide as a phone (CSS keeps it from growing past that), so that its
    // 13-unit text reads at about 13 px both on a phone and on a desktop.
    let (bar, gap, label_w, width) = (18.0, 10.0, 62.0, 240.0);
    let height = months.len() as f64 * (bar + gap) + 30.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 {} {height}\" width=\"100%\" class=\"chart\"><title id=\"chart-title\">Hồ sơ giải quyết trước hạn, đúng hạn và trễ hạn theo tháng (số liệu trong bảng)</title>",
        label_w + width + 40.0
    );
    for (i, (month, c)) in months.iter().enumerate() {
        let y = i as f64 * (bar + gap) + 4.0;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{month}</text>",
            y + bar - 4.0
        ));
        let mut x = label_w;
        for (n, colour) in [(c.early, "#00703c"), (c.on_time, "#1d70b8"), (c.late, "#b3261e")] {
            let w = n as f64 / max * width;
            if w > 0.0 {
                svg.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{bar}\" fill=\"{colour}\"/>"
                ));
            }
            x += w;
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"13\">{}</text>",
            x + 4.0,
            y + bar - 4.0,
            c.resolved()
        ));
    }
    let ly = height - 10.0;
    for (i, (name, colour)) in
        [("Trước hạn", "#00703c"), ("Đúng hạn", "#1d70b8"), ("Trễ hạn", "#b3261e")]
            .iter()
            .enumerate()
    {
        let lx = i as f64 * 110.0;
        svg.push_str(&format!(
            "<rect x=\"{lx}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"{ly}\" font-size=\"13\">{name}</text>",
            ly - 10.0,
            lx + 16.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The statistics page, or the workbook, of an official's agencies or (`who` none) of all.
async fn stats_response(
    s: &DossierState,
    who: Option<&Principal>,
    q: &BTreeMap<String, String>,
) -> Result<Response, DossierError> {
    let (from, to, by, error) = period(q, s.dossiers.today());
    let stats = s.dossiers.statistics(who, from, to, by).await?;
    if q.get("dinh-dang").map(String::as_str) == Some("xlsx") {
        return stats_xlsx(&stats, by);
    }
    Ok(render(&StatsTpl {
        shell: (*s.platform.shell).clone(),
        public: who.is_none(),
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        bys: StatsBy::ALL.iter().map(|b| (b.as_str(), b.label(), *b == by)).collect(),
        by,
        chart: chart(&stats.months),
        stats,
        error,
    }))
}

/// The statistics as a workbook: one row per group, then the total.
fn stats_xlsx(stats: &Statistics, by: StatsBy) -> Result<Response, DossierError> {
    use cqdt_platform::xlsx::{Cell, Column, Sheet};
    let headers = [
        by.label(),
        "Tiếp nhận",
        "Trước hạn",
        "Đúng hạn",
        "Trễ hạn",
        "Đang giải quyết",
        "Quá hạn",
        "Chờ bổ sung",
        "Từ chối",
        "Rút hồ sơ",
        "Có thư xin lỗi",
    ];
    let row = |label: &str, c: &Counts| -> Vec<Cell> {
        let mut r = vec![Cell::from(label)];
        for n in [
            c.received,
            c.early,
            c.on_time,
            c.late,
            c.in_progress,
            c.overdue,
            c.supplement,
            c.refused,
            c.withdrawn,
            c.apologies,
        ] {
            r.push(Cell::Number(n as f64));
        }
        r
    };
    let mut rows: Vec<Vec<Cell>> = stats.groups.iter().map(|(l, c)| row(l, c)).collect();
    rows.push(row("Tổng cộng", &stats.total));
    let sheet = Sheet {
        name: "Thống kê".into(),
        columns: headers
            .iter()
            .enumerate()
            .map(|(i, h)| Column {
                header: (*h).to_string(),
                width: if i == 0 { 48.0 } else { 14.0 },
                ..Column::default()
            })
            .collect(),
        rows,
    };
    xlsx_response(&sheet, "thong-ke-ho-so.xlsx")
}

pub(super) async fn statistics_page(
    State(s): State<DossierState>,
    p: Principal,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    let office =
        [Role::ReceptionOfficer, Role::ProcessingOfficer, Role::Leader, Role::Clerk, Role::Auditor];
    if !office.iter().any(|r| p.has_role(*r)) {
        return Err(DossierError::Forbidden("Trang dành cho cán bộ.".into()));
    }
    stats_response(&s, Some(&p), &q).await
}

/// The public summary: counts only, every agency, no personal data.
pub(super) async fn public_statistics(
    State(s): State<DossierState>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    stats_response(&s, None, &q).await
}
