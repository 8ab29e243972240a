//! Standard loops (issue 14 item 3, W2): a draft revised until it is approved, at most a
//! number of times; each time is a new task that knows its number.

use super::conformance::{bpmn, flows, started};
use super::*;

/// start → `draft` with `marker` → `sign` → end.
fn drafting(marker: &str) -> String {
    format!(
        r#"<bpmn:startEvent id="s" /><bpmn:userTask id="draft" name="Soạn thảo">{marker}</bpmn:userTask>
<bpmn:userTask id="sign" /><bpmn:endEvent id="e" />{}"#,
        flows(&[("f1", "s", "draft"), ("f2", "draft", "sign"), ("f3", "sign", "e")])
    )
}

const UNTIL_APPROVED: &str = r#"<bpmn:standardLoopCharacteristics><bpmn:loopCondition>${approved == false}</bpmn:loopCondition></bpmn:standardLoopCharacteristics>"#;

/// Completes the one open task, at `node`, with `v`; answers its loopCounter.
async fn complete_at(w: &WorkflowService, id: i64, node: &str, v: Value) -> Option<Value> {
    let open = open_tasks(w, id).await;
    assert_eq!(open.iter().map(|t| t.node_id.as_str()).collect::<Vec<_>>(), [node]);
    let local: Option<Map<String, Value>> =
        open[0].local_vars.as_deref().and_then(|l| serde_json::from_str(l).ok());
    w.complete("admin", "", open[0].id, vars(v)).await.expect("complete");
    local.and_then(|l| l.get("loopCounter").cloned())
}

#[tokio::test]
async fn a_draft_is_revised_while_it_is_not_approved_each_time_a_new_task() {
    let (_t, w, id) = started(&drafting(UNTIL_APPROVED), json!({})).await;
    let first = complete_at(&w, id, "draft", json!({"approved": false})).await;
    let second = complete_at(&w, id, "draft", json!({"approved": false})).await;
    let third = complete_at(&w, id, "draft", json!({"approved": true})).await;
    assert_eq!((first, second, third), (Some(json!(1)), Some(json!(2)), Some(json!(3))));
    complete_at(&w, id, "sign", json!({})).await;
    let d = w.instance(id).await.expect("instance");
    assert_eq!((d.instance.status.as_str(), d.instance.tokens), ("completed", 0));
}

#[tokio::test]
async fn a_loop_maximum_stops_the_loop_and_a_false_test_before_skips_it() {
    let twice = r#"<bpmn:standardLoopCharacteristics loopMaximum="2" />"#;
    let (_t, w, id) = started(&drafting(twice), json!({})).await;
    complete_at(&w, id, "draft", json!({})).await;
    complete_at(&w, id, "draft", json!({})).await;
    complete_at(&w, id, "sign", json!({})).await;

    let before = UNTIL_APPROVED.replace(
        "<bpmn:standardLoopCharacteristics>",
        r#"<bpmn:standardLoopCharacteristics testBefore="true">"#,
    );
    let (_t, w, id) = started(&drafting(&before), json!({"approved": true})).await;
    complete_at(&w, id, "sign", json!({})).await;
}

#[test]
fn a_loop_the_engine_cannot_run_as_drawn_is_refused_by_name() {
    let refused = |marker: &str, words: &str| {
        let errors = cqdt_workflow::parse_bpmn(&bpmn(&drafting(marker))).expect_err("refused");
        assert!(
            errors
                .iter()
                .any(|e| e.element.as_deref() == Some("draft") && e.message.contains(words)),
            "{errors:?}"
        );
    };
    refused("<bpmn:standardLoopCharacteristics />", "lặp mãi");
    refused(r#"<bpmn:standardLoopCharacteristics loopMaximum="-1" />"#, "loopMaximum");
    let both = format!(
        "{UNTIL_APPROVED}<bpmn:multiInstanceLoopCharacteristics camunda:collection=\"x\" />"
    );
    refused(&both, "vừa nhiều phiên");
}
