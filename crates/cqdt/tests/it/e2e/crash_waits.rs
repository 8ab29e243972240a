//! Nothing acknowledged is lost and no step runs twice when the real `cqdt serve` is killed
//! (SIGKILL) while workers complete jobs, officials complete multi-instance tasks and
//! messages are correlated (issue 14, measured).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::helpers::{client, ByAdmin, Instance};
use crate::workflow::{call, deploy};

/// A check by a worker of topic `t{w}`, an opinion from each of three agencies, a reply.
fn waits(w: usize) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:message id="m" name="tra-loi" />
<bpmn:process id="cho{w}" isExecutable="true"><bpmn:startEvent id="s" />
<bpmn:serviceTask id="job" camunda:type="external" camunda:topic="t{w}" />
<bpmn:userTask id="mi"><bpmn:multiInstanceLoopCharacteristics camunda:collection="agencies" camunda:elementVariable="agency" /></bpmn:userTask>
<bpmn:receiveTask id="reply" messageRef="m" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="job" /><bpmn:sequenceFlow id="f2" sourceRef="job" targetRef="mi" />
<bpmn:sequenceFlow id="f3" sourceRef="mi" targetRef="reply" /><bpmn:sequenceFlow id="f4" sourceRef="reply" targetRef="e" />
</bpmn:process></bpmn:definitions>"#
    )
}

const WORKERS: usize = 4;

/// Posts JSON as the admin; the answer's status and body, or None when the server is gone.
async fn post(http: &reqwest::Client, url: String, body: Value) -> Option<(u16, Value)> {
    let res = http.post(url).by_admin().json(&body).send().await.ok()?;
    let status = res.status().as_u16();
    Some((status, res.json().await.ok()?))
}

/// The open tasks of an instance at a node.
fn open_at(inst: &Value, node: &str) -> Vec<i64> {
    let tasks = inst["tasks"].as_array().cloned().unwrap_or_default();
    tasks
        .iter()
        .filter(|t| t["node_id"] == node && t["status"] == "open")
        .filter_map(|t| t["id"].as_i64())
        .collect()
}

/// An instance with its tasks and history.
async fn instance(app: &Instance, id: i64) -> (u16, Value) {
    call(app, reqwest::Method::GET, &format!("/api/v1/workflow/instances/{id}"), None).await
}

/// One instance through every step; `ack` records the steps the server acknowledged.
async fn one(
    http: &reqwest::Client,
    base: &str,
    w: usize,
    n: usize,
    ack: &Mutex<BTreeMap<i64, usize>>,
) -> Option<()> {
    let note = |id: i64, step: usize| {
        if let Ok(mut a) = ack.lock() {
            a.insert(id, step);
        }
    };
    let key = format!("K{w}-{n}");
    let start = json!({"key": format!("cho{w}"), "business_key": key, "variables": {"agencies": ["A", "B", "C"]}});
    let (_, v) = post(http, format!("{base}/api/v1/workflow/instances"), start).await?;
    let id = v["id"].as_i64()?;
    note(id, 1);
    let fetch = json!({"worker_id": format!("w{w}"), "max_jobs": 1, "topics": [{"topic": format!("t{w}"), "lock_duration_ms": 1000}]});
    let (_, got) = post(http, format!("{base}/api/v1/workflow/jobs/fetch-and-lock"), fetch).await?;
    let job = got["jobs"][0]["id"].as_i64()?;
    let done = json!({"worker_id": format!("w{w}"), "variables": {"kiem_tra": "đạt"}});
    let (s, _) = post(http, format!("{base}/api/v1/workflow/jobs/{job}/complete"), done).await?;
    (s == 200).then_some(())?;
    note(id, 2);
    let res =
        http.get(format!("{base}/api/v1/workflow/instances/{id}")).by_admin().send().await.ok()?;
    let inst: Value = res.json().await.ok()?;
    for (k, task) in open_at(&inst, "mi").into_iter().enumerate() {
        let url = format!("{base}/api/v1/workflow/tasks/{task}/complete");
        let (s, _) = post(http, url, json!({"variables": {}})).await?;
        (s == 200).then_some(())?;
        note(id, 3 + k);
    }
    let msg = json!({"name": "tra-loi", "message_id": format!("m-{key}"), "business_key": key});
    let (s, _) = post(http, format!("{base}/api/v1/workflow/messages"), msg).await?;
    (s == 200).then_some(())?;
    note(id, 6);
    Some(())
}

