//! Events that refer to something: error and escalation codes, timers, messages.

use std::collections::BTreeMap;

use roxmltree::Node as X;

use super::{attr, child, err, fixed, own, vocab, Timing};
use crate::model::{duration, BpmnError, Flow, Node, NodeKind};

/// An error boundary event: always interrupting; catches the `errorCode` of the `error` its
/// `errorRef` names, or every error without one.
pub(super) fn read_error_boundary(el: &X) -> Result<NodeKind, String> {
    if own(el, "cancelActivity") == Some("false") {
        return Err(
            "sự kiện biên bắt lỗi luôn ngắt công việc (cancelActivity=\"false\" không có nghĩa)"
                .into(),
        );
    }
    let attached_to = own(el, "attachedToRef").unwrap_or("").to_string();
    let def = child(el, "errorEventDefinition");
    // camunda:errorCodeVariable and the like would set variables the engine does not set.
    if let Some(a) =
        def.iter().flat_map(|d| d.attributes()).find(|a| !matches!(a.name(), "id" | "errorRef"))
    {
        return Err(format!("errorEventDefinition: thuộc tính “{}” chưa được hỗ trợ", a.name()));
    }
    let code = error_code(el, def.as_ref())?;
    Ok(NodeKind::ErrorBoundary { attached_to, code })
}

/// The `errorCode` of the error an `errorEventDefinition` refers to (none: every error).
pub(super) fn error_code(el: &X, def: Option<&X>) -> Result<Option<String>, String> {
    referred_code(el, def, ("errorRef", "error", "errorCode"))
}

/// The code of what an event definition refers to: (reference attribute, element, code
/// attribute), e.g. `errorRef` → `error` → `errorCode`; none when it refers to nothing.
fn referred_code(
    el: &X,
    def: Option<&X>,
    (by, tag, code): (&str, &str, &str),
) -> Result<Option<String>, String> {
    Ok(match def.and_then(|d| own(d, by)).map(str::trim) {
        None | Some("") => None,
        Some(r) => {
            let root = el.document().root_element();
            let Some(target) =
                root.children().find(|m| m.tag_name().name() == tag && own(m, "id") == Some(r))
            else {
                return Err(format!("{by} “{r}” không chỉ tới {tag} nào trong tệp"));
            };
            match own(&target, code).map(str::trim).filter(|c| !c.is_empty()) {
                Some(c) if c.starts_with('=') || c.contains("${") => {
                    return Err(format!("{code} “{c}” là biểu thức; chỉ hỗ trợ mã cố định"))
                }
                Some(c) => Some(c.to_string()),
                None => return Err(format!("{tag} “{r}” không có {code} để đối chiếu")),
            }
        }
    })
}

/// The `escalationCode` an `escalationEventDefinition` refers to (none: every escalation).
pub(super) fn escalation_code(el: &X) -> Result<Option<String>, String> {
    let def = child(el, "escalationEventDefinition");
    referred_code(el, def.as_ref(), ("escalationRef", "escalation", "escalationCode"))
}

/// A timer's timing: one of `timeDuration` (working days with `cqdt:calendar="working"`, else
/// calendar time as BPMN means a duration), `timeDate` (an instant) or `timeCycle` (a
/// repeating interval); the last two in calendar time only.
pub(super) fn read_timer(el: &X, timer: &X) -> Result<Timing, String> {
    let parts: Vec<(&str, &str)> = ["timeDuration", "timeDate", "timeCycle"]
        .into_iter()
        .filter_map(|t| child(timer, t).map(|c| (t, c.text().unwrap_or(""))))
        .collect();
    let &[(kind, text)] = parts.as_slice() else {
        return Err(
            "hẹn giờ cần đúng một trong timeDuration (ví dụ PT1H, P3D), timeDate hoặc timeCycle"
                .into(),
        );
    };
    let none = Timing { days: 0.0, calendar: None, date: None, cycle: None };
    match (kind, own(el, "calendar")) {
        (_, Some(other)) if other != "working" => Err(format!(
            "cqdt:calendar=“{other}” không có; chỉ có “working” (tính theo ngày làm việc)"
        )),
        ("timeDuration", None) => {
            duration::calendar_time(text).map(|c| Timing { calendar: Some(c), ..none })
        }
        ("timeDuration", Some(_)) => {
            duration::working_days(text).map(|days| Timing { days, ..none })
        }
        (k, Some(_)) => Err(format!(
            "{k} tính theo lịch thường; cqdt:calendar=\"working\" chỉ dùng với timeDuration"
        )),
        ("timeDate", None) => duration::time_date(text)
            .map(|at| Timing { date: Some(cqdt_platform::clock::format_ts(at)), ..none }),
        (_, None) => duration::time_cycle(text).map(|c| Timing { cycle: Some(c), ..none }),
    }
}

