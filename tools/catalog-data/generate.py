#!/usr/bin/env python3
"""Generates the built-in catalog data of cqdt (crates/catalog/data/*.json).

Inputs: the reference data in shared/data (GSO administrative units as of 2025-03-01, the
Sóc Trăng 2025-07-01 splits), the agency list of the architecture document (Bảng 3), and the
hand-curated national catalogs below. Nationalities come from pycountry (ISO 3166-1 with its
Vietnamese translations): `pip install pycountry`.

Run from the repository root:  python3 tools/catalog-data/generate.py ../shared/data
"""

import gettext
import json
import re
import sys
from pathlib import Path

SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
OUT = Path("crates/catalog/data")
OUT.mkdir(parents=True, exist_ok=True)


def dump(name, value):
    with open(OUT / name, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


# 1. Administrative units before the 2025 reorganisation.
src = json.load(open(SHARED / "admin-units-vn-2025-03-01.json", encoding="utf-8"))
units = []
for p in src["data"]:
    units.append([p["level1_id"], p["name"], p["type"], None])
    for d in p["level2s"]:
        units.append([d["level2_id"], d["name"], d["type"], p["level1_id"]])
        for c in d["level3s"]:
            units.append([c["level3_id"], c["name"], c["type"], d["level2_id"]])
dump("admin-units-2025-03-01.json", {
    "effective": None,
    "source": "Tổng cục Thống kê, Danh mục hành chính (qua daohoangson/dvhcvn data/dvhcvn.json), dữ liệu ngày 2025-03-01",
    "columns": ["code", "name", "type", "parent"],
    "units": units,
})
assert sum(1 for u in units if u[3] is None) == 63
st_districts = [u for u in units if u[3] == "94"]
st_communes = [u for u in units if u[3] in {d[0] for d in st_districts}]
assert len(st_districts) == 11 and len(st_communes) == 108, (len(st_districts), len(st_communes))

# 2. Sóc Trăng from 2025-07-01: merged into Thành phố Cần Thơ (92), district level abolished.
splits = json.load(open(SHARED / "soc-trang-2025-07-01-splits.json", encoding="utf-8"))
prov = splits["data"][0]
new_units = {"92": ["92", "Thành phố Cần Thơ", "Thành phố Trung ương", None]}
successors = []
for l3 in prov["level3s"]:
    tos = []
    for s in l3["splits"]:
        kind = s["name"].split(" ")[0]
        new_units.setdefault(s["new_id"], [s["new_id"], s["name"], kind, "92"])
        tos.append(s["new_id"])
    successors.append({"from": l3["level3_id"], "to": tos})
by_commune = {s["from"]: s["to"] for s in successors}
for d in st_districts:
    tos = sorted({t for c in st_communes if c[3] == d[0] for t in by_commune.get(c[0], [])})
    successors.append({"from": d[0], "to": tos})
successors.append({"from": "94", "to": ["92"]})
dump("admin-units-2025-07-01-soc-trang.json", {
    "effective": "2025-07-01",
    "source": "Nghị quyết 1654–1687/NQ-UBTVQH15 qua daohoangson/dvhcvn 20250701 mapping/splits.json (MIT); trích xuất có hỗ trợ của máy, cần đối chiếu trước khi dùng từng dòng",
    "columns": ["code", "name", "type", "parent"],
    "units": sorted(new_units.values(), key=lambda u: (u[3] is not None, u[0])),
    "retired": ["94"] + [d[0] for d in st_districts] + [c[0] for c in st_communes],
    "successors": successors,
})

# 3. Agencies of the demo province (QĐ 20/2020/QĐ-TTg codes). Only the provincial committee's
# code is published knowledge here; the others are generated in the right format and marked
# as samples. Departments and boards are those of the architecture document's Bảng 3.
H = "H51"
agencies = [{"code": f"000.00.00.{H}", "name": "Ủy ban nhân dân tỉnh Sóc Trăng", "short_name": "UBND tỉnh Sóc Trăng",
             "kind": "provincial_committee", "parent": None, "admin_unit": "94", "sample": False}]
departments = [
    ("Văn phòng Ủy ban nhân dân tỉnh", "VP UBND tỉnh", "office"),
    ("Sở Tư pháp", "STP", "department"),
    ("Sở Y tế", "SYT", "department"),
    ("Sở Tài chính", "STC", "department"),
    ("Sở Tài nguyên và Môi trường", "STNMT", "department"),
    ("Sở Nội vụ", "SNV", "department"),
    ("Sở Xây dựng", "SXD", "department"),
    ("Sở Công Thương", "SCT", "department"),
    ("Sở Thông tin và Truyền thông", "STTTT", "department"),
    ("Sở Giáo dục và Đào tạo", "SGDĐT", "department"),
    ("Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL", "department"),
    ("Sở Khoa học và Công nghệ", "SKHCN", "department"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "SNNPTNT", "department"),
    ("Sở Giao thông vận tải", "SGTVT", "department"),
    ("Sở Kế hoạch và Đầu tư", "SKHĐT", "department"),
    ("Sở Lao động - Thương binh và Xã hội", "SLĐTBXH", "department"),
    ("Thanh tra tỉnh", "TTT", "department"),
    ("Ban Dân tộc", "BDT", "board"),
    ("Ban Quản lý các Khu công nghiệp", "BQL KCN", "board"),
    ("Ban Tiếp công dân tỉnh", "BTCD", "board"),
]
for i, (name, short, kind) in enumerate(departments, start=1):
    agencies.append({"code": f"000.00.{i:02d}.{H}", "name": name, "short_name": short, "kind": kind,
                     "parent": f"000.00.00.{H}", "admin_unit": "94", "sample": True})
for d in st_districts:
    yy = d[0][1:]  # 941 → 41: districts take Y1Y2 41–51, clear of the departments' 01–20
    dcode = f"000.00.{yy}.{H}"
    agencies.append({"code": dcode, "name": f"Ủy ban nhân dân {d[1][0].lower()}{d[1][1:]}",
                     "short_name": f"UBND {d[1]}", "kind": "district_committee",
                     "parent": f"000.00.00.{H}", "admin_unit": d[0], "sample": True})
    communes = [c for c in st_communes if c[3] == d[0]]
    for j, c in enumerate(communes, start=1):
        agencies.append({"code": f"000.{j:02d}.{yy}.{H}", "name": f"Ủy ban nhân dân {c[1][0].lower()}{c[1][1:]}",
                         "short_name": f"UBND {c[1]}", "kind": "commune_committee",
                         "parent": dcode, "admin_unit": c[0], "sample": True})
code_re = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
assert all(code_re.match(a["code"]) for a in agencies)
assert len({a["code"] for a in agencies}) == len(agencies)
dump("agencies-soc-trang.json", {
    "source": "Kiến trúc CQĐT tỉnh Sóc Trăng 2.0, Bảng 3; mã theo QĐ 20/2020/QĐ-TTg. Chỉ mã 000.00.00.H51 là mã thật; các mã khác là mẫu sinh theo đúng định dạng.",
    "agencies": agencies,
})

# 4. National catalogs.
ETHNIC = ["Kinh", "Tày", "Thái", "Hoa", "Khmer", "Mường", "Nùng", "Mông", "Dao", "Gia Rai", "Ngái", "Ê Đê",
          "Ba Na", "Xơ Đăng", "Sán Chay", "Cơ Ho", "Chăm", "Sán Dìu", "Hrê", "Mnông", "Ra Glai", "Xtiêng",
          "Bru Vân Kiều", "Thổ", "Giáy", "Cơ Tu", "Gié Triêng", "Mạ", "Khơ Mú", "Co", "Tà Ôi", "Chơ Ro",
          "Kháng", "Xinh Mun", "Hà Nhì", "Chu Ru", "Lào", "La Chí", "La Ha", "Phù Lá", "La Hủ", "Lự",
          "Lô Lô", "Chứt", "Mảng", "Pà Thẻn", "Cơ Lao", "Cống", "Bố Y", "Si La", "Pu Péo", "Brâu", "Ơ Đu",
          "Rơ Măm"]
assert len(ETHNIC) == 54
RELIGIONS = ["Phật giáo", "Công giáo", "Tin lành", "Cao Đài", "Phật giáo Hòa Hảo", "Hồi giáo",
             "Tôn giáo Baha'i", "Tịnh độ Cư sĩ Phật hội Việt Nam", "Cơ đốc Phục lâm Việt Nam",
             "Phật giáo Tứ Ân Hiếu Nghĩa", "Minh Sư Đạo", "Minh Lý Đạo - Tam Tông Miếu", "Bửu Sơn Kỳ Hương",
             "Giáo hội Các Thánh hữu Ngày sau của Chúa Giê-su Ky-tô", "Phật đường Nam tông Minh Sư Đạo",
             "Hiếu Nghĩa Tà Lơn", "Giáo hội Phục lâm Ngày thứ Bảy An Tâm", "Truyền giáo Cơ đốc Việt Nam"]
import pycountry  # noqa: E402
vi = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["vi"])
nationalities = []
for c in sorted(pycountry.countries, key=lambda c: c.alpha_2):
    name_vi = vi.gettext(c.name)
    nationalities.append({"code": c.alpha_2, "name": name_vi,
                          "data": {"alpha3": c.alpha_3, "numeric": c.numeric, "name_en": c.name,
                                   "translated": name_vi != c.name}})
