//! The national public service portal (Cổng Dịch vụ công quốc gia). Since 2025-07-01 the
//! provincial portals are folded into it, so it is the province's main channel: citizens file
//! there, the province's one-stop system takes each dossier filed for one of its agencies
//! (with its attachments) and reports every change of status back, so that the citizen follows
//! the dossier where they filed it. The trait [`PublicServicePortal`], its HTTP client
//! [`HttpPortal`] and the format it speaks ([`HoSoDvc`], [`CapNhatTrangThai`]).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use cqdt_platform::PersonalId;
use serde::{Deserialize, Serialize};

use crate::client::{unavailable, Connection};

mod requests;
use crate::model::{NationalError, Source};
use crate::BoxFuture;
pub use requests::{read_request, ApplicantRequest, RequestKind, TraLoiDanhSachYeuCau, YeuCau};

/// The system's name, in messages.
pub const PORTAL: &str = "Cổng Dịch vụ công quốc gia";
/// The most files a dossier may carry.
pub const MAX_FILES: usize = 30;
/// The largest file taken from the portal.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// Where a dossier stands, in the words the national portal shows the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum PortalStatus {
    /// Taken by the province, waiting for reception.
    #[serde(rename = "cho-tiep-nhan")]
    Waiting,
    /// Received, with an appointment date.
    #[serde(rename = "da-tiep-nhan")]
    Received,
    /// The applicant must supplement it.
    #[serde(rename = "yeu-cau-bo-sung")]
    Supplement,
    /// Being processed.
    #[serde(rename = "dang-xu-ly")]
    Processing,
    /// Will be late; the agency apologised and set a new date.
    #[serde(rename = "tre-han-xin-loi")]
    LateApology,
    /// The result is ready.
    #[serde(rename = "co-ket-qua")]
    ResultReady,
    /// The result was returned.
    #[serde(rename = "da-tra-ket-qua")]
    Returned,
    /// Refused (at reception or in processing), with the reason.
    #[serde(rename = "tu-choi")]
    Refused,
    /// Withdrawn by the applicant.
    #[serde(rename = "da-rut")]
    Withdrawn,
}

impl PortalStatus {
    /// Every status.
    pub const ALL: [PortalStatus; 9] = [
        PortalStatus::Waiting,
        PortalStatus::Received,
        PortalStatus::Supplement,
        PortalStatus::Processing,
        PortalStatus::LateApology,
        PortalStatus::ResultReady,
        PortalStatus::Returned,
        PortalStatus::Refused,
        PortalStatus::Withdrawn,
    ];

    /// As sent.
    pub fn as_str(self) -> &'static str {
        match self {
            PortalStatus::Waiting => "cho-tiep-nhan",
            PortalStatus::Received => "da-tiep-nhan",
            PortalStatus::Supplement => "yeu-cau-bo-sung",
            PortalStatus::Processing => "dang-xu-ly",
            PortalStatus::LateApology => "tre-han-xin-loi",
            PortalStatus::ResultReady => "co-ket-qua",
            PortalStatus::Returned => "da-tra-ket-qua",
            PortalStatus::Refused => "tu-choi",
            PortalStatus::Withdrawn => "da-rut",
        }
    }

    /// Parses a sent or stored status.
    pub fn parse(s: &str) -> Option<PortalStatus> {
        PortalStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// In people's words.
    pub fn label(self) -> &'static str {
        match self {
            PortalStatus::Waiting => "Chờ tiếp nhận",
            PortalStatus::Received => "Đã tiếp nhận",
            PortalStatus::Supplement => "Yêu cầu bổ sung",
            PortalStatus::Processing => "Đang xử lý",
            PortalStatus::LateApology => "Trễ hạn, đã xin lỗi và hẹn lại",
            PortalStatus::ResultReady => "Có kết quả",
            PortalStatus::Returned => "Đã trả kết quả",
            PortalStatus::Refused => "Từ chối",
            PortalStatus::Withdrawn => "Đã rút",
        }
    }
}

/// Who filed a dossier on the national portal (signed in there with VNeID).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalApplicant {
    /// Full name.
    pub name: String,
    /// Personal ID, for a citizen.
    pub personal_id: Option<PersonalId>,
    /// Phone, as given.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Contact address.
    pub address: Option<String>,
}

