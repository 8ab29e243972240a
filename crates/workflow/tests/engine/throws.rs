//! Intermediate throw events (issue 14 item 1): a none throw event is a milestone the token
//! passes; a link throw event goes on at the link catch event of its name, as if by a flow
//! (diagrams too big for one page). What else is thrown stays refused by name.

use super::conformance::{bpmn, flows, open_nodes, started};
use super::*;

#[tokio::test]
async fn a_none_throw_event_is_a_milestone_the_token_passes() {
    let body = format!(
        r#"<bpmn:startEvent id="s" /><bpmn:intermediateThrowEvent id="m" name="Đã tiếp nhận" /><bpmn:userTask id="t" /><bpmn:endEvent id="e" />{}"#,
        flows(&[("f1", "s", "m"), ("f2", "m", "t"), ("f3", "t", "e")])
    );
    let (_t, w, id) = started(&body, json!({})).await;
    let d = w.instance(id).await.expect("instance");
    assert_eq!(open_nodes(&open_tasks(&w, id).await), ["t"]);
    assert!(d.history.iter().any(|h| h.node_id == "m" && h.event == "passed"), "{d:?}");
}

#[tokio::test]
async fn a_link_throw_event_goes_on_at_the_catch_event_of_its_name() {
    // s → a → throw(B) … catch(B) → b → e; a catch of another name is never reached.
    let body = format!(
        r#"<bpmn:startEvent id="s" /><bpmn:userTask id="a" />
<bpmn:intermediateThrowEvent id="to_b"><bpmn:linkEventDefinition name="B" /></bpmn:intermediateThrowEvent>
<bpmn:intermediateCatchEvent id="at_b"><bpmn:linkEventDefinition name="B" /></bpmn:intermediateCatchEvent>
<bpmn:userTask id="b" /><bpmn:endEvent id="e" />{}"#,
        flows(&[("f1", "s", "a"), ("f2", "a", "to_b"), ("f3", "at_b", "b"), ("f4", "b", "e")])
    );
    let (_t, w, id) = started(&body, json!({})).await;
    let a = open_tasks(&w, id).await.remove(0);
    w.complete("admin", "", a.id, Map::new()).await.expect("complete");
    assert_eq!(open_nodes(&open_tasks(&w, id).await), ["b"]);
    let b = open_tasks(&w, id).await.remove(0);
    w.complete("admin", "", b.id, Map::new()).await.expect("complete");
    assert_eq!(w.instance(id).await.expect("instance").instance.status, "completed");
}

