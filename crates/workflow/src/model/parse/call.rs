//! A call activity, as BPMN (`calledElement`), Camunda 7 (`camunda:in`/`camunda:out`,
//! `camunda:calledElementBinding`) and Camunda 8 (`zeebe:calledElement`) write it. Which
//! variables cross follows the dialect the file was drawn for, since the engines differ:
//! Camunda 7 passes only what `camunda:in`/`camunda:out` list (nothing without them); Camunda
//! 8 passes every variable in and, unless `propagateAllChildVariables="false"`, every one
//! back; a file for neither passes every variable both ways, as Camunda 8 does. What none of
//! them means exactly here (an expression for the process, a version binding, a business key
//! or a local mapping) is refused by name.

use roxmltree::Node as X;

use super::{fixed, ns_attr, own, vocab, Dialect};
use crate::model::{Mapping, NodeKind};

/// The Camunda Modeler's namespace, where it writes the engine a file is drawn for.
const MODELER_NS: &str = "http://camunda.org/schema/modeler/1.0";

/// Reads a call activity; `Err` says why it is refused.
pub(super) fn read(el: &X) -> Result<NodeKind, String> {
    let zeebe = el.descendants().find(|n| {
        n.tag_name().name() == "calledElement" && n.tag_name().namespace() == Some(vocab::ZEEBE_NS)
    });
    if let Some(z) = zeebe {
        return read_zeebe(el, &z);
    }
    let called = own(el, "calledElement").unwrap_or("");
    let called = fixed(called, "calledElement (quy trình được gọi)")?;
    if let Some(b) = ns_attr(el, vocab::CAMUNDA_NS, "calledElementBinding") {
        if b != "latest" {
            return Err(format!(
                "camunda:calledElementBinding=\"{b}\" chưa được hỗ trợ: bước gọi luôn chạy phiên bản mới nhất (latest)"
            ));
        }
    }
    let mappings: Vec<X> = el
        .children()
        .filter(|c| c.tag_name().name() == "extensionElements")
        .flat_map(|x| x.children())
        .filter(|c| {
            c.tag_name().namespace() == Some(vocab::CAMUNDA_NS)
                && matches!(c.tag_name().name(), "in" | "out")
        })
        .collect();
    let camunda7 = !mappings.is_empty()
        || el.attributes().any(|a| a.namespace() == Some(vocab::CAMUNDA_NS))
        || drawn_for_camunda_7(el);
    if !camunda7 {
        return Ok(NodeKind::CallActivity {
            called,
            inputs: Mapping::everything(),
            outputs: Mapping::everything(),
        });
    }
    let (mut inputs, mut outputs) = (Mapping::default(), Mapping::default());
    for m in &mappings {
        let into = if m.tag_name().name() == "in" { &mut inputs } else { &mut outputs };
        read_camunda_mapping(m, into)?;
    }
    Ok(NodeKind::CallActivity { called, inputs, outputs })
}

/// Whether the file says it was drawn for Camunda 7 (the Modeler's `executionPlatform`).
fn drawn_for_camunda_7(el: &X) -> bool {
    let root = el.document().root_element();
    ns_attr(&root, MODELER_NS, "executionPlatform") == Some("Camunda Platform")
}

/// One `camunda:in` or `camunda:out`: every variable, or one under a name.
fn read_camunda_mapping(m: &X, into: &mut Mapping) -> Result<(), String> {
    let tag = format!("camunda:{}", m.tag_name().name());
    for a in m.attributes() {
        let why = match (vocab::dialect(a.namespace()), a.name(), a.value()) {
            (Dialect::Bpmn, "source" | "target" | "variables", _) => None,
            (Dialect::Bpmn, "local", "false") => None,
            (Dialect::Bpmn, "local", _) => Some("chỉ truyền biến của bước gọi (local) chưa được hỗ trợ"),
            (Dialect::Bpmn, "sourceExpression", _) => {
                Some("biểu thức nguồn (sourceExpression) chưa được hỗ trợ; dùng source")
            }
            (Dialect::Bpmn, "businessKey", _) => Some(
                "mã nghiệp vụ (businessKey) không truyền được: lượt được gọi mang mã hồ sơ của lượt gọi",
            ),
            _ => Some("thuộc tính này không được hiểu"),
        };
        if let Some(why) = why {
            return Err(format!("{tag} “{}”: {why}", a.name()));
        }
    }
    match (own(m, "variables"), own(m, "source"), own(m, "target")) {
        (Some("all"), None, None) => into.all = true,
        (Some(v), _, _) if v != "all" => {
            return Err(format!("{tag} variables=\"{v}\" không được hiểu (chỉ \"all\")"));
        }
        (None, Some(s), Some(t)) => {
            let s = name(s, &tag, "source")?;
            let t = name(t, &tag, "target")?;
            into.pairs.push((s, t));
        }
        _ => {
            return Err(format!("{tag} cần variables=\"all\", hoặc source và target (tên biến)"));
        }
    }
    Ok(())
}

/// Camunda 8: `zeebe:calledElement processId`, every variable in (the parent's scope),
/// every one back unless `propagateAllChildVariables="false"`.
fn read_zeebe(el: &X, z: &X) -> Result<NodeKind, String> {
    if own(el, "calledElement").is_some() {
        return Err("vừa có calledElement vừa có zeebe:calledElement: chỉ dùng một".into());
    }
    let mut back = true;
    let mut everything_in = true;
    for a in z.attributes() {
        match (a.name(), a.value()) {
            ("processId", _) => {}
            ("propagateAllChildVariables", v) => back = v != "false",
            ("propagateAllParentVariables", v) => everything_in = v != "false",
            ("bindingType", "latest") => {}
            (n, v) => {
                return Err(format!(
                    "zeebe:calledElement {n}=\"{v}\" chưa được hỗ trợ (bước gọi luôn chạy phiên bản mới nhất)"
                ));
            }
        }
    }
    let called = fixed(own(z, "processId").unwrap_or(""), "zeebe:calledElement processId")?;
    let mapping = |all: bool| Mapping { all, pairs: Vec::new() };
    Ok(NodeKind::CallActivity { called, inputs: mapping(everything_in), outputs: mapping(back) })
}

/// A variable name written as such; an expression is refused.
fn name(v: &str, tag: &str, what: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() || v.starts_with('=') || v.contains("${") || v.contains("#{") {
        return Err(format!("{tag} {what} “{v}” phải là tên biến"));
    }
    Ok(v.to_string())
}
