//! Secrets at rest: values sealed with AES-256-GCM (ring) under a key-encryption key (KEK) that
//! is kept outside the database, in configuration (`CQDT_KEK`, `CQDT_KEK_FILE`).
//!
//! A sealed value is text, `sealed:v1:<kid>:<base64url(nonce ‖ ciphertext ‖ tag)>`. The kid is a
//! fingerprint of the KEK that sealed it, so that several keys can be configured at once while
//! one is rotated: the first (current) key seals, every configured key opens. The associated
//! data is a context string naming the column and the row (e.g. `accounts.totp_secret:<id>`),
//! so a sealed value copied into another row or column does not open.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use sha2::{Digest, Sha256};

const PREFIX: &str = "sealed:v1:";

/// Why a key or a sealed value could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// A configured key is not 32 bytes in hex or base64.
    #[error("a key-encryption key must be 32 bytes, written as 64 hex digits or in base64: {0}")]
    BadKey(String),
    /// The value was sealed under a key that is not configured.
    #[error(
        "a secret in the database was sealed with key-encryption key {kid}, which is not \
         configured (configured: {configured}); set CQDT_KEK or CQDT_KEK_FILE to that key"
    )]
    UnknownKey {
        /// The kid of the sealed value.
        kid: String,
        /// The kids configured.
        configured: String,
    },
    /// The value does not open: altered, or moved from another row or column.
    #[error("a sealed secret does not open: altered, or copied from another row ({0})")]
    Altered(String),
    /// The value is not a sealed value.
    #[error("not a sealed value ({0})")]
    Malformed(String),
}

/// One key-encryption key.
struct Kek {
    id: String,
    key: LessSafeKey,
}

impl Kek {
    fn new(bytes: &[u8; 32]) -> Self {
        let mut h = Sha256::new();
        h.update(b"cqdt-kek-id\0");
        h.update(bytes);
        let id = hex::encode(&h.finalize()[..8]);
        // 32 bytes is AES-256-GCM's key length, so this cannot fail.
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, bytes).unwrap_or_else(|_| unreachable!("32-byte key")),
        );
        Kek { id, key }
    }
}

/// The configured key-encryption keys: the current one seals, all of them open. Cheap to clone.
#[derive(Clone)]
pub struct Sealer {
    /// The current key first, then the previous ones.
    keys: Arc<Vec<Kek>>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer").field("key_ids", &self.key_ids()).finish()
    }
}

impl PartialEq for Sealer {
    fn eq(&self, other: &Self) -> bool {
        self.key_ids() == other.key_ids()
    }
}

impl Eq for Sealer {}

/// Decodes a key written as 64 hex digits or base64 (standard or URL-safe, padded or not).
pub fn parse_key(text: &str) -> Result<[u8; 32], SealError> {
    let t = text.trim();
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(t).ok()
    } else {
        [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD].iter().find_map(|e| e.decode(t).ok())
    };
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| SealError::BadKey(format!("{} characters", t.len())))
}

/// The keys a key file lists, one a line (`#` starts a comment): the first is current.
pub fn parse_key_file(text: &str) -> Result<Vec<[u8; 32]>, SealError> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(parse_key)
        .collect()
}

/// A new random key, in base64 (what `cqdt kek generate` prints).
pub fn generate_key_text() -> String {
    STANDARD.encode(rand::random::<[u8; 32]>())
}

impl Sealer {
    /// The keys: `current` seals, `current` and `previous` open.
    pub fn new(current: [u8; 32], previous: &[[u8; 32]]) -> Self {
        let mut keys = vec![Kek::new(&current)];
        for p in previous {
            let k = Kek::new(p);
            if keys.iter().all(|x| x.id != k.id) {
                keys.push(k);
            }
        }
        Sealer { keys: Arc::new(keys) }
    }

    /// The keys of a key file's text (first line current); refuses an empty file.
    pub fn from_key_file(text: &str) -> Result<Self, SealError> {
        let keys = parse_key_file(text)?;
        let (first, rest) =
            keys.split_first().ok_or_else(|| SealError::BadKey("the key file is empty".into()))?;
        Ok(Self::new(*first, rest))
    }

