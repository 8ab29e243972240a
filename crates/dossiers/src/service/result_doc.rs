//! The result document generated from the procedure's template: the official checks and
//! edits the filled-in text, previews the PDF, and issues it as the dossier's result. The
//! layout follows the administrative document form of Nghị định 30/2020/NĐ-CP (issuer and
//! number on the left, national motto on the right, title, body, signature block). The
//! signature block is left empty for the digital signature a later module adds; the
//! document says it is not signed rather than pretend.

use cqdt_platform::pdf::{Align, Pdf, Style, A4, MM};
use cqdt_platform::{FieldError, Principal};
use cqdt_procedures::model::{fill_template, Procedure};

use super::{DossierService, Upload};
use crate::error::DossierError;
use crate::model::Dossier;

/// What the official confirms before the result document is generated.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct ResultDraft {
    /// Number and symbol (số, ký hiệu), e.g. `125/GXN-UBND`.
    pub number: String,
    /// Title, e.g. `GIẤY XÁC NHẬN`.
    pub title: String,
    /// Body, filled from the template; lines are paragraphs.
    pub body: String,
    /// Title of the signer, e.g. `CHỦ TỊCH` or `KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH`.
    pub signer_title: String,
    /// Name of the signer.
    pub signer_name: String,
    /// Recipients (nơi nhận), one per line, e.g. `- Ông/bà Nguyễn Văn An;` and `- Lưu: VT.`;
    /// empty leaves the block out.
    pub recipients: String,
}

impl ResultDraft {
    /// Checks lengths; every problem at once, by input.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        let mut limit = |field: &str, value: &str, min: usize, max: usize, message: &str| {
            let n = value.trim().chars().count();
            if n < min || n > max || value.chars().any(|c| c.is_control() && c != '\n' && c != '\r')
            {
                e.push(FieldError { field: field.into(), message: message.into() });
            }
        };
        limit("number", &self.number, 0, 60, "Số, ký hiệu tối đa 60 ký tự.");
        limit("title", &self.title, 3, 300, "Nhập tên văn bản (3 đến 300 ký tự).");
        limit("body", &self.body, 1, 20_000, "Nhập nội dung văn bản (tối đa 20000 ký tự).");
        limit(
            "signer_title",
            &self.signer_title,
            2,
            120,
            "Nhập chức vụ người ký (2 đến 120 ký tự).",
        );
        limit("signer_name", &self.signer_name, 0, 120, "Họ tên người ký tối đa 120 ký tự.");
        limit("recipients", &self.recipients, 0, 2000, "Nơi nhận tối đa 2000 ký tự.");
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }
}

use cqdt_platform::clock::local_date_text as vn_date;

/// The title a result document gets by default: the procedure's result as one document. A
/// result written with alternatives ("Phiếu lý lịch tư pháp số 1 hoặc số 2 (bản giấy hoặc
/// bản điện tử)") takes the alternative the applicant asked for when one of the e-form's
/// values names it ("Phiếu lý lịch tư pháp số 1"), else the first; notes in brackets and
/// what follows a semicolon (copies, extracts) are left out.
pub fn result_title(result: &str, values: &[String]) -> String {
    let head = result.split([';', '(']).next().unwrap_or("").trim();
    let first = head.split(" hoặc ").next().unwrap_or("").trim().trim_end_matches(',');
    let words = |t: &str| t.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>();
    let lead: Vec<String> = words(first).into_iter().take(3).collect();
    let asked = values.iter().map(|v| v.trim()).find(|v| {
        let w = words(v);
        lead.len() >= 2 && w.len() > lead.len() && w[..lead.len()] == lead[..] && v.len() < 200
    });
    let title = asked.unwrap_or(first);
    let title = if title.is_empty() { "Giấy xác nhận" } else { title };
    title.to_uppercase()
}

/// The signer's title for an agency, by its kind (Nghị định 30/2020: the head of the
/// agency signs): a people's committee's chairman, a department's director, and so on.
pub fn signer_title(agency: &str) -> &'static str {
    let a = agency.trim();
    let starts = |p: &str| a.to_lowercase().starts_with(&p.to_lowercase());
    if starts("Ủy ban nhân dân") || starts("UBND") || starts("Hội đồng") {
        "CHỦ TỊCH"
    } else if starts("Chi cục") {
        "CHI CỤC TRƯỞNG"
    } else if starts("Cục") {
        "CỤC TRƯỞNG"
    } else if starts("Công an tỉnh") || starts("Công an thành phố") {
        "GIÁM ĐỐC"
    } else if starts("Công an") {
        "TRƯỞNG CÔNG AN"
    } else if starts("Phòng") {
        "TRƯỞNG PHÒNG"
    } else if starts("Ban") {
        "TRƯỞNG BAN"
    } else if starts("Sở") || starts("Văn phòng") || starts("Trung tâm") || starts("Chi nhánh")
    {
        "GIÁM ĐỐC"
    } else {
        "THỦ TRƯỞNG CƠ QUAN"
    }
}

