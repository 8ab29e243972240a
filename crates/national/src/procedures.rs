//! The national database of administrative procedures (CSDL quốc gia về thủ tục hành chính),
//! which publishes every procedure under its national code (`1.001193`) with its name, the
//! decision that announced it and whether it is still in force. The province's catalog keeps
//! the national code of each of its procedures; a sync looks each code up here. The trait
//! [`ProcedureDatabase`], its HTTP client [`HttpProcedureDatabase`] and the format it speaks
//! ([`ThuTuc`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::client::{unavailable, Connection};
use crate::model::{NationalError, Source};
use crate::BoxFuture;

/// The system's name, in messages.
pub const PROCEDURES: &str = "CSDL quốc gia về thủ tục hành chính";

/// A national procedure code, `1.001193` or `2.000488`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NationalCode(String);

impl NationalCode {
    /// Reads a code written `[12].dddddd`.
    pub fn parse(s: &str) -> Result<NationalCode, String> {
        let t = s.trim();
        let b = t.as_bytes();
        let ok = b.len() == 8
            && matches!(b[0], b'1' | b'2')
            && b[1] == b'.'
            && b[2..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(NationalCode(t.to_string()))
        } else {
            Err(format!("“{t}” không phải mã thủ tục quốc gia (ví dụ 1.001193)."))
        }
    }

    /// As written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A procedure as the national database publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NationalProcedure {
    /// Its code.
    pub code: NationalCode,
    /// Its name.
    pub name: String,
    /// The decision that announced it (its current version), if given.
    pub decision: Option<String>,
    /// Whether it is in force (not repealed).
    pub in_force: bool,
    /// Last updated in the database.
    pub updated_on: Option<NaiveDate>,
    /// Where people read it.
    pub url: Option<String>,
    /// Which system answered, and whether a sandbox.
    pub source: Source,
}

/// The national procedure database.
pub trait ProcedureDatabase: Send + Sync {
    /// The procedure with this code; `None` when the database has none.
    fn procedure<'a>(
        &'a self,
        code: &'a NationalCode,
    ) -> BoxFuture<'a, Result<Option<NationalProcedure>, NationalError>>;
}

/// Thủ tục hành chính.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThuTuc {
    /// Mã thủ tục.
    pub ma_thu_tuc: String,
    /// Tên thủ tục.
    pub ten_thu_tuc: String,
    /// Quyết định công bố.
    pub quyet_dinh_cong_bo: Option<String>,
    /// Tình trạng: `con-hieu-luc` hoặc `da-bai-bo`.
    pub tinh_trang: String,
    /// Ngày cập nhật.
    #[schema(value_type = Option<String>, format = Date)]
    pub ngay_cap_nhat: Option<NaiveDate>,
    /// Đường dẫn xem thủ tục.
    pub duong_dan: Option<String>,
}

/// Câu trả lời tra cứu thủ tục.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TraLoiThuTuc {
    /// Đây là môi trường thử nghiệm.
    pub moi_truong_thu_nghiem: bool,
    /// Thời điểm trả lời.
    #[schema(value_type = String, format = DateTime)]
    pub thoi_diem: DateTime<Utc>,
    /// Thủ tục.
    pub thu_tuc: ThuTuc,
}

/// The national procedure database over HTTP.
pub struct HttpProcedureDatabase(pub Connection);

impl ProcedureDatabase for HttpProcedureDatabase {
    fn procedure<'a>(
        &'a self,
        code: &'a NationalCode,
    ) -> BoxFuture<'a, Result<Option<NationalProcedure>, NationalError>> {
        Box::pin(async move {
            let path = format!("/thu-tuc/{}", code.as_str());
            let found: Option<TraLoiThuTuc> = self.0.get(PROCEDURES, &path, &[]).await?;
            found.map(|a| read(a, code)).transpose()
        })
    }
}

/// An answer, checked: the code asked for, a known state, an http(s) address.
pub fn read(a: TraLoiThuTuc, asked: &NationalCode) -> Result<NationalProcedure, NationalError> {
    let bad = |why: String| unavailable(PROCEDURES, why);
    let t = a.thu_tuc;
    if t.ma_thu_tuc != asked.as_str() {
        return Err(bad(format!("trả về thủ tục {} thay cho {}", t.ma_thu_tuc, asked.as_str())));
    }
    let in_force = match t.tinh_trang.as_str() {
        "con-hieu-luc" => true,
        "da-bai-bo" => false,
        other => return Err(bad(format!("tình trạng “{other}” không rõ"))),
    };
    let url = match t.duong_dan {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => Some(u),
        Some(u) => return Err(bad(format!("địa chỉ “{u}” không phải http(s)"))),
        None => None,
    };
    Ok(NationalProcedure {
        code: asked.clone(),
        name: t.ten_thu_tuc,
        decision: t.quyet_dinh_cong_bo,
        in_force,
        updated_on: t.ngay_cap_nhat,
        url,
        source: Source {
            system: PROCEDURES.into(),
            sandbox: a.moi_truong_thu_nghiem,
            answered_at: a.thoi_diem,
        },
    })
}

/// Whether two names of a procedure say the same (case, spacing and a final full stop aside).
pub fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches('.').to_lowercase()
    };
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_codes_are_read_as_written_and_anything_else_is_refused() {
        assert_eq!(NationalCode::parse(" 1.001193 ").map(|c| c.0), Ok("1.001193".into()));
        for bad in ["", "1001193", "3.001193", "1.00119", "1.0011933", "1,001193", "a.001193"] {
            assert!(NationalCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_that_differ_only_in_case_spacing_or_a_full_stop_are_the_same() {
        assert!(same_name("Thủ tục đăng ký  khai sinh.", "thủ tục đăng ký khai sinh"));
        assert!(!same_name("Đăng ký khai sinh", "Đăng ký khai tử"));
    }

    #[test]
    fn an_answer_about_another_code_or_in_an_unknown_state_is_refused() {
        let asked = NationalCode::parse("1.001193").unwrap();
        let answer = |code: &str, state: &str| TraLoiThuTuc {
            moi_truong_thu_nghiem: true,
            thoi_diem: DateTime::UNIX_EPOCH,
            thu_tuc: ThuTuc {
                ma_thu_tuc: code.into(),
                ten_thu_tuc: "Đăng ký khai sinh".into(),
                quyet_dinh_cong_bo: None,
                tinh_trang: state.into(),
                ngay_cap_nhat: None,
                duong_dan: None,
            },
        };
        assert!(read(answer("1.001193", "con-hieu-luc"), &asked).unwrap().in_force);
        assert!(!read(answer("1.001193", "da-bai-bo"), &asked).unwrap().in_force);
        assert!(read(answer("1.000894", "con-hieu-luc"), &asked).is_err());
        assert!(read(answer("1.001193", "tam-dung"), &asked).is_err());
    }
}
