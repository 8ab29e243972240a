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
