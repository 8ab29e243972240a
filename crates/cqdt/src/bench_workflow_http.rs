//! `cqdt bench workflow --via http`: the engine through its HTTP API on a real `cqdt serve`
//! with the demo province (issue 14): each instance is four requests — start, then complete
//! the three user tasks each answer reports opened — every one acknowledged after its commit.
//! Against `/healthz` on the same server in the same run; the target is the in-process one
//! on SQLite (2,000 instances/s) and 1,500/s on PostgreSQL.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::app::AppError;
use crate::bench::{load, serve_demo, LINEAR_3};

/// Signs the demo platform administrator in (password, then the demo TOTP code): the
/// session cookie.
pub(crate) async fn admin_session(http: &reqwest::Client, base: &str) -> Result<String, AppError> {
    let failed = |what: &str| AppError::Failed(format!("the demo administrator's {what}"));
    let cookie = crate::bench::sign_in(http, base, "quantri", crate::demo::DEMO_PASSWORD)
        .await?
        .ok_or_else(|| failed("session"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let code = cqdt_identity::totp::code(crate::demo::DEMO_TOTP_SECRET, now)
        .ok_or_else(|| failed("TOTP code"))?;
    let res = http
        .post(format!("{base}/dang-nhap/xac-thuc-hai-lop"))
        .header("cookie", &cookie)
        .form(&[("code", code.as_str())])
        .send()
        .await
        .map_err(|_| failed("second factor"))?;
    if res.status().as_u16() != 303 {
        return Err(failed("second factor"));
    }
    Ok(cookie)
}

/// Deploys a BPMN file through the API as the signed-in administrator.
pub(crate) async fn deploy(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    xml: &'static str,
) -> Result<(), AppError> {
    let deployed = http
        .post(format!("{base}/api/v1/workflow/definitions"))
        .header("cookie", cookie)
        .header("content-type", "application/xml")
        .body(xml)
        .send()
        .await
        .map_err(|e| AppError::Failed(format!("deploy: {e}")))?;
    if deployed.status().as_u16() != 201 {
        return Err(AppError::Failed(format!("deploy refused: {}", deployed.status())));
    }
    Ok(())
}

/// Runs the benchmark and prints one JSON line; exit 1 on any failed request or unfinished
/// instance, 2 when sound but under the target.
pub async fn workflow_http(
    instances: usize,
    concurrency: usize,
    database_url: Option<String>,
) -> Result<ExitCode, AppError> {
    let (mut child, base, dir) = serve_demo("wf-http", database_url.as_deref()).await?;
    let http = crate::bench::no_redirects()?;
    let cookie = admin_session(&http, &base).await?;
    deploy(&http, &base, &cookie, LINEAR_3).await?;
    let health = format!("{base}/healthz");
    let (baseline, _, _) = load(3, concurrency, move |c| c.get(&health)).await;

    let per_client = instances.div_ceil(concurrency.max(1));
    let failed = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut clients = Vec::new();
    for c in 0..concurrency.max(1) {
        let (base, cookie) = (base.clone(), cookie.clone());
        let (failed, requests) = (failed.clone(), requests.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0..per_client {
                let body =
                    json!({"key": "bench_three_tasks", "business_key": format!("bench-{c}-{i}")});
                let mut answer = http
                    .post(format!("{base}/api/v1/workflow/instances"))
                    .header("cookie", &cookie)
                    .json(&body)
                    .send()
                    .await;
                // Each answer names the tasks its step opened: the worker goes on with them.
                loop {
                    requests.fetch_add(1, Ordering::Relaxed);
                    let v: Option<Value> = match answer {
                        Ok(r) if r.status().is_success() => r.json().await.ok(),
                        _ => None,
                    };
                    let Some(v) = v else {
                        failed.fetch_add(1, Ordering::Relaxed);
                        break;
                    };
                    let Some(task) =
                        v["opened"].as_array().and_then(|a| a.first()).and_then(Value::as_i64)
                    else {
                        break;
                    };
                    answer = http
                        .post(format!("{base}/api/v1/workflow/tasks/{task}/complete"))
                        .header("cookie", &cookie)
                        .send()
                        .await;
                }
            }
        }));
    }
    for c in clients {
        let _ = c.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let done = per_client * concurrency.max(1);
    // Every instance must have ended: none is left running or stopped, by the API's own list.
    let mut unfinished = 0;
    for status in ["active", "incident"] {
        let listed = http
            .get(format!("{base}/api/v1/workflow/instances?status={status}&limit=1000"))
            .header("cookie", &cookie)
            .send()
            .await
            .map_err(|e| AppError::Failed(format!("listing instances: {e}")))?
            .json::<Value>()
            .await
            .map_err(|e| AppError::Failed(format!("listing instances: {e}")))?;
        unfinished += listed["instances"].as_array().map(Vec::len).unwrap_or(usize::MAX / 2);
    }
    let _ = child.kill().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = std::fs::remove_dir_all(&dir);
    let failed = failed.load(Ordering::Relaxed);
    let requests = requests.load(Ordering::Relaxed);
    let rate = done as f64 / elapsed;
    let postgres = database_url.is_some();
    let target = if postgres { 1500.0 } else { crate::bench::TARGET_INSTANCES_PER_S };
    // Every request answered and every instance ended, or the run failed (exit 1); only
    // then is the rate compared with the target (exit 2 when below: measured, reported).
    let sound = failed == 0 && unfinished == 0 && requests == done as u64 * 4;
    let pass = sound && rate >= target;
    println!(
        "{}",
        json!({
            "bench": "workflow_http",
            "backend": if postgres { "postgres" } else { "sqlite" },
            "instances": done,
            "requests": requests,
            "failed": failed,
            "unfinished": unfinished,
            "concurrency": concurrency,
            "seconds": elapsed,
            "instances_per_s": rate,
            "requests_per_s": requests as f64 / elapsed,
            "baseline_healthz_per_s": baseline,
            "target_instances_per_s": target,
            "pass": pass
        })
    );
    Ok(match (sound, pass) {
        (true, true) => ExitCode::SUCCESS,
        (true, false) => ExitCode::from(2),
        (false, _) => ExitCode::FAILURE,
    })
}
