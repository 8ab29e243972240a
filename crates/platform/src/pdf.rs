//! A small PDF writer for printed results: A4 pages of text in an embedded, subset TrueType
//! font (DejaVu Serif, which has every Vietnamese letter), lines and QR codes. Text stays
//! text: each font carries a ToUnicode map, so a result can be searched, copied and read
//! aloud. Hand-written because the need is small (one layout, two faces) and a PDF crate
//! with font handling would be a heavy dependency.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::OnceLock;

use flate2::write::ZlibEncoder;
use flate2::Compression;

const REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSerif.ttf");
const BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSerif-Bold.ttf");

/// Width and height of an A4 page, in points.
pub const A4: (f64, f64) = (595.28, 841.89);
/// One millimetre in points.
pub const MM: f64 = 72.0 / 25.4;

/// Errors of the PDF writer.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The embedded font could not be read (a build defect, not a user's).
    #[error("phông chữ nhúng không đọc được")]
    Font,
}

/// A face of the font.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Regular.
    Regular,
    /// Bold.
    Bold,
}

/// Where a line of text stands relative to `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Starts at `x`.
    Left,
    /// Centred on `x`.
    Center,
    /// Ends at `x`.
    Right,
}

struct Font {
    data: &'static [u8],
    name: &'static str,
    tables: HashMap<[u8; 4], (usize, usize)>,
    units: f64,
    cmap: HashMap<char, u16>,
    advances: Vec<u16>,
    num_glyphs: usize,
    ascent: i16,
    descent: i16,
    bbox: [i16; 4],
    loca: Vec<usize>,
}

fn u16_at(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(o)?, *d.get(o + 1)?]))
}

fn i16_at(d: &[u8], o: usize) -> Option<i16> {
    u16_at(d, o).map(|v| v as i16)
}

fn u32_at(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *d.get(o)?,
        *d.get(o + 1)?,
        *d.get(o + 2)?,
        *d.get(o + 3)?,
    ]))
}

impl Font {
    fn parse(data: &'static [u8], name: &'static str) -> Option<Font> {
        let n = u16_at(data, 4)? as usize;
        let mut tables = HashMap::new();
        for i in 0..n {
            let r = 12 + 16 * i;
            let tag: [u8; 4] = data.get(r..r + 4)?.try_into().ok()?;
            let off = u32_at(data, r + 8)? as usize;
            let len = u32_at(data, r + 12)? as usize;
            data.get(off..off + len)?;
            tables.insert(tag, (off, len));
        }
        let head = tables.get(b"head")?.0;
        let hhea = tables.get(b"hhea")?.0;
        let maxp = tables.get(b"maxp")?.0;
        let hmtx = tables.get(b"hmtx")?.0;
        let loca_at = tables.get(b"loca")?.0;
        let num_glyphs = u16_at(data, maxp + 4)? as usize;
        let long_loca = i16_at(data, head + 50)? == 1;
        let loca = (0..=num_glyphs)
            .map(|g| {
                if long_loca {
                    u32_at(data, loca_at + 4 * g).map(|v| v as usize)
                } else {
                    u16_at(data, loca_at + 2 * g).map(|v| v as usize * 2)
                }
            })
            .collect::<Option<Vec<usize>>>()?;
        let metrics = u16_at(data, hhea + 34)? as usize;
        let mut advances = Vec::with_capacity(num_glyphs);
        for g in 0..num_glyphs {
            advances.push(u16_at(data, hmtx + 4 * g.min(metrics.max(1) - 1))?);
        }
        Some(Font {
            data,
            name,
            units: f64::from(u16_at(data, head + 18)?),
            cmap: read_cmap(data, tables.get(b"cmap")?.0)?,
            advances,
            num_glyphs,
            ascent: i16_at(data, hhea + 4)?,
            descent: i16_at(data, hhea + 6)?,
            bbox: [
                i16_at(data, head + 36)?,
                i16_at(data, head + 38)?,
                i16_at(data, head + 40)?,
                i16_at(data, head + 42)?,
            ],
            tables,
            loca,
        })
    }

    fn glyph(&self, c: char) -> u16 {
        self.cmap
            .get(&c)
            .or_else(|| self.cmap.get(&'?'))
            .copied()
            .unwrap_or(0)
    }

    fn advance(&self, g: u16) -> f64 {
        f64::from(self.advances.get(g as usize).copied().unwrap_or(0)) * 1000.0 / self.units
    }

