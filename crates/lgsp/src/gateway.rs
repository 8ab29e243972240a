//! The gateway: a consumer system's call `/lgsp/{member}/{service}/{path…}` is checked
//! (token, grant for the operation, rate, size) and passed to the provider with both bodies
//! streamed, never buffered or spooled; each call leaves an operational-monitoring record.
//!
//! Only idempotent calls without a body are tried again (once, when the provider could not be
//! reached); a provider that keeps failing has its circuit opened for a while, so consumers
//! get a quick 503 instead of waiting out timeouts.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, Response};
use cqdt_platform::clock::format_ts;
use cqdt_platform::TlsTrust;
use futures_util::StreamExt;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::mpsc;

use crate::model::openapi::find_operation;
use crate::model::{Call, LgspError, Refusal, Service, ServiceStatus, Side, Subsystem};
use crate::service::Registry;
use crate::snapshot::{Cached, Snapshot};

mod federation;
mod streams;

use crate::store;
use streams::{Counted, Done, Limited, Tap};

/// Headers that belong to one connection (RFC 9110 §7.6.1) or that the gateway owns: never
/// passed through. The consumer's credentials stay with the gateway.
const DROPPED: [&str; 13] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "authorization",
    "cookie",
    "set-cookie",
    "x-request-id",
];

/// How the gateway protects providers and itself.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Failures in a row that open a provider's circuit.
    pub breaker_failures: u32,
    /// How long an open circuit refuses calls before one is let through to probe.
    pub breaker_cooldown: Duration,
    /// Wait before the one retry of an idempotent call.
    pub retry_delay: Duration,
    /// Monitoring records waiting to be written before new ones are dropped (and counted).
    pub record_queue: usize,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(30),
            retry_delay: Duration::from_millis(100),
            record_queue: 50_000,
        }
    }
}

/// A service's rate limiter, keyed by consumer, with the calls a minute it was built for.
type Limiter = (i64, Arc<DefaultKeyedRateLimiter<String>>);

/// An exchange waiting to be written: the monitoring record, the service's id when one was
/// found, and what the message log adds (the path with the query, the bodies' digests when
/// they passed).
pub(crate) struct Record {
    pub(crate) call: Call,
    pub(crate) service_id: Option<String>,
    pub(crate) path: String,
    pub(crate) digests: Option<(String, String)>,
    /// The bodies the service keeps.
    pub(crate) bodies: Vec<crate::bodies::Kept>,
}

impl Record {
    fn entry(&self) -> crate::log::Entry {
        let c = &self.call;
        crate::log::Entry {
            at: c.at.clone(),
            request_id: c.request_id.clone(),
            consumer: c.consumer.clone(),
            service: c.service.clone(),
            operation_id: c.operation_id.clone(),
            method: c.method.clone(),
            path: self.path.clone(),
            status: c.status,
            failed_side: c.failed_side.clone(),
            request_bytes: c.request_bytes,
            response_bytes: c.response_bytes,
            request_digest: self.digests.as_ref().map(|d| d.0.clone()),
            response_digest: self.digests.as_ref().map(|d| d.1.clone()),
        }
    }
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
}

/// The gateway: routes, limits and records calls.
#[derive(Clone)]
pub struct Gateway {
    registry: Registry,
    http: reqwest::Client,
    config: GatewayConfig,
    breakers: Arc<Mutex<HashMap<String, Breaker>>>,
    limiters: Arc<Mutex<HashMap<String, Limiter>>>,
    records: mpsc::Sender<Record>,
    snapshot: Cached,
    receiver: Arc<Mutex<Option<mpsc::Receiver<Record>>>>,
    peers: Arc<federation::PeerLinks>,
}

