//! The ZIP container of a workbook: written in memory (stored or deflated entries, no
//! extras), and read with caps on entries and inflated size, sizes and CRC-32s checked.

use std::collections::HashMap;
use std::io::{Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

use super::{XlsxError, MAX_ENTRIES, MAX_UNCOMPRESSED};

/// A ZIP archive being written in memory: local headers and data, then the central directory.
#[derive(Default)]
pub(super) struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

fn u32_of(n: usize, what: &str) -> Result<u32, XlsxError> {
    u32::try_from(n).map_err(|_| XlsxError::Write(format!("{what} vượt quá 4 GB")))
}

impl ZipWriter {
    pub(super) fn add(&mut self, name: &str, data: &[u8]) -> Result<(), XlsxError> {
        let mut crc = Crc::new();
        crc.update(data);
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        let packed = enc
            .write_all(data)
            .and_then(|()| enc.finish())
            .map_err(|e| XlsxError::Write(e.to_string()))?;
        self.add_raw(name, 8, crc.sum(), &packed, data.len())
    }

    /// Adds an entry whose data is already compressed with `method`.
    pub(super) fn add_raw(
        &mut self,
        name: &str,
        method: u16,
        crc: u32,
        packed: &[u8],
        size: usize,
    ) -> Result<(), XlsxError> {
        let offset = u32_of(self.out.len(), "bảng tính")?;
        let (csize, usize_) = (u32_of(packed.len(), name)?, u32_of(size, name)?);
        let name_len = u16::try_from(name.len()).map_err(|_| XlsxError::Write(name.into()))?;
        // version 2.0, flags 0, method, time 00:00, date 1980-01-01 (reproducible output)
        let common = |b: &mut Vec<u8>| {
            for v in [20u16, 0, method, 0, 0x21] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            for v in [crc, csize, usize_] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            b.extend_from_slice(&name_len.to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        };
        self.out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut self.out);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(packed);
        self.central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        self.central.extend_from_slice(&20u16.to_le_bytes()); // made by: version 2.0
        common(&mut self.central);
        // comment length, disk, internal attributes, external attributes, local header offset
        for v in [0u16, 0, 0] {
            self.central.extend_from_slice(&v.to_le_bytes());
        }
        self.central.extend_from_slice(&0u32.to_le_bytes());
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.entries =
            self.entries.checked_add(1).ok_or_else(|| XlsxError::Write("quá nhiều phần".into()))?;
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        let offset = u32_of(self.out.len(), "bảng tính")?;
        let size = u32_of(self.central.len(), "bảng tính")?;
        self.out.append(&mut self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        for v in [0u16, 0, self.entries, self.entries] {
            self.out.extend_from_slice(&v.to_le_bytes());
        }
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&offset.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        Ok(self.out)
    }
}

struct Entry {
    flags: u16,
    method: u16,
    crc: u32,
    csize: u64,
    size: u64,
    offset: u64,
}

fn le16(b: &[u8], at: usize) -> Result<u16, XlsxError> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| XlsxError::Zip("dữ liệu bị cắt cụt".into()))
}

fn le32(b: &[u8], at: usize) -> Result<u32, XlsxError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| XlsxError::Zip("dữ liệu bị cắt cụt".into()))
}

/// The ZIP container: its central directory, and what is left of the inflation budget.
pub(super) struct Archive<'a> {
    data: &'a [u8],
    entries: HashMap<String, Entry>,
    budget: u64,
}

impl<'a> Archive<'a> {
    pub(super) fn open(data: &'a [u8]) -> Result<Self, XlsxError> {
        // The end record is the last thing in the file, followed by at most a 64 KB comment.
        let min_start = data.len().saturating_sub(22 + 65_535);
        let end = (min_start..=data.len().saturating_sub(22))
            .rev()
            .find(|&i| data.len() >= 22 && data[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
            .ok_or_else(|| XlsxError::Zip("không có bản ghi kết thúc".into()))?;
        let count = le16(data, end + 10)?;
        let cd_offset = le32(data, end + 16)?;
        if count == 0xFFFF || cd_offset == 0xFFFF_FFFF {
            return Err(XlsxError::Unsupported("ZIP64".into()));
        }
        if usize::from(count) > MAX_ENTRIES {
            return Err(XlsxError::TooManyEntries);
        }
        let mut entries = HashMap::new();
        let mut at = cd_offset as usize;
        for _ in 0..count {
            if le32(data, at)? != 0x0201_4b50 {
                return Err(XlsxError::Zip("thư mục trung tâm hỏng".into()));
            }
            let name_len = usize::from(le16(data, at + 28)?);
            let extra_len = usize::from(le16(data, at + 30)?);
            let comment_len = usize::from(le16(data, at + 32)?);
            let name = data
                .get(at + 46..at + 46 + name_len)
                .ok_or_else(|| XlsxError::Zip("tên phần bị cắt cụt".into()))?;
            let name = String::from_utf8_lossy(name).replace('\\', "/");
            let entry = Entry {
                flags: le16(data, at + 8)?,
                method: le16(data, at + 10)?,
                crc: le32(data, at + 16)?,
                csize: u64::from(le32(data, at + 20)?),
                size: u64::from(le32(data, at + 24)?),
                offset: u64::from(le32(data, at + 42)?),
            };
            // Part names are case-insensitive (OPC).
            entries.insert(name.trim_start_matches('/').to_lowercase(), entry);
            at += 46 + name_len + extra_len + comment_len;
        }
        Ok(Archive { data, entries, budget: MAX_UNCOMPRESSED })
    }

    /// Inflates one part, within the budget, and checks its size and CRC-32.
    pub(super) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, XlsxError> {
        let Some(e) = self.entries.get(&name.to_lowercase()) else {
            return Ok(None);
        };
        if e.flags & 1 != 0 {
            return Err(XlsxError::Unsupported("tệp được mã hoá bằng mật khẩu".into()));
        }
        if e.size > self.budget {
            return Err(XlsxError::TooLarge(format!("phần {name}")));
        }
        let local = e.offset as usize;
        if le32(self.data, local)? != 0x0403_4b50 {
            return Err(XlsxError::Zip(format!("đầu phần {name} hỏng")));
        }
        let start = local
            + 30
            + usize::from(le16(self.data, local + 26)?)
            + usize::from(le16(self.data, local + 28)?);
        let packed = start
            .checked_add(e.csize as usize)
            .and_then(|stop| self.data.get(start..stop))
            .ok_or_else(|| XlsxError::Zip(format!("phần {name} bị cắt cụt")))?;
        let mut out = Vec::new();
        match e.method {
            0 => out.extend_from_slice(packed),
            8 => {
                // Never trust the declared size: stop one byte past the budget.
                DeflateDecoder::new(packed)
                    .take(self.budget + 1)
                    .read_to_end(&mut out)
                    .map_err(|_| XlsxError::Corrupt(name.into()))?;
            }
            m => return Err(XlsxError::Unsupported(format!("cách nén số {m}"))),
        }
        if out.len() as u64 > self.budget {
            return Err(XlsxError::TooLarge(format!("phần {name}")));
        }
        let mut crc = Crc::new();
        crc.update(&out);
        if out.len() as u64 != e.size || crc.sum() != e.crc {
            return Err(XlsxError::Corrupt(name.into()));
        }
        self.budget -= out.len() as u64;
        Ok(Some(out))
    }
}
