#!/usr/bin/env python3
"""Writes the demo processes (sample data) of crates/cqdt/demo/processes as BPMN 2.0 with
diagram interchange, so that they open in bpmn.io and Camunda Modeler and draw in cqdt.

Each process is listed below as nodes and flows; the layout is layered left to right from
the start event. Run from the repository root: python3 tools/demo-processes/gen.py
"""
import os
from xml.sax.saxutils import escape, quoteattr

OUT = "crates/cqdt/demo/processes"

# Agency codes of the demo province (the agency catalog).
P5 = "000.01.41.H51"        # UBND Phường 5, TP Sóc Trăng
TP = "000.00.41.H51"        # UBND thành phố Sóc Trăng
SXD = "000.00.10.H51"       # Sở Xây dựng
STNMT = "000.00.11.H51"     # Sở Tài nguyên và Môi trường
SLDTBXH = "000.00.13.H51"   # Sở Lao động - Thương binh và Xã hội
UBT = "000.00.00.H51"       # UBND tỉnh

def task(id, name, role, days=None, agency=None):
    return ("userTask", id, name, {"role": role, "days": days, "agency": agency})

def start(id="Start", name="Bắt đầu xử lý"):
    return ("startEvent", id, name, {})

def end(id="End", name="Có kết quả"):
    return ("endEvent", id, name, {})

def xor(id, name="", default=None):
    return ("exclusiveGateway", id, name, {"default": default})

def par(id):
    return ("parallelGateway", id, "", {})

def timer(id, name, attached, days):
    return ("boundaryEvent", id, name, {"attached": attached, "days": days})

