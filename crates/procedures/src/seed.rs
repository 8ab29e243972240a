//! The demo province's sample procedures (`seed/procedures.json`, provenance in its README),
//! loaded and published when the demo province is.

use serde_json::Value;

use crate::error::ProcedureError;
use crate::model::Procedure;
use crate::service::ProcedureService;

const DEMO: &str = include_str!("../seed/procedures.json");

/// The agency-code suffix of the demo province's provincial procedure codes.
pub const PROVINCE_SUFFIX: &str = "000.00.00.H51";

/// Drops `null` members so that absent and null read the same.
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// The demo procedures, with provincial codes and marked as sample data.
pub fn demo_procedures() -> Result<Vec<Procedure>, ProcedureError> {
    let mut items: Vec<Value> = serde_json::from_str(DEMO)
        .map_err(|e| ProcedureError::Corrupt("seed".into(), e.to_string()))?;
    items
        .iter_mut()
        .map(|item| {
            strip_nulls(item);
            let national = item["national_code"].as_str().unwrap_or("").to_string();
            if let Value::Object(m) = item {
                m.insert("code".into(), Value::String(format!("{national}.{PROVINCE_SUFFIX}")));
                m.insert("sample".into(), Value::Bool(true));
            }
            serde_json::from_value(item.clone())
                .map_err(|e| ProcedureError::Corrupt(national.clone(), e.to_string()))
        })
        .collect()
}

/// Loads and publishes the demo procedures (as `system`).
pub async fn load_demo(svc: &ProcedureService) -> Result<usize, ProcedureError> {
    let items = demo_procedures()?;
    svc.import("system", &items, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_procedure_parses_and_passes_its_checks() {
        let items = demo_procedures().expect("seed");
        assert!(items.len() >= 40, "{}", items.len());
        for p in &items {
            assert_eq!(p.check(), Ok(()), "{}", p.code);
            assert!(p.sample);
        }
        let fields: std::collections::BTreeSet<_> = items.iter().map(|p| &p.field.code).collect();
        assert!(fields.len() >= 10);
        for level in crate::model::Level::ALL {
            assert!(items.iter().any(|p| p.levels.contains(&level)));
        }
    }
}
