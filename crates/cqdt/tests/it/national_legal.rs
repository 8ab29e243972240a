//! The procedures' legal bases against the national legal documents database (issue 16):
//! `cqdt procedures check-legal-bases` looks up every document the procedures cite in the
//! shipped sandbox and keeps what it says; the portal then links each legal basis to its
//! document and says when it is no longer in force, and by what it was replaced.

use crate::helpers::{audit_text, cli_with_env, client, text, Instance};
use crate::national::sandbox;

const BIRTH: &str = "1.001193.000.00.00.H51";
const HOUSEHOLD_BUSINESS: &str = "1.001612.000.00.00.H51";

async fn page(app: &Instance, code: &str) -> String {
    let res = client().get(app.url(&format!("/thu-tuc/{code}"))).send().await.expect("page");
    assert_eq!(res.status(), 200);
    res.text().await.expect("text")
}

#[tokio::test]
async fn the_portal_links_each_legal_basis_to_its_document_and_says_when_it_is_no_longer_in_force()
{
    let (base, sandbox) = sandbox().await;
    let app = Instance::start().await;
    assert!(!page(&app, BIRTH).await.contains("Văn bản 60/2014/QH13"), "nothing known yet");

    let legal = format!("{base}/van-ban-phap-luat/v1");
    let out = cli_with_env(
        &app.db.url,
        &app.data_dir,
        &["procedures", "check-legal-bases"],
        &[("CQDT_NATIONAL_LEGAL_URL", &legal)],
    )
    .await;
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("NOT IN FORCE: 01/2021/NĐ-CP (Hết hiệu lực, replaced by 168/2025/NĐ-CP)"),
        "{said}"
    );
    assert!(said.contains("NOT FOUND: 01/2021/TT-BKHĐT"), "the sandbox lacks it: {said}");
    let asked = sandbox.reads().iter().filter(|r| r.service == "van-ban-phap-luat").count();
    assert!(asked > 50, "every cited document was looked up once: {asked}");

    let birth = page(&app, BIRTH).await;
    assert!(
        birth.contains(&format!(
            "href=\"{base}/van-ban-phap-luat/v1/xem?soKyHieu=60%2F2014%2FQH13\""
        )),
        "{birth}"
    );
    assert!(birth.contains("Văn bản 60/2014/QH13</a>: Còn hiệu lực"), "{birth}");
    assert!(birth.contains("theo CSDL văn bản pháp luật thử nghiệm"), "the sandbox is named");
    let business = page(&app, HOUSEHOLD_BUSINESS).await;
    assert!(
        business.contains("Văn bản 01/2021/NĐ-CP</a>: Hết hiệu lực, thay bằng 168/2025/NĐ-CP"),
        "{business}"
    );
    assert!(business.contains("class=\"legal-warn\""), "said as a warning");
    assert!(!business.contains("Văn bản 01/2021/TT-BKHĐT"), "not found: no link");

    // Refused when the database is not configured, naming the setting.
    let out =
        cli_with_env(&app.db.url, &app.data_dir, &["procedures", "check-legal-bases"], &[]).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("CQDT_NATIONAL_LEGAL_URL"), "{}", text(&out));
    assert!(audit_text(&app, "procedure.legal_check").await.contains("not_in_force"));
}

#[tokio::test]
async fn the_national_codes_are_checked_against_the_national_procedure_database_and_the_portal_says_so(
) {
    let (base, _sandbox) = sandbox().await;
    let app = Instance::start().await;
    let url = format!("{base}/csdl-tthc/v1");
    let env = [("CQDT_NATIONAL_PROCEDURES_URL", url.as_str())];
    let args = ["procedures", "check-national-codes"];
    let run = || cli_with_env(&app.db.url, &app.data_dir, &args, &env);
    let out = run().await;
    let said = text(&out);
    // The demo catalog's codes checked against public sources are confirmed; the others are
    // not in the (sandbox) database, and the command says which and fails.
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("national codes looked up, 15 confirmed"), "{said}");
    assert!(said.contains("NOT FOUND: 1.001612 ("), "{said}");
    assert!(!said.contains("NOT FOUND: 1.001193"), "{said}");
    let birth = page(&app, BIRTH).await;
    assert!(
        birth.contains("Đã đối chiếu với CSDL quốc gia về thủ tục hành chính (thử nghiệm) ngày"),
        "{birth}"
    );
    let business = page(&app, HOUSEHOLD_BUSINESS).await;
    assert!(
        business.contains(
            "class=\"legal-warn\">CSDL quốc gia về thủ tục hành chính (thử nghiệm) không có mã này"
        ),
        "{business}"
    );
    assert!(audit_text(&app, "procedure.national_check").await.contains("confirmed"));
    // Run again: the same, nothing doubled.
    assert!(text(&run().await).contains("15 confirmed"));
}
