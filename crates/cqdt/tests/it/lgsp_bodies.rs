//! Bodies kept in the message log (issue 16): a service configured to keep them has both
//! bodies of each exchange sealed at rest under the platform's key-encryption key; its
//! provider's administrator reads one back (audited, checked against the log's digest, as a
//! download), also after a restart; a body larger than the service keeps has only its digest;
//! a sealed body moved to another record does not open; `cqdt kek rewrap` re-seals the bodies
//! and the secrets at peers under a new key.

use std::time::Duration;

use serde_json::json;

use cqdt_platform::sealing::{parse_key, Sealer};

use crate::helpers::{audit_text, cli_with_env, client, ByAdmin, Instance};
use crate::lgsp::{grant, provider, registry, JUSTICE};

async fn kept_rows(app: &Instance, n: i64) -> Vec<(i64, String, Option<String>)> {
    for _ in 0..50 {
        let rows: Vec<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT seq, side, sealed FROM lgsp_bodies ORDER BY seq, side")
                .fetch_all(app.db.db.pool())
                .await
                .expect("bodies");
        if rows.len() as i64 >= n {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the recorder did not keep {n} bodies");
}

async fn read(app: &Instance, seq: i64, side: &str) -> reqwest::Response {
    client()
        .get(app.url(&format!("/api/v1/lgsp/log/{seq}/bodies/{side}")))
        .by_admin()
        .send()
        .await
        .expect("read")
}

#[tokio::test]
async fn a_service_keeps_its_bodies_sealed_and_its_administrator_reads_them_back_checked() {
    let mut app = Instance::start().await;
    let (base, _) = provider().await;
    let (service, bearer) = registry(&app, &base, json!({ "keep_bodies_bytes": 100 })).await;
    grant(&app, &service, &["dangKyKhaiSinh"]).await;
    let at = app.url(&format!("/lgsp/{JUSTICE}/ho-tich/khai-sinh"));
    let small = r#"{"ho_ten":"Nguyễn Văn Bình","ngay_sinh":"2026-11-30"}"#;
    let large = format!(r#"{{"ghi_chu":"{}"}}"#, "x".repeat(200));
    for body in [small.to_string(), large.clone()] {
        let res = client()
            .post(&at)
            .bearer_auth(&bearer)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("call");
        assert_eq!(res.status(), 200);
    }

    // Four bodies recorded: the large request only by its digest; nothing kept in clear.
    let rows = kept_rows(&app, 4).await;
    let sides: Vec<(i64, &str, bool)> =
        rows.iter().map(|(seq, side, sealed)| (*seq, side.as_str(), sealed.is_some())).collect();
    assert_eq!(
        sides,
        [(1, "request", true), (1, "response", true), (2, "request", false), (2, "response", true)]
    );
    for (_, _, sealed) in &rows {
        if let Some(s) = sealed {
            assert!(s.starts_with("sealed:v1:"), "{s}");
            assert!(!s.contains("KS-2026") && !s.contains("Nguy"), "sealed, not in clear: {s}");
        }
    }

    // Read back as it passed, as a download, and the read is audited.
    let res = read(&app, 1, "request").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let disposition = res.headers()["content-disposition"].to_str().expect("disposition");
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.text().await.expect("text"), small);
    let answer: serde_json::Value = read(&app, 2, "response").await.json().await.expect("json");
    assert_eq!(answer["bytes"], large.len(), "{answer}");
    let audit = audit_text(&app, "lgsp.body_read").await;
    for side in ["request", "response"] {
        assert!(audit.contains(&format!(r#"\"side\":\"{side}\""#)), "{audit}");
    }

    // Too large to keep: refused with the reason; a side never kept: not found.
    let res = read(&app, 2, "request").await;
    assert_eq!(res.status(), 409);
    let problem: serde_json::Value = res.json().await.expect("problem");
    assert!(problem["detail"].as_str().expect("detail").contains("mã băm"), "{problem}");
    assert_eq!(read(&app, 3, "request").await.status(), 404);

    // The service's page lists them with their links.
    let page = client()
        .get(app.url(&format!("/admin/lgsp/dich-vu/{service}")))
        .by_admin()
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("Nội dung trao đổi đã lưu"), "{page}");
    assert!(page.contains("/admin/lgsp/nhat-ky/1/yeu-cau"), "{page}");
    assert!(page.contains("quá dung lượng lưu"), "{page}");

    // After a restart the key in the data directory still opens them.
    app.restart_with(&[], &[]).await;
    assert_eq!(read(&app, 1, "request").await.text().await.expect("text"), small);

    // A sealed body moved onto another record's row does not open.
    let response_of_1 = rows[1].2.clone().expect("sealed");
    sqlx::query("UPDATE lgsp_bodies SET sealed = $1 WHERE seq = 2 AND side = 'response'")
        .bind(&response_of_1)
        .execute(app.db.db.pool())
        .await
        .expect("move");
    let res = read(&app, 2, "response").await;
    assert_eq!(res.status(), 409);
    let problem: serde_json::Value = res.json().await.expect("problem");
    assert!(problem["detail"].as_str().expect("detail").contains("không mở được"), "{problem}");
}

#[tokio::test]
async fn kek_rewrap_reseals_the_kept_bodies_and_the_secrets_at_peers_under_the_new_key() {
    let mut app = Instance::start().await;
    let (base, _) = provider().await;
    let (service, bearer) = registry(&app, &base, json!({ "keep_bodies_bytes": 1000 })).await;
    grant(&app, &service, &["dangKyKhaiSinh"]).await;
    let res = client()
        .post(app.url(&format!("/lgsp/{JUSTICE}/ho-tich/khai-sinh")))
        .bearer_auth(&bearer)
        .body("{\"ho_ten\":\"Lê Thị Hoa\"}")
        .send()
        .await
        .expect("call");
    assert_eq!(res.status(), 200);
    let res = client()
        .post(app.url("/api/v1/lgsp/peers"))
        .by_admin()
        .json(&json!({ "code": "quoc-gia", "name": "Nền tảng NDXP", "issuer": "https://ndxp.example.vn",
                       "client_id": "tinh-soc-trang", "client_secret": "bí-mật-của-tỉnh" }))
        .send()
        .await
        .expect("peer");
    assert_eq!(res.status(), 201);
    kept_rows(&app, 2).await;
    app.stop().await;

    let text = |o: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    };
    let key_file = std::fs::read_to_string(app.data_dir.join("kek")).expect("key file");
    let old = key_file.lines().rfind(|l| !l.starts_with('#')).expect("key").trim().to_string();
    let new = text(&app.cli(&["kek", "generate"]).await).trim().to_string();
    let both = [("CQDT_KEK", new.as_str()), ("CQDT_KEK_PREVIOUS", old.as_str())];
    let out = cli_with_env(&app.db.url, &app.data_dir, &["kek", "rewrap"], &both).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2 kept LGSP bodies, 1 peer secrets"), "{}", text(&out));

    // The new key alone opens them now.
    let kek = Sealer::new(parse_key(&new).expect("key"), &[]);
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT seq, side, sealed FROM lgsp_bodies WHERE sealed IS NOT NULL ORDER BY side",
    )
    .fetch_all(app.db.db.pool())
    .await
    .expect("bodies");
    let request = kek.open(&format!("lgsp_bodies:{}:{}", rows[0].0, rows[0].1), &rows[0].2);
    assert_eq!(request.expect("opens"), "{\"ho_ten\":\"Lê Thị Hoa\"}".as_bytes());
    let secret: String =
        sqlx::query_scalar("SELECT client_secret FROM lgsp_peers WHERE code = 'quoc-gia'")
            .fetch_one(app.db.db.pool())
            .await
            .expect("secret");
    let opened = kek.open_text("lgsp_peers.client_secret:quoc-gia", &secret);
    assert_eq!(opened.expect("opens"), "bí-mật-của-tỉnh");
}