impl DossierService {
    /// A dossier whose result this official may issue now.
    async fn issuable(&self, who: &Principal, code: &str) -> Result<Dossier, DossierError> {
        let d = self.in_scope(who, code).await?;
        if !super::may_issue_result(who, &d) {
            return Err(DossierError::Forbidden(
                "Chỉ chuyên viên xử lý hoặc lãnh đạo của cơ quan tạo kết quả, khi hồ sơ đang được giải quyết.".into(),
            ));
        }
        Ok(d)
    }

    /// The draft of a dossier's result document, its body filled from the procedure's
    /// template; only for an official who may issue the result now.
    #[tracing::instrument(skip(self, who))]
    pub async fn result_draft(
        &self,
        who: &Principal,
        code: &str,
    ) -> Result<(Dossier, ResultDraft), DossierError> {
        let d = self.issuable(who, code).await?;
        let p = self.procedure_of(&d).await?;
        let agency_name = d.agency_name.clone();
        let today = self.today().format("%d/%m/%Y").to_string();
        let code_text = d.code.clone().unwrap_or_else(|| d.id.clone());
        let submitted = d.submitted_at.as_deref().map(vn_date).unwrap_or_default();
        let template = p
            .as_ref()
            .map(Procedure::result_template_or_default)
            .unwrap_or_else(|| "Kết quả giải quyết hồ sơ {{ma_ho_so}}.".into());
        let body = fill_template(&template, &|key| match key {
            "ma_ho_so" => Some(code_text.clone()),
            "nguoi_nop" => Some(d.applicant_name.clone()),
            "thu_tuc" => Some(d.procedure_name.clone()),
            "co_quan" => Some(d.agency_name.clone()),
            "ngay_nop" => Some(submitted.clone()),
            "ngay" => Some(today.clone()),
            k => match p.as_ref().and_then(|p| p.form.iter().find(|f| f.key == k)) {
                Some(f) => self.shown_value(f, &d.form),
                None => {
                    d.form.get(k).map(|v| v.as_str().map(vn_date).unwrap_or_else(|| v.to_string()))
                }
            },
        });
        let values: Vec<String> = p
            .as_ref()
            .map(|p| p.form.iter().filter_map(|f| self.shown_value(f, &d.form)).collect())
            .unwrap_or_default();
        let title = result_title(p.as_ref().map(|p| p.result.as_str()).unwrap_or(""), &values);
        // A leader signs in their own name; anyone else leaves it to the signer.
        let leader = who.can_any(&[cqdt_platform::Role::Leader], &d.agency_code);
        let recipients = format!("- Ông/bà {};\n- Lưu: VT.", d.applicant_name.trim());
        Ok((
            d,
            ResultDraft {
                number: String::new(),
                title: title.chars().take(300).collect(),
                body,
                signer_title: signer_title(&agency_name).into(),
                signer_name: if leader { who.name.clone() } else { String::new() },
                recipients,
            },
        ))
    }

    /// The result document of a dossier as PDF, for preview; nothing is stored.
    #[tracing::instrument(skip(self, who, draft))]
    pub async fn result_preview(
        &self,
        who: &Principal,
        code: &str,
        draft: &ResultDraft,
    ) -> Result<Vec<u8>, DossierError> {
        draft.check().map_err(DossierError::Invalid)?;
        let d = self.issuable(who, code).await?;
        self.result_pdf(&d, draft)
    }

    /// Generates the result document and issues it as the dossier's result, as
    /// [`DossierService::add_result`] does with an uploaded one.
    #[tracing::instrument(skip(self, who, draft))]
    pub async fn generate_result(
        &self,
        who: &Principal,
        code: &str,
        draft: &ResultDraft,
        online: bool,
    ) -> Result<Dossier, DossierError> {
        draft.check().map_err(DossierError::Invalid)?;
        let d = self.issuable(who, code).await?;
        let bytes = self.result_pdf(&d, draft)?;
        let name =
            format!("ket-qua-{}.pdf", d.code.as_deref().unwrap_or(&d.id).replace(['/', '\\'], "-"));
        let upload = Upload { component: 0, file_name: name, bytes, declared_type: None };
        self.add_result(who, code, &upload, "Tạo từ mẫu kết quả của thủ tục.", online).await
    }

