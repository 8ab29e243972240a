//! The national legal documents database (CSDL quốc gia về văn bản pháp luật): a document by
//! its number and symbol ("123/2015/NĐ-CP"), with its validity, for the legal bases of
//! administrative procedures. The trait [`LegalDocuments`], its HTTP client
//! [`HttpLegalDocuments`] and the format it speaks ([`VanBan`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::client::Connection;
use crate::model::{NationalError, Source};
use crate::BoxFuture;

/// The database's name, in answers and messages.
pub const LEGAL: &str = "CSDL quốc gia về văn bản pháp luật";

/// A legal document's number and symbol as written: `60/2014/QH13`, `123/2015/NĐ-CP`,
/// `04/2020/TT-BTP`, or without the year (`1085/QĐ-TTg`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct DocumentNumber(String);

impl DocumentNumber {
    /// Reads a number and symbol; the reason when it is not one.
    pub fn parse(s: &str) -> Result<DocumentNumber, String> {
        let t = s.trim();
        let parts: Vec<&str> = t.split('/').collect();
        let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
            n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
        };
        // The symbol: groups of letters and digits joined by hyphens, each starting with a
        // capital or a digit (`NĐ-CP`, `QĐ-TTg`, `QH13`), the first with a capital.
        let symbol = |p: &str| {
            p.len() <= 30
                && p.split('-').all(|g| {
                    g.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
                        && g.chars().all(char::is_alphanumeric)
                })
                && p.chars().next().is_some_and(char::is_uppercase)
        };
        let ok = match parts.as_slice() {
            [n, year, sym] => digits(n, 1..=5) && digits(year, 4..=4) && symbol(sym),
            [n, sym] => digits(n, 1..=5) && symbol(sym),
            _ => false,
        };
        if ok {
            Ok(DocumentNumber(t.to_string()))
        } else {
            Err(format!("“{t}” không phải số, ký hiệu văn bản (ví dụ 123/2015/NĐ-CP)."))
        }
    }

    /// The numbers and symbols written in a text (a procedure's legal basis line), in order,
    /// each once.
    pub fn find_all(text: &str) -> Vec<DocumentNumber> {
        let mut found: Vec<DocumentNumber> = Vec::new();
        let is_part = |c: char| c.is_alphanumeric() || c == '/' || c == '-';
        for token in text.split(|c: char| !is_part(c)) {
            let token = token.trim_matches('-');
            if token.contains('/') {
                if let Ok(n) = DocumentNumber::parse(token) {
                    if !found.contains(&n) {
                        found.push(n);
                    }
                }
            }
        }
        found
    }

    /// As written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a document is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validity {
    /// Còn hiệu lực.
    #[serde(rename = "con-hieu-luc")]
    InForce,
    /// Hết hiệu lực một phần.
    #[serde(rename = "het-hieu-luc-mot-phan")]
    PartlyInForce,
    /// Hết hiệu lực toàn bộ.
    #[serde(rename = "het-hieu-luc")]
    Expired,
    /// Chưa có hiệu lực.
    #[serde(rename = "chua-co-hieu-luc")]
    NotYetInForce,
}

impl Validity {
    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Validity::InForce => "con-hieu-luc",
            Validity::PartlyInForce => "het-hieu-luc-mot-phan",
            Validity::Expired => "het-hieu-luc",
            Validity::NotYetInForce => "chua-co-hieu-luc",
        }
    }

    /// From its stored form.
    pub fn parse(s: &str) -> Option<Validity> {
        [Validity::InForce, Validity::PartlyInForce, Validity::Expired, Validity::NotYetInForce]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            Validity::InForce => "Còn hiệu lực",
            Validity::PartlyInForce => "Hết hiệu lực một phần",
            Validity::Expired => "Hết hiệu lực",
            Validity::NotYetInForce => "Chưa có hiệu lực",
        }
    }
}

/// A legal document as the national database describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegalDocument {
    /// Number and symbol.
    pub number: DocumentNumber,
    /// Kind (Luật, Nghị định, Thông tư…).
    pub kind: String,
    /// What it is about (trích yếu).
    pub title: String,
    /// Who issued it.
    pub issuer: String,
    /// When it was signed.
    pub issued_on: NaiveDate,
    /// When it took (or takes) effect.
    pub effective_from: Option<NaiveDate>,
    /// Whether it is in force.
    pub validity: Validity,
    /// The document that replaced it, if one did.
    pub replaced_by: Option<DocumentNumber>,
    /// Where people read it.
    pub url: Option<String>,
    /// Where this came from.
    pub source: Source,
}

/// The national legal documents database.
pub trait LegalDocuments: Send + Sync {
    /// The document with this number and symbol; `None` when there is none.
    fn document<'a>(
        &'a self,
        number: &'a DocumentNumber,
    ) -> BoxFuture<'a, Result<Option<LegalDocument>, NationalError>>;
}

