//! Reading BPMN 2.0 XML into a [`Process`]: the one process that runs, its nodes with their
//! Camunda 7 / Camunda 8 / cqdt extension attributes, its flows in document order. Every
//! problem is collected, not only the first.

use std::collections::{BTreeMap, HashMap};

use roxmltree::Node as X;

use super::vocab::{self, Class, Dialect};
use super::{check, BpmnError, Flow, Layout, Node, NodeKind, Process, Timing};
use crate::condition;

mod call;
mod events;
mod multi;

use events::{
    error_code, escalation_code, link_name, read_error_boundary, read_message, read_timer,
};

type Errors = Vec<BpmnError>;

/// An attribute of the BPMN model itself (no namespace) or of cqdt's (any namespace naming
/// cqdt), by local name.
fn own<'a>(n: &X<'a, 'a>, local: &str) -> Option<&'a str> {
    n.attributes()
        .find(|a| {
            a.name() == local
                && matches!(vocab::dialect(a.namespace()), Dialect::Bpmn | Dialect::Cqdt)
        })
        .map(|a| a.value())
}

/// An attribute in one namespace.
fn ns_attr<'a>(n: &X<'a, 'a>, ns: &str, local: &str) -> Option<&'a str> {
    n.attributes().find(|a| a.name() == local && a.namespace() == Some(ns)).map(|a| a.value())
}

/// The plain attribute `local` (any namespace): used for the diagram layout only.
fn attr<'a>(n: &X<'a, 'a>, local: &str) -> Option<&'a str> {
    n.attributes().find(|a| a.name() == local).map(|a| a.value())
}

fn is_bpmn(n: &X) -> bool {
    vocab::dialect(n.tag_name().namespace()) == Dialect::Bpmn
}

/// The name of an element or attribute: BPMN's bare, an extension's as `prefix:name`.
fn qname(n: &X, ns: Option<&str>, local: &str) -> String {
    if vocab::dialect(ns) == Dialect::Bpmn {
        return local.to_string();
    }
    match ns.and_then(|u| n.lookup_prefix(u)) {
        Some(p) if !p.is_empty() => format!("{p}:{local}"),
        _ => local.to_string(),
    }
}

fn err(id: Option<&str>, kind: &str, message: impl Into<String>) -> BpmnError {
    BpmnError::new(id, Some(kind), message)
}

