//! Process definitions: the supported subset of BPMN 2.0, read from the XML that bpmn.io and
//! Camunda Modeler write. Anything outside the subset is refused by id and type.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::condition::{self, Expr};

/// What a node does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum NodeKind {
    /// Where an instance starts.
    StartEvent,
    /// Where a path ends.
    EndEvent,
    /// Work done by a person of a role within an agency.
    UserTask {
        /// Candidate role (candidateGroups, or the lane's name).
        role: Option<String>,
        /// Allotted working days, if given.
        days: Option<f64>,
        /// The agency whose officials do it, when not the instance's own (liên thông): an
        /// agency code, or `${variable}` naming an instance variable that holds one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agency: Option<String>,
    },
    /// Work done by the platform: a registered handler of this type.
    ServiceTask {
        /// Handler type.
        handler: String,
    },
    /// One of several paths, by condition.
    ExclusiveGateway {
        /// Flow taken when no condition holds.
        default: Option<String>,
    },
    /// All paths at once (fork), or wait for all (join).
    ParallelGateway,
    /// A timer on a user task: after a number of working days, take another path.
    TimerBoundary {
        /// The task it watches.
        attached_to: String,
        /// Working days until it fires.
        days: f64,
        /// Whether the task is cancelled when it fires.
        interrupting: bool,
    },
}

/// A node of the process graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// BPMN element id.
    pub id: String,
    /// Name as drawn.
    pub name: String,
    /// What it does.
    pub kind: NodeKind,
    /// Outgoing flow ids, in document order.
    pub outgoing: Vec<String>,
    /// Incoming flow ids.
    pub incoming: Vec<String>,
}

/// A sequence flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// BPMN element id.
    pub id: String,
    /// Name as drawn (e.g. "Đạt").
    pub name: String,
    /// Source node.
    pub source: String,
    /// Target node.
    pub target: String,
    /// Condition text, if any.
    pub condition: Option<String>,
}

/// Diagram layout from BPMNDI, for drawing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Element id → (x, y, width, height).
    pub shapes: BTreeMap<String, (f64, f64, f64, f64)>,
    /// Flow id → waypoints.
    pub edges: BTreeMap<String, Vec<(f64, f64)>>,
}

/// A parsed, checked process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Process {
    /// Process id in the XML (the definition key).
    pub key: String,
    /// Process name.
    pub name: String,
    /// Nodes by id.
    pub nodes: BTreeMap<String, Node>,
    /// Flows by id.
    pub flows: BTreeMap<String, Flow>,
    /// The start event.
    pub start: String,
    /// Layout for diagrams.
    pub layout: Layout,
}

/// Why a BPMN file was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BpmnError {
    /// Element id, when the problem is one element.
    pub element: Option<String>,
    /// What is wrong, in Vietnamese.
    pub message: String,
}

impl std::fmt::Display for BpmnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.element {
            Some(id) => write!(f, "phần tử “{id}”: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

fn err(element: Option<&str>, message: impl Into<String>) -> BpmnError {
    BpmnError { element: element.map(str::to_string), message: message.into() }
}

/// Parses "P3D", "PT12H", "P1DT4H" as working days (8 working hours a day).
pub fn parse_duration_days(s: &str) -> Option<f64> {
    let s = s.trim();
    let rest = s.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut days = 0.0;
    let mut num = String::new();
    for c in date.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'D' => days += num.parse::<f64>().ok()?,
            'W' => days += num.parse::<f64>().ok()? * 5.0,
            _ => return None,
        }
        if c.is_ascii_alphabetic() {
            num.clear();
        }
    }
    for c in time.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'H' => days += num.parse::<f64>().ok()? / 8.0,
            'M' => days += num.parse::<f64>().ok()? / 480.0,
            _ => return None,
        }
        if c.is_ascii_alphabetic() {
            num.clear();
        }
    }
    (num.is_empty() && days > 0.0).then_some(days)
}

fn attr<'a>(n: &roxmltree::Node<'a, 'a>, local: &str) -> Option<&'a str> {
    n.attributes().find(|a| a.name() == local).map(|a| a.value())
}

/// Elements inside a process that carry no behaviour of their own.
const IGNORED: &[&str] = &[
    "documentation",
    "extensionElements",
    "incoming",
    "outgoing",
    "textAnnotation",
    "association",
    "laneSet",
];