    fn table(&self, tag: &[u8; 4]) -> Option<&'static [u8]> {
        let (o, l) = *self.tables.get(tag)?;
        self.data.get(o..o + l)
    }

    fn glyph_data(&self, g: usize) -> Option<&'static [u8]> {
        let glyf = self.table(b"glyf")?;
        glyf.get(*self.loca.get(g)?..*self.loca.get(g + 1)?)
    }

    /// The font cut down to the glyphs used (and the parts of composite glyphs), glyph ids
    /// unchanged, so the PDF maps them one to one.
    fn subset(&self, used: &BTreeSet<u16>) -> Option<Vec<u8>> {
        let mut keep: BTreeSet<usize> = used.iter().map(|g| *g as usize).collect();
        keep.insert(0);
        let mut todo: Vec<usize> = keep.iter().copied().collect();
        while let Some(g) = todo.pop() {
            let d = self.glyph_data(g)?;
            if d.len() >= 10 && i16_at(d, 0)? < 0 {
                let mut o = 10;
                loop {
                    let flags = u16_at(d, o)?;
                    let part = u16_at(d, o + 2)? as usize;
                    if keep.insert(part) {
                        todo.push(part);
                    }
                    o += 4 + if flags & 1 != 0 { 4 } else { 2 };
                    o += if flags & 8 != 0 {
                        2
                    } else if flags & 0x40 != 0 {
                        4
                    } else if flags & 0x80 != 0 {
                        8
                    } else {
                        0
                    };
                    if flags & 0x20 == 0 {
                        break;
                    }
                }
            }
        }
        let mut glyf = Vec::new();
        let mut loca = Vec::with_capacity(4 * (self.num_glyphs + 1));
        for g in 0..self.num_glyphs {
            loca.extend_from_slice(&(glyf.len() as u32).to_be_bytes());
            if keep.contains(&g) {
                glyf.extend_from_slice(self.glyph_data(g)?);
                while glyf.len() % 4 != 0 {
                    glyf.push(0);
                }
            }
        }
        loca.extend_from_slice(&(glyf.len() as u32).to_be_bytes());
        let mut head = self.table(b"head")?.to_vec();
        head.get_mut(8..12)?.copy_from_slice(&[0; 4]);
        head.get_mut(50..52)?.copy_from_slice(&1i16.to_be_bytes());
        let mut tables: Vec<([u8; 4], Vec<u8>)> = Vec::new();
        // Sorted by tag, as the format asks; cmap, name and OS/2 are small and some readers
        // want them even though the PDF maps glyphs itself.
        for tag in [
            b"OS/2", b"cmap", b"cvt ", b"fpgm", b"glyf", b"head", b"hhea", b"hmtx", b"loca",
            b"maxp", b"name", b"prep",
        ] {
            let data = match tag {
                b"glyf" => glyf.clone(),
                b"loca" => loca.clone(),
                b"head" => head.clone(),
                _ => match self.table(tag) {
                    Some(t) => t.to_vec(),
                    None => continue,
                },
            };
            tables.push((*tag, data));
        }
        Some(sfnt(&tables))
    }
}

fn read_cmap(d: &[u8], cmap: usize) -> Option<HashMap<char, u16>> {
    let n = u16_at(d, cmap + 2)? as usize;
    let mut best: Option<(u16, usize)> = None;
    for i in 0..n {
        let r = cmap + 4 + 8 * i;
        let (platform, encoding) = (u16_at(d, r)?, u16_at(d, r + 2)?);
        let sub = cmap + u32_at(d, r + 4)? as usize;
        let format = u16_at(d, sub)?;
        let rank = match (platform, encoding, format) {
            (3, 10, 12) | (0, 4, 12) => 2,
            (3, 1, 4) | (0, 3, 4) => 1,
            _ => 0,
        };
        if rank > 0 && best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, sub));
        }
    }
    let (_, sub) = best?;
    let mut map = HashMap::new();
    if u16_at(d, sub)? == 12 {
        let groups = u32_at(d, sub + 12)? as usize;
        for i in 0..groups {
            let g = sub + 16 + 12 * i;
            let (start, end, glyph) = (u32_at(d, g)?, u32_at(d, g + 4)?, u32_at(d, g + 8)?);
            for c in start..=end.min(0x10FFFF) {
                if let Some(ch) = char::from_u32(c) {
                    map.insert(ch, (glyph + c - start) as u16);
                }
            }
        }
    } else {
        let segs = u16_at(d, sub + 6)? as usize / 2;
        let ends = sub + 14;
        let starts = ends + 2 * segs + 2;
        let deltas = starts + 2 * segs;
        let ranges = deltas + 2 * segs;
        for s in 0..segs {
            let (start, end) = (u16_at(d, starts + 2 * s)?, u16_at(d, ends + 2 * s)?);
            let delta = u16_at(d, deltas + 2 * s)?;
            let range = u16_at(d, ranges + 2 * s)? as usize;
            if start == 0xFFFF {
                continue;
            }
            for c in start..=end {
                let g = if range == 0 {
                    c.wrapping_add(delta)
                } else {
                    let at = ranges + 2 * s + range + 2 * (c - start) as usize;
                    match u16_at(d, at)? {
                        0 => 0,
                        g => g.wrapping_add(delta),
                    }
                };
                if let (Some(ch), true) = (char::from_u32(u32::from(c)), g != 0) {
                    map.insert(ch, g);
                }
            }
        }
    }
    Some(map)
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

