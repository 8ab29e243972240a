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

/// Ten new recovery codes (`xxxxx-xxxxx`, lower-case base32), shown once.
pub fn new_recovery_codes() -> Vec<String> {
    (0..10)
        .map(|_| {
            let s = base32_encode(&rand::random::<[u8; 7]>()).to_ascii_lowercase();
            format!("{}-{}", &s[..5], &s[5..10])
        })
        .collect()
}

/// The stored digest of a recovery code (as typed: case and dashes ignored).
pub fn recovery_digest(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(norm.as_bytes()))
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
    fn recovery_codes_are_distinct_and_digests_ignore_case_and_dashes() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let set: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(set.len(), 10);
        let c = &codes[0];
        assert_eq!(recovery_digest(c), recovery_digest(&c.to_uppercase().replace('-', "")));
    }
}