PROCESSES = [
    ("mot-buoc", "ho_tich_mot_buoc", "Chứng thực: một bước", [
        start(), task("XuLy", "Kiểm tra, chứng thực", "processing_officer", 1), end(),
    ], [("Start", "XuLy"), ("XuLy", "End")]),
    ("hai-buoc", "ho_tich_hai_buoc", "Hộ tịch: thụ lý rồi ký", [
        start(), task("ThuLy", "Thụ lý, ghi sổ hộ tịch", "processing_officer", 1),
        task("Ky", "Lãnh đạo ký", "leader", 1), end(),
    ], [("Start", "ThuLy"), ("ThuLy", "Ky"), ("Ky", "End")]),
    ("duyet-tra-lai", "ho_tich_duyet_tra_lai", "Hộ tịch: phê duyệt có trả lại", [
        start(), task("ThuLy", "Thụ lý, xác minh", "processing_officer", 2),
        task("PheDuyet", "Lãnh đạo phê duyệt", "leader", 1),
        xor("DongY", "Đồng ý?", "F_TraLai"), end(),
    ], [("Start", "ThuLy"), ("ThuLy", "PheDuyet"), ("PheDuyet", "DongY"),
        ("DongY", "End", '${decision == "dong_y"}', "Đồng ý"),
        ("DongY", "ThuLy", None, "Trả lại", "F_TraLai")]),
    ("xa-huyen", "lien_thong_xa_huyen", "Trợ cấp xã hội: xã tiếp nhận, huyện quyết định", [
        start(), task("XaXacNhan", "Xã kiểm tra, niêm yết, xác nhận", "processing_officer", 7),
        task("HuyenThamDinh", "Phòng LĐTBXH thẩm định", "processing_officer", 8, TP),
        task("HuyenQuyetDinh", "Chủ tịch UBND huyện quyết định", "leader", 3, TP), end(),
    ], [("Start", "XaXacNhan"), ("XaXacNhan", "HuyenThamDinh"),
        ("HuyenThamDinh", "HuyenQuyetDinh"), ("HuyenQuyetDinh", "End")]),
    ("xay-dung", "giay_phep_xay_dung", "Giấy phép xây dựng: thẩm định song song, ý kiến Sở khi nhà cao tầng", [
        start(), par("Tach"),
        task("HienTrang", "Kiểm tra hiện trạng", "processing_officer", 5),
        task("ThietKe", "Thẩm định hồ sơ thiết kế", "processing_officer", 5),
        par("Gop"), xor("CaoTang", "Từ 7 tầng trở lên?", "F_Thap"),
        task("YKienSo", "Sở Xây dựng cho ý kiến", "processing_officer", 5, SXD),
        xor("Nhap"), task("Cap", "Lãnh đạo ký giấy phép", "leader", 2), end(),
    ], [("Start", "Tach"), ("Tach", "HienTrang"), ("Tach", "ThietKe"),
        ("HienTrang", "Gop"), ("ThietKe", "Gop"), ("Gop", "CaoTang"),
        ("CaoTang", "YKienSo", "${form.floors >= 7}", "Có"),
        ("CaoTang", "Nhap", None, "Không", "F_Thap"),
        ("YKienSo", "Nhap"), ("Nhap", "Cap"), ("Cap", "End")]),
    ("chu-truong-dau-tu", "chu_truong_dau_tu", "Chủ trương đầu tư: ba nhánh song song, UBND tỉnh quyết định", [
        start(), par("Tach"),
        task("ThamDinh", "Sở KH&ĐT thẩm định", "processing_officer", 15),
        task("XayDung", "Sở Xây dựng cho ý kiến", "processing_officer", 10, SXD),
        task("DatDai", "Sở TN&MT cho ý kiến về đất đai", "processing_officer", 10, STNMT),
        par("Gop"), task("BaoCao", "Sở KH&ĐT báo cáo thẩm định", "processing_officer", 5),
        task("QuyetDinh", "UBND tỉnh quyết định", "leader", 5, UBT), end(),
    ], [("Start", "Tach"), ("Tach", "ThamDinh"), ("Tach", "XayDung"), ("Tach", "DatDai"),
        ("ThamDinh", "Gop"), ("XayDung", "Gop"), ("DatDai", "Gop"),
        ("Gop", "BaoCao"), ("BaoCao", "QuyetDinh"), ("QuyetDinh", "End")]),
    ("don-doc", "ho_kinh_doanh_don_doc", "Hộ kinh doanh: đôn đốc khi quá hạn bước", [
        start(), task("XuLy", "Kiểm tra, nhập hệ thống đăng ký", "processing_officer", 2),
        timer("QuaHan", "Quá 2 ngày làm việc", "XuLy", 2),
        task("DonDoc", "Lãnh đạo đôn đốc, chỉ đạo", "leader", 1),
        task("Cap", "Lãnh đạo ký giấy chứng nhận", "leader", 1), end(),
    ], [("Start", "XuLy"), ("XuLy", "Cap"), ("QuaHan", "DonDoc"), ("DonDoc", "XuLy"),
        ("Cap", "End")]),
    ("ba-cap", "lien_thong_ba_cap", "Chế độ người có công: xã, huyện, tỉnh", [
        start(), task("Xa", "Xã xác nhận", "processing_officer", 5),
        task("Huyen", "Phòng LĐTBXH huyện thẩm định", "processing_officer", 7, TP),
        task("So", "Sở LĐTBXH thẩm định", "processing_officer", 10, SLDTBXH),
        task("Ky", "Lãnh đạo Sở quyết định", "leader", 5, SLDTBXH), end(),
    ], [("Start", "Xa"), ("Xa", "Huyen"), ("Huyen", "So"), ("So", "Ky"), ("Ky", "End")]),
    ("hoi-dong", "xet_hoi_dong", "Công nhận sáng kiến: hội đồng xét", [
        start(), task("ThuLy", "Thụ lý, kiểm tra hồ sơ", "processing_officer", 10),
        task("HoiDong", "Thư ký tổng hợp ý kiến hội đồng", "clerk", 30),
        task("QuyetDinh", "Lãnh đạo quyết định công nhận", "leader", 5), end(),
    ], [("Start", "ThuLy"), ("ThuLy", "HoiDong"), ("HoiDong", "QuyetDinh"),
        ("QuyetDinh", "End")]),
]

