#!/usr/bin/env python3
"""Check the seed files in crates/catalog/seed/ (standard library only).

Usage: python3 tools/catalog-seed/check.py [--seed DIR]
Prints one line per failed check and exits 1 if any failed; prints a summary otherwise.
"""

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
AGENCY_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
KINDS = {"provincial_committee", "office", "department", "board", "district_committee", "commune_committee", "other"}
FIELD_TYPES = {"string", "integer", "date", "boolean"}
CODE_KINDS = {
    "agency": AGENCY_RE,
    "gso": re.compile(r"^(\d{2}|\d{3}|\d{5})$"),
    "digits": re.compile(r"^\d{1,20}$"),
    "iso-alpha2": re.compile(r"^[A-Z]{2}$"),
    "text": re.compile(r"^\S{1,64}$"),
}

failures = []


def check(ok, msg):
    if not ok:
        failures.append(msg)
    return ok


def strings(x):
    if isinstance(x, str):
        yield x
    elif isinstance(x, dict):
        for k, v in x.items():
            yield k
            yield from strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from strings(v)


def load(path):
    raw = path.read_bytes()
    check(not raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: starts with a BOM")
    data = json.loads(raw.decode("utf-8"))
    bad = [s for s in strings(data) if s != unicodedata.normalize("NFC", s)]
    check(not bad, f"{path.name}: {len(bad)} strings not in Unicode NFC, e.g. {bad[:3]}")
    bad = [s for s in strings(data) if s != s.strip() or "  " in s]
    check(not bad, f"{path.name}: {len(bad)} strings with leading/trailing/double spaces, e.g. {bad[:3]}")
    return data


def check_units(units):
    f = "admin-units-2025-03-01.json"
    codes = Counter(u["code"] for u in units)
    check(all(n == 1 for n in codes.values()), f"{f}: duplicate codes {[c for c, n in codes.items() if n > 1][:5]}")
    by = {u["code"]: u for u in units}
    levels = Counter(u["level"] for u in units)
    check(levels == {1: 63, 2: 696, 3: 10047}, f"{f}: level counts {dict(levels)}, want 63/696/10047")
    for u in units:
        check(set(u) == {"code", "name", "type", "level", "parent"}, f"{f}: {u['code']} keys {sorted(u)}")
        check(len(u["code"]) == {1: 2, 2: 3, 3: 5}[u["level"]] and u["code"].isdigit(), f"{f}: bad code {u['code']}")
        check(bool(u["name"]) and bool(u["type"]), f"{f}: {u['code']} without name or type")
        if u["level"] == 1:
            check(u["parent"] is None, f"{f}: province {u['code']} has a parent")
        else:
            p = by.get(u["parent"])
            check(p is not None and p["level"] == u["level"] - 1, f"{f}: {u['code']} parent {u['parent']} wrong")
    st_d = [u for u in units if u["level"] == 2 and u["parent"] == "94"]
    st_c = [u for u in units if u["level"] == 3 and by[u["parent"]]["parent"] == "94"]
    check([d["code"] for d in st_d] == [str(c) for c in range(941, 952)], f"{f}: Sóc Trăng districts {[d['code'] for d in st_d]}")
    check(len(st_c) == 108, f"{f}: Sóc Trăng has {len(st_c)} communes, want 108")
    return by, st_d, st_c


def check_v2(v2, by, st_d, st_c):
    f = "admin-units-2025-07-01-soc-trang.json"
    check(set(v2) == {"effective", "source", "units", "retired", "successors"}, f"{f}: keys {sorted(v2)}")
    check(v2["effective"] == "2025-07-01", f"{f}: effective {v2['effective']}")
    new = {u["code"]: u for u in v2["units"]}
    check(len(new) == len(v2["units"]), f"{f}: duplicate unit codes")
    check(new.get("92", {}).get("level") == 1 and new["92"]["parent"] is None, f"{f}: province 92 missing or wrong")
    for u in v2["units"]:
        if u["code"] != "92":
            check(u["level"] == 3 and u["parent"] == "92" and len(u["code"]) == 5, f"{f}: unit {u} not a level-3 unit of 92")
            check(u["name"].startswith(u["type"] + " "), f"{f}: {u['code']} name/type mismatch")
    want_retired = ["94"] + [d["code"] for d in st_d] + [c["code"] for c in st_c]
    check(v2["retired"] == want_retired, f"{f}: retired list differs from 94 + 941-951 + the 108 communes")
    succ = {s["from"]: s["to"] for s in v2["successors"]}
    check(len(succ) == len(v2["successors"]), f"{f}: more than one successor row for a code")
    check(set(succ) == set(want_retired), f"{f}: successor rows do not cover exactly the retired codes")
    for frm, to in succ.items():
        check(bool(to) and all(t in new for t in to), f"{f}: successors of {frm} {to} not all in units")
    check(succ.get("94") == ["92"], f"{f}: 94 -> {succ.get('94')}")
    for d in st_d:
        union = sorted({t for c in st_c if c["parent"] == d["code"] for t in succ[c["code"]]})
        check(succ[d["code"]] == union, f"{f}: district {d['code']} successors {succ[d['code']]} != its communes' {union}")
    reached = {t for c in st_c for t in succ[c["code"]]}
    check(reached == set(new) - {"92"}, f"{f}: units not reached from any commune: {sorted(set(new) - {'92'} - reached)}")
    check(len(new) == 44, f"{f}: {len(new)} units, want 92 + 43 communes/wards (NQ 1668)")


def check_agencies(ags, by, st_d, st_c):
    f = "agencies-soc-trang.json"
    codes = Counter(a["code"] for a in ags)
    check(all(n == 1 for n in codes.values()), f"{f}: duplicate codes {[c for c, n in codes.items() if n > 1]}")
    ix = {a["code"]: a for a in ags}
    keys = {"code", "name", "short_name", "kind", "parent", "admin_unit", "sample"}
    for a in ags:
        check(set(a) == keys, f"{f}: {a['code']} keys {sorted(a)}")
        check(bool(AGENCY_RE.match(a["code"])), f"{f}: bad code {a['code']}")
        check(a["code"].endswith(".H51"), f"{f}: {a['code']} not under H51")
        check(a["kind"] in KINDS, f"{f}: {a['code']} kind {a['kind']}")
        check(a["parent"] is None or a["parent"] in ix, f"{f}: {a['code']} parent {a['parent']} missing")
        check(a["admin_unit"] is None or a["admin_unit"] in by, f"{f}: {a['code']} admin unit {a['admin_unit']} unknown")
        check(isinstance(a["sample"], bool), f"{f}: {a['code']} sample not boolean")
        check(bool(a["name"]) and bool(a["short_name"]), f"{f}: {a['code']} without name")
    # no cycles
    for a in ags:
        seen, cur = set(), a
        while cur["parent"] is not None and cur["parent"] in ix:
            if not check(cur["code"] not in seen, f"{f}: parent cycle at {a['code']}"):
                break
            seen.add(cur["code"])
            cur = ix[cur["parent"]]
    kinds = Counter(a["kind"] for a in ags)
    check(kinds["provincial_committee"] == 1 and ix.get("000.00.00.H51", {}).get("kind") == "provincial_committee",
          f"{f}: provincial committee missing")
    check(kinds["office"] == 1, f"{f}: {kinds['office']} offices")
    check(kinds["district_committee"] == 11, f"{f}: {kinds['district_committee']} district committees, want 11")
    check(kinds["commune_committee"] == 108, f"{f}: {kinds['commune_committee']} commune committees, want 108")
    dist = {a["admin_unit"]: a for a in ags if a["kind"] == "district_committee"}
    check(set(dist) == {d["code"] for d in st_d}, f"{f}: district committees do not match 941-951")
    comm = {a["admin_unit"]: a for a in ags if a["kind"] == "commune_committee"}
    check(set(comm) == {c["code"] for c in st_c}, f"{f}: commune committees do not match the 108 communes")
    for c in st_c:
        a = comm.get(c["code"])
        if a:
            d = dist[c["parent"]]
            check(a["parent"] == d["code"], f"{f}: {a['code']} parent {a['parent']}, want {d['code']}")
            check(a["code"].split(".")[2] == d["code"].split(".")[2], f"{f}: {a['code']} not under its district's Y1Y2")
    for d in dist.values():
        check(d["parent"] == "000.00.00.H51", f"{f}: {d['code']} not under the provincial committee")
    real = [a["code"] for a in ags if not a["sample"]]
    check(real == ["000.00.00.H51"], f"{f}: non-sample codes {real}")
    cur = json.loads((HERE / "curated" / "agencies-soc-trang.json").read_text(encoding="utf-8"))
    for r in cur["reserved_codes"]:
        check(r["code"] not in ix, f"{f}: reserved code {r['code']} given to a sample agency")
    return kinds


def check_catalogs(cats):
    f = "catalogs.json"
    ccodes = Counter(c["code"] for c in cats)
    check(all(n == 1 for n in ccodes.values()), f"{f}: duplicate catalog codes")
    want = {"ethnic-groups", "religions", "nationalities", "genders", "marital-statuses", "document-types", "urgency-levels"}
    check(set(ccodes) == want, f"{f}: catalogs {sorted(ccodes)}")
    for c in cats:
        name = c["code"]
        for k in ("code", "name", "description", "source", "fields", "entries"):
            check(bool(c.get(k)), f"{f}: {name} missing {k}")
        check(c.get("code_kind") in CODE_KINDS, f"{f}: {name} code_kind {c.get('code_kind')}")
        fields = c["fields"]
        check([x["name"] for x in fields[:2]] == ["code", "name"], f"{f}: {name} fields do not start with code, name")
        for x in fields:
            check(set(x) == {"name", "label", "type", "required"} and x["type"] in FIELD_TYPES
                  and isinstance(x["required"], bool), f"{f}: {name} field {x}")
        extra = {x["name"]: x for x in fields[2:]}
        ecodes = Counter(e["code"] for e in c["entries"])
        check(all(n == 1 for n in ecodes.values()), f"{f}: {name} duplicate entry codes {[k for k, n in ecodes.items() if n > 1]}")
        rx = CODE_KINDS.get(c.get("code_kind"), CODE_KINDS["text"])
        for e in c["entries"]:
            check(set(e) == {"code", "name", "data"}, f"{f}: {name}/{e.get('code')} keys {sorted(e)}")
            check(bool(rx.match(e["code"])), f"{f}: {name}/{e['code']} does not fit code_kind")
            check(bool(e["name"]), f"{f}: {name}/{e['code']} without name")
            for k, v in e["data"].items():
                x = extra.get(k)
                if check(x is not None, f"{f}: {name}/{e['code']} data key {k} not declared"):
                    t = {"string": str, "integer": int, "boolean": bool, "date": str}[x["type"]]
                    check(isinstance(v, t) and v != "", f"{f}: {name}/{e['code']}.{k} = {v!r} not a {x['type']}")
            for k, x in extra.items():
                if x["required"]:
                    check(k in e["data"], f"{f}: {name}/{e['code']} missing required {k}")
    n = {c["code"]: len(c["entries"]) for c in cats}
    check(n.get("ethnic-groups") == 54, f"{f}: {n.get('ethnic-groups')} ethnic groups")
    eth = next(c for c in cats if c["code"] == "ethnic-groups")
    check([e["code"] for e in eth["entries"]] == [f"{i:02d}" for i in range(1, 55)], f"{f}: ethnic codes not 01-54")
    check({e["code"]: e["name"] for e in eth["entries"]}.get("05") == "Khmer", f"{f}: 05 is not Khmer")
    check(n.get("nationalities", 0) >= 249, f"{f}: {n.get('nationalities')} nationalities")
    check(n.get("document-types") == 29, f"{f}: {n.get('document-types')} document types")
    check(n.get("urgency-levels") == 4, f"{f}: {n.get('urgency-levels')} urgency levels")
    rel = next(c for c in cats if c["code"] == "religions")
    check(rel["entries"][0]["code"] == "00" and all(len(e["code"]) == 2 for e in rel["entries"]), f"{f}: religion codes")
    nat = next(c for c in cats if c["code"] == "nationalities")
    check(any(e["code"] == "VN" and e["name"] == "Việt Nam" for e in nat["entries"]), f"{f}: VN missing")
    check(all(re.fullmatch(r"[A-Z]{3}", e["data"]["alpha3"]) and re.fullmatch(r"\d{3}", e["data"]["numeric"])
              for e in nat["entries"]), f"{f}: nationality alpha3/numeric malformed")
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=Path, default=HERE.parent.parent / "crates" / "catalog" / "seed")
    args = ap.parse_args()
    units = load(args.seed / "admin-units-2025-03-01.json")
    v2 = load(args.seed / "admin-units-2025-07-01-soc-trang.json")
    ags = load(args.seed / "agencies-soc-trang.json")
    cats = load(args.seed / "catalogs.json")
    by, st_d, st_c = check_units(units)
    check_v2(v2, by, st_d, st_c)
    kinds = check_agencies(ags, by, st_d, st_c)
    n = check_catalogs(cats)
    if failures:
        for m in failures:
            print("FAIL", m)
        print(f"{len(failures)} checks failed")
        return 1
    print(f"admin units {len(units)} (63/696/10047; Sóc Trăng 11 districts, 108 communes); "
          f"Sóc Trăng 2025-07-01: {len(v2['units'])} units, {len(v2['retired'])} retired, {len(v2['successors'])} successor rows; "
          f"agencies {len(ags)} {dict(kinds)}; catalogs {n}")
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
