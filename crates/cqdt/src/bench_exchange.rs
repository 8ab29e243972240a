//! `cqdt bench exchange`: messages accepted durably per second by the asynchronous exchange
//! (`POST /api/v1/lgsp/messages`, 1 KB bodies, 64 senders, each acknowledged after commit),
//! then pushed to the recipient's address; every message must arrive, each sender's in the
//! order it sent them (issue 16: ≥ 5,000 messages/s). Baseline in the same run: `/healthz` at
//! the same concurrency (what the HTTP stack alone gives).

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::json;

use crate::app::AppError;
use crate::bench::serve_demo_with;

/// Messages accepted per second.
const TARGET: f64 = 5000.0;
const PROVIDER: &str = "000.00.03.H51";

fn fail(what: impl std::fmt::Display) -> AppError {
    AppError::Failed(what.to_string())
}

/// The recipient system: records the senders' ids in the order they are pushed.
async fn recipient() -> Result<(String, Arc<Mutex<Vec<String>>>), AppError> {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/nhan",
        post(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                let id = headers
                    .get("x-lgsp-sender-message-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                seen.lock().unwrap_or_else(|p| p.into_inner()).push(id);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(fail)?;
    let addr = listener.local_addr().map_err(fail)?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{addr}/nhan"), got))
}

/// `concurrency` senders for `seconds`, each sending `s{k}-{n}` in turn: accepted per
/// second, p99 ms, failures, and how many each sender had accepted.
async fn send_load(
    url: String,
    bearer: String,
    seconds: u64,
    concurrency: usize,
) -> (f64, f64, u64, Vec<u64>) {
    let failed = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let body = axum::body::Bytes::from(vec![b'x'; 1024]);
    let mut tasks = Vec::new();
    for k in 0..concurrency.max(1) {
        let (url, bearer, failed, body) =
            (url.clone(), bearer.clone(), failed.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let (mut n, mut times) = (0u64, Vec::new());
            while Instant::now() < end {
                let t = Instant::now();
                let res = http
                    .post(&url)
                    .bearer_auth(&bearer)
                    .header("x-lgsp-message-id", format!("s{k}-{n}"))
                    .header("content-type", "application/octet-stream")
                    .body(body.clone())
                    .send()
                    .await;
                if res.is_ok_and(|r| r.status().as_u16() == 202) {
                    n += 1;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            (n, times)
        }));
    }
    let (mut counts, mut all) = (Vec::new(), Vec::new());
    for t in tasks {
        let (n, times) = t.await.unwrap_or_default();
        counts.push(n);
        all.extend(times);
    }
    let rate = counts.iter().sum::<u64>() as f64 / start.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let p99 = all.get(((all.len() as f64 * 0.99).ceil() as usize).saturating_sub(1)).copied();
    (rate, p99.unwrap_or(0.0), failed.load(Ordering::Relaxed), counts)
}

/// Whether every sender's messages arrived, all of them, each in the order sent.
fn in_order(got: &[String], counts: &[u64]) -> Result<(), String> {
    let mut next = vec![0u64; counts.len()];
    for id in got {
        let (k, n) = id
            .strip_prefix('s')
            .and_then(|r| r.split_once('-'))
            .and_then(|(k, n)| Some((k.parse::<usize>().ok()?, n.parse::<u64>().ok()?)))
            .ok_or_else(|| format!("unexpected message {id:?}"))?;
        let want = next.get_mut(k).ok_or_else(|| format!("unknown sender in {id:?}"))?;
        if n != *want {
            return Err(format!("sender {k}: message {n} arrived where {} was due", *want));
        }
        *want += 1;
    }
    match next.iter().zip(counts).position(|(got, sent)| got != sent) {
        Some(k) => Err(format!("sender {k}: {} of {} arrived", next[k], counts[k])),
        None => Ok(()),
    }
}

/// Runs the benchmark; exit 2 when measured below the target.
pub async fn exchange(
    seconds: u64,
    concurrency: usize,
    database_url: Option<String>,
    nats: Option<String>,
) -> Result<ExitCode, AppError> {
    let stream = format!("BENCH_{}", std::process::id());
    let env: Vec<(&str, &str)> = match &nats {
        Some(url) => vec![("CQDT_LGSP_NATS_URL", url), ("CQDT_LGSP_NATS_STREAM", &stream)],
        None => vec![],
    };
    let served = serve_demo_with("exchange", database_url.as_deref(), &env).await;
    let (mut child, base, dir) = served?;
    let http = crate::bench::no_redirects()?;
    let upstream = crate::bench_gateway::upstream().await?;
    let (bearer, cookie) = crate::bench_gateway::registry(&http, &base, &upstream).await?;
    let (push_url, got) = recipient().await?;
    let set = http
        .put(format!("{base}/api/v1/lgsp/members/{PROVIDER}/subsystems/ho-tich/push"))
        .header("cookie", &cookie)
        .json(&json!({ "push_url": push_url }))
        .send()
        .await
        .map_err(fail)?;
    if !set.status().is_success() {
        return Err(fail(format!("setting the push address: {}", set.status())));
    }
    let health = format!("{base}/healthz");
    let (baseline, _, _) =
        crate::bench::load(seconds.min(5), concurrency, move |c| c.get(&health)).await;
    let url = format!("{base}/api/v1/lgsp/messages?to={PROVIDER}/ho-tich");
    let t = Instant::now();
    let (rate, p99, failed, counts) = send_load(url, bearer, seconds, concurrency).await;
    let sent: u64 = counts.iter().sum();
    // Every accepted message pushed: wait for the last (at most two minutes).
    while (got.lock().unwrap_or_else(|p| p.into_inner()).len() as u64) < sent
        && t.elapsed() < Duration::from_secs(seconds + 120)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered_secs = t.elapsed().as_secs_f64();
    let order = in_order(&got.lock().unwrap_or_else(|p| p.into_inner()), &counts);
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(url) = &nats {
        cqdt_lgsp::exchange::jetstream::JetStream::remove(url, &stream).await.map_err(fail)?;
    }
    let delivered_ok = order.is_ok();
    let pass = rate >= TARGET && failed == 0 && delivered_ok;
    println!(
        "{}",
        json!({
            "benchmark": "lgsp_exchange",
            "backend": if database_url.is_some() { "postgres" } else { "sqlite" },
            "messages_on": if nats.is_some() { "nats_jetstream" } else { "database" },
            "concurrency": concurrency,
            "seconds": seconds,
            "body_bytes": 1024,
            "accepted": { "messages": sent, "per_second": rate.round(), "p99_ms": p99, "failed": failed },
            "target_per_second": TARGET,
            "delivered": { "all_in_order": order.is_ok(), "problem": order.err(), "seconds_until_all": delivered_secs, "per_second": (sent as f64 / delivered_secs).round() },
            "baseline_healthz_per_second": baseline.round(),
            "pass": pass,
        })
    );
    // A message lost or out of order is a failure, not a figure below target.
    if !delivered_ok || failed > 0 {
        return Err(fail("messages were refused, lost or pushed out of order (above)"));
    }
    Ok(if pass { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
