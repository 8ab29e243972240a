//! A provider's OpenAPI document: checked on upload, read into the operations that access is
//! granted for, and used to find which operation a call through the gateway is.
//!
//! OpenAPI 3.0 and 3.1 in JSON. What the gateway could not match exactly as the
//! specification says is refused with the reason (a path template with a parameter inside a
//! segment, a `$ref` path item, two templates that match the same paths).

use cqdt_platform::FieldError;
use serde::Serialize;
use serde_json::{Map, Value};

/// The HTTP methods an OpenAPI path item can hold, in the specification's order.
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Path item members that are not operations.
const PATH_ITEM_FIELDS: [&str; 4] = ["summary", "description", "servers", "parameters"];

/// The largest document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 2 * 1024 * 1024;

/// One operation of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Operation {
    /// The document's `operationId`, or `METHOD path` where it gives none.
    pub operation_id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template, relative to the service's base URL.
    pub path: String,
    /// The operation's summary (or the start of its description).
    pub summary: String,
}

/// What a parsed document gives the registry.
#[derive(Debug, Clone)]
pub struct ParsedDocument {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// The operations, by path (JSON objects are read in key order), then method.
    pub operations: Vec<Operation>,
    /// The document, re-serialised compactly (what is stored and served).
    pub compact: String,
}

/// Checks a document; every problem at once (field `openapi`).
pub fn parse_openapi(text: &str) -> Result<ParsedDocument, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut refuse = |m: String| errors.push(FieldError::new("openapi", m));
    if text.len() > MAX_DOCUMENT_BYTES {
        refuse(format!("Tài liệu OpenAPI lớn hơn {} MiB.", MAX_DOCUMENT_BYTES / 1024 / 1024));
        return Err(errors);
    }
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        refuse("Chưa có tài liệu OpenAPI (JSON).".into());
        return Err(errors);
    }
    let doc: Value = match serde_json::from_str(trimmed) {
        Ok(v) => v,
        Err(e) if !trimmed.starts_with('{') => {
            refuse(format!(
                "Tài liệu OpenAPI phải ở dạng JSON (chưa nhận YAML); đọc được đến dòng {}.",
                e.line()
            ));
            return Err(errors);
        }
        Err(e) => {
            refuse(format!("Tài liệu OpenAPI không phải JSON hợp lệ: {e}."));
            return Err(errors);
        }
    };
    let Some(root) = doc.as_object() else {
        refuse("Tài liệu OpenAPI phải là một đối tượng JSON.".into());
        return Err(errors);
    };
    let version_problem = match root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") || v.starts_with("3.1.") => None,
        Some(v) => Some(format!("Phiên bản OpenAPI “{v}” chưa được hỗ trợ; chỉ nhận 3.0 và 3.1.")),
        None if root.contains_key("swagger") => Some(
            "Tài liệu Swagger 2.0 chưa được hỗ trợ; hãy chuyển sang OpenAPI 3 (trường “openapi”)."
                .into(),
        ),
        None => Some("Thiếu trường “openapi” (phiên bản, ví dụ “3.1.0”).".into()),
    };
    if let Some(m) = version_problem {
        refuse(m);
    }
    let info = root.get("info").and_then(Value::as_object);
    let text_of = |k: &str| info.and_then(|i| i.get(k)).and_then(Value::as_str).map(str::trim);
    let title = text_of("title").unwrap_or_default().to_string();
    let version = text_of("version").unwrap_or_default().to_string();
    if title.is_empty() {
        refuse("Thiếu “info.title” (tên API).".into());
    }
    if version.is_empty() || version.chars().count() > 40 {
        refuse("“info.version” (phiên bản API) phải có, dài tối đa 40 ký tự.".into());
    }
    let operations = match root.get("paths").and_then(Value::as_object) {
        Some(paths) => operations(paths, &mut refuse),
        None => {
            refuse("Thiếu “paths”: tài liệu phải mô tả ít nhất một thao tác.".into());
            Vec::new()
        }
    };
    if errors.is_empty() && operations.is_empty() {
        errors.push(FieldError::new("openapi", "Tài liệu không mô tả thao tác nào."));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ParsedDocument { title, version, operations, compact: doc.to_string() })
}