/// Parses and checks BPMN 2.0 XML with exactly one executable process.
pub fn parse_bpmn(xml: &str) -> Result<Process, Vec<BpmnError>> {
    let doc = roxmltree::Document::parse(xml)
        .map_err(|e| vec![err(None, format!("XML không hợp lệ: {e}"))])?;
    let root = doc.root_element();
    if root.tag_name().name() != "definitions" {
        return Err(vec![err(None, "không phải tệp BPMN 2.0 (thiếu phần tử definitions)")]);
    }
    let processes: Vec<_> = root.children().filter(|n| n.tag_name().name() == "process").collect();
    let process = match processes.as_slice() {
        [p] => *p,
        [] => return Err(vec![err(None, "tệp không có quy trình (process) nào")]),
        _ => return Err(vec![err(None, "mỗi tệp chỉ được có một quy trình (process); sơ đồ có nhiều bên (collaboration) chưa được hỗ trợ")]),
    };
    let key = attr(&process, "id").unwrap_or("").to_string();
    let mut errors = Vec::new();
    if key.is_empty() {
        errors.push(err(None, "quy trình thiếu id"));
    }
    // Lanes name the role of the tasks drawn in them.
    let mut lane_of: HashMap<String, String> = HashMap::new();
    for lane in process.descendants().filter(|n| n.tag_name().name() == "lane") {
        let name = attr(&lane, "name").unwrap_or("").trim().to_string();
        for r in lane.children().filter(|n| n.tag_name().name() == "flowNodeRef") {
            if let Some(t) = r.text() {
                lane_of.insert(t.trim().to_string(), name.clone());
            }
        }
    }
    let mut nodes = BTreeMap::new();
    let mut flows = BTreeMap::new();
    for el in process.children().filter(|n| n.is_element()) {
        let tag = el.tag_name().name();
        let id = attr(&el, "id").unwrap_or("").to_string();
        let name = attr(&el, "name").unwrap_or("").trim().to_string();
        if IGNORED.contains(&tag) {
            continue;
        }
        if id.is_empty() {
            errors.push(err(None, format!("phần tử {tag} thiếu id")));
            continue;
        }
        let child = |t: &str| el.children().find(|c| c.tag_name().name() == t);
        let kind = match tag {
            "sequenceFlow" => {
                let condition = child("conditionExpression")
                    .and_then(|c| c.text())
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty());
                if let Some(c) = &condition {
                    if let Err(m) = condition::parse(c) {
                        errors.push(err(Some(&id), format!("điều kiện “{c}” không đọc được: {m}")));
                    }
                }
                flows.insert(
                    id.clone(),
                    Flow {
                        id,
                        name,
                        source: attr(&el, "sourceRef").unwrap_or("").to_string(),
                        target: attr(&el, "targetRef").unwrap_or("").to_string(),
                        condition,
                    },
                );
                continue;
            }
            "startEvent" | "endEvent"
                if el.children().any(|c| c.tag_name().name().ends_with("EventDefinition")) =>
            {
                errors.push(err(Some(&id), format!("{tag} có định nghĩa sự kiện (thông điệp, hẹn giờ, tín hiệu…) chưa được hỗ trợ; chỉ hỗ trợ sự kiện bắt đầu/kết thúc thường")));
                continue;
            }
            "startEvent" => NodeKind::StartEvent,
            "endEvent" => NodeKind::EndEvent,
            "userTask" | "task" | "manualTask" => NodeKind::UserTask {
                role: attr(&el, "candidateGroups")
                    .map(str::to_string)
                    .or_else(|| lane_of.get(&id).cloned())
                    .filter(|r| !r.is_empty()),
                days: attr(&el, "dueDays").and_then(|d| d.parse().ok()),
                agency: attr(&el, "agency").map(|a| a.trim().to_string()).filter(|a| !a.is_empty()),
            },
            "serviceTask" => {
                match attr(&el, "type")
                    .or_else(|| attr(&el, "topic"))
                    .or_else(|| attr(&el, "class"))
                {
                    Some(h) => NodeKind::ServiceTask { handler: h.to_string() },
                    None => {
                        errors.push(err(Some(&id), "serviceTask cần thuộc tính type (loại xử lý) để nền tảng biết phải làm gì"));
                        continue;
                    }
                }
            }
            "exclusiveGateway" => {
                NodeKind::ExclusiveGateway { default: attr(&el, "default").map(str::to_string) }
            }
            "parallelGateway" => NodeKind::ParallelGateway,
            "boundaryEvent" => {
                let timer = child("timerEventDefinition");
                let duration = timer
                    .and_then(|t| t.children().find(|c| c.tag_name().name() == "timeDuration"))
                    .and_then(|d| d.text());
                match (timer, duration.and_then(parse_duration_days)) {
                    (Some(_), Some(days)) => NodeKind::TimerBoundary {
                        attached_to: attr(&el, "attachedToRef").unwrap_or("").to_string(),
                        days,
                        interrupting: attr(&el, "cancelActivity") != Some("false"),
                    },
                    (Some(_), None) => {
                        errors.push(err(
                            Some(&id),
                            "hẹn giờ cần timeDuration dạng ISO 8601 (ví dụ P3D = 3 ngày làm việc)",
                        ));
                        continue;
                    }
                    (None, _) => {
                        errors.push(err(
                            Some(&id),
                            "boundaryEvent: chỉ hỗ trợ sự kiện hẹn giờ (timer)",
                        ));
                        continue;
                    }
                }
            }
            other => {
                errors.push(err(Some(&id), format!("loại phần tử “{other}” chưa được hỗ trợ")));
                continue;
            }
        };
        nodes.insert(
            id.clone(),
            Node { id, name, kind, outgoing: Vec::new(), incoming: Vec::new() },
        );
    }
    for f in flows.values() {
        for (end, which) in [(&f.source, "nguồn"), (&f.target, "đích")] {
            if !nodes.contains_key(end) {
                errors.push(err(
                    Some(&f.id),
                    format!("{which} “{end}” không phải phần tử được hỗ trợ trong quy trình"),
                ));
            }
        }
    }
    for f in flows.values() {
        if let Some(n) = nodes.get_mut(&f.source) {
            n.outgoing.push(f.id.clone());
        }
        if let Some(n) = nodes.get_mut(&f.target) {
            n.incoming.push(f.id.clone());
        }
    }
    let starts: Vec<String> =
        nodes.values().filter(|n| n.kind == NodeKind::StartEvent).map(|n| n.id.clone()).collect();
    if starts.len() != 1 {
        errors.push(err(
            None,
            format!("quy trình cần đúng một sự kiện bắt đầu, có {}", starts.len()),
        ));
    }
    for n in nodes.values() {
        let (ins, outs) = (n.incoming.len(), n.outgoing.len());
        let problem = match &n.kind {
            NodeKind::StartEvent if outs != 1 => Some("sự kiện bắt đầu cần đúng một luồng ra"),
            NodeKind::EndEvent if outs != 0 => Some("sự kiện kết thúc không được có luồng ra"),
            NodeKind::UserTask { .. } | NodeKind::ServiceTask { .. } if outs != 1 => {
                Some("công việc cần đúng một luồng ra (dùng cổng để rẽ nhánh)")
            }
            NodeKind::UserTask { .. } | NodeKind::ServiceTask { .. } if ins == 0 => {
                Some("công việc không có luồng vào")
            }
            NodeKind::ExclusiveGateway { .. } | NodeKind::ParallelGateway
                if outs == 0 || ins == 0 =>
            {
                Some("cổng cần luồng vào và luồng ra")
            }
            NodeKind::TimerBoundary { .. } if outs != 1 => Some("hẹn giờ cần đúng một luồng ra"),
            _ => None,
        };
        if let Some(p) = problem {
            errors.push(err(Some(&n.id), p));
        }
        if let NodeKind::TimerBoundary { attached_to, .. } = &n.kind {
            if !matches!(nodes.get(attached_to).map(|a| &a.kind), Some(NodeKind::UserTask { .. })) {
                errors.push(err(Some(&n.id), "hẹn giờ phải gắn vào một công việc của người dùng"));
            }
        }
        if let NodeKind::ExclusiveGateway { default } = &n.kind {
            if let Some(d) = default {
                if !n.outgoing.contains(d) {
                    errors.push(err(
                        Some(&n.id),
                        format!("luồng mặc định “{d}” không đi ra từ cổng này"),
                    ));
                }
            }
            if outs > 1 {
                for fid in &n.outgoing {
                    let f = &flows[fid];
                    if f.condition.is_none() && default.as_deref() != Some(fid.as_str()) {
                        errors.push(err(
                            Some(fid),
                            "luồng ra của cổng rẽ nhánh cần điều kiện hoặc là luồng mặc định",
                        ));
                    }
                }
            }
        }
    }
    let layout = read_layout(&root);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Process {
        key,
        name: attr(&process, "name").unwrap_or("").to_string(),
        nodes,
        flows,
        start: starts.into_iter().next().unwrap_or_default(),
        layout,
    })
}

