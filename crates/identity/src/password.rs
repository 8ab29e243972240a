//! Passwords: argon2id hashes with OWASP's parameters, and the rules that refuse weak or
//! commonly breached choices before they are stored.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::IdentityError;

/// OWASP Password Storage Cheat Sheet (2025): argon2id, 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Result<Argon2<'static>, IdentityError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| IdentityError::Key(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string. Slow on purpose (tens of milliseconds): run it on a
/// blocking thread.
pub fn hash(password: &str) -> Result<String, IdentityError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| IdentityError::Key(format!("salt: {e}")))?;
    Ok(hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| IdentityError::Key(format!("argon2: {e}")))?
        .to_string())
}

/// Checks a password against a stored PHC string (parameters are read from the string).
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    hasher().is_ok_and(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash of a random password, verified against when the account does not exist so that a
/// failed login takes the same time either way.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&hex::encode(rand::random::<[u8; 16]>())).unwrap_or_default())
}

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 10;

/// Passwords that lead the breached-password lists, in Vietnam and everywhere, normalised
/// (lower case, no diacritics, no spaces). Anything containing one of the longer ones, or a
/// run of one key, is refused too.
const COMMON: &[&str] = &[
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "0123456789",
    "987654321",
    "111111",
    "000000",
    "666666",
    "888888",
    "123123",
    "112233",
    "147258369",
    "123654789",
    "password",
    "passw0rd",
    "matkhau",
    "mat khau",
    "abc123",
    "abcd1234",
    "qwerty",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "iloveyou",
    "anhyeuem",
    "emyeuanh",
    "yeuem",
    "admin",
    "administrator",
    "welcome",
    "letmein",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "vietnam",
    "hanoi",
    "saigon",
    "soctrang",
    "cantho",
    "chinhquyen",
    "dichvucong",
    "motcua",
    "changeme",
    "default",
    "secret",
    "trustno1",
];

/// Why a password is refused, as a Vietnamese sentence; `personal` are the account's own
/// facts (name, ID number, phone, e-mail, user name) that a password must not contain.
pub fn weakness(password: &str, personal: &[&str]) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Some(format!("Mật khẩu cần ít nhất {MIN_LENGTH} ký tự."));
    }
    if chars > 128 {
        return Some("Mật khẩu dài quá 128 ký tự.".into());
    }
    let norm = normalise(password);
    let distinct: std::collections::BTreeSet<char> = norm.chars().collect();
    if distinct.len() < 4 {
        return Some("Mật khẩu có quá ít ký tự khác nhau, rất dễ đoán.".into());
    }
    if is_sequence(&norm) {
        return Some("Mật khẩu là một dãy ký tự liên tiếp, rất dễ đoán.".into());
    }
    if COMMON
        .iter()
        .any(|c| norm == *c || (c.len() >= 6 && norm.contains(c) && norm.len() < c.len() + 4))
    {
        return Some(
            "Mật khẩu này nằm trong danh sách mật khẩu phổ biến đã bị lộ; hãy chọn mật khẩu khác."
                .into(),
        );
    }
    for fact in personal {
        let f = normalise(fact);
        let f: String = f.chars().filter(|c| c.is_alphanumeric()).collect();
        if f.len() >= 4 && norm.contains(&f) {
            return Some(
                "Mật khẩu không được chứa họ tên, số định danh, số điện thoại, thư điện tử hay tên đăng nhập."
                    .into(),
            );
        }
        // Each word of a name, when long enough to matter.
        for w in normalise(fact).split(|c: char| !c.is_alphanumeric()) {
            if w.len() >= 5 && norm.contains(w) {
                return Some(
                    "Mật khẩu không được chứa họ tên, số định danh, số điện thoại, thư điện tử hay tên đăng nhập."
                        .into(),
                );
            }
        }
    }
    None
}

/// Lower case, Vietnamese diacritics removed, spaces dropped.
fn normalise(s: &str) -> String {
    cqdt_platform::web::fold(s).chars().filter(|c| !c.is_whitespace()).collect()
}

fn is_sequence(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && (b.windows(2).all(|w| w[1] == w[0].wrapping_add(1))
            || b.windows(2).all(|w| w[1] == w[0].wrapping_sub(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_and_no_other() {
        let h = hash("một câu dài dễ nhớ 2026").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("một câu dài dễ nhớ 2026", &h));
        assert!(!verify("một câu dài dễ nhớ 2027", &h));
        assert!(!verify("x", "not a phc string"));
    }

    #[test]
    fn short_common_and_sequential_passwords_are_refused() {
        assert!(weakness("abc", &[]).is_some());
        assert!(weakness("1234567890", &[]).is_some());
        assert!(weakness("Mật Khẩu", &[]).is_some());
        assert!(weakness("aaaaaaaaaaaa", &[]).is_some());
        assert!(weakness("abcdefghijk", &[]).is_some());
        assert!(weakness("Password12", &[]).is_some());
        assert!(weakness("Anhyeuem123", &[]).is_some());
    }

    #[test]
    fn a_password_may_not_contain_the_persons_own_facts() {
        let facts = ["Nguyễn Văn Thành", "094085012345", "0912345678"];
        assert!(weakness("thanh-094085012345", &facts).is_some());
        assert!(weakness("NguyenVanThanh!", &facts).is_some());
        assert!(weakness("goi 0912345678 nhe", &facts).is_some());
    }

    #[test]
    fn a_long_unusual_passphrase_is_accepted() {
        assert_eq!(weakness("Cầu Quay Sóc Trăng 1937!", &["Trần Thị Bích"]), None);
        assert_eq!(weakness("gio-chuong-ghe-ngo-9", &[]), None);
    }
}
