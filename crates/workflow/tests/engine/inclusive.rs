//! Inclusive gateways (issue 14 item 2): a fork down every flow whose condition holds, a join
//! that waits for exactly the tokens that can still arrive (BPMN 2.0 §13.4.3).

use super::conformance::{bpmn, cond, flow, flows, open_nodes, started};
use super::*;

/// Consultation of the branches a dossier needs: `a` (one step) and `b` (two steps, or
/// stopped after the first when `stop`), `D` when neither applies (and `default`); the join waits for the
/// branches taken, then `after`. `timer` goes on the boundary of `A`.
fn consult(default: bool, timer: &str) -> String {
    let default_attr = if default { r#" default="fd""# } else { "" };
    let default_flow = if default {
        format!(r#"<bpmn:userTask id="D" />{}{}"#, flow("fd", "g", "D"), flow("fd2", "D", "j"))
    } else {
        String::new()
    };
    format!(
        r#"<bpmn:startEvent id="s" /><bpmn:inclusiveGateway id="g"{default_attr} />
<bpmn:userTask id="A" /><bpmn:userTask id="B1" /><bpmn:userTask id="B2" />
<bpmn:exclusiveGateway id="x" default="fx" /><bpmn:endEvent id="stopped" />{timer}
<bpmn:inclusiveGateway id="j" /><bpmn:userTask id="after" /><bpmn:endEvent id="e" />
{}{}{}{}{}{}{}{}{}{}{}"#,
        flow("f0", "s", "g"),
        cond("fa", "g", "A", "${a}"),
        cond("fb", "g", "B1", "${b}"),
        flow("fa2", "A", "j"),
        flow("fb2", "B1", "x"),
        cond("fstop", "x", "stopped", "${stop}"),
        flow("fx", "x", "B2"),
        flow("fb3", "B2", "j"),
        default_flow,
        flow("fj", "j", "after"),
        flow("fe", "after", "e"),
    )
}

async fn open_list(w: &WorkflowService, id: i64) -> Vec<String> {
    let open = open_tasks(w, id).await;
    let mut nodes: Vec<String> = open_nodes(&open).into_iter().map(str::to_string).collect();
    nodes.sort();
    nodes
}

async fn complete_at(w: &WorkflowService, id: i64, node: &str, v: Value) {
    let open = open_tasks(w, id).await;
    let task = open.iter().find(|t| t.node_id == node).unwrap_or_else(|| panic!("{node} open"));
    w.complete("admin", "", task.id, vars(v)).await.expect("complete");
}

#[tokio::test]
async fn the_fork_takes_every_true_flow_and_the_join_waits_for_each_branch_taken() {
    let (_t, w, id) =
        started(&consult(true, ""), json!({"a": true, "b": true, "stop": false})).await;
    assert_eq!(open_list(&w, id).await, ["A", "B1"], "both conditions hold, not the default");
    complete_at(&w, id, "A", json!({})).await;
    assert_eq!(open_list(&w, id).await, ["B1"], "the join waits for branch b");
    complete_at(&w, id, "B1", json!({})).await;
    assert_eq!(open_list(&w, id).await, ["B2"], "b's token can still reach the join");
    complete_at(&w, id, "B2", json!({})).await;
    assert_eq!(open_list(&w, id).await, ["after"]);
    let d = w.instance(id).await.expect("instance");
    assert_eq!(d.instance.tokens, 1, "two tokens joined into one");
    complete_at(&w, id, "after", json!({})).await;
    assert_eq!(w.instance(id).await.expect("instance").instance.status, "completed");
}

#[tokio::test]
async fn a_join_does_not_wait_for_a_branch_the_fork_did_not_take() {
    let (_t, w, id) = started(&consult(true, ""), json!({"a": true, "b": false})).await;
    assert_eq!(open_list(&w, id).await, ["A"]);
    complete_at(&w, id, "A", json!({})).await;
    assert_eq!(open_list(&w, id).await, ["after"], "nothing else can arrive");
}

#[tokio::test]
async fn the_default_flow_is_taken_only_when_no_condition_holds_and_nothing_is_an_incident() {
    let (_t, w, id) = started(&consult(true, ""), json!({"a": false, "b": false})).await;
    assert_eq!(open_list(&w, id).await, ["D"]);
    complete_at(&w, id, "D", json!({})).await;
    assert_eq!(open_list(&w, id).await, ["after"]);

    let (_t, w, id) = started(&consult(false, ""), json!({"a": false, "b": false})).await;
    let d = w.instance(id).await.expect("instance");
    assert_eq!(d.instance.status, "incident");
    assert!(d.instance.incident.as_deref().is_some_and(|i| i.starts_with("g: ")), "{d:?}");
}

#[tokio::test]
async fn a_branch_that_ends_elsewhere_releases_the_join_in_the_same_step() {
    let (_t, w, id) = started(&consult(true, ""), json!({"a": true, "b": true})).await;
    complete_at(&w, id, "A", json!({})).await;
    assert_eq!(open_list(&w, id).await, ["B1"]);
    // B's token leaves for an end event: nothing can reach the join any more.
    complete_at(&w, id, "B1", json!({"stop": true})).await;
    assert_eq!(open_list(&w, id).await, ["after"]);
    let d = w.instance(id).await.expect("instance");
    assert!(d.history.iter().any(|h| h.event == "ended" && h.node_id == "stopped"));
    assert_eq!(d.instance.tokens, 1);
}

#[tokio::test]
async fn a_timer_that_takes_a_branch_away_from_the_join_releases_it() {
    let t = TestDb::new().await;
    let clock = friday_13_february_2026();
    let w = engine(&t, clock.clone()).await;
    let timer = r#"<bpmn:boundaryEvent id="late" attachedToRef="A"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="gave_up" /><bpmn:sequenceFlow id="fl" sourceRef="late" targetRef="gave_up" />"#;
    w.deploy("admin", "", &bpmn(&consult(true, timer))).await.expect("deploy");
    let start = Start::new("admin", "p").variables(vars(json!({"a": true, "b": true})));
    let id = w.start(start).await.expect("start");
    complete_at(&w, id, "B1", json!({"stop": false})).await;
    complete_at(&w, id, "B2", json!({})).await;
    assert_eq!(open_list(&w, id).await, ["A"], "A's token can still reach the join");
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 1);
    assert_eq!(open_list(&w, id).await, ["after"], "A went to another end: the join fires");
    assert_eq!(w.instance(id).await.expect("instance").instance.tokens, 1);
}

/// `g` forks to `A` and to a stage whose only way to the join `j` is the error its end event
/// throws (its normal end leads elsewhere).
fn join_after_an_error() -> String {
    let stage = format!(
        r#"<bpmn:subProcess id="S"><bpmn:startEvent id="s1" /><bpmn:userTask id="B" /><bpmn:exclusiveGateway id="x" default="ok" />
<bpmn:endEvent id="failed"><bpmn:errorEventDefinition errorRef="err" /></bpmn:endEvent><bpmn:endEvent id="e1" />{}{}</bpmn:subProcess>
<bpmn:boundaryEvent id="caught" attachedToRef="S"><bpmn:errorEventDefinition errorRef="err" /></bpmn:boundaryEvent>"#,
        flows(&[("i1", "s1", "B"), ("i2", "B", "x"), ("ok", "x", "e1")]),
        cond("bad", "x", "failed", "${fail}"),
    );
    bpmn(&format!(
        r#"<bpmn:startEvent id="s" /><bpmn:inclusiveGateway id="g" /><bpmn:userTask id="A" />{stage}
<bpmn:endEvent id="done" /><bpmn:inclusiveGateway id="j" /><bpmn:userTask id="after" /><bpmn:endEvent id="e" />{}{}"#,
        flows(&[("f0", "s", "g"), ("fa", "g", "A"), ("fs", "g", "S"), ("fa2", "A", "j")]),
        flows(&[("fd", "S", "done"), ("fc", "caught", "j"), ("fj", "j", "after"), ("fe", "after", "e")]),
    ))
    .replace("<bpmn:process ", r#"<bpmn:error id="err" errorCode="LOI" /><bpmn:process "#)
}

#[tokio::test]
async fn a_join_waits_for_a_token_that_can_still_come_by_way_of_a_caught_error() {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", &join_after_an_error()).await.expect("deploy");
    let id = w.start(Start::new("admin", "p")).await.expect("start");
    complete_at(&w, id, "A", json!({})).await;
    assert_eq!(open_list(&w, id).await, ["B", "S"], "B may still fail into the join");
    complete_at(&w, id, "B", json!({"fail": true})).await;
    assert_eq!(open_list(&w, id).await, ["after"]);
    assert_eq!(w.instance(id).await.expect("instance").instance.tokens, 1);
}
