//! What an applicant asks on the national portal about a dossier the province took: a
//! supplement (the files and note answering the province's request) or a withdrawal. The
//! portal keeps them in a feed of their own, in order; the province reads it as it reads the
//! filed dossiers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{valid_code, PortalFile, TepDinhKem, MAX_FILES, PORTAL};
use crate::client::unavailable;
use crate::model::{NationalError, Source};

/// What the applicant asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum RequestKind {
    /// Supplies what the province asked for.
    #[serde(rename = "bo-sung")]
    Supplement,
    /// Withdraws the dossier.
    #[serde(rename = "rut")]
    Withdrawal,
}

impl RequestKind {
    /// In people's words.
    pub fn label(self) -> &'static str {
        match self {
            RequestKind::Supplement => "bổ sung hồ sơ",
            RequestKind::Withdrawal => "rút hồ sơ",
        }
    }
}

/// An applicant's request about a dossier, as the portal sends it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicantRequest {
    /// Its place in the portal's feed of requests (increasing).
    pub seq: u64,
    /// The portal's dossier code.
    pub code: String,
    /// What is asked.
    pub kind: RequestKind,
    /// The applicant's note (a withdrawal's reason).
    pub note: String,
    /// The files (a supplement's), fetched with [`super::PublicServicePortal::request_file`].
    pub files: Vec<PortalFile>,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// Which system answered, and whether a sandbox.
    pub source: Source,
}

/// Yêu cầu của người nộp về một hồ sơ.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct YeuCau {
    /// Số thứ tự trong luồng yêu cầu của tỉnh.
    pub stt: u64,
    /// Mã hồ sơ trên Cổng.
    pub ma_ho_so: String,
    /// Loại yêu cầu.
    pub loai: RequestKind,
    /// Ghi chú (lý do rút).
    pub ghi_chu: String,
    /// Tệp đính kèm.
    pub tep_dinh_kem: Vec<TepDinhKem>,
    /// Thời điểm.
    #[schema(value_type = String, format = DateTime)]
    pub thoi_diem: DateTime<Utc>,
}

/// Danh sách yêu cầu.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TraLoiDanhSachYeuCau {
    /// Đây là môi trường thử nghiệm.
    pub moi_truong_thu_nghiem: bool,
    /// Thời điểm trả lời.
    #[schema(value_type = String, format = DateTime)]
    pub thoi_diem: DateTime<Utc>,
    /// Các yêu cầu.
    pub yeu_cau: Vec<YeuCau>,
}

/// A request as the portal sent it, checked: its dossier code and its files.
pub fn read_request(y: YeuCau, source: &Source) -> Result<ApplicantRequest, NationalError> {
    if !valid_code(&y.ma_ho_so) {
        return Err(unavailable(PORTAL, format!("yêu cầu số {}: mã hồ sơ không hợp lệ", y.stt)));
    }
    if y.tep_dinh_kem.len() > MAX_FILES {
        return Err(unavailable(PORTAL, format!("yêu cầu số {}: quá {MAX_FILES} tệp", y.stt)));
    }
    let files = super::read_files(y.tep_dinh_kem)
        .map_err(|why| unavailable(PORTAL, format!("yêu cầu số {}: {why}", y.stt)))?;
    Ok(ApplicantRequest {
        seq: y.stt,
        code: y.ma_ho_so,
        kind: y.loai,
        note: y.ghi_chu.trim().chars().take(1000).collect(),
        files,
        at: y.thoi_diem,
        source: source.clone(),
    })
}