/// A file of a filed dossier; its bytes come from [`PublicServicePortal::file`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalFile {
    /// Its place in the dossier's list (what [`PublicServicePortal::file`] asks by).
    pub index: usize,
    /// The procedure's component it is for (0-based, as the national procedure database
    /// lists the components).
    pub component: usize,
    /// Name as uploaded.
    pub name: String,
    /// Media type as declared (the content decides when it is taken).
    pub media_type: String,
    /// Hex SHA-256 of the content, as the portal computed it.
    pub sha256: String,
}

/// A dossier filed on the national portal for one of the province's agencies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FiledDossier {
    /// Its place in the portal's feed for the province (increasing).
    pub seq: u64,
    /// The portal's dossier code.
    pub code: String,
    /// The procedure's national code (`1.001193`).
    pub procedure: String,
    /// The receiving agency's code (QĐ 20/2020).
    pub agency: String,
    /// Who filed it.
    pub applicant: PortalApplicant,
    /// The e-form's values by field key.
    pub form: BTreeMap<String, String>,
    /// The attached files.
    pub files: Vec<PortalFile>,
    /// When it was filed.
    pub filed_at: DateTime<Utc>,
    /// Which system answered, and whether a sandbox.
    pub source: Source,
}

/// A change of status the province reports to the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    /// The portal's dossier code.
    pub code: String,
    /// The province's dossier code, once it has one.
    pub local_code: Option<String>,
    /// The new status.
    pub status: PortalStatus,
    /// When it changed.
    pub at: DateTime<Utc>,
    /// The appointment date, where one is set.
    pub due_date: Option<NaiveDate>,
    /// What the citizen reads with it (a refusal's reason, what to supplement…).
    pub note: Option<String>,
}

/// What the portal shows for a dossier: its last reported status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalRecord {
    /// The portal's dossier code.
    pub code: String,
    /// The last status reported, if any.
    pub status: Option<PortalStatus>,
    /// When that status was reached.
    pub at: Option<DateTime<Utc>>,
    /// How many reports the portal holds.
    pub reports: usize,
}

/// The national public service portal.
pub trait PublicServicePortal: Send + Sync {
    /// Dossiers filed for the province after `seq` in the portal's feed, oldest first, at
    /// most `limit`.
    fn filed_after(
        &self,
        seq: u64,
        limit: u32,
    ) -> BoxFuture<'_, Result<Vec<FiledDossier>, NationalError>>;

    /// The content of a dossier's file.
    fn file<'a>(
        &'a self,
        code: &'a str,
        index: usize,
    ) -> BoxFuture<'a, Result<Vec<u8>, NationalError>>;

    /// Reports a change of status.
    fn report<'a>(&'a self, report: &'a StatusReport) -> BoxFuture<'a, Result<(), NationalError>>;

    /// What the portal shows for a dossier; `None` when it does not know it.
    fn record<'a>(
        &'a self,
        code: &'a str,
    ) -> BoxFuture<'a, Result<Option<PortalRecord>, NationalError>>;

    /// Applicants' requests (supplements, withdrawals) after `seq` in the portal's feed of
    /// requests, oldest first, at most `limit`.
    fn requests_after(
        &self,
        seq: u64,
        limit: u32,
    ) -> BoxFuture<'_, Result<Vec<ApplicantRequest>, NationalError>>;

    /// The content of a request's file.
    fn request_file(&self, seq: u64, index: usize)
        -> BoxFuture<'_, Result<Vec<u8>, NationalError>>;
}

// --- The portal's format -------------------------------------------------------------------

/// Người nộp hồ sơ.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NguoiNop {
    /// Họ và tên.
    pub ho_ten: String,
    /// Số định danh cá nhân.
    pub so_dinh_danh: Option<String>,
    /// Số điện thoại.
    pub so_dien_thoai: Option<String>,
    /// Thư điện tử.
    pub email: Option<String>,
    /// Địa chỉ liên hệ.
    pub dia_chi: Option<String>,
}

/// Tệp đính kèm của hồ sơ.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TepDinhKem {
    /// Thành phần hồ sơ (thứ tự trong thủ tục, từ 0).
    pub thanh_phan: u32,
    /// Tên tệp.
    pub ten_tep: String,
    /// Kiểu nội dung.
    pub loai: String,
    /// SHA-256 của nội dung, hệ 16.
    pub sha256: String,
}

