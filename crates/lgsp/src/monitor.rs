//! Operational monitoring: the gateway's traffic per service over the last day (calls, errors
//! by the side that failed, latency percentiles), for the admin page; the same calls are
//! counted for Prometheus as they happen (`lgsp_calls_total`, `lgsp_call_seconds`).

use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, DbError, SharedClock};

use crate::model::{Call, Service, Side};
use crate::store;

pub mod chart;

/// Most calls read for a day's summary (the newest); the page says when it is a sample.
const SAMPLE: i64 = 100_000;

/// One service's traffic.
#[derive(Debug, Clone)]
pub struct ServiceTraffic {
    /// `member/code`.
    pub service: String,
    /// Its name, when it is registered.
    pub name: String,
    /// Calls.
    pub calls: usize,
    /// Refused for the consumer's fault.
    pub consumer_errors: usize,
    /// Failed at the provider.
    pub provider_errors: usize,
    /// Failed in the gateway.
    pub gateway_errors: usize,
    /// Median, 95th and 99th percentile of the whole call, ms (one decimal).
    pub p50: String,
    /// 95th percentile.
    pub p95: String,
    /// 99th percentile.
    pub p99: String,
    /// Share of the bar chart (0–100).
    pub bar: u32,
}

/// The value at quantile `q` of sorted values (nearest rank).
pub fn percentile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn ms(us: Option<i64>) -> String {
    us.map(|u| format!("{:.1}", u as f64 / 1000.0).replace('.', ",")).unwrap_or_default()
}

/// The last day's traffic: per service, per consumer system, per hour.
#[derive(Debug, Clone)]
pub struct Traffic {
    /// Per service, busiest first.
    pub services: Vec<ServiceTraffic>,
    /// Per consumer system (its key in `service`), busiest first.
    pub consumers: Vec<ServiceTraffic>,
    /// The 24 hours, oldest first.
    pub hours: Vec<chart::Hour>,
}

/// Summarises the calls of the last 24 hours (of one service when `service` is not empty);
/// `system_name` names a consumer system by its key.
pub async fn summarise(
    db: &Db,
    clock: &SharedClock,
    services: &[Service],
    service: &str,
    system_name: impl Fn(&str) -> String,
) -> Result<Traffic, DbError> {
    let now = clock.now();
    let since = format_ts(now - chrono::Duration::hours(24));
    let calls = store::calls(db.pool(), &since, service, SAMPLE).await?;
    Ok(Traffic {
        services: by_service(&calls, services),
        consumers: grouped(&calls, |c| &c.consumer, system_name),
        hours: chart::by_hour(&calls, now),
    })
}

/// The summary of calls, per service, busiest first.
pub fn by_service(calls: &[Call], services: &[Service]) -> Vec<ServiceTraffic> {
    grouped(
        calls,
        |c| &c.service,
        |key| {
            services
                .iter()
                .find(|x| format!("{}/{}", x.member_code, x.code) == key)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| "(không có trong danh bạ)".into())
        },
    )
}

/// The summary of calls grouped by `key`, named by `name`, busiest first.
fn grouped(
    calls: &[Call],
    key: impl Fn(&Call) -> &String,
    name: impl Fn(&str) -> String,
) -> Vec<ServiceTraffic> {
    let mut groups: Vec<(String, Vec<&Call>)> = Vec::new();
    for c in calls {
        match groups.iter_mut().find(|(k, _)| k == key(c)) {
            Some((_, v)) => v.push(c),
            None => groups.push((key(c).clone(), vec![c])),
        }
    }
    let busiest = groups.iter().map(|(_, v)| v.len()).max().unwrap_or(1).max(1);
    let mut out: Vec<ServiceTraffic> = groups
        .into_iter()
        .map(|(service, v)| {
            let mut d: Vec<i64> = v.iter().map(|c| c.duration_us).collect();
            d.sort_unstable();
            let side =
                |s: Side| v.iter().filter(|c| c.failed_side.as_deref() == Some(s.as_str())).count();
            ServiceTraffic {
                name: name(&service),
                calls: v.len(),
                consumer_errors: side(Side::Consumer),
                provider_errors: side(Side::Provider),
                gateway_errors: side(Side::Gateway),
                p50: ms(percentile(&d, 0.50)),
                p95: ms(percentile(&d, 0.95)),
                p99: ms(percentile(&d, 0.99)),
                bar: u32::try_from(v.len() * 100 / busiest).unwrap_or(100),
                service,
            }
        })
        .collect();
    out.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.service.cmp(&b.service)));
    out
}

/// Counts a call for Prometheus.
pub fn count(c: &Call) {
    let class = match c.status {
        s if s >= 500 => "5xx",
        s if s >= 400 => "4xx",
        s if s >= 300 => "3xx",
        _ => "2xx",
    };
    let labels = [
        ("service", c.service.clone()),
        ("consumer", c.consumer.clone()),
        ("status", class.to_string()),
        ("failed", c.failed_side.clone().unwrap_or_else(|| "none".into())),
    ];
    metrics::counter!("lgsp_calls_total", &labels).increment(1);
    metrics::histogram!("lgsp_call_seconds", "service" => c.service.clone())
        .record(c.duration_us as f64 / 1e6);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(service: &str, us: i64, side: Option<&str>) -> Call {
        Call {
            request_id: "r".into(),
            at: "2026-12-07T00:00:00Z".into(),
            consumer: "a/b".into(),
            service: service.into(),
            operation_id: None,
            method: "GET".into(),
            status: if side.is_some() { 502 } else { 200 },
            failed_side: side.map(str::to_string),
            request_bytes: 0,
            response_bytes: 0,
            duration_us: us,
            provider_us: None,
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.99), Some(99));
        assert_eq!(percentile(&[7], 0.99), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn traffic_is_grouped_per_service_with_errors_by_side_busiest_first() {
        let calls = [
            call("m/a", 1000, None),
            call("m/b", 2000, Some("provider")),
            call("m/b", 3000, Some("consumer")),
            call("m/b", 4000, None),
        ];
        let t = by_service(&calls, &[]);
        assert_eq!(t[0].service, "m/b");
        assert_eq!((t[0].calls, t[0].provider_errors, t[0].consumer_errors), (3, 1, 1));
        assert_eq!((t[0].p50.as_str(), t[0].p99.as_str(), t[0].bar), ("3,0", "4,0", 100));
        assert_eq!((t[1].calls, t[1].bar), (1, 33));
    }
}
