//! Nothing acknowledged is lost: the real `cqdt serve` process is killed with SIGKILL under
//! load and started again on the same database.

use serde_json::{json, Value};

use crate::dossiers::{api_values, form_page, CITIZEN, KHAI_SINH};
use crate::helpers::{
    client, filing_form, first_option, required_components, sign_in, ByAdmin, Instance, SendStatus,
    DEMO_PASSWORD,
};
use crate::workflow::{call, deploy, open_task, THREE_TASKS};

/// Lets the load run for `ms` milliseconds, kills the server with it running (kill -9), and
/// waits for the load's tasks to see that.
pub(super) async fn kill_under_load<T>(
    app: &mut Instance,
    load: Vec<tokio::task::JoinHandle<T>>,
    ms: u64,
) {
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    app.kill().await;
    for t in load {
        let _ = t.await;
    }
}

#[tokio::test]
async fn killing_the_server_during_a_submission_load_loses_no_returned_code() {
    let mut app = Instance::spawn_binary().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let page = form_page(&app, &cookie).await;
    let form = Value::Object(api_values(&page));
    let (agency, required) =
        (first_option(&page, "agency"), required_components(&app, KHAI_SINH).await);
    let returned = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut load = Vec::new();
    for _ in 0..8 {
        let (url, cookie, returned) =
            (app.url("/api/v1/dossiers"), cookie.clone(), returned.clone());
        let (form, agency, required) = (form.clone(), agency.clone(), required.clone());
        load.push(tokio::spawn(async move {
            let http = client();
            loop {
                let body = filing_form(KHAI_SINH, &agency, &form, &required);
                let Ok(res) =
                    http.post(&url).header("cookie", &cookie).multipart(body).send().await
                else {
                    break;
                };
                if res.status() != 201 {
                    break;
                }
                let Ok(v) = res.json::<Value>().await else {
                    break;
                };
                if let (Some(code), Ok(mut r)) = (v["code"].as_str(), returned.lock()) {
                    r.push(code.to_string());
                }
            }
        }));
    }
    kill_under_load(&mut app, load, 1500).await;
    let codes = returned.lock().map(|r| r.clone()).unwrap_or_default();
    assert!(codes.len() > 10, "the load ran: {}", codes.len());
    app.restart().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let http = client();
    for c in &codes {
        assert_eq!(
            http.get(app.url(&format!("/api/v1/dossiers/{c}")))
                .header("cookie", &cookie)
                .send_status()
                .await,
            200,
            "{c} was returned but is gone"
        );
    }
    let unique: std::collections::HashSet<&String> = codes.iter().collect();
    assert_eq!(unique.len(), codes.len(), "no code was given twice");
}

#[tokio::test]
async fn killing_the_server_during_a_processing_load_loses_no_instance_or_task() {
    let mut app = Instance::spawn_binary().await;
    assert_eq!(deploy(&app, THREE_TASKS).await.status(), 201);
    // Each worker starts instances and completes their tasks; it notes every step the
    // server acknowledged: (instance, tasks completed).
    let acked =
        std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::<i64, usize>::new()));
    let mut load = Vec::new();
    for w in 0..6 {
        let (base, acked) = (app.base.clone(), acked.clone());
        load.push(tokio::spawn(async move {
            let http = client();
            for n in 0.. {
                let Ok(res) = http
                    .post(format!("{base}/api/v1/workflow/instances"))
                    .by_admin()
                    .json(&json!({"key": "ba_buoc", "business_key": format!("W{w}-{n}"), "agency": "000.01.41.H51"}))
                    .send()
                    .await
                else {
                    return;
                };
                let Ok(v) = res.json::<Value>().await else { return };
                let Some(id) = v["id"].as_i64() else { return };
                if let Ok(mut a) = acked.lock() {
                    a.insert(id, 0);
                }
                for done in 1..=3 {
                    let Some(Some(task)) = open_task(&http, &base, id).await else {
                        return;
                    };
                    let Ok(res) = http
                        .post(format!("{base}/api/v1/workflow/tasks/{task}/complete"))
                        .by_admin()
                        .json(&json!({"variables": {}}))
                        .send()
                        .await
                    else {
                        return;
                    };
                    if res.status() != 200 {
                        return;
                    }
                    if let Ok(mut a) = acked.lock() {
                        a.insert(id, done);
                    }
                }
            }
        }));
    }
    kill_under_load(&mut app, load, 2000).await;
    let acked = acked.lock().map(|a| a.clone()).unwrap_or_default();
    assert!(acked.len() > 5, "the load ran: {}", acked.len());
    app.restart().await;
    // Every acknowledged instance is there, at least as far as it was acknowledged, with
    // exactly one open task unless it ended; then every one runs on to its end.
    let mut resumed = 0;
    for (id, done) in &acked {
        let (s, inst) =
            call(&app, reqwest::Method::GET, &format!("/api/v1/workflow/instances/{id}"), None)
                .await;
        assert_eq!(s, 200, "instance {id} was acknowledged but is gone");
        let tasks = inst["tasks"].as_array().expect("tasks");
        let completed = tasks.iter().filter(|t| t["status"] == "completed").count();
        let open: Vec<i64> = tasks
            .iter()
            .filter(|t| t["status"] == "open")
            .filter_map(|t| t["id"].as_i64())
            .collect();
        assert!(completed >= *done, "instance {id}: {completed} < {done}");
        if completed == 3 {
            assert_eq!(inst["status"], "completed");
            assert!(open.is_empty());
            continue;
        }
        assert_eq!(inst["status"], "active", "instance {id}");
        assert_eq!(open.len(), 1, "instance {id} has exactly one open task");
        let mut next = open.first().copied();
        while let Some(task) = next {
            let (s, _) = call(
                &app,
                reqwest::Method::POST,
                &format!("/api/v1/workflow/tasks/{task}/complete"),
                Some(json!({"variables": {}})),
            )
            .await;
            assert_eq!(s, 200);
            next = open_task(&client(), &app.base, *id).await.flatten();
        }
        let (_, inst) =
            call(&app, reqwest::Method::GET, &format!("/api/v1/workflow/instances/{id}"), None)
                .await;
        assert_eq!(inst["status"], "completed", "instance {id} resumed to its end");
        resumed += 1;
    }
    assert!(resumed > 0, "some instances were cut mid-way and resumed");
}
