//! The national public service portal as the province's channel (issue 16): dossiers filed on
//! the shipped sandbox of the portal are taken into the one-stop back office with their files
//! (`cqdt national take-portal-dossiers`), those the province cannot take are refused with the
//! reason, every change of status goes back to the portal in order, and the reconciliation
//! lists where the portal and the province differ.

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{
    audit_text, birth_form, cli_with_env, client, get_page, required_components, sign_in, text,
    Instance, DEMO_PASSWORD, DEMO_TOTP, PDF,
};
use crate::national::sandbox;

const BIRTH: &str = "1.001193.000.00.00.H51";
const WARD: &str = "000.01.41.H51";

/// Files a dossier on the sandbox portal; its code there.
async fn file_on_portal(
    base: &str,
    procedure: &str,
    agency: &str,
    form: &Value,
    files: &[usize],
) -> String {
    let pdf = base64::engine::general_purpose::STANDARD.encode(PDF);
    let tep: Vec<Value> = files
        .iter()
        .map(|i| json!({"thanhPhan": i, "tenTep": format!("tp-{i}.pdf"), "loai": "application/pdf", "noiDung": pdf}))
        .collect();
    let body = json!({
        "maThuTuc": procedure,
        "maCoQuan": agency,
        "nguoiNop": {"hoTen": "Trần Thị Mai", "soDinhDanh": "094190000456", "soDienThoai": "0912000456"},
        "truongDuLieu": form,
        "tep": tep,
    });
    let res = client()
        .post(format!("{base}/dvc-quoc-gia/v1/ho-so"))
        .json(&body)
        .send()
        .await
        .expect("file");
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.expect("json");
    v["maHoSo"].as_str().expect("code").to_string()
}

/// A birth registration's e-form as a citizen fills it on the national portal (the choices
/// read from our own form page, which the national portal's mirrors).
async fn portal_birth_form(app: &Instance) -> Value {
    let citizen = sign_in(app, "094085000123", DEMO_PASSWORD, None).await;
    let (_, page) = get_page(app, &citizen, &format!("/nop-ho-so/{BIRTH}")).await;
    birth_form(&page, "Trần Gia Huy", "0912000456")
}

/// A dossier as the office API gives it to `officer`.
async fn office_dossier(app: &Instance, officer: &str, code: &str) -> Value {
    let res = client()
        .get(app.url(&format!("/api/v1/office/dossiers/{code}")))
        .header("cookie", officer)
        .send()
        .await
        .expect("dossier");
    res.json().await.expect("json")
}

