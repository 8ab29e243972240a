//! Backups encrypted as a whole under the key-encryption key (issue 13, item 18).
//!
//! Envelope encryption with ring's AES-256-GCM, no cipher of our own: each archive gets a fresh
//! random data key, kept in the archive's header sealed under the KEK (so rotating the KEK
//! with `cqdt kek rewrap` keeps older archives readable while the previous key is configured).
//! The compressed tar is cut into chunks of 64 KiB, each sealed with the data key. Nonces are a
//! counter (unique because the data key is used for one archive only) and the associated data
//! says whether the chunk is the last one, so chunks cannot be reordered, dropped or cut off
//! at the end without the archive being refused (the STREAM construction of Hoang, Reyhanitabar,
//! Rogaway and Vizár, as in Tink's streaming AEAD).
//!
//! Layout: `cqdt-backup-sealed/1\n`, the sealed data key and `\n`, then chunks, each a 4-byte
//! big-endian length and the chunk's ciphertext with its tag.

use std::io::Write;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

use crate::sealing::{SealError, Sealer};

/// The first line of a sealed archive.
pub const MAGIC: &[u8] = b"cqdt-backup-sealed/1\n";
/// Where the data key is bound in the KEK's associated data.
const DATA_KEY_CONTEXT: &str = "backup.data_key";
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

fn nonce(counter: u64) -> Nonce {
    let mut n = [0u8; NONCE_LEN];
    n[NONCE_LEN - 8..].copy_from_slice(&counter.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

fn aad(last: bool) -> Aad<[u8; 1]> {
    Aad::from([u8::from(last)])
}

fn data_key(bytes: &[u8]) -> LessSafeKey {
    // 32 bytes is AES-256-GCM's key length, so this cannot fail.
    LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, bytes).unwrap_or_else(|_| unreachable!("32-byte key")),
    )
}

/// A writer that seals what is written to it, chunk by chunk; `finish` seals the last chunk.
pub struct SealedWriter<W: Write> {
    out: W,
    key: LessSafeKey,
    counter: u64,
    buf: Vec<u8>,
}

impl<W: Write> SealedWriter<W> {
    /// Writes the header (the data key sealed under the current KEK) to `out`.
    pub fn new(mut out: W, sealer: &Sealer) -> std::io::Result<Self> {
        let key_bytes: [u8; 32] = rand::random();
        out.write_all(MAGIC)?;
        out.write_all(sealer.seal(DATA_KEY_CONTEXT, &key_bytes).as_bytes())?;
        out.write_all(b"\n")?;
        Ok(SealedWriter { out, key: data_key(&key_bytes), counter: 0, buf: Vec::new() })
    }

    fn emit(&mut self, last: bool) -> std::io::Result<()> {
        let mut chunk = std::mem::take(&mut self.buf);
        self.key
            .seal_in_place_append_tag(nonce(self.counter), aad(last), &mut chunk)
            .map_err(|_| std::io::Error::other("sealing a backup chunk failed"))?;
        self.counter += 1;
        let len = u32::try_from(chunk.len()).map_err(std::io::Error::other)?;
        self.out.write_all(&len.to_be_bytes())?;
        self.out.write_all(&chunk)
    }

