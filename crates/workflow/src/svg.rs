//! Draws a process as SVG from the BPMN file's own layout (BPMNDI), highlighting given steps.

use std::fmt::Write;

use crate::model::{NodeKind, Process};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Splits a label into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Waypoints of a flow between two shapes: right side to left side, with an elbow where
/// they are not level; a flow to a shape on its left (going back) leaves from the bottom,
/// runs along `below` and comes up into the target's bottom.
fn route(
    from: Option<&(f64, f64, f64, f64)>,
    to: Option<&(f64, f64, f64, f64)>,
    below: f64,
) -> Option<Vec<(f64, f64)>> {
    let (&(sx, sy, sw, sh), &(tx, ty, tw, th)) = (from?, to?);
    let (start, end) = ((sx + sw, sy + sh / 2.0), (tx, ty + th / 2.0));
    if end.0 < start.0 {
        let (out, into) = (sx + sw / 2.0, tx + tw / 2.0);
        return Some(vec![(out, sy + sh), (out, below), (into, below), (into, ty + th)]);
    }
    if (start.1 - end.1).abs() < 0.5 {
        return Some(vec![start, end]);
    }
    let mid = (start.0 + end.0) / 2.0;
    Some(vec![start, (mid, start.1), (mid, end.1), end])
}

/// The path an instance took, from its history: the flows it went down and the nodes it
/// reached (`reached` are the nodes its history names, `took` the flows exclusive gateways
/// chose). Parallel gateways leave no history of their own: one counts as reached when a
/// node before it and one after it were. A flow counts as taken when its target was reached
/// (or is open now) and, out of an exclusive gateway, when the gateway chose it.
pub fn path_taken(
    p: &Process,
    reached: &[String],
    took: &[String],
    active: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut nodes: std::collections::BTreeSet<&str> =
        reached.iter().chain(active).map(String::as_str).collect();
    let source = |f: &str| p.flows.get(f).map(|f| f.source.as_str()).unwrap_or("");
    let target = |f: &str| p.flows.get(f).map(|f| f.target.as_str()).unwrap_or("");
    // Gateways in a row need one round each.
    for _ in 0..p.nodes.len() {
        let before = nodes.len();
        for (id, n) in &p.nodes {
            if matches!(n.kind, NodeKind::ParallelGateway)
                && n.incoming.iter().any(|f| nodes.contains(source(f)))
                && n.outgoing.iter().any(|f| nodes.contains(target(f)))
            {
                nodes.insert(id);
            }
        }
        if nodes.len() == before {
            break;
        }
    }
    let flows = p
        .flows
        .iter()
        .filter(|(id, f)| {
            let chosen = match p.nodes.get(&f.source).map(|n| &n.kind) {
                Some(NodeKind::ExclusiveGateway { .. } | NodeKind::InclusiveGateway { .. }) => {
                    took.contains(id)
                }
                _ => nodes.contains(f.source.as_str()),
            };
            chosen && nodes.contains(f.target.as_str())
        })
        .map(|(id, _)| id.clone())
        .collect();
    (flows, nodes.into_iter().map(str::to_string).collect())
}

