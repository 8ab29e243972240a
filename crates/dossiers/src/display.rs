//! E-form values as a person reads them, on every page and document that shows them (the
//! review before filing, the applicant's and the official's dossier pages, the generated
//! result): a catalog choice by its name ("Nam", "Việt Nam", "Kinh"), an administrative unit
//! by its name, a date as `dd/mm/yyyy`, an address as street, commune and province, a phone
//! number as dialled in Vietnam, a decimal with a comma. Drafts hold values as typed and
//! submitted dossiers hold them checked; both read the same.

use chrono::NaiveDate;
use cqdt_procedures::model::{FieldType, FormField};
use serde_json::Value;

use crate::address::AdminUnits;
use crate::form::address_keys;
use crate::form::CatalogValues;

/// The catalog of administrative units, which e-form choices may name by unit code.
const ADMIN_UNITS: &str = "admin-units";

/// What a display needs besides the values: the catalogs' names and the units in force.
#[derive(Clone, Copy)]
pub struct Labels<'a> {
    /// Names of catalog entries, by catalog and code.
    pub catalogs: &'a CatalogValues,
    /// Administrative units in force.
    pub units: &'a AdminUnits,
}

impl Labels<'_> {
    /// A field's value as a person reads it; `None` when the field was left empty.
    pub fn value(&self, f: &FormField, form: &Value) -> Option<String> {
        let get = |k: &str| {
            let v = form.get(k)?;
            let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            Some(text.trim().to_string()).filter(|t| !t.is_empty())
        };
        if f.kind == FieldType::Address {
            let (tinh, xa, _) = address_keys(&f.key);
            if let Some(commune) = get(&xa) {
                return Some(self.address(
                    get(&f.key).as_deref().unwrap_or(""),
                    get(&tinh),
                    &commune,
                ));
            }
        }
        let raw = get(&f.key)?;
        Some(match f.kind {
            FieldType::Choice => match f.catalog.as_deref() {
                Some(ADMIN_UNITS) => self.units.name_of(&raw).map(str::to_string).unwrap_or(raw),
                Some(c) => self.catalog_name(c, &raw).unwrap_or(raw),
                None => raw,
            },
            FieldType::Date => NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
                .map(cqdt_platform::clock::format_date_vn)
                .unwrap_or(raw),
            FieldType::Phone => phone_text(&raw),
            FieldType::Number => raw.replace('.', ","),
            _ => raw,
        })
    }

    /// The e-form as label and value, in the procedure's order, empty fields left out.
    pub fn rows(&self, fields: &[FormField], form: &Value) -> Vec<(String, String)> {
        fields.iter().filter_map(|f| Some((f.label.clone(), self.value(f, form)?))).collect()
    }

    fn catalog_name(&self, catalog: &str, code: &str) -> Option<String> {
        let entries = self.catalogs.get(catalog)?;
        entries.iter().find(|(c, _)| c == code).map(|(_, name)| name.clone())
    }

    /// A draft's address (street typed, province and commune chosen) written whole.
    fn address(&self, street: &str, province: Option<String>, commune: &str) -> String {
        let province = province.or_else(|| self.units.home.clone()).unwrap_or_default();
        let unit = self.units.get(&province);
        match (unit, self.units.find_commune(&province, commune)) {
            (Some(p), Some(c)) => crate::address::compose(street, &c, p),
            _ => [street, commune]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

pub use cqdt_platform::filters::phone_text;

impl crate::model::Dossier {
    /// The applicant's phone as people write it.
    pub fn phone_shown(&self) -> Option<String> {
        self.applicant_phone.as_deref().map(phone_text)
    }

    /// Where the dossier was filed, in words, with the national portal's code for one filed
    /// there (the applicant follows it there, and asks about it by that code).
    pub fn channel(&self) -> String {
        let account = &self.applicant_account;
        if let Some(code) = account.strip_prefix(crate::service::portal::PORTAL_ACCOUNT) {
            format!("Cổng Dịch vụ công quốc gia, mã hồ sơ trên Cổng {code}")
        } else if account.starts_with("quay:") {
            "Trực tiếp tại bộ phận một cửa".into()
        } else {
            "Trực tuyến trên cổng dịch vụ công của tỉnh".into()
        }
    }
}

/// Who did a step, as the dossier's pages name them: the applicant by name (an applicant
/// acts under an account key, `account:<id>`), the platform's own steps as "Hệ thống",
/// officials by their user name.
pub fn actor_text(actor: &str, d: &crate::model::Dossier) -> String {
    match actor.strip_prefix("account:") {
        Some(id) if id == d.applicant_account => d.applicant_name.clone(),
        Some(_) => "Người nộp hồ sơ".into(),
        None if actor == "system" => "Hệ thống".into(),
        None => actor.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::AdminUnit;

    fn field(key: &str, kind: &str, catalog: Option<&str>) -> FormField {
        serde_json::from_value(serde_json::json!({
            "key": key, "label": key, "type": kind, "catalog": catalog,
        }))
        .expect("field")
    }

    #[test]
    fn codes_dates_phones_and_addresses_read_as_words() {
        let mut catalogs = CatalogValues::new();
        catalogs
            .insert("genders".into(), vec![("1".into(), "Nam".into()), ("2".into(), "Nữ".into())]);
        catalogs.insert("nationalities".into(), vec![("VN".into(), "Việt Nam".into())]);
        let unit = |code: &str, name: &str, parent: Option<&str>, level| AdminUnit {
            code: code.into(),
            name: name.into(),
            parent: parent.map(Into::into),
            level,
        };
        let units = AdminUnits::new(
            vec![
                unit("92", "Thành phố Cần Thơ", None, 1),
                unit("31507", "Phường Sóc Trăng", Some("92"), 3),
            ],
            Some("92".into()),
        )
        .with_former(vec![("94".into(), "Tỉnh Sóc Trăng".into())]);
        let labels = Labels { catalogs: &catalogs, units: &units };
        let form = serde_json::json!({
            "gender": "2", "nationality": "VN", "born": "1985-09-02", "typed": "02/09/1985",
            "phone": "+84912000123", "home": "Số 12 Trần Hưng Đạo", "home__xa": "Phường Sóc Trăng",
            "hometown": "94", "area": "45.5", "other": "XX",
        });
        let fields = [
            field("gender", "choice", Some("genders")),
            field("nationality", "choice", Some("nationalities")),
            field("born", "date", None),
            field("typed", "date", None),
            field("phone", "phone", None),
            field("home", "address", None),
            field("hometown", "choice", Some("admin-units")),
            field("area", "number", None),
            field("other", "choice", Some("religions")),
            field("empty", "text", None),
        ];
        let shown: Vec<String> = labels.rows(&fields, &form).into_iter().map(|r| r.1).collect();
        assert_eq!(
            shown,
            [
                "Nữ",
                "Việt Nam",
                "02/09/1985",
                "02/09/1985",
                "0912000123",
                "Số 12 Trần Hưng Đạo, Phường Sóc Trăng, Thành phố Cần Thơ",
                "Tỉnh Sóc Trăng",
                "45,5",
                "XX",
            ]
        );
    }
}
