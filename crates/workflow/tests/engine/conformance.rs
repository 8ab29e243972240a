//! BPMN 2.0 semantics the engine once got wrong (issue 14, W3–W9), each run on a database.

use super::*;

/// A process in the namespaces modelers write, around `body`.
pub(super) fn bpmn(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="t">
<bpmn:process id="p" isExecutable="true">{body}</bpmn:process></bpmn:definitions>"#
    )
}

pub(super) fn flow(id: &str, from: &str, to: &str) -> String {
    format!(r#"<bpmn:sequenceFlow id="{id}" sourceRef="{from}" targetRef="{to}" />"#)
}

/// Sequence flows, as (id, source, target).
pub(super) fn flows(list: &[(&str, &str, &str)]) -> String {
    list.iter().map(|(id, from, to)| flow(id, from, to)).collect()
}

pub(super) fn cond(id: &str, from: &str, to: &str, c: &str) -> String {
    format!(
        r#"<bpmn:sequenceFlow id="{id}" sourceRef="{from}" targetRef="{to}"><bpmn:conditionExpression>{c}</bpmn:conditionExpression></bpmn:sequenceFlow>"#
    )
}

pub(super) async fn started(body: &str, variables: Value) -> (TestDb, WorkflowService, i64) {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", &bpmn(body)).await.expect("deploy");
    let id = w.start(Start::new("admin", "p").variables(vars(variables))).await.expect("start");
    (t, w, id)
}

pub(super) fn open_nodes(tasks: &[cqdt_workflow::TaskRow]) -> Vec<&str> {
    tasks.iter().map(|t| t.node_id.as_str()).collect()
}

async fn took(w: &WorkflowService, id: i64) -> Vec<String> {
    let d = w.instance(id).await.expect("detail");
    d.history.iter().filter(|h| h.event == "took").filter_map(|h| h.detail.clone()).collect()
}

#[tokio::test]
async fn a_parallel_join_waits_for_a_token_on_every_incoming_flow_not_two_on_one() {
    let body = [
        r#"<bpmn:startEvent id="s" /><bpmn:parallelGateway id="fork" />
        <bpmn:userTask id="a1" /><bpmn:userTask id="a2" /><bpmn:userTask id="b" />
        <bpmn:exclusiveGateway id="merge" /><bpmn:parallelGateway id="join" />
        <bpmn:userTask id="after" /><bpmn:endEvent id="e" />"#
            .to_string(),
        flow("f0", "s", "fork"),
        flow("fa1", "fork", "a1"),
        flow("fa2", "fork", "a2"),
        flow("fb", "fork", "b"),
        flow("m1", "a1", "merge"),
        flow("m2", "a2", "merge"),
        flow("jx", "merge", "join"),
        flow("jb", "b", "join"),
        flow("j", "join", "after"),
        flow("end", "after", "e"),
    ]
    .concat();
    let (_t, w, id) = started(&body, json!({})).await;
    for node in ["a1", "a2"] {
        let open = open_tasks(&w, id).await;
        let task = open.iter().find(|t| t.node_id == node).expect("branch task");
        w.complete("x", "", task.id, Map::new()).await.expect("complete");
    }
    assert_eq!(open_nodes(&open_tasks(&w, id).await), ["b"], "two tokens on one flow do not fire");
    let b = open_tasks(&w, id).await;
    w.complete("x", "", b[0].id, Map::new()).await.expect("b");
    assert_eq!(open_nodes(&open_tasks(&w, id).await), ["after"], "fires once every flow has one");
}

#[tokio::test]
async fn an_exclusive_gateway_tries_its_flows_in_document_order() {
    let body = [
        r#"<bpmn:startEvent id="s" /><bpmn:exclusiveGateway id="g" />
        <bpmn:userTask id="first" /><bpmn:userTask id="second" /><bpmn:endEvent id="e" />"#
            .to_string(),
        flow("f0", "s", "g"),
        cond("z_written_first", "g", "first", "${true}"),
        cond("a_written_second", "g", "second", "${true}"),
        flow("f1", "first", "e"),
        flow("f2", "second", "e"),
    ]
    .concat();
    let (_t, w, id) = started(&body, json!({})).await;
    assert_eq!(open_nodes(&open_tasks(&w, id).await), ["first"]);
    assert_eq!(took(&w, id).await, ["z_written_first"]);
}

#[tokio::test]
async fn an_exclusive_gateway_with_no_true_condition_and_no_default_is_an_incident() {
    let body = [
        r#"<bpmn:startEvent id="s" /><bpmn:exclusiveGateway id="g" />
        <bpmn:userTask id="yes" /><bpmn:endEvent id="e" />"#
            .to_string(),
        flow("f0", "s", "g"),
        cond("only", "g", "yes", "${approved}"),
        flow("f1", "yes", "e"),
    ]
    .concat();
    let (_t, w, id) = started(&body, json!({"approved": false})).await;
    let d = w.instance(id).await.expect("detail");
    assert_eq!(d.instance.status, "incident");
    assert!(d.instance.incident.unwrap_or_default().contains('g'));
    assert!(open_tasks(&w, id).await.is_empty(), "the false flow is not taken");
}

#[tokio::test]
async fn a_plain_task_passes_through_instead_of_waiting_for_a_person() {
    let body = [
        r#"<bpmn:startEvent id="s" /><bpmn:task id="note" /><bpmn:manualTask id="by_hand" />
        <bpmn:userTask id="u" /><bpmn:endEvent id="e" />"#
            .to_string(),
        flow("f0", "s", "note"),
        flow("f1", "note", "by_hand"),
        flow("f2", "by_hand", "u"),
        flow("f3", "u", "e"),
    ]
    .concat();
    let (_t, w, id) = started(&body, json!({})).await;
    assert_eq!(open_nodes(&open_tasks(&w, id).await), ["u"]);
}

#[tokio::test]
async fn variables_dot_x_and_feel_conditions_read_the_variable() {
    for c in ["${variables.amount > 100}", "= amount > 100", "=big"] {
        let body = [
            r#"<bpmn:startEvent id="s" /><bpmn:exclusiveGateway id="g" default="small" />
            <bpmn:userTask id="high" /><bpmn:userTask id="low" /><bpmn:endEvent id="e" />"#
                .to_string(),
            flow("f0", "s", "g"),
            cond("large", "g", "high", c),
            flow("small", "g", "low"),
            flow("f1", "high", "e"),
            flow("f2", "low", "e"),
        ]
        .concat();
        let (_t, w, id) = started(&body, json!({"amount": 150, "big": true})).await;
        assert_eq!(open_nodes(&open_tasks(&w, id).await), ["high"], "{c}");
    }
}

#[tokio::test]
async fn camunda_candidate_groups_a_comma_b_puts_the_task_in_both_pools() {
    let body = [
        r#"<bpmn:startEvent id="s" /><bpmn:userTask id="u" camunda:candidateGroups="reception_officer, leader" /><bpmn:endEvent id="e" />"#
            .to_string(),
        flow("f0", "s", "u"),
        flow("f1", "u", "e"),
    ]
    .concat();
    let (_t, w, _id) = started(&body, json!({})).await;
    for role in ["reception_officer", "leader"] {
        assert_eq!(
            w.tasks(Some(role), None, Some("open"), 10).await.expect("pool").len(),
            1,
            "{role}"
        );
    }
    let listed = w.open_tasks_for_roles(&["leader"], 10).await.expect("for roles");
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn a_zeebe_assignment_definition_gives_the_task_its_roles_and_assignee() {
    let body = [
        r#"<bpmn:startEvent id="s" /><bpmn:userTask id="u"><bpmn:extensionElements>
        <zeebe:assignmentDefinition assignee="can-bo-a" candidateGroups="clerk,leader" />
        </bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="e" />"#
            .to_string(),
        flow("f0", "s", "u"),
        flow("f1", "u", "e"),
    ]
    .concat();
    let (_t, w, _id) = started(&body, json!({})).await;
    let pool = w.tasks(Some("clerk"), None, Some("open"), 10).await.expect("pool");
    assert_eq!(pool.len(), 1);
    assert_eq!(pool[0].assignee.as_deref(), Some("can-bo-a"));
    assert!(matches!(
        w.complete("nguoi-khac", "", pool[0].id, Map::new()).await,
        Err(WorkflowError::Conflict(_))
    ));
    w.complete("can-bo-a", "", pool[0].id, Map::new()).await.expect("the assignee completes");
}
