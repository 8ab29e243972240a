//! The JSON the national systems speak, in their own Vietnamese field names: what the sandbox
//! serves and the clients read. Kept apart from the domain types so that a change of the
//! national format touches this file and the mapping only.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A citizen record of the population database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CongDan {
    /// Số định danh cá nhân, 12 digits.
    pub so_dinh_danh: String,
    /// Họ, chữ đệm và tên khai sinh.
    pub ho_va_ten: String,
    /// Ngày sinh, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub ngay_sinh: NaiveDate,
    /// Giới tính: `Nam` or `Nữ`.
    pub gioi_tinh: String,
    /// Quốc tịch.
    pub quoc_tich: String,
    /// Dân tộc.
    pub dan_toc: String,
    /// Nơi đăng ký khai sinh.
    pub noi_dang_ky_khai_sinh: String,
    /// Nơi thường trú.
    pub noi_thuong_tru: String,
    /// Nơi ở hiện tại.
    pub noi_o_hien_tai: String,
}

/// A legal representative of an enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NguoiDaiDien {
    /// Họ và tên.
    pub ho_va_ten: String,
    /// Chức danh.
    pub chuc_danh: String,
}

/// An enterprise record of the business registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DoanhNghiep {
    /// Mã số doanh nghiệp (= mã số thuế).
    pub ma_so_doanh_nghiep: String,
    /// Tên doanh nghiệp bằng tiếng Việt.
    pub ten_doanh_nghiep: String,
    /// Loại hình doanh nghiệp.
    pub loai_hinh: String,
    /// Tình trạng pháp lý.
    pub tinh_trang: String,
    /// Ngày đăng ký lần đầu, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub ngay_thanh_lap: NaiveDate,
    /// Địa chỉ trụ sở chính.
    pub dia_chi_tru_so: String,
    /// Người đại diện theo pháp luật.
    pub nguoi_dai_dien: NguoiDaiDien,
    /// Ngành, nghề kinh doanh chính.
    pub nganh_nghe_chinh: String,
}

/// The answer to a citizen lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TraLoiCongDan {
    /// True when the answer comes from a sandbox, not the national system.
    pub moi_truong_thu_nghiem: bool,
    /// When the system answered.
    #[schema(value_type = String, format = DateTime)]
    pub thoi_diem: DateTime<Utc>,
    /// The purpose the system recorded for this read.
    pub muc_dich: String,
    /// The record.
    pub cong_dan: CongDan,
}

/// The answer to an enterprise lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TraLoiDoanhNghiep {
    /// True when the answer comes from a sandbox, not the national system.
    pub moi_truong_thu_nghiem: bool,
    /// When the system answered.
    #[schema(value_type = String, format = DateTime)]
    pub thoi_diem: DateTime<Utc>,
    /// The record.
    pub doanh_nghiep: DoanhNghiep,
}

/// An error answer (RFC 9457 problem details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Loi {
    /// What kind of problem, in words.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    #[serde(default)]
    pub detail: Option<String>,
}
