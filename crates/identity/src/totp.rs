//! The second factor: time-based one-time passwords (RFC 6238, HMAC-SHA1, 30 s, 6 digits, as
//! every authenticator app computes them), their enrolment URI and QR code, and recovery codes.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Seconds per step.
pub const STEP: i64 = 30;
/// Steps accepted either side of now, for clock drift between phone and server.
pub const DRIFT: i64 = 1;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new random secret (160 bits, RFC 4226's recommendation), base32 without padding.
pub fn new_secret() -> String {
    base32_encode(&rand::random::<[u8; 20]>())
}

/// RFC 4648 base32 without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes base32 (case-insensitive, padding and spaces ignored).
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !matches!(c, b'=' | b' ')) {
        let v = BASE32.iter().position(|&x| x == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

/// The code for a step (HOTP of RFC 4226 with the step as counter).
pub fn code_at(secret: &[u8], step: i64) -> Option<u32> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).ok()?;
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    Some(bin % 1_000_000)
}

/// The code an app shows at a Unix time, as 6 digits.
pub fn code(secret_b32: &str, unix: i64) -> Option<String> {
    let secret = base32_decode(secret_b32)?;
    code_at(&secret, unix.div_euclid(STEP)).map(|c| format!("{c:06}"))
}

/// The step at which `code` is valid within the drift window around `unix`, if any, and only
/// if it is later than `last_step` (a code is accepted once).
pub fn check(secret_b32: &str, code: &str, unix: i64, last_step: i64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let secret = base32_decode(secret_b32)?;
    let now = unix.div_euclid(STEP);
    let mut found = None;
    // Check every step of the window, so the time taken does not tell which one matched.
    for step in now - DRIFT..=now + DRIFT {
        if code_at(&secret, step) == Some(wanted) && step > last_step && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` URI that authenticator apps read from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = cqdt_platform::web::url_encode;
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// The QR code of `text` as an SVG image with a text alternative.
pub use cqdt_platform::web::qr_svg;

/// Recovery codes per enrolment.
pub const RECOVERY_CODES: usize = 10;

/// Ten new recovery codes, shown once: 80 random bits each, 16 lower-case base32 characters
/// in groups of four (`abcd-efgh-ijkl-mnop`).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let s = base32_encode(&rand::random::<[u8; 10]>()).to_ascii_lowercase();
            format!("{}-{}-{}-{}", &s[..4], &s[4..8], &s[8..12], &s[12..16])
        })
        .collect()
}

/// A recovery code as typed, normalised: case, dashes and spaces ignored.
fn normalise_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Argon2id for recovery codes. The codes carry 80 random bits, so the hash only has to make
/// a stolen table useless, not stretch a weak secret: a lighter setting than passwords'
/// (8 MiB, 1 pass), computed once per attempt (the codes of one enrolment share a salt).
fn recovery_argon2() -> Option<argon2::Argon2<'static>> {
    let params = argon2::Params::new(8 * 1024, 1, 1, Some(32)).ok()?;
    Some(argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params))
}

const RECOVERY_HASH: &str = "rc2$";

fn recovery_hash_with(salt: &[u8], code: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    recovery_argon2()?
        .hash_password_into(normalise_recovery(code).as_bytes(), salt, &mut out)
        .ok()?;
    Some(out)
}

/// The stored forms of new recovery codes: `rc2$<salt>$<argon2id>` (base64), one salt for the
/// enrolment. Slow (about ten hashes): call off the async threads.
pub fn hash_recovery_codes(codes: &[String]) -> Vec<String> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    let salt: [u8; 16] = rand::random();
    codes
        .iter()
        .filter_map(|c| recovery_hash_with(&salt, c))
        .map(|h| format!("{RECOVERY_HASH}{}${}", b64.encode(salt), b64.encode(h)))
        .collect()
}

/// The index of the stored recovery code that `typed` is, if any. Knows the stored forms of
/// this release (argon2id, 16-character codes) and of earlier ones (unsalted SHA-256 of
/// 10-character codes, still honoured until used or replaced). Slow: call off the async
/// threads.
pub fn find_recovery_code(stored: &[String], typed: &str) -> Option<usize> {
    use base64::Engine;
    use subtle::ConstantTimeEq;
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    let norm = normalise_recovery(typed);
    let legacy = (norm.len() == 10).then(|| hex::encode(Sha256::digest(norm.as_bytes())));
    let mut computed: Option<(Vec<u8>, [u8; 32])> = None;
    let mut found = None;
    for (i, entry) in stored.iter().enumerate() {
        let hit = if let Some(rest) = entry.strip_prefix(RECOVERY_HASH) {
            let Some((salt, hash)) = rest.split_once('$') else { continue };
            let (Ok(salt), Ok(hash)) = (b64.decode(salt), b64.decode(hash)) else { continue };
            if norm.len() != 16 {
                continue;
            }
            let mine = match &computed {
                Some((s, h)) if *s == salt => *h,
                _ => {
                    let Some(h) = recovery_hash_with(&salt, &norm) else { continue };
                    computed = Some((salt, h));
                    h
                }
            };
            bool::from(mine.ct_eq(hash.as_slice()))
        } else {
            legacy.as_deref().is_some_and(|d| bool::from(d.as_bytes().ct_eq(entry.as_bytes())))
        };
        if hit && found.is_none() {
            found = Some(i);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits there; the last 6 are ours).
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (t, full) in [
            (59i64, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(code_at(secret, t / STEP), Some(full % 1_000_000), "t={t}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw6ytboi======"), Some(b"foobar".to_vec()));
        let s = new_secret();
        assert_eq!(s.len(), 32);
        assert_eq!(base32_decode(&s).map(|b| b.len()), Some(20));
        assert_eq!(base32_decode("MZ1"), None);
    }

    #[test]
    fn a_code_is_accepted_within_the_drift_window_and_only_once() {
        let secret = new_secret();
        let now = 1_790_000_000;
        let c = code(&secret, now).expect("code");
        let step = check(&secret, &c, now, 0).expect("accepted");
        assert_eq!(step, now / STEP);
        assert_eq!(check(&secret, &c, now, step), None, "replayed");
        let previous = code(&secret, now - STEP).expect("code");
        assert!(check(&secret, &previous, now, 0).is_some());
        let old = code(&secret, now - 3 * STEP).expect("code");
        assert!(old == c || check(&secret, &old, now, 0).is_none());
        assert_eq!(check(&secret, "12345", now, 0), None);
    }

    #[test]
    fn the_enrolment_uri_and_qr_code_are_well_formed() {
        let uri = otpauth_uri("Sóc Trăng", "cb.tiepnhan", "JBSWY3DPEHPK3PXP");
        assert!(uri.starts_with(
            "otpauth://totp/S%C3%B3c%20Tr%C4%83ng:cb.tiepnhan?secret=JBSWY3DPEHPK3PXP&issuer="
        ));
        let svg = qr_svg(&uri, "Mã QR").expect("svg");
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Mã QR\""));
    }

    #[test]
    fn recovery_codes_carry_80_random_bits_and_are_stored_salted_and_slow() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let set: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(set.len(), 10);
        for c in &codes {
            let raw = normalise_recovery(c);
            assert_eq!(raw.len(), 16, "{c}");
            assert_eq!(base32_decode(&raw).map(|b| b.len()), Some(10), "80 bits: {c}");
            assert_eq!(c.len(), 19, "four groups of four: {c}");
        }
        let stored = hash_recovery_codes(&codes);
        assert_eq!(stored.len(), 10);
        for (s, c) in stored.iter().zip(&codes) {
            assert!(s.starts_with("rc2$"), "{s}");
            assert!(!s.contains(&normalise_recovery(c)));
            assert_ne!(*s, hex::encode(Sha256::digest(normalise_recovery(c).as_bytes())));
        }
        assert_eq!(find_recovery_code(&stored, &codes[3]), Some(3));
        assert_eq!(
            find_recovery_code(&stored, &codes[3].to_uppercase().replace('-', " ")),
            Some(3)
        );
        assert_eq!(find_recovery_code(&stored, "aaaa-bbbb-cccc-dddd"), None);
        assert_eq!(find_recovery_code(&stored, "123456"), None);
        // Another enrolment of the same codes has another salt.
        assert_ne!(hash_recovery_codes(&codes[..1]), stored[..1].to_vec());
    }

    #[test]
    fn recovery_codes_of_an_earlier_release_still_work() {
        let old_code = "abcde-fghij";
        let stored = vec![
            hex::encode(Sha256::digest(b"zzzzzzzzzz")),
            hex::encode(Sha256::digest(b"abcdefghij")),
        ];
        assert_eq!(find_recovery_code(&stored, old_code), Some(1));
        assert_eq!(find_recovery_code(&stored, "ABCDEFGHIJ"), Some(1));
        assert_eq!(find_recovery_code(&stored, "abcde-fghik"), None);
    }
}