fn read_layout(root: &roxmltree::Node) -> Layout {
    let mut layout = Layout::default();
    for shape in root.descendants().filter(|n| n.tag_name().name() == "BPMNShape") {
        let Some(el) = attr(&shape, "bpmnElement") else {
            continue;
        };
        if let Some(b) = shape.children().find(|c| c.tag_name().name() == "Bounds") {
            let f = |k| attr(&b, k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            layout.shapes.insert(el.to_string(), (f("x"), f("y"), f("width"), f("height")));
        }
    }
    for edge in root.descendants().filter(|n| n.tag_name().name() == "BPMNEdge") {
        let Some(el) = attr(&edge, "bpmnElement") else {
            continue;
        };
        let points = edge
            .children()
            .filter(|c| c.tag_name().name() == "waypoint")
            .map(|w| {
                let f = |k| attr(&w, k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
                (f("x"), f("y"))
            })
            .collect();
        layout.edges.insert(el.to_string(), points);
    }
    layout
}

impl Process {
    /// The parsed condition of a flow (checked at import, so a failure here means "false").
    pub fn condition(&self, flow: &str) -> Option<Expr> {
        self.flows
            .get(flow)
            .and_then(|f| f.condition.as_deref())
            .and_then(|c| condition::parse(c).ok())
    }

    /// Whether the person doing `task` decides where the process goes next: its flow leads
    /// to an exclusive gateway whose conditions read the `decision` variable (approve or
    /// send back).
    pub fn decides_after(&self, task: &str) -> bool {
        let Some(node) = self.nodes.get(task) else {
            return false;
        };
        node.outgoing
            .iter()
            .filter_map(|f| self.flows.get(f))
            .filter_map(|f| self.nodes.get(&f.target))
            .any(|g| {
                matches!(g.kind, NodeKind::ExclusiveGateway { .. })
                    && g.outgoing.iter().any(|f| {
                        self.flows
                            .get(f)
                            .and_then(|f| f.condition.as_deref())
                            .is_some_and(|c| c.contains("decision"))
                    })
            })
    }

    /// Timer boundary events attached to a task.
    pub fn timers_on(&self, task: &str) -> Vec<&Node> {
        self.nodes
            .values()
            .filter(|n| matches!(&n.kind, NodeKind::TimerBoundary { attached_to, .. } if attached_to == task))
            .collect()
    }

    /// Whether any parallel gateway joins branches (so arrivals must be counted).
    pub fn has_joins(&self) -> bool {
        self.nodes
            .values()
            .any(|n| matches!(n.kind, NodeKind::ParallelGateway) && n.incoming.len() > 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SIMPLE: &str = include_str!("../tests/fixtures/tiep-nhan-xu-ly.bpmn");

    #[test]
    fn a_diagram_drawn_in_bpmn_io_is_read_with_lanes_as_roles() {
        let p = parse_bpmn(SIMPLE).expect("parse");
        assert_eq!(p.key, "tiep_nhan_xu_ly");
        let task = &p.nodes["Task_TiepNhan"];
        assert_eq!(
            task.kind,
            NodeKind::UserTask {
                role: Some("reception_officer".into()),
                days: Some(0.5),
                agency: None,
            }
        );
        assert!(p.layout.shapes.contains_key("Task_TiepNhan"));
        assert!(
            matches!(p.nodes["Timer_QuaHan"].kind, NodeKind::TimerBoundary { days, .. } if days == 3.0)
        );
    }

    #[test]
    fn unsupported_elements_are_refused_by_id_and_type() {
        let xml = SIMPLE
            .replace(
                "<bpmn:exclusiveGateway id=\"Gateway_KetQua\"",
                "<bpmn:complexGateway id=\"Gateway_KetQua\"",
            )
            .replace("</bpmn:exclusiveGateway>", "</bpmn:complexGateway>");
        let errors = parse_bpmn(&xml).expect_err("refused");
        assert!(
            errors.iter().any(|e| e.element.as_deref() == Some("Gateway_KetQua")
                && e.message.contains("complexGateway")),
            "{errors:?}"
        );
    }

    #[test]
    fn broken_diagrams_are_refused_with_reasons() {
        assert!(parse_bpmn("<x/>").is_err());
        assert!(parse_bpmn("not xml").is_err());
        let no_condition = SIMPLE.replace("${approved == true}", "");
        assert!(parse_bpmn(&no_condition).is_err());
    }

    #[test]
    fn durations_are_working_days() {
        assert_eq!(parse_duration_days("P3D"), Some(3.0));
        assert_eq!(parse_duration_days("PT4H"), Some(0.5));
        assert_eq!(parse_duration_days("P1W"), Some(5.0));
        assert_eq!(parse_duration_days("P1DT4H"), Some(1.5));
        assert_eq!(parse_duration_days("3 days"), None);
        assert_eq!(parse_duration_days("P"), None);
    }
}
