//! The gateway's traffic hour by hour over the last day, and its charts: inline SVG drawn on
//! the server (no script, nothing fetched), each with a title and a description for screen
//! readers, and the same figures in a table beside it.

use chrono::{DateTime, Duration, DurationRound, Utc};
use cqdt_platform::clock::to_vn;

use super::percentile;
use crate::model::Call;

/// One hour of traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hour {
    /// Its start, in Vietnam's time (`14:00`).
    pub label: String,
    /// Calls.
    pub calls: usize,
    /// Calls that failed, whichever side failed.
    pub errors: usize,
    /// 95th percentile of the whole call, µs (`None` without calls).
    pub p95_us: Option<i64>,
}

impl Hour {
    /// The 95th percentile in ms as people read it (`12,5`), or a dash.
    pub fn p95(&self) -> String {
        self.p95_us
            .map(|u| format!("{:.1}", u as f64 / 1000.0).replace('.', ","))
            .unwrap_or_else(|| "–".into())
    }
}

/// The 24 hours up to `now`, oldest first (the last one still running).
pub fn by_hour(calls: &[Call], now: DateTime<Utc>) -> Vec<Hour> {
    let this_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let first = this_hour - Duration::hours(23);
    let mut buckets: Vec<(usize, usize, Vec<i64>)> = vec![(0, 0, Vec::new()); 24];
    for c in calls {
        let Ok(at) = DateTime::parse_from_rfc3339(&c.at) else { continue };
        let at = at.to_utc();
        if at < first {
            continue;
        }
        let i = usize::try_from((at - first).num_hours()).unwrap_or(usize::MAX);
        if let Some(b) = buckets.get_mut(i) {
            b.0 += 1;
            b.1 += usize::from(c.failed_side.is_some());
            b.2.push(c.duration_us);
        }
    }
    buckets
        .into_iter()
        .enumerate()
        .map(|(i, (calls, errors, mut d))| {
            d.sort_unstable();
            Hour {
                label: to_vn(first + Duration::hours(i as i64)).format("%H:00").to_string(),
                calls,
                errors,
                p95_us: percentile(&d, 0.95),
            }
        })
        .collect()
}

/// The smallest of 1, 2, 5 × 10ⁿ at or above `v` (at least 1): the top of a chart's scale.
fn nice(v: f64) -> f64 {
    let v = v.max(1.0);
    let step = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * step).find(|x| *x >= v).unwrap_or(10.0 * step)
}

const W: f64 = 720.0;
const H: f64 = 200.0;
const LEFT: f64 = 64.0;
const BOTTOM: f64 = 34.0;
const TOP: f64 = 10.0;

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}").replace('.', ",")
    }
}

/// The frame of a chart: its accessible name and description, the scale's grid and labels,
/// the hours along the bottom; the marks go between `open` and `</svg>`.
fn frame(id: &str, title: &str, desc: &str, top: f64, hours: &[Hour]) -> String {
    let mut s = format!(
        "<svg class=\"traffic-chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" \
         preserveAspectRatio=\"xMidYMid meet\"><title id=\"{id}-t\">{title}</title><desc id=\"{id}-d\">{desc}</desc>"
    );
    let plot = H - BOTTOM - TOP;
    for k in 0..=2 {
        let v = top * f64::from(k) / 2.0;
        let y = TOP + plot - plot * f64::from(k) / 2.0;
        s += &format!(
            "<line x1=\"{LEFT}\" x2=\"{W}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#b1b4b6\" stroke-width=\"1\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"20\" fill=\"#0b0c0c\">{}</text>",
            LEFT - 8.0,
            y + 7.0,
            number(v)
        );
    }
    let slot = (W - LEFT) / hours.len().max(1) as f64;
    // Large enough to read on a phone, where the chart is drawn at half its size.
    for (i, h) in hours.iter().enumerate().filter(|(i, _)| i % 6 == 0) {
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"20\" fill=\"#0b0c0c\">{}</text>",
            LEFT + slot * (i as f64 + 0.5),
            H - 8.0,
            h.label
        );
    }
    s
}

