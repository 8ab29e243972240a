//! The people the sandbox can log in as: a fixed cast of test citizens, and anyone a tester
//! types in by personal identification number. None of them is a real person.

use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// A test citizen as VNeID would describe them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestIdentity {
    /// Personal identification number (số định danh cá nhân), 12 digits.
    pub personal_id: String,
    /// Full name with diacritics.
    pub full_name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
    /// `male` or `female`, the values of OpenID Connect's `gender` claim.
    pub gender: String,
    /// Mobile phone in E.164 form (`+84…`).
    pub phone: String,
    /// E-mail address, if the person gave one.
    pub email: Option<String>,
    /// Permanent address (nơi thường trú).
    pub address: String,
}

fn person(
    personal_id: &str,
    full_name: &str,
    birth_date: &str,
    gender: &str,
    phone: &str,
    email: Option<&str>,
    address: &str,
) -> TestIdentity {
    TestIdentity {
        personal_id: personal_id.into(),
        full_name: full_name.into(),
        birth_date: birth_date.into(),
        gender: gender.into(),
        phone: phone.into(),
        email: email.map(str::to_string),
        address: address.into(),
    }
}

/// The sandbox's built-in test citizens, born in Sóc Trăng (province code 094), their 4th to
/// 6th digits agreeing with their century, gender and year of birth.
pub fn test_identities() -> Vec<TestIdentity> {
    vec![
        person(
            "094085012345",
            "Nguyễn Văn An",
            "1985-03-12",
            "male",
            "+84912345601",
            Some("nguyenvanan@example.com"),
            "Số 12 đường Trần Hưng Đạo, Phường 2, thành phố Sóc Trăng, tỉnh Sóc Trăng",
        ),
        person(
            "094192004567",
            "Trần Thị Bích Ngọc",
            "1992-07-25",
            "female",
            "+84983456702",
            Some("bichngoc.tran@example.com"),
            "Số 45/3 đường Lê Hồng Phong, Phường 3, thành phố Sóc Trăng, tỉnh Sóc Trăng",
        ),
        person(
            "094078007890",
            "Lâm Sóc Phol",
            "1978-11-02",
            "male",
            "+84365432103",
            None,
            "Ấp Phnô Pôn, xã Đại Tâm, huyện Mỹ Xuyên, tỉnh Sóc Trăng",
        ),
        person(
            "094165003210",
            "Thạch Thị Sa Ri",
            "1965-05-20",
            "female",
            "+84796543204",
            None,
            "Ấp Sóc Vồ, phường Vĩnh Phước, thị xã Vĩnh Châu, tỉnh Sóc Trăng",
        ),
        person(
            "094201006789",
            "Lê Hoàng Phúc",
            "2001-01-15",
            "male",
            "+84335678905",
            Some("hoangphuc.le@example.com"),
            "Số 88 đường 30 Tháng 4, phường Xuân Khánh, quận Ninh Kiều, thành phố Cần Thơ",
        ),
        person(
            "094303001357",
            "Huỳnh Ngọc Trâm",
            "2003-12-01",
            "female",
            "+84858765406",
            Some("ngoctram.huynh@example.com"),
            "Số 21 đường Mậu Thân, phường Ninh Kiều, thành phố Cần Thơ",
        ),
    ]
}

/// Longest full name accepted for a typed-in identity, in characters.
const MAX_NAME_CHARS: usize = 100;

/// The person behind a typed-in personal identification number: a built-in test citizen if
/// the number is one of theirs, otherwise a new person whose gender and year of birth are
/// read from the number's 4th to 6th digits (born on 1 January of that year). The error is a
/// Vietnamese sentence for the form.
pub(crate) fn typed_identity(personal_id: &str, full_name: &str) -> Result<TestIdentity, String> {
    let pid: String = personal_id.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
    if pid.len() != 12 || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Số định danh cá nhân phải gồm đúng 12 chữ số.".into());
    }
    let name = full_name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("Họ và tên dài quá {MAX_NAME_CHARS} ký tự."));
    }
    if let Some(mut known) = test_identities().into_iter().find(|p| p.personal_id == pid) {
        if !name.is_empty() {
            known.full_name = name;
        }
        return Ok(known);
    }
    let digit = u32::from(pid.as_bytes()[3] - b'0');
    let year = (19 + digit / 2) * 100 + pid[4..6].parse::<u32>().unwrap_or(0);
    Ok(TestIdentity {
        full_name: if name.is_empty() {
            format!("Công dân thử nghiệm {}", &pid[8..])
        } else {
            name
        },
        birth_date: format!("{year:04}-01-01"),
        gender: if digit % 2 == 0 { "male" } else { "female" }.into(),
        phone: format!("+8490{}", &pid[5..]),
        email: None,
        address: "Thành phố Cần Thơ".into(),
        personal_id: pid,
    })
}

