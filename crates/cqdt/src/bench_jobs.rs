//! `cqdt bench workflow --via jobs`: workers doing external tasks through the job API of a
//! real `cqdt serve` with the demo province (issue 14: ≥ 2,000 jobs/s). The instances are
//! started first (not timed); then each worker fetches and locks a few jobs at a time and
//! completes each with its own request, acknowledged after its commit, until none is left.
//! Against `/healthz` on the same server in the same run.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::app::AppError;
use crate::bench::{load, serve_demo};
use crate::bench_workflow_http::{admin_session, deploy};

/// Target: jobs completed per second through the job API (issue 14).
const TARGET_JOBS_PER_S: f64 = 2000.0;

/// Jobs a worker locks per fetch.
const FETCH: i64 = 16;

const ONE_JOB: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="bench">
  <bpmn:process id="bench_one_job" name="Một việc tự động" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:serviceTask id="j" name="Tra cứu" camunda:type="external" camunda:topic="bench-lookup" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="j" />
    <bpmn:sequenceFlow id="f2" sourceRef="j" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"#;

/// Runs the benchmark and prints one JSON line; fails under the target, on any failed
/// request or if any instance is left unfinished.
pub async fn jobs_http(
    jobs: usize,
    workers: usize,
    database_url: Option<String>,
) -> Result<ExitCode, AppError> {
    let (mut child, base, dir) = serve_demo("wf-jobs", database_url.as_deref()).await?;
    let http = crate::bench::no_redirects()?;
    let cookie = admin_session(&http, &base).await?;
    let failed = |what: String| AppError::Failed(what);
    deploy(&http, &base, &cookie, ONE_JOB).await?;
    // The instances, each waiting at its job: started before the clock runs.
    let starters = 64.min(jobs.max(1));
    let per_starter = jobs.div_ceil(starters);
    let started = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..starters {
        let (base, cookie, started) = (base.clone(), cookie.clone(), started.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0..per_starter {
                let body = json!({"key": "bench_one_job", "business_key": format!("job-{c}-{i}")});
                let r = http
                    .post(format!("{base}/api/v1/workflow/instances"))
                    .header("cookie", &cookie)
                    .json(&body)
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status().as_u16() == 201) {
                    started.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let started = started.load(Ordering::Relaxed);
    let health = format!("{base}/healthz");
    let (baseline, _, _) = load(3, workers, move |c| c.get(&health)).await;

    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let fetches = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers.max(1) {
        let (base, cookie) = (base.clone(), cookie.clone());
        let (done, errors, fetches) = (done.clone(), errors.clone(), fetches.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let worker = format!("bench-worker-{w}");
            let fetch = json!({"worker_id": worker, "max_jobs": FETCH,
                "topics": [{"topic": "bench-lookup", "lock_duration_ms": 300_000}]});
            loop {
                fetches.fetch_add(1, Ordering::Relaxed);
                let got: Option<Value> = match http
                    .post(format!("{base}/api/v1/workflow/jobs/fetch-and-lock"))
                    .header("cookie", &cookie)
                    .json(&fetch)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => r.json().await.ok(),
                    _ => None,
                };
                let Some(got) = got else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    break;
                };
                let ids: Vec<i64> = got["jobs"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|j| j["id"].as_i64()).collect())
                    .unwrap_or_default();
                if ids.is_empty() {
                    break;
                }
                // A worker handles the jobs of one fetch at once, as Zeebe's and Camunda's
                // clients do (up to their maximum of active jobs).
                let mut handling = tokio::task::JoinSet::new();
                for id in ids {
                    let (http, base, cookie) = (http.clone(), base.clone(), cookie.clone());
                    let body = json!({"worker_id": worker, "variables": {"found": true}});
                    handling.spawn(async move {
                        http.post(format!("{base}/api/v1/workflow/jobs/{id}/complete"))
                            .header("cookie", &cookie)
                            .json(&body)
                            .send()
                            .await
                            .is_ok_and(|r| r.status().is_success())
                    });
                }
                while let Some(ok) = handling.join_next().await {
                    let counter = if ok.unwrap_or(false) { &done } else { &errors };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let listed = http
        .get(format!("{base}/api/v1/workflow/instances?status=active&limit=1000"))
        .header("cookie", &cookie)
        .send()
        .await
        .map_err(|e| failed(format!("listing instances: {e}")))?
        .json::<Value>()
        .await
        .map_err(|e| failed(format!("listing instances: {e}")))?;
    let unfinished = listed["instances"].as_array().map(Vec::len).unwrap_or(usize::MAX / 2);
    let _ = child.kill().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = std::fs::remove_dir_all(&dir);
    let (done, errors) = (done.load(Ordering::Relaxed), errors.load(Ordering::Relaxed));
    let rate = done as f64 / elapsed;
    // Sound (every job done, nothing failed or left) or a failure (exit 1); then the rate
    // against the target (exit 2 when below: measured, reported).
    let sound = errors == 0
        && unfinished == 0
        && started == (per_starter * starters) as u64
        && done == started;
    let pass = sound && rate >= TARGET_JOBS_PER_S;
    println!(
        "{}",
        json!({
            "bench": "workflow_jobs",
            "backend": if database_url.is_some() { "postgres" } else { "sqlite" },
            "instances_started": started,
            "jobs_completed": done,
            "failed_requests": errors,
            "fetches": fetches.load(Ordering::Relaxed),
            "unfinished": unfinished,
            "workers": workers,
            "jobs_per_fetch": FETCH,
            "seconds": elapsed,
            "jobs_per_s": rate,
            "baseline_healthz_per_s": baseline,
            "target_jobs_per_s": TARGET_JOBS_PER_S,
            "pass": pass
        })
    );
    Ok(match (sound, pass) {
        (true, true) => ExitCode::SUCCESS,
        (true, false) => ExitCode::from(2),
        (false, _) => ExitCode::FAILURE,
    })
}
