//! Message waits and the correlation API (issue 14 item 3): a receive task or message catch
//! event resumes when its message arrives, found by business key, instance or correlation
//! key; nothing is guessed and nothing happens twice.

use super::*;

use cqdt_workflow::{Message, Recipient};

const NS: &str = r#"xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="t""#;

/// start → `wait` → user task → end, with `message` beside the process.
fn process(wait: &str, message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NS}>{message}
<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" />{wait}<bpmn:userTask id="review" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w" /><bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="review" /><bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="e" /></bpmn:process></bpmn:definitions>"#
    )
}

const RECEIVE: &str = r#"<bpmn:receiveTask id="w" name="Chờ bổ sung" messageRef="m" />"#;
const SUPPLEMENT: &str = r#"<bpmn:message id="m" name="ho-so-bo-sung" />"#;

async fn deployed(xml: &str) -> (TestDb, WorkflowService) {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", xml).await.expect("deploy");
    (t, w)
}

async fn start(w: &WorkflowService, business_key: &str, v: Value) -> i64 {
    let s = Start::new("admin", "p").business_key(Some(business_key)).variables(vars(v));
    w.start(s).await.expect("start")
}

fn message(id: &str, to: Recipient, v: Value) -> Message {
    Message { name: "ho-so-bo-sung".into(), id: id.into(), to, variables: vars(v) }
}

fn dossier(code: &str) -> Recipient {
    Recipient::BusinessKey(code.into())
}

#[tokio::test]
async fn a_citizens_supplement_resumes_the_dossier_waiting_for_it_and_no_other() {
    let (_t, w) = deployed(&process(RECEIVE, SUPPLEMENT)).await;
    let a = start(&w, "H51-0001", json!({})).await;
    let b = start(&w, "H51-0002", json!({})).await;
    let waiting = open_tasks(&w, b).await;
    assert_eq!(waiting.iter().map(|t| t.node_id.as_str()).collect::<Vec<_>>(), ["w"]);
    // Nobody ends the wait as a task.
    let by_person = w.complete("admin", "", waiting[0].id, Map::new()).await;
    assert!(matches!(by_person, Err(WorkflowError::Conflict(_))), "{by_person:?}");
    let got = w
        .correlate("portal", "", message("msg-1", dossier("H51-0002"), json!({"tep": 3})))
        .await
        .expect("correlate");
    assert!(!got.duplicate);
    assert_eq!((got.task_id, got.instance.id), (Some(waiting[0].id), b));
    assert_eq!(got.instance.variables["tep"], 3);
    let open_b: Vec<String> = open_tasks(&w, b).await.into_iter().map(|t| t.node_id).collect();
    assert_eq!(open_b, ["review"]);
    assert_eq!(got.opened.len(), 1);
    let open_a: Vec<String> = open_tasks(&w, a).await.into_iter().map(|t| t.node_id).collect();
    assert_eq!(open_a, ["w"], "the other dossier still waits");
    // The same message again: the same answer, nothing done twice.
    let again = w
        .correlate("portal", "", message("msg-1", dossier("H51-0002"), json!({"tep": 9})))
        .await
        .expect("again");
    assert!(again.duplicate && again.opened.is_empty());
    assert_eq!(again.instance.variables["tep"], 3);
    assert_eq!(open_tasks(&w, b).await.len(), 1);
    // A new message for a dossier no longer waiting, or never started: nothing waits.
    let late = w.correlate("portal", "", message("msg-2", dossier("H51-0002"), json!({}))).await;
    assert!(matches!(late, Err(WorkflowError::NotFound(_))), "{late:?}");
    let unknown = w.correlate("portal", "", message("msg-3", dossier("H51-9999"), json!({}))).await;
    assert!(matches!(unknown, Err(WorkflowError::NotFound(_))), "{unknown:?}");
    // An id already used for another message is refused.
    let mut other = message("msg-1", dossier("H51-0001"), json!({}));
    other.name = "tra-loi".into();
    assert!(matches!(w.correlate("x", "", other).await, Err(WorkflowError::Conflict(_))));
    // By instance id.
    let by_id = w.correlate("x", "", message("msg-4", Recipient::Instance(a), json!({}))).await;
    assert_eq!(by_id.expect("by instance").instance.id, a);
}