/// Parses and checks BPMN 2.0 XML with exactly one executable process.
pub fn parse_bpmn(xml: &str) -> Result<Process, Vec<BpmnError>> {
    let doc = roxmltree::Document::parse(xml)
        .map_err(|e| vec![BpmnError::new(None, None, format!("XML không hợp lệ: {e}"))])?;
    let root = doc.root_element();
    if root.tag_name().name() != "definitions" {
        return Err(vec![BpmnError::new(
            None,
            None,
            "không phải tệp BPMN 2.0 (thiếu phần tử definitions)",
        )]);
    }
    if root.tag_name().namespace() != Some(vocab::BPMN_NS) {
        let ns = root.tag_name().namespace().unwrap_or("không có");
        return Err(vec![err(
            own(&root, "id").or(Some("definitions")),
            "definitions",
            format!("không gian tên “{ns}” không phải của BPMN 2.0 ({})", vocab::BPMN_NS),
        )]);
    }
    let mut errors = duplicate_ids(&root);
    let process = match the_process(&root) {
        Ok(p) => p,
        Err(mut e) => {
            errors.append(&mut e);
            return Err(errors);
        }
    };
    let key = own(&process, "id").unwrap_or("").to_string();
    if key.is_empty() {
        errors.push(err(None, "process", "quy trình thiếu id"));
    }
    let lane_of = lanes(&process);
    let mut read =
        Read { lane_of, nodes: BTreeMap::new(), flows: BTreeMap::new(), order: Vec::new() };
    read.scope(&process, None, &mut errors);
    let Read { mut nodes, mut flows, mut order, .. } = read;
    events::wire_links(&nodes, &mut flows, &mut order, &mut errors);
    let start = check::graph(&key, &mut nodes, &flows, &order, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let p = Process {
        key,
        name: own(&process, "name").unwrap_or("").to_string(),
        nodes,
        flows,
        start: start.unwrap_or_default(),
        layout: read_layout(&root),
    };
    // An error or escalation nothing catches would end the run in a way BPMN leaves to each
    // engine.
    for n in p.nodes.values() {
        let unresolved = match &n.kind {
            NodeKind::ErrorEnd { code } => {
                let code = code.as_deref().unwrap_or("");
                p.error_catcher(&n.id, code).is_none().then(|| format!("lỗi “{code}”"))
            }
            NodeKind::EscalationEnd { code } | NodeKind::EscalationThrow { code } => {
                let code = code.as_deref().unwrap_or("");
                p.escalation_catcher(&n.id, code)
                    .is_none()
                    .then(|| format!("báo cấp trên “{code}”"))
            }
            _ => None,
        };
        if let Some(what) = unresolved {
            errors.push(err(
                Some(&n.id),
                check::kind_name(&n.kind),
                format!(
                    "{what} ném ra ở đây không có sự kiện biên nào bắt trên quy trình con chứa nó"
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors)
    }
}

/// What the elements of a process read into, scope by scope.
struct Read {
    lane_of: HashMap<String, String>,
    nodes: BTreeMap<String, Node>,
    flows: BTreeMap<String, Flow>,
    order: Vec<String>,
}

impl Read {
    /// Reads the elements of `container` (the process, or a sub-process: `scope`).
    fn scope(&mut self, container: &X, scope: Option<&str>, errors: &mut Errors) {
        for el in container.children().filter(|n| n.is_element()) {
            let tag = el.tag_name().name();
            let id = own(&el, "id").unwrap_or("").to_string();
            let class = if is_bpmn(&el) {
                vocab::element(tag)
            } else {
                Class::Refused("phần tử ngoài chuẩn BPMN không được hiểu")
            };
            match class {
                Class::Ignored => continue,
                Class::Refused(why) => {
                    let kind = qname(&el, el.tag_name().namespace(), tag);
                    errors.push(err((!id.is_empty()).then_some(id.as_str()).or(scope), &kind, why));
                    continue;
                }
                Class::Executable => {}
            }
            if id.is_empty() {
                errors.push(err(scope, tag, format!("phần tử {tag} thiếu id")));
                continue;
            }
            check_attributes(&el, &id, errors);
            check_children(&el, &id, errors);
            let name = own(&el, "name").unwrap_or("").trim().to_string();
            if tag == "sequenceFlow" {
                let flow = read_flow(&el, id.clone(), name, errors);
                self.order.push(id.clone());
                self.flows.insert(id, flow);
                continue;
            }
            if let Some(kind) = read_node(&el, &id, &self.lane_of, errors) {
                let inner = matches!(kind, NodeKind::SubProcess { .. });
                let node = Node {
                    id: id.clone(),
                    name,
                    kind,
                    outgoing: Vec::new(),
                    incoming: Vec::new(),
                    scope: scope.map(str::to_string),
                };
                self.nodes.insert(id.clone(), node);
                // An embedded sub-process: its elements are the process's, in its scope.
                if inner {
                    self.scope(&el, Some(&id), errors);
                }
            }
        }
    }
}

/// Ids are unique in a file (xsd:ID): a second element with an id would silently replace
/// the first, so both are refused.
fn duplicate_ids(root: &X) -> Errors {
    let mut seen: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for n in root.descendants().filter(|n| n.is_element()) {
        if let Some(id) = n.attributes().find(|a| a.name() == "id" && a.namespace().is_none()) {
            seen.entry(id.value()).or_default().push(n.tag_name().name());
        }
    }
    seen.into_iter()
        .filter(|(_, tags)| tags.len() > 1)
        .map(|(id, tags)| {
            err(
                Some(id),
                &tags.join(", "),
                format!(
                    "mã phần tử bị trùng ({} lần); mỗi mã phải là duy nhất trong tệp",
                    tags.len()
                ),
            )
        })
        .collect()
}

/// The one process that runs: a single process, or the one executable among several; a
/// collaboration of several participants, or with message flows, is refused by id.
fn the_process<'a>(root: &X<'a, 'a>) -> Result<X<'a, 'a>, Errors> {
    let mut errors = Vec::new();
    for c in root.children().filter(|n| n.tag_name().name() == "collaboration") {
        let id = own(&c, "id");
        let ids = |tag: &str| -> Vec<String> {
            c.children()
                .filter(|n| n.tag_name().name() == tag)
                .map(|n| own(&n, "id").unwrap_or("?").to_string())
                .collect()
        };
        let (participants, messages) = (ids("participant"), ids("messageFlow"));
        if participants.len() > 1 || !messages.is_empty() {
            let mut why = format!(
                "sơ đồ nhiều bên: {} bên ({})",
                participants.len(),
                participants.join(", ")
            );
            if !messages.is_empty() {
                why.push_str(&format!(", luồng thông điệp ({})", messages.join(", ")));
            }
            why.push_str("; nền tảng chạy một quy trình mỗi tệp: tách mỗi bên thành một tệp");
            errors.push(err(id, "collaboration", why));
        }
    }
    let processes: Vec<X> = root.children().filter(|n| n.tag_name().name() == "process").collect();
    let executable: Vec<X> =
        processes.iter().copied().filter(|p| own(p, "isExecutable") == Some("true")).collect();
    let chosen = match (processes.as_slice(), executable.as_slice()) {
        ([], _) => {
            let id = own(root, "id").or(Some("definitions"));
            errors.push(err(id, "definitions", "tệp không có quy trình (process) nào"));
            None
        }
        ([p], _) | (_, [p]) => Some(*p),
        (many, _) => {
            let list = if executable.is_empty() { many } else { executable.as_slice() };
            let ids: Vec<&str> = list.iter().map(|p| own(p, "id").unwrap_or("?")).collect();
            errors.push(err(
                ids.first().copied(),
                "process",
                format!(
                    "tệp có {} quy trình chạy được ({}); mỗi tệp chỉ được có một",
                    ids.len(),
                    ids.join(", ")
                ),
            ));
            None
        }
    };
    match chosen {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(errors),
    }
}

/// Lanes name the role of the tasks drawn in them.
fn lanes(process: &X) -> HashMap<String, String> {
    let mut lane_of = HashMap::new();
    for lane in process.descendants().filter(|n| n.tag_name().name() == "lane") {
        let name = own(&lane, "name").unwrap_or("").trim().to_string();
        for r in lane.children().filter(|n| n.tag_name().name() == "flowNodeRef") {
            if let Some(t) = r.text() {
                lane_of.insert(t.trim().to_string(), name.clone());
            }
        }
    }
    lane_of
}

/// Every attribute of an executed element is known, or the element is refused naming it.
fn check_attributes(el: &X, id: &str, errors: &mut Errors) {
    let tag = el.tag_name().name();
    for a in el.attributes() {
        let d = vocab::dialect(a.namespace());
        let problem = match vocab::attribute(d, a.name()) {
            Class::Refused(why) => Some(why.to_string()),
            _ => match (a.name(), a.value()) {
                ("startQuantity" | "completionQuantity", v) if v.trim() != "1" => {
                    Some(format!("chỉ hỗ trợ giá trị 1 (ở đây {v})"))
                }
                ("isForCompensation", "true") => {
                    Some("bù trừ (compensation) chưa được hỗ trợ".into())
                }
                _ => None,
            },
        };
        if let Some(why) = problem {
            let name = qname(el, a.namespace(), a.name());
            errors.push(err(Some(id), tag, format!("thuộc tính “{name}”: {why}")));
        }
    }
}

/// Children of an executed element: ignored, read by its kind, or refused by name.
fn check_children(el: &X, id: &str, errors: &mut Errors) {
    let tag = el.tag_name().name();
    for c in el.children().filter(|n| n.is_element()) {
        let ctag = c.tag_name().name();
        if ctag == "extensionElements" {
            for x in c.children().filter(|n| n.is_element()) {
                let d = vocab::dialect(x.tag_name().namespace());
                let name = qname(&x, x.tag_name().namespace(), x.tag_name().name());
                match (vocab::extension(d, x.tag_name().name()), x.tag_name().name(), tag) {
                    (Class::Refused(why), _, _) => {
                        errors.push(err(Some(id), tag, format!("“{name}”: {why}")));
                    }
                    (Class::Executable, "assignmentDefinition", "userTask")
                    | (Class::Executable, "taskDefinition", "serviceTask")
                    | (Class::Executable, "in" | "out" | "calledElement", "callActivity")
                    | (Class::Ignored, _, _) => {}
                    (Class::Executable, _, _) => errors.push(err(
                        Some(id),
                        tag,
                        format!("“{name}” không có nghĩa trên phần tử {tag}"),
                    )),
                }
            }
            continue;
        }
        if tag == "subProcess" {
            continue; // its elements are read as a scope of their own (`Read::scope`)
        }
        if ctag.ends_with("EventDefinition")
            || ctag == "conditionExpression"
            || ctag == "timeDuration"
            || (ctag == "multiInstanceLoopCharacteristics" && tag == "userTask")
            || (ctag == "standardLoopCharacteristics" && tag == "userTask")
        {
            continue; // read by the element's kind
        }
        if let Class::Refused(why) = vocab::element(ctag) {
            let kind = qname(&c, c.tag_name().namespace(), ctag);
            let cid = own(&c, "id").unwrap_or(id);
            errors.push(err(Some(cid), &kind, format!("trong “{id}” ({tag}): {why}")));
        }
    }
}

/// A list of roles, or of one person, written as a fixed value; an expression is refused.
fn fixed_list(value: &str, what: &str) -> Result<Option<String>, String> {
    let v = value.trim();
    if v.starts_with('=') || v.contains("${") || v.contains("#{") {
        return Err(format!("{what} “{v}” là biểu thức; chỉ hỗ trợ giá trị cố định"));
    }
    let items: Vec<&str> = v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    Ok((!items.is_empty()).then(|| items.join(",")))
}

fn child<'a>(el: &X<'a, 'a>, tag: &str) -> Option<X<'a, 'a>> {
    el.children().find(|c| c.tag_name().name() == tag)
}

fn read_flow(el: &X, id: String, name: String, errors: &mut Errors) -> Flow {
    let expr = child(el, "conditionExpression");
    if let Some(lang) = expr.as_ref().and_then(|c| attr(c, "language")) {
        let l = lang.to_ascii_lowercase();
        if !(l.contains("juel") || l.contains("feel")) {
            errors.push(err(
                Some(&id),
                "sequenceFlow",
                format!(
                    "điều kiện viết bằng ngôn ngữ “{lang}” không được hỗ trợ (chỉ ${{…}} và FEEL)"
                ),
            ));
        }
    }
    let condition =
        expr.and_then(|c| c.text()).map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    if let Some(c) = &condition {
        if let Err(m) = condition::parse(c) {
            errors.push(err(
                Some(&id),
                "sequenceFlow",
                format!("điều kiện “{c}” không đọc được: {m}"),
            ));
        }
    }
    Flow {
        id,
        name,
        source: own(el, "sourceRef").unwrap_or("").to_string(),
        target: own(el, "targetRef").unwrap_or("").to_string(),
        condition,
    }
}

fn read_node(
    el: &X,
    id: &str,
    lane_of: &HashMap<String, String>,
    errors: &mut Errors,
) -> Option<NodeKind> {
    let tag = el.tag_name().name();
    let mut refuse = |why: String| {
        errors.push(err(Some(id), tag, why));
        None
    };
    let definition = el
        .children()
        .find(|c| c.tag_name().name().ends_with("EventDefinition"))
        .map(|c| c.tag_name().name());
    match tag {
        "endEvent" if definition == Some("terminateEventDefinition") => {
            Some(NodeKind::TerminateEnd)
        }
        "endEvent" if definition == Some("escalationEventDefinition") => match escalation_code(el) {
            Ok(code) => Some(NodeKind::EscalationEnd { code }),
            Err(why) => refuse(why),
        },
        "boundaryEvent" if definition == Some("escalationEventDefinition") => {
            match escalation_code(el) {
                Ok(code) => Some(NodeKind::EscalationBoundary {
                    attached_to: own(el, "attachedToRef").unwrap_or("").to_string(),
                    code,
                    interrupting: own(el, "cancelActivity") != Some("false"),
                }),
                Err(why) => refuse(why),
            }
        }
        "endEvent" if definition == Some("errorEventDefinition") => {
            match error_code(el, child(el, "errorEventDefinition").as_ref()) {
                Ok(code) => Some(NodeKind::ErrorEnd { code }),
                Err(why) => refuse(why),
            }
        }
        "startEvent" if definition == Some("messageEventDefinition") => {
            match child(el, "messageEventDefinition").map(|d| read_message(el, &d)) {
                Some(Ok(NodeKind::MessageCatch { message, key: None, .. })) => {
                    Some(NodeKind::MessageStart { message })
                }
                Some(Ok(_)) => refuse(
                    "khóa đối chiếu trên sự kiện bắt đầu không có nghĩa: chưa có lượt nào để đối chiếu".into(),
                ),
                Some(Err(why)) => refuse(why),
                None => None,
            }
        }
        "startEvent" | "endEvent" if definition.is_some() => refuse(format!(
            "sự kiện có định nghĩa “{}” chưa được hỗ trợ; chỉ hỗ trợ sự kiện bắt đầu/kết thúc thường",
            definition.unwrap_or_default()
        )),
        "startEvent" => Some(NodeKind::StartEvent),
        "subProcess" if own(el, "triggeredByEvent") == Some("true") => refuse(
            "quy trình con theo sự kiện (event sub-process) chưa được hỗ trợ".into(),
        ),
        // Its start event is known once its elements are read (`check::graph`).
        "subProcess" => Some(NodeKind::SubProcess { start: String::new() }),
        "callActivity" => call::read(el).or_else(|why| refuse(why).ok_or(())).ok(),
        "endEvent" => Some(NodeKind::EndEvent),
        "task" | "manualTask" => Some(NodeKind::PassThrough),
        "userTask" => read_user_task(el, id, lane_of).or_else(|why| refuse(why).ok_or(())).ok(),
        "serviceTask" => read_service_task(el).or_else(|why| refuse(why).ok_or(())).ok(),
        "receiveTask" => read_message(el, el).or_else(|why| refuse(why).ok_or(())).ok(),
        "intermediateThrowEvent" => match definition {
            None => Some(NodeKind::ThrowEvent),
            Some("linkEventDefinition") => match link_name(el) {
                Ok(name) => Some(NodeKind::LinkThrow { name }),
                Err(why) => refuse(why),
            },
            Some("escalationEventDefinition") => match escalation_code(el) {
                Ok(code) => Some(NodeKind::EscalationThrow { code }),
                Err(why) => refuse(why),
            },
            Some(d) => refuse(format!(
                "sự kiện ném trung gian chỉ hỗ trợ loại không có định nghĩa (mốc), liên kết (link) và báo cấp trên (escalation), không hỗ trợ “{d}”"
            )),
        },
        "intermediateCatchEvent" if definition == Some("linkEventDefinition") => {
            match link_name(el) {
                Ok(name) => Some(NodeKind::LinkCatch { name }),
                Err(why) => refuse(why),
            }
        }
        "intermediateCatchEvent" => {
            match (child(el, "messageEventDefinition"), child(el, "timerEventDefinition")) {
                (Some(def), _) => read_message(el, &def).or_else(|why| refuse(why).ok_or(())).ok(),
                (None, Some(timer)) => match read_timer(el, &timer) {
                    Ok(t) if t.cycle.is_some() => refuse(
                        "chu kỳ (timeCycle) chỉ có nghĩa trên hẹn giờ biên không ngắt; sự kiện chờ chỉ chờ một lần".into(),
                    ),
                    Ok(t) => Some(NodeKind::TimerCatch {
                        days: t.days,
                        calendar: t.calendar,
                        date: t.date,
                    }),
                    Err(why) => refuse(why),
                },
                (None, None) => refuse(format!(
                    "sự kiện chờ trung gian chỉ hỗ trợ thông điệp (message) và hẹn giờ (timer), không hỗ trợ “{}”",
                    definition.unwrap_or("không có định nghĩa")
                )),
            }
        }
        "exclusiveGateway" => {
            Some(NodeKind::ExclusiveGateway { default: own(el, "default").map(str::to_string) })
        }
        "parallelGateway" => Some(NodeKind::ParallelGateway),
        // A gateway that starts instances, or waits for all its events, is another construct.
        "eventBasedGateway" if own(el, "instantiate") == Some("true") => refuse(
            "cổng theo sự kiện khởi tạo quy trình (instantiate=\"true\") chưa được hỗ trợ".into(),
        ),
        "eventBasedGateway" if own(el, "eventGatewayType").is_some_and(|t| t != "Exclusive") => {
            refuse("cổng theo sự kiện kiểu song song (eventGatewayType=\"Parallel\") chưa được hỗ trợ".into())
        }
        "eventBasedGateway" => Some(NodeKind::EventGateway),
        "inclusiveGateway" => {
            Some(NodeKind::InclusiveGateway { default: own(el, "default").map(str::to_string) })
        }
        "boundaryEvent" if definition == Some("errorEventDefinition") => {
            match read_error_boundary(el) {
                Ok(kind) => Some(kind),
                Err(why) => refuse(why),
            }
        }
        "boundaryEvent" if definition == Some("messageEventDefinition") => {
            let def = child(el, "messageEventDefinition");
            match def.as_ref().map(|d| read_message(el, d)) {
                Some(Ok(NodeKind::MessageCatch { message, key, .. })) => {
                    Some(NodeKind::MessageBoundary {
                        attached_to: own(el, "attachedToRef").unwrap_or("").to_string(),
                        message,
                        key,
                        interrupting: own(el, "cancelActivity") != Some("false"),
                    })
                }
                Some(Err(why)) => refuse(why),
                _ => None,
            }
        }
        "boundaryEvent" => {
            let timer = child(el, "timerEventDefinition");
            let Some(timer) = timer else {
                return refuse(match definition {
                    Some(d) => format!("chỉ hỗ trợ sự kiện biên hẹn giờ, thông điệp, lỗi và báo cấp trên, không hỗ trợ “{d}”"),
                    None => "sự kiện biên không có định nghĩa sự kiện".into(),
                });
            };
            let attached_to = own(el, "attachedToRef").unwrap_or("").to_string();
            let interrupting = own(el, "cancelActivity") != Some("false");
            match read_timer(el, &timer) {
                Ok(t) if t.cycle.is_some() && interrupting => refuse(
                    "chu kỳ (timeCycle) chỉ có nghĩa trên hẹn giờ không ngắt (cancelActivity=\"false\"): hẹn giờ ngắt chỉ nổ một lần".into(),
                ),
                Ok(t) => Some(NodeKind::TimerBoundary {
                    attached_to,
                    days: t.days,
                    interrupting,
                    calendar: t.calendar,
                    date: t.date,
                    cycle: t.cycle,
                }),
                Err(why) => refuse(why),
            }
        }
        other => refuse(format!("loại phần tử “{other}” chưa được hỗ trợ")),
    }
}

fn read_user_task(el: &X, id: &str, lane_of: &HashMap<String, String>) -> Result<NodeKind, String> {
    let zeebe = el.descendants().find(|n| {
        n.tag_name().name() == "assignmentDefinition"
            && n.tag_name().namespace() == Some(vocab::ZEEBE_NS)
    });
    let groups = ns_attr(el, vocab::CAMUNDA_NS, "candidateGroups")
        .or_else(|| own(el, "candidateGroups"))
        .or_else(|| zeebe.as_ref().and_then(|z| attr(z, "candidateGroups")));
    let assignee = ns_attr(el, vocab::CAMUNDA_NS, "assignee")
        .or_else(|| zeebe.as_ref().and_then(|z| attr(z, "assignee")));
    let role = match groups {
        Some(g) => fixed_list(g, "candidateGroups")?,
        None => lane_of.get(id).cloned().filter(|r| !r.is_empty()),
    };
    let assignee = match assignee {
        Some(a) => fixed_list(a, "assignee")?,
        None => None,
    };
    if assignee.as_deref().is_some_and(|a| a.contains(',')) {
        return Err("assignee chỉ được là một người".into());
    }
    let days = match own(el, "dueDays") {
        Some(d) => Some(
            d.trim()
                .parse::<f64>()
                .ok()
                .filter(|d| *d > 0.0)
                .ok_or_else(|| format!("dueDays “{d}” không phải số ngày làm việc dương"))?,
        ),
        None => None,
    };
    let multi = match child(el, "multiInstanceLoopCharacteristics") {
        Some(m) => Some(multi::read(&m)?),
        None => None,
    };
    let repeat = match child(el, "standardLoopCharacteristics") {
        Some(_) if multi.is_some() => {
            return Err("một công việc không được vừa nhiều phiên vừa lặp chuẩn".into())
        }
        Some(l) => Some(multi::read_standard(&l)?),
        None => None,
    };
    Ok(NodeKind::UserTask {
        role,
        days,
        agency: own(el, "agency").map(|a| a.trim().to_string()).filter(|a| !a.is_empty()),
        assignee,
        multi,
        repeat,
    })
}

fn read_service_task(el: &X) -> Result<NodeKind, String> {
    if let Some(t) = el.descendants().find(|n| {
        n.tag_name().name() == "taskDefinition" && n.tag_name().namespace() == Some(vocab::ZEEBE_NS)
    }) {
        let kind = fixed(attr(&t, "type").unwrap_or(""), "zeebe:taskDefinition type")?;
        let retries = match attr(&t, "retries").map(str::trim) {
            None | Some("") => 3,
            Some(r) => {
                r.parse::<i64>().ok().filter(|n| (0..=1000).contains(n)).ok_or_else(|| {
                    format!("zeebe:taskDefinition retries “{r}” phải là số nguyên từ 0 đến 1000")
                })?
            }
        };
        return Ok(NodeKind::ExternalTask { topic: kind, retries: Some(retries) });
    }
    if let Some(t) = ns_attr(el, vocab::CAMUNDA_NS, "type") {
        return match t {
            "external" => {
                let topic = ns_attr(el, vocab::CAMUNDA_NS, "topic").unwrap_or("");
                let topic = fixed(topic, "camunda:topic")?;
                Ok(NodeKind::ExternalTask { topic, retries: None })
            }
            other => Err(format!("camunda:type=\"{other}\" không được hỗ trợ")),
        };
    }
    match own(el, "type") {
        Some(h) if !h.trim().is_empty() => {
            Ok(NodeKind::ServiceTask { handler: h.trim().to_string() })
        }
        _ => {
            Err("serviceTask cần thuộc tính cqdt:type (loại xử lý đã đăng ký trên nền tảng)".into())
        }
    }
}

/// A job topic or type written as a fixed name; an expression (`${…}`, FEEL `=…`) is refused,
/// since workers ask for topics by name.
fn fixed(value: &str, what: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("{what} trống: worker không biết nhận việc này theo tên nào"));
    }
    if v.starts_with('=') || v.contains("${") || v.contains("#{") {
        return Err(format!("{what} “{v}” là biểu thức; chỉ hỗ trợ tên cố định"));
    }
    Ok(v.to_string())
}

fn read_layout(root: &X) -> Layout {
    let mut layout = Layout::default();
    let num = |n: &X, k: &str| attr(n, k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    for shape in root.descendants().filter(|n| n.tag_name().name() == "BPMNShape") {
        let Some(el) = attr(&shape, "bpmnElement") else {
            continue;
        };
        if let Some(b) = child(&shape, "Bounds") {
            layout.shapes.insert(
                el.to_string(),
                (num(&b, "x"), num(&b, "y"), num(&b, "width"), num(&b, "height")),
            );
        }
    }
    for edge in root.descendants().filter(|n| n.tag_name().name() == "BPMNEdge") {
        let Some(el) = attr(&edge, "bpmnElement") else {
            continue;
        };
        let points = edge
            .children()
            .filter(|c| c.tag_name().name() == "waypoint")
            .map(|w| (num(&w, "x"), num(&w, "y")))
            .collect();
        layout.edges.insert(el.to_string(), points);
    }
    layout
}