def write(slug, key, title, nodes, flows):
    ids = [n[1] for n in nodes]
    flows = [f if len(f) >= 3 else (f[0], f[1], None) for f in flows]
    fl = []
    for i, f in enumerate(flows):
        src, dst = f[0], f[1]
        cond = f[2] if len(f) > 2 else None
        name = f[3] if len(f) > 3 else ""
        fid = f[4] if len(f) > 4 else f"F{i + 1}"
        fl.append((fid, src, dst, cond, name))
    # Layered layout: breadth first from the start; boundary events sit on their task.
    level = {ids[0]: 0}
    order = [ids[0]]
    changed = True
    attached = {n[1]: n[3]["attached"] for n in nodes if n[0] == "boundaryEvent"}
    while changed:
        changed = False
        for fid, s, d, c, nm in fl:
            if s in level and d not in level:
                level[d] = level[s] + 1
                order.append(d)
                changed = True
        for b, t in attached.items():
            if t in level and b not in level:
                level[b] = level[t]
                order.append(b)
                changed = True
    rows = {}
    pos = {}
    for n in order:
        l = level[n]
        r = rows.get(l, 0)
        rows[l] = r + 1
        pos[n] = (40 + l * 170, 60 + r * 130)
    size = {"userTask": (120, 80), "startEvent": (36, 36), "endEvent": (36, 36),
            "exclusiveGateway": (50, 50), "parallelGateway": (50, 50), "boundaryEvent": (36, 36)}
    kinds = {n[1]: n[0] for n in nodes}
    def box(n):
        x, y = pos[n]
        w, h = size[kinds[n]]
        if kinds[n] == "boundaryEvent":
            tx, ty = pos[attached[n]]
            return tx + 84, ty + 62, w, h
        return x, y + (80 - h) / 2, w, h
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<!-- Demo process (sample data), written by tools/demo-processes/gen.py: {escape(title)}. -->',
           '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
           'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
           'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
           'xmlns:cqdt="https://cqdt.vn/bpmn" '
           f'id="Defs_{key}" targetNamespace="https://cqdt.vn/demo">',
           f'  <bpmn:process id="{key}" name={quoteattr(title)} isExecutable="true">']
    for kind, id, name, a in nodes:
        attrs = f'id="{id}"' + (f' name={quoteattr(name)}' if name else "")
        if kind == "userTask":
            attrs += f' candidateGroups="{a["role"]}"'
            if a.get("days"):
                attrs += f' cqdt:dueDays="{a["days"]}"'
            if a.get("agency"):
                attrs += f' cqdt:agency="{a["agency"]}"'
            out.append(f'    <bpmn:userTask {attrs} />')
        elif kind == "exclusiveGateway":
            if a.get("default"):
                attrs += f' default="{a["default"]}"'
            out.append(f'    <bpmn:exclusiveGateway {attrs} />')
        elif kind == "boundaryEvent":
            # Overdue means working days: the timer asks for working time.
            attrs += f' attachedToRef="{a["attached"]}" cqdt:calendar="working"'
            out.append(f'    <bpmn:boundaryEvent {attrs}>')
            out.append(f'      <bpmn:timerEventDefinition><bpmn:timeDuration>P{a["days"]}D</bpmn:timeDuration></bpmn:timerEventDefinition>')
            out.append('    </bpmn:boundaryEvent>')
        else:
            out.append(f'    <bpmn:{kind} {attrs} />')
    for fid, s, d, c, nm in fl:
        attrs = f'id="{fid}"' + (f' name={quoteattr(nm)}' if nm else "") + f' sourceRef="{s}" targetRef="{d}"'
        if c:
            out.append(f'    <bpmn:sequenceFlow {attrs}>')
            out.append(f'      <bpmn:conditionExpression>{escape(c)}</bpmn:conditionExpression>')
            out.append('    </bpmn:sequenceFlow>')
        else:
            out.append(f'    <bpmn:sequenceFlow {attrs} />')
    out.append('  </bpmn:process>')
    out.append(f'  <bpmndi:BPMNDiagram id="Diagram_{key}">')
    out.append(f'    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="{key}">')
    for n in order:
        x, y, w, h = box(n)
        out.append(f'      <bpmndi:BPMNShape id="S_{n}" bpmnElement="{n}"><dc:Bounds x="{x:.0f}" y="{y:.0f}" width="{w}" height="{h}" /></bpmndi:BPMNShape>')
    for fid, s, d, c, nm in fl:
        sx, sy, sw, sh = box(s)
        dx, dy, dw, dh = box(d)
        a = (sx + sw, sy + sh / 2)
        b = (dx, dy + dh / 2)
        if dx <= sx:  # a back edge: around the bottom
            low = max(sy + sh, dy + dh) + 40
            pts = [(sx + sw / 2, sy + sh), (sx + sw / 2, low), (dx + dw / 2, low), (dx + dw / 2, dy + dh)]
        else:
            pts = [a, b]
        wp = "".join(f'<di:waypoint x="{x:.0f}" y="{y:.0f}" />' for x, y in pts)
        out.append(f'      <bpmndi:BPMNEdge id="E_{fid}" bpmnElement="{fid}">{wp}</bpmndi:BPMNEdge>')
    out.append('    </bpmndi:BPMNPlane>')
    out.append('  </bpmndi:BPMNDiagram>')
    out.append('</bpmn:definitions>')
    with open(os.path.join(OUT, f"{slug}.bpmn"), "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")

for p in PROCESSES:
    write(*p)
print(len(PROCESSES), "processes written to", OUT)
