//! What a person reads on the pages of the journey (issue 15, items 1, 2 and 6): a citizen
//! files a birth registration on the portal, the commune's counter receives it, the
//! commune's official issues the generated result, the citizen downloads it; the admin
//! looks at the notifications, jobs, workflow and audit pages. Every page is read as text
//! (tags dropped) and must show local time as `HH:MM dd/mm/yyyy`, e-form values as words,
//! and nothing technical or English.

use crate::dossiers::{filled, form_page, CITIZEN, KHAI_SINH};
use crate::helpers::{
    client, get_page, location, post_multipart, post_page, sign_in, words, ByAdmin, Instance,
    SendJson, DEMO_PASSWORD, DEMO_TOTP, PDF,
};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

/// The pages of one journey: who looked (for the message), the path, the page.
struct Journey {
    code: String,
    submitted_at: String,
    /// The labels of the catalog choices the citizen made (gender, ethnicity, nationality).
    choices: Vec<(String, String)>,
    pages: Vec<(String, String)>,
}

/// The label of a select's option with this value.
fn option_label(page: &str, id: &str, value: &str) -> String {
    page.split(&format!("<select id=\"{id}\""))
        .nth(1)
        .and_then(|s| s.split(&format!("<option value=\"{value}\"")).nth(1))
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no option {value} for {id}"))
        .trim()
        .to_string()
}

