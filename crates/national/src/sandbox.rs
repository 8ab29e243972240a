//! SANDBOX: stand-ins for the national population database, the national business registry
//! the national legal documents database and the national public service portal (`cqdt sandbox national`), speaking the format of [`crate::wire`] so that the real
//! clients talk to them unchanged. Every answer says `moiTruongThuNghiem: true` and carries
//! the header `X-Sandbox: national`; the start page says so in words and lists the invented
//! records a tester can look up.
//!
//! Like the real population database it refuses a lookup without a stated purpose, and it
//! keeps a journal of the reads it answered (who asked through which LGSP client, for which
//! purpose), shown at `/nhat-ky` and as JSON at `/api/nhat-ky`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cqdt_platform::{PersonalId, SharedClock, TaxCode};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::model::Purpose;
use crate::wire::{CongDan, DoanhNghiep, Loi, TraLoiCongDan, TraLoiDoanhNghiep};

pub mod data;
pub mod legal;
pub mod portal;
pub mod portal_requests;
pub mod procedures;

pub use legal::LEGAL_BASE;
pub use portal::PORTAL_BASE;
pub use procedures::PROCEDURES_BASE;

/// Where the population service lives on the sandbox.
pub const POPULATION_BASE: &str = "/dan-cu/v1";
/// Where the business-registry service lives on the sandbox.
pub const BUSINESS_BASE: &str = "/dang-ky-doanh-nghiep/v1";
/// How many reads the journal remembers.
const JOURNAL: usize = 1000;

/// A read the sandbox answered (or refused).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Read {
    /// When.
    pub at: String,
    /// `dan-cu` or `dang-ky-doanh-nghiep`.
    pub service: String,
    /// Whose record: personal ID or enterprise code.
    pub key: String,
    /// The stated purpose, if any.
    pub purpose: Option<String>,
    /// The LGSP client that called (`X-Lgsp-Client`), when the call came through a gateway.
    pub lgsp_client: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
}

/// The sandbox: its records and its journal.
#[derive(Clone)]
pub struct Sandbox {
    citizens: Arc<BTreeMap<String, CongDan>>,
    enterprises: Arc<BTreeMap<String, DoanhNghiep>>,
    journal: Arc<Mutex<VecDeque<Read>>>,
    portal: portal::Portal,
    clock: SharedClock,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CSDL quốc gia về dân cư — tra cứu công dân (môi trường thử nghiệm)",
        version = "1.0.0"
    ),
    paths(citizen),
    components(schemas(TraLoiCongDan, CongDan, Loi))
)]
struct PopulationApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hệ thống thông tin quốc gia về đăng ký doanh nghiệp — tra cứu doanh nghiệp (môi trường thử nghiệm)",
        version = "1.0.0"
    ),
    paths(enterprise),
    components(schemas(TraLoiDoanhNghiep, DoanhNghiep, Loi))
)]
struct BusinessApi;

/// The OpenAPI document of the sandbox's population service (paths below its base), as a
/// provider registers it on the LGSP.
pub fn population_openapi() -> String {
    PopulationApi::openapi().to_pretty_json().unwrap_or_default()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CSDL quốc gia về văn bản pháp luật — tra cứu văn bản (môi trường thử nghiệm)",
        version = "1.0.0"
    ),
    paths(legal::document),
    components(schemas(crate::legal::TraLoiVanBan, crate::legal::VanBan, Loi))
)]
struct LegalApi;

/// The OpenAPI document of the sandbox's legal documents service.
pub fn legal_openapi() -> String {
    LegalApi::openapi().to_pretty_json().unwrap_or_default()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cổng Dịch vụ công quốc gia — hồ sơ và trạng thái (môi trường thử nghiệm)",
        version = "1.0.0"
    ),
    paths(
        portal::feed,
        portal::status,
        portal::attachment,
        portal::report,
        portal::file,
        portal_requests::feed,
        portal_requests::attachment,
        portal_requests::make
    ),
    components(schemas(
        crate::portal::TraLoiDanhSachHoSo,
        crate::portal::HoSoDvc,
        crate::portal::NguoiNop,
        crate::portal::TepDinhKem,
        crate::portal::CapNhatTrangThai,
        crate::portal::TrangThaiHoSo,
        crate::portal::PortalStatus,
        portal::NopHoSo,
        portal::TepNop,
        crate::portal::YeuCau,
        crate::portal::TraLoiDanhSachYeuCau,
        crate::portal::RequestKind,
        portal_requests::GuiYeuCau,
        Loi
    ))
)]
struct PortalApi;