fn operations(paths: &Map<String, Value>, refuse: &mut impl FnMut(String)) -> Vec<Operation> {
    let mut out: Vec<Operation> = Vec::new();
    let mut shapes: Vec<(String, String, String)> = Vec::new();
    for (path, item) in paths {
        if path.starts_with("x-") {
            continue;
        }
        let Some(shape) = template_shape(path) else {
            refuse(format!(
                "Đường dẫn “{path}”: phải bắt đầu bằng “/”, mỗi tham số chiếm trọn một đoạn (“/ho-so/{{ma}}”), không có đoạn rỗng."
            ));
            continue;
        };
        let Some(item) = item.as_object() else {
            refuse(format!("Đường dẫn “{path}” phải là một đối tượng."));
            continue;
        };
        for (key, op) in item {
            let method = key.to_ascii_lowercase();
            if key == "$ref" {
                refuse(format!("Đường dẫn “{path}”: “$ref” ở mục đường dẫn chưa được hỗ trợ; hãy viết các thao tác trực tiếp."));
                continue;
            }
            if PATH_ITEM_FIELDS.contains(&key.as_str()) || key.starts_with("x-") {
                continue;
            }
            if !METHODS.contains(&key.as_str()) {
                refuse(format!(
                    "Đường dẫn “{path}”: “{key}” không phải phương thức HTTP của OpenAPI."
                ));
                continue;
            }
            let Some(op) = op.as_object() else {
                refuse(format!("Thao tác {} {path} phải là một đối tượng.", method.to_uppercase()));
                continue;
            };
            let upper = method.to_uppercase();
            let id = match op.get("operationId") {
                None => format!("{upper} {path}"),
                Some(Value::String(s)) if valid_operation_id(s) => s.clone(),
                Some(_) => {
                    refuse(format!(
                        "Thao tác {upper} {path}: “operationId” phải là chuỗi 1–120 ký tự, không có khoảng trắng đầu cuối hay ký tự điều khiển."
                    ));
                    continue;
                }
            };
            if out.iter().any(|o| o.operation_id == id) {
                refuse(format!("“operationId” “{id}” trùng lặp; mỗi thao tác phải có mã riêng."));
                continue;
            }
            if let Some((_, other, _)) = shapes.iter().find(|(m, _, s)| *m == upper && *s == shape)
            {
                refuse(format!(
                    "Thao tác {upper} {path} và {upper} {other} khớp cùng các đường dẫn; OpenAPI coi hai mẫu này là một."
                ));
                continue;
            }
            shapes.push((upper.clone(), path.clone(), shape.clone()));
            let summary = ["summary", "description"]
                .iter()
                .find_map(|k| op.get(*k).and_then(Value::as_str).filter(|s| !s.trim().is_empty()))
                .map(|s| s.trim().chars().take(200).collect())
                .unwrap_or_default();
            out.push(Operation { operation_id: id, method: upper, path: path.clone(), summary });
        }
    }
    out
}

fn valid_operation_id(s: &str) -> bool {
    let n = s.chars().count();
    (1..=120).contains(&n) && s.trim() == s && !s.chars().any(char::is_control)
}

/// A template with every parameter written `{}` (how OpenAPI tells two templates apart), or
/// `None` when it is not one the gateway matches exactly.
fn template_shape(path: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        return Some("/".into());
    }
    let mut shape = String::new();
    for seg in rest.split('/') {
        shape.push('/');
        match param_name(seg) {
            Some(Ok(_)) => shape.push_str("{}"),
            Some(Err(())) => return None,
            None if seg.is_empty() || seg.contains(['{', '}']) => return None,
            None => shape.push_str(seg),
        }
    }
    Some(shape)
}

/// `Some(Ok(name))` for a whole-segment parameter `{name}`, `Some(Err)` for a malformed one.
fn param_name(seg: &str) -> Option<Result<&str, ()>> {
    let inner = seg.strip_prefix('{')?.strip_suffix('}');
    Some(match inner {
        Some(n) if !n.is_empty() && !n.contains(['{', '}', '/']) => Ok(n),
        _ => Err(()),
    })
}

/// The operation a call is, with how specific the match was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationMatch<'a> {
    /// The operation.
    pub operation: &'a Operation,
}