/// The text a person reads: tags, scripts and styles dropped, entities left as they are.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push(' ');
        rest = &rest[i..];
        // Scripts and styles are not text; a code shown on purpose beneath its words
        // (`code.meta`: the audit log's action codes and login names) is not a leak.
        let skip_to =
            [("<script", "</script>"), ("<style", "</style>"), ("<code class=\"meta\"", "</code>")]
                .iter()
                .find(|t| rest.starts_with(t.0))
                .map(|t| t.1);
        let end = match skip_to {
            Some(close) => rest.find(close).map(|j| j + close.len()),
            None => rest.find('>').map(|j| j + 1),
        };
        rest = &rest[end.unwrap_or(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// The citizen files on the portal, the counter receives, the official issues the
/// generated result, the citizen reads it; every page each of them saw.
async fn journey(app: &Instance) -> Journey {
    let mut pages: Vec<(String, String)> = Vec::new();
    let citizen = sign_in(app, CITIZEN, DEMO_PASSWORD, None).await;
    let form = form_page(app, &citizen).await;
    let fields = filled(&form);
    let choices = ["f_child_gender", "f_child_ethnicity", "f_child_nationality"]
        .iter()
        .map(|id| {
            let value = fields.iter().find(|(k, _)| k == id).map(|(_, v)| v.clone());
            let value = value.expect("chosen");
            (value.clone(), option_label(&form, id, &value))
        })
        .collect();
    let mut body = Form::new().text("action", "review");
    for (k, v) in &fields {
        body = body.text(k.clone(), v.clone());
    }
    for i in 0..2 {
        let part = Part::bytes(PDF.to_vec()).file_name(format!("giay-to-{i}.pdf"));
        body = body.part(format!("file_{i}"), part);
    }
    let res = post_multipart(app, &citizen, &format!("/nop-ho-so/{KHAI_SINH}"), body).await;
    assert_eq!(res.status(), 303);
    let review = location(&res);
    // Read now: once submitted, the review redirects to the dossier.
    let (s, review_page) = get_page(app, &citizen, &review).await;
    assert_eq!(s, 200);
    let id = review.split("ho_so=").nth(1).expect("draft id").to_string();
    let submit = format!("/nop-ho-so/{KHAI_SINH}/nop");
    let (s, to) = post_page(app, &citizen, &submit, &[("ho_so", id.as_str())]).await;
    assert_eq!(s, 303);
    let code = to.trim_start_matches("/ho-so-cua-toi/").split('?').next().expect("code");
    let code = code.to_string();
    let mine: Value =
        client().get(app.url("/api/v1/dossiers")).header("cookie", &citizen).send_json().await;
    let submitted_at = mine[0]["submitted_at"].as_str().expect("submitted_at").to_string();

    let counter = sign_in(app, "tiepnhan.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let official = sign_in(app, "tuphap.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let dossier = format!("/mot-cua/ho-so/{code}");
    pages.push(("counter".into(), dossier.clone()));
    assert_eq!(post_page(app, &counter, &format!("{dossier}/tiep-nhan"), &[]).await.0, 303);
    for path in [
        dossier.clone(),
        format!("{dossier}/phieu/01"),
        "/mot-cua".into(),
        "/mot-cua/so-theo-doi".into(),
    ] {
        pages.push(("counter".into(), path));
    }
    // Read now: once issued, there is no result left to draft.
    let draft = format!("{dossier}/ket-qua/tao");
    let (s, draft_page) = get_page(app, &official, &draft).await;
    assert_eq!(s, 200);
    let issue = format!("/api/v1/office/dossiers/{code}/result/generated");
    let res = client()
        .post(app.url(&issue))
        .header("cookie", &official)
        .json(&serde_json::json!({"number": "15/GKS-UBND", "signer_name": "Lâm Văn Đức"}))
        .send()
        .await
        .expect("issue");
    assert_eq!(res.status(), 200);
    pages.push(("official".into(), dossier.clone()));
    for path in [
        format!("/ho-so-cua-toi/{code}"),
        "/ho-so-cua-toi".into(),
        format!("/tra-cuu-ho-so?ma={code}"),
        "/tai-khoan".into(),
        "/tai-khoan/phien".into(),
    ] {
        pages.push(("citizen".into(), path));
    }
    for path in ["/admin/notifications", "/admin/jobs", "/admin/workflow", "/admin/audit"] {
        pages.push(("admin".into(), path.into()));
    }
    let cookies = [("citizen", &citizen), ("counter", &counter), ("official", &official)];
    let mut read =
        vec![(format!("citizen {review}"), review_page), (format!("official {draft}"), draft_page)];
    for (who, path) in pages {
        let page = if who == "admin" {
            let res = client().get(app.url(&path)).by_admin().send().await.expect("admin page");
            assert_eq!(res.status(), 200, "{path}");
            res.text().await.expect("page")
        } else {
            let cookie = cookies.iter().find(|(w, _)| *w == who).expect("who").1;
            let (s, page) = get_page(app, cookie, &path).await;
            assert_eq!(s, 200, "{who} {path}: {page}");
            page
        };
        read.push((format!("{who} {path}"), page));
    }
    // The notification's own page, as the admin opens it from the list.
    let list = &read.iter().find(|(w, _)| w == "admin /admin/notifications").expect("list").1;
    if let Some(id) = list.split("/admin/notifications/").nth(1).and_then(|s| s.split('"').next()) {
        let path = format!("/admin/notifications/{id}");
        let res = client().get(app.url(&path)).by_admin().send().await.expect("detail");
        read.push((format!("admin {path}"), res.text().await.expect("page")));
    }
    Journey { code, submitted_at, choices, pages: read }
}

#[tokio::test]
async fn every_time_a_person_reads_is_vietnam_time_written_hours_minutes_then_the_date() {
    let app = Instance::start().await;
    let j = journey(&app).await;
    for (page, html) in &j.pages {
        let text = visible_text(html);
        if let Some(at) = words::iso_date(&text) {
            panic!("{page} shows an ISO date or time: …{at}…");
        }
        assert!(!text.contains("UTC"), "{page} names UTC");
    }
    // The submission, seven hours ahead of the stored UTC instant.
    let at = chrono::DateTime::parse_from_rfc3339(&j.submitted_at).expect("stored instant");
    let local = (at.naive_utc() + chrono::Duration::hours(7)).format("%H:%M %d/%m/%Y").to_string();
    for page in
        [format!("citizen /ho-so-cua-toi/{}", j.code), format!("counter /mot-cua/ho-so/{}", j.code)]
    {
        let html = &j.pages.iter().find(|(p, _)| *p == page).expect("page").1;
        assert!(visible_text(html).contains(&local), "{page} shows the submission at {local}");
    }
}

#[tokio::test]
async fn the_e_form_reads_in_words_on_every_page_that_shows_it_not_in_catalog_codes() {
    let app = Instance::start().await;
    let j = journey(&app).await;
    let procedure: Value =
        client().get(app.url(&format!("/api/v1/procedures/{KHAI_SINH}"))).send_json().await;
    let label = |key: &str| {
        let form = procedure["form"].as_array().expect("form");
        let f = form.iter().find(|f| f["key"] == key).expect("field");
        f["label"].as_str().expect("label").to_string()
    };
    let pages = [
        "citizen /nop-ho-so/".to_string(),
        format!("citizen /ho-so-cua-toi/{}", j.code),
        format!("counter /mot-cua/ho-so/{}", j.code),
        format!("official /mot-cua/ho-so/{}/ket-qua/tao", j.code),
    ];
    let keys = ["child_gender", "child_ethnicity", "child_nationality"];
    for start in &pages {
        let (page, html) =
            j.pages.iter().find(|(p, _)| p.starts_with(start.as_str())).expect("page");
        let text = visible_text(html).split_whitespace().collect::<Vec<_>>().join(" ");
        for (key, (code, name)) in keys.iter().zip(&j.choices) {
            let field = label(key);
            assert!(
                text.contains(&format!("{field} {name}"))
                    || text.contains(&format!("{field}: {name}")),
                "{page}: “{field}” reads {name}, not the code {code}: {text}"
            );
        }
        assert!(text.contains("01/11/2026"), "{page}: the birth date as dd/mm/yyyy");
        assert!(!text.contains("2026-11-01"), "{page}: no ISO date");
        assert!(
            text.contains("số 378 Lê Duẩn, Phường Sóc Trăng, "),
            "{page}: the place of birth with its commune and province: {text}"
        );
        assert!(
            !text.contains(&format!("{} 94 ", label("hometown"))),
            "{page}: the home town by name"
        );
    }
}

#[tokio::test]
async fn no_page_of_the_journey_shows_technical_or_english_text() {
    let app = Instance::start().await;
    let j = journey(&app).await;
    for (page, html) in &j.pages {
        let text = visible_text(html);
        if let Some(leak) = words::leak(&text) {
            panic!("{page} {leak}: {text}");
        }
    }
    // The audit log names people: the citizen (an account without a login name) by name.
    let audit = &j.pages.iter().find(|(p, _)| p.ends_with("/admin/audit")).expect("audit").1;
    assert!(visible_text(audit).contains("Nguyễn Văn An"), "the audit log names the citizen");
    let dossier = &j
        .pages
        .iter()
        .find(|(p, _)| p == &format!("citizen /ho-so-cua-toi/{}", j.code))
        .expect("page")
        .1;
    let text = visible_text(dossier);
    assert!(text.contains("(PDF, "), "the kind of each file in words: {text}");
}
