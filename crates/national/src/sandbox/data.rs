//! The sandbox's records: a few hundred invented citizens registered in the former Sóc Trăng
//! province and a few dozen invented enterprises, the same on every run (drawn from SHA-256 of
//! their index), plus the demo province's own people so the demo's journeys find them. None
//! of them is a real person or business.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use crate::wire::{CongDan, DoanhNghiep, NguoiDaiDien};

/// How many invented citizens besides the fixed ones.
pub const CITIZENS: u32 = 300;
/// How many invented enterprises besides the fixed ones.
pub const ENTERPRISES: u32 = 60;

const FAMILY: [&str; 16] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Lâm", "Thạch", "Sơn", "Lý", "Trương",
    "Dương", "Kim", "Danh", "Quách",
];
const MIDDLE_MALE: [&str; 6] = ["Văn", "Minh", "Hữu", "Quốc", "Thanh", "Công"];
const MIDDLE_FEMALE: [&str; 6] = ["Thị", "Ngọc", "Thu", "Kim", "Mỹ", "Thị Bích"];
const GIVEN_MALE: [&str; 12] =
    ["An", "Bình", "Cường", "Dũng", "Hùng", "Khoa", "Long", "Phúc", "Sang", "Tài", "Vinh", "Phol"];
const GIVEN_FEMALE: [&str; 12] =
    ["Anh", "Châu", "Diễm", "Hạnh", "Hoa", "Lan", "Mai", "Ngân", "Phương", "Sa Ri", "Thảo", "Yến"];
/// Units in force since 2025-07-01 where the former province's people live, with a former
/// unit of birth registration.
const PLACES: [(&str, &str); 12] = [
    ("Phường Sóc Trăng", "Phường 5, thành phố Sóc Trăng"),
    ("Phường Phú Lợi", "Phường 2, thành phố Sóc Trăng"),
    ("Phường Mỹ Xuyên", "Thị trấn Mỹ Xuyên, huyện Mỹ Xuyên"),
    ("Phường Vĩnh Châu", "Phường 1, thị xã Vĩnh Châu"),
    ("Phường Ngã Năm", "Phường 1, thị xã Ngã Năm"),
    ("Phường Khánh Hòa", "Phường Khánh Hòa, thị xã Vĩnh Châu"),
    ("Xã Kế Sách", "Thị trấn Kế Sách, huyện Kế Sách"),
    ("Xã Mỹ Tú", "Thị trấn Huỳnh Hữu Nghĩa, huyện Mỹ Tú"),
    ("Xã Long Phú", "Thị trấn Long Phú, huyện Long Phú"),
    ("Xã Trần Đề", "Thị trấn Trần Đề, huyện Trần Đề"),
    ("Xã An Thạnh", "Thị trấn Cù Lao Dung, huyện Cù Lao Dung"),
    ("Xã Phú Lộc", "Thị trấn Phú Lộc, huyện Thạnh Trị"),
];
const STREETS: [&str; 6] =
    ["Trần Hưng Đạo", "Lê Hồng Phong", "Hùng Vương", "Nguyễn Văn Linh", "Phú Lợi", "Mạc Đĩnh Chi"];
const CITY: &str = "Thành phố Cần Thơ";

/// Bytes drawn for record `i` of `kind`.
fn draw(kind: &str, i: u32) -> [u8; 32] {
    Sha256::digest(format!("cqdt-sandbox-national/{kind}/{i}")).into()
}

fn pick<'a>(list: &[&'a str], b: u8) -> &'a str {
    list[usize::from(b) % list.len()]
}

fn ethnicity(family: &str) -> &'static str {
    match family {
        "Thạch" | "Sơn" | "Danh" | "Kim" => "Khmer",
        "Quách" => "Hoa",
        _ => "Kinh",
    }
}

fn address(b: &[u8], unit: &str) -> String {
    if unit.starts_with("Phường") {
        let n = 1 + u16::from(b[0]) % 250;
        format!("Số {n} đường {}, {unit}, {CITY}", pick(&STREETS, b[1]))
    } else {
        format!("Ấp {}, {unit}, {CITY}", 1 + b[0] % 9)
    }
}

/// A personal ID agreeing with the year and gender, registered in Sóc Trăng (094).
fn personal_id(birth_year: i32, female: bool, b: &[u8]) -> String {
    let century = (birth_year / 100 - 19) * 2 + i32::from(female);
    let serial = u32::from_be_bytes([0, b[0], b[1], b[2]]) % 1_000_000;
    format!("094{century}{:02}{serial:06}", birth_year % 100)
}

