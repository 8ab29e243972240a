//! Moving running instances to a new version of their process (issue 14 item 7): allowed
//! when the new diagram can carry on from where each token stands, else refused naming the
//! elements in the way.

use super::conformance::{bpmn, flows};
use super::*;

/// Version 1: start → `draft` → `sign` → end.
fn v1() -> String {
    bpmn(&format!(
        r#"<bpmn:startEvent id="s" /><bpmn:userTask id="draft" name="Soạn thảo" /><bpmn:userTask id="sign" /><bpmn:endEvent id="e" />{}"#,
        flows(&[("f1", "s", "draft"), ("f2", "draft", "sign"), ("f3", "sign", "e")])
    ))
}

/// Version 2 adds a `check` between `draft` and `sign`.
fn v2() -> String {
    bpmn(&format!(
        r#"<bpmn:startEvent id="s" /><bpmn:userTask id="draft" name="Soạn thảo" /><bpmn:userTask id="check" /><bpmn:userTask id="sign" /><bpmn:endEvent id="e" />{}{}"#,
        flows(&[("f1", "s", "draft"), ("f2", "draft", "check")]),
        flows(&[("f4", "check", "sign"), ("f3", "sign", "e")])
    ))
}

async fn running() -> (TestDb, WorkflowService, i64) {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", &v1()).await.expect("v1");
    let id = w.start(Start::new("admin", "p")).await.expect("start");
    (t, w, id)
}

async fn open_node(w: &WorkflowService, id: i64) -> String {
    open_tasks(w, id).await.pop().map(|t| t.node_id).unwrap_or_default()
}

#[tokio::test]
async fn a_running_instance_moves_to_a_new_version_that_carries_on_from_its_task() {
    let (_t, w, id) = running().await;
    let refused = w.migrate("admin", "", id, None, "").await;
    assert!(matches!(refused, Err(WorkflowError::BadRequest(_))), "a reason is asked for");
    let same = w.migrate("admin", "", id, None, "Bổ sung bước kiểm tra").await;
    assert!(matches!(same, Err(WorkflowError::Conflict(_))), "already the newest: {same:?}");
    let v2 = w.deploy("admin", "", &v2()).await.expect("v2");
    let moved = w.migrate("admin", "", id, None, "Bổ sung bước kiểm tra").await.expect("migrate");
    assert_eq!(moved.definition_id, v2.id);
    let draft = open_tasks(&w, id).await.pop().expect("draft");
    w.complete("admin", "", draft.id, Map::new()).await.expect("draft done");
    assert_eq!(open_node(&w, id).await, "check", "the new version's path");
    let d = w.instance(id).await.expect("instance");
    assert!(d.history.iter().any(|h| h.event == "migrated"
        && h.detail.as_deref() == Some("phiên bản 1 → 2: Bổ sung bước kiểm tra")));
}

#[tokio::test]
async fn a_version_without_the_element_a_token_is_at_is_refused_naming_it() {
    let (_t, w, id) = running().await;
    w.deploy("admin", "", &v2().replace("draft", "soan")).await.expect("v2");
    let refused = w.migrate("admin", "", id, Some(2), "Đổi quy trình").await;
    let Err(WorkflowError::Bpmn(errors)) = refused else {
        panic!("refused with the elements: {refused:?}");
    };
    assert!(errors.iter().any(|e| e.element.as_deref() == Some("draft")), "{errors:?}");
    let d = w.instance(id).await.expect("instance");
    assert_eq!((d.instance.definition_id, open_node(&w, id).await.as_str()), (1, "draft"));
    let missing = w.migrate("admin", "", id, Some(7), "Đổi quy trình").await;
    assert!(matches!(missing, Err(WorkflowError::NotFound(_))), "{missing:?}");
}
