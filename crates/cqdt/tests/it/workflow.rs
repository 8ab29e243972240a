//! The workflow engine through the whole platform: a BPMN file drawn in bpmn.io is deployed over
//! the API, run through its tasks, and drawn as SVG.

use crate::helpers::{client, ByAdmin, Instance};
use serde_json::{json, Value};

pub(crate) const BPMN: &str = include_str!("../../../workflow/tests/fixtures/tiep-nhan-xu-ly.bpmn");

pub(crate) async fn call(
    app: &Instance,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client().request(method, app.url(path)).by_admin();
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn deploy(app: &Instance, xml: &str) -> reqwest::Response {
    client()
        .post(app.url("/api/v1/workflow/definitions"))
        .by_admin()
        .header("content-type", "application/xml")
        .body(xml.to_string())
        .send()
        .await
        .expect("deploy")
}

#[tokio::test]
async fn a_bpmn_io_diagram_is_deployed_run_to_the_end_and_drawn() {
    let app = Instance::start().await;
    let res = deploy(&app, BPMN).await;
    assert_eq!(res.status(), 201);
    let def: Value = res.json().await.expect("json");
    assert_eq!(def["key"], "tiep_nhan_xu_ly");
    let (s, started) = call(&app, reqwest::Method::POST, "/api/v1/workflow/instances", Some(json!({"key": "tiep_nhan_xu_ly", "business_key": "000.01.41.H51-261125-0001", "agency": "000.01.41.H51"}))).await;
    assert_eq!(s, 201);
    let id = started["id"].as_i64().expect("id");
    // The answer names the tasks the start opened, so a worker goes on without asking.
    let first = started["opened"].as_array().and_then(|a| a.first()).and_then(Value::as_i64);
    assert!(first.is_some(), "{started}");
    for vars in [json!({}), json!({}), json!({"approved": true}), json!({})] {
        let (_, tasks) =
            call(&app, reqwest::Method::GET, "/api/v1/workflow/tasks?agency=000.01.41.H51", None)
                .await;
        let open = tasks["tasks"].as_array().expect("tasks").clone();
        assert!(!open.is_empty(), "no open task");
        for t in open {
            let tid = t["id"].as_i64().expect("task id");
            let (s, step) = call(
                &app,
                reqwest::Method::POST,
                &format!("/api/v1/workflow/tasks/{tid}/complete"),
                Some(json!({"variables": vars})),
            )
            .await;
            assert_eq!(s, 200);
            assert!(step["opened"].is_array() && step["id"] == id, "{step}");
        }
    }
    let (_, inst) =
        call(&app, reqwest::Method::GET, &format!("/api/v1/workflow/instances/{id}"), None).await;
    assert_eq!(inst["status"], "completed", "{inst}");
    let svg = client()
        .get(app.url(&format!("/api/v1/workflow/instances/{id}/diagram.svg")))
        .by_admin()
        .send()
        .await
        .expect("svg");
    assert_eq!(svg.headers()["content-type"], "image/svg+xml; charset=utf-8");
    assert!(svg.text().await.expect("text").starts_with("<svg"));
}

#[tokio::test]
async fn an_unsupported_element_is_refused_by_its_id() {
    let app = Instance::start().await;
    let bad = BPMN
        .replace("<bpmn:parallelGateway id=\"Fork_1\">", "<bpmn:complexGateway id=\"Fork_1\">")
        .replacen("</bpmn:parallelGateway>", "</bpmn:complexGateway>", 1);
    let res = client()
        .post(app.url("/api/v1/workflow/definitions"))
        .by_admin()
        .body(bad)
        .send()
        .await
        .expect("deploy");
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.expect("json");
    assert!(
        p["errors"].as_array().expect("errors").iter().any(|e| e["field"] == "Fork_1"
            && e["message"].as_str().unwrap_or("").contains("complexGateway")),
        "{p}"
    );
}

pub(crate) const THREE_TASKS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="ba_buoc" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="t1" name="Tiếp nhận" candidateGroups="reception_officer" />
    <bpmn:userTask id="t2" name="Xử lý" candidateGroups="processing_officer" />
    <bpmn:userTask id="t3" name="Phê duyệt" candidateGroups="leader" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1" />
    <bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="t2" />
    <bpmn:sequenceFlow id="f3" sourceRef="t2" targetRef="t3" />
    <bpmn:sequenceFlow id="f4" sourceRef="t3" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"#;

/// The open task of an instance, if any.
pub(crate) async fn open_task(http: &reqwest::Client, base: &str, id: i64) -> Option<Option<i64>> {
    let res =
        http.get(format!("{base}/api/v1/workflow/instances/{id}")).by_admin().send().await.ok()?;
    let v: Value = res.json().await.ok()?;
    Some(
        v["tasks"]
            .as_array()?
            .iter()
            .find(|t| t["status"] == "open")
            .and_then(|t| t["id"].as_i64()),
    )
}

#[tokio::test]
async fn every_demo_process_is_deployed_and_runs_to_its_end() {
    let app = Instance::start().await;
    let (s, defs) = call(&app, reqwest::Method::GET, "/api/v1/workflow/definitions", None).await;
    assert_eq!(s, 200);
    let keys: Vec<String> = defs
        .as_array()
        .or_else(|| defs["definitions"].as_array())
        .expect("definitions")
        .iter()
        .filter_map(|d| d["key"].as_str().map(str::to_string))
        .collect();
    assert!(keys.len() >= 10, "ten demo processes: {keys:?}");
    let mut agencies_seen = std::collections::BTreeSet::new();
    for key in &keys {
        // A tall building, so that the construction permit asks the department's opinion.
        let (s, started) = call(
            &app,
            reqwest::Method::POST,
            "/api/v1/workflow/instances",
            Some(
                json!({"key": key, "business_key": format!("DEMO-{key}"), "agency": "000.01.41.H51",
                        "variables": {"form": {"floors": 9}}}),
            ),
        )
        .await;
        assert_eq!(s, 201, "{key}");
        let id = started["id"].as_i64().expect("id");
        for _ in 0..20 {
            let Some(Some(task)) = open_task(&client(), &app.base, id).await else {
                break;
            };
            let (_, inst) =
                call(&app, reqwest::Method::GET, &format!("/api/v1/workflow/instances/{id}"), None)
                    .await;
            for t in inst["tasks"].as_array().into_iter().flatten() {
                if let Some(a) = t["agency"].as_str() {
                    agencies_seen.insert(a.to_string());
                }
            }
            let (s, _) = call(
                &app,
                reqwest::Method::POST,
                &format!("/api/v1/workflow/tasks/{task}/complete"),
                Some(json!({"variables": {"decision": "dong_y"}})),
            )
            .await;
            assert_eq!(s, 200, "{key}");
        }
        let (_, inst) =
            call(&app, reqwest::Method::GET, &format!("/api/v1/workflow/instances/{id}"), None)
                .await;
        assert_eq!(inst["status"], "completed", "{key}: {inst}");
    }
    // Liên thông: the demo processes give work to the commune, the district and departments.
    for a in ["000.01.41.H51", "000.00.41.H51", "000.00.10.H51", "000.00.13.H51"] {
        assert!(agencies_seen.contains(a), "{a} in {agencies_seen:?}");
    }
}

/// The admin page's upload form with a BPMN file.
fn bpmn_upload(xml: &str) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(xml.as_bytes().to_vec()).file_name("quy-trinh.bpmn");
    reqwest::multipart::Form::new().part("file", part)
}