/// The OpenAPI document of the sandbox's public service portal services.
pub fn portal_openapi() -> String {
    PortalApi::openapi().to_pretty_json().unwrap_or_default()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CSDL quốc gia về thủ tục hành chính — tra cứu thủ tục (môi trường thử nghiệm)",
        version = "1.0.0"
    ),
    paths(procedures::procedure),
    components(schemas(crate::procedures::TraLoiThuTuc, crate::procedures::ThuTuc, Loi))
)]
struct ProceduresApi;

/// The OpenAPI document of the sandbox's procedure database service.
pub fn procedures_openapi() -> String {
    ProceduresApi::openapi().to_pretty_json().unwrap_or_default()
}

/// The OpenAPI document of the sandbox's business-registry service.
pub fn business_openapi() -> String {
    BusinessApi::openapi().to_pretty_json().unwrap_or_default()
}

#[derive(Deserialize)]
struct PurposeQuery {
    #[serde(rename = "mucDich")]
    muc_dich: Option<String>,
}

pub(crate) fn problem(status: StatusCode, title: &str, detail: String) -> Response {
    let body = Loi { title: title.into(), status: status.as_u16(), detail: Some(detail) };
    let mut res = (status, Json(body)).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    res
}

impl Sandbox {
    /// A sandbox with its invented records, telling time by `clock`.
    pub fn new(clock: SharedClock) -> Self {
        let citizens = data::citizens();
        let enterprises = data::enterprises(&citizens);
        Sandbox {
            citizens: Arc::new(citizens),
            enterprises: Arc::new(enterprises),
            journal: Arc::default(),
            portal: portal::Portal::default(),
            clock,
        }
    }

    /// The sandbox's routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(start_page))
            .route("/nhat-ky", get(journal_page))
            .route("/api/nhat-ky", get(journal))
            .route(&format!("{POPULATION_BASE}/cong-dan/{{so}}"), get(citizen))
            .route(
                &format!("{POPULATION_BASE}/openapi.json"),
                get(|| async { json_doc(population_openapi()) }),
            )
            .route(&format!("{BUSINESS_BASE}/doanh-nghiep/{{ma}}"), get(enterprise))
            .route(
                &format!("{BUSINESS_BASE}/openapi.json"),
                get(|| async { json_doc(business_openapi()) }),
            )
            .route(&format!("{LEGAL_BASE}/van-ban"), get(legal::document))
            .route(&format!("{LEGAL_BASE}/xem"), get(legal::document_page))
            .route(
                &format!("{LEGAL_BASE}/openapi.json"),
                get(|| async { json_doc(legal_openapi()) }),
            )
            .route(&format!("{PORTAL_BASE}/ho-so"), get(portal::feed).post(portal::file))
            .route(&format!("{PORTAL_BASE}/ho-so/{{ma}}"), get(portal::status))
            .route(&format!("{PORTAL_BASE}/ho-so/{{ma}}/tep/{{i}}"), get(portal::attachment))
            .route(&format!("{PORTAL_BASE}/ho-so/{{ma}}/trang-thai"), post(portal::report))
            .route(&format!("{PORTAL_BASE}/xem"), get(portal::view))
            .route(&format!("{PORTAL_BASE}/ho-so/{{ma}}/yeu-cau"), post(portal_requests::make))
            .route(&format!("{PORTAL_BASE}/yeu-cau"), get(portal_requests::feed))
            .route(
                &format!("{PORTAL_BASE}/yeu-cau/{{stt}}/tep/{{i}}"),
                get(portal_requests::attachment),
            )
            .route(&format!("{PROCEDURES_BASE}/thu-tuc/{{ma}}"), get(procedures::procedure))
            .route(
                &format!("{PROCEDURES_BASE}/openapi.json"),
                get(|| async { json_doc(procedures_openapi()) }),
            )
            .route(
                &format!("{PORTAL_BASE}/openapi.json"),
                get(|| async { json_doc(portal_openapi()) }),
            )
            .route(
                "/healthz",
                get(|| async { Json(serde_json::json!({"status": "ok", "sandbox": "national"})) }),
            )
            .layer(axum::middleware::map_response(label))
            .with_state(self.clone())
    }

    /// The reads answered so far, oldest first.
    pub fn reads(&self) -> Vec<Read> {
        self.journal.lock().map(|j| j.iter().cloned().collect()).unwrap_or_default()
    }

    fn note(
        &self,
        service: &str,
        key: &str,
        purpose: Option<&str>,
        headers: &HeaderMap,
        status: StatusCode,
    ) {
        let read = Read {
            at: self.clock.now().to_rfc3339(),
            service: service.into(),
            key: key.chars().take(20).collect(),
            purpose: purpose.map(|p| p.chars().take(200).collect()),
            lgsp_client: headers
                .get("x-lgsp-client")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            status: status.as_u16(),
        };
        if let Ok(mut j) = self.journal.lock() {
            if j.len() == JOURNAL {
                j.pop_front();
            }
            j.push_back(read);
        }
    }
}