    /// The place name documents are dated from ("Sóc Trăng, ngày …"): the province the
    /// instance is named for, else the home province in force, without its "Tỉnh"/"Thành
    /// phố"; empty when there is neither.
    pub fn place_name(&self) -> String {
        if let Some(place) = self.directory.place_name() {
            return place;
        }
        let units = self.admin_units();
        units
            .home
            .as_deref()
            .and_then(|h| units.get(h))
            .map(|u| {
                u.name.trim_start_matches("Tỉnh ").trim_start_matches("Thành phố ").to_string()
            })
            .unwrap_or_default()
    }

    fn result_pdf(&self, d: &Dossier, draft: &ResultDraft) -> Result<Vec<u8>, DossierError> {
        let place = self.place_name();
        let today = self.today();
        let code = d.code.clone().unwrap_or_else(|| d.id.clone());
        render(draft, &d.agency_name, &place, today, &code)
            .map_err(|e| DossierError::Internal(e.to_string()))
    }
}

/// Draws the document: A4 with the margins of Nghị định 30/2020 (top and bottom 20 mm,
/// left 30 mm, right 15 mm), 13 pt body.
fn render(
    draft: &ResultDraft,
    agency: &str,
    place: &str,
    today: chrono::NaiveDate,
    code: &str,
) -> Result<Vec<u8>, cqdt_platform::pdf::PdfError> {
    let (left, right, top, bottom) = (30.0 * MM, A4.0 - 15.0 * MM, 20.0 * MM, A4.1 - 20.0 * MM);
    let width = right - left;
    // Two header columns: the issuer's (about 58 mm) and the motto's (about 100 mm).
    let issuer_x = left + 29.0 * MM;
    let motto_x = right - 50.0 * MM;
    let mut pdf = Pdf::new(&format!("{} — {code}", draft.title.trim()))?;

    // Issuer and number on the left.
    let mut y = top + 12.0;
    for line in pdf.wrap(&agency.to_uppercase(), 11.0, Style::Bold, 56.0 * MM) {
        pdf.text(issuer_x, y, 11.0, Style::Bold, Align::Center, &line);
        y += 14.0;
    }
    pdf.line(issuer_x - 12.0 * MM, y - 10.0, issuer_x + 12.0 * MM, y - 10.0, 0.6);
    let number = if draft.number.trim().is_empty() {
        "Số:        /".to_string()
    } else {
        format!("Số: {}", draft.number.trim())
    };
    pdf.text(issuer_x, y + 8.0, 12.0, Style::Regular, Align::Center, &number);
    let left_end = y + 8.0;

    // National name and motto on the right.
    let mut y = top + 12.0;
    pdf.text(motto_x, y, 11.0, Style::Bold, Align::Center, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    y += 16.0;
    let motto = "Độc lập - Tự do - Hạnh phúc";
    pdf.text(motto_x, y, 12.0, Style::Bold, Align::Center, motto);
    let half = pdf.width(motto, 12.0, Style::Bold) / 2.0;
    pdf.line(motto_x - half, y + 4.0, motto_x + half, y + 4.0, 0.6);
    y += 24.0;
    let date = format!(
        "{}{}ngày {} tháng {} năm {}",
        place,
        if place.is_empty() { "" } else { ", " },
        today.format("%d"),
        today.format("%m"),
        today.format("%Y")
    );
    pdf.text(motto_x, y, 12.0, Style::Regular, Align::Center, &date);

    // Title and body.
    let mut y = y.max(left_end) + 40.0;
    let centre = left + width / 2.0;
    for line in pdf.wrap(draft.title.trim(), 14.0, Style::Bold, width) {
        pdf.text(centre, y, 14.0, Style::Bold, Align::Center, &line);
        y += 18.0;
    }
    y += 14.0;
    let footer_top = bottom - 26.0 * MM;
    for para in draft.body.lines() {
        for line in pdf.wrap(para, 13.0, Style::Regular, width) {
            if y > footer_top - 10.0 {
                pdf.new_page();
                y = top + 14.0;
            }
            pdf.text(left, y, 13.0, Style::Regular, Align::Left, &line);
            y += 19.0;
        }
        y += 4.0;
    }

    // The signature block, left empty for the digital signature.
    if y + 30.0 * MM > footer_top {
        pdf.new_page();
        y = top + 14.0;
    }
    y += 16.0;
    // Nơi nhận on the left, level with the signer's title (Nghị định 30/2020, Phụ lục I).
    let mut ry = y;
    if !draft.recipients.trim().is_empty() {
        pdf.text(left, ry, 12.0, Style::Bold, Align::Left, "Nơi nhận:");
        ry += 15.0;
        for line in draft.recipients.lines().filter(|l| !l.trim().is_empty()) {
            for part in pdf.wrap(line.trim(), 11.0, Style::Regular, width / 2.0 - 10.0) {
                pdf.text(left, ry, 11.0, Style::Regular, Align::Left, &part);
                ry += 13.0;
            }
        }
    }
    for line in draft.signer_title.lines().filter(|l| !l.trim().is_empty()) {
        pdf.text(motto_x, y, 13.0, Style::Bold, Align::Center, line.trim());
        y += 17.0;
    }
    y += 22.0 * MM;
    pdf.text(motto_x, y, 13.0, Style::Bold, Align::Center, draft.signer_name.trim());

    // Footer: the dossier code as text and as a QR code, and what the file is not.
    let qr = 20.0 * MM;
    pdf.qr(left, bottom - qr, qr, code);
    pdf.text(
        left + qr + 4.0 * MM,
        bottom - qr + 10.0,
        9.0,
        Style::Regular,
        Align::Left,
        &format!("Mã hồ sơ: {code}"),
    );
    pdf.text(
        left + qr + 4.0 * MM,
        bottom - qr + 22.0,
        9.0,
        Style::Regular,
        Align::Left,
        "Văn bản điện tử do hệ thống một cửa tạo từ mẫu kết quả của thủ tục; chưa có chữ ký số.",
    );
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ResultDraft {
        ResultDraft {
            number: "125/GXN-UBND".into(),
            title: "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN".into(),
            body: "Ủy ban nhân dân Phường 5 xác nhận ông Nguyễn Văn Ấn, sinh ngày 02/09/1990.\nTình trạng hôn nhân: chưa đăng ký kết hôn với ai.".into(),
            signer_title: "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH".into(),
            signer_name: "Trần Thị Bích".into(),
            recipients: "- Ông Nguyễn Văn Ấn;\n- Lưu: VT.".into(),
        }
    }

    #[test]
    fn a_draft_without_title_or_body_is_refused_by_input() {
        let bad = ResultDraft { title: " ".into(), body: String::new(), ..draft() };
        let fields: Vec<String> =
            bad.check().expect_err("refused").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "body"]);
        assert!(draft().check().is_ok());
    }

    #[test]
    fn the_title_is_the_one_document_the_applicant_asked_for_not_the_alternatives() {
        let lltp = "Phiếu lý lịch tư pháp số 1 hoặc số 2 (bản giấy hoặc bản điện tử)";
        let asked = |v: &str| result_title(lltp, &["Nguyễn Văn An".into(), v.into()]);
        assert_eq!(asked("Phiếu lý lịch tư pháp số 2"), "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 2");
        assert_eq!(result_title(lltp, &[]), "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1");
        assert_eq!(
            result_title("Giấy khai sinh (bản chính); bản sao trích lục nếu có yêu cầu", &[]),
            "GIẤY KHAI SINH"
        );
        assert_eq!(result_title("", &[]), "GIẤY XÁC NHẬN");
        assert!(!asked("Phiếu lý lịch tư pháp số 1").contains("HOẶC"));
    }

    #[test]
    fn the_signer_is_the_head_of_the_agency_by_its_kind() {
        assert_eq!(signer_title("Sở Tư pháp tỉnh Sóc Trăng"), "GIÁM ĐỐC");
        assert_eq!(signer_title("Ủy ban nhân dân Phường 5, thành phố Sóc Trăng"), "CHỦ TỊCH");
        assert_eq!(signer_title("UBND cấp xã"), "CHỦ TỊCH");
        assert_eq!(signer_title("Chi cục Thủy sản"), "CHI CỤC TRƯỞNG");
        assert_eq!(signer_title("Phòng Tư pháp"), "TRƯỞNG PHÒNG");
        assert_eq!(signer_title("Công an tỉnh"), "GIÁM ĐỐC");
        assert_eq!(signer_title("Công an xã"), "TRƯỞNG CÔNG AN");
        assert_eq!(signer_title("Văn phòng đăng ký đất đai"), "GIÁM ĐỐC");
    }

    #[test]
    fn a_long_body_runs_onto_a_second_page() {
        let d = draft();
        let draw = |d: &ResultDraft| {
            let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
            render(d, "Ủy ban nhân dân Phường 5", "Sóc Trăng", day, "000.00.05.H51-261202-0001")
                .expect("pdf")
        };
        let one = draw(&d);
        assert!(
            one.windows(10).filter(|w| w == b"/Type /Pag").count() == 2,
            "catalog's pages and one page"
        );
        let long =
            ResultDraft { body: "Nội dung dài của văn bản kết quả. ".repeat(400), ..d };
        let two = draw(&long);
        let text = String::from_utf8_lossy(&two);
        let pages: usize = text
            .split("/Count ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("page count");
        assert!(pages >= 2, "{pages} pages");
        if let Ok(dir) = std::env::var("CQDT_WRITE_SAMPLE_PDF") {
            let _ = std::fs::write(format!("{dir}/one.pdf"), &one);
            let _ = std::fs::write(format!("{dir}/long.pdf"), &two);
        }
    }
}
