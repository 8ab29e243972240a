//! Multi-instance user tasks (issue 14 item 3, W1): one task per item of a list, all at once
//! or one after another, ended early by a completion condition, outputs collected in the
//! list's order.

use super::*;

use std::collections::BTreeMap;

const NS: &str = r#"xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:cqdt="https://cqdt.vn/bpmn" id="d" targetNamespace="t""#;

/// start → `consult` (with `marker`) → `decide` → end.
fn consult(marker: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NS}>
<bpmn:process id="lay_y_kien" isExecutable="true"><bpmn:startEvent id="s" />
<bpmn:userTask id="consult" name="Cho ý kiến" camunda:candidateGroups="processing_officer" cqdt:agency="${{agency}}">{marker}</bpmn:userTask>
<bpmn:userTask id="decide" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="consult" /><bpmn:sequenceFlow id="f2" sourceRef="consult" targetRef="decide" /><bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="e" />
</bpmn:process></bpmn:definitions>"#
    )
}

const AGENCIES: [&str; 3] = ["000.00.10.H51", "000.00.11.H51", "000.00.12.H51"];

async fn started(marker: &str) -> (TestDb, WorkflowService, i64) {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", &consult(marker)).await.expect("deploy");
    let start = Start::new("admin", "lay_y_kien").variables(vars(json!({"agencies": AGENCIES})));
    let id = w.start(start).await.expect("start");
    (t, w, id)
}

/// Open tasks by agency.
async fn by_agency(w: &WorkflowService, id: i64) -> BTreeMap<String, i64> {
    open_tasks(w, id).await.into_iter().filter_map(|t| Some((t.agency?, t.id))).collect()
}

#[tokio::test]
async fn a_parallel_consultation_opens_one_task_per_agency_and_goes_on_when_all_have_answered() {
    let marker = r#"<bpmn:multiInstanceLoopCharacteristics camunda:collection="${agencies}" camunda:elementVariable="agency" />"#;
    let (_t, w, id) = started(marker).await;
    let open = by_agency(&w, id).await;
    assert_eq!(open.keys().map(String::as_str).collect::<Vec<_>>(), AGENCIES);
    for (n, agency) in AGENCIES.iter().enumerate() {
        let inst = w.complete("admin", "", open[*agency], Map::new()).await.expect("answer");
        let waiting: Vec<String> =
            open_tasks(&w, id).await.into_iter().map(|t| t.node_id).collect();
        if n < 2 {
            assert_eq!(inst.status, "active");
            assert!(waiting.iter().all(|t| t == "consult"), "still consulting: {waiting:?}");
        } else {
            assert_eq!(waiting, ["decide"], "every agency answered");
        }
    }
    assert_eq!(w.instance(id).await.expect("i").instance.tokens, 1, "one token throughout");
}

#[tokio::test]
async fn a_completion_condition_ends_the_consultation_early_and_cancels_the_rest() {
    let marker = r#"<bpmn:multiInstanceLoopCharacteristics camunda:collection="agencies" camunda:elementVariable="agency"><bpmn:completionCondition>${nrOfCompletedInstances >= 2}</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>"#;
    let (_t, w, id) = started(marker).await;
    let open = by_agency(&w, id).await;
    w.complete("admin", "", open[AGENCIES[2]], Map::new()).await.expect("first");
    w.complete("admin", "", open[AGENCIES[0]], Map::new()).await.expect("second");
    let d = w.instance(id).await.expect("instance");
    let left = d.tasks.iter().find(|t| t.id == open[AGENCIES[1]]).expect("third");
    assert_eq!(left.status, "cancelled");
    let waiting: Vec<&str> =
        d.tasks.iter().filter(|t| t.status == "open").map(|t| t.node_id.as_str()).collect();
    assert_eq!(waiting, ["decide"]);
    let late = w.complete("admin", "", open[AGENCIES[1]], Map::new()).await;
    assert!(matches!(late, Err(WorkflowError::Conflict(_))), "{late:?}");
}

#[tokio::test]
async fn a_sequential_consultation_asks_one_agency_after_another_in_the_lists_order() {
    let marker = r#"<bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:collection="agencies" camunda:elementVariable="agency" />"#;
    let (_t, w, id) = started(marker).await;
    for agency in AGENCIES {
        let open = by_agency(&w, id).await;
        assert_eq!(open.keys().collect::<Vec<_>>(), [agency], "one at a time, in order");
        w.complete("admin", "", open[agency], Map::new()).await.expect("answer");
    }
    let waiting: Vec<String> = open_tasks(&w, id).await.into_iter().map(|t| t.node_id).collect();
    assert_eq!(waiting, ["decide"]);
}

#[tokio::test]
async fn zeebe_outputs_are_collected_in_the_lists_order_whatever_order_the_answers_come_in() {
    let marker = r#"<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="= agencies" inputElement="agency" outputCollection="opinions" outputElement="= opinion" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>"#;
    let (_t, w, id) = started(marker).await;
    let open = by_agency(&w, id).await;
    for (agency, opinion) in [(2, "không"), (0, "đồng ý"), (1, "có điều kiện")] {
        let v = vars(json!({"opinion": opinion, "note": agency}));
        w.complete("admin", "", open[AGENCIES[agency]], v).await.expect("answer");
    }
    let inst = w.instance(id).await.expect("instance").instance;
    assert_eq!(inst.variables["opinions"], json!(["đồng ý", "có điều kiện", "không"]));
    assert!(!inst.variables.contains_key("opinion"), "each answer stays its task's own");
    assert_eq!(inst.variables["note"], 1, "other variables reach the instance");
}

#[tokio::test]
async fn an_empty_list_passes_the_activity_and_a_missing_list_is_an_incident() {
    let marker = r#"<bpmn:multiInstanceLoopCharacteristics camunda:collection="agencies" camunda:elementVariable="agency" />"#;
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", &consult(marker)).await.expect("deploy");
    let empty = Start::new("admin", "lay_y_kien").variables(vars(json!({"agencies": []})));
    let id = w.start(empty).await.expect("start");
    let waiting: Vec<String> = open_tasks(&w, id).await.into_iter().map(|t| t.node_id).collect();
    assert_eq!(waiting, ["decide"]);
    let id = w.start(Start::new("admin", "lay_y_kien")).await.expect("start");
    let inst = w.instance(id).await.expect("instance").instance;
    assert_eq!(inst.status, "incident");
    assert!(inst.incident.as_deref().is_some_and(|i| i.contains("agencies")), "{inst:?}");
}

#[tokio::test]
async fn a_timer_on_a_multi_instance_task_is_refused_rather_than_set_on_each_task() {
    let marker = r#"<bpmn:multiInstanceLoopCharacteristics camunda:collection="agencies" /></bpmn:userTask><bpmn:boundaryEvent id="late" attachedToRef="consult"><bpmn:timerEventDefinition><bpmn:timeDuration>P5D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="f4" sourceRef="late" targetRef="e2" /><bpmn:userTask id="x">"#;
    // (The marker closes the task early; the empty task "x" after it draws its own errors.)
    let xml = consult(marker);
    let errors = cqdt_workflow::parse_bpmn(&xml).expect_err("refused");
    assert!(
        errors
            .iter()
            .any(|e| e.element.as_deref() == Some("late") && e.message.contains("nhiều phiên")),
        "{errors:?}"
    );
}