#[tokio::test]
async fn killing_the_server_while_jobs_multi_instance_tasks_and_messages_complete_loses_nothing() {
    let mut app = Instance::spawn_binary().await;
    for w in 0..WORKERS {
        assert_eq!(deploy(&app, &waits(w)).await.status(), 201);
    }
    let ack = Arc::new(Mutex::new(BTreeMap::<i64, usize>::new()));
    let mut load = Vec::new();
    for w in 0..WORKERS {
        let (base, ack) = (app.base.clone(), ack.clone());
        load.push(tokio::spawn(async move {
            let http = client();
            for n in 0.. {
                if one(&http, &base, w, n, &ack).await.is_none() {
                    return;
                }
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    app.kill().await;
    for t in load {
        let _ = t.await;
    }
    let ack = ack.lock().map(|a| a.clone()).unwrap_or_default();
    assert!(ack.len() > 4, "the load ran: {}", ack.len());
    assert!(ack.values().any(|s| *s < 6), "some instances were cut mid-way: {ack:?}");
    app.restart().await;
    // Locks taken before the kill run out (1 s); then every instance is checked and run on.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let http = client();
    for (id, step) in &ack {
        let (s, inst) = instance(&app, *id).await;
        assert_eq!(s, 200, "instance {id} was acknowledged but is gone");
        let tasks = inst["tasks"].as_array().cloned().unwrap_or_default();
        let done_at = |node: &str| {
            tasks.iter().filter(|t| t["node_id"] == node && t["status"] == "completed").count()
        };
        let history = inst["history"].as_array().cloned().unwrap_or_default();
        let completions = |node: &str| {
            history.iter().filter(|h| h["node_id"] == node && h["event"] == "completed").count()
        };
        // As far as acknowledged, and no step twice: one history line per completed task.
        assert!(done_at("job") >= usize::from(*step >= 2), "instance {id}: job lost");
        assert!(done_at("mi") + 2 >= (*step).min(5), "instance {id}: an opinion lost");
        for node in ["job", "mi", "reply"] {
            assert_eq!(completions(node), done_at(node), "instance {id}: {node} twice");
        }
        assert!(done_at("mi") <= 3 && tasks.iter().filter(|t| t["node_id"] == "mi").count() <= 3);
        if *step == 6 {
            assert_eq!(inst["status"], "completed", "instance {id}");
        }
        // Run on to the end from wherever it stands.
        let w = inst["business_key"]
            .as_str()
            .and_then(|k| k[1..].split('-').next()?.parse::<usize>().ok())
            .expect("worker");
        let key = inst["business_key"].as_str().unwrap_or_default().to_string();
        if done_at("job") == 0 {
            let fetch = json!({"worker_id": "after", "max_jobs": 10, "topics": [{"topic": format!("t{w}"), "lock_duration_ms": 60000}]});
            let (_, got) = post(&http, app.url("/api/v1/workflow/jobs/fetch-and-lock"), fetch)
                .await
                .expect("fetch");
            let job = tasks
                .iter()
                .find(|t| t["node_id"] == "job")
                .and_then(|t| t["id"].as_i64())
                .expect("job task");
            assert!(
                got["jobs"].as_array().is_some_and(|j| j.iter().any(|j| j["id"] == job)),
                "job {job} handed out again"
            );
            let (s, _) = post(
                &http,
                app.url(&format!("/api/v1/workflow/jobs/{job}/complete")),
                json!({"worker_id": "after"}),
            )
            .await
            .expect("complete");
            assert_eq!(s, 200);
        }
        let (_, inst) = instance(&app, *id).await;
        for task in open_at(&inst, "mi") {
            let (s, _) =
                post(&http, app.url(&format!("/api/v1/workflow/tasks/{task}/complete")), json!({}))
                    .await
                    .expect("mi");
            assert_eq!(s, 200);
        }
        // The reply, sent again under the same id if it was sent: one effect.
        let msg = json!({"name": "tra-loi", "message_id": format!("m-{key}"), "business_key": key});
        let (s, _) = post(&http, app.url("/api/v1/workflow/messages"), msg).await.expect("message");
        assert_eq!(s, 200, "instance {id}");
        let (_, inst) = instance(&app, *id).await;
        assert_eq!(inst["status"], "completed", "instance {id} runs on to its end");
    }
}
