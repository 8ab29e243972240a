#!/usr/bin/env python3
"""Validate procedures.json (sample procedure catalog). Standard library only.

Usage: python3 check.py [path]   -- prints counts; exits 1 on any error.
"""
import collections, json, re, sys, unicodedata, os

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "procedures.json")
data = json.load(open(path, encoding="utf-8"))
errors = []

def err(i, msg):
    errors.append("procedure #%d (%s): %s" % (i, data[i].get("national_code", "?"), msg))

TOP = {"national_code", "code_verified", "name", "field", "levels", "implementing_agency_kinds", "online_level",
       "processing_time", "fees", "components", "form", "conditions", "legal_basis", "result", "steps",
       "process_shape", "popular"}
LEVELS = {"tinh", "huyen", "xa"}
ONLINE = {"full", "partial"}
UNITS = {"working_days", "calendar_days", "hours"}
TYPES = {"text", "number", "date", "choice", "personal_id", "tax_code", "address", "phone", "email", "textarea"}
CATALOGS = {"genders", "ethnic-groups", "nationalities", "religions", "marital-statuses", "admin-units"}
SHAPES = {"simple", "approve", "verify_approve", "inter_agency", "parallel_opinions", "field_inspection", "council",
          "two_level_approval", "publish_notice", "simple_commune"}
FORM_KEYS = {"key", "label", "type", "required", "catalog", "options", "max_length", "min", "max", "hint"}
COMP_KEYS = {"name", "originals", "copies", "required", "template", "note"}
FEE_KEYS = {"name", "amount_vnd", "exempt", "fee_verified"}

if not isinstance(data, list):
    sys.exit("top level must be a list")
codes = collections.Counter(p.get("national_code") for p in data)
field_names = {}
for i, p in enumerate(data):
    if set(p) != TOP:
        err(i, "keys differ: missing %s extra %s" % (sorted(TOP - set(p)), sorted(set(p) - TOP)))
        continue
    if not re.fullmatch(r"[12]\.\d{6}", p["national_code"]): err(i, "bad national_code format")
    if codes[p["national_code"]] > 1: err(i, "duplicate national_code")
    if not isinstance(p["code_verified"], bool): err(i, "code_verified not bool")
    if not isinstance(p["popular"], bool): err(i, "popular not bool")
    f = p["field"]
    if set(f) != {"code", "name"} or not re.fullmatch(r"[A-Z]{2,6}", f["code"]): err(i, "bad field")
    elif field_names.setdefault(f["code"], f["name"]) != f["name"]: err(i, "field code %s has two names" % f["code"])
    if not p["levels"] or not set(p["levels"]) <= LEVELS or len(set(p["levels"])) != len(p["levels"]): err(i, "bad levels")
    if not p["implementing_agency_kinds"]: err(i, "no implementing agencies")
    if p["online_level"] not in ONLINE: err(i, "bad online_level")
    t = p["processing_time"]
    if set(t) != {"amount", "unit", "note"} or t["unit"] not in UNITS or not (isinstance(t["amount"], int) and t["amount"] > 0):
        err(i, "bad processing_time")
    if not p["fees"]: err(i, "no fees entry")
    for fe in p["fees"]:
        if set(fe) != FEE_KEYS or not isinstance(fe["amount_vnd"], int) or fe["amount_vnd"] < 0 or not isinstance(fe["fee_verified"], bool):
            err(i, "bad fee %r" % fe.get("name"))
    if not 2 <= len(p["components"]) <= 8: err(i, "components count %d" % len(p["components"]))
    for c in p["components"]:
        if set(c) != COMP_KEYS or not isinstance(c["required"], bool) or c["originals"] < 0 or c["copies"] < 0 or c["originals"] + c["copies"] < 1:
            err(i, "bad component %r" % c.get("name"))
    if not 3 <= len(p["form"]) <= 12: err(i, "form field count %d" % len(p["form"]))
    keys = [x.get("key") for x in p["form"]]
    if len(keys) != len(set(keys)): err(i, "duplicate form keys")
    for x in p["form"]:
        if set(x) != FORM_KEYS: err(i, "form field %r keys" % x.get("key")); continue
        if not re.fullmatch(r"[a-z][a-z0-9_]*", x["key"]): err(i, "bad form key %r" % x["key"])
        if x["type"] not in TYPES: err(i, "bad type %r" % x["type"])
        if x["type"] == "choice":
            if (x["catalog"] is None) == (x["options"] is None): err(i, "choice %r needs exactly one of catalog/options" % x["key"])
            if x["catalog"] is not None and x["catalog"] not in CATALOGS: err(i, "bad catalog %r" % x["catalog"])
            if x["options"] is not None and (len(x["options"]) < 2 or len(set(x["options"])) != len(x["options"])): err(i, "bad options %r" % x["key"])
        elif x["catalog"] is not None or x["options"] is not None:
            err(i, "non-choice %r has catalog/options" % x["key"])
        if x["type"] != "number" and (x["min"] is not None or x["max"] is not None): err(i, "min/max on non-number %r" % x["key"])
        if x["min"] is not None and x["max"] is not None and x["min"] > x["max"]: err(i, "min > max %r" % x["key"])
    if not p["legal_basis"]: err(i, "no legal basis")
    if not 3 <= len(p["steps"]) <= 8: err(i, "steps count")
    if p["process_shape"] not in SHAPES: err(i, "bad process_shape")
    def strings(o):
        if isinstance(o, str): yield o
        elif isinstance(o, list):
            for v in o: yield from strings(v)
        elif isinstance(o, dict):
            for v in o.values(): yield from strings(v)
    for s in strings(p):
        if s != unicodedata.normalize("NFC", s) or s != s.strip() or "  " in s: err(i, "string not NFC/trimmed: %r" % s[:40])

shapes = collections.Counter(p["process_shape"] for p in data)
by_field = collections.Counter("%s %s" % (p["field"]["code"], p["field"]["name"]) for p in data)
by_level = collections.Counter(l for p in data for l in p["levels"])
summary = {
    "procedures": len(data),
    "fields": len(by_field),
    "by_field": dict(sorted(by_field.items())),
    "by_level": {l: by_level[l] for l in ("tinh", "huyen", "xa")},
    "process_shapes": dict(sorted(shapes.items())),
    "online_full": sum(p["online_level"] == "full" for p in data),
    "popular": sum(p["popular"] for p in data),
    "code_verified": sum(p["code_verified"] for p in data),
    "fees_verified": "%d/%d" % (sum(f["fee_verified"] for p in data for f in p["fees"]), sum(len(p["fees"]) for p in data)),
}
targets = [(len(data) >= 45, "at least 45 procedures"), (len(by_field) >= 12, "at least 12 fields"),
           (all(by_level[l] for l in LEVELS), "all three levels"), (len(shapes) >= 10, "at least 10 process shapes"),
           (shapes["inter_agency"] >= 3, ">= 3 inter_agency"), (shapes["parallel_opinions"] >= 3, ">= 3 parallel_opinions")]
for ok, what in targets:
    if not ok: errors.append("target not met: " + what)
print(json.dumps(summary, ensure_ascii=False, indent=2))
if errors:
    print("\n".join(errors)); sys.exit(1)
print("OK")
