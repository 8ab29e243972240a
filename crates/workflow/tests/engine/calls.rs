//! Call activities (issue 14 item 3): a process deployed once — a shared appraisal stage —
//! called by others; the caller waits while the called instance runs, takes its variables
//! when it ends, and a deadline or a cancellation on the caller reaches what it called.

use super::conformance::{bpmn, flows};
use super::*;

/// A process `id` in the namespaces modelers write, around `body`.
fn process(id: &str, body: &str) -> String {
    bpmn(body).replace(r#"<bpmn:process id="p""#, &format!(r#"<bpmn:process id="{id}""#))
}

/// The called process `tham_dinh`: start → `review` (a person) → end.
fn appraisal() -> String {
    process(
        "tham_dinh",
        &format!(
            r#"<bpmn:startEvent id="s" /><bpmn:userTask id="review" name="Thẩm định" /><bpmn:endEvent id="e" />{}"#,
            flows(&[("f1", "s", "review"), ("f2", "review", "e")])
        ),
    )
}

/// The caller `p`: start → call activity `call` (with `attrs` and `inside`) → `after` → end,
/// and `extra` beside it.
fn caller(attrs: &str, inside: &str, extra: &str) -> String {
    bpmn(&format!(
        r#"<bpmn:startEvent id="s" /><bpmn:callActivity id="call" name="Gọi thẩm định" {attrs}>{inside}</bpmn:callActivity>
<bpmn:userTask id="after" /><bpmn:endEvent id="e" />{extra}{}"#,
        flows(&[("f1", "s", "call"), ("f2", "call", "after"), ("f3", "after", "e")])
    ))
}

async fn deployed(clock: Arc<ManualClock>, files: &[String]) -> (TestDb, WorkflowService) {
    let t = TestDb::new().await;
    let w = engine(&t, clock).await;
    for xml in files {
        w.deploy("admin", "", xml).await.expect("deploy");
    }
    (t, w)
}

/// The one instance instance `id`'s call activities started.
async fn called(w: &WorkflowService, id: i64) -> cqdt_workflow::InstanceDetail {
    let d = w.instance(id).await.expect("caller");
    assert_eq!(d.called.len(), 1, "one called instance: {:?}", d.called);
    w.instance(d.called[0].instance_id).await.expect("called")
}

async fn complete_at(w: &WorkflowService, id: i64, node: &str, v: Value) {
    let task = open_tasks(w, id).await.into_iter().find(|t| t.node_id == node).expect("open");
    w.complete("admin", "", task.id, vars(v)).await.expect("complete");
}

async fn open_nodes(w: &WorkflowService, id: i64) -> Vec<String> {
    let mut n: Vec<String> = open_tasks(w, id).await.into_iter().map(|t| t.node_id).collect();
    n.sort();
    n
}

#[tokio::test]
async fn a_call_activity_runs_the_called_process_and_goes_on_with_its_variables() {
    let files = [appraisal(), caller(r#"calledElement="tham_dinh""#, "", "")];
    let (_t, w) = deployed(friday_13_february_2026(), &files).await;
    let start = Start::new("admin", "p").business_key(Some("H01")).variables(vars(json!({"a": 1})));
    let id = w.start(start).await.expect("start");
    assert_eq!(open_nodes(&w, id).await, ["call"]);
    let row = open_tasks(&w, id).await.remove(0);
    assert_eq!(row.role, None, "in nobody's worklist");
    let by_hand = w.complete("admin", "", row.id, Map::new()).await;
    assert!(matches!(by_hand, Err(WorkflowError::Conflict(_))), "{by_hand:?}");
    let child = called(&w, id).await;
    assert_eq!(child.instance.parent_task_id, Some(row.id));
    assert_eq!(child.caller, Some(id));
    assert_eq!(child.instance.business_key.as_deref(), Some("H01"), "the dossier's code");
    assert_eq!(child.instance.variables.get("a"), Some(&json!(1)), "a plain file passes all in");
    complete_at(&w, child.instance.id, "review", json!({"result": "đạt"})).await;
    let child = w.instance(child.instance.id).await.expect("called");
    assert_eq!(child.instance.status, "completed");
    assert_eq!(open_nodes(&w, id).await, ["after"], "the caller went on in the same step");
    let d = w.instance(id).await.expect("caller");
    assert_eq!(d.instance.variables.get("result"), Some(&json!("đạt")), "and all back");
    assert_eq!(d.called[0].status, "completed");
    complete_at(&w, id, "after", json!({})).await;
    assert_eq!(w.instance(id).await.expect("caller").instance.status, "completed");
}

#[tokio::test]
async fn a_called_process_that_ends_at_once_lets_the_caller_go_on_in_the_same_step() {
    let quick = process(
        "nhanh",
        &format!(
            r#"<bpmn:startEvent id="s" /><bpmn:task id="t" /><bpmn:endEvent id="e" />{}"#,
            flows(&[("f1", "s", "t"), ("f2", "t", "e")])
        ),
    );
    let files = [quick, caller(r#"calledElement="nhanh""#, "", "")];
    let (_t, w) = deployed(friday_13_february_2026(), &files).await;
    let id = w.start(Start::new("admin", "p")).await.expect("start");
    assert_eq!(open_nodes(&w, id).await, ["after"]);
    assert_eq!(called(&w, id).await.instance.status, "completed");
}

#[tokio::test]
async fn camunda_in_and_out_pass_only_the_variables_they_name() {
    let mapping = r#"<bpmn:extensionElements><camunda:in source="a" target="x" /><camunda:out source="y" target="b" /></bpmn:extensionElements>"#;
    let files = [appraisal(), caller(r#"calledElement="tham_dinh""#, mapping, "")];
    let (_t, w) = deployed(friday_13_february_2026(), &files).await;
    let start = Start::new("admin", "p").variables(vars(json!({"a": 1, "secret": 2})));
    let id = w.start(start).await.expect("start");
    let child = called(&w, id).await;
    assert_eq!(Value::Object(child.instance.variables.clone()), json!({"x": 1}));
    complete_at(&w, child.instance.id, "review", json!({"y": "có", "z": "không"})).await;
    let d = w.instance(id).await.expect("caller");
    assert_eq!(d.instance.variables.get("b"), Some(&json!("có")));
    assert_eq!(d.instance.variables.get("z"), None, "only what camunda:out names comes back");
}

#[tokio::test]
async fn a_zeebe_call_activity_can_keep_the_called_instances_variables_to_itself() {
    let inside = r#"<bpmn:extensionElements><zeebe:calledElement processId="tham_dinh" propagateAllChildVariables="false" /></bpmn:extensionElements>"#;
    let files = [appraisal(), caller("", inside, "")];
    let (_t, w) = deployed(friday_13_february_2026(), &files).await;
    let id = w.start(Start::new("admin", "p").variables(vars(json!({"a": 1})))).await;
    let id = id.expect("start");
    let child = called(&w, id).await;
    assert_eq!(child.instance.variables.get("a"), Some(&json!(1)), "every variable goes in");
    complete_at(&w, child.instance.id, "review", json!({"y": 2})).await;
    assert_eq!(open_nodes(&w, id).await, ["after"]);
    let d = w.instance(id).await.expect("caller");
    assert_eq!(d.instance.variables.get("y"), None);
}

#[tokio::test]
async fn a_deadline_on_a_call_activity_cancels_the_called_instance_and_takes_its_path() {
    let late = r#"<bpmn:boundaryEvent id="qua_han" attachedToRef="call"><bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:userTask id="late" /><bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="l1" sourceRef="qua_han" targetRef="late" /><bpmn:sequenceFlow id="l2" sourceRef="late" targetRef="e2" />"#;
    let clock = friday_13_february_2026();
    let files = [appraisal(), caller(r#"calledElement="tham_dinh""#, "", late)];
    let (_t, w) = deployed(clock.clone(), &files).await;
    let id = w.start(Start::new("admin", "p")).await.expect("start");
    let child = called(&w, id).await.instance.id;
    clock.advance(chrono::Duration::hours(3));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 1);
    assert_eq!(open_nodes(&w, id).await, ["late"]);
    let child = w.instance(child).await.expect("called");
    assert_eq!(child.instance.status, "cancelled");
    assert!(child.tasks.iter().all(|t| t.status == "cancelled"), "{:?}", child.tasks);
    assert!(child.history.iter().any(|h| h.event == "cancelled"));
}

#[tokio::test]
async fn cancelling_the_caller_cancels_what_it_called_at_every_depth_and_not_the_other_way() {
    // p calls `giua`, which calls `tham_dinh`.
    let middle = process(
        "giua",
        &format!(
            r#"<bpmn:startEvent id="s" /><bpmn:callActivity id="c2" calledElement="tham_dinh" /><bpmn:endEvent id="e" />{}"#,
            flows(&[("f1", "s", "c2"), ("f2", "c2", "e")])
        ),
    );
    let files = [appraisal(), middle, caller(r#"calledElement="giua""#, "", "")];
    let (_t, w) = deployed(friday_13_february_2026(), &files).await;
    let id = w.start(Start::new("admin", "p")).await.expect("start");
    let mid = called(&w, id).await.instance.id;
    let low = called(&w, mid).await.instance.id;
    assert_eq!(open_nodes(&w, low).await, ["review"]);
    let refused = w.cancel("admin", "", low, "nhầm lượt").await;
    assert!(matches!(refused, Err(WorkflowError::Conflict(_))), "{refused:?}");
    w.cancel("admin", "", id, "công dân rút hồ sơ").await.expect("cancel");
    for i in [mid, low] {
        let d = w.instance(i).await.expect("called");
        assert_eq!(d.instance.status, "cancelled", "instance {i}");
        assert!(d.tasks.iter().all(|t| t.status != "open"), "{:?}", d.tasks);
    }
}

#[tokio::test]
async fn a_call_to_a_process_not_deployed_is_an_incident_and_runs_on_once_it_is() {
    let files = [caller(r#"calledElement="tham_dinh""#, "", "")];
    let (_t, w) = deployed(friday_13_february_2026(), &files).await;
    let id = w.start(Start::new("admin", "p")).await.expect("start");
    let d = w.instance(id).await.expect("caller");
    assert_eq!(d.instance.status, "incident");
    assert!(d.instance.incident.as_deref().is_some_and(|i| i.contains("tham_dinh")), "{d:?}");
    w.deploy("admin", "", &appraisal()).await.expect("deploy");
    w.retry_incident("admin", "", id, Map::new()).await.expect("retry");
    assert_eq!(open_nodes(&w, id).await, ["call"]);
    assert_eq!(called(&w, id).await.instance.status, "active");
}

#[tokio::test]
async fn a_called_instance_that_ends_while_its_caller_is_stopped_is_taken_when_it_runs_on() {
    // Beside the call, a gateway with no true condition stops the caller at once.
    let xml = bpmn(&format!(
        r#"<bpmn:startEvent id="s" /><bpmn:parallelGateway id="fork" /><bpmn:callActivity id="call" calledElement="tham_dinh" />
<bpmn:exclusiveGateway id="x" /><bpmn:userTask id="ok" /><bpmn:parallelGateway id="join" /><bpmn:userTask id="after" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="c1" sourceRef="x" targetRef="ok"><bpmn:conditionExpression>${{go}}</bpmn:conditionExpression></bpmn:sequenceFlow>{}"#,
        flows(&[
            ("f1", "s", "fork"),
            ("f2", "fork", "call"),
            ("f3", "fork", "x"),
            ("f4", "call", "join"),
            ("f5", "ok", "join"),
            ("f6", "join", "after"),
            ("f7", "after", "e"),
        ])
    ));
    let (_t, w) = deployed(friday_13_february_2026(), &[appraisal(), xml]).await;
    let id = w.start(Start::new("admin", "p")).await.expect("start");
    assert_eq!(w.instance(id).await.expect("caller").instance.status, "incident");
    let child = called(&w, id).await.instance.id;
    complete_at(&w, child, "review", json!({"y": 1})).await;
    assert_eq!(w.instance(child).await.expect("called").instance.status, "completed");
    assert_eq!(open_nodes(&w, id).await, ["call"], "the caller's row waits while it is stopped");
    w.retry_incident("admin", "", id, vars(json!({"go": true}))).await.expect("retry");
    assert_eq!(open_nodes(&w, id).await, ["ok"], "the call is taken: the join waits for ok");
    complete_at(&w, id, "ok", json!({})).await;
    assert_eq!(open_nodes(&w, id).await, ["after"]);
    assert_eq!(w.instance(id).await.expect("caller").instance.variables.get("y"), Some(&json!(1)));
}

#[tokio::test]
async fn a_call_activity_the_engine_cannot_honour_exactly_is_refused_by_name() {
    let cases = [
        (r#"calledElement="${which}""#, "", "biểu thức"),
        (r#"calledElement="tham_dinh" camunda:calledElementBinding="version""#, "", "latest"),
        (
            r#"calledElement="tham_dinh""#,
            r#"<bpmn:extensionElements><camunda:in businessKey="${execution.processBusinessKey}" /></bpmn:extensionElements>"#,
            "businessKey",
        ),
        (
            r#"calledElement="tham_dinh""#,
            r#"<bpmn:multiInstanceLoopCharacteristics camunda:collection="xs" />"#,
            "nhiều phiên",
        ),
        (
            "",
            r#"<bpmn:extensionElements><zeebe:calledElement processId="=which" /></bpmn:extensionElements>"#,
            "biểu thức",
        ),
    ];
    for (attrs, inside, why) in cases {
        let errors = cqdt_workflow::parse_bpmn(&caller(attrs, inside, "")).expect_err(attrs);
        let e = errors.iter().find(|e| e.element.as_deref() == Some("call")).expect("named");
        assert!(e.message.contains(why), "{attrs} {inside}: {e}");
    }
    let error = r#"<bpmn:boundaryEvent id="loi" attachedToRef="call"><bpmn:errorEventDefinition /></bpmn:boundaryEvent><bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="l1" sourceRef="loi" targetRef="e2" />"#;
    let errors = cqdt_workflow::parse_bpmn(&caller(r#"calledElement="tham_dinh""#, "", error));
    let errors = errors.expect_err("error boundary");
    assert!(errors.iter().any(|e| e.element.as_deref() == Some("loi")), "{errors:?}");
}