#[tokio::test]
async fn the_admin_page_deploys_an_uploaded_bpmn_file_or_shows_every_error_in_vietnamese() {
    use crate::helpers::{get_page, location, post_multipart, sign_in, DEMO_PASSWORD, DEMO_TOTP};
    let app = Instance::start().await;
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let res = post_multipart(&app, &admin, "/admin/workflow", bpmn_upload(THREE_TASKS)).await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    let (s, page) = get_page(&app, &admin, &to).await;
    assert_eq!(s, 200);
    assert!(page.contains("Đã nạp quy trình “ba_buoc”, phiên bản 1."), "{page}");
    assert!(page.contains("<code>ba_buoc</code>"), "the page lists it");

    // Two errors: a flow to a missing element and a duplicate id.
    let bad = THREE_TASKS.replace("targetRef=\"t2\" />", "targetRef=\"khong_co\" />").replace(
        "<bpmn:endEvent id=\"e\" />",
        "<bpmn:endEvent id=\"e\" /><bpmn:endEvent id=\"t1\" />",
    );
    let res = post_multipart(&app, &admin, "/admin/workflow", bpmn_upload(&bad)).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.expect("page");
    assert!(page.contains("error-summary"), "{page}");
    assert!(page.contains("khong_co") && page.contains("“t1”"), "both errors: {page}");
}