/// A TrueType file of the given tables (sorted by tag).
fn sfnt(tables: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let n = tables.len() as u16;
    let mut pow = 1u16;
    let mut selector = 0u16;
    while pow * 2 <= n {
        pow *= 2;
        selector += 1;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&(pow * 16).to_be_bytes());
    out.extend_from_slice(&selector.to_be_bytes());
    out.extend_from_slice(&(n * 16 - pow * 16).to_be_bytes());
    let mut offset = 12 + 16 * tables.len();
    let mut body = Vec::new();
    for (tag, data) in tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        body.extend_from_slice(data);
        while body.len() % 4 != 0 {
            body.push(0);
        }
        offset = 12 + 16 * tables.len() + body.len();
    }
    out.extend_from_slice(&body);
    out
}

fn fonts() -> Option<&'static [Font; 2]> {
    static FONTS: OnceLock<Option<[Font; 2]>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Some([
                Font::parse(REGULAR, "DejaVuSerif")?,
                Font::parse(BOLD, "DejaVuSerif-Bold")?,
            ])
        })
        .as_ref()
}

/// A document being drawn: coordinates in points from the top-left corner of the page.
pub struct Pdf {
    fonts: &'static [Font; 2],
    pages: Vec<String>,
    used: [BTreeMap<u16, char>; 2],
    title: String,
}

impl Pdf {
    /// A new document with one empty A4 page.
    pub fn new(title: &str) -> Result<Pdf, PdfError> {
        Ok(Pdf {
            fonts: fonts().ok_or(PdfError::Font)?,
            pages: vec![String::new()],
            used: [BTreeMap::new(), BTreeMap::new()],
            title: title.to_string(),
        })
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push(String::new());
    }

    fn font(&self, style: Style) -> (usize, &'static Font) {
        let i = match style {
            Style::Regular => 0,
            Style::Bold => 1,
        };
        (i, &self.fonts[i])
    }

    /// Width of a line of text, in points.
    pub fn width(&self, text: &str, size: f64, style: Style) -> f64 {
        let (_, f) = self.font(style);
        text.chars().map(|c| f.advance(f.glyph(c))).sum::<f64>() * size / 1000.0
    }

