//! SANDBOX: a stand-in for the national legal documents database, for the documents the demo
//! procedures cite most (laws, decrees and circulars on civil status, marriage, enterprises,
//! construction, fees and electronic procedures). Their numbers, titles and dates are those
//! published; the sandbox is still not the database: its answers say so, and a document it
//! does not hold is "not found", which the real database would not say of these laws.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{escape, page, problem, Sandbox};
use crate::legal::{DocumentNumber, TraLoiVanBan, VanBan};
use crate::wire::Loi;

/// Where the legal documents service lives on the sandbox.
pub const LEGAL_BASE: &str = "/van-ban-phap-luat/v1";

/// (number, kind, title, issuer, signed, effective, validity, replaced by)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    (i32, u32, u32),
    Option<(i32, u32, u32)>,
    &'static str,
    Option<&'static str>,
);

const DOCUMENTS: [Row; 12] = [
    ("60/2014/QH13", "Luật", "Luật Hộ tịch", "Quốc hội", (2014, 11, 20), Some((2016, 1, 1)), "con-hieu-luc", None),
    ("52/2014/QH13", "Luật", "Luật Hôn nhân và gia đình", "Quốc hội", (2014, 6, 19), Some((2015, 1, 1)), "con-hieu-luc", None),
    ("123/2015/NĐ-CP", "Nghị định", "Quy định chi tiết một số điều và biện pháp thi hành Luật Hộ tịch", "Chính phủ", (2015, 11, 15), Some((2016, 1, 1)), "con-hieu-luc", None),
    ("04/2020/TT-BTP", "Thông tư", "Quy định chi tiết thi hành một số điều của Luật Hộ tịch và Nghị định số 123/2015/NĐ-CP", "Bộ Tư pháp", (2020, 5, 28), Some((2020, 7, 16)), "con-hieu-luc", None),
    ("85/2019/TT-BTC", "Thông tư", "Hướng dẫn về phí và lệ phí thuộc thẩm quyền quyết định của Hội đồng nhân dân tỉnh, thành phố trực thuộc trung ương", "Bộ Tài chính", (2019, 11, 29), Some((2020, 1, 1)), "con-hieu-luc", None),
    ("59/2020/QH14", "Luật", "Luật Doanh nghiệp", "Quốc hội", (2020, 6, 17), Some((2021, 1, 1)), "con-hieu-luc", None),
    ("01/2021/NĐ-CP", "Nghị định", "Về đăng ký doanh nghiệp", "Chính phủ", (2021, 1, 4), Some((2021, 1, 4)), "het-hieu-luc", Some("168/2025/NĐ-CP")),
    ("168/2025/NĐ-CP", "Nghị định", "Về đăng ký doanh nghiệp", "Chính phủ", (2025, 6, 30), Some((2025, 7, 1)), "con-hieu-luc", None),
    ("45/2020/NĐ-CP", "Nghị định", "Về thực hiện thủ tục hành chính trên môi trường điện tử", "Chính phủ", (2020, 4, 8), Some((2020, 5, 22)), "con-hieu-luc", None),
    ("50/2014/QH13", "Luật", "Luật Xây dựng", "Quốc hội", (2014, 6, 18), Some((2015, 1, 1)), "het-hieu-luc-mot-phan", None),
    ("62/2020/QH14", "Luật", "Luật sửa đổi, bổ sung một số điều của Luật Xây dựng", "Quốc hội", (2020, 6, 17), Some((2021, 1, 1)), "con-hieu-luc", None),
    ("20/2020/QĐ-TTg", "Quyết định", "Về mã định danh điện tử của các cơ quan, tổ chức phục vụ kết nối, chia sẻ dữ liệu với các bộ, ngành, địa phương", "Thủ tướng Chính phủ", (2020, 7, 22), None, "con-hieu-luc", None),
];