#[tokio::test]
async fn two_instances_waiting_under_one_business_key_are_a_conflict_not_a_guess() {
    let (_t, w) = deployed(&process(RECEIVE, SUPPLEMENT)).await;
    start(&w, "H51-0001", json!({})).await;
    start(&w, "H51-0001", json!({})).await;
    let got = w.correlate("portal", "", message("m1", dossier("H51-0001"), json!({}))).await;
    assert!(matches!(got, Err(WorkflowError::Conflict(_))), "{got:?}");
}

#[tokio::test]
async fn a_zeebe_message_catch_event_correlates_by_its_key_variable() {
    let catch = r#"<bpmn:intermediateCatchEvent id="w"><bpmn:messageEventDefinition messageRef="m" /></bpmn:intermediateCatchEvent>"#;
    let msg = r#"<bpmn:message id="m" name="ho-so-bo-sung"><bpmn:extensionElements><zeebe:subscription correlationKey="=ma_ho_so" /></bpmn:extensionElements></bpmn:message>"#;
    let (_t, w) = deployed(&process(catch, msg)).await;
    let id = start(&w, "bk", json!({"ma_ho_so": "000.01.41.H51-260213-0007"})).await;
    let key = Recipient::Key("000.01.41.H51-260213-0007".into());
    let got = w.correlate("lgsp", "", message("k1", key, json!({}))).await.expect("by key");
    assert_eq!(got.instance.id, id);
    // Without the key's variable no message could find it: an incident, said at once.
    let stuck = start(&w, "bk2", json!({})).await;
    let d = w.instance(stuck).await.expect("detail");
    assert_eq!(d.instance.status, "incident");
    assert!(d.instance.incident.as_deref().is_some_and(|i| i.contains("ma_ho_so")), "{d:?}");
}

#[tokio::test]
async fn cancelling_an_instance_ends_its_message_waits() {
    let (_t, w) = deployed(&process(RECEIVE, SUPPLEMENT)).await;
    let id = start(&w, "H51-0001", json!({})).await;
    w.cancel("admin", "", id, "công dân rút hồ sơ").await.expect("cancel");
    let got = w.correlate("portal", "", message("m1", dossier("H51-0001"), json!({}))).await;
    assert!(matches!(got, Err(WorkflowError::NotFound(_))), "{got:?}");
}

