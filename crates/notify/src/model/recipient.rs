//! Recipients: e-mail addresses, Vietnamese mobile numbers, in-app account keys.

use super::{field_error, shorten, Channel, NotifyError};

fn invalid_recipient(message: String) -> NotifyError {
    NotifyError::Invalid(vec![field_error("recipient", message)])
}

/// Validates and normalises a recipient for a channel.
pub fn parse_recipient(channel: Channel, raw: &str) -> Result<String, NotifyError> {
    check_recipient(channel, raw).map_err(invalid_recipient)
}

/// Checks e-mail address syntax (`local@domain.tld`, no display name); lower-cases the domain.
pub fn parse_email(raw: &str) -> Result<String, NotifyError> {
    check_email(raw).map_err(invalid_recipient)
}

/// Checks a Vietnamese mobile number (`0xxxxxxxxx`, `+84xxxxxxxxx`, `84…`, `0084…`; spaces,
/// dots and dashes allowed) and normalises it to `+84xxxxxxxxx`.
pub fn parse_vn_phone(raw: &str) -> Result<String, NotifyError> {
    check_vn_phone(raw).map_err(invalid_recipient)
}

/// Checks an in-app recipient (account key): not empty, one line, at most 200 characters.
pub fn parse_account(raw: &str) -> Result<String, NotifyError> {
    check_account(raw).map_err(invalid_recipient)
}

/// The recipient check with its Vietnamese message, for collecting field errors.
pub(crate) fn check_recipient(channel: Channel, raw: &str) -> Result<String, String> {
    match channel {
        Channel::Email => check_email(raw),
        Channel::Sms => check_vn_phone(raw),
        Channel::InApp => check_account(raw),
    }
}

fn check_email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let bad = || format!("“{}” không phải địa chỉ thư điện tử hợp lệ.", shorten(s));
    if s.is_empty() {
        return Err("Chưa nhập địa chỉ thư điện tử.".into());
    }
    if s.len() > 254 {
        return Err("Địa chỉ thư điện tử dài quá 254 ký tự.".into());
    }
    let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
    const LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    if local_ok && domain_ok {
        Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
    } else {
        Err(bad())
    }
}

fn check_vn_phone(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("Chưa nhập số điện thoại.".into());
    }
    let bad = || {
        format!(
            "“{}” không phải số điện thoại di động Việt Nam hợp lệ (ví dụ 0912345678 hoặc +84912345678).",
            shorten(s)
        )
    };
    let mut compact = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            '0'..='9' => compact.push(c),
            '+' if i == 0 => compact.push(c),
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return Err(bad()),
        }
    }
    let national = if let Some(rest) = compact.strip_prefix("+84") {
        rest
    } else if let Some(rest) = compact.strip_prefix("0084") {
        rest
    } else if compact.len() == 11 && compact.starts_with("84") {
        &compact[2..]
    } else if let Some(rest) = compact.strip_prefix('0') {
        rest
    } else {
        return Err(bad());
    };
    let mobile = national.len() == 9
        && national.bytes().all(|b| b.is_ascii_digit())
        && matches!(national.as_bytes()[0], b'3' | b'5' | b'7' | b'8' | b'9');
    if mobile {
        Ok(format!("+84{national}"))
    } else {
        Err(bad())
    }
}

fn check_account(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        Err("Chưa nhập tài khoản nhận thông báo.".into())
    } else if s.chars().count() > 200 {
        Err("Mã tài khoản nhận thông báo dài quá 200 ký tự.".into())
    } else if s.chars().any(char::is_control) {
        Err("Mã tài khoản nhận thông báo chứa ký tự điều khiển.".into())
    } else {
        Ok(s.to_string())
    }
}

/// Normalises a recipient given as a search filter: a valid phone or e-mail address is
/// normalised as when it was stored, anything else is used as typed.
pub fn normalize_recipient_filter(raw: &str) -> String {
    check_vn_phone(raw).or_else(|_| check_email(raw)).unwrap_or_else(|_| raw.trim().to_string())
}

pub(crate) fn parse_link(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.starts_with('/')
        && !s.starts_with("//")
        && s.len() <= 500
        && !s.contains('\\')
        && !s.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        Ok(s.to_string())
    } else {
        Err("Đường liên kết phải là đường dẫn trong hệ thống, bắt đầu bằng “/”.".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_checked_and_their_domain_lower_cased() {
        assert_eq!(
            parse_email(" Nguyen.An+hs@SocTrang.GOV.vn ").ok().as_deref(),
            Some("Nguyen.An+hs@soctrang.gov.vn")
        );
        for bad in [
            "",
            "an",
            "an@",
            "@x.vn",
            "an@x",
            "an@@x.vn",
            "a..b@x.vn",
            ".a@x.vn",
            "an@-x.vn",
            "an @x.vn",
            "An <an@x.vn>",
            "an@x.v",
            "an@x..vn",
            "án@x.vn",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn vietnamese_mobile_numbers_are_normalised_to_plus_84() {
        for ok in [
            "0912345678",
            "091 234 5678",
            "091.234.5678",
            "+84912345678",
            "+84 91 234 5678",
            "84912345678",
            "0084912345678",
        ] {
            assert_eq!(parse_vn_phone(ok).ok().as_deref(), Some("+84912345678"), "{ok}");
        }
        assert_eq!(parse_vn_phone("0387654321").ok().as_deref(), Some("+84387654321"));
        for bad in [
            "",
            "091234567",
            "09123456789",
            "0212345678",
            "02993821234",
            "+1 912345678",
            "09123x5678",
            "0912+345678",
            "1912345678",
        ] {
            assert!(parse_vn_phone(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn an_in_app_recipient_must_not_be_empty() {
        assert!(parse_account("  ").is_err());
        assert!(parse_account("a\u{7}b").is_err());
        assert_eq!(parse_account(" cd:0123 ").ok().as_deref(), Some("cd:0123"));
    }
}