/// Calls per hour as bars, the failed part of each in red.
pub fn calls_chart(hours: &[Hour]) -> String {
    let total: usize = hours.iter().map(|h| h.calls).sum();
    let errors: usize = hours.iter().map(|h| h.errors).sum();
    let busiest = hours.iter().map(|h| h.calls).max().unwrap_or(0);
    let top = nice(busiest as f64);
    let desc = format!(
        "{total} lượt gọi trong 24 giờ, {errors} lượt lỗi; giờ nhiều nhất có {busiest} lượt. Số liệu từng giờ ở bảng kèm theo."
    );
    let mut s = frame("luot-goi", "Lượt gọi và lỗi theo giờ", &desc, top, hours);
    let plot = H - BOTTOM - TOP;
    let slot = (W - LEFT) / hours.len().max(1) as f64;
    for (i, h) in hours.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let bar = |n: usize| plot * n as f64 / top;
        let (all, bad) = (bar(h.calls), bar(h.errors));
        s += &format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{all:.1}\" fill=\"#1d70b8\"/>",
            TOP + plot - all,
            slot * 0.7
        );
        if h.errors > 0 {
            s += &format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bad:.1}\" fill=\"#b3261e\"/>",
                TOP + plot - bad,
                slot * 0.7
            );
        }
    }
    s + "</svg>"
}

/// The 95th percentile of the call's duration per hour, as a line (hours without calls
/// leave a gap).
pub fn latency_chart(hours: &[Hour]) -> String {
    let worst = hours.iter().filter_map(|h| h.p95_us).max().unwrap_or(0);
    let top = nice(worst as f64 / 1000.0);
    let desc = format!(
        "Độ trễ 95% theo giờ, cao nhất {} mili giây. Số liệu từng giờ ở bảng kèm theo.",
        number((worst as f64 / 100.0).round() / 10.0)
    );
    let mut s = frame("do-tre", "Độ trễ 95% theo giờ (mili giây)", &desc, top, hours);
    let plot = H - BOTTOM - TOP;
    let slot = (W - LEFT) / hours.len().max(1) as f64;
    let mut run: Vec<String> = Vec::new();
    let mut lines = Vec::new();
    for (i, h) in hours.iter().enumerate() {
        match h.p95_us {
            Some(us) => {
                let y = TOP + plot - plot * (us as f64 / 1000.0) / top;
                let x = LEFT + slot * (i as f64 + 0.5);
                run.push(format!("{x:.1},{y:.1}"));
                s += &format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#a33b00\"/>");
            }
            None => lines.push(std::mem::take(&mut run)),
        }
    }
    lines.push(run);
    for points in lines.into_iter().filter(|p| p.len() > 1) {
        s += &format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#a33b00\" stroke-width=\"2\"/>",
            points.join(" ")
        );
    }
    s + "</svg>"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(at: &str, us: i64, failed: bool) -> Call {
        Call {
            request_id: "r".into(),
            at: at.into(),
            consumer: "a/b".into(),
            service: "m/s".into(),
            operation_id: None,
            method: "GET".into(),
            status: if failed { 502 } else { 200 },
            failed_side: failed.then(|| "provider".to_string()),
            request_bytes: 0,
            response_bytes: 0,
            duration_us: us,
            provider_us: None,
        }
    }

    #[test]
    fn calls_fall_into_the_hour_they_arrived_in_labelled_in_vietnam_time() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T10:20:00Z").expect("now").to_utc();
        let calls = [
            call("2026-12-07T10:05:00Z", 1000, false),
            call("2026-12-07T10:19:59Z", 3000, true),
            call("2026-12-07T09:59:59Z", 2000, false),
            call("2026-12-06T11:00:00Z", 9000, false),
            call("2026-12-06T10:59:59Z", 9000, false),
        ];
        let h = by_hour(&calls, now);
        assert_eq!(h.len(), 24);
        assert_eq!(h[23].label, "17:00", "10:00 UTC is 17:00 in Vietnam");
        assert_eq!((h[23].calls, h[23].errors, h[23].p95_us), (2, 1, Some(3000)));
        assert_eq!((h[22].calls, h[22].p95()), (1, "2,0".to_string()));
        assert_eq!((h[0].label.as_str(), h[0].calls), ("18:00", 1), "older than a day: left out");
        assert_eq!(h[1].p95(), "–");
    }

    #[test]
    fn the_scale_tops_at_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(
            [nice(0.0), nice(3.0), nice(7.0), nice(120.0), nice(0.4)],
            [1.0, 5.0, 10.0, 200.0, 1.0]
        );
    }

    #[test]
    fn the_charts_name_themselves_and_draw_a_bar_per_hour_and_errors_in_red() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T10:20:00Z").expect("now").to_utc();
        let h = by_hour(&[call("2026-12-07T10:05:00Z", 1500, true)], now);
        let bars = calls_chart(&h);
        assert!(bars.contains("role=\"img\"") && bars.contains("<title id=\"luot-goi-t\">"));
        assert_eq!(bars.matches("fill=\"#1d70b8\"").count(), 24);
        assert_eq!(bars.matches("fill=\"#b3261e\"").count(), 1);
        let line = latency_chart(&h);
        assert!(line.contains("cao nhất 1,5 mili giây"), "{line}");
        assert_eq!(line.matches("<circle").count(), 1);
    }
}