async fn label(mut res: Response) -> Response {
    res.headers_mut().insert("x-sandbox", HeaderValue::from_static("national"));
    res
}

fn json_doc(doc: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
}

/// Tra cứu công dân theo số định danh cá nhân.
#[utoipa::path(
    get,
    path = "/cong-dan/{soDinhDanh}",
    operation_id = "traCuuCongDan",
    params(
        ("soDinhDanh" = String, Path, description = "Số định danh cá nhân, 12 chữ số"),
        ("mucDich" = String, Query, description = "Mục đích khai thác dữ liệu (bắt buộc)")
    ),
    responses(
        (status = 200, description = "Thông tin công dân", body = TraLoiCongDan),
        (status = 400, description = "Số định danh hoặc mục đích không hợp lệ", body = Loi),
        (status = 404, description = "Không có công dân mang số định danh này", body = Loi)
    )
)]
async fn citizen(
    State(s): State<Sandbox>,
    Path(so): Path<String>,
    Query(q): Query<PurposeQuery>,
    headers: HeaderMap,
) -> Response {
    let stated = q.muc_dich.as_deref();
    let (status, res) = match (PersonalId::parse(&so), Purpose::parse(stated.unwrap_or(""))) {
        (Err(e), _) => (
            StatusCode::BAD_REQUEST,
            problem(StatusCode::BAD_REQUEST, "Số định danh không hợp lệ", e),
        ),
        (_, Err(e)) => (
            StatusCode::BAD_REQUEST,
            problem(StatusCode::BAD_REQUEST, "Thiếu mục đích khai thác", e),
        ),
        (Ok(id), Ok(purpose)) => match s.citizens.get(id.as_str()) {
            Some(c) => {
                let answer = TraLoiCongDan {
                    moi_truong_thu_nghiem: true,
                    thoi_diem: s.clock.now(),
                    muc_dich: purpose.as_str().into(),
                    cong_dan: c.clone(),
                };
                (StatusCode::OK, Json(answer).into_response())
            }
            None => (
                StatusCode::NOT_FOUND,
                problem(
                    StatusCode::NOT_FOUND,
                    "Không tìm thấy",
                    "Không có công dân mang số định danh này.".into(),
                ),
            ),
        },
    };
    s.note("dan-cu", &so, stated, &headers, status);
    res
}

/// Tra cứu doanh nghiệp theo mã số doanh nghiệp.
#[utoipa::path(
    get,
    path = "/doanh-nghiep/{maSo}",
    operation_id = "traCuuDoanhNghiep",
    params(("maSo" = String, Path, description = "Mã số doanh nghiệp (10 hoặc 13 chữ số)")),
    responses(
        (status = 200, description = "Thông tin đăng ký doanh nghiệp", body = TraLoiDoanhNghiep),
        (status = 400, description = "Mã số không hợp lệ", body = Loi),
        (status = 404, description = "Không có doanh nghiệp mang mã số này", body = Loi)
    )
)]
async fn enterprise(
    State(s): State<Sandbox>,
    Path(ma): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (status, res) = match TaxCode::parse(&ma) {
        Err(e) => {
            (StatusCode::BAD_REQUEST, problem(StatusCode::BAD_REQUEST, "Mã số không hợp lệ", e))
        }
        Ok(code) => match s.enterprises.get(code.as_str()) {
            Some(d) => {
                let answer = TraLoiDoanhNghiep {
                    moi_truong_thu_nghiem: true,
                    thoi_diem: s.clock.now(),
                    doanh_nghiep: d.clone(),
                };
                (StatusCode::OK, Json(answer).into_response())
            }
            None => (
                StatusCode::NOT_FOUND,
                problem(
                    StatusCode::NOT_FOUND,
                    "Không tìm thấy",
                    "Không có doanh nghiệp mang mã số này.".into(),
                ),
            ),
        },
    };
    s.note("dang-ky-doanh-nghiep", &ma, None, &headers, status);
    res
}

async fn journal(State(s): State<Sandbox>) -> Json<Vec<Read>> {
    Json(s.reads())
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub(crate) fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
<style>body{{font-family:sans-serif;margin:1rem auto;max-width:60rem;padding:0 1rem;line-height:1.5}}\
.sandbox{{background:#fff3cd;border:2px solid #8a6d00;padding:.5rem 1rem}}table{{border-collapse:collapse;width:100%}}\
td,th{{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}}\
.wrap{{overflow-x:auto}}</style></head><body><main>\
<p class=\"sandbox\"><strong>MÔI TRƯỜNG THỬ NGHIỆM.</strong> Đây không phải hệ thống quốc gia: mọi bản ghi \
đều là giả lập, không phải người hay doanh nghiệp có thật.</p><h1>{title}</h1>{body}</main></body></html>"
    ))
}

