//! The file's structure, text that reads back, the font subset and line wrapping.

use std::collections::BTreeSet;

use super::font::{fonts, Font};
use super::*;
use std::io::Read;

fn inflate(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(data).read_to_end(&mut out).expect("inflate");
    out
}

/// Every stream of a file, decompressed.
fn streams(pdf: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = pdf;
    while let Some(s) = find(rest, b"stream\n") {
        let body = &rest[s + 7..];
        let e = find(body, b"\nendstream").expect("end");
        out.push(inflate(&body[..e]));
        rest = &body[e + 10..];
    }
    out
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

#[test]
fn the_embedded_font_has_every_vietnamese_letter() {
    let f = &fonts().expect("fonts")[0];
    for c in "ăâđêôơưĂÂĐÊÔƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ".chars()
    {
        assert!(f.cmap.contains_key(&c), "{c}");
    }
}

#[test]
fn text_is_written_as_glyphs_that_map_back_to_the_same_words() {
    let mut pdf = Pdf::new("Giấy xác nhận").expect("pdf");
    pdf.text(50.0, 100.0, 13.0, Style::Bold, Align::Center, "CỘNG HÒA XÃ HỘI");
    pdf.text(50.0, 120.0, 13.0, Style::Regular, Align::Left, "Nguyễn Thị Ánh");
    // A character outside the font (a CJK ideograph) falls back to "?".
    pdf.text(50.0, 140.0, 13.0, Style::Regular, Align::Left, "漢");
    assert!(pdf.qr(400.0, 60.0, 80.0, "000.01.41.H51-260213-0001"));
    let bytes = pdf.finish().expect("finish");
    assert!(bytes.starts_with(b"%PDF-1.7"));
    assert!(bytes.ends_with(b"%%EOF\n"));
    // The cross-reference table points at each object.
    let tail_at = find(&bytes, b"startxref\n").expect("startxref") + 10;
    let start: usize = std::str::from_utf8(&bytes[tail_at..])
        .ok()
        .and_then(|t| t.lines().next())
        .and_then(|n| n.parse().ok())
        .expect("xref offset");
    let table = std::str::from_utf8(&bytes[start..]).expect("ascii table");
    assert!(table.starts_with("xref"));
    for (k, line) in table.lines().skip(3).take_while(|l| l.len() == 18).enumerate() {
        let at: usize = line[..10].parse().expect("offset");
        assert!(bytes[at..].starts_with(format!("{} 0 obj", k + 1).as_bytes()));
    }
    // Glyph ids in the page map back to the words through the ToUnicode map.
    let all = streams(&bytes);
    let cmaps: Vec<String> = all
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_string())
        .filter(|s| s.contains("beginbfchar"))
        .collect();
    assert_eq!(cmaps.len(), 2, "regular and bold");
    let content = all
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_string())
        .find(|s| s.contains(" Tj "))
        .expect("page");
    let f = &fonts().expect("fonts")[0];
    let expect: String = "Nguyễn Thị Ánh".chars().map(|c| format!("{:04X}", f.glyph(c))).collect();
    assert!(content.contains("/F1 13.00 Tf"));
    assert!(content.contains(&format!("<{expect}>")));
    let e = format!("<{:04X}> <1EC5>", f.glyph('ễ'));
    assert!(cmaps.iter().any(|c| c.contains(&e)), "ễ maps back");
    let q = format!("<{:04X}> <003F>", f.glyph('?'));
    assert!(cmaps.iter().any(|c| c.contains(&q)), "a missing letter reads as ?");
    assert!(content.contains(" re\n"), "QR modules drawn");
}

#[test]
fn the_subset_keeps_used_glyphs_and_drops_the_rest() {
    let f = &fonts().expect("fonts")[0];
    let used: BTreeSet<u16> = "Hà Nội".chars().map(|c| f.glyph(c)).collect();
    let sub = f.subset(&used).expect("subset");
    assert!(sub.len() < f.data.len() / 4, "{} bytes", sub.len());
    let parsed = Font::parse(Box::leak(sub.into_boxed_slice()), "t").map(|p| {
        let kept = (0..p.num_glyphs).filter(|g| p.loca[g + 1] > p.loca[*g]).count();
        (p.num_glyphs, kept)
    });
    let (n, kept) = parsed.expect("the subset is a font");
    assert_eq!(n, f.num_glyphs, "glyph ids unchanged");
    assert!(kept >= used.len() - 1 && kept < 40, "kept {kept}");
}

#[test]
fn long_text_wraps_within_the_width() {
    let pdf = Pdf::new("t").expect("pdf");
    let text = "Ủy ban nhân dân phường xác nhận ông Nguyễn Văn An đã đăng ký thường trú tại địa chỉ số 12 đường Trần Hưng Đạo";
    let lines = pdf.wrap(text, 13.0, Style::Regular, 200.0);
    assert!(lines.len() > 2);
    assert!(lines.iter().all(|l| pdf.width(l, 13.0, Style::Regular) <= 200.0));
    assert_eq!(lines.join(" "), text);
}
