//! Checks of the process graph once its elements are read: flows join known nodes, every
//! node has the flows its kind needs, conditions sit where they have a meaning. Outgoing
//! flows are wired in document order, which is the order an exclusive gateway tries them.

use std::collections::BTreeMap;

use super::{BpmnError, Flow, Node, NodeKind};

/// The BPMN element type of a node's kind.
pub(crate) fn kind_name(k: &NodeKind) -> &'static str {
    match k {
        NodeKind::StartEvent | NodeKind::MessageStart { .. } => "startEvent",
        NodeKind::EndEvent
        | NodeKind::TerminateEnd
        | NodeKind::ErrorEnd { .. }
        | NodeKind::EscalationEnd { .. } => "endEvent",
        NodeKind::UserTask { .. } => "userTask",
        NodeKind::PassThrough => "task",
        NodeKind::ThrowEvent | NodeKind::LinkThrow { .. } | NodeKind::EscalationThrow { .. } => {
            "intermediateThrowEvent"
        }
        NodeKind::LinkCatch { .. } => "intermediateCatchEvent",
        NodeKind::ServiceTask { .. } | NodeKind::ExternalTask { .. } => "serviceTask",
        NodeKind::MessageCatch { event: false, .. } => "receiveTask",
        NodeKind::MessageCatch { event: true, .. } | NodeKind::TimerCatch { .. } => {
            "intermediateCatchEvent"
        }
        NodeKind::ExclusiveGateway { .. } => "exclusiveGateway",
        NodeKind::ParallelGateway => "parallelGateway",
        NodeKind::InclusiveGateway { .. } => "inclusiveGateway",
        NodeKind::EventGateway => "eventBasedGateway",
        NodeKind::SubProcess { .. } => "subProcess",
        NodeKind::CallActivity { .. } => "callActivity",
        NodeKind::TimerBoundary { .. }
        | NodeKind::ErrorBoundary { .. }
        | NodeKind::EscalationBoundary { .. }
        | NodeKind::MessageBoundary { .. } => "boundaryEvent",
    }
}

/// Wires flows into nodes (in `order`, the document's) and checks the graph; returns the
/// start event's id when there is exactly one.
pub(super) fn graph(
    key: &str,
    nodes: &mut BTreeMap<String, Node>,
    flows: &BTreeMap<String, Flow>,
    order: &[String],
    errors: &mut Vec<BpmnError>,
) -> Option<String> {
    let flow_err = |f: &Flow, m: String| BpmnError::new(Some(&f.id), Some("sequenceFlow"), m);
    for f in order.iter().filter_map(|id| flows.get(id)) {
        for (end, which) in [(&f.source, "nguồn"), (&f.target, "đích")] {
            if !nodes.contains_key(end) {
                errors.push(flow_err(
                    f,
                    format!("{which} “{end}” không phải phần tử được hỗ trợ trong quy trình"),
                ));
            }
        }
        if let Some(n) = nodes.get_mut(&f.source) {
            n.outgoing.push(f.id.clone());
        }
        if let Some(n) = nodes.get_mut(&f.target) {
            n.incoming.push(f.id.clone());
        }
        let from_gateway = nodes.get(&f.source).is_some_and(|n| {
            matches!(n.kind, NodeKind::ExclusiveGateway { .. } | NodeKind::InclusiveGateway { .. })
        });
        if f.condition.is_some() && !from_gateway && nodes.contains_key(&f.source) {
            errors.push(flow_err(
                f,
                "điều kiện chỉ được hỗ trợ trên luồng ra của cổng rẽ nhánh (exclusiveGateway) hoặc cổng bao hàm (inclusiveGateway)"
                    .into(),
            ));
        }
    }
    for f in order.iter().filter_map(|id| flows.get(id)) {
        let scope = |n: &str| nodes.get(n).map(|n| n.scope.clone());
        if let (Some(a), Some(b)) = (scope(&f.source), scope(&f.target)) {
            if a != b {
                errors.push(flow_err(
                    f,
                    "luồng không được đi xuyên ranh giới quy trình con (subProcess)".into(),
                ));
            }
        }
    }
    let starts_in = |nodes: &BTreeMap<String, Node>, scope: Option<&str>| -> Vec<String> {
        nodes
            .values()
            .filter(|n| {
                matches!(n.kind, NodeKind::StartEvent | NodeKind::MessageStart { .. })
                    && n.scope.as_deref() == scope
            })
            .map(|n| n.id.clone())
            .collect()
    };
    let starts = starts_in(nodes, None);
    if starts.len() != 1 {
        errors.push(BpmnError::new(
            Some(key).filter(|k| !k.is_empty()),
            Some("process"),
            format!(
                "quy trình cần đúng một sự kiện bắt đầu, có {} ({})",
                starts.len(),
                starts.join(", ")
            ),
        ));
    }
    let inner: Vec<String> = nodes
        .values()
        .filter(|n| matches!(n.kind, NodeKind::SubProcess { .. }))
        .map(|n| n.id.clone())
        .collect();
    for sub in inner {
        let found = starts_in(nodes, Some(&sub));
        if found.len() != 1 {
            errors.push(BpmnError::new(
                Some(&sub),
                Some("subProcess"),
                format!(
                    "quy trình con cần đúng một sự kiện bắt đầu, có {} ({})",
                    found.len(),
                    found.join(", ")
                ),
            ));
        }
        if let (Some(n), Some(start)) = (nodes.get_mut(&sub), found.first()) {
            n.kind = NodeKind::SubProcess { start: start.clone() };
        }
    }
    for n in nodes.values() {
        node(n, nodes, flows, errors);
    }
    (starts.len() == 1).then(|| starts[0].clone())
}

