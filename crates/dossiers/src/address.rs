//! Addresses in e-forms: a province, a commune-level unit chosen from the administrative-unit
//! catalog in force, and the house number and street typed by the applicant. Works with the
//! three-tier list (province → district → commune) and with the two-tier one that follows
//! the 2025 reorganisation (province → commune).

use std::collections::HashMap;

use cqdt_platform::web::fold;
use serde::Serialize;

/// One administrative unit in force.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminUnit {
    /// Code (QĐ 124/2004 list, e.g. `31507`).
    pub code: String,
    /// Name (e.g. `Phường Sóc Trăng`).
    pub name: String,
    /// The unit above, if any.
    pub parent: Option<String>,
    /// 1 province, 2 district, 3 commune.
    pub level: i64,
}

/// A commune-level unit as an applicant picks it: code and the label shown
/// (`Phường 5, Thành phố Sóc Trăng`, or just `Phường Sóc Trăng` in a two-tier province).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CommuneChoice {
    /// Unit code.
    pub code: String,
    /// Label with the district, where there is one.
    pub label: String,
}

/// The units in force, indexed for the picker. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct AdminUnits {
    units: Vec<AdminUnit>,
    by_code: HashMap<String, usize>,
    /// Each province's commune-level units, sorted by label, with folded label and name:
    /// built once, because every address a form checks searches them.
    communes: HashMap<String, Vec<Commune>>,
    /// The province the instance serves, offered first.
    pub home: Option<String>,
    /// Names of units no longer in force, by code.
    former: HashMap<String, String>,
}

#[derive(Debug)]
struct Commune {
    choice: CommuneChoice,
    label_folded: String,
    name_folded: String,
}

impl AdminUnits {
    /// Indexes units; `home` is the instance's own province code.
    pub fn new(units: Vec<AdminUnit>, home: Option<String>) -> Self {
        let mut by_code = HashMap::new();
        let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            by_code.insert(u.code.clone(), i);
            if let Some(p) = &u.parent {
                children.entry(p.as_str()).or_default().push(i);
            }
        }
        let kids = |code: &str| children.get(code).map(Vec::as_slice).unwrap_or(&[]).to_vec();
        let mut communes = HashMap::new();
        for province in units.iter().filter(|u| u.level == 1) {
            let mut list = Vec::new();
            let mut add = |c: &AdminUnit, label: String| {
                list.push(Commune {
                    label_folded: fold(&label),
                    name_folded: fold(&c.name),
                    choice: CommuneChoice { code: c.code.clone(), label },
                });
            };
            for i in kids(&province.code) {
                let u = &units[i];
                if u.level >= 3 {
                    add(u, u.name.clone());
                    continue;
                }
                for j in kids(&u.code) {
                    let c = &units[j];
                    add(c, format!("{}, {}", c.name, u.name));
                }
            }
            list.sort_by(|a, b| a.label_folded.cmp(&b.label_folded));
            communes.insert(province.code.clone(), list);
        }
        AdminUnits { units, by_code, communes, home, former: HashMap::new() }
    }

    /// The same, knowing the names of units no longer in force (code, name); the units in
    /// force keep theirs.
    pub fn with_former(mut self, names: Vec<(String, String)>) -> Self {
        self.former = names.into_iter().filter(|(c, _)| !self.by_code.contains_key(c)).collect();
        self
    }

    /// The name of a unit, in force or not.
    pub fn name_of(&self, code: &str) -> Option<&str> {
        self.get(code)
            .map(|u| u.name.as_str())
            .or_else(|| self.former.get(code).map(String::as_str))
    }

    /// Whether any unit is loaded (an instance without the catalog takes free text).
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// A unit by code.
    pub fn get(&self, code: &str) -> Option<&AdminUnit> {
        self.by_code.get(code).map(|i| &self.units[*i])
    }

    /// Provinces, the home province first, then by name.
    pub fn provinces(&self) -> Vec<&AdminUnit> {
        let mut v: Vec<&AdminUnit> = self.units.iter().filter(|u| u.level == 1).collect();
        v.sort_by_key(|u| (Some(&u.code) != self.home.as_ref(), fold(&u.name)));
        v
    }

    fn indexed(&self, province: &str) -> &[Commune] {
        self.communes.get(province).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The commune-level units of a province, by label.
    pub fn communes_of(&self, province: &str) -> Vec<CommuneChoice> {
        self.indexed(province).iter().map(|c| c.choice.clone()).collect()
    }

    /// The commune the applicant means by `text` in a province: the exact label, or a name
    /// that only one commune of the province has, ignoring case and diacritics.
    pub fn find_commune(&self, province: &str, text: &str) -> Option<CommuneChoice> {
        let text = text.trim();
        let wanted = fold(text);
        if wanted.is_empty() {
            return None;
        }
        let all = self.indexed(province);
        if let Some(c) = all.iter().find(|c| c.label_folded == wanted || c.choice.code == text) {
            return Some(c.choice.clone());
        }
        let mut by_name = all.iter().filter(|c| c.name_folded == wanted);
        match (by_name.next(), by_name.next()) {
            (Some(c), None) => Some(c.choice.clone()),
            _ => None,
        }
    }
}