    /// Seals the last chunk and returns the underlying writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.emit(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for SealedWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        // A full chunk is sealed only when more follows, so the last one is always sealed last.
        if self.buf.len() == CHUNK && !data.is_empty() {
            self.emit(false)?;
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Why a sealed archive does not open.
#[derive(Debug, thiserror::Error)]
pub enum Unsealed {
    /// The data key was sealed under a KEK that is not configured, or does not open.
    #[error("{0}")]
    Key(#[from] SealError),
    /// The archive was altered, reordered or cut short.
    #[error("bản sao lưu đã bị sửa hoặc bị cắt ({0})")]
    Damaged(&'static str),
}

/// Opens a whole sealed archive (`bytes` starts with [`MAGIC`]); the compressed tar inside.
pub fn open(bytes: &[u8], sealer: &Sealer) -> Result<Vec<u8>, Unsealed> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(Unsealed::Damaged("header"))?;
    let end = rest.iter().take(1024).position(|&b| b == b'\n').ok_or(Unsealed::Damaged("key"))?;
    let sealed_key = std::str::from_utf8(&rest[..end]).map_err(|_| Unsealed::Damaged("key"))?;
    let key = data_key(&sealer.open(DATA_KEY_CONTEXT, sealed_key)?);
    let mut rest = &rest[end + 1..];
    let mut out = Vec::with_capacity(rest.len());
    let mut counter = 0u64;
    loop {
        if rest.len() < 4 {
            return Err(Unsealed::Damaged("cut short"));
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if !(TAG..=CHUNK + TAG).contains(&len) || rest.len() < 4 + len {
            return Err(Unsealed::Damaged("chunk length"));
        }
        let mut chunk = rest[4..4 + len].to_vec();
        rest = &rest[4 + len..];
        let last = rest.is_empty();
        let clear = key
            .open_in_place(nonce(counter), aad(last), &mut chunk)
            .map_err(|_| Unsealed::Damaged(if last { "last chunk" } else { "chunk" }))?;
        out.extend_from_slice(clear);
        counter += 1;
        if last {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(data: &[u8], sealer: &Sealer) -> Vec<u8> {
        let mut w = SealedWriter::new(Vec::new(), sealer).expect("header");
        // Odd-sized writes, so chunk boundaries fall inside them.
        for part in data.chunks(7_777) {
            w.write_all(part).expect("write");
        }
        w.finish().expect("finish")
    }

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn an_archive_round_trips_at_every_size_around_a_chunk_boundary() {
        let sealer = Sealer::new([1; 32], &[]);
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5] {
            let data = sample(n);
            let bytes = sealed(&data, &sealer);
            assert_eq!(open(&bytes, &sealer).expect("opens"), data, "{n} bytes");
        }
    }

    #[test]
    fn the_clear_text_is_not_in_the_archive_and_another_key_does_not_open_it() {
        let sealer = Sealer::new([1; 32], &[]);
        let bytes = sealed(b"Nguyen Van A 079085001234 secret", &sealer);
        assert!(!bytes.windows(12).any(|w| w == b"079085001234"));
        let other = Sealer::new([2; 32], &[]);
        assert!(matches!(open(&bytes, &other), Err(Unsealed::Key(SealError::UnknownKey { .. }))));
        // After a rotation the previous key, still configured, opens it.
        let rotated = Sealer::new([2; 32], &[[1; 32]]);
        assert!(open(&bytes, &rotated).is_ok());
    }

    #[test]
    fn a_cut_altered_or_reordered_archive_is_refused() {
        let sealer = Sealer::new([1; 32], &[]);
        let bytes = sealed(&sample(2 * CHUNK + 10), &sealer);
        let header =
            MAGIC.len() + bytes[MAGIC.len()..].iter().position(|&b| b == b'\n').unwrap() + 1;
        let record = 4 + CHUNK + TAG;
        // Cut after the first two chunks: the second was not sealed as the last one.
        let cut = &bytes[..header + 2 * record];
        assert!(matches!(open(cut, &sealer), Err(Unsealed::Damaged("last chunk"))));
        let mut flipped = bytes.clone();
        flipped[header + 100] ^= 1;
        assert!(matches!(open(&flipped, &sealer), Err(Unsealed::Damaged("chunk"))));
        let mut swapped = bytes[..header].to_vec();
        swapped.extend_from_slice(&bytes[header + record..header + 2 * record]);
        swapped.extend_from_slice(&bytes[header..header + record]);
        swapped.extend_from_slice(&bytes[header + 2 * record..]);
        assert!(open(&swapped, &sealer).is_err());
        assert!(open(&bytes[..bytes.len() - 1], &sealer).is_err());
    }
}