async fn start_page(State(s): State<Sandbox>) -> Html<String> {
    let mut rows = String::new();
    for c in s.citizens.values().take(25) {
        rows += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.so_dinh_danh,
            escape(&c.ho_va_ten),
            c.ngay_sinh.format("%d/%m/%Y"),
            escape(&c.noi_thuong_tru)
        );
    }
    let mut firms = String::new();
    for d in s.enterprises.values().take(15) {
        firms += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            d.ma_so_doanh_nghiep,
            escape(&d.ten_doanh_nghiep),
            escape(&d.tinh_trang)
        );
    }
    let body = format!(
        "<p>Dịch vụ tra cứu công dân: <code>{POPULATION_BASE}/cong-dan/{{số định danh}}?mucDich=…</code> \
(<a href=\"{POPULATION_BASE}/openapi.json\">tài liệu OpenAPI</a>); tra cứu doanh nghiệp: \
<code>{BUSINESS_BASE}/doanh-nghiep/{{mã số}}</code> (<a href=\"{BUSINESS_BASE}/openapi.json\">tài liệu OpenAPI</a>); tra cứu văn bản pháp luật: \
<code>{LEGAL_BASE}/van-ban?soKyHieu=…</code> (<a href=\"{LEGAL_BASE}/openapi.json\">tài liệu OpenAPI</a>, \
{} văn bản, ví dụ <a href=\"{LEGAL_BASE}/xem?soKyHieu=60%2F2014%2FQH13\">Luật Hộ tịch</a>); Cổng Dịch vụ công \
quốc gia: <code>{PORTAL_BASE}/ho-so</code> (<a href=\"{PORTAL_BASE}/openapi.json\">tài liệu OpenAPI</a>, \
<a href=\"{PORTAL_BASE}/xem\">hồ sơ đã nộp và trạng thái tỉnh cập nhật</a>); CSDL quốc gia về thủ tục hành chính: \
<code>{PROCEDURES_BASE}/thu-tuc/{{mã thủ tục}}</code> (<a href=\"{PROCEDURES_BASE}/openapi.json\">tài liệu OpenAPI</a>). \
<a href=\"/nhat-ky\">Nhật ký tra cứu</a>.</p>\
<h2>Một số công dân thử nghiệm ({} bản ghi)</h2><div class=\"wrap\"><table><thead><tr><th scope=\"col\">Số định danh</th>\
<th scope=\"col\">Họ và tên</th><th scope=\"col\">Ngày sinh</th><th scope=\"col\">Nơi thường trú</th></tr></thead><tbody>{rows}</tbody></table></div>\
<h2>Một số doanh nghiệp thử nghiệm ({} bản ghi)</h2><div class=\"wrap\"><table><thead><tr><th scope=\"col\">Mã số</th>\
<th scope=\"col\">Tên doanh nghiệp</th><th scope=\"col\">Tình trạng</th></tr></thead><tbody>{firms}</tbody></table></div>",
        legal::documents("").len(),
        s.citizens.len(),
        s.enterprises.len()
    );
    page("CSDL quốc gia — môi trường thử nghiệm", &body)
}

async fn journal_page(State(s): State<Sandbox>) -> Html<String> {
    let mut rows = String::new();
    for r in s.reads().iter().rev().take(200) {
        let at = chrono::DateTime::parse_from_rfc3339(&r.at)
            .map(|t| {
                cqdt_platform::clock::to_vn(t.with_timezone(&chrono::Utc))
                    .format("%H:%M:%S %d/%m/%Y")
                    .to_string()
            })
            .unwrap_or_default();
        rows += &format!(
            "<tr><td>{at}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.service),
            escape(&r.key),
            escape(r.purpose.as_deref().unwrap_or("(không nêu)")),
            escape(r.lgsp_client.as_deref().unwrap_or("gọi trực tiếp")),
            r.status
        );
    }
    let body = format!(
        "<div class=\"wrap\"><table><thead><tr><th scope=\"col\">Thời điểm</th><th scope=\"col\">Dịch vụ</th>\
<th scope=\"col\">Số tra cứu</th><th scope=\"col\">Mục đích</th><th scope=\"col\">Hệ thống gọi qua LGSP</th>\
<th scope=\"col\">Kết quả</th></tr></thead><tbody>{rows}</tbody></table></div>"
    );
    page("Nhật ký tra cứu — môi trường thử nghiệm", &body)
}
