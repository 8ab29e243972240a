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
    // An error nothing catches.
    let uncaught = rejectable()
        .replace(r#"errorRef="err" /></bpmn:boundaryEvent>"#, "/></bpmn:boundaryEvent>");
    assert!(cqdt_workflow::parse_bpmn(&uncaught).is_ok(), "a catch-all boundary catches it");
    let uncaught = rejectable().replace(r#"attachedToRef="tham_dinh"><bpmn:errorEventDefinition errorRef="err" />"#, r#"attachedToRef="tham_dinh"><bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>"#);
    refused(&uncaught, "rejected", "không có sự kiện biên");
}

/// A stage [start → fork → `A` (or, when `reject`, the end event `end`) and `job`, an
/// external task → join → end], with the boundary event `tu_choi` (`boundary` its inside and
/// attributes) on it leading to `notify`, and `declared` beside the process.
fn thrower(end: &str, boundary: &str, declared: &str) -> String {
    let inner = format!(
        r#"<bpmn:startEvent id="s1" /><bpmn:parallelGateway id="fork" /><bpmn:userTask id="A" />
<bpmn:serviceTask id="job" camunda:type="external" camunda:topic="lltp" /><bpmn:exclusiveGateway id="x" default="ok" />
<bpmn:endEvent id="rejected">{end}</bpmn:endEvent>
<bpmn:parallelGateway id="join" /><bpmn:endEvent id="e1" />{}{}{}
<bpmn:sequenceFlow id="no" sourceRef="x" targetRef="rejected"><bpmn:conditionExpression>${{reject}}</bpmn:conditionExpression></bpmn:sequenceFlow>"#,
        flows(&[("i1", "s1", "fork"), ("i2", "fork", "A"), ("i3", "fork", "job")]),
        flows(&[("i4", "A", "x"), ("ok", "x", "join"), ("i5", "job", "join")]),
        flow("i6", "join", "e1"),
    );
    let boundary = format!(
        r#"<bpmn:boundaryEvent id="tu_choi" attachedToRef="tham_dinh"{boundary}</bpmn:boundaryEvent><bpmn:userTask id="notify" /><bpmn:endEvent id="e3" />{}"#,
        flows(&[("r1", "tu_choi", "notify"), ("r2", "notify", "e3")])
    );
    stage("tham_dinh", &inner, &boundary)
        .replace("<bpmn:process ", &format!("{declared}<bpmn:process "))
}

/// An error `TU_CHOI` thrown when rejected, caught on the stage.
fn rejectable() -> String {
    thrower(
        r#"<bpmn:errorEventDefinition errorRef="err" />"#,
        r#"><bpmn:errorEventDefinition errorRef="err" />"#,
        r#"<bpmn:error id="err" errorCode="TU_CHOI" />"#,
    )
}

/// An escalation `QUA_HAN` thrown when late (`reject`), caught on the stage.
fn escalating(interrupting: bool) -> String {
    let cancel = if interrupting { "" } else { r#" cancelActivity="false""# };
    thrower(
        r#"<bpmn:escalationEventDefinition escalationRef="esc" />"#,
        &format!(r#"{cancel}><bpmn:escalationEventDefinition escalationRef="esc" />"#),
        r#"<bpmn:escalation id="esc" escalationCode="QUA_HAN" />"#,
    )
}

#[tokio::test]
async fn an_escalation_inside_a_stage_reaches_the_leader_and_the_stage_goes_on_or_ends() {
    let (_t, w, id) = started(friday_13_february_2026(), &escalating(false)).await;
    let a = open_tasks(&w, id).await.into_iter().find(|t| t.node_id == "A").expect("A");
    w.complete("admin", "", a.id, vars(json!({"reject": true}))).await.expect("escalate");
    assert_eq!(open_nodes(&w, id).await, ["job", "notify", "tham_dinh"], "the stage goes on");
    let job = w.fetch_and_lock("w", &topic(), 5).await.expect("fetch")[0].id;
    w.complete_job("w", "", "w", job, Map::new()).await.expect("job done");
    // The join still waits for A's branch, which ended at the escalation: the stage stays.
    assert_eq!(open_nodes(&w, id).await, ["notify", "tham_dinh"]);

    let (_t, w, id) = started(friday_13_february_2026(), &escalating(true)).await;
    let a = open_tasks(&w, id).await.into_iter().find(|t| t.node_id == "A").expect("A");
    w.complete("admin", "", a.id, vars(json!({"reject": true}))).await.expect("escalate");
    assert_eq!(open_nodes(&w, id).await, ["notify"], "an interrupting one ends the stage");
    finish(&w, id, "notify").await;
}

#[tokio::test]
async fn an_error_thrown_inside_a_stage_ends_it_and_takes_the_boundarys_path() {
    let (_t, w, id) = started(friday_13_february_2026(), &rejectable()).await;
    assert_eq!(open_nodes(&w, id).await, ["A", "job", "tham_dinh"]);
    let a = open_tasks(&w, id).await.into_iter().find(|t| t.node_id == "A").expect("A");
    w.complete("admin", "", a.id, vars(json!({"reject": true}))).await.expect("reject");
    assert_eq!(open_nodes(&w, id).await, ["notify"], "the job and the stage ended with it");
    assert_eq!(row(&w, id, "job").await, ("cancelled".to_string(), 1));
    let d = w.instance(id).await.expect("instance");
    assert!(d.history.iter().any(|h| h.event == "error_thrown" && h.node_id == "rejected"));
    assert!(w.fetch_and_lock("w", &topic(), 5).await.expect("fetch").is_empty(), "no job left");
    finish(&w, id, "notify").await;
}

fn topic() -> Vec<cqdt_workflow::TopicRequest> {
    vec![cqdt_workflow::TopicRequest { topic: "lltp".into(), lock_duration_ms: 30_000 }]
}

#[tokio::test]
async fn a_workers_error_is_caught_on_the_stage_around_its_task() {
    let (_t, w, id) = started(friday_13_february_2026(), &rejectable()).await;
    let job = w.fetch_and_lock("lgsp-1", &topic(), 5).await.expect("fetch")[0].id;
    let thrown = w
        .job_bpmn_error("admin", "", "lgsp-1", job, "TU_CHOI", "không đủ điều kiện", Map::new())
        .await
        .expect("bpmn error");
    assert!(thrown.caught && thrown.boundary.as_deref() == Some("tu_choi"), "{thrown:?}");
    assert_eq!(open_nodes(&w, id).await, ["notify"], "A and the stage ended with the job");
    assert_eq!(row(&w, id, "A").await, ("cancelled".to_string(), 1));
}

#[tokio::test]
async fn a_withdrawal_message_on_a_stage_ends_everything_inside_it() {
    let boundary = format!(
        r#"<bpmn:boundaryEvent id="rut" attachedToRef="tham_dinh"><bpmn:messageEventDefinition messageRef="m" /></bpmn:boundaryEvent><bpmn:userTask id="close" /><bpmn:endEvent id="e3" />{}"#,
        flows(&[("r1", "rut", "close"), ("r2", "close", "e3")])
    );
    let xml = appraisal(&boundary)
        .replace("<bpmn:process ", r#"<bpmn:message id="m" name="rut-ho-so" /><bpmn:process "#);
    let (_t, w, id) = started(friday_13_february_2026(), &xml).await;
    let withdrawal = cqdt_workflow::Message {
        name: "rut-ho-so".into(),
        id: "rut-1".into(),
        to: cqdt_workflow::Recipient::Instance(id),
        variables: Map::new(),
    };
    w.correlate("portal", "", withdrawal).await.expect("correlate");
    assert_eq!(open_nodes(&w, id).await, ["close"]);
    assert_eq!(row(&w, id, "tham_dinh").await, ("cancelled".to_string(), 1));
    finish(&w, id, "close").await;
}

#[tokio::test]
async fn a_join_stuck_inside_a_stage_flags_the_instance_as_stuck() {
    // Inside: a parallel join waits for a branch whose gateway sent it to an end instead.
    let inner = format!(
        r#"<bpmn:startEvent id="s1" /><bpmn:parallelGateway id="fork" /><bpmn:userTask id="A" />
<bpmn:exclusiveGateway id="x" default="i7" /><bpmn:parallelGateway id="join" /><bpmn:endEvent id="early" /><bpmn:endEvent id="e1" />{}{}{}"#,
        flows(&[("i1", "s1", "fork"), ("i2", "fork", "A"), ("i3", "fork", "x")]),
        flows(&[("i4", "A", "join"), ("i7", "x", "early"), ("i6", "join", "e1")]),
        conformance::cond("i5", "x", "join", "${go}"),
    );
    let (_t, w, id) = started(friday_13_february_2026(), &stage("st", &inner, "")).await;
    assert!(w.stuck(10).await.expect("stuck").is_empty(), "A can still be done");
    complete_at(&w, id, "A").await;
    assert_eq!(open_nodes(&w, id).await, ["st"], "only the stage's row is open");
    let ids: Vec<i64> = w.stuck(10).await.expect("stuck").iter().map(|i| i.id).collect();
    assert_eq!(ids, [id]);
}
