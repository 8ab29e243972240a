//! Accounts of people: citizens, businesses (acted for by linked citizens) and officials,
//! the forms that create them, parsed at the boundary into checked values.

use chrono::NaiveDate;
use cqdt_platform::{FieldError, PersonalId, Role, RoleGrant, TaxCode};
use serde::Serialize;

use crate::password;

/// `as_str` (the stored form), `parse` (back from it) and `label` (the Vietnamese name) for an
/// enum stored as text; one table per enum, so the three cannot disagree.
macro_rules! stored_enum {
    ($ty:ident { $($variant:ident => ($stored:literal, $label:literal)),+ $(,)? }) => {
        impl $ty {
            /// Stored form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $stored),+
                }
            }

            /// Parses the stored form.
            pub fn parse(s: &str) -> Option<Self> {
                [$($ty::$variant),+].into_iter().find(|k| k.as_str() == s)
            }

            /// Vietnamese name.
            pub fn label(self) -> &'static str {
                match self {
                    $($ty::$variant => $label),+
                }
            }
        }
    };
}

/// What an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A person, identified by the personal identification number.
    Citizen,
    /// A business, identified by its enterprise code; it has no login of its own.
    Business,
    /// An official of an agency, with roles.
    Official,
}

stored_enum!(AccountKind {
    Citizen => ("citizen", "Công dân"),
    Business => ("business", "Doanh nghiệp"),
    Official => ("official", "Cán bộ, công chức"),
});

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Registered, contact not yet verified.
    Pending,
    /// In use.
    Active,
    /// Turned off by an administrator.
    Disabled,
}

stored_enum!(AccountStatus {
    Pending => ("pending", "Chờ xác thực"),
    Active => ("active", "Đang hoạt động"),
    Disabled => ("disabled", "Đã khoá"),
});

/// An account as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// Random id; the OpenID Connect `sub`.
    pub id: String,
    /// Kind.
    pub kind: AccountKind,
    /// Status.
    pub status: AccountStatus,
    /// Personal identification number (citizens).
    pub personal_id: Option<String>,
    /// Enterprise code (businesses).
    pub tax_code: Option<String>,
    /// Login name (officials).
    pub username: Option<String>,
    /// Full name (people) or registered name (businesses).
    pub full_name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Gender as given by VNeID or the person.
    pub gender: Option<String>,
    /// Mobile number, `+84…`.
    pub phone: Option<String>,
    /// E-mail address, lower case.
    pub email: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// The official's agency.
    pub agency_code: Option<String>,
    /// A business's legal representative.
    pub legal_representative: Option<String>,
    /// argon2id PHC string.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// TOTP secret, base32 (set when enrolment starts; `totp_enabled_at` when confirmed).
    #[serde(skip)]
    pub totp_secret: Option<String>,
    /// When the second factor was confirmed.
    pub totp_enabled_at: Option<String>,
    /// Last TOTP step accepted.
    #[serde(skip)]
    pub totp_last_step: i64,
    /// Digests of unused recovery codes.
    #[serde(skip)]
    pub recovery_codes: Vec<String>,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// Locked until, RFC 3339.
    pub locked_until: Option<String>,
    /// The subject at VNeID, once linked.
    pub vneid_subject: Option<String>,
    /// Created.
    pub created_at: String,
    /// By whom.
    pub created_by: String,
    /// Last change.
    pub updated_at: String,
}

impl Account {
    /// A new empty account of a kind, for the constructors below.
    pub(crate) fn blank(kind: AccountKind, full_name: String, now: &str, by: &str) -> Account {
        Account {
            id: hex::encode(rand::random::<[u8; 16]>()),
            kind,
            status: AccountStatus::Pending,
            personal_id: None,
            tax_code: None,
            username: None,
            full_name,
            birth_date: None,
            gender: None,
            phone: None,
            email: None,
            address: None,
            agency_code: None,
            legal_representative: None,
            password_hash: None,
            totp_secret: None,
            totp_enabled_at: None,
            totp_last_step: 0,
            recovery_codes: Vec::new(),
            failed_logins: 0,
            locked_until: None,
            vneid_subject: None,
            created_at: now.to_string(),
            created_by: by.to_string(),
            updated_at: now.to_string(),
        }
    }

    /// What the audit log names the person by.
    pub fn actor(&self) -> String {
        match (&self.username, self.kind) {
            (Some(u), _) => u.clone(),
            (None, _) => format!("account:{}", self.id),
        }
    }

    /// Whether a second factor is required at every login (officials).
    pub fn requires_second_factor(&self) -> bool {
        self.kind == AccountKind::Official
    }

