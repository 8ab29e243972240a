#!/usr/bin/env python3
"""Generate the built-in shared-catalog seed data of cqdt (crates/catalog/seed/).

Inputs (never modified):
  shared/data/admin-units-vn-2025-03-01.json      GSO administrative units (via daohoangson/dvhcvn)
  shared/data/soc-trang-2025-07-01-splits.json    Sóc Trăng communes -> units from 2025-07-01
  tools/catalog-seed/curated/*.json               hand-curated lists and corrections (see README)
  pycountry (ISO 3166-1) and Babel (CLDR 'vi' territory names), versions in requirements.txt

Outputs (crates/catalog/seed/):
  admin-units-2025-03-01.json, admin-units-2025-07-01-soc-trang.json,
  agencies-soc-trang.json, catalogs.json

Usage:  python3 tools/catalog-seed/generate.py [--shared DIR] [--out DIR]
Then:   python3 tools/catalog-seed/check.py
"""

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CURATED = HERE / "curated"


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_lines_array(path, items):
    """A JSON array with one compact object per line."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("[\n")
        f.write(",\n".join(dumps(x) for x in items))
        f.write("\n]\n")


def nfc(s):
    return unicodedata.normalize("NFC", s)


# ---------------------------------------------------------------- admin units

TYPE_WORDS = ["Thành phố", "Thị xã", "Thị trấn", "Huyện", "Quận", "Phường", "Xã", "Tỉnh"]


def clean_name(name, type_, log, code):
    """Collapse whitespace; write a leading type word as the type column spells it."""
    new = nfc(re.sub(r"\s+", " ", name).strip())
    prefix = "Thành phố" if type_ == "Thành phố Trung ương" else type_
    if not new.startswith(prefix) and new.lower().startswith(prefix.lower() + " "):
        new = prefix + new[len(prefix):]
    if new != name:
        log.append(f"{code}: {name!r} -> {new!r}")
    return new


def admin_units(shared, log):
    src = load(shared / "admin-units-vn-2025-03-01.json")
    fixes = {f["code"]: f for f in load(CURATED / "admin-unit-fixes.json")["fixes"]}
    units = []

    def add(code, name, type_, level, parent):
        fix = fixes.get(code)
        if fix and "type" in fix:
            log.append(f"{code}: type {type_!r} -> {fix['type']!r} ({fix['reason']})")
            type_ = fix["type"]
        units.append({"code": code, "name": clean_name(name, type_, log, code), "type": type_,
                      "level": level, "parent": parent})

    for p in src["data"]:
        add(p["level1_id"], p["name"], p["type"], 1, None)
        for d in p["level2s"]:
            add(d["level2_id"], d["name"], d["type"], 2, p["level1_id"])
            for c in d["level3s"]:
                add(c["level3_id"], c["name"], c["type"], 3, d["level2_id"])
    return src, units


# ------------------------------------------------------- Sóc Trăng 2025-07-01

def type_from_name(name):
    for t in TYPE_WORDS:
        if name.startswith(t + " "):
            return t
    raise ValueError(f"no type word in {name!r}")


def soc_trang_v2(shared, units, log):
    src = load(shared / "soc-trang-2025-07-01-splits.json")
    fixes = {f["from"]: f for f in load(CURATED / "soc-trang-splits-fixes.json")["fixes"]}
    (prov,) = [p for p in src["data"] if p["level1_id"] == "94"]
    by_code = {u["code"]: u for u in units}
    old_districts = [u for u in units if u["level"] == 2 and u["parent"] == "94"]
    old_communes = [u for u in units if u["level"] == 3 and by_code[u["parent"]]["parent"] == "94"]
    (new_prov,) = prov["splits"]

    new_names = {}      # new code -> name, as the splits file gives them
    commune_to = {}     # old commune code -> [new codes]
    for row in prov["level3s"]:
        old = row["level3_id"]
        if old not in by_code or by_code[old]["level"] != 3:
            raise ValueError(f"splits row {old} is not a commune of the 2025-03-01 list")
        to = [s["new_id"] for s in row["splits"]]
        for s in row["splits"]:
            new_names.setdefault(s["new_id"], nfc(s["name"]))
        fix = fixes.get(old)
        if fix:
            if to != fix["splits_file_says"]:
                raise ValueError(f"fix for {old} expects {fix['splits_file_says']}, splits file says {to}")
            log.append(f"{old} {row['name']}: successors {to} -> {fix['to']} ({fix['reason']})")
            to = fix["to"]
        commune_to[old] = to
    missing = [c["code"] for c in old_communes if c["code"] not in commune_to]
    if missing:
        raise ValueError(f"communes without a successor row: {missing}")

    used = sorted({c for to in commune_to.values() for c in to})
    new_units = [{"code": new_prov["new_id"], "name": nfc(new_prov["name"]), "type": "Thành phố Trung ương",
                  "level": 1, "parent": None}]
    for code in used:
        name = new_names[code]
        new_units.append({"code": code, "name": name, "type": type_from_name(name), "level": 3,
                          "parent": new_prov["new_id"]})

    successors = [{"from": "94", "to": [new_prov["new_id"]]}]
    for d in old_districts:
        to = sorted({n for c in old_communes if c["parent"] == d["code"] for n in commune_to[c["code"]]})
        successors.append({"from": d["code"], "to": to})
    for c in old_communes:
        successors.append({"from": c["code"], "to": commune_to[c["code"]]})

    retired = ["94"] + [d["code"] for d in old_districts] + [c["code"] for c in old_communes]
    return {
        "effective": "2025-07-01",
        "source": ("Nghị quyết 202/2025/QH15 (sắp xếp ĐVHC cấp tỉnh: tỉnh Sóc Trăng nhập vào thành phố Cần Thơ) và "
                   "Nghị quyết 1668/NQ-UBTVQH15 ngày 16/6/2025 (sắp xếp ĐVHC cấp xã của thành phố Cần Thơ), "
                   "hiệu lực 01/7/2025; bảng chuyển đổi dvhcvn/20250701 mapping/splits.json (MIT), "
                   "đã đối chiếu với NQ 1668 và sửa 2 dòng (31588, 31771)"),
        "units": new_units,
        "retired": retired,
        "successors": successors,
    }


def write_v2(path, v2):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("{\n")
        f.write(f'"effective":{dumps(v2["effective"])},\n')
        f.write(f'"source":{dumps(v2["source"])},\n')
        f.write('"units":[\n' + ",\n".join(dumps(u) for u in v2["units"]) + "\n],\n")
        f.write(f'"retired":{dumps(v2["retired"])},\n')
        f.write('"successors":[\n' + ",\n".join(dumps(s) for s in v2["successors"]) + "\n]\n")
        f.write("}\n")


# ------------------------------------------------------------------- agencies

def lower_type(name):
    """'Huyện Châu Thành' -> 'huyện Châu Thành' (type word in running text).

    Units named by a number keep the capital ('Phường 5'), as NĐ 30/2020 Phụ lục II writes them.
    """
    for t in TYPE_WORDS:
        if name.startswith(t + " "):
            rest = name[len(t) + 1:]
            if re.fullmatch(r"\d+|[IVXLC]+", rest):
                return name
            return t.lower() + name[len(t):]
    return name


def agencies(units):
    cur = load(CURATED / "agencies-soc-trang.json")
    m = cur["province_code"]
    pc = cur["provincial_committee"]
    reserved = {r["code"] for r in cur["reserved_codes"]}
    out = [{"code": pc["code"], "name": pc["name"], "short_name": pc["short_name"], "kind": "provincial_committee",
            "parent": None, "admin_unit": cur["province_admin_unit"], "sample": pc["sample"]}]
    for a in cur["agencies"]:
        out.append({"code": f"000.{a['z']}.{a['y']}.{m}", "name": a["name"], "short_name": a["short_name"],
                    "kind": a["kind"], "parent": a["parent"], "admin_unit": cur["province_admin_unit"],
                    "sample": True})
    by_code = {u["code"]: u for u in units}
    districts = [u for u in units if u["level"] == 2 and u["parent"] == "94"]
    for d in districts:
        yy = d["code"][-2:]
        dcode = f"000.00.{yy}.{m}"
        dname = lower_type(d["name"])
        out.append({"code": dcode, "name": f"Ủy ban nhân dân {dname}", "short_name": f"UBND {dname}",
                    "kind": "district_committee", "parent": pc["code"], "admin_unit": d["code"], "sample": True})
        communes = sorted((u for u in units if u["level"] == 3 and u["parent"] == d["code"]), key=lambda u: u["code"])
        for i, c in enumerate(communes, start=1):
            cname = lower_type(c["name"])
            out.append({"code": f"000.{i:02d}.{yy}.{m}", "name": f"Ủy ban nhân dân {cname}, {dname}",
                        "short_name": f"UBND {cname}", "kind": "commune_committee", "parent": dcode,
                        "admin_unit": c["code"], "sample": True})
    clash = [a["code"] for a in out if a["code"] in reserved]
    if clash:
        raise ValueError(f"sample codes take reserved codes: {clash}")
    assert all(by_code.get(a["admin_unit"]) for a in out)
    return out


# ------------------------------------------------------------------- catalogs

CODE_FIELDS = [
    {"name": "code", "label": "Mã", "type": "string", "required": True},
    {"name": "name", "label": "Tên", "type": "string", "required": True},
]


def catalog(code, name, description, source, code_kind, extra_fields, entries):
    return {"code": code, "name": name, "description": description, "source": source, "code_kind": code_kind,
            "fields": CODE_FIELDS + extra_fields, "entries": entries}


def ethnic_groups():
    cur = load(CURATED / "ethnic-groups.json")
    entries = []
    for code, name, legacy, other in cur["entries"]:
        data = {"legacy_name": legacy}
        if other:
            data["other_names"] = other
        entries.append({"code": code, "name": name, "data": data})
    return catalog(
        "ethnic-groups", "Dân tộc", "54 dân tộc Việt Nam, mã 2 chữ số theo danh mục năm 1979",
        "Danh mục các thành phần dân tộc Việt Nam, Quyết định 121-TCTK/PPCĐ ngày 02/3/1979 của Tổng cục Thống kê",
        "digits",
        [{"name": "legacy_name", "label": "Tên theo danh mục 1979", "type": "string", "required": False},
         {"name": "other_names", "label": "Tên gọi khác", "type": "string", "required": False}],
        entries)


def religions():
    cur = load(CURATED / "religions.json")
    entries = []
    for code, name, org, other, code_source in cur["entries"]:
        data = {"code_source": code_source}
        if org:
            data["organization"] = org
        if other:
            data["other_names"] = other
        entries.append({"code": code, "name": name, "data": data})
    return catalog(
        "religions", "Tôn giáo", "Các tôn giáo được Nhà nước công nhận (16 tôn giáo) và 00 = không theo tôn giáo",
        "Danh mục tôn giáo, Quyết định 1019/QĐ-TCTK ngày 12/11/2008 của Tổng cục Thống kê (mã 01-14; QCVN 109:2017/BTTTT Phụ lục G); "
        "mã 15-16 do cqdt gán cho hai tôn giáo được công nhận sau; danh sách 16 tôn giáo theo Ban Tôn giáo Chính phủ",
        "digits",
        [{"name": "organization", "label": "Tổ chức tôn giáo", "type": "string", "required": False},
         {"name": "other_names", "label": "Tên gọi khác, ghi chú", "type": "string", "required": False},
         {"name": "code_source", "label": "Nguồn mã", "type": "string", "required": True}],
        entries)


def nationalities(log):
    import gettext

    import babel
    import pycountry
    from babel import Locale

    cldr = Locale("vi").territories
    overrides = load(CURATED / "nationality-name-overrides.json")["overrides"]
    pyvi = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["vi"], fallback=True).gettext
    entries = []
    for c in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        if c.alpha_2 in overrides:
            name = overrides[c.alpha_2]["name"]
        elif c.alpha_2 in cldr:
            name = cldr[c.alpha_2]
            if name.startswith("St. "):
                log.append(f"{c.alpha_2}: CLDR {name!r} -> 'Saint ...'")
                name = "Saint " + name[4:]
        elif pyvi(c.name) != c.name:
            name = pyvi(c.name)
            log.append(f"{c.alpha_2}: no CLDR vi name, pycountry vi {name!r}")
        else:
            name = c.name
            log.append(f"{c.alpha_2}: no Vietnamese name, English {name!r}")
        entries.append({"code": c.alpha_2, "name": nfc(name),
                        "data": {"alpha3": c.alpha_3, "numeric": c.numeric, "name_en": c.name}})
    return catalog(
        "nationalities", "Quốc tịch", "Quốc gia và vùng lãnh thổ theo ISO 3166-1, mã alpha-2",
        f"ISO 3166-1 (gói pycountry {pycountry.__version__}); tên tiếng Việt theo CLDR {babel.core.get_cldr_version()} "
        "(gói Babel), một số tên theo cách viết trong văn bản chính thức của Việt Nam",
        "iso-alpha2",
        [{"name": "alpha3", "label": "Mã alpha-3", "type": "string", "required": True},
         {"name": "numeric", "label": "Mã số", "type": "string", "required": True},
         {"name": "name_en", "label": "Tên tiếng Anh (ISO)", "type": "string", "required": True}],
        entries)


def small_catalogs():
    out = []
    for c in load(CURATED / "small-catalogs.json"):
        out.append(catalog(c["code"], c["name"], c["description"], c["source"], c["code_kind"], c["fields"],
                           c["entries"]))
    return out


def write_catalogs(path, cats):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("[\n")
        parts = []
        for c in cats:
            head = {k: v for k, v in c.items() if k not in ("fields", "entries")}
            lines = ["{"]
            lines += [f"{dumps(k)}:{dumps(v)}," for k, v in head.items()]
            lines.append('"fields":[\n' + ",\n".join(dumps(x) for x in c["fields"]) + "\n],")
            lines.append('"entries":[\n' + ",\n".join(dumps(x) for x in c["entries"]) + "\n]")
            lines.append("}")
            parts.append("\n".join(lines))
        f.write(",\n".join(parts))
        f.write("\n]\n")


# ----------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="shared/ directory (default: ../shared)")
    ap.add_argument("--out", type=Path, default=REPO / "crates" / "catalog" / "seed", help="output directory")
    args = ap.parse_args()
    shared = args.shared / "data" if (args.shared / "data").is_dir() else args.shared
    args.out.mkdir(parents=True, exist_ok=True)
    log = []

    src, units = admin_units(shared, log)
    write_lines_array(args.out / "admin-units-2025-03-01.json", units)

    v2 = soc_trang_v2(shared, units, log)
    write_v2(args.out / "admin-units-2025-07-01-soc-trang.json", v2)

    ags = agencies(units)
    write_lines_array(args.out / "agencies-soc-trang.json", ags)

    cats = [ethnic_groups(), religions(), nationalities(log)] + small_catalogs()
    write_catalogs(args.out / "catalogs.json", cats)

    print(f"admin units: {len(units)}; Sóc Trăng 2025-07-01: {len(v2['units'])} units, {len(v2['retired'])} retired, "
          f"{len(v2['successors'])} successor rows; agencies: {len(ags)}; catalogs: "
          + ", ".join(f"{c['code']} {len(c['entries'])}" for c in cats))
    print(f"{len(log)} adjustments:")
    for line in log:
        print("  " + line)


if __name__ == "__main__":
    sys.exit(main())