    /// Breaks text into lines no wider than `width`, at spaces and line breaks; a word
    /// longer than the line is cut.
    pub fn wrap(&self, text: &str, size: f64, style: Style, width: f64) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split_whitespace() {
                for piece in self.cut(word, size, style, width) {
                    let candidate = if line.is_empty() {
                        piece.clone()
                    } else {
                        format!("{line} {piece}")
                    };
                    if line.is_empty() || self.width(&candidate, size, style) <= width {
                        line = candidate;
                    } else {
                        lines.push(std::mem::replace(&mut line, piece));
                    }
                }
            }
            lines.push(line);
        }
        lines
    }

    fn cut(&self, word: &str, size: f64, style: Style, width: f64) -> Vec<String> {
        let mut out = Vec::new();
        let mut piece = String::new();
        for c in word.chars() {
            let next = format!("{piece}{c}");
            if !piece.is_empty() && self.width(&next, size, style) > width {
                out.push(std::mem::replace(&mut piece, c.to_string()));
            } else {
                piece = next;
            }
        }
        if !piece.is_empty() {
            out.push(piece);
        }
        out
    }

    /// Draws one line of text with its baseline at `y`.
    pub fn text(&mut self, x: f64, y: f64, size: f64, style: Style, align: Align, text: &str) {
        if text.is_empty() {
            return;
        }
        let w = self.width(text, size, style);
        let x = match align {
            Align::Left => x,
            Align::Center => x - w / 2.0,
            Align::Right => x - w,
        };
        let (i, f) = self.font(style);
        let mut hex = String::with_capacity(text.len() * 4);
        for c in text.chars() {
            let g = f.glyph(c);
            // A letter the font lacks is drawn as "?" and must read back as one.
            let shown = if f.cmap.contains_key(&c) { c } else { '?' };
            self.used[i].entry(g).or_insert(shown);
            let _ = write!(hex, "{g:04X}");
        }
        let page = self.pages.len() - 1;
        let _ = writeln!(
            self.pages[page],
            "BT /F{} {size:.2} Tf 1 0 0 1 {x:.2} {:.2} Tm <{hex}> Tj ET",
            i + 1,
            A4.1 - y
        );
    }

    /// Draws lines of wrapped text from baseline `y`; returns the baseline after the last.
    #[allow(clippy::too_many_arguments)]
    pub fn paragraph(
        &mut self,
        x: f64,
        y: f64,
        width: f64,
        size: f64,
        style: Style,
        leading: f64,
        text: &str,
    ) -> f64 {
        let mut y = y;
        for line in self.wrap(text, size, style, width) {
            self.text(x, y, size, style, Align::Left, &line);
            y += leading;
        }
        y
    }

    /// Draws a straight line.
    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, width: f64) {
        let page = self.pages.len() - 1;
        let _ = writeln!(
            self.pages[page],
            "{width:.2} w {x1:.2} {:.2} m {x2:.2} {:.2} l S",
            A4.1 - y1,
            A4.1 - y2
        );
    }

    /// Draws a QR code of `text` with its top-left corner at (x, y); false if it does not fit
    /// in a QR code.
    pub fn qr(&mut self, x: f64, y: f64, size: f64, text: &str) -> bool {
        let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
            return false;
        };
        let n = code.width();
        let cell = size / n as f64;
        let colors = code.to_colors();
        let page = self.pages.len() - 1;
        let out = &mut self.pages[page];
        for (k, c) in colors.iter().enumerate() {
            if *c == qrcode::Color::Dark {
                let (cx, cy) = ((k % n) as f64, (k / n) as f64);
                let _ = writeln!(
                    out,
                    "{:.2} {:.2} {cell:.3} {cell:.3} re",
                    x + cx * cell,
                    A4.1 - y - (cy + 1.0) * cell
                );
            }
        }
        out.push_str("f\n");
        true
    }

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
        objects[1] = format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            kids.len()
        )
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
    let mut out = format!(
        "<< /Length {} /Filter /FlateDecode {extra} >>\nstream\n",
        packed.len()
    )
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
            let hex: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let _ = writeln!(out, "<{g:04X}> <{hex}>");
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn inflate(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(data)
            .read_to_end(&mut out)
            .expect("inflate");
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
        pdf.text(
            50.0,
            100.0,
            13.0,
            Style::Bold,
            Align::Center,
            "CỘNG HÒA XÃ HỘI",
        );
        pdf.text(
            50.0,
            120.0,
            13.0,
            Style::Regular,
            Align::Left,
            "Nguyễn Thị Ánh",
        );
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
        for (k, line) in table
            .lines()
            .skip(3)
            .take_while(|l| l.len() == 18)
            .enumerate()
        {
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
        let expect: String = "Nguyễn Thị Ánh"
            .chars()
            .map(|c| format!("{:04X}", f.glyph(c)))
            .collect();
        assert!(content.contains("/F1 13.00 Tf"));
        assert!(content.contains(&format!("<{expect}>")));
        let e = format!("<{:04X}> <1EC5>", f.glyph('ễ'));
        assert!(cmaps.iter().any(|c| c.contains(&e)), "ễ maps back");
        let q = format!("<{:04X}> <003F>", f.glyph('?'));
        assert!(
            cmaps.iter().any(|c| c.contains(&q)),
            "a missing letter reads as ?"
        );
        assert!(content.contains(" re\n"), "QR modules drawn");
    }

    #[test]
    fn the_subset_keeps_used_glyphs_and_drops_the_rest() {
        let f = &fonts().expect("fonts")[0];
        let used: BTreeSet<u16> = "Hà Nội".chars().map(|c| f.glyph(c)).collect();
        let sub = f.subset(&used).expect("subset");
        assert!(sub.len() < f.data.len() / 4, "{} bytes", sub.len());
        let parsed = Font::parse(Box::leak(sub.into_boxed_slice()), "t").map(|p| {
            let kept = (0..p.num_glyphs)
                .filter(|g| p.loca[g + 1] > p.loca[*g])
                .count();
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
        assert!(lines
            .iter()
            .all(|l| pdf.width(l, 13.0, Style::Regular) <= 200.0));
        assert_eq!(lines.join(" "), text);
    }
}