    /// Whether the second factor is set up.
    pub fn has_second_factor(&self) -> bool {
        self.totp_enabled_at.is_some() && self.totp_secret.is_some()
    }

    /// The facts a password must not contain.
    pub fn personal_facts(&self) -> Vec<&str> {
        [
            Some(self.full_name.as_str()),
            self.personal_id.as_deref(),
            self.username.as_deref(),
            self.phone.as_deref().map(|p| p.trim_start_matches("+84")),
            self.email.as_deref().and_then(|e| e.split('@').next()).filter(|l| l.len() >= 4),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// A role grant as stored, with who granted it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredGrant {
    /// The grant.
    #[serde(flatten)]
    pub grant: RoleGrant,
    /// When.
    pub granted_at: String,
    /// By whom.
    pub granted_by: String,
}

/// A business a citizen acts for.
#[derive(Debug, Clone, Serialize)]
pub struct BusinessLink {
    /// The business's account.
    pub business: Account,
    /// How the person is related (legal representative, authorised person).
    pub relation: String,
}

fn required(field: &str, value: &str, what: &str, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim().to_string();
    if v.is_empty() {
        errors.push(FieldError { field: field.into(), message: format!("Chưa nhập {what}.") });
    }
    v
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), message: message.into() }
}

/// Parses a person's full name: letters (with Vietnamese diacritics), spaces, apostrophes
/// and hyphens, 2 to 100 characters.
pub fn parse_full_name(s: &str) -> Result<String, String> {
    let name = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() < 2 || name.chars().count() > 100 {
        return Err("Họ và tên cần từ 2 đến 100 ký tự.".into());
    }
    if !name.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '-' | '.')) {
        return Err("Họ và tên chỉ gồm chữ cái, khoảng trắng và dấu nháy, gạch nối.".into());
    }
    Ok(name)
}

/// Parses a date typed as `dd/mm/yyyy` or `yyyy-mm-dd`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
}

/// Parses a Vietnamese mobile number into `+84…`.
pub fn parse_phone(s: &str) -> Result<String, String> {
    cqdt_notify::parse_vn_phone(s).map_err(|_| {
        "Số điện thoại di động không hợp lệ (ví dụ 0912 345 678 hoặc +84 912 345 678).".to_string()
    })
}

/// Parses an e-mail address into lower case.
pub fn parse_email(s: &str) -> Result<String, String> {
    cqdt_notify::parse_email(s)
        .map(|e| e.to_lowercase())
        .map_err(|_| "Địa chỉ thư điện tử không hợp lệ (ví dụ ten@example.vn).".to_string())
}

/// The citizen registration form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RegistrationForm {
    /// Personal identification number.
    #[serde(default)]
    pub personal_id: String,
    /// Full name.
    #[serde(default)]
    pub full_name: String,
    /// Date of birth, dd/mm/yyyy.
    #[serde(default)]
    pub birth_date: String,
    /// Mobile phone.
    #[serde(default)]
    pub phone: String,
    /// E-mail (optional).
    #[serde(default)]
    pub email: String,
    /// Password.
    #[serde(default)]
    pub password: String,
    /// Password again.
    #[serde(default)]
    pub password_confirm: String,
}

/// A registration that passed every check except uniqueness (the store checks that).
#[derive(Debug, Clone)]
pub struct Registration {
    /// Personal identification number.
    pub personal_id: PersonalId,
    /// Full name.
    pub full_name: String,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// `+84…`.
    pub phone: String,
    /// Lower case.
    pub email: Option<String>,
    /// The password (hashed by the service).
    pub password: String,
}

