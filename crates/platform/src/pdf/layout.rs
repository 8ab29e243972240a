//! Drawing on A4 pages: text measured and wrapped in the embedded font, lines, QR codes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::font::{fonts, Font};
use super::{Align, PdfError, Style, A4};

/// A document being drawn: coordinates in points from the top-left corner of the page.
pub struct Pdf {
    pub(super) fonts: &'static [Font; 2],
    pub(super) pages: Vec<String>,
    pub(super) used: [BTreeMap<u16, char>; 2],
    pub(super) title: String,
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
                    let candidate =
                        if line.is_empty() { piece.clone() } else { format!("{line} {piece}") };
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
}
