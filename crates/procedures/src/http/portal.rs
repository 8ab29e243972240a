//! The portal's procedure pages: the public service home (`/dich-vu-cong`), search
//! (`/thu-tuc`) and one procedure (`/thu-tuc/{code}`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use cqdt_platform::web::render;
use cqdt_platform::Shell;

use super::{filters, ProcedureState};
use crate::error::ProcedureError;
use crate::model::{vnd, OnlineLevel, Procedure, Status};
use crate::service::Entry;

/// A procedure as the portal's lists show it.
struct Card {
    code: String,
    name: String,
    field: String,
    levels: String,
    time: String,
    online: &'static str,
    full_online: bool,
}

fn card(p: &Procedure) -> Card {
    Card {
        code: p.code.clone(),
        name: p.name.clone(),
        field: p.field.name.clone(),
        levels: p.levels.iter().map(|l| l.label()).collect::<Vec<_>>().join(", "),
        time: p.time_text(),
        online: p.online_level.label(),
        full_online: p.online_level == OnlineLevel::Full,
    }
}

/// Moments of life people come with, and the search that finds their procedures; the home
/// page lists those the catalog has procedures for.
const LIFE_EVENTS: [(&str, &str); 12] = [
    ("Sinh con", "khai sinh"),
    ("Kết hôn", "kết hôn"),
    ("Người thân qua đời", "khai tử"),
    ("Xây, sửa nhà", "giấy phép xây dựng"),
    ("Nhà, đất", "quyền sử dụng đất"),
    ("Mở cửa hàng, hộ kinh doanh", "hộ kinh doanh"),
    ("Thành lập doanh nghiệp", "thành lập công ty"),
    ("Xin việc, đi học, đi nước ngoài", "lý lịch tư pháp"),
    ("Lái xe", "giấy phép lái xe"),
    ("Chuyển nơi ở", "đăng ký thường trú"),
    ("Con chuyển trường", "chuyển trường"),
    ("Trợ cấp, hỗ trợ", "trợ cấp"),
];

/// A life event on the home page: its name, its search and how many procedures it finds.
struct LifeEvent {
    name: &'static str,
    query: &'static str,
    count: usize,
}

#[derive(Template)]
#[template(path = "portal_home.html")]
struct HomeTpl {
    shell: Shell,
    life_events: Vec<LifeEvent>,
    popular: Vec<Card>,
    fields: Vec<(String, String, usize)>,
    agencies: Vec<(String, usize)>,
    total: usize,
}

pub(super) async fn portal_home(State(s): State<ProcedureState>) -> Response {
    let life_events = LIFE_EVENTS
        .iter()
        .map(|(name, query)| LifeEvent {
            name,
            query,
            count: s.procedures.search(query, &Default::default(), 100).len(),
        })
        .filter(|e| e.count > 0)
        .collect();
    render(&HomeTpl {
        shell: (*s.platform.shell).clone(),
        life_events,
        popular: s.procedures.popular(12).iter().map(|p| card(p)).collect(),
        fields: s.procedures.fields().into_iter().map(|(f, n)| (f.code, f.name, n)).collect(),
        agencies: s.procedures.agency_kinds(),
        total: s.procedures.published_count(),
    })
}

#[derive(Template)]
#[template(path = "procedure_search.html")]
struct SearchTpl {
    shell: Shell,
    q: String,
    field: String,
    level: String,
    online: String,
    agency: String,
    results: Vec<Card>,
    fields: Vec<(String, String, usize)>,
    searched: bool,
}

pub(super) async fn search_page(
    State(s): State<ProcedureState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let text = q.get("q").cloned().unwrap_or_default();
    let f = filters(&q);
    let searched = !text.trim().is_empty()
        || f.field.is_some()
        || f.level.is_some()
        || f.online.is_some()
        || f.agency_kind.is_some();
    let results = if searched {
        s.procedures.search(&text, &f, 100).iter().map(|p| card(p)).collect()
    } else {
        Vec::new()
    };
    render(&SearchTpl {
        shell: (*s.platform.shell).clone(),
        q: text,
        field: f.field.clone().unwrap_or_default(),
        level: f.level.map(|l| l.as_str().to_string()).unwrap_or_default(),
        online: f.online.map(|o| o.as_str().to_string()).unwrap_or_default(),
        agency: f.agency_kind.unwrap_or_default(),
        results,
        fields: s.procedures.fields().into_iter().map(|(f, n)| (f.code, f.name, n)).collect(),
        searched,
    })
}