impl RegistrationForm {
    /// Checks every field and reports every problem at once, in Vietnamese.
    pub fn parse(&self, today: NaiveDate) -> Result<Registration, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = required("full_name", &self.full_name, "họ và tên", &mut errors);
        let full_name = if name.is_empty() {
            String::new()
        } else {
            parse_full_name(&name).unwrap_or_else(|m| {
                errors.push(err("full_name", m));
                String::new()
            })
        };
        let birth = required("birth_date", &self.birth_date, "ngày sinh", &mut errors);
        let birth_date = if birth.is_empty() {
            None
        } else {
            match parse_date(&birth) {
                Some(d) if d > today => {
                    errors.push(err("birth_date", "Ngày sinh không được sau ngày hôm nay."));
                    None
                }
                Some(d) if today.years_since(d).unwrap_or(0) < 14 => {
                    errors.push(err(
                        "birth_date",
                        "Người từ đủ 14 tuổi mới tự đăng ký tài khoản; người chưa đủ 14 tuổi do cha, mẹ hoặc người giám hộ thực hiện thủ tục.",
                    ));
                    None
                }
                Some(d) => Some(d),
                None => {
                    errors.push(err(
                        "birth_date",
                        "Ngày sinh cần theo dạng ngày/tháng/năm, ví dụ 02/09/1985.",
                    ));
                    None
                }
            }
        };
        let pid = required("personal_id", &self.personal_id, "số định danh cá nhân", &mut errors);
        let personal_id = if pid.is_empty() {
            None
        } else {
            let parsed = match birth_date {
                Some(b) => PersonalId::parse_for_birth(&pid, b),
                None => PersonalId::parse(&pid),
            };
            parsed.map_err(|m| errors.push(err("personal_id", m))).ok()
        };
        let phone = required("phone", &self.phone, "số điện thoại", &mut errors);
        let phone = if phone.is_empty() {
            None
        } else {
            parse_phone(&phone).map_err(|m| errors.push(err("phone", m))).ok()
        };
        let email = if self.email.trim().is_empty() {
            None
        } else {
            parse_email(&self.email).map_err(|m| errors.push(err("email", m))).ok()
        };
        if self.password.is_empty() {
            errors.push(err("password", "Chưa nhập mật khẩu."));
        } else {
            let facts: Vec<&str> = [
                Some(full_name.as_str()),
                personal_id.as_ref().map(PersonalId::as_str),
                phone.as_deref().map(|p| p.trim_start_matches("+84")),
                email.as_deref().and_then(|e| e.split('@').next()),
            ]
            .into_iter()
            .flatten()
            .collect();
            if let Some(m) = password::weakness(&self.password, &facts) {
                errors.push(err("password", m));
            } else if self.password != self.password_confirm {
                errors.push(err("password_confirm", "Mật khẩu nhập lại không khớp."));
            }
        }
        match (errors.is_empty(), personal_id, birth_date, phone) {
            (true, Some(personal_id), Some(birth_date), Some(phone)) => Ok(Registration {
                personal_id,
                full_name,
                birth_date,
                phone,
                email,
                password: self.password.clone(),
            }),
            _ => Err(errors),
        }
    }
}

/// An official as an administrator enters one (form, CSV row or API).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct OfficialForm {
    /// Login name.
    #[serde(default)]
    pub username: String,
    /// Full name.
    #[serde(default)]
    pub full_name: String,
    /// E-mail, where the activation link goes.
    #[serde(default)]
    pub email: String,
    /// Mobile phone (optional).
    #[serde(default)]
    pub phone: String,
    /// The official's agency code.
    #[serde(default)]
    pub agency_code: String,
    /// Roles, separated by spaces, commas or semicolons (e.g. `reception_officer leader`).
    #[serde(default)]
    pub roles: String,
}

/// A checked official.
#[derive(Debug, Clone)]
pub struct NewOfficial {
    /// Login name: lower-case letters, digits, dots, hyphens, underscores; 3–50.
    pub username: String,
    /// Full name.
    pub full_name: String,
    /// E-mail.
    pub email: String,
    /// `+84…`.
    pub phone: Option<String>,
    /// Agency.
    pub agency_code: String,
    /// Roles held in that agency and below.
    pub roles: Vec<Role>,
}

/// Parses a login name.
pub fn parse_username(s: &str) -> Result<String, String> {
    let u = s.trim().to_lowercase();
    let ok = (3..=50).contains(&u.len())
        && u.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_".contains(&b))
        && u.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    if ok {
        Ok(u)
    } else {
        Err("Tên đăng nhập từ 3 đến 50 ký tự, bắt đầu bằng chữ cái, gồm chữ thường không dấu, chữ số, dấu chấm, gạch nối, gạch dưới.".into())
    }
}

