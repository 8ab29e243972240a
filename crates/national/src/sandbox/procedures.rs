//! SANDBOX: a stand-in for the national procedure database, holding the procedures whose
//! national codes the demo catalog could check against public sources (the seed's
//! `code_verified`), with their names as published. A code it does not hold is "not found" —
//! which, for the demo catalog's unchecked codes, is the point: the sync flags them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{problem, Sandbox};
use crate::procedures::{NationalCode, ThuTuc, TraLoiThuTuc};

/// Where the procedure database's service lives on the sandbox.
pub const PROCEDURES_BASE: &str = "/csdl-tthc/v1";

/// (code, name)
const PROCEDURES: [(&str, &str); 15] = [
    ("1.001193", "Thủ tục đăng ký khai sinh"),
    ("1.000894", "Thủ tục đăng ký kết hôn"),
    ("1.000656", "Thủ tục đăng ký khai tử"),
    ("1.001022", "Thủ tục đăng ký nhận cha, mẹ, con"),
    ("1.004859", "Thủ tục thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc"),
    ("1.004873", "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân"),
    ("2.000806", "Thủ tục đăng ký kết hôn có yếu tố nước ngoài"),
    ("2.000815", "Thủ tục chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền của Việt Nam cấp hoặc chứng nhận"),
    ("2.000884", "Thủ tục chứng thực chữ ký trong các giấy tờ, văn bản (áp dụng cho cả trường hợp chứng thực điểm chỉ và trường hợp người yêu cầu chứng thực không thể ký, không thể điểm chỉ được)"),
    ("2.001263", "Thủ tục đăng ký việc nuôi con nuôi trong nước"),
    ("1.001776", "Thủ tục thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng, hỗ trợ kinh phí chăm sóc, nuôi dưỡng hằng tháng"),
    ("1.001731", "Thủ tục hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội"),
    ("1.004222", "Thủ tục đăng ký thường trú"),
    ("1.004837", "Thủ tục đăng ký giám hộ"),
    ("2.000635", "Thủ tục cấp bản sao trích lục hộ tịch"),
];

/// Tra cứu thủ tục hành chính theo mã.
#[utoipa::path(
    get,
    path = "/thu-tuc/{maThuTuc}",
    operation_id = "traCuuThuTuc",
    params(("maThuTuc" = String, Path, description = "Mã thủ tục quốc gia, ví dụ 1.001193")),
    responses(
        (status = 200, description = "Thủ tục", body = TraLoiThuTuc),
        (status = 400, description = "Mã không hợp lệ", body = crate::wire::Loi),
        (status = 404, description = "Không có thủ tục mang mã này", body = crate::wire::Loi)
    )
)]
pub(crate) async fn procedure(State(s): State<Sandbox>, Path(ma): Path<String>) -> Response {
    let code = match NationalCode::parse(&ma) {
        Ok(c) => c,
        Err(e) => return problem(StatusCode::BAD_REQUEST, "Mã không hợp lệ", e),
    };
    match PROCEDURES.iter().find(|(c, _)| *c == code.as_str()) {
        Some((c, name)) => Json(TraLoiThuTuc {
            moi_truong_thu_nghiem: true,
            thoi_diem: s.clock.now(),
            thu_tuc: ThuTuc {
                ma_thu_tuc: (*c).into(),
                ten_thu_tuc: (*name).into(),
                quyet_dinh_cong_bo: None,
                tinh_trang: "con-hieu-luc".into(),
                ngay_cap_nhat: None,
                duong_dan: None,
            },
        })
        .into_response(),
        None => problem(
            StatusCode::NOT_FOUND,
            "Không tìm thấy",
            format!("Không có thủ tục mang mã {} (môi trường thử nghiệm).", code.as_str()),
        ),
    }
}
