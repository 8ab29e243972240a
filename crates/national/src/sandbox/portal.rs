//! SANDBOX: a stand-in for the national public service portal (Cổng DVC quốc gia), as the
//! province's one-stop system meets it: the feed of dossiers filed for the province, their
//! files, and the status reports the province sends back. A tester files a dossier through
//! `POST …/ho-so` (the citizen's side of the real portal, which the sandbox does not copy)
//! and follows what the province reported at `…/xem`. Held in memory: a restart forgets.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{escape, page, problem, Sandbox};
use crate::portal::{
    valid_code, CapNhatTrangThai, HoSoDvc, NguoiNop, PortalStatus, TepDinhKem, TraLoiDanhSachHoSo,
    TrangThaiHoSo, MAX_FILES,
};

/// Where the portal's services live on the sandbox.
pub const PORTAL_BASE: &str = "/dvc-quoc-gia/v1";
/// The most dossiers one page of the feed gives.
pub(super) const PAGE: usize = 100;

/// A dossier the sandbox holds: as filed, its files, the reports received.
struct Held {
    filed: HoSoDvc,
    files: Vec<Vec<u8>>,
    reports: Vec<CapNhatTrangThai>,
}

/// The dossiers filed on the sandbox, in filing order; the applicants' requests, in order.
#[derive(Clone, Default)]
pub(crate) struct Portal(Arc<Mutex<Vec<Held>>>, pub(super) Arc<Mutex<Vec<HeldRequest>>>);

/// A request the sandbox holds, with its files.
pub(super) struct HeldRequest {
    pub(super) request: crate::portal::YeuCau,
    pub(super) files: Vec<Vec<u8>>,
}

impl Portal {
    /// Whether a dossier of this code was filed here.
    pub(super) fn has(&self, ma: &str) -> bool {
        self.0.lock().map(|held| held.iter().any(|h| h.filed.ma_ho_so == ma)).unwrap_or(false)
    }
}

/// A file sent with a filing.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TepNop {
    /// Thành phần hồ sơ (từ 0).
    pub thanh_phan: u32,
    /// Tên tệp.
    pub ten_tep: String,
    /// Kiểu nội dung.
    pub loai: String,
    /// Nội dung, base64.
    pub noi_dung: String,
}

/// A filing (the citizen's side of the portal, sandbox only).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NopHoSo {
    /// Mã thủ tục.
    pub ma_thu_tuc: String,
    /// Mã cơ quan tiếp nhận.
    pub ma_co_quan: String,
    /// Người nộp.
    pub nguoi_nop: NguoiNop,
    /// Giá trị tờ khai.
    #[serde(default)]
    pub truong_du_lieu: BTreeMap<String, String>,
    /// Tệp đính kèm.
    #[serde(default)]
    pub tep: Vec<TepNop>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FeedQuery {
    #[serde(default)]
    pub(super) sau: u64,
    #[serde(rename = "soLuong")]
    pub(super) so_luong: Option<usize>,
}

pub(super) fn bad_request(detail: String) -> Response {
    problem(StatusCode::BAD_REQUEST, "Yêu cầu không hợp lệ", detail)
}

pub(super) fn unknown(ma: &str) -> Response {
    problem(StatusCode::NOT_FOUND, "Không tìm thấy", format!("Không có hồ sơ “{}”.", escape(ma)))
}

fn status_of(s: &Sandbox, ma: &str) -> Option<TrangThaiHoSo> {
    let held = s.portal.0.lock().ok()?;
    held.iter().find(|h| h.filed.ma_ho_so == ma).map(|h| TrangThaiHoSo {
        moi_truong_thu_nghiem: true,
        ma_ho_so: h.filed.ma_ho_so.clone(),
        lich_su: h.reports.clone(),
    })
}

/// Files sent with a filing or a request: their contents and how the portal lists them.
pub(super) fn decode(tep: Vec<TepNop>) -> Result<(Vec<Vec<u8>>, Vec<TepDinhKem>), String> {
    let mut files = Vec::new();
    let mut listed = Vec::new();
    for (i, t) in tep.into_iter().enumerate() {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(t.noi_dung.as_bytes())
        else {
            return Err(format!("Tệp {i}: nội dung không phải base64."));
        };
        listed.push(TepDinhKem {
            thanh_phan: t.thanh_phan,
            ten_tep: t.ten_tep,
            loai: t.loai,
            sha256: hex::encode(Sha256::digest(&bytes)),
        });
        files.push(bytes);
    }
    Ok((files, listed))
}

