//! The e-form an applicant fills, checked field by field against the procedure's definition:
//! types (personal ID, tax code, phone, e-mail, date, number, choice), required fields,
//! lengths and ranges. Every problem is reported at once, in Vietnamese, by field key.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cqdt_platform::{FieldError, PersonalId, TaxCode};
use cqdt_procedures::model::{FieldType, FormField};

use crate::address::{compose, AdminUnits};

/// Values of shared catalogs that choice fields may name (catalog → (code, name)).
pub type CatalogValues = BTreeMap<String, Vec<(String, String)>>;

/// Checked values, by field key, normalised (IDs without spaces, phones as `+84…`, dates as
/// `YYYY-MM-DD`). Empty optional fields are left out.
pub type FormValues = BTreeMap<String, String>;

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: field.to_string(), message: message.into() }
}

/// The most characters any field may hold, whatever its procedure says.
const FIELD_CEILING: usize = 10_000;

/// The most characters an address's province or commune part may hold (a code or a name).
const PART_LIMIT: usize = 200;

/// The most characters a field's value may hold, at submission and in a draft alike: the
/// procedure's `max_length` for text (at most 10 000), or a limit that suits the type.
pub fn length_limit(f: &FormField) -> usize {
    let default = match f.kind {
        FieldType::Text => 500,
        FieldType::Address => 300,
        FieldType::Textarea => 5000,
        FieldType::Email => 254,
        FieldType::Choice => 500,
        FieldType::Number
        | FieldType::Date
        | FieldType::PersonalId
        | FieldType::TaxCode
        | FieldType::Phone => 50,
    };
    match f.kind {
        FieldType::Text | FieldType::Address | FieldType::Textarea => {
            f.max_length.map_or(default, |m| m as usize).min(FIELD_CEILING)
        }
        _ => default,
    }
}

/// The keys a field's value travels under, each with the most characters it may hold: the
/// field's own, and an address's province and commune beside it.
pub fn keys_with_limits(f: &FormField) -> Vec<(String, usize)> {
    let mut keys = vec![(f.key.clone(), length_limit(f))];
    if f.kind == FieldType::Address {
        let (tinh, xa, _) = address_keys(&f.key);
        keys.extend([(tinh, PART_LIMIT), (xa, PART_LIMIT)]);
    }
    keys
}

/// What a draft may not hold either: values longer than their field allows (the e-form's
/// `max_length`, or the type's limit). Everything else may wait until submission.
pub fn check_lengths(form: &[FormField], submitted: &BTreeMap<String, String>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for f in form {
        let too_long = keys_with_limits(f).into_iter().find_map(|(k, limit)| {
            let v = submitted.get(&k)?;
            (v.trim().chars().count() > limit).then_some(limit)
        });
        if let Some(limit) = too_long {
            errors.push(err(&f.key, format!("{}: Tối đa {limit} ký tự.", f.label)));
        }
    }
    errors
}