/// Hồ sơ nộp trên Cổng DVC quốc gia.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HoSoDvc {
    /// Số thứ tự trong luồng hồ sơ của tỉnh.
    pub stt: u64,
    /// Mã hồ sơ trên Cổng DVC quốc gia.
    pub ma_ho_so: String,
    /// Mã thủ tục trong CSDL quốc gia về TTHC.
    pub ma_thu_tuc: String,
    /// Mã cơ quan tiếp nhận.
    pub ma_co_quan: String,
    /// Người nộp.
    pub nguoi_nop: NguoiNop,
    /// Giá trị các trường của tờ khai.
    pub truong_du_lieu: BTreeMap<String, String>,
    /// Tệp đính kèm.
    pub tep_dinh_kem: Vec<TepDinhKem>,
    /// Thời điểm nộp.
    #[schema(value_type = String, format = DateTime)]
    pub ngay_nop: DateTime<Utc>,
}

/// Danh sách hồ sơ.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TraLoiDanhSachHoSo {
    /// Đây là môi trường thử nghiệm.
    pub moi_truong_thu_nghiem: bool,
    /// Thời điểm trả lời.
    #[schema(value_type = String, format = DateTime)]
    pub thoi_diem: DateTime<Utc>,
    /// Các hồ sơ.
    pub ho_so: Vec<HoSoDvc>,
}

/// Cập nhật trạng thái hồ sơ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapNhatTrangThai {
    /// Mã hồ sơ của tỉnh.
    pub ma_ho_so_tinh: Option<String>,
    /// Trạng thái.
    pub trang_thai: PortalStatus,
    /// Thời điểm chuyển trạng thái.
    #[schema(value_type = String, format = DateTime)]
    pub thoi_diem: DateTime<Utc>,
    /// Ngày hẹn trả kết quả.
    #[schema(value_type = Option<String>, format = Date)]
    pub han_tra_ket_qua: Option<NaiveDate>,
    /// Ghi chú cho người nộp.
    pub ghi_chu: Option<String>,
}

/// Trạng thái hồ sơ trên Cổng.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrangThaiHoSo {
    /// Đây là môi trường thử nghiệm.
    pub moi_truong_thu_nghiem: bool,
    /// Mã hồ sơ.
    pub ma_ho_so: String,
    /// Các lần cập nhật, theo thứ tự nhận.
    pub lich_su: Vec<CapNhatTrangThai>,
}

/// The national portal over HTTP.
pub struct HttpPortal(pub Connection);