/// Nộp hồ sơ (chỉ có ở môi trường thử nghiệm).
#[utoipa::path(
    post,
    path = "/ho-so",
    operation_id = "nopHoSo",
    request_body = NopHoSo,
    responses(
        (status = 201, description = "Hồ sơ đã nộp", body = HoSoDvc),
        (status = 400, description = "Hồ sơ không hợp lệ", body = crate::wire::Loi)
    )
)]
pub(crate) async fn file(State(s): State<Sandbox>, Json(n): Json<NopHoSo>) -> Response {
    if n.nguoi_nop.ho_ten.trim().is_empty() {
        return bad_request("Thiếu họ tên người nộp.".into());
    }
    if n.tep.len() > MAX_FILES || !valid_code(&n.ma_co_quan) {
        return bad_request(format!("Mã cơ quan không hợp lệ hoặc quá {MAX_FILES} tệp."));
    }
    let (files, listed) = match decode(n.tep) {
        Ok(f) => f,
        Err(why) => return bad_request(why),
    };
    let now = s.clock.now();
    let Ok(mut held) = s.portal.0.lock() else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "Lỗi", "Hộp cát hỏng.".into());
    };
    let stt = held.len() as u64 + 1;
    let filed = HoSoDvc {
        stt,
        ma_ho_so: format!("DVCQG-{}-{stt:05}", now.format("%y%m%d")),
        ma_thu_tuc: n.ma_thu_tuc,
        ma_co_quan: n.ma_co_quan,
        nguoi_nop: n.nguoi_nop,
        truong_du_lieu: n.truong_du_lieu,
        tep_dinh_kem: listed,
        ngay_nop: now,
    };
    held.push(Held { filed: filed.clone(), files, reports: Vec::new() });
    (StatusCode::CREATED, Json(filed)).into_response()
}

/// Hồ sơ nộp cho tỉnh, sau số thứ tự `sau`.
#[utoipa::path(
    get,
    path = "/ho-so",
    operation_id = "danhSachHoSo",
    params(
        ("sau" = Option<u64>, Query, description = "Số thứ tự cuối cùng đã nhận"),
        ("soLuong" = Option<usize>, Query, description = "Số hồ sơ tối đa (100)")
    ),
    responses((status = 200, description = "Các hồ sơ, cũ trước", body = TraLoiDanhSachHoSo))
)]
pub(crate) async fn feed(State(s): State<Sandbox>, Query(q): Query<FeedQuery>) -> Response {
    let limit = q.so_luong.unwrap_or(PAGE).clamp(1, PAGE);
    let ho_so: Vec<HoSoDvc> = s
        .portal
        .0
        .lock()
        .map(|held| {
            held.iter()
                .filter(|h| h.filed.stt > q.sau)
                .take(limit)
                .map(|h| h.filed.clone())
                .collect()
        })
        .unwrap_or_default();
    Json(TraLoiDanhSachHoSo { moi_truong_thu_nghiem: true, thoi_diem: s.clock.now(), ho_so })
        .into_response()
}

/// Trạng thái hồ sơ trên Cổng.
#[utoipa::path(
    get,
    path = "/ho-so/{maHoSo}",
    operation_id = "trangThaiHoSo",
    params(("maHoSo" = String, Path, description = "Mã hồ sơ")),
    responses(
        (status = 200, description = "Các lần cập nhật trạng thái", body = TrangThaiHoSo),
        (status = 404, description = "Không có hồ sơ này", body = crate::wire::Loi)
    )
)]
pub(crate) async fn status(State(s): State<Sandbox>, Path(ma): Path<String>) -> Response {
    match status_of(&s, &ma) {
        Some(t) => Json(t).into_response(),
        None => unknown(&ma),
    }
}

/// Một tệp của hồ sơ.
#[utoipa::path(
    get,
    path = "/ho-so/{maHoSo}/tep/{thuTu}",
    operation_id = "tepHoSo",
    params(
        ("maHoSo" = String, Path, description = "Mã hồ sơ"),
        ("thuTu" = usize, Path, description = "Thứ tự tệp trong hồ sơ, từ 0")
    ),
    responses(
        (status = 200, description = "Nội dung tệp", content_type = "application/octet-stream"),
        (status = 404, description = "Không có tệp này", body = crate::wire::Loi)
    )
)]
pub(crate) async fn attachment(
    State(s): State<Sandbox>,
    Path((ma, i)): Path<(String, usize)>,
) -> Response {
    let found = s.portal.0.lock().ok().and_then(|held| {
        let h = held.iter().find(|h| h.filed.ma_ho_so == ma)?;
        Some((h.filed.tep_dinh_kem.get(i)?.loai.clone(), h.files.get(i)?.clone()))
    });
    file_answer(found, &format!("{ma}/tep/{i}"))
}