fn check_one(
    f: &FormField,
    raw: &str,
    catalogs: &CatalogValues,
    today: NaiveDate,
) -> Result<String, String> {
    let v = raw.trim();
    match f.kind {
        FieldType::Text | FieldType::Address => {
            if v.chars().any(char::is_control) {
                return Err("Không được có ký tự điều khiển.".into());
            }
            Ok(v.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        FieldType::Textarea => Ok(v.to_string()),
        FieldType::Number => {
            let n: f64 = v
                .replace(',', ".")
                .parse()
                .map_err(|_| "Cần nhập một số, ví dụ 120 hoặc 45,5.".to_string())?;
            if !n.is_finite() {
                return Err("Cần nhập một số.".into());
            }
            if let Some(min) = f.min {
                if n < min {
                    return Err(format!("Không nhỏ hơn {min}."));
                }
            }
            if let Some(max) = f.max {
                if n > max {
                    return Err(format!("Không lớn hơn {max}."));
                }
            }
            Ok(n.to_string())
        }
        FieldType::Date => {
            let d = NaiveDate::parse_from_str(v, "%d/%m/%Y")
                .or_else(|_| NaiveDate::parse_from_str(v, "%Y-%m-%d"))
                .map_err(|_| date_refusal(v))?;
            if d.year_ce().1 < 1900 {
                return Err(format!("{v}: năm trước 1900, hãy kiểm tra lại."));
            }
            if d > today.checked_add_days(chrono::Days::new(3660)).unwrap_or(today) {
                return Err(format!("{v}: quá 10 năm sau hôm nay, hãy kiểm tra lại."));
            }
            Ok(d.format("%Y-%m-%d").to_string())
        }
        FieldType::Choice => {
            let allowed: Vec<String> = match &f.catalog {
                Some(c) => catalogs
                    .get(c)
                    .map(|vals| vals.iter().map(|(code, _)| code.clone()).collect())
                    .unwrap_or_default(),
                None => f.options.clone(),
            };
            // A catalog this instance does not hold is checked for shape only.
            if allowed.is_empty() && f.catalog.is_some() {
                return Ok(v.to_string());
            }
            if allowed.iter().any(|a| a == v) {
                Ok(v.to_string())
            } else {
                Err("Hãy chọn một giá trị trong danh sách.".into())
            }
        }
        FieldType::PersonalId => PersonalId::parse(v).map(|p| p.as_str().to_string()),
        FieldType::TaxCode => TaxCode::parse(v).map(|t| t.as_str().to_string()),
        FieldType::Phone => cqdt_notify::parse_vn_phone(v)
            .map_err(|_| "Số điện thoại di động không hợp lệ (ví dụ 0912 345 678).".to_string()),
        FieldType::Email => cqdt_notify::parse_email(v)
            .map(|e| e.to_lowercase())
            .map_err(|_| "Địa chỉ thư điện tử không hợp lệ.".to_string()),
    }
}

use chrono::Datelike;

/// Why a date as typed is refused: a day that does not exist ("31/02/1985"), or not a date
/// written day/month/year at all.
fn date_refusal(v: &str) -> String {
    let parts: Vec<&str> = v.split('/').collect();
    let numbers: Option<Vec<u32>> = parts.iter().map(|p| p.trim().parse().ok()).collect();
    match numbers.as_deref() {
        Some([_, month, _]) if parts[2].trim().len() == 4 => {
            if (1..=12).contains(month) {
                format!("{v} không phải ngày có thật.")
            } else {
                format!("{v} không phải ngày có thật: không có tháng {month}.")
            }
        }
        _ => "Ngày cần theo dạng ngày/tháng/năm, ví dụ 02/09/2020.".into(),
    }
}

/// The keys an address field's parts travel under: the province and the commune (code or
/// label) beside the street typed in the field itself; the checked commune code is stored
/// under the last.
pub fn address_keys(key: &str) -> (String, String, String) {
    (format!("{key}__tinh"), format!("{key}__xa"), format!("{key}__ma"))
}

/// Checks an address: street, and a commune of the chosen province (home by default).
fn check_address(
    f: &FormField,
    submitted: &BTreeMap<String, String>,
    units: &AdminUnits,
    out: &mut FormValues,
) -> Result<(), String> {
    let get = |k: &str| submitted.get(k).map(|v| v.trim()).unwrap_or("");
    let (tinh, xa, ma) = address_keys(&f.key);
    let street = get(&f.key);
    if street.chars().count() > length_limit(f) || street.chars().any(char::is_control) {
        return Err(format!(
            "Số nhà, đường tối đa {} ký tự, không có ký tự điều khiển.",
            length_limit(f)
        ));
    }
    let province_code = match get(&tinh) {
        "" => units.home.clone().unwrap_or_default(),
        p => p.to_string(),
    };
    let province = units
        .get(&province_code)
        .filter(|u| u.level == 1)
        .ok_or_else(|| "Hãy chọn tỉnh, thành phố trong danh sách.".to_string())?;
    let commune = units.find_commune(&province.code, get(&xa)).ok_or_else(|| {
        if get(&xa).is_empty() {
            "Chưa chọn xã, phường.".to_string()
        } else {
            format!(
                "Không có xã, phường “{}” thuộc {}; hãy chọn trong danh sách.",
                get(&xa).chars().take(80).collect::<String>(),
                province.name
            )
        }
    })?;
    if street.is_empty() {
        return Err("Chưa nhập số nhà, đường hoặc ấp, khóm.".into());
    }
    out.insert(f.key.clone(), compose(street, &commune, province));
    out.insert(ma, commune.code);
    Ok(())
}

/// Checks submitted values against a form: first their lengths (as a draft's), then each
/// field by its type. Unknown keys are ignored.
pub fn check(
    form: &[FormField],
    submitted: &BTreeMap<String, String>,
    catalogs: &CatalogValues,
    units: &AdminUnits,
    today: NaiveDate,
) -> Result<FormValues, Vec<FieldError>> {
    let mut out = FormValues::new();
    let mut errors = Vec::new();
    let too_long = check_lengths(form, submitted);
    for f in form {
        if let Some(e) = too_long.iter().find(|e| e.field == f.key) {
            errors.push(e.clone());
            continue;
        }
        if f.kind == FieldType::Address && !units.is_empty() {
            let (_, xa, _) = address_keys(&f.key);
            let blank =
                [&f.key, &xa].iter().all(|k| submitted.get(*k).is_none_or(|v| v.trim().is_empty()));
            if blank {
                if f.required {
                    errors.push(err(&f.key, format!("Chưa nhập “{}”.", f.label)));
                }
                continue;
            }
            if let Err(m) = check_address(f, submitted, units, &mut out) {
                errors.push(err(&f.key, format!("{}: {m}", f.label)));
            }
            continue;
        }
        let raw = submitted.get(&f.key).map(String::as_str).unwrap_or("");
        if raw.trim().is_empty() {
            if f.required {
                // A list is chosen from, not typed in.
                let verb =
                    if f.kind == FieldType::Choice { "Chưa chọn" } else { "Chưa nhập" };
                errors.push(err(&f.key, format!("{verb} “{}”.", f.label)));
            }
            continue;
        }
        match check_one(f, raw, catalogs, today) {
            Ok(v) => {
                out.insert(f.key.clone(), v);
            }
            Err(m) => errors.push(err(&f.key, format!("{}: {m}", f.label))),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Values to put in the form before the applicant types: what the account already knows.
/// The applicant's own address goes into the picker's parts where the units in force allow.
pub fn prefill(
    form: &[FormField],
    facts: &BTreeMap<&str, String>,
    units: &AdminUnits,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in form {
        let own_address = matches!(
            f.key.as_str(),
            "address"
                | "residence_address"
                | "permanent_address"
                | "applicant_address"
                | "requester_address"
                | "owner_address"
        );
        if own_address && f.kind == FieldType::Address {
            let Some(text) = facts.get("address") else {
                continue;
            };
            if units.is_empty() {
                out.insert(f.key.clone(), text.clone());
                continue;
            }
            let split = units.split(text);
            let (tinh, xa, _) = address_keys(&f.key);
            out.insert(f.key.clone(), split.street);
            if let Some(p) = split.province {
                out.insert(tinh, p);
            }
            if let Some(c) = split.commune {
                out.insert(xa, c);
            }
            continue;
        }
        let source = match (f.key.as_str(), f.kind) {
            (
                "full_name" | "owner_full_name" | "requester_full_name" | "applicant_full_name",
                _,
            ) => "name",
            (
                "personal_id"
                | "owner_personal_id"
                | "requester_personal_id"
                | "applicant_personal_id",
                _,
            ) => "personal_id",
            ("phone" | "requester_phone" | "contact_phone" | "applicant_phone", _) => "phone",
            ("email" | "contact_email" | "applicant_email", _) => "email",
            ("date_of_birth" | "applicant_date_of_birth", _) => "birth_date",
            _ => continue,
        };
        if let Some(v) = facts.get(source) {
            out.insert(f.key.clone(), v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str, kind: &str, required: bool) -> FormField {
        serde_json::from_value(
            serde_json::json!({"key": key, "label": key, "type": kind, "required": required}),
        )
        .expect("field")
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
    }

    /// Checks the submitted key–value pairs against `form`, with no catalogs or
    /// administrative units.
    fn check_plain(
        form: &[FormField],
        submitted: &[(&str, &str)],
    ) -> Result<FormValues, Vec<FieldError>> {
        let submitted: BTreeMap<String, String> =
            submitted.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        check(form, &submitted, &CatalogValues::new(), &AdminUnits::default(), today())
    }

    #[test]
    fn typed_values_are_checked_and_normalised() {
        let form = vec![
            field("pid", "personal_id", true),
            field("tax", "tax_code", false),
            field("phone", "phone", true),
            field("born", "date", true),
            field("area", "number", false),
        ];
        let submitted = [
            ("pid", "094 085 000 123"),
            ("tax", "0300588569"),
            ("phone", "0912 345 678"),
            ("born", "02/09/1985"),
            ("area", "45,5"),
        ];
        let v = check_plain(&form, &submitted).expect("valid");
        assert_eq!(v["pid"], "094085000123");
        assert_eq!(v["phone"], "+84912345678");
        assert_eq!(v["born"], "1985-09-02");
        assert_eq!(v["area"], "45.5");
    }

    #[test]
    fn every_error_is_reported_by_its_key() {
        let form = vec![
            field("pid", "personal_id", true),
            field("tax", "tax_code", true),
            field("name", "text", true),
            field("born", "date", false),
        ];
        let submitted = [("pid", "123"), ("tax", "0300588568"), ("born", "30/02/2000")];
        let e = check_plain(&form, &submitted).expect_err("invalid");
        let keys: Vec<&str> = e.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(keys, vec!["pid", "tax", "name", "born"]);
    }

    #[test]
    fn an_error_says_what_is_wrong_with_a_date_and_that_a_list_was_not_chosen_from() {
        let mut gender = field("gender", "choice", true);
        gender.options = vec!["Nam".into(), "Nữ".into()];
        let form = vec![field("a", "date", true), field("b", "date", true), gender];
        let messages = |a: &str, b: &str| -> Vec<String> {
            let e = check_plain(&form, &[("a", a), ("b", b)]).expect_err("invalid");
            e.into_iter().map(|x| x.message).collect()
        };
        let m = messages("31/02/1985", "12/13/1985");
        assert_eq!(m[0], "a: 31/02/1985 không phải ngày có thật.");
        assert_eq!(m[1], "b: 12/13/1985 không phải ngày có thật: không có tháng 13.");
        assert_eq!(m[2], "Chưa chọn “gender”.");
        let m = messages("hôm qua", "01/01/1800");
        assert_eq!(m[0], "a: Ngày cần theo dạng ngày/tháng/năm, ví dụ 02/09/2020.");
        assert_eq!(m[1], "b: 01/01/1800: năm trước 1900, hãy kiểm tra lại.");
    }

    #[test]
    fn choices_come_from_the_list_or_the_catalog() {
        let mut f = field("gender", "choice", true);
        f.catalog = Some("genders".into());
        let mut cats = CatalogValues::new();
        cats.insert("genders".into(), vec![("1".into(), "Nam".into()), ("2".into(), "Nữ".into())]);
        let ok: BTreeMap<String, String> = [("gender".to_string(), "2".to_string())].into();
        assert!(
            check(std::slice::from_ref(&f), &ok, &cats, &AdminUnits::default(), today()).is_ok()
        );
        let bad: BTreeMap<String, String> = [("gender".to_string(), "9".to_string())].into();
        assert!(check(&[f], &bad, &cats, &AdminUnits::default(), today()).is_err());
    }

    #[test]
    fn a_value_longer_than_its_field_allows_is_refused_in_a_draft_and_at_submission() {
        let mut name = field("name", "text", true);
        name.max_length = Some(100);
        let note = field("note", "text", false);
        let phone = field("phone", "phone", false);
        let form = vec![name, note, phone, field("home", "address", false)];
        let mega = "a".repeat(1_000_000);
        let submitted: BTreeMap<String, String> = [
            ("name", mega.as_str()),
            ("note", &mega[..501]),
            ("phone", &mega[..51]),
            ("home", "Số 1"),
            ("home__xa", &mega[..201]),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let e = check_lengths(&form, &submitted);
        let got: Vec<(&str, &str)> =
            e.iter().map(|x| (x.field.as_str(), x.message.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("name", "name: Tối đa 100 ký tự."),
                ("note", "note: Tối đa 500 ký tự."),
                ("phone", "phone: Tối đa 50 ký tự."),
                ("home", "home: Tối đa 200 ký tự."),
            ]
        );
        let at_submission =
            check(&form, &submitted, &CatalogValues::new(), &AdminUnits::default(), today())
                .expect_err("too long");
        assert_eq!(at_submission, e);
        let fine: BTreeMap<String, String> =
            [("name".to_string(), format!(" {} ", "a".repeat(100)))].into();
        assert!(check_lengths(&form, &fine).is_empty());
    }
}
