//! Event-based gateways (issue 14 item 2): the dossier waits for the citizen's supplement or
//! for the deadline, whichever comes first; the other wait is cancelled.

use super::conformance::bpmn;
use super::*;

use cqdt_workflow::{Message, Recipient};

/// start → race: the `supplement` message → `review`, or 15 days → `refuse` → end.
fn waiting_for_supplement(gateway: &str) -> String {
    let body = format!(
        r#"<bpmn:startEvent id="s" />{gateway}
<bpmn:intermediateCatchEvent id="supplied"><bpmn:messageEventDefinition messageRef="m" /></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="deadline"><bpmn:timerEventDefinition><bpmn:timeDuration>P15D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:userTask id="review" /><bpmn:userTask id="refuse" /><bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" />
<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g" /><bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="supplied" /><bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="deadline" />
<bpmn:sequenceFlow id="f3" sourceRef="supplied" targetRef="review" /><bpmn:sequenceFlow id="f4" sourceRef="deadline" targetRef="refuse" />
<bpmn:sequenceFlow id="f5" sourceRef="review" targetRef="e1" /><bpmn:sequenceFlow id="f6" sourceRef="refuse" targetRef="e2" />"#
    );
    bpmn(&body)
        .replace("<bpmn:process ", r#"<bpmn:message id="m" name="ho-so-bo-sung" /><bpmn:process "#)
}

const GATEWAY: &str = r#"<bpmn:eventBasedGateway id="g" />"#;

async fn started(clock: Arc<ManualClock>) -> (TestDb, WorkflowService, i64) {
    let t = TestDb::new().await;
    let w = engine(&t, clock).await;
    w.deploy("admin", "", &waiting_for_supplement(GATEWAY)).await.expect("deploy");
    let s = Start::new("admin", "p").business_key(Some("H51-0009"));
    let id = w.start(s).await.expect("start");
    (t, w, id)
}

fn supplement(id: &str) -> Message {
    Message {
        name: "ho-so-bo-sung".into(),
        id: id.into(),
        to: Recipient::BusinessKey("H51-0009".into()),
        variables: Map::new(),
    }
}

async fn open_nodes(w: &WorkflowService, id: i64) -> Vec<String> {
    let mut n: Vec<String> = open_tasks(w, id).await.into_iter().map(|t| t.node_id).collect();
    n.sort();
    n
}

#[tokio::test]
async fn the_supplement_arriving_first_cancels_the_deadline() {
    let clock = friday_13_february_2026();
    let (_t, w, id) = started(clock.clone()).await;
    assert_eq!(open_nodes(&w, id).await, ["deadline", "supplied"], "both waits at once");
    w.correlate("portal", "", supplement("msg-1")).await.expect("correlate");
    assert_eq!(open_nodes(&w, id).await, ["review"]);
    let d = w.instance(id).await.expect("instance");
    assert_eq!(d.instance.tokens, 1);
    let deadline = d.tasks.iter().find(|t| t.node_id == "deadline").expect("deadline");
    assert_eq!(deadline.status, "cancelled");
    clock.advance(chrono::Duration::days(16));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0, "the deadline went with the race");
}

#[tokio::test]
async fn the_deadline_passing_first_cancels_the_wait_for_the_supplement() {
    let clock = friday_13_february_2026();
    let (_t, w, id) = started(clock.clone()).await;
    clock.advance(chrono::Duration::days(15));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 1);
    assert_eq!(open_nodes(&w, id).await, ["refuse"]);
    assert_eq!(w.instance(id).await.expect("instance").instance.tokens, 1);
    let late = w.correlate("portal", "", supplement("msg-2")).await;
    assert!(matches!(late, Err(WorkflowError::NotFound(_))), "nothing waits any more: {late:?}");
    let refuse = open_tasks(&w, id).await.pop().expect("refuse");
    w.complete("admin", "", refuse.id, Map::new()).await.expect("complete");
    assert_eq!(w.instance(id).await.expect("instance").instance.status, "completed");
}

#[test]
fn a_gateway_the_engine_cannot_run_as_drawn_is_refused_by_name() {
    for (gateway, words) in [
        (r#"<bpmn:eventBasedGateway id="g" instantiate="true" />"#, "instantiate"),
        (r#"<bpmn:eventBasedGateway id="g" eventGatewayType="Parallel" />"#, "song song"),
    ] {
        let errors =
            cqdt_workflow::parse_bpmn(&waiting_for_supplement(gateway)).expect_err("refused");
        assert!(
            errors.iter().any(|e| e.element.as_deref() == Some("g") && e.message.contains(words)),
            "{errors:?}"
        );
    }
    // A user task cannot take part in the race.
    let xml = waiting_for_supplement(GATEWAY)
        .replace(r#"sourceRef="g" targetRef="deadline""#, r#"sourceRef="g" targetRef="review""#);
    let errors = cqdt_workflow::parse_bpmn(&xml).expect_err("refused");
    assert!(
        errors.iter().any(|e| e.element.as_deref() == Some("g") && e.message.contains("review")),
        "{errors:?}"
    );
}