/// A document, as the database sends it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VanBan {
    /// Số, ký hiệu.
    pub so_ky_hieu: String,
    /// Loại văn bản.
    pub loai_van_ban: String,
    /// Trích yếu.
    pub trich_yeu: String,
    /// Cơ quan ban hành.
    pub co_quan_ban_hanh: String,
    /// Ngày ban hành, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub ngay_ban_hanh: NaiveDate,
    /// Ngày có hiệu lực, `YYYY-MM-DD`.
    #[schema(value_type = Option<String>, format = Date)]
    pub ngay_co_hieu_luc: Option<NaiveDate>,
    /// `con-hieu-luc`, `het-hieu-luc-mot-phan`, `het-hieu-luc` or `chua-co-hieu-luc`.
    pub tinh_trang_hieu_luc: String,
    /// Văn bản thay thế.
    pub van_ban_thay_the: Option<String>,
    /// Địa chỉ xem toàn văn.
    pub duong_dan: Option<String>,
}

/// The answer to a lookup.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TraLoiVanBan {
    /// True when the answer comes from a sandbox.
    pub moi_truong_thu_nghiem: bool,
    /// When the database answered.
    #[schema(value_type = String, format = DateTime)]
    pub thoi_diem: DateTime<Utc>,
    /// The document.
    pub van_ban: VanBan,
}

/// The legal documents database over HTTP: `GET {base}/van-ban?soKyHieu=…`.
pub struct HttpLegalDocuments(pub Connection);

impl LegalDocuments for HttpLegalDocuments {
    fn document<'a>(
        &'a self,
        number: &'a DocumentNumber,
    ) -> BoxFuture<'a, Result<Option<LegalDocument>, NationalError>> {
        Box::pin(async move {
            let found: Option<TraLoiVanBan> =
                self.0.get(LEGAL, "/van-ban", &[("soKyHieu", number.as_str())]).await?;
            let Some(a) = found else { return Ok(None) };
            read(a, number).map(Some)
        })
    }
}

/// A document from its answer, checked to be the one asked for; anything the format does not
/// allow is refused, never guessed.
pub fn read(a: TraLoiVanBan, asked: &DocumentNumber) -> Result<LegalDocument, NationalError> {
    let bad = |why: String| NationalError::Unavailable { system: LEGAL, reason: why };
    let v = a.van_ban;
    if v.so_ky_hieu != asked.as_str() {
        return Err(bad(format!("trả về văn bản {} thay cho {}", v.so_ky_hieu, asked.as_str())));
    }
    let validity = Validity::parse(&v.tinh_trang_hieu_luc)
        .ok_or_else(|| bad(format!("tình trạng hiệu lực “{}” không rõ", v.tinh_trang_hieu_luc)))?;
    let replaced_by = match v.van_ban_thay_the.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => Some(DocumentNumber::parse(r).map_err(bad)?),
    };
    let url = match v.duong_dan {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => Some(u),
        Some(u) => return Err(bad(format!("địa chỉ văn bản “{u}” không phải http(s)"))),
        None => None,
    };
    Ok(LegalDocument {
        number: asked.clone(),
        kind: v.loai_van_ban,
        title: v.trich_yeu,
        issuer: v.co_quan_ban_hanh,
        issued_on: v.ngay_ban_hanh,
        effective_from: v.ngay_co_hieu_luc,
        validity,
        replaced_by,
        url,
        source: Source {
            system: LEGAL.into(),
            sandbox: a.moi_truong_thu_nghiem,
            answered_at: a.thoi_diem,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_symbols_are_read_as_written_and_anything_else_is_refused() {
        for ok in ["60/2014/QH13", "123/2015/NĐ-CP", "04/2020/TT-BTP", "1085/QĐ-TTg"] {
            assert_eq!(DocumentNumber::parse(ok).map(|n| n.0), Ok(ok.to_string()));
        }
        for bad in
            ["", "123", "123/2015", "abc/2015/NĐ-CP", "12/15/NĐ-CP", "12/2015/nđ-cp", "1/2/3/4"]
        {
            assert!(DocumentNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_documents_named_in_a_legal_basis_line_are_found_once_each_in_order() {
        let line = "Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ (sửa đổi bởi \
                    Nghị định 07/2025/NĐ-CP); Luật Hộ tịch số 60/2014/QH13, 123/2015/NĐ-CP.";
        let found: Vec<String> = DocumentNumber::find_all(line).into_iter().map(|n| n.0).collect();
        assert_eq!(found, ["123/2015/NĐ-CP", "07/2025/NĐ-CP", "60/2014/QH13"]);
    }
}
