//! Embedded sub-processes (issue 14 item 3): a stage of the process — appraisal by two
//! officials at once, say — that ends when everything inside it has, and whose deadline on
//! its boundary watches the whole stage.

use super::conformance::{bpmn, flow, flows};
use super::*;

/// start → stage `id` [`inner`] → `after` → end, with `outside` beside the stage.
fn stage(id: &str, inner: &str, outside: &str) -> String {
    bpmn(&format!(
        r#"<bpmn:startEvent id="s" /><bpmn:subProcess id="{id}" name="Thẩm định">{inner}</bpmn:subProcess>{outside}
<bpmn:userTask id="after" /><bpmn:endEvent id="e" />{}"#,
        flows(&[("f1", "s", id), ("f2", id, "after"), ("f3", "after", "e")]),
    ))
}

/// A stage `tham_dinh` [start → fork → `A`, `B` → join → end], with `boundary` on it.
fn appraisal(boundary: &str) -> String {
    let inner = format!(
        r#"<bpmn:startEvent id="s1" /><bpmn:parallelGateway id="fork" />
<bpmn:userTask id="A" /><bpmn:userTask id="B" /><bpmn:parallelGateway id="join" /><bpmn:endEvent id="e1" />{}{}"#,
        flows(&[("i1", "s1", "fork"), ("i2", "fork", "A"), ("i3", "fork", "B")]),
        flows(&[("i4", "A", "join"), ("i5", "B", "join"), ("i6", "join", "e1")]),
    );
    stage("tham_dinh", &inner, boundary)
}

const DEADLINE: &str = r#"<bpmn:boundaryEvent id="qua_han" attachedToRef="tham_dinh"><bpmn:timerEventDefinition><bpmn:timeDuration>P10D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:userTask id="late" /><bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="l1" sourceRef="qua_han" targetRef="late" /><bpmn:sequenceFlow id="l2" sourceRef="late" targetRef="e2" />"#;

async fn started(clock: Arc<ManualClock>, xml: &str) -> (TestDb, WorkflowService, i64) {
    let t = TestDb::new().await;
    let w = engine(&t, clock).await;
    w.deploy("admin", "", xml).await.expect("deploy");
    let id = w.start(Start::new("admin", "p")).await.expect("start");
    (t, w, id)
}

async fn open_nodes(w: &WorkflowService, id: i64) -> Vec<String> {
    let mut n: Vec<String> = open_tasks(w, id).await.into_iter().map(|t| t.node_id).collect();
    n.sort();
    n
}

async fn complete_at(w: &WorkflowService, id: i64, node: &str) {
    let task = open_tasks(w, id).await.into_iter().find(|t| t.node_id == node).expect("open");
    w.complete("admin", "", task.id, Map::new()).await.expect("complete");
}

/// The status of the task at `node` and the instance's tokens.
async fn row(w: &WorkflowService, id: i64, node: &str) -> (String, i64) {
    let d = w.instance(id).await.expect("instance");
    let task = d.tasks.iter().find(|t| t.node_id == node).expect("task");
    (task.status.clone(), d.instance.tokens)
}

/// Completes the task at `last`, which ends the instance.
async fn finish(w: &WorkflowService, id: i64, last: &str) {
    complete_at(w, id, last).await;
    assert_eq!(w.instance(id).await.expect("instance").instance.status, "completed");
}

#[tokio::test]
async fn a_stage_ends_when_everything_inside_it_has_and_the_token_goes_on() {
    let (_t, w, id) = started(friday_13_february_2026(), &appraisal("")).await;
    assert_eq!(open_nodes(&w, id).await, ["A", "B", "tham_dinh"]);
    let stage = open_tasks(&w, id).await.into_iter().find(|t| t.node_id == "tham_dinh");
    let stage = stage.expect("stage row");
    assert_eq!(stage.role, None, "in nobody's worklist");
    let by_hand = w.complete("admin", "", stage.id, Map::new()).await;
    assert!(matches!(by_hand, Err(WorkflowError::Conflict(_))), "{by_hand:?}");
    complete_at(&w, id, "A").await;
    assert_eq!(open_nodes(&w, id).await, ["B", "tham_dinh"]);
    complete_at(&w, id, "B").await;
    assert_eq!(open_nodes(&w, id).await, ["after"]);
    assert_eq!(row(&w, id, "tham_dinh").await, ("completed".to_string(), 1));
    finish(&w, id, "after").await;
}

#[tokio::test]
async fn a_deadline_on_the_stage_cancels_everything_inside_it() {
    let clock = friday_13_february_2026();
    let (_t, w, id) = started(clock.clone(), &appraisal(DEADLINE)).await;
    complete_at(&w, id, "A").await;
    clock.advance(chrono::Duration::days(11));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 1);
    assert_eq!(open_nodes(&w, id).await, ["late"], "B and the stage are cancelled");
    // The tokens inside went with the stage.
    assert_eq!(row(&w, id, "B").await, ("cancelled".to_string(), 1));
    finish(&w, id, "late").await;
}

#[tokio::test]
async fn a_stage_done_in_one_step_leaves_no_row_open() {
    let inner = format!(
        r#"<bpmn:startEvent id="s1" /><bpmn:task id="ghi" /><bpmn:endEvent id="e1" />{}{}"#,
        flow("i1", "s1", "ghi"),
        flow("i2", "ghi", "e1"),
    );
    let xml = stage("st", &inner, "");
    let (_t, w, id) = started(friday_13_february_2026(), &xml).await;
    assert_eq!(open_nodes(&w, id).await, ["after"]);
    assert_eq!(row(&w, id, "st").await, ("completed".to_string(), 1));
}

#[test]
fn a_stage_the_engine_cannot_run_as_drawn_is_refused_by_name() {
    let refused = |xml: &str, id: &str, words: &str| {
        let errors = cqdt_workflow::parse_bpmn(xml).expect_err("refused");
        assert!(
            errors.iter().any(|e| e.element.as_deref() == Some(id) && e.message.contains(words)),
            "{id}: {errors:?}"
        );
    };
    let ok = appraisal("");
    // A flow out of the stage from inside it.
    refused(&ok.replace(r#"targetRef="e1""#, r#"targetRef="after""#), "i6", "ranh giới");
    // Terminate inside a stage would end only the stage.
    refused(
        &ok.replace(
            r#"<bpmn:endEvent id="e1" />"#,
            r#"<bpmn:endEvent id="e1"><bpmn:terminateEventDefinition /></bpmn:endEvent>"#,
        ),
        "e1",
        "terminate",
    );
    refused(
        &ok.replace(r#"name="Thẩm định""#, r#"triggeredByEvent="true""#),
        "tham_dinh",
        "sự kiện",
    );
    refused(
        &ok.replace(r#"<bpmn:startEvent id="s1" />"#, r#"<bpmn:task id="s1" />"#),
        "tham_dinh",
        "bắt đầu",
    );
}