/// Finds the operation a call with `method` on `path` (relative to the base URL, starting
/// with `/`, without the query) is. Concrete segments win over parameters, earlier ones
/// first (OpenAPI: "concrete paths are matched before their templated counterparts").
pub fn find_operation<'a>(
    operations: &'a [Operation],
    method: &str,
    path: &str,
) -> Option<OperationMatch<'a>> {
    let segs: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let mut best: Option<(Vec<bool>, &Operation)> = None;
    for op in operations.iter().filter(|o| o.method == method) {
        let Some(rest) = op.path.strip_prefix('/') else { continue };
        let tsegs: Vec<&str> = rest.split('/').collect();
        if tsegs.len() != segs.len() {
            continue;
        }
        let mut literal = Vec::with_capacity(tsegs.len());
        let matches = tsegs.iter().zip(&segs).all(|(t, s)| match param_name(t) {
            Some(_) => {
                literal.push(false);
                !s.is_empty()
            }
            None => {
                literal.push(true);
                t == s
            }
        });
        if matches && best.as_ref().is_none_or(|(b, _)| literal > *b) {
            best = Some((literal, op));
        }
    }
    best.map(|(_, operation)| OperationMatch { operation })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(paths: &str) -> String {
        format!(
            r#"{{"openapi":"3.1.0","info":{{"title":"Hộ tịch","version":"2.1"}},"paths":{paths}}}"#
        )
    }

    #[test]
    fn a_document_gives_its_operations_with_ids_methods_and_summaries() {
        let d = parse_openapi(&doc(
            r#"{"/khai-sinh/{so}":{"get":{"operationId":"traCuuKhaiSinh","summary":"Tra cứu"},"parameters":[]},
                "/khai-sinh":{"post":{"description":"Đăng ký"}}}"#,
        ))
        .expect("valid");
        assert_eq!((d.title.as_str(), d.version.as_str()), ("Hộ tịch", "2.1"));
        let ids: Vec<_> =
            d.operations.iter().map(|o| (o.operation_id.as_str(), o.method.as_str())).collect();
        assert_eq!(ids, [("POST /khai-sinh", "POST"), ("traCuuKhaiSinh", "GET")]);
        assert_eq!(d.operations[0].summary, "Đăng ký");
    }

    #[test]
    fn what_the_gateway_cannot_match_exactly_is_refused_with_every_reason() {
        let errors = parse_openapi(&doc(
            r##"{"/files/{name}.json":{"get":{}},"/a":{"$ref":"#/x"},"/b":{"fetch":{}},
                "/c/{x}":{"get":{"operationId":"c"}},"/c/{y}":{"get":{"operationId":"d"}},
                "/e":{"get":{"operationId":"c"}}}"##,
        ))
        .expect_err("refused");
        let text: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        // Paths come in key order: /a, /b, /c/{x}, /c/{y}, /e, /files/{name}.json.
        assert_eq!(text.len(), 5, "{text:?}");
        assert!(text[0].contains("$ref"));
        assert!(text[1].contains("fetch"));
        assert!(text[2].contains("/c/{y}") && text[2].contains("/c/{x}"));
        assert!(text[3].contains("trùng"));
        assert!(text[4].contains("/files/{name}.json"));
    }

    #[test]
    fn swagger_yaml_and_documents_without_operations_are_refused_by_name() {
        let one = |t: &str| parse_openapi(t).expect_err("refused")[0].message.clone();
        assert!(one(r#"{"swagger":"2.0","info":{"title":"x","version":"1"},"paths":{}}"#)
            .contains("Swagger 2.0"));
        assert!(one("openapi: 3.1.0\ninfo: {}").contains("YAML"));
        assert!(one(&doc("{}")).contains("không mô tả thao tác"));
        assert!(one(r#"{"openapi":"2.5"}"#).contains("2.5"));
    }

    #[test]
    fn concrete_segments_win_over_parameters_and_methods_must_match() {
        let ops = parse_openapi(&doc(
            r#"{"/ho-so/{ma}":{"get":{"operationId":"byCode"}},"/ho-so/moi":{"get":{"operationId":"latest"}},
                "/{a}/tep":{"get":{"operationId":"files"}},"/":{"get":{"operationId":"root"}}}"#,
        ))
        .expect("valid")
        .operations;
        let id =
            |m: &str, p: &str| find_operation(&ops, m, p).map(|x| x.operation.operation_id.clone());
        assert_eq!(id("GET", "/ho-so/moi").as_deref(), Some("latest"));
        assert_eq!(id("GET", "/ho-so/H51-1").as_deref(), Some("byCode"));
        assert_eq!(id("GET", "/ho-so/tep").as_deref(), Some("byCode"), "the earlier literal wins");
        assert_eq!(id("GET", "/").as_deref(), Some("root"));
        assert_eq!(id("POST", "/ho-so/moi"), None);
        assert_eq!(id("GET", "/ho-so/"), None, "an empty segment fills no parameter");
        assert_eq!(id("GET", "/ho-so/a/b"), None);
    }
}
