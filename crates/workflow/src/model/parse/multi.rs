//! A multi-instance marker on a user task, as Camunda 7 (`camunda:collection`,
//! `camunda:elementVariable`) and Camunda 8 (`zeebe:loopCharacteristics`) write it. What it
//! cannot honour exactly — a cardinality, BPMN's own data inputs, an expression where a
//! variable name is expected — is refused by name.

use roxmltree::Node as X;

use super::{ns_attr, own, vocab, Dialect};
use crate::condition;
use crate::model::{MultiInstance, StandardLoop};

/// Reads the marker; `Err` says why the task is refused.
pub(super) fn read(m: &X) -> Result<MultiInstance, String> {
    for a in m.attributes() {
        let known = matches!(
            (vocab::dialect(a.namespace()), a.name()),
            (Dialect::Bpmn, "id" | "isSequential" | "behavior")
                | (
                    Dialect::Camunda,
                    "collection" | "elementVariable" | "asyncBefore" | "asyncAfter" | "exclusive"
                )
        );
        if !known {
            return Err(format!("nhiều phiên: thuộc tính “{}” không được hiểu", a.name()));
        }
    }
    if let Some(b) = own(m, "behavior").filter(|b| *b != "All") {
        return Err(format!("nhiều phiên: behavior=“{b}” chưa được hỗ trợ (chỉ All)"));
    }
    let zeebe = m.descendants().find(|n| {
        n.tag_name().name() == "loopCharacteristics"
            && n.tag_name().namespace() == Some(vocab::ZEEBE_NS)
    });
    let mut completion = None;
    for c in m.children().filter(|n| n.is_element()) {
        match c.tag_name().name() {
            "completionCondition" => {
                let text = c.text().map(str::trim).unwrap_or("");
                if !text.is_empty() {
                    condition::parse(text).map_err(|e| {
                        format!("nhiều phiên: điều kiện kết thúc “{text}” không đọc được: {e}")
                    })?;
                    completion = Some(text.to_string());
                }
            }
            "extensionElements" => {
                if let Some(x) = c.children().filter(|n| n.is_element()).find(|x| zeebe.as_ref() != Some(x)) {
                    return Err(format!(
                        "nhiều phiên: phần mở rộng “{}” không được hiểu",
                        x.tag_name().name()
                    ));
                }
            }
            "loopCardinality" => {
                return Err("nhiều phiên theo số lần (loopCardinality) chưa được hỗ trợ; dùng danh sách (collection)".into())
            }
            "documentation" => {}
            other => {
                return Err(format!(
                    "nhiều phiên: “{other}” (dữ liệu vào/ra chuẩn BPMN) chưa được hỗ trợ; dùng camunda:collection hoặc zeebe:loopCharacteristics"
                ))
            }
        }
    }
    let sequential = own(m, "isSequential") == Some("true");
    let (collection, element, output) = match &zeebe {
        Some(z) => {
            for a in z.attributes() {
                if !matches!(
                    a.name(),
                    "inputCollection" | "inputElement" | "outputCollection" | "outputElement"
                ) {
                    return Err(format!(
                        "zeebe:loopCharacteristics: thuộc tính “{}” không được hiểu",
                        a.name()
                    ));
                }
            }
            let get = |n: &str| z.attribute(n).map(str::trim).filter(|v| !v.is_empty());
            let collection = feel_name(get("inputCollection"), "inputCollection")?;
            let element = get("inputElement").map(|e| name(e, "inputElement")).transpose()?;
            let output = match (get("outputCollection"), get("outputElement")) {
                (None, None) => None,
                (Some(c), Some(e)) => {
                    Some((name(c, "outputCollection")?, feel_name(Some(e), "outputElement")?))
                }
                _ => {
                    return Err(
                        "zeebe:loopCharacteristics cần cả outputCollection và outputElement".into(),
                    )
                }
            };
            (collection, element, output)
        }
        None => {
            let collection = ns_attr(m, vocab::CAMUNDA_NS, "collection").map(str::trim);
            let Some(c) = collection.filter(|c| !c.is_empty()) else {
                return Err("nhiều phiên cần danh sách: camunda:collection hoặc zeebe:loopCharacteristics inputCollection".into());
            };
            let c = c.strip_prefix("${").and_then(|c| c.strip_suffix('}')).unwrap_or(c);
            let element = ns_attr(m, vocab::CAMUNDA_NS, "elementVariable")
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(|e| name(e, "camunda:elementVariable"))
                .transpose()?;
            (name(c.trim(), "camunda:collection")?, element, None)
        }
    };
    Ok(MultiInstance { sequential, collection, element, completion, output })
}

/// A variable's name, written plainly.
fn name(v: &str, what: &str) -> Result<String, String> {
    let ok = !v.is_empty()
        && v.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && v.chars().all(|c| c.is_alphanumeric() || c == '_');
    if ok {
        Ok(v.to_string())
    } else {
        Err(format!("nhiều phiên: {what} “{v}” phải là tên một biến (chưa hỗ trợ biểu thức)"))
    }
}

/// A FEEL expression that is only a variable's name (`= agencies`).
fn feel_name(v: Option<&str>, what: &str) -> Result<String, String> {
    let Some(v) = v else {
        return Err(format!("zeebe:loopCharacteristics thiếu {what}"));
    };
    name(v.strip_prefix('=').unwrap_or(v).trim(), what)
}

/// Reads a standard-loop marker; `Err` says why the task is refused.
pub(super) fn read_standard(l: &X) -> Result<StandardLoop, String> {
    for a in l.attributes() {
        let known = matches!(
            (vocab::dialect(a.namespace()), a.name()),
            (Dialect::Bpmn, "id" | "testBefore" | "loopMaximum")
        );
        if !known {
            return Err(format!("vòng lặp chuẩn: thuộc tính “{}” không được hiểu", a.name()));
        }
    }
    let maximum = match own(l, "loopMaximum").map(str::trim) {
        None => None,
        Some(m) => {
            Some(m.parse::<u32>().ok().filter(|m| (1..=1000).contains(m)).ok_or_else(|| {
                format!("vòng lặp chuẩn: loopMaximum “{m}” phải là số nguyên từ 1 đến 1000")
            })?)
        }
    };
    let mut condition = None;
    for c in l.children().filter(|n| n.is_element()) {
        match c.tag_name().name() {
            "loopCondition" => {
                let text = c.text().map(str::trim).unwrap_or("");
                condition::parse(text).map_err(|e| {
                    format!("vòng lặp chuẩn: điều kiện lặp “{text}” không đọc được: {e}")
                })?;
                condition = Some(text.to_string());
            }
            "documentation" | "extensionElements" => {}
            other => return Err(format!("vòng lặp chuẩn: “{other}” không được hiểu")),
        }
    }
    if condition.is_none() && maximum.is_none() {
        return Err("vòng lặp chuẩn không có loopCondition và loopMaximum thì lặp mãi".into());
    }
    Ok(StandardLoop { condition, test_before: own(l, "testBefore") == Some("true"), maximum })
}