#[tokio::test]
async fn links_without_their_other_end_and_other_throw_events_are_refused_by_name() {
    let throw = |id: &str, def: &str| {
        format!(r#"<bpmn:intermediateThrowEvent id="{id}">{def}</bpmn:intermediateThrowEvent>"#)
    };
    let catch = |id: &str, name: &str| {
        format!(
            r#"<bpmn:intermediateCatchEvent id="{id}"><bpmn:linkEventDefinition name="{name}" /></bpmn:intermediateCatchEvent>"#
        )
    };
    let link = |name: &str| format!(r#"<bpmn:linkEventDefinition name="{name}" />"#);
    let cases = [
        // No catch of that name, and a catch nothing reaches.
        (format!("{}{}", throw("x", &link("A")), catch("c", "Z")), vec!["x", "c"]),
        // Two catches of one name.
        (format!("{}{}{}", throw("x", &link("A")), catch("c1", "A"), catch("c2", "A")), vec!["x"]),
        (throw("x", r#"<bpmn:signalEventDefinition signalRef="sig" />"#), vec!["x"]),
        (throw("x", r#"<bpmn:messageEventDefinition />"#), vec!["x"]),
    ];
    for (events, named) in cases {
        let xml = bpmn(&format!(
            r#"<bpmn:startEvent id="s" /><bpmn:endEvent id="e" />{events}{}"#,
            flows(&[("f1", "s", "x"), ("f9", "s", "e")])
        ));
        let errors = cqdt_workflow::parse_bpmn(&xml).expect_err(&events);
        for id in named {
            assert!(errors.iter().any(|e| e.element.as_deref() == Some(id)), "{id}: {errors:?}");
        }
    }
}

/// start → stage `xu_ly` [t1 → escalation "vuot" thrown → t2] → `after` → end, with an
/// escalation boundary (`cancel`: cancelActivity) on the stage leading to `lanh_dao`.
fn escalating(cancel: &str) -> String {
    bpmn(&format!(
        r#"<bpmn:startEvent id="s" /><bpmn:subProcess id="xu_ly"><bpmn:startEvent id="s1" /><bpmn:userTask id="t1" />
<bpmn:intermediateThrowEvent id="bao"><bpmn:escalationEventDefinition escalationRef="esc" /></bpmn:intermediateThrowEvent>
<bpmn:userTask id="t2" /><bpmn:endEvent id="e1" />{}</bpmn:subProcess>
<bpmn:boundaryEvent id="b" attachedToRef="xu_ly" cancelActivity="{cancel}"><bpmn:escalationEventDefinition escalationRef="esc" /></bpmn:boundaryEvent>
<bpmn:userTask id="lanh_dao" /><bpmn:endEvent id="e2" /><bpmn:userTask id="after" /><bpmn:endEvent id="e" />{}"#,
        flows(&[("i1", "s1", "t1"), ("i2", "t1", "bao"), ("i3", "bao", "t2"), ("i4", "t2", "e1")]),
        flows(&[("f1", "s", "xu_ly"), ("f2", "xu_ly", "after"), ("f3", "after", "e")])
            + &flows(&[("f4", "b", "lanh_dao"), ("f5", "lanh_dao", "e2")])
    ))
    // The escalation is declared beside the process, as modelers write it.
    .replace("<bpmn:process ", r#"<bpmn:escalation id="esc" escalationCode="vuot" /><bpmn:process "#)
}

/// Deploys a whole file and starts its process `p`.
async fn run(xml: &str) -> (TestDb, WorkflowService, i64) {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", xml).await.expect("deploy");
    let id = w.start(Start::new("admin", "p")).await.expect("start");
    (t, w, id)
}

async fn complete(w: &WorkflowService, id: i64, node: &str) {
    let t = open_tasks(w, id).await.into_iter().find(|t| t.node_id == node).expect(node);
    w.complete("admin", "", t.id, Map::new()).await.expect("complete");
}

#[tokio::test]
async fn an_escalation_thrown_midway_reaches_the_stage_and_the_work_goes_on() {
    let (_t, w, id) = run(&escalating("false")).await;
    complete(&w, id, "t1").await;
    let mut open =
        open_nodes(&open_tasks(&w, id).await).into_iter().map(String::from).collect::<Vec<_>>();
    open.sort();
    assert_eq!(open, ["lanh_dao", "t2", "xu_ly"]);
    complete(&w, id, "t2").await;
    let mut open =
        open_nodes(&open_tasks(&w, id).await).into_iter().map(String::from).collect::<Vec<_>>();
    open.sort();
    assert_eq!(open, ["after", "lanh_dao"], "the stage ended; the leader's task stays");
    complete(&w, id, "lanh_dao").await;
    complete(&w, id, "after").await;
    assert_eq!(w.instance(id).await.expect("instance").instance.status, "completed");
}

#[tokio::test]
async fn an_escalation_caught_by_an_interrupting_boundary_ends_the_stage_where_it_was_thrown() {
    let (_t, w, id) = run(&escalating("true")).await;
    complete(&w, id, "t1").await;
    assert_eq!(open_nodes(&open_tasks(&w, id).await), ["lanh_dao"]);
    complete(&w, id, "lanh_dao").await;
    let d = w.instance(id).await.expect("instance");
    assert_eq!(d.instance.status, "completed");
    assert!(d.history.iter().all(|h| h.node_id != "t2" && h.node_id != "after"), "{d:?}");
}

#[tokio::test]
async fn an_escalation_thrown_where_no_stage_catches_it_is_refused_by_name() {
    let xml = bpmn(&format!(
        r#"<bpmn:startEvent id="s" /><bpmn:intermediateThrowEvent id="bao"><bpmn:escalationEventDefinition /></bpmn:intermediateThrowEvent><bpmn:endEvent id="e" />{}"#,
        flows(&[("f1", "s", "bao"), ("f2", "bao", "e")])
    ));
    let errors = cqdt_workflow::parse_bpmn(&xml).expect_err("uncaught");
    let e = errors.iter().find(|e| e.element.as_deref() == Some("bao")).expect("named");
    assert_eq!(e.kind.as_deref(), Some("intermediateThrowEvent"), "{e}");
}