/// An invented citizen.
fn citizen(i: u32) -> CongDan {
    let b = draw("cong-dan", i);
    let female = b[0] % 2 == 1;
    let year = 1950 + i32::from(b[1] % 58);
    let birth = NaiveDate::from_yo_opt(year, 1 + u32::from(b[2]) % 365).unwrap_or_default();
    let family = pick(&FAMILY, b[3]);
    let (middle, given) = if female {
        (pick(&MIDDLE_FEMALE, b[4]), pick(&GIVEN_FEMALE, b[5]))
    } else {
        (pick(&MIDDLE_MALE, b[4]), pick(&GIVEN_MALE, b[5]))
    };
    let (unit, born_in) = PLACES[usize::from(b[6]) % PLACES.len()];
    let home = address(&b[7..9], unit);
    let current = if b[9].is_multiple_of(5) {
        let (other, _) = PLACES[usize::from(b[10]) % PLACES.len()];
        address(&b[11..13], other)
    } else {
        home.clone()
    };
    CongDan {
        so_dinh_danh: personal_id(year, female, &b[13..16]),
        ho_va_ten: format!("{family} {middle} {given}"),
        ngay_sinh: birth,
        gioi_tinh: if female { "Nữ" } else { "Nam" }.into(),
        quoc_tich: "Việt Nam".into(),
        dan_toc: ethnicity(family).into(),
        noi_dang_ky_khai_sinh: format!("{born_in}, tỉnh Sóc Trăng"),
        noi_thuong_tru: home,
        noi_o_hien_tai: current,
    }
}

/// The demo province's citizen and the VNeID sandbox's first test citizens, as the demo and
/// the other sandboxes know them.
fn fixed_citizens() -> Vec<CongDan> {
    let person =
        |id: &str, name: &str, birth: (i32, u32, u32), female, home: &str, born: &str| CongDan {
            so_dinh_danh: id.into(),
            ho_va_ten: name.into(),
            ngay_sinh: NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap_or_default(),
            gioi_tinh: if female { "Nữ" } else { "Nam" }.into(),
            quoc_tich: "Việt Nam".into(),
            dan_toc: "Kinh".into(),
            noi_dang_ky_khai_sinh: format!("{born}, tỉnh Sóc Trăng"),
            noi_thuong_tru: home.into(),
            noi_o_hien_tai: home.into(),
        };
    vec![
        person(
            "094085000123",
            "Nguyễn Văn An",
            (1985, 9, 2),
            false,
            "Số 12 đường Trần Hưng Đạo, Phường Sóc Trăng, Thành phố Cần Thơ",
            "Phường 2, thành phố Sóc Trăng",
        ),
        person(
            "094085012345",
            "Nguyễn Văn An",
            (1985, 3, 12),
            false,
            "Số 12 đường Trần Hưng Đạo, Phường Phú Lợi, Thành phố Cần Thơ",
            "Phường 2, thành phố Sóc Trăng",
        ),
        person(
            "094192004567",
            "Trần Thị Bích Ngọc",
            (1992, 7, 25),
            true,
            "Số 45/3 đường Lê Hồng Phong, Phường Phú Lợi, Thành phố Cần Thơ",
            "Phường 3, thành phố Sóc Trăng",
        ),
    ]
}

/// Every citizen of the sandbox, by personal ID.
pub fn citizens() -> BTreeMap<String, CongDan> {
    let mut all: BTreeMap<String, CongDan> =
        (0..CITIZENS).map(citizen).map(|c| (c.so_dinh_danh.clone(), c)).collect();
    for c in fixed_citizens() {
        all.insert(c.so_dinh_danh.clone(), c);
    }
    all
}

/// The 10th digit of an enterprise code (the check digit of the 9 before it), or `None`
/// when no check digit fits (such codes are never issued).
pub fn check_digit(first9: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let sum: u32 = WEIGHTS.iter().zip(first9).map(|(w, d)| w * u32::from(*d)).sum();
    let check = 10 - sum % 11;
    (check < 10).then_some(check as u8)
}

