//! A small PDF writer for printed results: A4 pages of text in an embedded, subset TrueType
//! font (DejaVu Serif, which has every Vietnamese letter), lines and QR codes. Text stays
//! text: each font carries a ToUnicode map, so a result can be searched, copied and read
//! aloud. Hand-written because the need is small (one layout, two faces) and a PDF crate
//! with font handling would be a heavy dependency.

mod font;
mod layout;
#[cfg(test)]
mod tests;
mod writer;

pub use layout::Pdf;

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