/// A held file as the sandbox serves it (its declared type when that is ASCII), or not found.
pub(super) fn file_answer(found: Option<(String, Vec<u8>)>, what: &str) -> Response {
    match found {
        Some((media_type, bytes)) => {
            let media_type =
                if media_type.is_ascii() { media_type } else { "application/octet-stream".into() };
            ([(header::CONTENT_TYPE, media_type)], bytes).into_response()
        }
        None => unknown(what),
    }
}

/// Cập nhật trạng thái hồ sơ (tỉnh gửi). Gửi lại đúng bản cập nhật đã nhận không thêm gì.
#[utoipa::path(
    post,
    path = "/ho-so/{maHoSo}/trang-thai",
    operation_id = "capNhatTrangThai",
    params(("maHoSo" = String, Path, description = "Mã hồ sơ")),
    request_body = CapNhatTrangThai,
    responses(
        (status = 200, description = "Đã ghi nhận; các lần cập nhật", body = TrangThaiHoSo),
        (status = 400, description = "Cập nhật không hợp lệ", body = crate::wire::Loi),
        (status = 404, description = "Không có hồ sơ này", body = crate::wire::Loi)
    )
)]
pub(crate) async fn report(
    State(s): State<Sandbox>,
    Path(ma): Path<String>,
    Json(c): Json<CapNhatTrangThai>,
) -> Response {
    let needs_note = matches!(c.trang_thai, PortalStatus::Refused | PortalStatus::Supplement);
    if needs_note && c.ghi_chu.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return bad_request("Từ chối hoặc yêu cầu bổ sung phải có ghi chú cho người nộp.".into());
    }
    let needs_date = matches!(c.trang_thai, PortalStatus::Received | PortalStatus::LateApology);
    if needs_date && c.han_tra_ket_qua.is_none() {
        return bad_request("Tiếp nhận hoặc hẹn lại phải có ngày hẹn trả kết quả.".into());
    }
    {
        let Ok(mut held) = s.portal.0.lock() else {
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "Lỗi", "Hộp cát hỏng.".into());
        };
        let Some(h) = held.iter_mut().find(|h| h.filed.ma_ho_so == ma) else {
            return unknown(&ma);
        };
        if !h.reports.contains(&c) {
            h.reports.push(c);
        }
    }
    status(State(s), Path(ma)).await
}

/// The dossiers filed on the sandbox and what the province reported.
pub(crate) async fn view(State(s): State<Sandbox>) -> Html<String> {
    let mut rows = String::new();
    if let Ok(held) = s.portal.0.lock() {
        for h in held.iter().rev().take(200) {
            let history: Vec<String> = h
                .reports
                .iter()
                .map(|c| {
                    let at = cqdt_platform::clock::to_vn(c.thoi_diem).format("%H:%M %d/%m/%Y");
                    let note = c
                        .ghi_chu
                        .as_deref()
                        .map(|n| format!(": {}", escape(n)))
                        .unwrap_or_default();
                    format!("<li>{at} — {}{note}</li>", c.trang_thai.label())
                })
                .collect();
            let local =
                h.reports.iter().rev().find_map(|c| c.ma_ho_so_tinh.clone()).unwrap_or_default();
            rows += &format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><ul>{}</ul></td></tr>",
                escape(&h.filed.ma_ho_so),
                cqdt_platform::clock::to_vn(h.filed.ngay_nop).format("%H:%M %d/%m/%Y"),
                escape(&h.filed.nguoi_nop.ho_ten),
                escape(&h.filed.ma_thu_tuc),
                escape(&local),
                if history.is_empty() { "<li>Tỉnh chưa cập nhật</li>".to_string() } else { history.concat() },
            );
        }
    }
    let body = format!(
        "<p>Hồ sơ nộp trên Cổng (thử nghiệm) cho tỉnh, và các trạng thái hệ thống một cửa của tỉnh đã \
cập nhật. Nộp hồ sơ thử: <code>POST {PORTAL_BASE}/ho-so</code> (<a href=\"{PORTAL_BASE}/openapi.json\">tài \
liệu OpenAPI</a>).</p><div class=\"wrap\"><table><thead><tr><th scope=\"col\">Mã hồ sơ</th>\
<th scope=\"col\">Nộp lúc</th><th scope=\"col\">Người nộp</th><th scope=\"col\">Thủ tục</th>\
<th scope=\"col\">Mã hồ sơ của tỉnh</th><th scope=\"col\">Trạng thái tỉnh cập nhật</th></tr></thead>\
<tbody>{rows}</tbody></table></div>"
    );
    page("Cổng Dịch vụ công quốc gia — môi trường thử nghiệm", &body)
}