/// Parses a list of official roles, separated by commas, semicolons or spaces: each by its
/// name as pages show it ("Chuyên viên xử lý", any case) or its code (`processing_officer`,
/// as the CSV import and older forms write them).
pub fn parse_roles(s: &str) -> Result<Vec<Role>, String> {
    // Longest names first: a name may hold a comma ("Thanh tra, kiểm tra").
    let mut labels: Vec<(String, Role)> =
        Role::OFFICIAL.iter().map(|r| (r.label().to_lowercase(), *r)).collect();
    labels.sort_by_key(|(l, _)| std::cmp::Reverse(l.chars().count()));
    let text = s.to_lowercase();
    let mut rest = text.as_str();
    let mut roles = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c == ';' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        let named = labels.iter().find(|(l, _)| {
            rest.starts_with(l.as_str())
                && rest[l.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c == ',' || c == ';' || c.is_whitespace())
        });
        let (role, len) = match named {
            Some((l, r)) => (Some(*r), l.len()),
            None => {
                let len = rest
                    .find(|c: char| c == ',' || c == ';' || c.is_whitespace())
                    .unwrap_or(rest.len());
                (Role::parse(&rest[..len]).filter(|r| Role::OFFICIAL.contains(r)), len)
            }
        };
        match role {
            Some(r) if !roles.contains(&r) => roles.push(r),
            Some(_) => {}
            None => {
                return Err(format!(
                    "Vai trò “{}” không có. Các vai trò: {}.",
                    rest[..len].chars().take(40).collect::<String>(),
                    Role::OFFICIAL.iter().map(|r| r.label()).collect::<Vec<_>>().join("; ")
                ))
            }
        }
        rest = &rest[len..];
    }
    if roles.is_empty() {
        return Err("Cần ít nhất một vai trò.".into());
    }
    Ok(roles)
}

impl OfficialForm {
    /// Checks every field; `agency_exists` says whether an agency code is in the catalog.
    pub fn parse(&self, agency_exists: bool) -> Result<NewOfficial, Vec<FieldError>> {
        let mut errors = Vec::new();
        let username =
            parse_username(&self.username).map_err(|m| errors.push(err("username", m))).ok();
        let full_name =
            parse_full_name(&self.full_name).map_err(|m| errors.push(err("full_name", m))).ok();
        let email = parse_email(&self.email).map_err(|m| errors.push(err("email", m))).ok();
        let phone = if self.phone.trim().is_empty() {
            None
        } else {
            parse_phone(&self.phone).map_err(|m| errors.push(err("phone", m))).ok()
        };
        let agency = self.agency_code.trim().to_string();
        if agency.is_empty() {
            errors.push(err("agency_code", "Chưa chọn cơ quan."));
        } else if !agency_exists {
            errors.push(err(
                "agency_code",
                format!("Không có cơ quan mã “{agency}” trong danh mục cơ quan."),
            ));
        }
        let roles = parse_roles(&self.roles).map_err(|m| errors.push(err("roles", m))).ok();
        match (username, full_name, email, roles) {
            (Some(username), Some(full_name), Some(email), Some(roles)) if errors.is_empty() => {
                Ok(NewOfficial { username, full_name, email, phone, agency_code: agency, roles })
            }
            _ => Err(errors),
        }
    }
}

/// A business a citizen registers and acts for.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct BusinessForm {
    /// Enterprise code.
    #[serde(default)]
    pub tax_code: String,
    /// Registered name.
    #[serde(default)]
    pub name: String,
    /// Legal representative.
    #[serde(default)]
    pub legal_representative: String,
    /// The person's relation: `legal_representative` or `authorised`.
    #[serde(default)]
    pub relation: String,
}

/// A checked business registration.
#[derive(Debug, Clone)]
pub struct NewBusiness {
    /// Enterprise code.
    pub tax_code: TaxCode,
    /// Name.
    pub name: String,
    /// Legal representative.
    pub legal_representative: String,
    /// Relation of the registering person.
    pub relation: String,
}

impl BusinessForm {
    /// Checks every field.
    pub fn parse(&self) -> Result<NewBusiness, Vec<FieldError>> {
        let mut errors = Vec::new();
        let tax_code =
            TaxCode::parse(&self.tax_code).map_err(|m| errors.push(err("tax_code", m))).ok();
        let name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.chars().count() < 3 || name.chars().count() > 300 {
            errors.push(err("name", "Tên doanh nghiệp cần từ 3 đến 300 ký tự."));
        }
        let legal_representative = parse_full_name(&self.legal_representative)
            .map_err(|m| errors.push(err("legal_representative", m)))
            .ok();
        let relation = match self.relation.as_str() {
            "legal_representative" | "authorised" => self.relation.clone(),
            _ => {
                errors.push(err(
                    "relation",
                    "Chọn quan hệ với doanh nghiệp: người đại diện theo pháp luật hoặc người được uỷ quyền.",
                ));
                String::new()
            }
        };
        match (tax_code, legal_representative) {
            (Some(tax_code), Some(legal_representative)) if errors.is_empty() => {
                Ok(NewBusiness { tax_code, name, legal_representative, relation })
            }
            _ => Err(errors),
        }
    }
}

