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

/// The diagram; `active` nodes are highlighted, `done` nodes shown as passed.
pub fn render(p: &Process, active: &[String], done: &[String]) -> String {
    let (mut max_x, mut max_y) = (200.0_f64, 100.0_f64);
    for (x, y, w, h) in p.layout.shapes.values() {
        max_x = max_x.max(x + w);
        max_y = max_y.max(y + h);
    }
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="diagram-title"><title id="diagram-title">Sơ đồ quy trình {name}</title><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#0b0c0c"/></marker></defs><g font-family="sans-serif" font-size="12">"##,
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
    for (fid, points) in &p.layout.edges {
        if points.len() < 2 {
            continue;
        }
        let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x},{y}")).collect();
        let _ = write!(
            out,
            r##"<polyline points="{}" fill="none" stroke="#0b0c0c" marker-end="url(#arrow)"/>"##,
            pts.join(" ")
        );
        if let Some(f) = p.flows.get(fid) {
            if !f.name.is_empty() {
                let (x, y) = points[points.len() / 2];
                let _ = write!(
                    out,
                    r##"<text x="{}" y="{}">{}</text>"##,
                    x + 4.0,
                    y - 4.0,
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
            NodeKind::StartEvent | NodeKind::EndEvent | NodeKind::TimerBoundary { .. } => {
                let sw = if matches!(n.kind, NodeKind::EndEvent) { width + 2 } else { width };
                let _ = write!(
                    out,
                    r##"<circle cx="{cx}" cy="{cy}" r="{}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>"##,
                    w / 2.0
                );
                if !n.name.is_empty() {
                    let _ = write!(
                        out,
                        r##"<text x="{cx}" y="{}" text-anchor="middle">{}</text>"##,
                        y + h + 14.0,
                        esc(&n.name)
                    );
                }
            }
            NodeKind::ExclusiveGateway { .. } | NodeKind::ParallelGateway => {
                let _ = write!(
                    out,
                    r##"<polygon points="{cx},{y} {},{cy} {cx},{} {x},{cy}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>"##,
                    x + w,
                    y + h
                );
                let mark = if matches!(n.kind, NodeKind::ParallelGateway) { "+" } else { "×" };
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
            NodeKind::UserTask { .. } | NodeKind::ServiceTask { .. } | NodeKind::PassThrough => {
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
        let svg = render(&p, &["Task_PheDuyet".to_string()], &["Task_TiepNhan".to_string()]);
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
    fn long_names_are_wrapped() {
        assert_eq!(
            wrap("Lập phiếu xin lỗi và hẹn lại", 12),
            vec!["Lập phiếu", "xin lỗi và", "hẹn lại"]
        );
    }
}
