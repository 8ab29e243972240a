//! Text helpers shared by the modules' pages: URL encoding, Unicode normalisation, diacritic
//! folding, QR codes, and clipping what a request sent before it is shown back.

use std::borrow::Cow;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Percent-encodes a query value or path segment (RFC 3986 unreserved characters kept).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `text` as an answer may show it back: at most `max` characters; a longer text keeps its
/// beginning and its end (where parsers name the line and column) around "…". Whatever a
/// request sent is clipped before an error repeats it, so that no answer grows with the input.
pub fn clip(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(1);
    let head = keep - keep / 3;
    let tail = keep / 3;
    let mut out: String = text.chars().take(head).collect();
    out.push('…');
    out.extend(text.chars().skip(count - tail));
    out
}

/// The text in Unicode normalisation form C (composed): what a Vietnamese keyboard in
/// "Unicode dựng sẵn" types, and what "Unicode tổ hợp" (a vowel, then its tone as a combining
/// mark) or a macOS file name becomes, so that equal-looking text is equal. Borrowed when the
/// text is already composed, which a quick check tells for almost every input.
pub fn nfc(text: &str) -> Cow<'_, str> {
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(text);
    }
    let composed: String = text.nfc().collect();
    if composed == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(composed)
    }
}

/// Folds Vietnamese text for diacritic-insensitive search: "Giấy phép" → "giay phep". Text is
/// composed first ([`nfc`]), so composed and decomposed spellings fold the same, and text
/// folded and stored before keeps matching.
pub fn fold(text: &str) -> String {
    let text = nfc(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        out.push(fold_char(c));
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fold_char(c: char) -> char {
    const GROUPS: [(&str, char); 7] = [
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ìíỉĩị", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("đ", 'd'),
    ];
    if c.is_ascii() {
        return c;
    }
    for (set, base) in GROUPS {
        if set.contains(c) {
            return base;
        }
    }
    c
}

/// The QR code of `text` as an SVG image with a text alternative.
pub fn qr_svg(text: &str, label: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Drop the XML declaration and label the image for screen readers.
    let start = svg.find("<svg")?;
    let escaped = label.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
    Some(svg[start..].replacen("<svg", &format!("<svg role=\"img\" aria-label=\"{escaped}\""), 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_vietnamese_diacritics_and_case() {
        assert_eq!(fold("Giấy phép  Xây dựng"), "giay phep xay dung");
        assert_eq!(fold("ĐƯỜNG Sóc Trăng"), "duong soc trang");
    }

    /// "Lý lịch tư pháp" as "Unicode tổ hợp" types it: each tone a combining mark.
    const LY_LICH_NFD: &str = "Ly\u{301} li\u{323}ch tư pha\u{301}p";

    #[test]
    fn decomposed_text_is_composed_and_folds_like_composed_text() {
        assert_eq!(nfc(LY_LICH_NFD), "Lý lịch tư pháp");
        assert!(matches!(nfc("Lý lịch tư pháp"), Cow::Borrowed(_)));
        let upper_nfd: String = "ĐƯỜNG Sóc Trăng".nfd().collect();
        assert_ne!(upper_nfd, "ĐƯỜNG Sóc Trăng");
        assert_eq!(fold(&upper_nfd), "duong soc trang");
        assert_eq!(fold(LY_LICH_NFD), fold("Lý lịch tư pháp"));
        assert_eq!(fold(LY_LICH_NFD), "ly lich tu phap");
    }
}

#[cfg(test)]
mod clip_tests {
    use super::clip;

    #[test]
    fn a_long_text_is_clipped_to_its_beginning_and_end_and_a_short_one_kept() {
        assert_eq!(clip("Hồ sơ", 5), "Hồ sơ");
        let long = format!("đầu{}cuối", "x".repeat(6_000_000));
        let c = clip(&long, 100);
        assert_eq!(c.chars().count(), 100);
        assert!(c.starts_with("đầu") && c.ends_with("cuối") && c.contains('…'), "{c}");
    }
}