/// The stable subject identifier of a person: not the personal identification number itself
/// but the first 128 bits of a SHA-256 over it, in hex, the same on every sandbox instance.
pub(crate) fn subject(personal_id: &str) -> String {
    let digest = Sha256::digest(format!("cqdt-vneid-sandbox/sub/{personal_id}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a space-separated scope string contains `name`.
pub(crate) fn has_scope(scope: &str, name: &str) -> bool {
    scope.split(' ').any(|s| s == name)
}

/// The claims about a person that a scope discloses (OpenID Connect Core §5.4, and
/// `personal_id` for VNeID's own scope), always with `sub`.
pub(crate) fn identity_claims(who: &TestIdentity, scope: &str) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(subject(&who.personal_id)));
    if has_scope(scope, "profile") {
        claims.insert("name".into(), json!(who.full_name));
        claims.insert("birthdate".into(), json!(who.birth_date));
        claims.insert("gender".into(), json!(who.gender));
        claims.insert("address".into(), json!({ "formatted": who.address }));
    }
    if has_scope(scope, "phone") {
        claims.insert("phone_number".into(), json!(who.phone));
        claims.insert("phone_number_verified".into(), json!(true));
    }
    if has_scope(scope, "email") {
        if let Some(email) = &who.email {
            claims.insert("email".into(), json!(email));
            claims.insert("email_verified".into(), json!(true));
        }
    }
    if has_scope(scope, "personal_id") {
        claims.insert("personal_id".into(), json!(who.personal_id));
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_identities_are_well_formed_and_distinct() {
        let people = test_identities();
        assert!(people.len() >= 6);
        for p in &people {
            assert_eq!(p.personal_id.len(), 12, "{}", p.full_name);
            assert!(p.personal_id.starts_with("094"));
            let digit = u32::from(p.personal_id.as_bytes()[3] - b'0');
            assert_eq!(format!("{}{}", 19 + digit / 2, &p.personal_id[4..6]), p.birth_date[..4]);
            assert_eq!(p.gender == "female", digit % 2 == 1, "{}", p.full_name);
            assert!(p.phone.starts_with("+84") && p.phone.len() == 12);
        }
        let ids: std::collections::HashSet<_> = people.iter().map(|p| &p.personal_id).collect();
        assert_eq!(ids.len(), people.len());
    }

    #[test]
    fn a_typed_number_makes_a_consistent_new_person() {
        let p = typed_identity("094 3050 12345", "  Trần   Văn  Bé ").expect("valid");
        assert_eq!(p.personal_id, "094305012345");
        assert_eq!(p.full_name, "Trần Văn Bé");
        assert_eq!(p.birth_date, "2005-01-01");
        assert_eq!(p.gender, "female");
        assert_eq!(p.phone, "+84905012345");
        let anonymous = typed_identity("092099000001", "").expect("valid");
        assert_eq!(anonymous.full_name, "Công dân thử nghiệm 0001");
        assert_eq!(anonymous.birth_date, "1999-01-01");
        assert_eq!(anonymous.gender, "male");
    }

    #[test]
    fn a_typed_known_number_is_the_known_person() {
        let p = typed_identity("094085012345", "").expect("valid");
        assert_eq!(p, test_identities()[0]);
    }

    #[test]
    fn typed_numbers_that_are_not_12_digits_are_refused() {
        assert!(typed_identity("09408501234", "").is_err());
        assert!(typed_identity("0940850123456", "").is_err());
        assert!(typed_identity("09408501234a", "").is_err());
        assert!(typed_identity("094085012345", &"a".repeat(101)).is_err());
    }

    #[test]
    fn the_subject_is_stable_and_hides_the_number() {
        let s = subject("094085012345");
        assert_eq!(s, subject("094085012345"));
        assert_ne!(s, subject("094085012346"));
        assert_eq!(s.len(), 32);
        assert!(!s.contains("094085012345"));
    }

    #[test]
    fn claims_follow_the_scope() {
        let who = &test_identities()[0];
        let bare = identity_claims(who, "openid");
        assert_eq!(bare.keys().collect::<Vec<_>>(), ["sub"]);
        let all = identity_claims(who, "openid profile phone email personal_id");
        assert_eq!(all["name"], "Nguyễn Văn An");
        assert_eq!(all["birthdate"], "1985-03-12");
        assert_eq!(all["address"]["formatted"], who.address.as_str());
        assert_eq!(all["phone_number"], "+84912345601");
        assert_eq!(all["email"], "nguyenvanan@example.com");
        assert_eq!(all["personal_id"], "094085012345");
        let no_email = identity_claims(&test_identities()[2], "openid email");
        assert!(!no_email.contains_key("email"));
    }
}