/// An address written as one line, taken apart for the picker.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Split {
    /// The province, when the text names one in force.
    pub province: Option<String>,
    /// The commune's label, when the text names one in force in that province.
    pub commune: Option<String>,
    /// House number and street (or hamlet).
    pub street: String,
}

/// Folded name without the unit's kind, so that "tỉnh Sóc Trăng" matches "Sóc Trăng".
fn bare(s: &str) -> String {
    let f = fold(s);
    for prefix in ["thanh pho ", "tinh "] {
        if let Some(rest) = f.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    f
}

/// Whether a part of an address names an administrative unit rather than a street.
fn names_a_unit(part: &str) -> bool {
    let f = fold(part);
    [
        "phuong ",
        "xa ",
        "thi tran ",
        "quan ",
        "huyen ",
        "thi xa ",
        "thanh pho ",
        "tinh ",
        "tp ",
        "tp. ",
    ]
    .iter()
    .any(|p| f.starts_with(p))
}

impl AdminUnits {
    /// Takes apart an address written on one line (`Số 12 đường Trần Hưng Đạo, Phường Sóc
    /// Trăng, Thành phố Cần Thơ`) into province, commune and street, as far as the units in
    /// force allow: an address from before a reorganisation keeps its street and leaves the
    /// commune for the person to choose.
    pub fn split(&self, text: &str) -> Split {
        let mut parts: Vec<&str> =
            text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
        let named = parts.last().and_then(|last| {
            let wanted = bare(last);
            self.units.iter().find(|u| u.level == 1 && bare(&u.name) == wanted)
        });
        let province = match named {
            Some(p) => {
                parts.pop();
                Some(p.code.clone())
            }
            None => self.home.clone(),
        };
        if let Some(code) = &province {
            for take in [2, 1] {
                if parts.len() < take {
                    continue;
                }
                let tail = parts[parts.len() - take..].join(", ");
                if let Some(c) = self.find_commune(code, &tail) {
                    parts.truncate(parts.len() - take);
                    return Split { province, commune: Some(c.label), street: parts.join(", ") };
                }
            }
        }
        let street: Vec<&str> = parts.iter().take_while(|p| !names_a_unit(p)).copied().collect();
        Split { province: named.map(|p| p.code.clone()), commune: None, street: street.join(", ") }
    }
}

/// The address a form stores: street, commune label and province name, and the unit code.
pub fn compose(street: &str, commune: &CommuneChoice, province: &AdminUnit) -> String {
    let street = street.split_whitespace().collect::<Vec<_>>().join(" ");
    if street.is_empty() {
        format!("{}, {}", commune.label, province.name)
    } else {
        format!("{street}, {}, {}", commune.label, province.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, name: &str, parent: Option<&str>, level: i64) -> AdminUnit {
        AdminUnit { code: code.into(), name: name.into(), parent: parent.map(Into::into), level }
    }

    fn sample() -> AdminUnits {
        AdminUnits::new(
            vec![
                unit("92", "Thành phố Cần Thơ", None, 1),
                unit("31507", "Phường Sóc Trăng", Some("92"), 3),
                unit("31528", "Xã Kế Sách", Some("92"), 3),
                unit("01", "Thành phố Hà Nội", None, 1),
                unit("001", "Quận Ba Đình", Some("01"), 2),
                unit("00001", "Phường Phúc Xá", Some("001"), 3),
                unit("002", "Quận Hoàn Kiếm", Some("01"), 2),
                unit("00037", "Phường Phúc Tân", Some("002"), 3),
            ],
            Some("92".into()),
        )
    }

    #[test]
    fn a_one_line_address_is_taken_apart_for_the_picker() {
        let units = sample();
        // The text, then the province, commune and street it splits into, and why.
        let cases = [
            (
                "Số 12 đường Trần Hưng Đạo, Phường Sóc Trăng, Thành phố Cần Thơ",
                Some("92"),
                Some("Phường Sóc Trăng"),
                "Số 12 đường Trần Hưng Đạo",
                "a commune and its province",
            ),
            (
                "Số 3, ngõ 5, Phường Phúc Xá, Quận Ba Đình, Hà Nội",
                Some("01"),
                Some("Phường Phúc Xá, Quận Ba Đình"),
                "Số 3, ngõ 5",
                "a three-tier label, and a province named without its kind",
            ),
            (
                "Số 12 đường Trần Hưng Đạo, Phường 2, thành phố Sóc Trăng, tỉnh Sóc Trăng",
                None,
                None,
                "Số 12 đường Trần Hưng Đạo",
                "before the 2025 reorganisation: the street survives, the commune is chosen again",
            ),
            (
                "Ấp 3, Xã Kế Sách",
                Some("92"),
                Some("Xã Kế Sách"),
                "Ấp 3",
                "no province: the home province",
            ),
        ];
        for (text, province, commune, street, why) in cases {
            let expected = Split {
                province: province.map(Into::into),
                commune: commune.map(Into::into),
                street: street.into(),
            };
            assert_eq!(units.split(text), expected, "{why}");
        }
    }

    #[test]
    fn the_home_province_comes_first() {
        let u = sample();
        let names: Vec<&str> = u.provinces().iter().map(|p| p.code.as_str()).collect();
        assert_eq!(names, ["92", "01"]);
    }

    #[test]
    fn communes_are_listed_with_their_district_where_there_is_one() {
        let u = sample();
        assert_eq!(
            u.communes_of("01").iter().map(|c| c.label.as_str()).collect::<Vec<_>>(),
            ["Phường Phúc Tân, Quận Hoàn Kiếm", "Phường Phúc Xá, Quận Ba Đình"]
        );
        assert_eq!(u.communes_of("92").len(), 2);
    }

    #[test]
    fn a_commune_is_found_without_diacritics_but_only_in_its_province() {
        let u = sample();
        let c = u.find_commune("92", "phuong soc trang").expect("found");
        assert_eq!(c.code, "31507");
        assert!(u.find_commune("01", "phuong soc trang").is_none());
        assert_eq!(u.find_commune("01", "Phường Phúc Xá").map(|c| c.code), Some("00001".into()));
        assert!(u.find_commune("92", "").is_none());
        let p = u.get("92").expect("province");
        assert_eq!(
            compose("  12  Trần Hưng Đạo ", &c, p),
            "12 Trần Hưng Đạo, Phường Sóc Trăng, Thành phố Cần Thơ"
        );
    }
}
