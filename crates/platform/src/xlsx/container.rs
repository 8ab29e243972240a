//! The ZIP container of an uploaded workbook, checked with the zip crate before the reader
//! opens it: at most [`MAX_ENTRIES`] parts, none encrypted, each inflating to exactly its
//! declared size and checksum, all of them together to at most [`MAX_UNCOMPRESSED`] bytes.
//! Inflation stops one byte past what is allowed, so a "zip bomb" costs us at most that much.

use std::io::{Cursor, Read};

use zip::result::ZipError;

use super::{XlsxError, MAX_ENTRIES, MAX_UNCOMPRESSED};

/// The part every workbook has, where the reader finds its sheets.
const WORKBOOK_PART: &str = "xl/workbook.xml";

fn zip_error(e: ZipError) -> XlsxError {
    match e {
        ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED) | ZipError::InvalidPassword => {
            XlsxError::Unsupported("tệp được mã hoá bằng mật khẩu".into())
        }
        ZipError::UnsupportedArchive(what) => XlsxError::Unsupported(what.into()),
        e => XlsxError::Zip(e.to_string()),
    }
}

/// Checks the container of `bytes`; on success, reading any part of it is bounded.
pub(super) fn check(bytes: &[u8]) -> Result<(), XlsxError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    if archive.len() > MAX_ENTRIES {
        return Err(XlsxError::TooManyEntries);
    }
    let mut budget = MAX_UNCOMPRESSED;
    let mut has_workbook = false;
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).map_err(zip_error)?;
        let name = part.name().to_string();
        has_workbook |= name.trim_start_matches('/').eq_ignore_ascii_case(WORKBOOK_PART);
        let declared = part.size();
        if declared > budget {
            return Err(XlsxError::TooLarge(format!("phần {name}")));
        }
        // Never trust the declared size: read at most one byte past it.
        let mut inflated = 0u64;
        let mut buf = [0u8; 16 * 1024];
        let mut limited = (&mut part).take(declared + 1);
        loop {
            match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => inflated += n as u64,
                Err(_) => return Err(XlsxError::Corrupt(name)),
            }
        }
        if inflated > declared {
            // More than it said: a bomb whose header lies, or a broken file; either way,
            // what it would inflate to is unknown, so it counts as too large.
            return Err(XlsxError::TooLarge(format!("phần {name}")));
        }
        if inflated != declared {
            return Err(XlsxError::Corrupt(name));
        }
        budget -= inflated;
    }
    if !has_workbook {
        return Err(XlsxError::NotAWorkbook);
    }
    Ok(())
}