impl PublicServicePortal for HttpPortal {
    fn filed_after(
        &self,
        seq: u64,
        limit: u32,
    ) -> BoxFuture<'_, Result<Vec<FiledDossier>, NationalError>> {
        Box::pin(async move {
            let (after, limit) = (seq.to_string(), limit.to_string());
            let found: Option<TraLoiDanhSachHoSo> =
                self.0.get(PORTAL, "/ho-so", &[("sau", &after), ("soLuong", &limit)]).await?;
            let a = found.ok_or_else(|| unavailable(PORTAL, "không có dịch vụ /ho-so".into()))?;
            let source = Source {
                system: PORTAL.into(),
                sandbox: a.moi_truong_thu_nghiem,
                answered_at: a.thoi_diem,
            };
            let mut out = Vec::with_capacity(a.ho_so.len());
            for h in a.ho_so {
                if h.stt <= seq || out.last().is_some_and(|p: &FiledDossier| p.seq >= h.stt) {
                    return Err(unavailable(
                        PORTAL,
                        format!("hồ sơ số {} không theo thứ tự", h.stt),
                    ));
                }
                out.push(read(h, &source)?);
            }
            Ok(out)
        })
    }

    fn file<'a>(
        &'a self,
        code: &'a str,
        index: usize,
    ) -> BoxFuture<'a, Result<Vec<u8>, NationalError>> {
        Box::pin(async move {
            let path = format!("/ho-so/{}/tep/{index}", path_part(code));
            self.0.get_bytes(PORTAL, &path, MAX_FILE_BYTES).await?.ok_or_else(|| {
                unavailable(PORTAL, format!("không có tệp {index} của hồ sơ {code}"))
            })
        })
    }

    fn report<'a>(&'a self, r: &'a StatusReport) -> BoxFuture<'a, Result<(), NationalError>> {
        Box::pin(async move {
            let body = CapNhatTrangThai {
                ma_ho_so_tinh: r.local_code.clone(),
                trang_thai: r.status,
                thoi_diem: r.at,
                han_tra_ket_qua: r.due_date,
                ghi_chu: r.note.clone(),
            };
            let path = format!("/ho-so/{}/trang-thai", path_part(&r.code));
            let answered: Option<TrangThaiHoSo> = self.0.post(PORTAL, &path, &body).await?;
            match answered {
                Some(a) if a.lich_su.contains(&body) => Ok(()),
                Some(_) => Err(unavailable(PORTAL, "không ghi nhận trạng thái đã gửi".into())),
                None => Err(NationalError::Refused {
                    system: PORTAL,
                    reason: format!("Cổng không có hồ sơ {}", r.code),
                }),
            }
        })
    }

    fn record<'a>(
        &'a self,
        code: &'a str,
    ) -> BoxFuture<'a, Result<Option<PortalRecord>, NationalError>> {
        Box::pin(async move {
            let path = format!("/ho-so/{}", path_part(code));
            let found: Option<TrangThaiHoSo> = self.0.get(PORTAL, &path, &[]).await?;
            Ok(found.map(|a| {
                // The portal shows the latest change, whatever order the reports came in.
                let last = a.lich_su.iter().max_by_key(|c| c.thoi_diem);
                PortalRecord {
                    code: a.ma_ho_so,
                    status: last.map(|c| c.trang_thai),
                    at: last.map(|c| c.thoi_diem),
                    reports: a.lich_su.len(),
                }
            }))
        })
    }

    fn requests_after(
        &self,
        seq: u64,
        limit: u32,
    ) -> BoxFuture<'_, Result<Vec<ApplicantRequest>, NationalError>> {
        Box::pin(async move {
            let (after, limit) = (seq.to_string(), limit.to_string());
            let found: Option<TraLoiDanhSachYeuCau> =
                self.0.get(PORTAL, "/yeu-cau", &[("sau", &after), ("soLuong", &limit)]).await?;
            let a = found.ok_or_else(|| unavailable(PORTAL, "không có dịch vụ /yeu-cau".into()))?;
            let source = Source {
                system: PORTAL.into(),
                sandbox: a.moi_truong_thu_nghiem,
                answered_at: a.thoi_diem,
            };
            let mut out: Vec<ApplicantRequest> = Vec::with_capacity(a.yeu_cau.len());
            for y in a.yeu_cau {
                if y.stt <= seq || out.last().is_some_and(|p| p.seq >= y.stt) {
                    return Err(unavailable(
                        PORTAL,
                        format!("yêu cầu số {} không theo thứ tự", y.stt),
                    ));
                }
                out.push(read_request(y, &source)?);
            }
            Ok(out)
        })
    }

    fn request_file(
        &self,
        seq: u64,
        index: usize,
    ) -> BoxFuture<'_, Result<Vec<u8>, NationalError>> {
        Box::pin(async move {
            let path = format!("/yeu-cau/{seq}/tep/{index}");
            self.0.get_bytes(PORTAL, &path, MAX_FILE_BYTES).await?.ok_or_else(|| {
                unavailable(PORTAL, format!("không có tệp {index} của yêu cầu {seq}"))
            })
        })
    }
}

/// A dossier code as one path segment: the codes are visible ASCII, `/` and `%` excepted.
fn path_part(code: &str) -> String {
    form_urlencoded::byte_serialize(code.as_bytes()).collect()
}

/// Whether `code` is a dossier code the platform can keep and send back.
pub fn valid_code(code: &str) -> bool {
    (1..=60).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
}

/// The files of a dossier or a request, checked: each digest is SHA-256 in hex.
fn read_files(listed: Vec<TepDinhKem>) -> Result<Vec<PortalFile>, String> {
    let mut files = Vec::with_capacity(listed.len());
    for (index, t) in listed.into_iter().enumerate() {
        let hex = t.sha256.len() == 64 && t.sha256.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex {
            return Err(format!("tệp {index}: SHA-256 không hợp lệ"));
        }
        files.push(PortalFile {
            index,
            component: t.thanh_phan as usize,
            name: t.ten_tep.chars().take(200).collect(),
            media_type: t.loai.chars().take(100).collect(),
            sha256: t.sha256.to_ascii_lowercase(),
        });
    }
    Ok(files)
}

