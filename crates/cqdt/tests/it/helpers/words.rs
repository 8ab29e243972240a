//! What no page may show a person (issue 15, items 1, 2 and 6): technical text, stored
//! status codes and English outcome words, ISO dates and UTC timestamps.

/// Technical text, found anywhere in a page's text.
const TECHNICAL: [&str; 8] = [
    "text/plain",
    "application/",
    " byte)",
    "account:",
    "charset",
    "generic",
    "not configured",
    "(set ",
];

/// Stored status codes and English outcome words, found as whole words.
const CODES: [&str; 22] = [
    "pending",
    "queued",
    "sent",
    "failed",
    "dead",
    "draft",
    "submitted",
    "received",
    "processing",
    "result_ready",
    "returned",
    "refused",
    "withdrawn",
    "supplement",
    "active",
    "completed",
    "incident",
    "cancelled",
    "success",
    "failure",
    "denied",
    "open",
];

/// Where `text` has `dddd-dd-dd` (an ISO date or timestamp): the text around it.
pub fn iso_date(text: &str) -> Option<String> {
    let b: Vec<char> = text.chars().collect();
    let digit = |i: usize| b.get(i).is_some_and(char::is_ascii_digit);
    (0..b.len()).find_map(|i| {
        let shape = (0..4).all(|k| digit(i + k))
            && b.get(i + 4) == Some(&'-')
            && digit(i + 5)
            && digit(i + 6)
            && b.get(i + 7) == Some(&'-')
            && digit(i + 8)
            && digit(i + 9);
        shape.then(|| b[i.saturating_sub(20)..(i + 30).min(b.len())].iter().collect())
    })
}

/// The first thing in a page's text that a person should not read, said as a complaint.
pub fn leak(text: &str) -> Option<String> {
    if let Some(t) = TECHNICAL.iter().find(|t| text.contains(**t)) {
        return Some(format!("shows “{t}”"));
    }
    let words: Vec<&str> = text.split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
    if let Some(c) = CODES.iter().find(|c| words.contains(c)) {
        return Some(format!("shows the code “{c}”"));
    }
    iso_date(text).map(|around| format!("shows an ISO date: …{around}…"))
}

#[test]
fn a_status_code_an_iso_timestamp_or_a_media_type_is_a_leak_and_vietnamese_words_are_not() {
    assert_eq!(leak("Trạng thái: pending"), Some("shows the code “pending”".into()));
    assert!(leak("Nộp lúc 2026-12-04T13:57:31Z").is_some_and(|m| m.contains("ISO date")));
    assert!(leak("(application/pdf, 11600 byte)").is_some());
    assert_eq!(leak("Đã nộp lúc 20:57 04/12/2026; mở tệp (PDF, 11,6 kB)"), None);
    assert_eq!(leak("opening"), None, "whole words only");
}