#[tokio::test]
async fn an_administrator_cancels_a_running_instance_with_a_reason_and_its_open_tasks_end() {
    use crate::helpers::{file_lltp, get_page, post_page, sign_in, DEMO_PASSWORD, DEMO_TOTP};
    use reqwest::Method;
    let app = Instance::start().await;
    let citizen = sign_in(&app, "094085000123", DEMO_PASSWORD, None).await;
    let counter = sign_in(&app, "tiepnhan.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let code = file_lltp(&app, &citizen).await;
    let dossier = format!("/mot-cua/ho-so/{code}");
    assert_eq!(post_page(&app, &counter, &format!("{dossier}/tiep-nhan"), &[]).await.0, 303);
    assert_eq!(post_page(&app, &counter, &format!("{dossier}/chuyen-xu-ly"), &[]).await.0, 303);
    let (_, list) = call(&app, Method::GET, "/api/v1/workflow/instances", None).await;
    let id = list["instances"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["business_key"] == code.as_str()))
        .and_then(|i| i["id"].as_i64())
        .expect("the dossier's instance");
    let cancel = format!("/api/v1/workflow/instances/{id}/cancel");

    // No reason: refused, on the API and on the page, and nothing changes.
    let (s, problem) = call(&app, Method::POST, &cancel, Some(json!({"reason": "  "}))).await;
    assert_eq!(s, 400, "{problem}");
    let (s, page) = post_page(&app, &admin, &format!("/admin/workflow/huy/{id}"), &[]).await;
    assert_eq!(s, 422);
    assert!(page.contains("href=\"#reason-") && page.contains("Nêu lý do huỷ"), "{page}");
    let (_, inst) =
        call(&app, Method::GET, &format!("/api/v1/workflow/instances/{id}"), None).await;
    assert_eq!(inst["status"], "active");

    // With one: cancelled, its open task with it, the reason in the history and the audit log.
    let reason = "Hồ sơ đã được giải quyết ngoài hệ thống.";
    let (s, page) =
        post_page(&app, &admin, &format!("/admin/workflow/huy/{id}"), &[("reason", reason)]).await;
    assert_eq!(s, 303, "{page}");
    let (_, inst) =
        call(&app, Method::GET, &format!("/api/v1/workflow/instances/{id}"), None).await;
    assert_eq!(inst["status"], "cancelled", "{inst}");
    assert_eq!(inst["tokens"], 0);
    let tasks = inst["tasks"].as_array().expect("tasks");
    assert!(!tasks.is_empty() && tasks.iter().all(|t| t["status"] == "cancelled"), "{inst}");
    let history = inst["history"].as_array().expect("history");
    assert!(history.iter().any(|h| h["event"] == "cancelled" && h["detail"] == reason));
    let (_, audit) = get_page(&app, &admin, "/admin/audit").await;
    assert!(audit.contains("Quy trình: huỷ lượt chạy"), "audited, in words");
    let (s, _) = call(&app, Method::POST, &cancel, Some(json!({"reason": reason}))).await;
    assert_eq!(s, 409, "an ended instance is not cancelled twice");
    let (s, _) = call(
        &app,
        Method::POST,
        "/api/v1/workflow/instances/999999/cancel",
        Some(json!({"reason": reason})),
    )
    .await;
    assert_eq!(s, 404);

    // The dossier says so; the officials no longer have the task.
    let (_, page) = get_page(&app, &counter, &dossier).await;
    assert!(page.contains("Quy trình đã bị huỷ"), "{page}");
    assert!(page.contains("Đã huỷ ") && !page.contains("Đang chờ"), "{page}");
    let department = sign_in(&app, "xuly.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let (_, work) = get_page(&app, &department, "/mot-cua?tinh-trang=viec").await;
    assert!(!work.contains(&code), "no work left: {work}");
}

#[tokio::test]
async fn a_worker_does_an_external_task_through_the_job_api_and_the_process_goes_on() {
    let app = Instance::start().await;
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:process id="tra_cuu" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:serviceTask id="job" name="Tra cứu dân cư" camunda:type="external" camunda:topic="dan-cu" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="job" /><bpmn:sequenceFlow id="f2" sourceRef="job" targetRef="e" /></bpmn:process></bpmn:definitions>"#;
    assert_eq!(deploy(&app, xml).await.status(), 201);
    let post = reqwest::Method::POST;
    let (s, started) = call(
        &app,
        post.clone(),
        "/api/v1/workflow/instances",
        Some(json!({"key": "tra_cuu", "variables": {"cccd": "079085001234"}})),
    )
    .await;
    assert_eq!(s, 201, "{started}");
    // A wait longer than the API allows is refused, naming the field.
    let long = json!({"worker_id": "w", "max_jobs": 5, "async_response_timeout_ms": 99999, "topics": [{"topic": "dan-cu", "lock_duration_ms": 60000}]});
    let (s, problem) =
        call(&app, post.clone(), "/api/v1/workflow/jobs/fetch-and-lock", Some(long)).await;
    assert!(s == 400 && problem.to_string().contains("async_response_timeout_ms"), "{problem}");
    let fetch = json!({"worker_id": "lgsp-dan-cu", "max_jobs": 5, "topics": [{"topic": "dan-cu", "lock_duration_ms": 60000}]});
    let (s, got) =
        call(&app, post.clone(), "/api/v1/workflow/jobs/fetch-and-lock", Some(fetch.clone())).await;
    assert_eq!(s, 200, "{got}");
    let job = &got["jobs"][0];
    assert_eq!(
        (job["topic"].as_str(), job["variables"]["cccd"].as_str()),
        (Some("dan-cu"), Some("079085001234"))
    );
    let id = job["id"].as_i64().expect("job id");
    let (_, again) =
        call(&app, post.clone(), "/api/v1/workflow/jobs/fetch-and-lock", Some(fetch)).await;
    assert_eq!(again["jobs"], json!([]), "a locked job is not handed out twice");
    // A person cannot complete it as a task, nor a worker that does not hold it.
    let (s, _) =
        call(&app, post.clone(), &format!("/api/v1/workflow/tasks/{id}/complete"), None).await;
    assert_eq!(s, 409);
    let other = json!({"worker_id": "someone-else", "variables": {}});
    let (s, p) =
        call(&app, post.clone(), &format!("/api/v1/workflow/jobs/{id}/complete"), Some(other))
            .await;
    assert_eq!(s, 409, "{p}");
    let done = json!({"worker_id": "lgsp-dan-cu", "variables": {"ho_ten": "Nguyễn Văn A"}});
    let (s, step) =
        call(&app, post.clone(), &format!("/api/v1/workflow/jobs/{id}/complete"), Some(done)).await;
    assert_eq!(s, 200, "{step}");
    assert_eq!(
        (step["status"].as_str(), step["variables"]["ho_ten"].as_str()),
        (Some("completed"), Some("Nguyễn Văn A"))
    );
    let bad = json!({"worker_id": "lgsp-dan-cu", "error_message": "x", "retries": -1});
    let (s, p) = call(&app, post, &format!("/api/v1/workflow/jobs/{id}/failure"), Some(bad)).await;
    assert_eq!(s, 400, "{p}");
    let (s, list) =
        call(&app, reqwest::Method::GET, "/api/v1/workflow/jobs?incidents=true", None).await;
    assert_eq!((s, list["jobs"].clone()), (200, json!([])));
}

#[tokio::test]
async fn a_message_through_the_api_resumes_the_dossier_waiting_for_it_once() {
    let app = Instance::start().await;
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t"><bpmn:message id="m" name="tra-loi-lien-thong" />
<bpmn:process id="cho_tra_loi" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:receiveTask id="w" name="Chờ cơ quan phối hợp" messageRef="m" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w" /><bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="e" /></bpmn:process></bpmn:definitions>"#;
    assert_eq!(deploy(&app, xml).await.status(), 201);
    let post = reqwest::Method::POST;
    let code = "000.01.41.H51-261206-0001";
    let (s, started) = call(
        &app,
        post.clone(),
        "/api/v1/workflow/instances",
        Some(json!({"key": "cho_tra_loi", "business_key": code})),
    )
    .await;
    assert_eq!(s, 201, "{started}");
    let msg = json!({"name": "tra-loi-lien-thong", "message_id": "lgsp-77", "business_key": code, "variables": {"dong_y": true}});
    let (s, got) = call(&app, post.clone(), "/api/v1/workflow/messages", Some(msg.clone())).await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(
        (got["duplicate"].as_bool(), got["instance"]["status"].as_str()),
        (Some(false), Some("completed"))
    );
    let (s, again) = call(&app, post.clone(), "/api/v1/workflow/messages", Some(msg)).await;
    assert_eq!((s, again["duplicate"].as_bool()), (200, Some(true)));
    let nobody =
        json!({"name": "tra-loi-lien-thong", "message_id": "lgsp-78", "business_key": code});
    let (s, _) = call(&app, post.clone(), "/api/v1/workflow/messages", Some(nobody)).await;
    assert_eq!(s, 404);
    let two = json!({"name": "x", "message_id": "y", "business_key": code, "instance_id": 1});
    let (s, _) = call(&app, post, "/api/v1/workflow/messages", Some(two)).await;
    assert_eq!(s, 400);
}

/// An external task whose worker reported a failure with no retries left (an incident the
/// admin page lists): its job id.
pub(crate) async fn a_job_incident(app: &Instance) -> i64 {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:process id="ky_so" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:serviceTask id="job" camunda:type="external" camunda:topic="ky-so" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="job" /><bpmn:sequenceFlow id="f2" sourceRef="job" targetRef="e" /></bpmn:process></bpmn:definitions>"#;
    assert_eq!(deploy(app, xml).await.status(), 201);
    let post = reqwest::Method::POST;
    call(app, post.clone(), "/api/v1/workflow/instances", Some(json!({"key": "ky_so"}))).await;
    let fetch = json!({"worker_id": "ky-so-1", "max_jobs": 1, "topics": [{"topic": "ky-so", "lock_duration_ms": 60000}]});
    let (_, got) =
        call(app, post.clone(), "/api/v1/workflow/jobs/fetch-and-lock", Some(fetch.clone())).await;
    let id = got["jobs"][0]["id"].as_i64().expect("job");
    let fail =
        json!({"worker_id": "ky-so-1", "error_message": "Chứng thư số hết hạn", "retries": 0});
    let (s, job) =
        call(app, post.clone(), &format!("/api/v1/workflow/jobs/{id}/failure"), Some(fail)).await;
    assert_eq!((s, job["retries"].as_i64()), (200, Some(0)), "{job}");
    id
}

#[tokio::test]
async fn a_job_whose_worker_gave_up_is_listed_on_the_admin_page_and_handed_back_from_there() {
    use crate::helpers::{get_page, post_page, sign_in, DEMO_PASSWORD, DEMO_TOTP};
    let app = Instance::start().await;
    let id = a_job_incident(&app).await;
    let post = reqwest::Method::POST;
    let fetch = json!({"worker_id": "ky-so-1", "max_jobs": 1, "topics": [{"topic": "ky-so", "lock_duration_ms": 60000}]});
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let (_, page) = get_page(&app, &admin, "/admin/workflow").await;
    assert!(
        page.contains("Việc tự động gặp sự cố") && page.contains("Chứng thư số hết hạn"),
        "{page}"
    );
    let (s, _) = post_page(&app, &admin, &format!("/admin/workflow/thu-lai/{id}"), &[]).await;
    assert_eq!(s, 303);
    let (_, page) = get_page(&app, &admin, &format!("/admin/workflow?thu-lai={id}")).await;
    assert!(!page.contains("Việc tự động gặp sự cố") && page.contains("giao lại"), "{page}");
    let (_, again) = call(&app, post, "/api/v1/workflow/jobs/fetch-and-lock", Some(fetch)).await;
    assert_eq!(again["jobs"][0]["retries"].as_i64(), Some(3), "{again}");
}

#[tokio::test]
async fn an_instance_stopped_by_an_incident_is_run_on_from_the_admin_page_and_the_api() {
    use crate::helpers::{get_page, post_page, sign_in, DEMO_PASSWORD, DEMO_TOTP};
    let app = Instance::start().await;
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="quyet_dinh" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:exclusiveGateway id="g" /><bpmn:userTask id="ky" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g" /><bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="ky"><bpmn:conditionExpression>${dong_y == true}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f3" sourceRef="ky" targetRef="e" /></bpmn:process></bpmn:definitions>"#;
    assert_eq!(deploy(&app, xml).await.status(), 201);
    let post = reqwest::Method::POST;
    let (_, started) =
        call(&app, post.clone(), "/api/v1/workflow/instances", Some(json!({"key": "quyet_dinh"})))
            .await;
    let id = started["id"].as_i64().expect("instance id");
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let (_, page) = get_page(&app, &admin, "/admin/workflow").await;
    assert!(page.contains(&format!("/admin/workflow/chay-lai/{id}")), "a button to run it on");
    // From the page, nothing fixed: it stops again, and the page says so.
    let (s, _) = post_page(&app, &admin, &format!("/admin/workflow/chay-lai/{id}"), &[]).await;
    assert_eq!(s, 303);
    let (_, page) =
        get_page(&app, &admin, &format!("/admin/workflow?chay-lai={id}&ket-qua=incident")).await;
    assert!(page.contains("gặp sự cố"), "{page}");
    // Through the API, with the decision that was missing.
    let path = format!("/api/v1/workflow/instances/{id}/retry");
    let (s, step) =
        call(&app, post.clone(), &path, Some(json!({"variables": {"dong_y": true}}))).await;
    assert_eq!((s, step["status"].as_str()), (200, Some("active")), "{step}");
    assert_eq!(step["opened"].as_array().map(Vec::len), Some(1));
    let (s, _) = call(&app, post, &path, None).await;
    assert_eq!(s, 409, "it runs: nothing to retry");
}

/// An instance nothing can move on (a join waiting for a branch its gateway did not take):
/// its id.
pub(crate) async fn a_stuck_instance(app: &Instance) -> i64 {
    let xml = include_str!("../../../workflow/tests/fixtures/stuck-join.bpmn");
    assert_eq!(deploy(app, xml).await.status(), 201);
    let body = Some(json!({"key": "ket", "business_key": "000.00.03.H51-261207-0099"}));
    let (_, started) = call(app, reqwest::Method::POST, "/api/v1/workflow/instances", body).await;
    started["id"].as_i64().expect("instance id")
}

#[tokio::test]
async fn a_stuck_instance_is_listed_by_the_api_and_flagged_on_the_admin_page() {
    let app = Instance::start().await;
    let id = a_stuck_instance(&app).await;
    let (s, list) =
        call(&app, reqwest::Method::GET, "/api/v1/workflow/instances?status=stuck", None).await;
    assert_eq!(s, 200);
    let ids: Vec<i64> = list["instances"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["id"].as_i64())
        .collect();
    assert_eq!(ids, [id]);
    let page = client().get(app.url("/admin/workflow")).by_admin().send().await.expect("page");
    let page = page.text().await.expect("text");
    assert!(page.contains("Lượt chạy bị kẹt") && page.contains("000.00.03.H51-261207-0099"));
}

/// An instance of the bpmn.io fixture, started over the API: (its id, its first task's id).
pub(crate) async fn a_received_dossier(app: &Instance) -> (i64, i64) {
    assert_eq!(deploy(app, BPMN).await.status(), 201);
    let body = json!({"key": "tiep_nhan_xu_ly", "business_key": "000.01.41.H51-261207-0042", "agency": "000.01.41.H51"});
    let (s, started) =
        call(app, reqwest::Method::POST, "/api/v1/workflow/instances", Some(body)).await;
    assert_eq!(s, 201, "{started}");
    let id = started["id"].as_i64().expect("id");
    let first = started["opened"][0].as_i64().expect("first task");
    (id, first)
}

#[tokio::test]
async fn an_administrator_moves_a_token_from_the_instance_page_with_a_reason() {
    use crate::helpers::{get_page, post_page, sign_in, DEMO_PASSWORD, DEMO_TOTP};
    let app = Instance::start().await;
    let (id, first) = a_received_dossier(&app).await;
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let path = format!("/admin/workflow/luot/{id}");
    let (s, page) = get_page(&app, &admin, &path).await;
    assert_eq!(s, 200);
    // Words, local time and names, not element ids or UTC.
    assert!(page.contains("Tiếp nhận, kiểm tra hồ sơ") && page.contains("Bắt đầu"), "{page}");
    assert!(page.contains("Cán bộ tiếp nhận") && !page.contains("reception_officer"), "{page}");
    assert!(!page.contains("T0") && !page.contains("+00:00"), "{page}");

    // Without a reason nothing moves and the error stands at the field.
    let move_to = format!("{path}/chuyen-buoc");
    let from = first.to_string();
    let form = [("from", from.as_str()), ("to", "Task_PheDuyet"), ("reason", "")];
    let (s, page) = post_page(&app, &admin, &move_to, &form).await;
    assert_eq!(s, 422);
    assert!(page.contains("href=\"#reason\"") && page.contains("Nêu lý do"), "{page}");
    // To an element that is not there: the error stands at the target.
    let form = [("from", from.as_str()), ("to", "Khong_Co"), ("reason", "Giao nhầm bước")];
    let (s, page) = post_page(&app, &admin, &move_to, &form).await;
    assert_eq!(s, 422);
    assert!(page.contains("href=\"#to\""), "{page}");

    let form = [("from", from.as_str()), ("to", "Task_PheDuyet"), ("reason", "Giao nhầm bước")];
    let (s, page) = post_page(&app, &admin, &move_to, &form).await;
    assert_eq!(s, 303, "{page}");
    let (_, page) = get_page(&app, &admin, &format!("{path}?chuyen=1")).await;
    assert!(
        page.contains("Đã chuyển bước")
            && page.contains("Tới Phê duyệt kết quả. Lý do: Giao nhầm bước"),
        "{page}"
    );
    let (_, inst) =
        call(&app, reqwest::Method::GET, &format!("/api/v1/workflow/instances/{id}"), None).await;
    let open: Vec<&str> = inst["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|t| t["status"] == "open")
        .filter_map(|t| t["node_id"].as_str())
        .collect();
    assert_eq!(open, ["Task_PheDuyet"], "{inst}");
}

#[tokio::test]
async fn a_running_instance_moves_to_a_new_version_from_its_page_or_is_refused_naming_the_element()
{
    use crate::helpers::{get_page, post_page, sign_in, DEMO_PASSWORD, DEMO_TOTP};
    let app = Instance::start().await;
    let (id, _) = a_received_dossier(&app).await;
    // Version 2 renames a step the instance is not at: it carries on.
    let v2 = BPMN.replace("Thẩm định hồ sơ", "Thẩm định hồ sơ (phiên bản 2)");
    assert_eq!(deploy(&app, &v2).await.status(), 201);
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let path = format!("/admin/workflow/luot/{id}");
    let (_, page) = get_page(&app, &admin, &path).await;
    assert!(page.contains("Chuyển sang phiên bản 2"), "{page}");
    let (s, page) = post_page(&app, &admin, &format!("{path}/phien-ban"), &[]).await;
    assert_eq!(s, 422);
    assert!(page.contains("href=\"#migrate-reason\""), "{page}");
    let form = [("reason", "Sửa tên bước thẩm định")];
    let (s, _) = post_page(&app, &admin, &format!("{path}/phien-ban"), &form).await;
    assert_eq!(s, 303);
    let (_, page) = get_page(&app, &admin, &format!("{path}?phien-ban=2")).await;
    assert!(page.contains("đã chuyển sang phiên bản 2") && page.contains("phiên bản 1 → 2"));
    // Version 3 has no step where the instance stands: refused, naming it.
    let v3 = BPMN.replace("Task_TiepNhan", "Task_NhanHoSo");
    assert_eq!(deploy(&app, &v3).await.status(), 201);
    let body = json!({"reason": "Đổi quy trình"});
    let migrate = format!("/api/v1/workflow/instances/{id}/migrate");
    let (s, problem) = call(&app, reqwest::Method::POST, &migrate, Some(body)).await;
    assert_eq!(s, 422, "{problem}");
    assert!(
        problem["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["field"] == "Task_TiepNhan")),
        "{problem}"
    );
}