/// A filed dossier as the portal sent it, checked: codes, personal ID, files.
pub fn read(h: HoSoDvc, source: &Source) -> Result<FiledDossier, NationalError> {
    let bad = |why: String| unavailable(PORTAL, format!("hồ sơ {}: {why}", h.ma_ho_so));
    if !valid_code(&h.ma_ho_so) {
        return Err(unavailable(PORTAL, "mã hồ sơ không hợp lệ".into()));
    }
    let national_code = h.ma_thu_tuc.len() == 8
        && matches!(h.ma_thu_tuc.as_bytes()[..2], [b'1' | b'2', b'.'])
        && h.ma_thu_tuc[2..].bytes().all(|b| b.is_ascii_digit());
    if !national_code {
        return Err(bad(format!("mã thủ tục “{}” không đúng dạng 1.001193", h.ma_thu_tuc)));
    }
    if !valid_code(&h.ma_co_quan) {
        return Err(bad("mã cơ quan tiếp nhận không hợp lệ".into()));
    }
    if h.tep_dinh_kem.len() > MAX_FILES {
        return Err(bad(format!("quá {MAX_FILES} tệp đính kèm")));
    }
    let personal_id = match h.nguoi_nop.so_dinh_danh.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(PersonalId::parse(p).map_err(bad)?),
    };
    let files = read_files(h.tep_dinh_kem).map_err(bad)?;
    let trim = |o: Option<String>| o.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(FiledDossier {
        seq: h.stt,
        code: h.ma_ho_so,
        procedure: h.ma_thu_tuc,
        agency: h.ma_co_quan,
        applicant: PortalApplicant {
            name: h.nguoi_nop.ho_ten.trim().to_string(),
            personal_id,
            phone: trim(h.nguoi_nop.so_dien_thoai),
            email: trim(h.nguoi_nop.email),
            address: trim(h.nguoi_nop.dia_chi),
        },
        form: h.truong_du_lieu,
        files,
        filed_at: h.ngay_nop,
        source: source.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filed() -> HoSoDvc {
        HoSoDvc {
            stt: 1,
            ma_ho_so: "G22.99-261208-0001".into(),
            ma_thu_tuc: "1.001193".into(),
            ma_co_quan: "000.01.41.H51".into(),
            nguoi_nop: NguoiNop {
                ho_ten: " Nguyễn Văn An ".into(),
                so_dinh_danh: Some("094085000123".into()),
                so_dien_thoai: Some(" ".into()),
                email: None,
                dia_chi: None,
            },
            truong_du_lieu: BTreeMap::new(),
            tep_dinh_kem: vec![TepDinhKem {
                thanh_phan: 0,
                ten_tep: "to-khai.pdf".into(),
                loai: "application/pdf".into(),
                sha256: "AB".repeat(32),
            }],
            ngay_nop: DateTime::UNIX_EPOCH,
        }
    }

    fn source() -> Source {
        Source { system: PORTAL.into(), sandbox: true, answered_at: DateTime::UNIX_EPOCH }
    }

    #[test]
    fn a_filed_dossier_is_read_with_its_applicant_trimmed_and_its_digests_in_lower_case() {
        let d = read(filed(), &source()).unwrap();
        assert_eq!(d.applicant.name, "Nguyễn Văn An");
        assert_eq!(d.applicant.phone, None);
        assert_eq!(d.files[0].sha256, "ab".repeat(32));
        assert_eq!(
            d.applicant.personal_id.map(|p| p.as_str().to_string()).as_deref(),
            Some("094085000123")
        );
    }

    #[test]
    fn a_filed_dossier_with_a_bad_procedure_code_id_or_digest_is_refused_with_the_reason() {
        let mut h = filed();
        h.ma_thu_tuc = "1001193".into();
        assert!(read(h, &source()).unwrap_err().to_string().contains("mã thủ tục"));
        let mut h = filed();
        h.nguoi_nop.so_dinh_danh = Some("123".into());
        assert!(read(h, &source()).is_err());
        let mut h = filed();
        h.tep_dinh_kem[0].sha256 = "xyz".into();
        assert!(read(h, &source()).unwrap_err().to_string().contains("SHA-256"));
        let mut h = filed();
        h.ma_ho_so = "a/b".into();
        assert!(read(h, &source()).is_err());
    }

    #[test]
    fn every_status_reads_back_from_what_is_sent() {
        for s in PortalStatus::ALL {
            assert_eq!(PortalStatus::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }
}