DOC_TYPES = [("Nghị quyết", "NQ"), ("Quyết định", "QĐ"), ("Chỉ thị", "CT"), ("Quy chế", "QC"),
             ("Quy định", "QyĐ"), ("Thông cáo", "TC"), ("Thông báo", "TB"), ("Hướng dẫn", "HD"),
             ("Chương trình", "CTr"), ("Kế hoạch", "KH"), ("Phương án", "PA"), ("Đề án", "ĐA"),
             ("Dự án", "DA"), ("Báo cáo", "BC"), ("Biên bản", "BB"), ("Tờ trình", "TTr"),
             ("Hợp đồng", "HĐ"), ("Công văn", ""), ("Công điện", "CĐ"), ("Bản ghi nhớ", "BGN"),
             ("Bản thỏa thuận", "BTT"), ("Giấy ủy quyền", "GUQ"), ("Giấy mời", "GM"),
             ("Giấy giới thiệu", "GGT"), ("Giấy nghỉ phép", "GNP"), ("Phiếu gửi", "PG"),
             ("Phiếu chuyển", "PC"), ("Phiếu báo", "PB"), ("Thư công", "")]
assert len(DOC_TYPES) == 29


def simple(code, name, description, source, entries, extra_fields=()):
    fields = [{"name": f, "label": l, "type": t, "required": False} for f, l, t in extra_fields]
    return {"code": code, "name": name, "description": description, "source": source,
            "code_kind": "text", "fields": fields, "entries": entries}


