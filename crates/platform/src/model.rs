//! Domain types of the platform core: jobs of the outbox and stored files.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting to run, or waiting for its next retry.
    Pending,
    /// Ran successfully.
    Done,
    /// Failed every attempt; an admin decides what to do.
    Dead,
}

impl JobStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(JobStatus::Pending),
            "done" => Some(JobStatus::Done),
            "dead" => Some(JobStatus::Dead),
            _ => None,
        }
    }

    /// The Vietnamese label for pages.
    pub fn label_vi(self) -> &'static str {
        match self {
            JobStatus::Pending => "Đang chờ",
            JobStatus::Done => "Đã xong",
            JobStatus::Dead => "Thất bại (cần xử lý)",
        }
    }
}

/// A job of the outbox as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Job {
    /// Identifier.
    pub id: i64,
    /// Which handler runs it.
    pub kind: String,
    /// JSON payload for the handler.
    pub payload: String,
    /// Status.
    pub status: JobStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// Attempts allowed before the job is dead.
    pub max_attempts: i64,
    /// When it may run next.
    #[schema(format = DateTime)]
    pub run_at: String,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was enqueued.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it finished (done or dead).
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
}

/// One attempt to run a job, for the delivery log.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct JobAttempt {
    /// Attempt number, from 1.
    pub attempt: i64,
    /// When it started.
    #[schema(format = DateTime)]
    pub started_at: String,
    /// When it ended.
    #[schema(format = DateTime)]
    pub finished_at: String,
    /// `ok` or `error`.
    pub outcome: String,
    /// The failure, if any.
    pub error: Option<String>,
}

/// How failed jobs are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Delay before the first retry; doubled for each later one.
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
    /// Attempts before a job is dead.
    pub max_attempts: i64,
    /// How long a claimed job is reserved for its worker before another may take it.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(3600),
            max_attempts: 10,
            lease: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The delay after the `attempt`-th failure (1-based): exponential, capped.
    pub fn delay_after(&self, attempt: i64) -> Duration {
        let exp = attempt.clamp(1, 30) - 1;
        let factor = 1u32.checked_shl(exp as u32).unwrap_or(u32::MAX);
        self.base_delay.checked_mul(factor).unwrap_or(self.max_delay).min(self.max_delay)
    }
}

/// File types the platform accepts as attachments, recognised by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum MediaType {
    /// PDF document.
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// Office Open XML or OpenDocument (a ZIP container).
    OfficeZip,
    /// XML (edXML packets, e-forms).
    Xml,
    /// Plain UTF-8 text, CSV or JSON.
    Text,
}

impl MediaType {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::OfficeZip => "application/zip",
            MediaType::Xml => "application/xml",
            MediaType::Text => "text/plain; charset=utf-8",
        }
    }

    /// The kind of file as a person names it.
    pub fn label_vi(self) -> &'static str {
        match self {
            MediaType::Pdf => "PDF",
            MediaType::Png => "Ảnh PNG",
            MediaType::Jpeg => "Ảnh JPEG",
            MediaType::OfficeZip => "Văn bản Office hoặc tệp nén",
            MediaType::Xml => "Dữ liệu XML",
            MediaType::Text => "Văn bản",
        }
    }

    /// Parses a stored MIME type.
    pub fn from_mime(s: &str) -> Option<Self> {
        [
            MediaType::Pdf,
            MediaType::Png,
            MediaType::Jpeg,
            MediaType::OfficeZip,
            MediaType::Xml,
            MediaType::Text,
        ]
        .into_iter()
        .find(|m| m.mime() == s)
    }

    /// Recognises a file by its first bytes; never by its name.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(MediaType::OfficeZip)
        } else {
            let text = std::str::from_utf8(bytes).ok()?;
            if text.contains('\0') {
                return None;
            }
            let start = text.trim_start_matches('\u{feff}').trim_start();
            if start.starts_with("<?xml") {
                Some(MediaType::Xml)
            } else {
                Some(MediaType::Text)
            }
        }
    }

    /// File name extensions that may carry this type.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            MediaType::Pdf => &["pdf"],
            MediaType::Png => &["png"],
            MediaType::Jpeg => &["jpg", "jpeg"],
            MediaType::OfficeZip => &["docx", "xlsx", "pptx", "odt", "ods", "zip"],
            MediaType::Xml => &["xml", "edxml"],
            MediaType::Text => &["txt", "csv", "json"],
        }
    }
}

/// A file in the content-addressed store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoredFile {
    /// SHA-256 of the content, hex; also its address.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// Type recognised from the content.
    pub media_type: MediaType,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap() {
        let p = RetryPolicy {
            base_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
            max_attempts: 5,
            lease: Duration::from_secs(1),
        };
        assert_eq!(p.delay_after(1), Duration::from_secs(10));
        assert_eq!(p.delay_after(2), Duration::from_secs(20));
        assert_eq!(p.delay_after(3), Duration::from_secs(40));
        assert_eq!(p.delay_after(4), Duration::from_secs(60));
        assert_eq!(p.delay_after(1000), Duration::from_secs(60));
    }

    #[test]
    fn files_are_recognised_by_content_not_by_name() {
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n..."), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(b"\x89PNG\r\n\x1a\n...."), Some(MediaType::Png));
        assert_eq!(MediaType::sniff(b"<?xml version=\"1.0\"?><a/>"), Some(MediaType::Xml));
        assert_eq!(MediaType::sniff(b"MZ\x90\x00\x03\x00"), None);
        assert_eq!(MediaType::sniff("Xin chào".as_bytes()), Some(MediaType::Text));
    }
}
