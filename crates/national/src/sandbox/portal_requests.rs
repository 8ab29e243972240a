//! SANDBOX: the national portal's feed of applicants' requests (supplements, withdrawals)
//! about the dossiers the province took. A tester makes one with `POST …/ho-so/{code}/yeu-cau`
//! (the citizen's side); the province reads `…/yeu-cau` and each file.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::portal::{
    bad_request, decode, file_answer, unknown, FeedQuery, HeldRequest, TepNop, PAGE,
};
use super::{problem, Sandbox};
use crate::portal::{RequestKind, TraLoiDanhSachYeuCau, YeuCau, MAX_FILES};

/// A request (the citizen's side of the portal, sandbox only).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuiYeuCau {
    /// Loại yêu cầu.
    pub loai: RequestKind,
    /// Ghi chú (lý do rút).
    #[serde(default)]
    pub ghi_chu: String,
    /// Tệp đính kèm (bổ sung).
    #[serde(default)]
    pub tep: Vec<TepNop>,
}

/// Gửi yêu cầu về một hồ sơ (chỉ có ở môi trường thử nghiệm).
#[utoipa::path(
    post,
    path = "/ho-so/{maHoSo}/yeu-cau",
    operation_id = "guiYeuCau",
    params(("maHoSo" = String, Path, description = "Mã hồ sơ")),
    request_body = GuiYeuCau,
    responses(
        (status = 201, description = "Yêu cầu đã gửi", body = YeuCau),
        (status = 400, description = "Yêu cầu không hợp lệ", body = crate::wire::Loi),
        (status = 404, description = "Không có hồ sơ này", body = crate::wire::Loi)
    )
)]
pub(crate) async fn make(
    State(s): State<Sandbox>,
    Path(ma): Path<String>,
    Json(g): Json<GuiYeuCau>,
) -> Response {
    if !s.portal.has(&ma) {
        return unknown(&ma);
    }
    if g.tep.len() > MAX_FILES {
        return bad_request(format!("Quá {MAX_FILES} tệp."));
    }
    if g.loai == RequestKind::Withdrawal && g.ghi_chu.trim().is_empty() {
        return bad_request("Rút hồ sơ phải nêu lý do.".into());
    }
    let (files, listed) = match decode(g.tep) {
        Ok(f) => f,
        Err(why) => return bad_request(why),
    };
    let Ok(mut held) = s.portal.1.lock() else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "Lỗi", "Hộp cát hỏng.".into());
    };
    let request = YeuCau {
        stt: held.len() as u64 + 1,
        ma_ho_so: ma,
        loai: g.loai,
        ghi_chu: g.ghi_chu,
        tep_dinh_kem: listed,
        thoi_diem: s.clock.now(),
    };
    held.push(HeldRequest { request: request.clone(), files });
    (StatusCode::CREATED, Json(request)).into_response()
}

/// Yêu cầu của người nộp, sau số thứ tự `sau`.
#[utoipa::path(
    get,
    path = "/yeu-cau",
    operation_id = "danhSachYeuCau",
    params(
        ("sau" = Option<u64>, Query, description = "Số thứ tự cuối cùng đã nhận"),
        ("soLuong" = Option<usize>, Query, description = "Số yêu cầu tối đa (100)")
    ),
    responses((status = 200, description = "Các yêu cầu, cũ trước", body = TraLoiDanhSachYeuCau))
)]
pub(crate) async fn feed(State(s): State<Sandbox>, Query(q): Query<FeedQuery>) -> Response {
    let limit = q.so_luong.unwrap_or(PAGE).clamp(1, PAGE);
    let yeu_cau: Vec<YeuCau> = s
        .portal
        .1
        .lock()
        .map(|held| {
            let after = held.iter().filter(|h| h.request.stt > q.sau).take(limit);
            after.map(|h| h.request.clone()).collect()
        })
        .unwrap_or_default();
    Json(TraLoiDanhSachYeuCau { moi_truong_thu_nghiem: true, thoi_diem: s.clock.now(), yeu_cau })
        .into_response()
}

/// Một tệp của yêu cầu.
#[utoipa::path(
    get,
    path = "/yeu-cau/{stt}/tep/{thuTu}",
    operation_id = "tepYeuCau",
    params(
        ("stt" = u64, Path, description = "Số thứ tự của yêu cầu"),
        ("thuTu" = usize, Path, description = "Thứ tự tệp, từ 0")
    ),
    responses(
        (status = 200, description = "Nội dung tệp", content_type = "application/octet-stream"),
        (status = 404, description = "Không có tệp này", body = crate::wire::Loi)
    )
)]
pub(crate) async fn attachment(
    State(s): State<Sandbox>,
    Path((stt, i)): Path<(u64, usize)>,
) -> Response {
    let found = s.portal.1.lock().ok().and_then(|held| {
        let h = held.iter().find(|h| h.request.stt == stt)?;
        Some((h.request.tep_dinh_kem.get(i)?.loai.clone(), h.files.get(i)?.clone()))
    });
    file_answer(found, &format!("yeu-cau/{stt}/tep/{i}"))
}