/// The diagram; `active` nodes are highlighted, `done` nodes shown as passed and the
/// `taken` flows drawn as the path the instance went.
pub fn render(p: &Process, active: &[String], done: &[String], taken: &[String]) -> String {
    let (mut max_x, mut max_y) = (200.0_f64, 100.0_f64);
    for (x, y, w, h) in p.layout.shapes.values() {
        max_x = max_x.max(x + w);
        max_y = max_y.max(y + h);
    }
    // Flows drawn without waypoints (a hand-written file with shapes only) still get
    // their arrow, routed between the shapes; a flow going back runs below the diagram.
    let below = max_y + 20.0;
    let mut edges = p.layout.edges.clone();
    for (fid, f) in &p.flows {
        if edges.contains_key(fid) {
            continue;
        }
        if let Some(points) =
            route(p.layout.shapes.get(&f.source), p.layout.shapes.get(&f.target), below)
        {
            if points.iter().any(|(_, y)| *y >= below) {
                max_y = below;
            }
            edges.insert(fid.clone(), points);
        }
    }
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="diagram-title"><title id="diagram-title">Sơ đồ quy trình {name}</title><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#0b0c0c"/></marker><marker id="arrow-taken" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#005a30"/></marker></defs><g font-family="sans-serif" font-size="12">"##,
        w = max_x + 20.0,
        h = max_y + 20.0,
        name = esc(&p.name)
    );
    // Pools and lanes first, so they sit behind.
    for (id, (x, y, w, h)) in &p.layout.shapes {
        if !p.nodes.contains_key(id) {
            let _ = write!(
                out,
                r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="none" stroke="#b1b4b6"/>"##
            );
        }
    }
    let mut labels = String::new();
    for (fid, points) in &edges {
        if points.len() < 2 {
            continue;
        }
        let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x},{y}")).collect();
        let (stroke, width, marker) = if taken.contains(fid) {
            ("#005a30", 3, "arrow-taken")
        } else {
            ("#0b0c0c", 1, "arrow")
        };
        let _ = write!(
            out,
            r##"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="{width}" marker-end="url(#{marker})"/>"##,
            pts.join(" ")
        );
        if let Some(f) = p.flows.get(fid) {
            if !f.name.is_empty() {
                // Over the middle of the middle segment, clear of the shapes at its ends.
                let (a, b) = (points[(points.len() - 1) / 2], points[points.len() / 2]);
                // Drawn after the shapes, so that none covers it.
                let _ = write!(
                    labels,
                    r##"<text x="{}" y="{}" text-anchor="middle" paint-order="stroke" stroke="#fff" stroke-width="3">{}</text>"##,
                    (a.0 + b.0) / 2.0,
                    (a.1 + b.1) / 2.0 - 4.0,
                    esc(&f.name)
                );
            }
        }
    }
    for (id, n) in &p.nodes {
        let Some((x, y, w, h)) = p.layout.shapes.get(id).copied() else {
            continue;
        };
        let (fill, stroke, width) = if active.contains(id) {
            ("#ffdd00", "#0b0c0c", 3)
        } else if done.contains(id) {
            ("#cce2d8", "#005a30", 2)
        } else {
            ("#ffffff", "#0b0c0c", 1)
        };
        let (cx, cy) = (x + w / 2.0, y + h / 2.0);
        match &n.kind {
            NodeKind::StartEvent
            | NodeKind::MessageStart { .. }
            | NodeKind::EndEvent
            | NodeKind::TerminateEnd
            | NodeKind::ErrorEnd { .. }
            | NodeKind::EscalationEnd { .. }
            | NodeKind::EscalationBoundary { .. }
            | NodeKind::MessageBoundary { .. }
            | NodeKind::TimerCatch { .. }
            | NodeKind::ThrowEvent
            | NodeKind::EscalationThrow { .. }
            | NodeKind::LinkThrow { .. }
            | NodeKind::LinkCatch { .. }
            | NodeKind::ErrorBoundary { .. }
            | NodeKind::TimerBoundary { .. } => {
                let end = matches!(
                    n.kind,
                    NodeKind::EndEvent
                        | NodeKind::TerminateEnd
                        | NodeKind::ErrorEnd { .. }
                        | NodeKind::EscalationEnd { .. }
                );
                let sw = if end { width + 2 } else { width };
                let _ = write!(
                    out,
                    r##"<circle cx="{cx}" cy="{cy}" r="{}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>"##,
                    w / 2.0
                );
                // BPMN draws a terminate end event with a filled circle inside.
                if matches!(n.kind, NodeKind::TerminateEnd) {
                    let _ = write!(
                        out,
                        r##"<circle cx="{cx}" cy="{cy}" r="{}" fill="{stroke}"/>"##,
                        w / 4.0
                    );
                }
                if !n.name.is_empty() {
                    let _ = write!(
                        out,
                        r##"<text x="{cx}" y="{}" text-anchor="middle">{}</text>"##,
                        y + h + 14.0,
                        esc(&n.name)
                    );
                }
            }
            NodeKind::ExclusiveGateway { .. }
            | NodeKind::ParallelGateway
            | NodeKind::InclusiveGateway { .. }
            | NodeKind::EventGateway => {
                let _ = write!(
                    out,
                    r##"<polygon points="{cx},{y} {},{cy} {cx},{} {x},{cy}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>"##,
                    x + w,
                    y + h
                );
                let mark = match n.kind {
                    NodeKind::ParallelGateway => "+",
                    NodeKind::InclusiveGateway { .. } => "○",
                    NodeKind::EventGateway => "◎",
                    _ => "×",
                };
                let _ = write!(
                    out,
                    r##"<text x="{cx}" y="{}" text-anchor="middle" font-size="20">{mark}</text>"##,
                    cy + 7.0
                );
                if !n.name.is_empty() {
                    let _ = write!(
                        out,
                        r##"<text x="{cx}" y="{}" text-anchor="middle">{}</text>"##,
                        y - 6.0,
                        esc(&n.name)
                    );
                }
            }
            // A stage is drawn around its elements: an outline, its name in its corner.
            NodeKind::SubProcess { .. } => {
                let _ = write!(
                    out,
                    r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="10" fill="none" stroke="{stroke}" stroke-width="{}"/><text x="{}" y="{}">{}</text>"##,
                    width + 1,
                    x + 8.0,
                    y + 16.0,
                    esc(&n.name)
                );
            }
            NodeKind::UserTask { .. }
            | NodeKind::ServiceTask { .. }
            | NodeKind::ExternalTask { .. }
            | NodeKind::MessageCatch { .. }
            | NodeKind::CallActivity { .. }
            | NodeKind::PassThrough => {
                // BPMN draws a call activity with a thick border.
                let call = matches!(n.kind, NodeKind::CallActivity { .. });
                let width = if call { width + 3 } else { width };
                let _ = write!(
                    out,
                    r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="10" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>"##
                );
                let lines = wrap(&n.name, ((w / 7.0) as usize).max(8));
                let top = cy - (lines.len() as f64 - 1.0) * 7.0 + 4.0;
                for (i, l) in lines.iter().enumerate() {
                    let _ = write!(
                        out,
                        r##"<text x="{cx}" y="{}" text-anchor="middle">{}</text>"##,
                        top + i as f64 * 14.0,
                        esc(l)
                    );
                }
            }
        }
    }
    out.push_str(&labels);
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diagram_is_drawn_from_the_file_layout_with_the_current_step_highlighted() {
        let p = crate::model::parse_bpmn(include_str!("../tests/fixtures/tiep-nhan-xu-ly.bpmn"))
            .expect("parse");
        let svg = render(&p, &["Task_PheDuyet".to_string()], &["Task_TiepNhan".to_string()], &[]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains(">Phê duyệt kết<") && svg.contains(">quả<"),
            "names are wrapped inside their box"
        );
        assert!(
            svg.contains(
                r##"<rect x="720" y="400" width="100" height="80" rx="10" fill="#ffdd00""##
            ),
            "{svg}"
        );
        assert!(svg.contains("#cce2d8"));
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn flows_drawn_without_waypoints_get_arrows_between_their_shapes_and_a_way_back_runs_below() {
        let xml = include_str!("../../cqdt/demo/processes/lltp-lien-thong.bpmn");
        let p = crate::model::parse_bpmn(xml).expect("parse");
        assert!(p.layout.edges.is_empty(), "the demo file has shapes only");
        let svg = render(&p, &[], &[], &[]);
        assert_eq!(svg.matches("<polyline").count(), p.flows.len(), "one arrow per flow");
        assert_eq!(svg.matches(r#"marker-end="url(#arrow)""#).count(), p.flows.len());
        // Start (20,122 36×36) to the appraisal (100,100 120×80): level, one segment.
        assert!(svg.contains(r#"points="56,140 100,140""#), "{svg}");
        // Sent back from the decision (760,115 50×50) to the appraisal, under everything.
        assert!(svg.contains(r#"points="785,165 785,280 160,280 160,180""#), "{svg}");
        assert!(svg.contains(r#"height="300""#), "the diagram grows to hold it");
    }

    #[test]
    fn the_path_taken_is_the_flows_the_instance_went_down_and_not_the_way_back_it_did_not_take() {
        let xml = include_str!("../../cqdt/demo/processes/lltp-lien-thong.bpmn");
        let p = crate::model::parse_bpmn(xml).expect("parse");
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // Approved at the first decision: everything but the way back.
        let reached =
            names(&["Start", "ThamDinh", "XacMinh", "TraCuu", "PheDuyet", "DongY", "End"]);
        let (flows, nodes) = path_taken(&p, &reached, &names(&["F_DongY"]), &[]);
        let mut all: Vec<String> = p.flows.keys().filter(|f| *f != "F_TraLai").cloned().collect();
        all.sort();
        assert_eq!(flows, all);
        assert!(nodes.contains(&"Tach".to_string()) && nodes.contains(&"Gop".to_string()));
        // Half-way: the residence check done, the records search open; the join not passed.
        let reached = names(&["Start", "ThamDinh", "XacMinh"]);
        let (flows, nodes) = path_taken(&p, &reached, &[], &names(&["TraCuu"]));
        assert_eq!(flows, names(&["F1", "F2", "F3", "F4"]));
        assert!(!nodes.contains(&"Gop".to_string()), "{nodes:?}");
        let svg = render(&p, &names(&["TraCuu"]), &nodes, &flows);
        assert_eq!(svg.matches("url(#arrow-taken)").count(), 4);
    }

    #[test]
    fn long_names_are_wrapped() {
        assert_eq!(
            wrap("Lập phiếu xin lỗi và hẹn lại", 12),
            vec!["Lập phiếu", "xin lỗi và", "hẹn lại"]
        );
    }
}