/// What the sandbox portal shows for a dossier: its reports, oldest first.
async fn reports(base: &str, code: &str) -> Vec<Value> {
    let v: Value = client()
        .get(format!("{base}/dvc-quoc-gia/v1/ho-so/{code}"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    v["lichSu"].as_array().cloned().unwrap_or_default()
}

async fn national(app: &Instance, portal: &str, args: &[&str]) -> (bool, String) {
    let mut all = vec!["national"];
    all.extend_from_slice(args);
    let out =
        cli_with_env(&app.db.url, &app.data_dir, &all, &[("CQDT_NATIONAL_PORTAL_URL", portal)])
            .await;
    (out.status.success(), text(&out))
}

#[tokio::test]
async fn dossiers_filed_on_the_national_portal_reach_the_back_office_and_every_status_goes_back() {
    let (base, _sandbox) = sandbox().await;
    let portal = format!("{base}/dvc-quoc-gia/v1");
    let app = Instance::start().await;
    let form = portal_birth_form(&app).await;
    let national_birth = "1.001193";
    let required = required_components(&app, BIRTH).await;
    let good = file_on_portal(&base, national_birth, WARD, &form, &required).await;
    // A procedure the province does not apply, the right procedure at an agency that does not
    // receive it, and a dossier without its required files.
    let unknown = file_on_portal(&base, "2.999999", WARD, &form, &required).await;
    let elsewhere = file_on_portal(&base, national_birth, "000.00.03.H51", &form, &required).await;
    let bare = file_on_portal(&base, national_birth, WARD, &form, &[]).await;

    // While another node holds the intake, a round does nothing.
    let pool = app.db.db.pool();
    sqlx::query("INSERT INTO portal_intake_lease (name, holder, until_at) VALUES ('intake', 'nut-khac', '2999-01-01T00:00:00Z')")
        .execute(pool)
        .await
        .expect("lease");
    let (ok, said) = national(&app, &portal, &["take-portal-dossiers"]).await;
    assert!(ok && said.contains("another node is taking"), "{said}");
    assert!(reports(&base, &good).await.is_empty());
    sqlx::query("DELETE FROM portal_intake_lease").execute(pool).await.expect("release");

    let (ok, said) = national(&app, &portal, &["take-portal-dossiers"]).await;
    assert!(ok, "{said}");
    assert!(said.contains("1 taken, 3 refused"), "{said}");
    let local = said
        .lines()
        .find_map(|l| l.strip_prefix(&format!("TAKEN: {good} as ")))
        .expect("taken")
        .to_string();
    assert!(
        said.contains(&format!("REFUSED: {unknown}: Thủ tục 2.999999 không có trong danh mục")),
        "{said}"
    );
    assert!(
        said.contains(&format!("REFUSED: {elsewhere}: Cơ quan 000.00.03.H51 không tiếp nhận")),
        "{said}"
    );
    assert!(said.contains(&format!("REFUSED: {bare}: Hồ sơ chưa hợp lệ: Chưa đính kèm")), "{said}");

    // The portal heard at once: waiting for reception under the province's code, or refused.
    let r = reports(&base, &good).await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(
        (r[0]["trangThai"].as_str(), r[0]["maHoSoTinh"].as_str()),
        (Some("cho-tiep-nhan"), Some(local.as_str()))
    );
    let r = reports(&base, &bare).await;
    assert_eq!(r[0]["trangThai"], "tu-choi");
    assert!(r[0]["ghiChu"].as_str().unwrap_or_default().contains("Chưa đính kèm"), "{r:?}");

    // The ward's officer finds it among the dossiers waiting, with its files, and receives it.
    let officer = sign_in(&app, "tiepnhan.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let d = office_dossier(&app, &officer, &local).await;
    assert_eq!(d["status"], "submitted", "{d}");
    assert_eq!(d["applicant_name"], "Trần Thị Mai");
    assert_eq!(d["files"].as_array().map(Vec::len), Some(required.len()), "{d}");
    let (_, page) = get_page(&app, &officer, &format!("/mot-cua/ho-so/{local}")).await;
    assert!(
        page.contains(&format!("Cổng Dịch vụ công quốc gia, mã hồ sơ trên Cổng {good}")),
        "{page}"
    );
    assert!(page.contains("Trần Thị Mai"), "the timeline names the applicant");
    let due = (chrono::Utc::now() + chrono::Duration::days(7)).format("%Y-%m-%d").to_string();
    let res = client()
        .post(app.url(&format!("/api/v1/office/dossiers/{local}/receive")))
        .header("cookie", &officer)
        .json(&json!({"due_date": due}))
        .send()
        .await
        .expect("receive");
    assert_eq!(res.status(), 200);

    // Not sent yet (no server runs the outbox here): the reconciliation says so.
    let (ok, said) = national(&app, &portal, &["reconcile-portal"]).await;
    assert!(!ok, "{said}");
    assert!(
        said.contains(&format!("DIFFERS: {good} ({local}): here “Đã tiếp nhận (chưa gửi được)”, portal “Chờ tiếp nhận”")),
        "{said}"
    );
    assert!(said.contains("4 dossiers compared, 1 differ, 1 reports waiting to be sent"), "{said}");

    // The next round sends it, with the appointment date; nothing is taken twice.
    let (ok, said) = national(&app, &portal, &["take-portal-dossiers"]).await;
    assert!(ok, "{said}");
    assert!(said.contains("0 taken, 0 refused"), "{said}");
    let r = reports(&base, &good).await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        (r[1]["trangThai"].as_str(), r[1]["hanTraKetQua"].as_str()),
        (Some("da-tiep-nhan"), Some(due.as_str()))
    );
    let (ok, said) = national(&app, &portal, &["reconcile-portal"]).await;
    assert!(ok, "{said}");
    assert!(said.contains("4 dossiers compared, 0 differ, 0 reports waiting to be sent"), "{said}");

    // The sandbox's page shows what the province reported, in words.
    let view = client()
        .get(format!("{portal}/xem"))
        .send()
        .await
        .expect("view")
        .text()
        .await
        .expect("page");
    assert!(view.contains("Đã tiếp nhận") && view.contains(&local), "{view}");
    assert!(audit_text(&app, "dossier.portal_take").await.contains(&good));

    // Refused, naming the setting, when the portal is not configured.
    let out =
        cli_with_env(&app.db.url, &app.data_dir, &["national", "take-portal-dossiers"], &[]).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("CQDT_NATIONAL_PORTAL_URL"), "{}", text(&out));
}

/// Waits until the sandbox portal holds `n` reports on `code`.
async fn wait_for_reports(base: &str, code: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let r = reports(base, code).await;
        if r.len() >= n {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the portal never got {n} reports on {code}: {:?}", reports(base, code).await);
}

#[tokio::test]
async fn a_server_connected_to_the_portal_takes_its_dossiers_at_start_and_reports_through_the_outbox(
) {
    let (base, _sandbox) = sandbox().await;
    let portal = format!("{base}/dvc-quoc-gia/v1");
    // Filed before the province starts: taken in its first round, refused for want of files.
    let code = file_on_portal(&base, "1.001193", WARD, &json!({}), &[]).await;
    let app = Instance::start_with(&[], &[("CQDT_NATIONAL_PORTAL_URL", &portal)]).await;
    let r = wait_for_reports(&base, &code, 1).await;
    assert_eq!(r[0]["trangThai"], "tu-choi", "{r:?}");
    assert!(r[0]["ghiChu"].as_str().unwrap_or_default().starts_with("Hồ sơ chưa hợp lệ"), "{r:?}");
    // The outbox job that sent it is done.
    let (ok, said) = national(&app, &portal, &["reconcile-portal"]).await;
    assert!(ok && said.contains("1 dossiers compared, 0 differ, 0 reports waiting"), "{said}");
}

/// Sends an applicant's request about `code` on the sandbox portal (`bo-sung` with a PDF for
/// each of `files`, or `rut`).
async fn request_on_portal(base: &str, code: &str, kind: &str, note: &str, files: &[usize]) {
    let pdf = base64::engine::general_purpose::STANDARD.encode(PDF);
    let tep: Vec<Value> = files
        .iter()
        .map(|i| json!({"thanhPhan": i, "tenTep": format!("bs-{i}.pdf"), "loai": "application/pdf", "noiDung": pdf}))
        .collect();
    let res = client()
        .post(format!("{base}/dvc-quoc-gia/v1/ho-so/{code}/yeu-cau"))
        .json(&json!({"loai": kind, "ghiChu": note, "tep": tep}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn supplements_and_withdrawals_made_on_the_national_portal_reach_the_dossier_or_are_refused_with_the_reason(
) {
    let (base, _sandbox) = sandbox().await;
    let portal = format!("{base}/dvc-quoc-gia/v1");
    let app = Instance::start().await;
    let form = portal_birth_form(&app).await;
    let required = required_components(&app, BIRTH).await;
    let code = file_on_portal(&base, "1.001193", WARD, &form, &required).await;
    let (ok, said) = national(&app, &portal, &["take-portal-dossiers"]).await;
    assert!(ok && said.contains("1 taken"), "{said}");
    let local = said
        .lines()
        .find_map(|l| l.strip_prefix(&format!("TAKEN: {code} as ")))
        .expect("taken")
        .to_string();

    // The ward asks for a supplement; the portal hears it with what to supply.
    let officer = sign_in(&app, "tiepnhan.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let res = client()
        .post(app.url(&format!("/api/v1/office/dossiers/{local}/supplement-request")))
        .header("cookie", &officer)
        .json(&json!({"items": [{"component": 1, "text": "Bản chính giấy chứng sinh"}], "note": "Chụp rõ nét."}))
        .send()
        .await
        .expect("supplement request");
    assert_eq!(res.status(), 200);
    let (ok, said) = national(&app, &portal, &["take-portal-dossiers"]).await;
    assert!(ok, "{said}");
    let r = reports(&base, &code).await;
    assert_eq!(r.last().map(|x| x["trangThai"].clone()), Some(json!("yeu-cau-bo-sung")), "{r:?}");

    // On the portal the applicant supplies, then (by mistake) supplies again, then withdraws.
    request_on_portal(&base, &code, "bo-sung", "Đã chụp lại bản chính", &[1]).await;
    request_on_portal(&base, &code, "bo-sung", "Gửi thêm", &[1]).await;
    request_on_portal(&base, &code, "rut", "Gia đình chuyển nơi cư trú", &[]).await;
    let (ok, said) = national(&app, &portal, &["take-portal-dossiers"]).await;
    assert!(ok, "{said}");
    assert!(said.contains(&format!("APPLIED: {code} (bổ sung hồ sơ)")), "{said}");
    assert!(said.contains(&format!("NOT APPLIED: {code} (bổ sung hồ sơ): ")), "{said}");
    assert!(said.contains(&format!("APPLIED: {code} (rút hồ sơ)")), "{said}");

    // The dossier has the supplied file and is withdrawn; the portal heard each step in order.
    let d = office_dossier(&app, &officer, &local).await;
    assert_eq!(d["status"], "withdrawn", "{d}");
    assert!(d["files"].to_string().contains("bs-1.pdf"), "{d}");
    let r = reports(&base, &code).await;
    let states: Vec<&str> = r.iter().filter_map(|x| x["trangThai"].as_str()).collect();
    assert_eq!(
        states,
        ["cho-tiep-nhan", "yeu-cau-bo-sung", "cho-tiep-nhan", "cho-tiep-nhan", "da-rut"],
        "{r:?}"
    );
    assert!(
        r[3]["ghiChu"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Không thực hiện được yêu cầu bổ sung hồ sơ"),
        "the refusal is explained: {r:?}"
    );
    // Nothing is applied twice.
    let (ok, said) = national(&app, &portal, &["take-portal-dossiers"]).await;
    assert!(ok && !said.contains("APPLIED"), "{said}");
}