catalogs = [
    simple("ethnic-groups", "Dân tộc", "54 dân tộc Việt Nam", "Danh mục các dân tộc Việt Nam, Quyết định 121-TCTK/PPCĐ ngày 02/3/1979 của Tổng cục Thống kê",
           [{"code": f"{i:02d}", "name": n, "data": {}} for i, n in enumerate(ETHNIC, start=1)]),
    simple("religions", "Tôn giáo", "Tôn giáo đã được công nhận và đăng ký hoạt động tại Việt Nam (mã 00: không theo tôn giáo)",
           "Ban Tôn giáo Chính phủ, danh sách tổ chức tôn giáo được công nhận; mã do cqdt đánh số",
           [{"code": "00", "name": "Không", "data": {}}] + [{"code": f"{i:02d}", "name": n, "data": {}} for i, n in enumerate(RELIGIONS, start=1)]),
    {**simple("nationalities", "Quốc tịch", "Quốc gia, vùng lãnh thổ theo ISO 3166-1 (mã alpha-2)", "ISO 3166-1 qua pycountry, tên tiếng Việt theo bản dịch iso-codes",
              nationalities, [("alpha3", "Mã alpha-3", "string"), ("numeric", "Mã số", "string"), ("name_en", "Tên tiếng Anh", "string"), ("translated", "Có tên tiếng Việt", "boolean")]),
     "code_kind": "iso-alpha2"},
    simple("genders", "Giới tính", "Giới tính", "Quy ước của Cơ sở dữ liệu quốc gia về dân cư",
           [{"code": "0", "name": "Chưa có thông tin", "data": {}}, {"code": "1", "name": "Nam", "data": {}}, {"code": "2", "name": "Nữ", "data": {}}]),
    simple("marital-statuses", "Tình trạng hôn nhân", "Tình trạng hôn nhân", "Quy ước của Cơ sở dữ liệu quốc gia về dân cư",
           [{"code": "0", "name": "Chưa có thông tin", "data": {}}, {"code": "1", "name": "Chưa kết hôn", "data": {}},
            {"code": "2", "name": "Đã kết hôn", "data": {}}, {"code": "3", "name": "Ly hôn", "data": {}}, {"code": "4", "name": "Góa", "data": {}}]),
    simple("document-types", "Loại văn bản hành chính", "29 loại văn bản hành chính và chữ viết tắt", "Nghị định 30/2020/NĐ-CP, Điều 7 và Phụ lục III",
           [{"code": f"{i:02d}", "name": n, "data": {"abbreviation": a}} for i, (n, a) in enumerate(DOC_TYPES, start=1)],
           [("abbreviation", "Chữ viết tắt", "string")]),
    simple("urgency-levels", "Mức độ khẩn", "Mức độ khẩn của văn bản", "Nghị định 30/2020/NĐ-CP, Phụ lục I",
           [{"code": "1", "name": "Thường", "data": {}}, {"code": "2", "name": "Khẩn", "data": {}},
            {"code": "3", "name": "Thượng khẩn", "data": {}}, {"code": "4", "name": "Hỏa tốc", "data": {}}]),
]
dump("catalogs.json", catalogs)
print("units", len(units), "new", len(new_units), "agencies", len(agencies), "nationalities", len(nationalities))