#[derive(Template)]
#[template(path = "procedure.html")]
struct ProcedureTpl {
    shell: Shell,
    p: Procedure,
    status: Status,
    levels: String,
    time: String,
    fees: Vec<(String, String, String)>,
    /// Each legal basis with the documents it names that the national database described.
    legal: Vec<(String, Vec<DocumentLink>)>,
    /// What the national procedure database said of the national code, and whether that is a
    /// warning (empty: not checked yet).
    national: (String, bool),
}

/// The national procedure database's word on a code, in a sentence.
fn national_line(k: Option<crate::national_codes::KnownCode>, ours: &str) -> (String, bool) {
    let Some(k) = k else { return (String::new(), false) };
    let db = if k.sandbox == 1 {
        "CSDL quốc gia về thủ tục hành chính (thử nghiệm)"
    } else {
        "CSDL quốc gia về thủ tục hành chính"
    };
    let on = cqdt_platform::clock::parse_ts(&k.checked_at)
        .map(|t| cqdt_platform::clock::to_vn(t).format("%d/%m/%Y").to_string())
        .unwrap_or_default();
    let theirs = k.name.unwrap_or_default();
    match (k.found, k.in_force) {
        (0, _) => (format!("{db} không có mã này (đối chiếu ngày {on})."), true),
        (_, Some(0)) => (format!("{db} ghi thủ tục mã này đã bãi bỏ (đối chiếu ngày {on})."), true),
        _ if !cqdt_national::procedures::same_name(&theirs, ours) => {
            (format!("{db} ghi mã này cho thủ tục “{theirs}” (đối chiếu ngày {on})."), true)
        }
        _ => (format!("Đã đối chiếu với {db} ngày {on}."), false),
    }
}

/// A document a legal basis names, as the national legal documents database described it.
struct DocumentLink {
    number: String,
    url: Option<String>,
    /// Its validity in words.
    validity: &'static str,
    /// Not in force: said as a warning.
    warn: bool,
    replaced_by: Option<String>,
    sandbox: bool,
}

fn legal_lines(
    lines: &[String],
    known: &HashMap<String, crate::legal::KnownDocument>,
) -> Vec<(String, Vec<DocumentLink>)> {
    use cqdt_national::{DocumentNumber, Validity};
    lines
        .iter()
        .map(|l| {
            let docs = DocumentNumber::find_all(l)
                .iter()
                .filter_map(|n| known.get(n.as_str()))
                .filter_map(|d| {
                    let v = d.validity()?;
                    Some(DocumentLink {
                        number: d.number.clone(),
                        url: d.url.clone(),
                        validity: v.label(),
                        warn: matches!(v, Validity::Expired | Validity::NotYetInForce),
                        replaced_by: d.replaced_by.clone(),
                        sandbox: d.sandbox == 1,
                    })
                })
                .collect();
            (l.clone(), docs)
        })
        .collect()
}

pub(super) async fn procedure_page(
    State(s): State<ProcedureState>,
    Path(code): Path<String>,
) -> Result<Response, ProcedureError> {
    // Drafts are not on the portal.
    let Some(Entry { procedure, status, .. }) =
        s.procedures.get(&code).await?.filter(|e| e.status != Status::Draft)
    else {
        return Err(ProcedureError::NotFound(code));
    };
    let known = s.procedures.known_documents(&procedure.legal_basis).await?;
    let code = s.procedures.known_code(&procedure.national_code).await?;
    Ok(render(&ProcedureTpl {
        national: national_line(code, &procedure.name),
        legal: legal_lines(&procedure.legal_basis, &known),
        shell: (*s.platform.shell).clone(),
        levels: procedure.levels.iter().map(|l| l.label()).collect::<Vec<_>>().join(", "),
        time: procedure.time_text(),
        fees: procedure
            .fees
            .iter()
            .map(|f| (f.name.clone(), vnd(f.amount_vnd), f.exempt.clone().unwrap_or_default()))
            .collect(),
        p: procedure,
        status,
    }))
}
