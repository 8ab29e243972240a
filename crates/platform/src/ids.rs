//! Identifiers every module parses at its boundary: the 12-digit personal identification
//! number and the enterprise/tax code.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// Province/city codes that open a personal identification number (Thông tư 59/2021/TT-BCA,
/// Phụ lục I): the place of birth registration, kept after the 2025 mergers.
const PROVINCE_CODES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// A personal identification number (số định danh cá nhân, also on the chip ID card): 12
/// digits: province of birth registration (3), century and gender (1), year of birth (2),
/// then 6 random digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PersonalId(String);

impl PersonalId {
    /// Parses a number as a person types it (spaces and dots ignored); the error is a
    /// Vietnamese sentence for the form.
    pub fn parse(s: &str) -> Result<PersonalId, String> {
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("Số định danh cá nhân gồm đúng 12 chữ số.".into());
        }
        let province: u16 = digits[..3].parse().unwrap_or(0);
        if !PROVINCE_CODES.contains(&province) {
            return Err(format!(
                "Số định danh cá nhân không hợp lệ: {} không phải mã tỉnh, thành phố nơi đăng ký khai sinh.",
                &digits[..3]
            ));
        }
        Ok(PersonalId(digits))
    }

    /// Parses and checks the number against a date of birth: its century/gender digit and
    /// year digits must agree with the year.
    pub fn parse_for_birth(s: &str, birth: NaiveDate) -> Result<PersonalId, String> {
        let id = Self::parse(s)?;
        let (century, _) = id.century_and_gender();
        let year = birth.year();
        let yy = (year % 100) as u32;
        if century != year / 100 || id.year_digits() != yy {
            return Err(
                "Số định danh cá nhân không khớp với năm sinh (chữ số thứ 4 đến 6 mã hoá thế kỷ, giới tính và năm sinh)."
                    .into(),
            );
        }
        Ok(id)
    }

    /// The century (19, 20, …) and whether the digit marks a woman.
    pub fn century_and_gender(&self) -> (i32, bool) {
        let d = i32::from(self.0.as_bytes()[3] - b'0');
        (19 + d / 2, d % 2 == 1)
    }

    fn year_digits(&self) -> u32 {
        self.0[4..6].parse().unwrap_or(u32::MAX)
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but the last 4 digits hidden, for pages that confirm without
    /// disclosing.
    pub fn masked(&self) -> String {
        format!("********{}", &self.0[8..])
    }
}

impl fmt::Display for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An enterprise / tax code (mã số doanh nghiệp, mã số thuế): 10 digits whose last is a check
/// digit, or 13 for a dependent unit (the parent's 10 digits and 001–999), written with or
/// without the dash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TaxCode(String);

impl TaxCode {
    /// Parses a code; the error is a Vietnamese sentence for the form.
    pub fn parse(s: &str) -> Result<TaxCode, String> {
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if !(digits.len() == 10 || digits.len() == 13)
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(
                "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số (dạng 0123456789-001) với đơn vị phụ thuộc."
                    .into(),
            );
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
        let sum: u32 = WEIGHTS.iter().zip(&d).map(|(w, x)| w * x).sum();
        let check = 10 - sum % 11;
        if check == 10 || check != d[9] {
            return Err("Mã số thuế không hợp lệ: chữ số kiểm tra (thứ 10) không đúng.".into());
        }
        if digits.len() == 13 && &digits[10..] == "000" {
            return Err("Mã số thuế đơn vị phụ thuộc có ba số cuối từ 001 đến 999.".into());
        }
        Ok(TaxCode(digits))
    }

    /// The digits without a dash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() == 13 {
            write!(f, "{}-{}", &self.0[..10], &self.0[10..])
        } else {
            f.write_str(&self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_soc_trang_number_parses_with_spaces() {
        let id = PersonalId::parse("094 0 85 012345").expect("valid");
        assert_eq!(id.as_str(), "094085012345");
        assert_eq!(id.masked(), "********2345");
    }

    #[test]
    fn numbers_of_the_wrong_length_or_province_are_refused() {
        assert!(PersonalId::parse("09408501234").is_err());
        assert!(PersonalId::parse("09408501234a").is_err());
        assert!(PersonalId::parse("003085012345").is_err());
        assert!(PersonalId::parse("097085012345").is_err());
    }

    #[test]
    fn the_number_must_agree_with_the_year_of_birth() {
        let born = NaiveDate::from_ymd_opt(1985, 3, 2).expect("date");
        assert!(PersonalId::parse_for_birth("094085012345", born).is_ok());
        assert!(PersonalId::parse_for_birth("094185012345", born).is_ok());
        assert!(PersonalId::parse_for_birth("094086012345", born).is_err());
        let born = NaiveDate::from_ymd_opt(2003, 1, 1).expect("date");
        assert!(PersonalId::parse_for_birth("094203012345", born).is_ok());
        assert!(PersonalId::parse_for_birth("094003012345", born).is_err());
    }

    #[test]
    fn real_enterprise_codes_pass_their_check_digit() {
        assert!(TaxCode::parse("0100109106").is_ok());
        assert!(TaxCode::parse("0300588569").is_ok());
        assert_eq!(TaxCode::parse("0300588569-001").expect("branch").to_string(), "0300588569-001");
    }

    #[test]
    fn a_wrong_check_digit_or_shape_is_refused() {
        assert!(TaxCode::parse("0300588568").is_err());
        assert!(TaxCode::parse("030058856").is_err());
        assert!(TaxCode::parse("0300588569-000").is_err());
        assert!(TaxCode::parse("03005885691").is_err());
    }
}