fn date((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The sandbox's documents, with their page on the sandbox at `origin`.
pub fn documents(origin: &str) -> Vec<VanBan> {
    DOCUMENTS
        .iter()
        .map(|(number, kind, title, issuer, signed, effective, validity, replaced)| VanBan {
            so_ky_hieu: (*number).into(),
            loai_van_ban: (*kind).into(),
            trich_yeu: (*title).into(),
            co_quan_ban_hanh: (*issuer).into(),
            ngay_ban_hanh: date(*signed),
            ngay_co_hieu_luc: effective.map(date),
            tinh_trang_hieu_luc: (*validity).into(),
            van_ban_thay_the: replaced.map(str::to_string),
            duong_dan: Some(format!(
                "{origin}{LEGAL_BASE}/xem?soKyHieu={}",
                form_urlencoded::byte_serialize(number.as_bytes()).collect::<String>()
            )),
        })
        .collect()
}

/// The address the caller reached the sandbox at, for the links it gives.
fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:9400");
    format!("http://{host}")
}

#[derive(Deserialize)]
pub(super) struct NumberQuery {
    #[serde(rename = "soKyHieu")]
    so_ky_hieu: Option<String>,
}

/// Tra cứu văn bản quy phạm pháp luật theo số, ký hiệu.
#[utoipa::path(
    get,
    path = "/van-ban",
    operation_id = "traCuuVanBan",
    params(("soKyHieu" = String, Query, description = "Số, ký hiệu văn bản, ví dụ 123/2015/NĐ-CP")),
    responses(
        (status = 200, description = "Văn bản và tình trạng hiệu lực", body = TraLoiVanBan),
        (status = 400, description = "Số, ký hiệu không hợp lệ", body = Loi),
        (status = 404, description = "Không có văn bản mang số, ký hiệu này", body = Loi)
    )
)]
pub(super) async fn document(
    State(s): State<Sandbox>,
    Query(q): Query<NumberQuery>,
    headers: HeaderMap,
) -> Response {
    let asked = q.so_ky_hieu.unwrap_or_default();
    let (status, res) = match DocumentNumber::parse(&asked) {
        Err(e) => (
            StatusCode::BAD_REQUEST,
            problem(StatusCode::BAD_REQUEST, "Số, ký hiệu không hợp lệ", e),
        ),
        Ok(n) => {
            match documents(&origin(&headers)).into_iter().find(|d| d.so_ky_hieu == n.as_str()) {
                Some(v) => {
                    let answer = TraLoiVanBan {
                        moi_truong_thu_nghiem: true,
                        thoi_diem: s.clock.now(),
                        van_ban: v,
                    };
                    (StatusCode::OK, Json(answer).into_response())
                }
                None => (
                    StatusCode::NOT_FOUND,
                    problem(
                        StatusCode::NOT_FOUND,
                        "Không tìm thấy",
                        "Môi trường thử nghiệm không có văn bản mang số, ký hiệu này.".into(),
                    ),
                ),
            }
        }
    };
    s.note("van-ban-phap-luat", &asked, None, &headers, status);
    res
}

/// A document's page, as the database shows it to people.
pub(super) async fn document_page(Query(q): Query<NumberQuery>, headers: HeaderMap) -> Response {
    let asked = q.so_ky_hieu.unwrap_or_default();
    let Some(v) = documents(&origin(&headers)).into_iter().find(|d| d.so_ky_hieu == asked) else {
        return (
            StatusCode::NOT_FOUND,
            page("Không tìm thấy văn bản", "<p>Môi trường thử nghiệm không có văn bản này.</p>"),
        )
            .into_response();
    };
    let validity = crate::legal::Validity::parse(&v.tinh_trang_hieu_luc)
        .map(|x| x.label())
        .unwrap_or("Không rõ");
    let body = format!(
        "<dl><dt>Số, ký hiệu</dt><dd>{}</dd><dt>Loại văn bản</dt><dd>{}</dd><dt>Cơ quan ban hành</dt><dd>{}</dd>\
<dt>Ngày ban hành</dt><dd>{}</dd><dt>Ngày có hiệu lực</dt><dd>{}</dd><dt>Tình trạng hiệu lực</dt><dd>{validity}{}</dd></dl>",
        escape(&v.so_ky_hieu),
        escape(&v.loai_van_ban),
        escape(&v.co_quan_ban_hanh),
        v.ngay_ban_hanh.format("%d/%m/%Y"),
        v.ngay_co_hieu_luc.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_else(|| "Chưa ghi".into()),
        v.van_ban_thay_the.map(|r| format!(" (thay bằng {})", escape(&r))).unwrap_or_default(),
    );
    page(&format!("{} {}", escape(&v.loai_van_ban), escape(&v.trich_yeu)), &body).into_response()
}
