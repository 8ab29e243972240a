//! Dossiers and their life (DESIGN.md §6, TT 01/2018/TT-VPCP).

use serde::Serialize;
use utoipa::ToSchema;

/// Where a dossier is in its life. The portal sets the first two; the one-stop back office
/// the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DossierStatus {
    /// Being prepared by the applicant; no code yet.
    Draft,
    /// Submitted online, awaiting reception (chờ tiếp nhận).
    Submitted,
    /// Received; the appointment date runs (đã tiếp nhận).
    Received,
    /// Waiting for the applicant to supplement it (chờ bổ sung).
    Supplement,
    /// Being processed (đang xử lý).
    Processing,
    /// Result ready to be returned (có kết quả).
    ResultReady,
    /// Result returned; finished (đã trả kết quả).
    Returned,
    /// Refused (từ chối tiếp nhận hoặc giải quyết).
    Refused,
    /// Withdrawn by the applicant (đã rút).
    Withdrawn,
}

impl DossierStatus {
    /// Every status.
    pub const ALL: [DossierStatus; 9] = [
        DossierStatus::Draft,
        DossierStatus::Submitted,
        DossierStatus::Received,
        DossierStatus::Supplement,
        DossierStatus::Processing,
        DossierStatus::ResultReady,
        DossierStatus::Returned,
        DossierStatus::Refused,
        DossierStatus::Withdrawn,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DossierStatus::Draft => "draft",
            DossierStatus::Submitted => "submitted",
            DossierStatus::Received => "received",
            DossierStatus::Supplement => "supplement",
            DossierStatus::Processing => "processing",
            DossierStatus::ResultReady => "result_ready",
            DossierStatus::Returned => "returned",
            DossierStatus::Refused => "refused",
            DossierStatus::Withdrawn => "withdrawn",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        DossierStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Vietnamese name.
    pub fn label(self) -> &'static str {
        match self {
            DossierStatus::Draft => "Đang soạn",
            DossierStatus::Submitted => "Đã nộp, chờ tiếp nhận",
            DossierStatus::Received => "Đã tiếp nhận",
            DossierStatus::Supplement => "Chờ bổ sung",
            DossierStatus::Processing => "Đang giải quyết",
            DossierStatus::ResultReady => "Đã có kết quả",
            DossierStatus::Returned => "Đã trả kết quả",
            DossierStatus::Refused => "Từ chối",
            DossierStatus::Withdrawn => "Đã rút",
        }
    }
}

/// A dossier as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dossier {
    /// Internal id (drafts have no code yet).
    pub id: String,
    /// The TT 01/2018 code `<agency>-YYMMDD-XXXX`, once submitted.
    pub code: Option<String>,
    /// Procedure (provincial code).
    pub procedure_code: String,
    /// Procedure name at filing.
    pub procedure_name: String,
    /// Receiving agency code.
    pub agency_code: String,
    /// Receiving agency name.
    pub agency_name: String,
    /// Applicant's account.
    pub applicant_account: String,
    /// Applicant's name.
    pub applicant_name: String,
    /// Applicant's phone (+84…), for notices.
    pub applicant_phone: Option<String>,
    /// Applicant's e-mail, for notices.
    pub applicant_email: Option<String>,
    /// E-form values (JSON object).
    #[schema(value_type = Object)]
    pub form: serde_json::Value,
    /// Status.
    pub status: DossierStatus,
    /// Created.
    pub created_at: String,
    /// Submitted.
    pub submitted_at: Option<String>,
    /// Last change.
    pub updated_at: String,
    /// Appointment date for the result (`YYYY-MM-DD`), set at reception.
    pub due_date: Option<String>,
    /// When it was finished (returned, refused or withdrawn).
    pub finished_at: Option<String>,
}

/// A file attached to a dossier, for one of the procedure's components.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct DossierFile {
    /// Index of the component in the procedure.
    pub component: i64,
    /// Content hash (the file store's address).
    pub sha256: String,
    /// Name as uploaded (shown only).
    pub file_name: String,
    /// MIME type recognised from the content.
    pub media_type: String,
    /// Size in bytes.
    pub size: i64,
}

/// One step of a dossier's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DossierEvent {
    /// When.
    pub at: String,
    /// Status after the step.
    pub status: DossierStatus,
    /// Who (account actor or `system`).
    pub actor: String,
    /// What happened, in Vietnamese.
    pub note: String,
}

impl DossierStatus {
    /// Whether the dossier's life is over.
    pub fn is_final(self) -> bool {
        matches!(self, DossierStatus::Returned | DossierStatus::Refused | DossierStatus::Withdrawn)
    }
}

/// Something the applicant must supply (one line of Mẫu 02).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct SupplementItem {
    /// The procedure's component it concerns, if any (index).
    pub component: Option<i64>,
    /// What is missing or must be corrected, in Vietnamese.
    pub text: String,
}