const TRADES: [(&str, &str); 8] = [
    ("Thủy sản", "Chế biến, bảo quản thủy sản và các sản phẩm từ thủy sản"),
    ("Lúa gạo", "Xay xát và sản xuất bột thô"),
    ("Xây dựng", "Xây dựng nhà để ở"),
    ("Vận tải", "Vận tải hàng hóa bằng đường bộ"),
    ("Du lịch", "Điều hành tua du lịch"),
    ("Nông sản", "Bán buôn nông, lâm sản nguyên liệu"),
    ("Cơ khí", "Sửa chữa máy móc, thiết bị"),
    ("Thương mại", "Bán lẻ hàng hóa khác mới trong các cửa hàng chuyên doanh"),
];
const BRANDS: [&str; 10] = [
    "Sông Hậu",
    "Phú Lợi",
    "Mỹ Xuyên",
    "Vĩnh Châu",
    "Cù Lao Dung",
    "Trần Đề",
    "Ngã Năm",
    "Kế Sách",
    "Hưng Phát",
    "Thành Đạt",
];
const FORMS: [&str; 4] = [
    "Công ty trách nhiệm hữu hạn một thành viên",
    "Công ty trách nhiệm hữu hạn hai thành viên trở lên",
    "Công ty cổ phần",
    "Doanh nghiệp tư nhân",
];

fn enterprise(i: u32, people: &[&CongDan]) -> Option<DoanhNghiep> {
    let b = draw("doanh-nghiep", i);
    let mut digits = vec![2, 2];
    digits.extend(b[..7].iter().map(|x| x % 10));
    let check = check_digit(&digits)?;
    digits.push(check);
    let code: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    let (trade, line) = TRADES[usize::from(b[8]) % TRADES.len()];
    let form = pick(&FORMS, b[9]);
    let short = match form {
        "Doanh nghiệp tư nhân" => "Doanh nghiệp tư nhân",
        "Công ty cổ phần" => "Công ty cổ phần",
        _ => "Công ty TNHH",
    };
    let owner = people[usize::from(b[10]) % people.len()];
    let (unit, _) = PLACES[usize::from(b[11]) % PLACES.len()];
    let status = match b[12] % 20 {
        0 => "Tạm ngừng kinh doanh",
        1 => "Đã giải thể",
        _ => "Đang hoạt động",
    };
    Some(DoanhNghiep {
        ma_so_doanh_nghiep: code,
        ten_doanh_nghiep: format!("{short} {trade} {}", pick(&BRANDS, b[13])),
        loai_hinh: form.into(),
        tinh_trang: status.into(),
        ngay_thanh_lap: NaiveDate::from_yo_opt(
            1995 + i32::from(b[14] % 30),
            1 + u32::from(b[15]) % 365,
        )
        .unwrap_or_default(),
        dia_chi_tru_so: address(&b[16..18], unit),
        nguoi_dai_dien: NguoiDaiDien {
            ho_va_ten: owner.ho_va_ten.clone(),
            chuc_danh: if form == "Công ty cổ phần" {
                "Tổng giám đốc"
            } else {
                "Giám đốc"
            }
            .into(),
        },
        nganh_nghe_chinh: line.into(),
    })
}

/// Every enterprise of the sandbox, by code; their representatives are sandbox citizens.
pub fn enterprises(citizens: &BTreeMap<String, CongDan>) -> BTreeMap<String, DoanhNghiep> {
    let adults: Vec<&CongDan> = citizens.values().filter(|c| c.ngay_sinh.year() < 2000).collect();
    (0..ENTERPRISES * 2)
        .filter_map(|i| enterprise(i, &adults))
        .take(ENTERPRISES as usize)
        .map(|d| (d.ma_so_doanh_nghiep.clone(), d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqdt_platform::{PersonalId, TaxCode};

    #[test]
    fn every_sandbox_citizen_has_a_number_that_agrees_with_their_birth() {
        let all = citizens();
        assert!(all.len() >= CITIZENS as usize, "few collisions at most: {}", all.len());
        for c in all.values() {
            PersonalId::parse_for_birth(&c.so_dinh_danh, c.ngay_sinh)
                .unwrap_or_else(|e| panic!("{}: {e}", c.so_dinh_danh));
            let (_, female) = PersonalId::parse(&c.so_dinh_danh).expect("id").century_and_gender();
            assert_eq!(female, c.gioi_tinh == "Nữ", "{}", c.so_dinh_danh);
        }
    }

    #[test]
    fn every_sandbox_enterprise_code_passes_the_check_digit_and_the_records_are_stable() {
        let people = citizens();
        let all = enterprises(&people);
        assert_eq!(all.len(), ENTERPRISES as usize);
        for code in all.keys() {
            TaxCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        }
        assert_eq!(all, enterprises(&citizens()), "drawn the same on every run");
    }
}