#[tokio::test]
async fn message_waits_the_engine_cannot_honour_are_refused_by_element() {
    let cases = [
        (RECEIVE, r#"<bpmn:message id="m" />"#, "w"),
        (r#"<bpmn:receiveTask id="w" messageRef="nowhere" />"#, SUPPLEMENT, "w"),
        (r#"<bpmn:receiveTask id="w" />"#, SUPPLEMENT, "w"),
        (
            RECEIVE,
            r#"<bpmn:message id="m" name="x"><bpmn:extensionElements><zeebe:subscription correlationKey="=a + b" /></bpmn:extensionElements></bpmn:message>"#,
            "w",
        ),
        (
            r#"<bpmn:intermediateCatchEvent id="w"><bpmn:signalEventDefinition /></bpmn:intermediateCatchEvent>"#,
            "",
            "w",
        ),
    ];
    for (wait, msg, id) in cases {
        let errors = cqdt_workflow::parse_bpmn(&process(wait, msg)).expect_err("refused");
        assert!(
            errors.iter().any(|e| e.element.as_deref() == Some(id)),
            "{wait} {msg}: {errors:?}"
        );
    }
}

/// start → `review` → end, with a message boundary event `rut` (`attrs`) on it leading to
/// `close`; `message` beside the process.
fn withdrawable(attrs: &str) -> String {
    conformance::bpmn(&format!(
        r#"<bpmn:startEvent id="s" /><bpmn:userTask id="review" camunda:assignee="xuly.stp" /><bpmn:endEvent id="e" />
<bpmn:boundaryEvent id="rut" attachedToRef="review"{attrs}><bpmn:messageEventDefinition messageRef="m" /></bpmn:boundaryEvent>
<bpmn:userTask id="close" /><bpmn:endEvent id="e2" />{}"#,
        conformance::flows(&[("f1", "s", "review"), ("f2", "review", "e"), ("f3", "rut", "close"), ("f4", "close", "e2")])
    ))
    .replace("<bpmn:process ", r#"<bpmn:message id="m" name="ho-so-bo-sung" /><bpmn:process "#)
}

async fn waits(w: &WorkflowService, id: i64) -> Vec<String> {
    let mut n: Vec<String> = open_tasks(w, id).await.into_iter().map(|t| t.node_id).collect();
    n.sort();
    n
}

#[tokio::test]
async fn a_message_on_a_tasks_boundary_interrupts_it_or_runs_beside_it() {
    let (_t, w) = deployed(&withdrawable("")).await;
    let id = start(&w, "H51-0007", json!({})).await;
    let got = w
        .correlate("portal", "", message("rut-1", dossier("H51-0007"), json!({"ly_do": "rút"})))
        .await
        .expect("correlate");
    assert_eq!(waits(&w, id).await, ["close"], "the review is interrupted");
    assert_eq!((got.instance.tokens, got.instance.variables["ly_do"].as_str()), (1, Some("rút")));
    let again = w.correlate("portal", "", message("rut-2", dossier("H51-0007"), json!({}))).await;
    assert!(matches!(again, Err(WorkflowError::NotFound(_))), "the wait went with it: {again:?}");

    let (_t, w) = deployed(&withdrawable(r#" cancelActivity="false""#)).await;
    let id = start(&w, "H51-0008", json!({})).await;
    for m in ["bs-1", "bs-2"] {
        w.correlate("portal", "", message(m, dossier("H51-0008"), json!({}))).await.expect("bs");
    }
    assert_eq!(waits(&w, id).await, ["close", "close", "review"], "the review goes on");
    assert_eq!(w.instance(id).await.expect("instance").instance.tokens, 3);
}

#[test]
fn a_message_boundary_the_engine_cannot_wait_for_is_refused_by_name() {
    let two = withdrawable("").replace(
        "<bpmn:userTask id=\"close\" />",
        r#"<bpmn:boundaryEvent id="rut2" attachedToRef="review"><bpmn:messageEventDefinition messageRef="m" /></bpmn:boundaryEvent><bpmn:sequenceFlow id="f5" sourceRef="rut2" targetRef="close" /><bpmn:userTask id="close" />"#,
    );
    let errors = cqdt_workflow::parse_bpmn(&two).expect_err("refused");
    assert!(errors.iter().any(|e| e.message.contains("một sự kiện biên thông điệp")), "{errors:?}");
    let on_wait = process(RECEIVE, SUPPLEMENT).replace(
        "<bpmn:userTask id=\"review\" />",
        r#"<bpmn:userTask id="review" /><bpmn:boundaryEvent id="b" attachedToRef="w"><bpmn:messageEventDefinition messageRef="m" /></bpmn:boundaryEvent><bpmn:sequenceFlow id="f9" sourceRef="b" targetRef="review" />"#,
    );
    let errors = cqdt_workflow::parse_bpmn(&on_wait).expect_err("refused");
    assert!(errors.iter().any(|e| e.element.as_deref() == Some("b")), "{errors:?}");
}

#[tokio::test]
async fn a_message_no_instance_waits_for_starts_the_process_whose_start_event_waits_for_it_once() {
    let xml = conformance::bpmn(&format!(
        r#"<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m" /></bpmn:startEvent><bpmn:userTask id="review" /><bpmn:endEvent id="e" />{}"#,
        conformance::flows(&[("f1", "s", "review"), ("f2", "review", "e")])
    ))
    .replace("<bpmn:process ", r#"<bpmn:message id="m" name="ho-so-moi" /><bpmn:process "#);
    let (_t, w) = deployed(&xml).await;
    let filed = |id: &str| Message {
        name: "ho-so-moi".into(),
        id: id.into(),
        to: dossier("H51-0100"),
        variables: vars(json!({"tep": 2})),
    };
    let got = w.correlate("lgsp", "", filed("moi-1")).await.expect("correlate");
    assert!(got.task_id.is_none() && !got.duplicate, "{got:?}");
    let id = got.instance.id;
    assert_eq!(got.instance.business_key.as_deref(), Some("H51-0100"));
    assert_eq!(waits(&w, id).await, ["review"]);
    assert_eq!(w.instance(id).await.expect("instance").instance.variables["tep"], 2);
    // The same message again starts nothing.
    let again = w.correlate("lgsp", "", filed("moi-1")).await.expect("again");
    assert!(again.duplicate && again.instance.id == id, "{again:?}");
    assert_eq!(w.instances(None, 10).await.expect("list").len(), 1);
    // A message for an instance by number is never a start.
    let to_one = Message { to: Recipient::Instance(999), ..filed("moi-2") };
    assert!(matches!(w.correlate("lgsp", "", to_one).await, Err(WorkflowError::NotFound(_))));
}