/// What a person typed as their login: the ID number, phone, e-mail or an official's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginId {
    /// 12 digits.
    PersonalId(String),
    /// `+84…`.
    Phone(String),
    /// Lower case.
    Email(String),
    /// Officials.
    Username(String),
}

impl LoginId {
    /// Reads a login as typed.
    pub fn parse(s: &str) -> Option<LoginId> {
        let t = s.trim();
        if t.is_empty() || t.len() > 254 {
            return None;
        }
        let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
        if digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Some(LoginId::PersonalId(digits));
        }
        if t.contains('@') {
            return parse_email(t).ok().map(LoginId::Email);
        }
        if t.starts_with('+') || t.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            return parse_phone(t).ok().map(LoginId::Phone);
        }
        parse_username(t).ok().map(LoginId::Username)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_read_by_their_names_as_pages_show_them_or_by_their_codes() {
        assert_eq!(
            parse_roles("Chuyên viên xử lý, lãnh đạo, Thanh tra, kiểm tra"),
            Ok(vec![Role::ProcessingOfficer, Role::Leader, Role::Auditor])
        );
        assert_eq!(
            parse_roles("reception_officer;clerk leader"),
            Ok(vec![Role::ReceptionOfficer, Role::Clerk, Role::Leader])
        );
        let e = parse_roles("Chuyên viên, leader").expect_err("no such role");
        assert!(e.contains("“chuyên”") && e.contains("Chuyên viên xử lý"), "{e}");
        assert!(parse_roles(" , ").is_err());
    }

    fn form() -> RegistrationForm {
        RegistrationForm {
            personal_id: "094085012345".into(),
            full_name: "Nguyễn Văn An".into(),
            birth_date: "02/09/1985".into(),
            phone: "0912 345 678".into(),
            email: "An.Nguyen@Example.vn".into(),
            password: "Cầu Quay Sóc Trăng 1937!".into(),
            password_confirm: "Cầu Quay Sóc Trăng 1937!".into(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
    }

    #[test]
    fn a_complete_registration_parses_into_normalised_values() {
        let r = form().parse(today()).expect("valid");
        assert_eq!(r.personal_id.as_str(), "094085012345");
        assert_eq!(r.phone, "+84912345678");
        assert_eq!(r.email.as_deref(), Some("an.nguyen@example.vn"));
    }

    #[test]
    fn every_problem_of_a_registration_is_reported_at_once() {
        let f = RegistrationForm {
            personal_id: "123".into(),
            full_name: String::new(),
            birth_date: "31/02/1990".into(),
            phone: "12345".into(),
            email: "khong-phai-thu".into(),
            password: "123456".into(),
            password_confirm: String::new(),
        };
        let errors = f.parse(today()).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["full_name", "birth_date", "personal_id", "phone", "email", "password"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn an_id_number_that_contradicts_the_birth_year_is_refused() {
        let mut f = form();
        f.personal_id = "094090012345".into();
        let errors = f.parse(today()).expect_err("invalid");
        assert_eq!(errors[0].field, "personal_id");
    }

    #[test]
    fn children_under_fourteen_cannot_register_themselves() {
        let mut f = form();
        f.birth_date = "01/01/2015".into();
        f.personal_id = "094215012345".into();
        assert!(f.parse(today()).is_err());
    }

    #[test]
    fn logins_are_recognised_by_their_shape() {
        assert_eq!(
            LoginId::parse("094 085 012 345"),
            Some(LoginId::PersonalId("094085012345".into()))
        );
        assert_eq!(LoginId::parse("0912345678"), Some(LoginId::Phone("+84912345678".into())));
        assert_eq!(LoginId::parse("An@Example.vn"), Some(LoginId::Email("an@example.vn".into())));
        assert_eq!(LoginId::parse("cb.tiepnhan"), Some(LoginId::Username("cb.tiepnhan".into())));
        assert_eq!(LoginId::parse(""), None);
    }

    #[test]
    fn an_official_needs_known_roles_and_agency() {
        let f = OfficialForm {
            username: "cb.tiepnhan".into(),
            full_name: "Lê Thị Hoa".into(),
            email: "hoa@soctrang.gov.vn".into(),
            phone: String::new(),
            agency_code: "000.00.03.H51".into(),
            roles: "reception_officer, leader".into(),
        };
        let o = f.parse(true).expect("valid");
        assert_eq!(o.roles, vec![Role::ReceptionOfficer, Role::Leader]);
        assert!(f.parse(false).is_err());
        let mut bad = f;
        bad.roles = "citizen".into();
        assert!(bad.parse(true).is_err());
    }
}
