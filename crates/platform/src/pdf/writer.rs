//! Writing the file: fonts as Type 0 / CIDFontType2 with their subsets and ToUnicode maps,
//! the page contents as compressed streams, and the cross-reference table.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;

use flate2::write::ZlibEncoder;
use flate2::Compression;

use super::{Pdf, PdfError, A4};

impl Pdf {
    /// The finished file.
    pub fn finish(self) -> Result<Vec<u8>, PdfError> {
        let mut objects: Vec<Vec<u8>> = Vec::new();
        // 1 catalog, 2 page tree, 3 info; then fonts, then pages.
        objects.push(Vec::new());
        objects.push(Vec::new());
        objects.push(
            format!("<< /Title {} /Producer (cqdt) >>", text_string(&self.title)).into_bytes(),
        );
        let mut font_refs = Vec::new();
        for (i, used) in self.used.iter().enumerate() {
            if used.is_empty() {
                continue;
            }
            let f = &self.fonts[i];
            let glyphs: BTreeSet<u16> = used.keys().copied().collect();
            let file = f.subset(&glyphs).ok_or(PdfError::Font)?;
            // A subset's name starts with six capital letters of its own (ISO 32000 9.6.4).
            let tag: String = (0..6)
                .map(|k| (b'A' + ((glyphs.len() * 7 + k * 5 + i) % 26) as u8) as char)
                .collect();
            let base = format!("{tag}+{}", f.name);
            let first = objects.len() + 1;
            let (type0, cid, desc, font_file, to_unicode) =
                (first, first + 1, first + 2, first + 3, first + 4);
            let mut widths = String::new();
            for g in &glyphs {
                let _ = write!(widths, "{g} [{:.0}] ", f.advance(*g));
            }
            let em = f.units / 1000.0;
            objects.push(
                format!(
                    "<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /Identity-H \
                     /DescendantFonts [{cid} 0 R] /ToUnicode {to_unicode} 0 R >>"
                )
                .into_bytes(),
            );
            objects.push(
                format!(
                    "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base} \
                     /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
                     /FontDescriptor {desc} 0 R /CIDToGIDMap /Identity /DW 1000 /W [{widths}] >>"
                )
                .into_bytes(),
            );
            objects.push(
                format!(
                    "<< /Type /FontDescriptor /FontName /{base} /Flags 34 \
                     /FontBBox [{:.0} {:.0} {:.0} {:.0}] /ItalicAngle 0 /Ascent {:.0} \
                     /Descent {:.0} /CapHeight {:.0} /StemV {} /FontFile2 {font_file} 0 R >>",
                    f64::from(f.bbox[0]) / em,
                    f64::from(f.bbox[1]) / em,
                    f64::from(f.bbox[2]) / em,
                    f64::from(f.bbox[3]) / em,
                    f64::from(f.ascent) / em,
                    f64::from(f.descent) / em,
                    f64::from(f.ascent) / em,
                    if i == 1 { 140 } else { 80 }
                )
                .into_bytes(),
            );
            objects.push(stream(&file, &format!("/Length1 {}", file.len())));
            objects.push(stream(to_unicode_cmap(used).as_bytes(), ""));
            font_refs.push(format!("/F{} {type0} 0 R", i + 1));
        }
        let resources = format!("<< /Font << {} >> >>", font_refs.join(" "));
        let mut kids = Vec::new();
        for content in &self.pages {
            let c = objects.len() + 1;
            objects.push(stream(content.as_bytes(), ""));
            let p = objects.len() + 1;
            objects.push(
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {:.2} {:.2}] \
                     /Resources {resources} /Contents {c} 0 R >>",
                    A4.0, A4.1
                )
                .into_bytes(),
            );
            kids.push(format!("{p} 0 R"));
        }
        objects[0] = b"<< /Type /Catalog /Pages 2 0 R /Lang (vi-VN) >>".to_vec();
        objects[1] = format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), kids.len())
            .into_bytes();

        let mut out: Vec<u8> = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::with_capacity(objects.len());
        for (k, o) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", k + 1).as_bytes());
            out.extend_from_slice(o);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for o in offsets {
            let _ = writeln!(table, "{o:010} 00000 n ");
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        );
        out.extend_from_slice(table.as_bytes());
        Ok(out)
    }
}

/// A compressed stream object.
fn stream(data: &[u8], extra: &str) -> Vec<u8> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let packed = match z.write_all(data).and_then(|()| z.finish()) {
        Ok(p) => p,
        Err(_) => return format!("<< /Length {} {extra} >>\nstream\n", data.len()).into_bytes(),
    };
    let mut out = format!("<< /Length {} /Filter /FlateDecode {extra} >>\nstream\n", packed.len())
        .into_bytes();
    out.extend_from_slice(&packed);
    out.extend_from_slice(b"\nendstream");
    out
}

/// A PDF text string: UTF-16BE with its byte-order mark, in hex.
fn text_string(s: &str) -> String {
    let mut out = String::from("<FEFF");
    for u in s.encode_utf16() {
        let _ = write!(out, "{u:04X}");
    }
    out.push('>');
    out
}

fn to_unicode_cmap(used: &BTreeMap<u16, char>) -> String {
    let mut out = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let pairs: Vec<(&u16, &char)> = used.iter().collect();
    for chunk in pairs.chunks(100) {
        let _ = writeln!(out, "{} beginbfchar", chunk.len());
        for (g, c) in chunk {
            let mut units = [0u16; 2];
            let hex: String =
                c.encode_utf16(&mut units).iter().map(|u| format!("{u:04X}")).collect();
            let _ = writeln!(out, "<{g:04X}> <{hex}>");
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}