/// What a receive task or message catch event waits for: the `message` its `messageRef` (on
/// `holder`) names, by that message's name, and the correlation key variable of a Zeebe
/// subscription on the message.
pub(super) fn read_message(el: &X, holder: &X) -> Result<NodeKind, String> {
    let event = el.tag_name().name() == "intermediateCatchEvent";
    let Some(r) = own(holder, "messageRef").map(str::trim).filter(|r| !r.is_empty()) else {
        return Err("cần messageRef chỉ tới một thông điệp (message) để biết chờ gì".into());
    };
    let root = el.document().root_element();
    let Some(msg) =
        root.children().find(|m| m.tag_name().name() == "message" && own(m, "id") == Some(r))
    else {
        return Err(format!("thông điệp “{r}” không có trong tệp"));
    };
    let name = own(&msg, "name").map(str::trim).unwrap_or("");
    let message = fixed(name, &format!("tên (name) của thông điệp “{r}”"))?;
    let sub = msg.descendants().find(|n| {
        n.tag_name().name() == "subscription" && n.tag_name().namespace() == Some(vocab::ZEEBE_NS)
    });
    let key = match sub.and_then(|s| attr(&s, "correlationKey")).map(str::trim) {
        None => None,
        Some(k) => {
            let var = k.strip_prefix('=').map(str::trim).unwrap_or("");
            let plain = !var.is_empty()
                && var.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !var.starts_with(|c: char| c.is_ascii_digit());
            if !plain {
                return Err(format!(
                    "zeebe:subscription correlationKey “{k}” của thông điệp “{r}”: chỉ hỗ trợ dạng =tên_biến"
                ));
            }
            Some(var.to_string())
        }
    };
    Ok(NodeKind::MessageCatch { message, key, event })
}

/// The name of a link event (its `linkEventDefinition`'s `name`).
pub(super) fn link_name(el: &X) -> Result<String, String> {
    let def = child(el, "linkEventDefinition");
    match def.as_ref().and_then(|d| own(d, "name")).map(str::trim) {
        Some(n) if !n.is_empty() => Ok(n.to_string()),
        _ => {
            Err("sự kiện liên kết (link) cần tên (name) để nối sự kiện ném với sự kiện bắt".into())
        }
    }
}

/// Wires each link throw event to the one link catch event of its name in its scope, as a
/// flow `link#<throw id>`; a throw with no such catch or several, and a catch no throw
/// reaches, are refused by id.
pub(super) fn wire_links(
    nodes: &BTreeMap<String, Node>,
    flows: &mut BTreeMap<String, Flow>,
    order: &mut Vec<String>,
    errors: &mut Vec<BpmnError>,
) {
    let named = |n: &Node| match &n.kind {
        NodeKind::LinkCatch { name } => Some(name.clone()),
        _ => None,
    };
    let mut reached = std::collections::HashSet::new();
    for t in nodes.values() {
        let NodeKind::LinkThrow { name } = &t.kind else {
            continue;
        };
        let catches: Vec<&Node> = nodes
            .values()
            .filter(|c| named(c).as_ref() == Some(name) && c.scope == t.scope)
            .collect();
        let [catch] = catches.as_slice() else {
            let why = format!(
                "liên kết “{name}” cần đúng một sự kiện bắt liên kết cùng tên ở cùng cấp, có {}",
                catches.len()
            );
            errors.push(err(Some(&t.id), "intermediateThrowEvent", why));
            continue;
        };
        reached.insert(catch.id.clone());
        let id = format!("link#{}", t.id);
        let flow = Flow {
            id: id.clone(),
            name: String::new(),
            source: t.id.clone(),
            target: catch.id.clone(),
            condition: None,
        };
        flows.insert(id.clone(), flow);
        order.push(id);
    }
    for c in nodes.values().filter(|c| named(c).is_some() && !reached.contains(&c.id)) {
        let why = "không sự kiện ném liên kết nào cùng tên ở cùng cấp dẫn tới đây";
        errors.push(err(Some(&c.id), "intermediateCatchEvent", why));
    }
}
