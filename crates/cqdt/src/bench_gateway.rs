//! `cqdt bench gateway`: calls through the integration platform's gateway (token, grant,
//! rate limit, monitoring record all on) against nginx proxying the same upstream, in the
//! same run (issue 16: ≥ 0.7× nginx at 64 clients with 1 KB bodies; added p99 ≤ 2 ms; a
//! 1 GB streamed body with the server's RSS growing < 64 MB).

use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::app::AppError;
use crate::bench::serve_demo;
use crate::bench_workflow_http::admin_session;

/// Gateway throughput against nginx's.
const RATIO_TARGET: f64 = 0.7;
/// p99 the gateway may add to a call, ms.
const ADDED_P99_TARGET_MS: f64 = 2.0;
/// RSS the server may grow by while a 1 GB body streams through.
const RSS_TARGET_MB: f64 = 64.0;
/// The streamed body.
const STREAM_BYTES: u64 = 1 << 30;

const PROVIDER: &str = "000.00.03.H51";
const CONSUMER: &str = "000.00.00.H51";

fn fail(what: impl std::fmt::Display) -> AppError {
    AppError::Failed(what.to_string())
}

/// The provider: 1 KB answers, and a sink that counts what it is sent.
pub(crate) async fn upstream() -> Result<String, AppError> {
    let kb: &'static str = Box::leak("x".repeat(1024).into_boxed_str());
    let app = axum::Router::new().route("/v1/echo", get(move || async move { kb })).route(
        "/v1/sink",
        post(|body: axum::body::Body| async move {
            use futures_util::StreamExt;
            let mut n = 0u64;
            let mut s = body.into_data_stream();
            while let Some(Ok(chunk)) = s.next().await {
                n += chunk.len() as u64;
            }
            axum::Json(json!({ "bytes": n }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(fail)?;
    let addr = listener.local_addr().map_err(fail)?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}

/// nginx proxying to the upstream with keep-alive, as a province would deploy it.
async fn nginx(dir: &Path, upstream: &str) -> Result<(Child, String), AppError> {
    let port = crate::bench::free_port()?;
    let d = dir.display();
    let target = upstream.trim_start_matches("http://");
    let conf = format!(
        "worker_processes 2;\nerror_log {d}/nginx-error.log error;\npid {d}/nginx.pid;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/nginx-body;\n proxy_temp_path {d}/nginx-proxy;\n\
         fastcgi_temp_path {d}/nginx-fcgi;\n uwsgi_temp_path {d}/nginx-uwsgi;\n scgi_temp_path {d}/nginx-scgi;\n\
         upstream up {{ server {target}; keepalive 128; }}\n\
         server {{ listen 127.0.0.1:{port};\n  location / {{ proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection \"\"; }} }}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).map_err(fail)?;
    let exe = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .ok_or_else(|| {
            fail("nginx is not installed (Debian package nginx-light); it is the baseline")
        })?;
    let child = Command::new(exe)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .arg("-g")
        .arg("daemon off;")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(fail)?;
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{base}/v1/echo")).await.is_ok_and(|r| r.status().is_success()) {
            return Ok((child, base));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(fail("nginx did not start"))
}

/// `concurrency` clients for `seconds`: calls per second, p50 and p99 in ms, failures.
async fn measure(
    seconds: u64,
    concurrency: usize,
    url: String,
    bearer: Option<String>,
) -> (f64, f64, f64, u64) {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let times = Arc::new(Mutex::new(Vec::<f64>::new()));
    let end = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (ok, failed, times, url, bearer) =
            (ok.clone(), failed.clone(), times.clone(), url.clone(), bearer.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut mine = Vec::new();
            while Instant::now() < end {
                let t = Instant::now();
                let mut req = http.get(&url);
                if let Some(b) = &bearer {
                    req = req.bearer_auth(b);
                }
                let answered = match req.send().await {
                    Ok(r) if r.status().is_success() => {
                        r.bytes().await.is_ok_and(|b| b.len() == 1024)
                    }
                    _ => false,
                };
                if answered {
                    mine.push(t.elapsed().as_secs_f64() * 1000.0);
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            times.lock().unwrap_or_else(|p| p.into_inner()).extend(mine);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let rate = ok.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    let mut all = times.lock().unwrap_or_else(|p| p.into_inner()).clone();
    all.sort_by(f64::total_cmp);
    let q = |p: f64| {
        all.get(((all.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or(0.0)
    };
    (rate, q(0.5), q(0.99), failed.load(Ordering::Relaxed))
}

/// Sends JSON as the administrator; the answer, which must be a success.
async fn admin(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    path: &str,
    body: Value,
) -> Result<Value, AppError> {
    let res = http
        .post(format!("{base}{path}"))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .map_err(fail)?;
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(fail(format!("{path}: {status} {v}")));
    }
    Ok(v)
}

/// Registers the provider's service and the consumer system, grants both operations and
/// returns the consumer's token and the administrator's session.
pub(crate) async fn registry(
    http: &reqwest::Client,
    base: &str,
    upstream: &str,
) -> Result<(String, String), AppError> {
    let cookie = admin_session(http, base).await?;
    let client = admin(
        http,
        base,
        &cookie,
        "/api/v1/identity/clients",
        json!({ "name": "Hệ thống một cửa (đo tải)", "grants": ["client_credentials"], "scopes": ["lgsp"] }),
    )
    .await?;
    let id = client["client"]["client_id"].as_str().ok_or_else(|| fail("client id"))?.to_string();
    let secret = client["client_secret"].as_str().ok_or_else(|| fail("client secret"))?.to_string();
    for code in [PROVIDER, CONSUMER] {
        admin(http, base, &cookie, "/api/v1/lgsp/members", json!({ "code": code })).await?;
    }
    admin(
        http,
        base,
        &cookie,
        &format!("/api/v1/lgsp/members/{PROVIDER}/subsystems"),
        json!({ "code": "ho-tich", "name": "Hộ tịch" }),
    )
    .await?;
    admin(
        http,
        base,
        &cookie,
        &format!("/api/v1/lgsp/members/{CONSUMER}/subsystems"),
        json!({ "code": "mot-cua", "name": "Một cửa", "client_id": id }),
    )
    .await?;
    let doc = json!({
        "openapi": "3.1.0", "info": { "title": "Đo tải", "version": "1" },
        "paths": { "/echo": { "get": { "operationId": "echo" } }, "/sink": { "post": { "operationId": "sink" } } }
    });
    let service = admin(
        http,
        base,
        &cookie,
        "/api/v1/lgsp/services",
        json!({
            "member_code": PROVIDER, "subsystem_code": "ho-tich", "code": "do-tai", "status": "published",
            "base_url": format!("{upstream}/v1"), "owner": "Đo tải", "openapi": doc.to_string(),
            "calls_per_minute": 1_000_000, "max_body_bytes": 2 * STREAM_BYTES, "timeout_ms": 600_000,
        }),
    )
    .await?;
    let service_id = service["id"].as_str().ok_or_else(|| fail("service id"))?;
    let asked = admin(
        http,
        base,
        &cookie,
        "/api/v1/lgsp/grants",
        json!({
            "consumer_member": CONSUMER, "consumer_subsystem": "mot-cua", "service_id": service_id,
            "operations": ["echo", "sink"], "purpose": "Đo tải cổng LGSP", "valid_until": "31/12/2099",
        }),
    )
    .await;
    // The period is at most two years ahead; ask again within it when the far date is refused.
    let asked = match asked {
        Ok(v) => v,
        Err(_) => {
            let until =
                (chrono::Utc::now() + chrono::Duration::days(300)).format("%d/%m/%Y").to_string();
            admin(http, base, &cookie, "/api/v1/lgsp/grants", json!({
                "consumer_member": CONSUMER, "consumer_subsystem": "mot-cua", "service_id": service_id,
                "operations": ["echo", "sink"], "purpose": "Đo tải cổng LGSP", "valid_until": until,
            }))
            .await?
        }
    };
    for g in asked["grants"].as_array().into_iter().flatten() {
        let gid = g["id"].as_str().ok_or_else(|| fail("grant id"))?;
        admin(
            http,
            base,
            &cookie,
            &format!("/api/v1/lgsp/grants/{gid}/decision"),
            json!({ "status": "approved" }),
        )
        .await?;
    }
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .map_err(fail)?
        .json()
        .await
        .map_err(fail)?;
    let bearer = token["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| fail(format!("token: {token}")))?;
    Ok((bearer, cookie))
}

/// The resident set of a process, MB.
fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse::<f64>().ok()))
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Streams 1 GB through the gateway while watching the server's RSS: bytes the provider
/// counted, seconds, RSS before and at its highest.
async fn stream_gigabyte(
    url: String,
    bearer: &str,
    pid: u32,
) -> Result<(u64, f64, f64, f64), AppError> {
    let before = rss_mb(pid);
    let peak = Arc::new(Mutex::new(before));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                let now = rss_mb(pid);
                {
                    let mut p = peak.lock().unwrap_or_else(|e| e.into_inner());
                    *p = p.max(now);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let chunk = axum::body::Bytes::from(vec![b'z'; 64 * 1024]);
    let chunks = (STREAM_BYTES / chunk.len() as u64) as usize;
    let body = futures_util::stream::iter(
        (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    );
    let t = Instant::now();
    let res = reqwest::Client::new()
        .post(url)
        .bearer_auth(bearer)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .map_err(fail)?;
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    let secs = t.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let _ = watcher.await;
    if !status.is_success() {
        return Err(fail(format!("the streamed body was refused: {status} {v}")));
    }
    let peak = *peak.lock().unwrap_or_else(|e| e.into_inner());
    Ok((v["bytes"].as_u64().unwrap_or(0), secs, before, peak))
}

/// Runs the benchmark and prints one JSON line; exits 2 under a target or on failed calls.
pub async fn gateway(
    seconds: u64,
    concurrency: usize,
    database_url: Option<String>,
) -> Result<ExitCode, AppError> {
    let up = upstream().await?;
    let (mut child, base, dir) = serve_demo("gateway", database_url.as_deref()).await?;
    let pid = child.id().unwrap_or(0);
    let http = crate::bench::no_redirects()?;
    let (bearer, _) = registry(&http, &base, &up).await?;
    let (mut nginx, proxied) = nginx(&dir, &up).await?;
    let through = format!("{base}/lgsp/{PROVIDER}/do-tai/echo");
    // Warm both paths (connections, caches), then measure each in turn.
    measure(1, concurrency, format!("{proxied}/v1/echo"), None).await;
    measure(1, concurrency, through.clone(), Some(bearer.clone())).await;
    let direct = measure(seconds.min(5), concurrency, format!("{up}/v1/echo"), None).await;
    let nginx_run = measure(seconds, concurrency, format!("{proxied}/v1/echo"), None).await;
    let gateway_run = measure(seconds, concurrency, through.clone(), Some(bearer.clone())).await;
    // What a call's latency grows by through the gateway, one client at a time (no queueing).
    let direct_one = measure(3, 1, format!("{up}/v1/echo"), None).await;
    let gateway_one = measure(3, 1, through.clone(), Some(bearer.clone())).await;
    let added_p99 = gateway_one.2 - direct_one.2;
    let (streamed, stream_secs, rss_before, rss_peak) =
        stream_gigabyte(format!("{base}/lgsp/{PROVIDER}/do-tai/sink"), &bearer, pid).await?;
    let _ = nginx.kill().await;
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    let ratio = gateway_run.0 / nginx_run.0.max(1.0);
    let growth = rss_peak - rss_before;
    let pass = ratio >= RATIO_TARGET
        && added_p99 <= ADDED_P99_TARGET_MS
        && streamed == STREAM_BYTES
        && growth < RSS_TARGET_MB
        && gateway_run.3 == 0
        && nginx_run.3 == 0;
    let run = |r: (f64, f64, f64, u64)| json!({ "per_second": r.0.round(), "p50_ms": r.1, "p99_ms": r.2, "failed": r.3 });
    println!(
        "{}",
        json!({
            "benchmark": "lgsp_gateway",
            "backend": if database_url.is_some() { "postgres" } else { "sqlite" },
            "concurrency": concurrency,
            "seconds": seconds,
            "body_bytes": 1024,
            "gateway": run(gateway_run),
            "baseline_nginx": run(nginx_run),
            "baseline_direct": run(direct),
            "ratio_to_nginx": (ratio * 100.0).round() / 100.0,
            "target_ratio": RATIO_TARGET,
            "one_client": { "gateway_p99_ms": gateway_one.2, "direct_p99_ms": direct_one.2, "added_p99_ms": added_p99 },
            "target_added_p99_ms": ADDED_P99_TARGET_MS,
            "stream": { "bytes": streamed, "seconds": stream_secs, "mb_per_second": (STREAM_BYTES as f64 / 1048576.0 / stream_secs).round(), "rss_before_mb": rss_before, "rss_peak_mb": rss_peak, "rss_growth_mb": growth },
            "target_rss_growth_mb": RSS_TARGET_MB,
            "pass": pass,
        })
    );
    // 2: measured, below a target (CI reports it while issue 16 is open); errors exit 1.
    Ok(if pass { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
