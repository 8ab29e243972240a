//! The workflow engine through the real binary: a BPMN file drawn in bpmn.io is deployed over
//! the API, run through its tasks, and drawn as SVG.

mod common;

use common::{client, Instance, ADMIN_PASSWORD};
use serde_json::{json, Value};

const BPMN: &str = include_str!("../../workflow/tests/fixtures/tiep-nhan-xu-ly.bpmn");

async fn call(
    app: &Instance,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client()
        .request(method, app.url(path))
        .basic_auth("admin", Some(ADMIN_PASSWORD));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_bpmn_io_diagram_is_deployed_run_to_the_end_and_drawn() {
    let app = Instance::start().await;
    let res = client()
        .post(app.url("/api/v1/workflow/definitions"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .header("content-type", "application/xml")
        .body(BPMN)
        .send()
        .await
        .expect("deploy");
    assert_eq!(res.status(), 201);
    let def: Value = res.json().await.expect("json");
    assert_eq!(def["key"], "tiep_nhan_xu_ly");
    let (s, started) = call(&app, reqwest::Method::POST, "/api/v1/workflow/instances", Some(json!({"key": "tiep_nhan_xu_ly", "business_key": "000.01.41.H51-261125-0001", "agency": "000.01.41.H51"}))).await;
    assert_eq!(s, 201);
    let id = started["id"].as_i64().expect("id");
    for vars in [json!({}), json!({}), json!({"approved": true}), json!({})] {
        let (_, tasks) = call(
            &app,
            reqwest::Method::GET,
            "/api/v1/workflow/tasks?agency=000.01.41.H51",
            None,
        )
        .await;
        let open = tasks["tasks"].as_array().expect("tasks").clone();
        assert!(!open.is_empty(), "no open task");
        for t in open {
            let tid = t["id"].as_i64().expect("task id");
            let (s, _) = call(
                &app,
                reqwest::Method::POST,
                &format!("/api/v1/workflow/tasks/{tid}/complete"),
                Some(json!({"variables": vars})),
            )
            .await;
            assert_eq!(s, 200);
        }
    }
    let (_, inst) = call(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/workflow/instances/{id}"),
        None,
    )
    .await;
    assert_eq!(inst["status"], "completed", "{inst}");
    let svg = client()
        .get(app.url(&format!("/api/v1/workflow/instances/{id}/diagram.svg")))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .expect("svg");
    assert_eq!(
        svg.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    assert!(svg.text().await.expect("text").starts_with("<svg"));
}

#[tokio::test]
async fn an_unsupported_element_is_refused_by_its_id() {
    let app = Instance::start().await;
    let bad = BPMN
        .replace(
            "<bpmn:parallelGateway id=\"Fork_1\">",
            "<bpmn:inclusiveGateway id=\"Fork_1\">",
        )
        .replacen("</bpmn:parallelGateway>", "</bpmn:inclusiveGateway>", 1);
    let res = client()
        .post(app.url("/api/v1/workflow/definitions"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .body(bad)
        .send()
        .await
        .expect("deploy");
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.expect("json");
    assert!(
        p["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["field"] == "Fork_1"
                && e["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("inclusiveGateway")),
        "{p}"
    );
}
