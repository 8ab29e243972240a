//! `cqdt bench pages`: the portal's busiest pages served by a real `cqdt serve` with the demo
//! province, against `/healthz` on the same server in the same run (issue 15: the procedure
//! page and the search page ≥ 3,000 pages/s on SQLite at 64 clients).

use std::process::ExitCode;

use serde_json::json;

use crate::app::AppError;
use crate::bench::{load, serve_demo};

/// Pages per second each page must reach.
const TARGET: f64 = 3000.0;

/// The pages measured: a name and a path.
const PAGES: [(&str, &str); 2] = [
    ("procedure_page", "/thu-tuc/1.001193.000.00.00.H51"),
    ("search_page", "/thu-tuc?q=giay+phep+xay+dung"),
];

/// Runs the benchmark and prints one JSON line; fails when a page is under the target or a
/// request failed.
pub async fn pages(
    seconds: u64,
    concurrency: usize,
    database_url: Option<String>,
) -> Result<ExitCode, AppError> {
    let (mut child, base, dir) = serve_demo("pages", database_url.as_deref()).await?;
    let health = format!("{base}/healthz");
    let (baseline, _, _) = load(seconds.min(5), concurrency, move |c| c.get(&health)).await;
    let mut results = serde_json::Map::new();
    let mut pass = true;
    for (name, path) in PAGES {
        let url = format!("{base}{path}");
        // The page must be what a person sees, not an error page served fast.
        let probe = reqwest::get(&url).await.map_err(|e| AppError::Failed(format!("{e}")))?;
        if !probe.status().is_success() {
            return Err(AppError::Failed(format!("{path} answered {}", probe.status())));
        }
        let (rate, served, failed) = load(seconds, concurrency, move |c| c.get(&url)).await;
        pass &= rate >= TARGET && failed == 0;
        results.insert(
            name.into(),
            json!({"path": path, "pages_per_second": rate, "served": served, "failed": failed}),
        );
    }
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    let backend = if database_url.is_some() { "postgres" } else { "sqlite" };
    println!(
        "{}",
        json!({
            "benchmark": "portal_pages",
            "backend": backend,
            "concurrency": concurrency,
            "seconds": seconds,
            "pages": results,
            "baseline_healthz_per_second": baseline,
            "target_per_second": TARGET,
            "pass": pass,
        })
    );
    Ok(if pass { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
