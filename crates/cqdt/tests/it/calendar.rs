//! The working-day calendar through the whole platform: CLI (the real binary), JSON API, admin page, audit.

use crate::helpers::{client, text, ByAdmin, Instance, SendJson, SendStatus};
use serde_json::{json, Value};

#[tokio::test]
async fn the_cli_counts_working_days_across_tet() {
    let app = Instance::start().await;
    let o = app.cli(&["calendar", "add-working-days", "13/02/2026", "1"]).await;
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("23/02/2026"));
    let o = app.cli(&["calendar", "working-days-between", "2026-02-13", "2026-02-23"]).await;
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "1");
    let o = app.cli(&["calendar", "holidays", "2026", "--json"]).await;
    let h: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(h
        .as_array()
        .expect("array")
        .iter()
        .any(|x| x["date"] == "2026-02-17" && x["kind"] == "tet"));
    let bad = app.cli(&["calendar", "add-working-days", "31/02/2026", "1"]).await;
    assert!(!bad.status.success());
}

#[tokio::test]
async fn the_api_answers_holidays_and_deadlines_and_rejects_bad_dates() {
    let app = Instance::start().await;
    let c = client();
    let get = |path: &str| c.get(app.url(path)).send();
    let h: Value =
        get("/api/v1/calendar/holidays/2027").await.expect("get").json().await.expect("json");
    let dates: Vec<&str> =
        h["holidays"].as_array().expect("list").iter().filter_map(|x| x["date"].as_str()).collect();
    assert!(dates.contains(&"2027-02-10") && dates.contains(&"2027-02-11"), "{dates:?}");
    // Deadlines across Tết: a working day, and working hours past the end of a day.
    for (path, expected) in [
        ("/api/v1/calendar/add-working-days?date=13/02/2026&days=1", "2026-02-23"),
        (
            "/api/v1/calendar/add-working-hours?start=2026-02-13T16:00&hours=2",
            "2026-02-23T08:00:00",
        ),
    ] {
        let r: Value = get(path).await.expect("get").json().await.expect("json");
        assert_eq!(r["result"], expected, "{path}");
    }
    let r: Value =
        get("/api/v1/calendar/days/2026-02-17").await.expect("get").json().await.expect("json");
    assert_eq!(r["working_day"], false);
    let bad = get("/api/v1/calendar/add-working-days?date=2026-13-01&days=x").await.expect("get");
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    let p: Value = bad.json().await.expect("json");
    assert_eq!(p["errors"][0]["field"], "date");
    assert_eq!(get("/api/v1/calendar/holidays/1700").await.expect("get").status(), 400);
}

#[tokio::test]
async fn an_announced_working_saturday_changes_deadlines_and_is_audited() {
    let app = Instance::start().await;
    let c = client();
    assert_eq!(
        c.post(app.url("/api/v1/calendar/adjustments"))
            .json(&json!({"date": "2026-02-21", "kind": "working_day", "name": "Làm bù"}))
            .send_status()
            .await,
        401
    );
    let bad = c
        .post(app.url("/api/v1/calendar/adjustments"))
        .by_admin()
        .json(&json!({"date": "21/02", "kind": "holiday", "name": ""}))
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 422);
    let p: Value = bad.json().await.expect("json");
    assert_eq!(p["errors"].as_array().expect("errors").len(), 3);
    assert_eq!(c
        .post(app.url("/api/v1/calendar/adjustments"))
        .by_admin()
        .json(&json!({"date": "21/02/2026", "kind": "working_day", "name": "Làm bù theo Thông báo của UBND tỉnh"})).send_status().await, 201);
    let r: Value = c
        .get(app.url("/api/v1/calendar/add-working-days?date=13/02/2026&days=1"))
        .send_json()
        .await;
    assert_eq!(r["result"], "2026-02-21");
    let audit: Value =
        c.get(app.url("/api/v1/audit?action=calendar.")).by_admin().send_json().await;
    let rec = &audit["records"][0];
    assert_eq!(rec["action"], "calendar.adjustment.set");
    assert_eq!(rec["object_id"], "2026-02-21");
    assert_eq!(rec["actor"], "admin");
    assert!(rec["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(
        c.delete(app.url("/api/v1/calendar/adjustments/2026-02-21")).by_admin().send_status().await,
        204
    );
}

#[tokio::test]
async fn the_admin_form_shows_errors_at_the_top_and_saves_good_input() {
    let app = Instance::start().await;
    let c = client();
    let bad = c
        .post(app.url("/admin/calendar/adjustments"))
        .by_admin()
        .form(&[("date", "30/02/2027"), ("kind", "day_off"), ("name", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 422);
    let body = bad.text().await.expect("body");
    assert!(
        body.contains("error-summary")
            && body.contains("href=\"#date\"")
            && body.contains("href=\"#name\"")
    );
    assert_eq!(
        c.post(app.url("/admin/calendar/adjustments"))
            .by_admin()
            .form(&[
                ("date", "04/01/2027"),
                ("kind", "day_off"),
                ("name", "Nghỉ hoán đổi dịp Tết Dương lịch"),
            ])
            .send_status()
            .await,
        303
    );
    let page = c
        .get(app.url("/lich-lam-viec?nam=2027"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(page.contains("04/01/2027") && page.contains("Nghỉ hoán đổi dịp Tết Dương lịch"));
}