fn node(
    n: &Node,
    nodes: &BTreeMap<String, Node>,
    flows: &BTreeMap<String, Flow>,
    errors: &mut Vec<BpmnError>,
) {
    let (ins, outs) = (n.incoming.len(), n.outgoing.len());
    let kind = kind_name(&n.kind);
    let mut push = |m: String| errors.push(BpmnError::new(Some(&n.id), Some(kind), m));
    let task = matches!(
        n.kind,
        NodeKind::UserTask { .. }
            | NodeKind::ServiceTask { .. }
            | NodeKind::ExternalTask { .. }
            | NodeKind::MessageCatch { .. }
            | NodeKind::TimerCatch { .. }
            | NodeKind::PassThrough
            | NodeKind::SubProcess { .. }
            | NodeKind::CallActivity { .. }
    );
    let problem = match &n.kind {
        NodeKind::StartEvent | NodeKind::MessageStart { .. } if outs != 1 => {
            Some("sự kiện bắt đầu cần đúng một luồng ra")
        }
        NodeKind::StartEvent | NodeKind::MessageStart { .. } if ins != 0 => {
            Some("sự kiện bắt đầu không được có luồng vào")
        }
        // A stage starts when its token arrives, not on a message.
        NodeKind::MessageStart { .. } if n.scope.is_some() => {
            Some("sự kiện bắt đầu bằng thông điệp trong quy trình con chưa được hỗ trợ")
        }
        NodeKind::EndEvent
        | NodeKind::TerminateEnd
        | NodeKind::ErrorEnd { .. }
        | NodeKind::EscalationEnd { .. }
            if outs != 0 =>
        {
            Some("sự kiện kết thúc không được có luồng ra")
        }
        // Inside a stage it would end only the stage (BPMN), not the instance as here.
        NodeKind::TerminateEnd if n.scope.is_some() => {
            Some("sự kiện kết thúc hủy (terminate) trong quy trình con chưa được hỗ trợ")
        }
        // A link's flows are the ones wired from its throw events to its catch event.
        NodeKind::ThrowEvent | NodeKind::EscalationThrow { .. } if outs != 1 || ins == 0 => {
            Some("sự kiện trung gian cần luồng vào và đúng một luồng ra")
        }
        NodeKind::LinkThrow { .. } if ins == 0 || !n.outgoing.iter().all(|f| is_link(f)) => {
            Some("sự kiện ném liên kết cần luồng vào và không được có luồng ra")
        }
        NodeKind::LinkCatch { .. } if outs != 1 || !n.incoming.iter().all(|f| is_link(f)) => {
            Some("sự kiện bắt liên kết cần đúng một luồng ra và không được có luồng vào")
        }
        _ if task && outs != 1 => {
            Some("công việc cần đúng một luồng ra (dùng cổng để rẽ nhánh hoặc chạy song song)")
        }
        _ if task && ins == 0 => Some("công việc không có luồng vào"),
        NodeKind::ExclusiveGateway { .. }
        | NodeKind::ParallelGateway
        | NodeKind::InclusiveGateway { .. }
            if outs == 0 || ins == 0 =>
        {
            Some("cổng cần luồng vào và luồng ra")
        }
        NodeKind::EventGateway if outs < 2 || ins == 0 => {
            Some("cổng theo sự kiện cần luồng vào và ít nhất hai luồng ra")
        }
        NodeKind::TimerBoundary { .. } if outs != 1 => Some("hẹn giờ cần đúng một luồng ra"),
        NodeKind::ErrorBoundary { .. }
        | NodeKind::EscalationBoundary { .. }
        | NodeKind::MessageBoundary { .. }
            if outs != 1 =>
        {
            Some("sự kiện biên cần đúng một luồng ra")
        }
        NodeKind::TimerBoundary { .. }
        | NodeKind::ErrorBoundary { .. }
        | NodeKind::EscalationBoundary { .. }
        | NodeKind::MessageBoundary { .. }
            if ins != 0 =>
        {
            Some("sự kiện biên không được có luồng vào")
        }
        _ => None,
    };
    if let Some(p) = problem {
        push(p.to_string());
    }
    if let NodeKind::TimerBoundary { attached_to, .. } = &n.kind {
        match nodes.get(attached_to).map(|a| &a.kind) {
            Some(
                NodeKind::UserTask { multi: None, repeat: None, .. }
                | NodeKind::SubProcess { .. }
                | NodeKind::CallActivity { .. },
            ) => {}
            Some(NodeKind::UserTask { repeat: Some(_), .. }) => push(format!(
                "hẹn giờ trên công việc lặp (“{attached_to}”) chưa được hỗ trợ"
            )),
            // A timer watches one task; on a multi-instance activity it would have to watch
            // the whole activity, which the engine does not do yet.
            Some(NodeKind::UserTask { multi: Some(_), .. }) => push(format!(
                "hẹn giờ trên công việc nhiều phiên (“{attached_to}”) chưa được hỗ trợ"
            )),
            _ => push(format!(
                "hẹn giờ phải gắn vào một công việc của người dùng, quy trình con hoặc bước gọi quy trình (ở đây “{attached_to}”)"
            )),
        }
    }
    if let NodeKind::MessageBoundary { attached_to, .. } = &n.kind {
        // The wait hangs on the task's row: one message wait a row (a person's task, or a
        // stage).
        match nodes.get(attached_to).map(|a| &a.kind) {
            Some(
                NodeKind::UserTask { multi: None, repeat: None, .. } | NodeKind::SubProcess { .. },
            ) => {}
            _ => push(format!(
                "sự kiện biên thông điệp chỉ gắn được vào công việc của người dùng (không nhiều phiên, không lặp) hoặc quy trình con (ở đây “{attached_to}”)"
            )),
        }
        let others = nodes.values().filter(|o| {
            matches!(&o.kind, NodeKind::MessageBoundary { attached_to: a, .. } if a == attached_to)
        });
        if others.count() > 1 {
            push(format!("“{attached_to}” chỉ được có một sự kiện biên thông điệp"));
        }
    }
    if let NodeKind::EscalationBoundary { attached_to, .. } = &n.kind {
        if !matches!(nodes.get(attached_to).map(|a| &a.kind), Some(NodeKind::SubProcess { .. })) {
            push(format!(
                "sự kiện báo cấp trên chỉ gắn được vào quy trình con (ở đây “{attached_to}”)"
            ));
        }
    }
    if let NodeKind::ErrorBoundary { attached_to, .. } = &n.kind {
        // A worker throws a BPMN error (the job API's bpmn-error), an error end event inside
        // a stage does.
        let on = nodes.get(attached_to).map(|a| &a.kind);
        if !matches!(on, Some(NodeKind::ExternalTask { .. } | NodeKind::SubProcess { .. })) {
            push(format!(
                "sự kiện bắt lỗi chỉ gắn được vào việc tự động do worker làm hoặc quy trình con (ở đây “{attached_to}”)"
            ));
        }
    }
    if n.kind == NodeKind::EventGateway {
        // Each way out waits for one event, and only for this gateway's token.
        for f in n.outgoing.iter().filter_map(|f| flows.get(f)) {
            let target = nodes.get(&f.target);
            let waits = target.is_some_and(|t| {
                matches!(t.kind, NodeKind::MessageCatch { .. } | NodeKind::TimerCatch { .. })
            });
            if !waits {
                push(format!(
                    "sau cổng theo sự kiện chỉ được là sự kiện chờ thông điệp hoặc hẹn giờ (hay receiveTask); “{}” thì không",
                    f.target
                ));
            } else if target.is_some_and(|t| t.incoming.len() != 1) {
                push(format!(
                    "sự kiện chờ “{}” sau cổng theo sự kiện không được có luồng vào nào khác",
                    f.target
                ));
            }
        }
    }
    let default = match &n.kind {
        NodeKind::ExclusiveGateway { default } | NodeKind::InclusiveGateway { default } => {
            default.as_ref()
        }
        _ => None,
    };
    if let Some(d) = default {
        if !n.outgoing.contains(d) {
            push(format!("luồng mặc định “{d}” không đi ra từ cổng này"));
        }
    }
    // An inclusive gateway's flow without a condition is always taken, as BPMN says; out of
    // an exclusive gateway it would be taken or not by its place in the document.
    if let NodeKind::ExclusiveGateway { default } = &n.kind {
        if outs > 1 {
            for fid in &n.outgoing {
                if flows[fid].condition.is_none() && default.as_deref() != Some(fid.as_str()) {
                    errors.push(BpmnError::new(
                        Some(fid),
                        Some("sequenceFlow"),
                        format!(
                            "luồng ra của cổng rẽ nhánh “{}” cần điều kiện hoặc là luồng mặc định",
                            n.id
                        ),
                    ));
                }
            }
        }
    }
}

/// Whether a flow is one wired from a link throw event to its catch event (`link#<id>`: an
/// XML id cannot hold `#`).
pub(crate) fn is_link(flow: &str) -> bool {
    flow.starts_with("link#")
}
