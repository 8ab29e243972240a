//! The embedded TrueType fonts: just enough of the format to map characters to glyphs,
//! measure them, and cut a font down to the glyphs a document uses.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif-Bold.ttf");

pub(super) struct Font {
    pub(super) data: &'static [u8],
    pub(super) name: &'static str,
    tables: HashMap<[u8; 4], (usize, usize)>,
    pub(super) units: f64,
    pub(super) cmap: HashMap<char, u16>,
    advances: Vec<u16>,
    pub(super) num_glyphs: usize,
    pub(super) ascent: i16,
    pub(super) descent: i16,
    pub(super) bbox: [i16; 4],
    pub(super) loca: Vec<usize>,
}

fn u16_at(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(o)?, *d.get(o + 1)?]))
}

fn i16_at(d: &[u8], o: usize) -> Option<i16> {
    u16_at(d, o).map(|v| v as i16)
}

fn u32_at(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*d.get(o)?, *d.get(o + 1)?, *d.get(o + 2)?, *d.get(o + 3)?]))
}

impl Font {
    pub(super) fn parse(data: &'static [u8], name: &'static str) -> Option<Font> {
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

    pub(super) fn glyph(&self, c: char) -> u16 {
        self.cmap.get(&c).or_else(|| self.cmap.get(&'?')).copied().unwrap_or(0)
    }

    pub(super) fn advance(&self, g: u16) -> f64 {
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
    pub(super) fn subset(&self, used: &BTreeSet<u16>) -> Option<Vec<u8>> {
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

pub(super) fn fonts() -> Option<&'static [Font; 2]> {
    static FONTS: OnceLock<Option<[Font; 2]>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Some([Font::parse(REGULAR, "DejaVuSerif")?, Font::parse(BOLD, "DejaVuSerif-Bold")?])
        })
        .as_ref()
}
