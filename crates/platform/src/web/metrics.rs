//! Request metrics through the `metrics` facade, exposed by its Prometheus exporter.
//!
//! The recorder is lock-free per request (atomics keyed by labels), unlike the former
//! mutex-guarded map. One recorder serves the process; other modules may record their own
//! metrics with the `metrics` macros and they appear on `/metrics` too.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];
const REQUESTS: &str = "cqdt_http_requests_total";
const DURATION: &str = "cqdt_http_request_duration_seconds";

/// The Prometheus view of the process's metrics.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
    /// The bearer token a scraper must present; without one, only the machine itself
    /// (a loopback client) may read the metrics.
    token: Option<String>,
}

fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(DURATION.into()), &BUCKETS)
        .expect("fixed, non-empty buckets")
        .build_recorder()
}

impl Default for Metrics {
    /// The process-wide recorder, installed on first use (several app instances in one test
    /// process share it).
    fn default() -> Self {
        static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
        let handle = HANDLE.get_or_init(|| {
            let recorder = recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_ok() {
                metrics::describe_counter!(REQUESTS, "HTTP requests by method, route and status.");
                metrics::describe_histogram!(
                    DURATION,
                    metrics::Unit::Seconds,
                    "HTTP request latency by route."
                );
                // Histograms keep raw samples until drained; drain them now and then so an
                // unscraped instance does not grow.
                let upkeep = handle.clone();
                std::thread::Builder::new()
                    .name("metrics-upkeep".into())
                    .spawn(move || loop {
                        std::thread::sleep(Duration::from_secs(5));
                        upkeep.run_upkeep();
                    })
                    .ok();
            }
            handle
        });
        Metrics { handle: handle.clone(), token: None }
    }
}

impl Metrics {
    /// The Prometheus text exposition of every recorded metric.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Requires this bearer token of whoever reads the metrics (`None`: loopback only).
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token.filter(|t| !t.is_empty());
        self
    }

    /// Whether a scrape may read the metrics: with the configured bearer token, or, when
    /// none is configured, from the machine itself. Route names and job counts say what the
    /// platform is doing; they are not for anyone on the internet.
    pub fn may_read(&self, authorization: Option<&str>, client: Option<std::net::IpAddr>) -> bool {
        match &self.token {
            Some(token) => authorization
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .is_some_and(|(_, t)| {
                    use sha2::Digest;
                    // Equal-length digests compared whole: no timing hint of the token.
                    sha2::Sha256::digest(t.trim().as_bytes())
                        == sha2::Sha256::digest(token.as_bytes())
                }),
            None => client.is_some_and(|ip| ip.is_loopback()),
        }
    }
}

fn observe(method: &str, route: &str, status: u16, seconds: f64) {
    metrics::counter!(REQUESTS, "method" => method.to_string(), "route" => route.to_string(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(DURATION, "route" => route.to_string()).record(seconds);
}

/// Records each request's route, status and latency.
pub async fn track_metrics(
    State(_metrics): State<Arc<Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    observe(&method, &route, res.status().as_u16(), start.elapsed().as_secs_f64());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_need_the_token_or_a_loopback_client() {
        let local = Some("127.0.0.1".parse().expect("ip"));
        let remote = Some("203.0.113.9".parse().expect("ip"));
        let open = Metrics::default();
        assert!(open.may_read(None, local));
        assert!(!open.may_read(None, remote));
        let guarded = Metrics::default().with_token(Some("s3cret".into()));
        assert!(guarded.may_read(Some("Bearer s3cret"), remote));
        assert!(!guarded.may_read(Some("Bearer wrong"), remote));
        assert!(!guarded.may_read(None, local));
    }

    #[test]
    fn metrics_are_exposed_in_prometheus_text_format() {
        let recorder = recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            observe("GET", "/healthz", 200, 0.002);
        });
        let text = handle.render();
        assert!(
            text.contains(
                "cqdt_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains(
            "cqdt_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0025\"} 1"
        ));
        assert!(text.contains(
            "cqdt_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.001\"} 0"
        ));
    }
}