/// A call the gateway is about to pass on.
pub struct Inbound {
    /// The consumer's OAuth client (a system's client-credentials token).
    pub client_id: String,
    /// The request id (also sent to the provider).
    pub request_id: String,
    /// Method.
    pub method: Method,
    /// The provider member, service code and the path after them (`/…`, raw).
    pub member: String,
    /// Service code.
    pub service: String,
    /// Path relative to the service's base URL, starting with `/`, percent-encoded as sent.
    pub path: String,
    /// The query, as sent.
    pub query: Option<String>,
    /// Headers as sent.
    pub headers: HeaderMap,
    /// The body, streamed.
    pub body: Body,
}

impl Gateway {
    /// A gateway over the registry, trusting providers' TLS certificates as `tls` says.
    pub fn new(
        registry: Registry,
        tls: &TlsTrust,
        config: GatewayConfig,
    ) -> Result<Self, LgspError> {
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls.client_config())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| {
                LgspError::Db(cqdt_platform::DbError::Config(format!("HTTP client: {e}")))
            })?;
        let (records, rx) = mpsc::channel(config.record_queue.max(1));
        Ok(Gateway {
            registry,
            http,
            config,
            breakers: Arc::default(),
            limiters: Arc::default(),
            records,
            snapshot: Cached::default(),
            receiver: Arc::new(Mutex::new(Some(rx))),
            peers: Arc::default(),
        })
    }

    /// Passes a call on; the answer streams back. Refusals carry the side that failed.
    pub async fn call(&self, inbound: Inbound) -> Response<Body> {
        let started = Instant::now();
        let mut call = Call {
            request_id: inbound.request_id.clone(),
            at: format_ts(self.registry.clock().now()),
            consumer: format!("client:{}", inbound.client_id),
            service: format!("{}/{}", inbound.member, inbound.service),
            operation_id: None,
            method: inbound.method.to_string(),
            status: 0,
            failed_side: None,
            request_bytes: 0,
            response_bytes: 0,
            duration_us: 0,
            provider_us: None,
        };
        let mut service_id = None;
        let path = match &inbound.query {
            Some(q) => format!("{}?{q}", inbound.path),
            None => inbound.path.clone(),
        };
        match self.pass(inbound, &mut call, &mut service_id, started, &path).await {
            Ok(res) => res,
            Err(e) => {
                let res = crate::http::gateway_error(e);
                call.status = i64::from(res.status().as_u16());
                call.duration_us = micros(started.elapsed());
                self.record(Record { call, service_id, path, digests: None, bodies: Vec::new() });
                res
            }
        }
    }

    async fn pass(
        &self,
        inbound: Inbound,
        call: &mut Call,
        service_id: &mut Option<String>,
        started: Instant,
        path: &str,
    ) -> Result<Response<Body>, LgspError> {
        let snapshot = self.snapshot.get(&self.registry).await?;
        let consumer = self.consumer(&snapshot, &inbound.client_id, call)?;
        let Some(routed) = snapshot.service(&inbound.member, &inbound.service) else {
            call.failed_side = Some(Side::Consumer.as_str().into());
            return Err(refuse(
                404,
                Side::Consumer,
                "unknown_service",
                format!("Không có dịch vụ {}/{}.", inbound.member, inbound.service),
            ));
        };
        let service = &routed.service;
        *service_id = Some(service.id.clone());
        if !service.status.takes_calls() {
            call.failed_side = Some(Side::Consumer.as_str().into());
            let (status, what) = match service.status {
                ServiceStatus::Retired => (410, "đã ngừng cung cấp"),
                _ => (404, "chưa được công bố"),
            };
            return Err(Refusal::new(
                status,
                Side::Consumer,
                "service_unavailable",
                format!("Dịch vụ “{}” {what}.", service.name),
            )
            .into());
        }
        let Some(op) = find_operation(&routed.operations, inbound.method.as_str(), &inbound.path)
        else {
            call.failed_side = Some(Side::Consumer.as_str().into());
            return Err(Refusal::new(
                404,
                Side::Consumer,
                "unknown_operation",
                format!(
                    "Dịch vụ “{}” không có thao tác {} {} trong tài liệu OpenAPI đã đăng ký.",
                    service.name, inbound.method, inbound.path
                ),
            )
            .into());
        };
        let operation_id = op.operation.operation_id.clone();
        call.operation_id = Some(operation_id.clone());
        // A peer platform's call: its signed assertion names the consumer there and the
        // request id both logs keep.
        let mut request_id = inbound.request_id.clone();
        let mut origin = None;
        let peer_in =
            if snapshot.peers_call_in() { snapshot.peer_calling_as(&consumer.key()) } else { None };
        if let Some(peer) = peer_in {
            let (sub, jti) = self
                .check_peer_assertion(&peer, &inbound.headers, service, &inbound.method)
                .await
                .inspect_err(|_| call.failed_side = Some(Side::Consumer.as_str().into()))?;
            call.request_id = jti.clone();
            request_id = jti;
            origin = Some(sub);
        }
        if !snapshot.allows(&consumer, &service.id, &operation_id, &self.registry.today()) {
            call.failed_side = Some(Side::Consumer.as_str().into());
            return Err(Refusal::new(
                403,
                Side::Consumer,
                "no_grant",
                format!(
                    "Hệ thống {} chưa được cấp quyền (hoặc quyền đã hết hạn, bị thu hồi) với thao tác “{operation_id}” của dịch vụ “{}”.",
                    consumer.key(),
                    service.name
                ),
            )
            .into());
        }
        self.check_rate(service, &consumer).inspect_err(|_| {
            call.failed_side = Some(Side::Consumer.as_str().into());
        })?;
        let declared = inbound
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let limit = u64::try_from(service.max_body_bytes).unwrap_or(0);
        if declared.is_some_and(|n| n > limit) {
            call.failed_side = Some(Side::Consumer.as_str().into());
            return Err(too_large(limit).into());
        }
        self.breaker_admits(service)?;
        let bodiless = declared == Some(0)
            || (declared.is_none() && !inbound.headers.contains_key(header::TRANSFER_ENCODING));
        let retryable = bodiless
            && matches!(
                inbound.method,
                Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
            );
        let url = format!(
            "{}{}{}",
            service.base_url,
            if inbound.path == "/" { "" } else { inbound.path.as_str() },
            inbound.query.as_deref().map(|q| format!("?{q}")).unwrap_or_default()
        );
        let mut headers =
            provider_headers(&inbound.headers, &request_id, &consumer, service, &operation_id);
        if let Some(o) = origin.as_deref().and_then(|o| HeaderValue::from_str(o).ok()) {
            headers.insert(HeaderName::from_static("x-lgsp-origin"), o);
        }
        let peer = match service.peer_code.as_deref() {
            Some(code) => Some(snapshot.peer(code).ok_or_else(|| {
                gateway_fault(format!("service {} names unknown peer {code}", service.id))
            })?),
            None => None,
        };
        if let Some(peer) = &peer {
            let token = self.peer_token(peer).await.inspect_err(|_| {
                call.failed_side = Some(Side::Provider.as_str().into());
            })?;
            let bearer =
                HeaderValue::from_str(&format!("Bearer {token}")).map_err(gateway_fault)?;
            headers.insert(header::AUTHORIZATION, bearer);
        }
        let assertion = self
            .assertion(
                &inbound.method,
                &url,
                &request_id,
                &consumer,
                origin.as_deref(),
                (service, &operation_id),
            )
            .await;
        match assertion.map(|a| HeaderValue::from_str(&a)) {
            Ok(Ok(v)) => {
                headers.insert(HeaderName::from_static("x-lgsp-assertion"), v);
            }
            Ok(Err(e)) => return Err(gateway_fault(e)),
            Err(e) => return Err(gateway_fault(e)),
        }
        let sent = Arc::new(AtomicU64::new(0));
        let over = Arc::new(AtomicBool::new(false));
        let keep = usize::try_from(service.keep_bodies_bytes).unwrap_or(0);
        let request_tap = Arc::new(Mutex::new(Tap::new(keep)));
        let content_type = |h: &HeaderMap| {
            h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string)
        };
        let request_type = content_type(&inbound.headers);
        let body = if bodiless {
            reqwest::Body::from(Bytes::new())
        } else {
            reqwest::Body::wrap_stream(Limited::new(
                inbound.body.into_data_stream(),
                sent.clone(),
                over.clone(),
                limit,
                request_tap.clone(),
            ))
        };
        let timeout = Duration::from_millis(u64::try_from(service.timeout_ms).unwrap_or(30_000));
        let provider_started = Instant::now();
        let send = |b: reqwest::RequestBuilder| async move {
            match tokio::time::timeout(timeout, b.send()).await {
                Err(_) => Err(Failure::Timeout),
                Ok(Ok(res)) => Ok(res),
                Ok(Err(e)) if e.is_connect() => {
                    tracing::debug!(error = %e, "provider connection refused");
                    Err(Failure::Connect)
                }
                Ok(Err(e)) => Err(Failure::Broken(e)),
            }
        };
        let first =
            self.http.request(inbound.method.clone(), &url).headers(headers.clone()).body(body);
        let mut result = send(first).await;
        if retryable && matches!(result, Err(Failure::Connect)) {
            tracing::info!(url = %service.base_url, "provider unreachable; trying once more");
            tokio::time::sleep(self.config.retry_delay).await;
            result = send(self.http.request(inbound.method.clone(), &url).headers(headers)).await;
        }
        if result.is_err() && over.load(Ordering::Relaxed) {
            call.failed_side = Some(Side::Consumer.as_str().into());
            call.request_bytes = i64::try_from(sent.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
            return Err(too_large(limit).into());
        }
        let result = result.map_err(|f| match f {
            Failure::Timeout => (
                "provider_timeout",
                504,
                format!("Hệ thống cung cấp không trả lời trong {} ms.", service.timeout_ms),
            ),
            Failure::Connect => {
                ("provider_unreachable", 502, "Hệ thống cung cấp không kết nối được.".to_string())
            }
            Failure::Broken(e) => {
                tracing::info!(error = %e, "provider call broken");
                (
                    "provider_unreachable",
                    502,
                    "Hệ thống cung cấp ngắt kết nối giữa chừng.".to_string(),
                )
            }
        });
        call.provider_us = Some(micros(provider_started.elapsed()));
        call.request_bytes = i64::try_from(sent.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        let upstream = match result {
            Ok(r) => r,
            Err((code, status, detail)) => {
                self.breaker_result(service, false);
                call.failed_side = Some(Side::Provider.as_str().into());
                return Err(Refusal::new(status, Side::Provider, code, detail).into());
            }
        };
        let status = upstream.status();
        if let (Some(peer), 401) = (&peer, status.as_u16()) {
            self.forget_peer_token(&peer.code);
        }
        self.breaker_result(service, !status.is_server_error());
        if status.is_server_error() {
            call.failed_side = Some(Side::Provider.as_str().into());
        }
        let mut res = Response::builder().status(status.as_u16());
        if let Some(h) = res.headers_mut() {
            copy_headers(upstream.headers(), h);
            if service.status == ServiceStatus::Deprecated {
                h.insert("deprecation", HeaderValue::from_static("true"));
            }
        }
        call.status = i64::from(status.as_u16());
        let response_type = content_type(upstream.headers());
        let counted = Counted::new(
            upstream.bytes_stream().boxed(),
            Done {
                gateway: self.clone(),
                call: call.clone(),
                service_id: service_id.clone(),
                started,
                path: path.to_string(),
                request_tap,
                content_types: (request_type, response_type),
                keep,
            },
        );
        res.body(Body::from_stream(counted)).map_err(|e| {
            Refusal::new(
                502,
                Side::Provider,
                "provider_bad_answer",
                format!("Câu trả lời của hệ thống cung cấp không hợp lệ: {e}"),
            )
            .into()
        })
    }

    /// The platform's signed statement of who calls what, for the provider to check.
    async fn assertion(
        &self,
        method: &Method,
        url: &str,
        request_id: &str,
        consumer: &Subsystem,
        origin: Option<&str>,
        (service, operation_id): (&Service, &str),
    ) -> Result<String, String> {
        let mut claims = serde_json::Map::new();
        claims.insert("op".into(), operation_id.into());
        if let Some(o) = origin {
            // The consumer in the peer platform the call came from.
            claims.insert("origin".into(), o.into());
        }
        // The method and the target without its query, named as DPoP names them (RFC 9449).
        claims.insert("htm".into(), method.as_str().into());
        claims.insert("htu".into(), url.split('?').next().unwrap_or(url).into());
        let aud = format!("lgsp:{}/{}", service.member_code, service.code);
        self.registry.directory().assert_call(&consumer.key(), &aud, request_id, claims).await
    }

    fn consumer(
        &self,
        snapshot: &Snapshot,
        client_id: &str,
        call: &mut Call,
    ) -> Result<Subsystem, LgspError> {
        match snapshot.consumer(client_id) {
            Some(s) => {
                call.consumer = s.key();
                Ok(s.clone())
            }
            None => {
                call.failed_side = Some(Side::Consumer.as_str().into());
                Err(Refusal::new(
                    403,
                    Side::Consumer,
                    "not_a_member_system",
                    format!("Ứng dụng “{client_id}” chưa được đăng ký là hệ thống của thành viên nào trên trục LGSP."),
                )
                .into())
            }
        }
    }

    fn check_rate(&self, service: &Service, consumer: &Subsystem) -> Result<(), LgspError> {
        let per_minute =
            NonZeroU32::new(u32::try_from(service.calls_per_minute).unwrap_or(u32::MAX))
                .unwrap_or(NonZeroU32::MIN);
        let limiter = {
            let mut map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
            let entry = map.entry(service.id.clone()).or_insert_with(|| {
                (
                    service.calls_per_minute,
                    Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
                )
            });
            if entry.0 != service.calls_per_minute {
                *entry = (
                    service.calls_per_minute,
                    Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
                );
            }
            entry.1.clone()
        };
        match limiter.check_key(&consumer.key()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(
                    &governor::clock::DefaultClock::default(),
                ));
                Err(Refusal::new(
                    429,
                    Side::Consumer,
                    "rate_limited",
                    format!(
                        "Hệ thống {} đã gọi quá {} lượt mỗi phút với dịch vụ “{}”.",
                        consumer.key(),
                        service.calls_per_minute,
                        service.name
                    ),
                )
                .retry_after(wait.as_secs().max(1))
                .into())
            }
        }
    }

    fn breaker_admits(&self, service: &Service) -> Result<(), LgspError> {
        let mut map = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        let b = map.entry(service.id.clone()).or_default();
        match b.open_until {
            Some(until) if Instant::now() < until || b.probing => {
                let wait = until.saturating_duration_since(Instant::now()).as_secs().max(1);
                Err(Refusal::new(
                    503,
                    Side::Provider,
                    "provider_circuit_open",
                    format!("Hệ thống cung cấp dịch vụ “{}” đang lỗi liên tiếp; trục LGSP tạm ngừng chuyển yêu cầu.", service.name),
                )
                .retry_after(wait)
                .into())
            }
            Some(_) => {
                // Half open: this call probes; the others wait for its result.
                b.probing = true;
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn breaker_result(&self, service: &Service, ok: bool) {
        let mut map = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        let b = map.entry(service.id.clone()).or_default();
        b.probing = false;
        if ok {
            *b = Breaker::default();
        } else {
            b.failures += 1;
            if b.failures >= self.config.breaker_failures {
                if b.open_until.is_none() {
                    tracing::warn!(service = %service.code, member = %service.member_code, "provider circuit opened");
                }
                b.open_until = Some(Instant::now() + self.config.breaker_cooldown);
            }
        }
    }

    pub(crate) fn record(&self, record: Record) {
        crate::monitor::count(&record.call);
        if self.records.try_send(record).is_err() {
            metrics::counter!("lgsp_call_records_dropped_total").increment(1);
        }
    }

    /// The registry as calls read it (in memory, at most two seconds old; at once after a
    /// change on this node).
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, LgspError> {
        self.snapshot.get(&self.registry).await
    }

    /// Writes monitoring records in batches until `shutdown`; spawn once.
    pub fn spawn_recorder(
        &self,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let rx = self.receiver.lock().unwrap_or_else(|p| p.into_inner()).take();
        let db = self.registry.db().clone();
        let kek = self.registry.kek().clone();
        tokio::spawn(async move {
            let Some(mut rx) = rx else { return };
            loop {
                let first = tokio::select! {
                    r = rx.recv() => r,
                    _ = shutdown.changed() => None,
                };
                let Some(first) = first else { break };
                let mut batch = vec![first];
                while batch.len() < 1000 {
                    match rx.try_recv() {
                        Ok(c) => batch.push(c),
                        Err(_) => break,
                    }
                }
                let written = async {
                    let entries: Vec<crate::log::Entry> = batch.iter().map(Record::entry).collect();
                    let mut tx = db.begin().await?;
                    let first = crate::log::append(&mut tx, db.backend(), &entries).await?;
                    let bodies: Vec<(i64, &str, &crate::bodies::Kept)> = (first..)
                        .zip(&batch)
                        .flat_map(|(seq, r)| {
                            r.bodies.iter().map(move |k| (seq, r.call.service.as_str(), k))
                        })
                        .collect();
                    if !bodies.is_empty() {
                        crate::bodies::write(&mut tx, &kek, &bodies).await?;
                    }
                    let calls: Vec<(Call, Option<String>)> =
                        batch.into_iter().map(|r| (r.call, r.service_id)).collect();
                    store::insert_calls(&mut tx, &calls).await?;
                    tx.commit().await
                }
                .await;
                if let Err(e) = written {
                    tracing::error!(error = %e, "gateway call records were not written");
                }
            }
        })
    }
}

/// The gateway's own failure: logged, answered as 500 naming the gateway.
fn gateway_fault(e: impl std::fmt::Display) -> LgspError {
    tracing::error!(error = %e, "the gateway could not sign its assertion");
    refuse(
        500,
        Side::Gateway,
        "gateway_assertion_failed",
        "Trục LGSP không ký được xác nhận gửi kèm yêu cầu; yêu cầu chưa được chuyển đi.".into(),
    )
}

fn refuse(status: u16, side: Side, code: &'static str, detail: String) -> LgspError {
    Refusal::new(status, side, code, detail).into()
}

fn too_large(limit: u64) -> Refusal {
    Refusal::new(
        413,
        Side::Consumer,
        "body_too_large",
        format!("Nội dung gửi lớn hơn giới hạn {limit} byte của dịch vụ."),
    )
}

/// Why a call did not reach the provider or its answer did not come.
enum Failure {
    Timeout,
    Connect,
    Broken(reqwest::Error),
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// What the provider gets: the consumer's headers without credentials and hop-by-hop ones,
/// plus who calls, for which operation, under which request id.
fn provider_headers(
    sent: &HeaderMap,
    request_id: &str,
    consumer: &Subsystem,
    service: &Service,
    operation_id: &str,
) -> HeaderMap {
    let mut h = HeaderMap::with_capacity(sent.len() + 4);
    copy_headers(sent, &mut h);
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    set("x-request-id", request_id);
    set("x-lgsp-client", &consumer.key());
    set("x-lgsp-service", &format!("{}/{}", service.member_code, service.code));
    set("x-lgsp-operation", &utf8_header(operation_id));
    h
}

/// Header values are ASCII: an operation id with other characters goes percent-encoded.
fn utf8_header(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    s.bytes()
        .map(|b| {
            if b.is_ascii_graphic() || b == b' ' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    let named: Vec<String> = from
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
        .collect();
    for (k, v) in from {
        let n = k.as_str();
        if DROPPED.contains(&n) || n.starts_with("x-lgsp-") || named.iter().any(|x| x == n) {
            continue;
        }
        to.append(k.clone(), v.clone());
    }
}
