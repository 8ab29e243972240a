//! Rules the use cases share: periods and their overlaps, materialised paths, what differs
//! between a stored version and new input.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde_json::{json, Map, Value};

use super::{iso, vn};
use crate::model::{CatalogMeta, Entry, EntryInput, RawRow};

/// Whether a period overlaps the period of `e` (ends are exclusive, None is open).
pub(crate) fn overlaps(e: &Entry, from: Option<NaiveDate>, to: Option<NaiveDate>) -> bool {
    periods_overlap((e.valid_from, e.valid_to), (from, to))
}

pub(crate) fn periods_overlap(
    a: (Option<NaiveDate>, Option<NaiveDate>),
    b: (Option<NaiveDate>, Option<NaiveDate>),
) -> bool {
    let a_starts_before_b_ends = match (a.0, b.1) {
        (Some(f), Some(t)) => f < t,
        _ => true,
    };
    let b_starts_before_a_ends = match (b.0, a.1) {
        (Some(f), Some(t)) => f < t,
        _ => true,
    };
    a_starts_before_b_ends && b_starts_before_a_ends
}

/// A period as people read it: "từ 01/07/2025 đến trước 01/01/2026".
pub(crate) fn period_vn(from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
    let start = from.map_or("từ trước".to_string(), |d| format!("từ {}", vn(d)));
    match to {
        Some(t) => format!("{start} đến trước {}", vn(t)),
        None => format!("{start}, chưa hết hiệu lực"),
    }
}

/// The fields that differ between a stored version and new input: `{field: [old, new]}`.
pub(crate) fn diff(old: &Entry, new: &EntryInput) -> Map<String, Value> {
    let mut changes = Map::new();
    let mut check = |field: &str, a: Value, b: Value| {
        if a != b {
            changes.insert(field.to_string(), json!([a, b]));
        }
    };
    check("name", json!(old.name), json!(new.name));
    check("parent", json!(old.parent), json!(new.parent));
    check("valid_from", json!(old.valid_from), json!(new.valid_from));
    check("valid_to", json!(old.valid_to), json!(new.valid_to));
    check("sample", json!(old.sample), json!(new.sample));
    let keys: HashSet<&String> = old.data.keys().chain(new.data.keys()).collect();
    let mut keys: Vec<&String> = keys.into_iter().collect();
    keys.sort();
    for k in keys {
        check(
            &format!("data.{k}"),
            old.data.get(k).cloned().unwrap_or(Value::Null),
            new.data.get(k).cloned().unwrap_or(Value::Null),
        );
    }
    changes
}

/// The stored version as input (data keys the catalog declares), so that an update can
/// change only the fields it names.
pub(crate) fn as_raw(e: &Entry, meta: &CatalogMeta) -> RawRow {
    let mut raw = Map::new();
    raw.insert("code".into(), json!(e.code));
    raw.insert("name".into(), json!(e.name));
    raw.insert("parent".into(), json!(e.parent));
    raw.insert("valid_from".into(), json!(e.valid_from.map(iso)));
    raw.insert("valid_to".into(), json!(e.valid_to.map(iso)));
    raw.insert("sample".into(), json!(e.sample));
    for f in &meta.fields {
        if let Some(v) = e.data.get(&f.name) {
            raw.insert(f.name.clone(), v.clone());
        }
    }
    raw
}

/// `base` with every key of `changes` laid over it; keys under `data` count as top-level.
pub(crate) fn overlay(mut base: RawRow, changes: &RawRow) -> RawRow {
    for (k, v) in changes {
        match (k.as_str(), v) {
            ("data", Value::Object(d)) => {
                for (dk, dv) in d {
                    base.insert(dk.clone(), dv.clone());
                }
            }
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    base
}

/// The version of `parent` a child hangs under: the one in force when the child starts.
pub(crate) fn parent_version<'a>(
    versions: &[&'a Entry],
    child_from: Option<NaiveDate>,
) -> Option<&'a Entry> {
    match child_from {
        Some(d) => versions.iter().find(|v| v.valid_on(d)),
        None => versions.iter().find(|v| v.valid_from.is_none()),
    }
    .or_else(|| versions.last())
    .copied()
}

/// Whether two input rows' periods overlap.
pub(crate) fn period_overlap_rows(a: &EntryInput, b: &EntryInput) -> bool {
    periods_overlap((a.valid_from, a.valid_to), (b.valid_from, b.valid_to))
}

/// The path of `code` under a parent with path `parent_path`; refuses cycles.
pub(crate) fn child_path(parent_path: &str, code: &str) -> Result<String, String> {
    if parent_path.split('/').any(|c| c == code) {
        return Err(format!(
            "mã cha không được là chính mục này hay một cấp dưới của nó (đường dẫn {parent_path})"
        ));
    }
    Ok(format!("{parent_path}/{code}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        crate::model::parse_date(s)
    }

    #[test]
    fn periods_that_touch_do_not_overlap_and_open_ends_reach_everything() {
        assert!(!periods_overlap((None, d("2025-07-01")), (d("2025-07-01"), None)));
        assert!(periods_overlap((None, d("2025-07-02")), (d("2025-07-01"), None)));
        assert!(periods_overlap((None, None), (d("2030-01-01"), None)));
    }

    #[test]
    fn a_parent_cannot_be_the_entry_itself_or_below_it() {
        assert_eq!(child_path("94/941", "31471").as_deref(), Ok("94/941/31471"));
        assert!(child_path("94/941/31471", "941").is_err());
    }

    #[test]
    fn an_update_changes_only_the_fields_it_names() {
        let mut base = Map::new();
        base.insert("name".into(), json!("Cũ"));
        base.insert("kind".into(), json!("department"));
        base.insert("short_name".into(), json!("SC"));
        let mut change = Map::new();
        change.insert("name".into(), json!("Mới"));
        change.insert("data".into(), json!({"short_name": null}));
        let merged = overlay(base, &change);
        assert_eq!(merged["name"], "Mới");
        assert_eq!(merged["kind"], "department");
        assert_eq!(merged["short_name"], Value::Null);
    }
}