/// A request to supplement a dossier (TT 01/2018 Mẫu 02) and its answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplementRequest {
    /// Order within the dossier, from 1.
    pub seq: i64,
    /// When it was asked.
    pub requested_at: String,
    /// Who asked (actor).
    pub requested_by: String,
    /// Everything missing, listed at once.
    pub items: Vec<SupplementItem>,
    /// Guidance for the applicant.
    pub note: String,
    /// The status the dossier returns to once answered.
    pub resume_status: DossierStatus,
    /// When the applicant answered.
    pub answered_at: Option<String>,
    /// The applicant's note with the answer.
    pub answer_note: Option<String>,
}

/// A result document of a dossier.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ResultDoc {
    /// Order within the dossier, from 1 (used in download links).
    pub seq: i64,
    /// Content hash (the file store's address).
    pub sha256: String,
    /// File name offered for download.
    pub file_name: String,
    /// MIME type recognised from the content.
    pub media_type: String,
    /// Size in bytes.
    pub size: i64,
    /// When it was added.
    pub added_at: String,
    /// Who added it (actor).
    pub added_by: String,
    /// Description (e.g. the licence number).
    pub note: String,
}

/// An apology for a late result with a new return date (TT 01/2018 Mẫu 04).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Apology {
    /// Order within the dossier.
    pub seq: i64,
    /// When.
    pub issued_at: String,
    /// By whom (actor).
    pub issued_by: String,
    /// The agency that apologises.
    pub agency_name: String,
    /// Why the result is late.
    pub reason: String,
    /// The appointment date that will be missed (yyyy-mm-dd).
    pub old_due: String,
    /// The new return date (yyyy-mm-dd).
    pub new_due: String,
}

/// Counts of dossiers for one group of the one-stop statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Counts {
    /// Received (accepted at reception) in the period.
    pub received: i64,
    /// Resolved before the statutory due date.
    pub early: i64,
    /// Resolved on the statutory due date.
    pub on_time: i64,
    /// Resolved after it (an apology does not move it).
    pub late: i64,
    /// Received and not yet resolved.
    pub in_progress: i64,
    /// Of those, past the statutory due date.
    pub overdue: i64,
    /// Waiting for the applicant's supplement.
    pub supplement: i64,
    /// Refused (at reception or on the merits).
    pub refused: i64,
    /// Withdrawn by the applicant.
    pub withdrawn: i64,
    /// Apologies issued (Mẫu 04).
    pub apologies: i64,
}

impl Counts {
    /// Adds another group's counts.
    pub fn add(&mut self, o: &Counts) {
        self.received += o.received;
        self.early += o.early;
        self.on_time += o.on_time;
        self.late += o.late;
        self.in_progress += o.in_progress;
        self.overdue += o.overdue;
        self.supplement += o.supplement;
        self.refused += o.refused;
        self.withdrawn += o.withdrawn;
        self.apologies += o.apologies;
    }

    /// Resolved in all.
    pub fn resolved(&self) -> i64 {
        self.early + self.on_time + self.late
    }

    /// Share resolved early or on time, in percent (one decimal), or none when none resolved.
    pub fn on_time_percent(&self) -> Option<f64> {
        let r = self.resolved();
        (r > 0).then(|| ((self.early + self.on_time) as f64 * 1000.0 / r as f64).round() / 10.0)
    }
}

/// One row of the statistics query: the counts of one agency, procedure and month.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CountRow {
    /// Agency code.
    pub agency_code: String,
    /// Agency name.
    pub agency_name: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Procedure name.
    pub procedure_name: String,
    /// Month, yyyy-mm.
    pub month: String,
    /// Counts.
    #[sqlx(flatten)]
    pub counts: Counts,
}

/// The applicant's rating of the service once the dossier is finished.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Rating {
    /// When.
    pub rated_at: String,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: i64,
    /// Optional comment.
    pub comment: String,
}

/// The Vietnamese words for a rating score.
pub fn rating_label(score: i64) -> &'static str {
    match score {
        1 => "Rất không hài lòng",
        2 => "Không hài lòng",
        3 => "Bình thường",
        4 => "Hài lòng",
        _ => "Rất hài lòng",
    }
}

/// The TT 01/2018 dossier code: receiving agency, date of submission (YYMMDD), and a
/// four-digit sequence of the day at that agency.
pub fn dossier_code(agency: &str, day: chrono::NaiveDate, seq: i64) -> String {
    format!("{agency}-{}-{seq:04}", day.format("%y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_circular_format() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
        assert_eq!(dossier_code("000.02.01.H51", d, 7), "000.02.01.H51-261125-0007");
        assert_eq!(dossier_code("000.02.01.H51", d, 12345), "000.02.01.H51-261125-12345");
    }

    #[test]
    fn statuses_round_trip() {
        for s in DossierStatus::ALL {
            assert_eq!(DossierStatus::parse(s.as_str()), Some(s));
        }
    }
}
