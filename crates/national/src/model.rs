//! What the national systems answer, as domain types, and what can go wrong asking them.

use chrono::{DateTime, NaiveDate, Utc};
use cqdt_platform::{PersonalId, TaxCode};
use serde::{Deserialize, Serialize};

/// Why a person's data is read: required by the population database on every lookup, recorded
/// by the platform and shown to the citizen later. 5 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Purpose(String);

impl Purpose {
    /// Parses a stated purpose; the error is a Vietnamese sentence.
    pub fn parse(s: &str) -> Result<Purpose, String> {
        let t = s.trim();
        let n = t.chars().count();
        if n < 5 {
            return Err("Phải nêu mục đích khai thác dữ liệu (ít nhất 5 ký tự).".into());
        }
        if n > 200 || t.chars().any(char::is_control) {
            return Err(
                "Mục đích khai thác dữ liệu dài quá 200 ký tự hoặc có ký tự điều khiển.".into()
            );
        }
        Ok(Purpose(t.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an answer came from, shown beside the data it brought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The system, in words ("CSDL quốc gia về dân cư").
    pub system: String,
    /// True when the answer came from `cqdt sandbox national`, not the real system.
    pub sandbox: bool,
    /// When the system answered (its own clock).
    pub answered_at: DateTime<Utc>,
}

/// A citizen as the national population database describes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Citizen {
    /// Personal identification number.
    pub personal_id: PersonalId,
    /// Full name.
    pub full_name: String,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// True for a woman.
    pub female: bool,
    /// Nationality, in words.
    pub nationality: String,
    /// Ethnic group, in words.
    pub ethnicity: String,
    /// Place of birth registration.
    pub birth_place: String,
    /// Permanent residence (nơi thường trú).
    pub permanent_address: String,
    /// Current residence (nơi ở hiện tại).
    pub current_address: String,
    /// Where the answer came from.
    pub source: Source,
}

/// The person who represents an enterprise at law.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representative {
    /// Full name.
    pub full_name: String,
    /// Title (Giám đốc, Chủ tịch hội đồng thành viên…).
    pub title: String,
}

/// An enterprise as the national business registry describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enterprise {
    /// Enterprise code (= tax code).
    pub code: TaxCode,
    /// Name in Vietnamese.
    pub name: String,
    /// Legal form (Công ty TNHH một thành viên, Công ty cổ phần…).
    pub legal_form: String,
    /// Status in words (Đang hoạt động, Tạm ngừng kinh doanh, Đã giải thể…).
    pub status: String,
    /// True when the status lets it trade.
    pub active: bool,
    /// Date of first registration.
    pub founded_on: NaiveDate,
    /// Head office address.
    pub address: String,
    /// Legal representative.
    pub representative: Representative,
    /// Main line of business.
    pub main_business: String,
    /// Where the answer came from.
    pub source: Source,
}

/// What went wrong asking a national system; every message is Vietnamese and says which side
/// failed.
#[derive(Debug, thiserror::Error)]
pub enum NationalError {
    /// The adapter is not configured on this instance.
    #[error("Chưa kết nối {0}: quản trị viên cần cấu hình địa chỉ kết nối.")]
    NotConfigured(&'static str),
    /// The system or the LGSP refused the request (grant, purpose, credentials), with its
    /// reason.
    #[error("{system} từ chối yêu cầu: {reason}")]
    Refused {
        /// The system asked.
        system: &'static str,
        /// Its reason, as it gave it.
        reason: String,
    },
    /// The system could not be reached or answered something we cannot read.
    #[error("{system} không trả lời được: {reason}")]
    Unavailable {
        /// The system asked.
        system: &'static str,
        /// What happened.
        reason: String,
    },
}