    /// Reads the key file at `path`, or creates it with a new random key (mode 0600) when it
    /// does not exist. Returns whether it was created.
    pub fn load_or_create_file(path: &Path) -> Result<(Self, bool), std::io::Error> {
        let invalid = |e: SealError| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Self::from_key_file(&text).map_err(invalid)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let text = format!(
                    "# cqdt key-encryption key (CQDT_KEK_FILE), generated: keep it out of backups\n{}\n",
                    generate_key_text()
                );
                write_private(path, text.as_bytes())?;
                Ok((Self::from_key_file(&text).map_err(invalid)?, true))
            }
            Err(e) => Err(e),
        }
    }

    /// A random key that lives as long as this process (tests, and libraries used without a
    /// configured key): everything sealed with it is lost when the process ends.
    pub fn ephemeral() -> Self {
        static KEY: std::sync::OnceLock<Sealer> = std::sync::OnceLock::new();
        KEY.get_or_init(|| Sealer::new(rand::random(), &[])).clone()
    }

    /// The kid of the current key.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// The kids of every configured key, current first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// Whether a stored value is sealed (as opposed to a clear value from an older release).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }

    /// Whether a stored value is sealed under the current key (nothing to rewrap).
    pub fn is_current(&self, stored: &str) -> bool {
        stored.strip_prefix(PREFIX).and_then(|r| r.split_once(':')).map(|(kid, _)| kid)
            == Some(self.current_id())
    }

    /// Seals `clear` under the current key, bound to `context` (table, column and row).
    pub fn seal(&self, context: &str, clear: &[u8]) -> String {
        let k = &self.keys[0];
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut buf = clear.to_vec();
        // Sealing only fails for inputs over ~64 GB.
        k.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .unwrap_or_else(|_| unreachable!("AES-GCM input too long"));
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&buf);
        format!("{PREFIX}{}:{}", k.id, URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a sealed value bound to `context`.
    pub fn open(&self, context: &str, stored: &str) -> Result<Vec<u8>, SealError> {
        let (kid, body) = stored
            .strip_prefix(PREFIX)
            .and_then(|r| r.split_once(':'))
            .ok_or_else(|| SealError::Malformed(context.into()))?;
        let k = self.keys.iter().find(|k| k.id == kid).ok_or_else(|| SealError::UnknownKey {
            kid: kid.into(),
            configured: self.key_ids().join(", "),
        })?;
        let bytes =
            URL_SAFE_NO_PAD.decode(body).map_err(|_| SealError::Malformed(context.into()))?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::Malformed(context.into()));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| SealError::Malformed(context.into()))?;
        let mut buf = sealed.to_vec();
        let clear = k
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| SealError::Altered(context.into()))?;
        Ok(clear.to_vec())
    }

    /// Opens a sealed text value; a value still in clear (written by an older release, before
    /// it was sealed at start) is returned as it is.
    pub fn open_text(&self, context: &str, stored: &str) -> Result<String, SealError> {
        if !Self::is_sealed(stored) {
            return Ok(stored.to_string());
        }
        String::from_utf8(self.open(context, stored)?)
            .map_err(|_| SealError::Altered(context.into()))
    }

    /// The value sealed under the current key: `None` when it already is. A clear value is
    /// sealed; one sealed under a previous key is opened and sealed again.
    pub fn reseal_text(&self, context: &str, stored: &str) -> Result<Option<String>, SealError> {
        if self.is_current(stored) {
            return Ok(None);
        }
        let clear = self.open_text(context, stored)?;
        Ok(Some(self.seal(context, clear.as_bytes())))
    }
}

/// Writes a file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_in_its_own_context_only_and_hides_the_clear_text() {
        let s = Sealer::new([7; 32], &[]);
        let sealed = s.seal("accounts.totp_secret:a1", b"JBSWY3DPEHPK3PXP");
        assert!(sealed.starts_with(&format!("sealed:v1:{}:", s.current_id())));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(s.open("accounts.totp_secret:a1", &sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(matches!(s.open("accounts.totp_secret:a2", &sealed), Err(SealError::Altered(_))));
        assert_ne!(sealed, s.seal("accounts.totp_secret:a1", b"JBSWY3DPEHPK3PXP"), "fresh nonce");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(s.open("accounts.totp_secret:a1", &tampered).is_err());
    }

    #[test]
    fn a_previous_key_opens_and_resealing_moves_values_to_the_current_key() {
        let old = Sealer::new([1; 32], &[]);
        let sealed = old.seal("c", b"secret");
        let rotated = Sealer::new([2; 32], &[[1; 32]]);
        assert_eq!(rotated.open("c", &sealed).unwrap(), b"secret");
        let again = rotated.reseal_text("c", &sealed).unwrap().expect("resealed");
        assert!(rotated.is_current(&again));
        assert_eq!(rotated.reseal_text("c", &again).unwrap(), None);
        let new_only = Sealer::new([2; 32], &[]);
        assert_eq!(new_only.open("c", &again).unwrap(), b"secret");
        assert!(matches!(new_only.open("c", &sealed), Err(SealError::UnknownKey { .. })));
        let clear = new_only.reseal_text("c", "JBSWY3DPEHPK3PXP").unwrap().expect("sealed");
        assert_eq!(new_only.open_text("c", &clear).unwrap(), "JBSWY3DPEHPK3PXP");
    }

    #[test]
    fn keys_are_read_in_hex_or_base64_and_anything_else_is_refused() {
        let k = [0xab; 32];
        assert_eq!(parse_key(&hex::encode(k)).unwrap(), k);
        assert_eq!(parse_key(&STANDARD.encode(k)).unwrap(), k);
        assert_eq!(parse_key(&URL_SAFE_NO_PAD.encode(k)).unwrap(), k);
        assert!(parse_key("short").is_err());
        assert!(parse_key(&STANDARD.encode([1u8; 16])).is_err());
        let file = format!("# comment\n{}\n\n{}  # old\n", generate_key_text(), hex::encode(k));
        let s = Sealer::from_key_file(&file).unwrap();
        assert_eq!(s.key_ids().len(), 2);
        assert_eq!(s.key_ids()[1], Sealer::new(k, &[]).current_id());
        assert!(Sealer::from_key_file("# nothing\n").is_err());
    }

    #[test]
    fn a_missing_key_file_is_created_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let (a, created) = Sealer::load_or_create_file(&path).unwrap();
        assert!(created);
        let (b, created) = Sealer::load_or_create_file(&path).unwrap();
        assert!(!created);
        assert_eq!(a.current_id(), b.current_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
