//! The parser on the fixture and on broken files.

use super::*;

pub(crate) const SIMPLE: &str = include_str!("../../tests/fixtures/tiep-nhan-xu-ly.bpmn");

#[test]
fn a_diagram_drawn_in_bpmn_io_is_read_with_lanes_as_roles() {
    let p = parse_bpmn(SIMPLE).expect("parse");
    assert_eq!(p.key, "tiep_nhan_xu_ly");
    let task = &p.nodes["Task_TiepNhan"];
    assert_eq!(
        task.kind,
        NodeKind::UserTask {
            role: Some("reception_officer".into()),
            days: Some(0.5),
            agency: None,
            assignee: None,
            multi: None,
            repeat: None,
        }
    );
    assert!(p.layout.shapes.contains_key("Task_TiepNhan"));
    assert!(
        matches!(p.nodes["Timer_QuaHan"].kind, NodeKind::TimerBoundary { days, .. } if days == 3.0)
    );
}

#[test]
fn unsupported_elements_are_refused_by_id_and_type() {
    let xml = SIMPLE
        .replace(
            "<bpmn:exclusiveGateway id=\"Gateway_KetQua\"",
            "<bpmn:complexGateway id=\"Gateway_KetQua\"",
        )
        .replace("</bpmn:exclusiveGateway>", "</bpmn:complexGateway>");
    let errors = parse_bpmn(&xml).expect_err("refused");
    assert!(
        errors.iter().any(|e| e.element.as_deref() == Some("Gateway_KetQua")
            && e.message.contains("complexGateway")),
        "{errors:?}"
    );
}

#[test]
fn broken_diagrams_are_refused_with_reasons() {
    assert!(parse_bpmn("<x/>").is_err());
    assert!(parse_bpmn("not xml").is_err());
    let no_condition = SIMPLE.replace("${approved == true}", "");
    assert!(parse_bpmn(&no_condition).is_err());
}

/// A definitions element with the Camunda 7, Camunda 8 and cqdt namespaces around `body`.
pub(crate) fn bpmn(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:cqdt="https://cqdt.vn/bpmn" id="defs" targetNamespace="t">{body}</bpmn:definitions>"#
    )
}

/// A process start → `task` (whatever element, id "t") → end.
fn one_task(task: &str) -> String {
    bpmn(&format!(
        r#"<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" />{task}<bpmn:endEvent id="e" />
        <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" /><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" /></bpmn:process>"#
    ))
}

fn refusal(xml: &str) -> Vec<BpmnError> {
    parse_bpmn(xml).expect_err("refused")
}

fn names(errors: &[BpmnError], id: &str, words: &[&str]) -> bool {
    errors.iter().any(|e| {
        let text = e.to_string();
        e.element.as_deref() == Some(id) && words.iter().all(|w| text.contains(w))
    })
}

#[test]
fn duplicate_element_ids_are_refused_not_silently_replaced() {
    let xml = one_task(r#"<bpmn:userTask id="t" /><bpmn:userTask id="t" name="again" />"#);
    let errors = refusal(&xml);
    assert!(names(&errors, "t", &["trùng", "2 lần"]), "{errors:?}");
}

#[test]
fn a_multi_instance_marker_the_engine_cannot_honour_is_refused_by_name_rather_than_run_once() {
    for (marker, words) in [
        ("<bpmn:multiInstanceLoopCharacteristics />", &["nhiều phiên", "collection"][..]),
        (
            "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>",
            &["loopCardinality"][..],
        ),
        (
            r#"<bpmn:multiInstanceLoopCharacteristics camunda:collection="${a.split(',')}" />"#,
            &["camunda:collection", "biểu thức"][..],
        ),
    ] {
        let xml = one_task(&format!(r#"<bpmn:userTask id="t">{marker}</bpmn:userTask>"#));

        let errors = refusal(&xml);
        assert!(names(&errors, "t", words), "{marker}: {errors:?}");
    }
    // On anything but a user task it is refused as before.
    let xml = one_task(
        r#"<bpmn:serviceTask id="t" cqdt:type="x"><bpmn:multiInstanceLoopCharacteristics /></bpmn:serviceTask>"#,
    );
    assert!(!refusal(&xml).is_empty());
}

#[test]
fn a_camunda_and_a_zeebe_multi_instance_task_are_read_with_their_list_and_condition() {
    let camunda = one_task(
        r#"<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:collection="${agencies}" camunda:elementVariable="agency"><bpmn:completionCondition>${nrOfCompletedInstances >= 2}</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"#,
    );
    let p = parse_bpmn(&camunda).expect("camunda");
    let NodeKind::UserTask { multi: Some(m), .. } = &p.nodes["t"].kind else { panic!("multi") };
    assert_eq!(
        (m.sequential, m.collection.as_str(), m.element.as_deref(), m.completion.as_deref()),
        (true, "agencies", Some("agency"), Some("${nrOfCompletedInstances >= 2}"))
    );
    let zeebe = one_task(
        r#"<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="= agencies" inputElement="agency" outputCollection="opinions" outputElement="= opinion" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"#,
    );
    let p = parse_bpmn(&zeebe).expect("zeebe");
    let NodeKind::UserTask { multi: Some(m), .. } = &p.nodes["t"].kind else { panic!("multi") };
    assert!(!m.sequential);
    assert_eq!(m.output, Some(("opinions".into(), "opinion".into())));
}

#[test]
fn a_standard_loop_marker_the_engine_cannot_honour_is_refused_by_name_rather_than_ignored() {
    let xml = one_task(
        r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="x"><bpmn:standardLoopCharacteristics loopMaximum="2" /></bpmn:serviceTask>"#,
    );
    let errors = refusal(&xml);
    assert!(names(&errors, "t", &["standardLoopCharacteristics", "userTask"]), "{errors:?}");
    let xml =
        one_task(r#"<bpmn:userTask id="t"><bpmn:standardLoopCharacteristics /></bpmn:userTask>"#);
    assert!(names(&refusal(&xml), "t", &["lặp mãi"]));
}

#[test]
fn an_external_service_task_becomes_a_job_of_its_topic() {
    let xml =
        one_task(r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="lgsp" />"#);
    let p = parse_bpmn(&xml).expect("accepted");
    assert_eq!(p.nodes["t"].kind, NodeKind::ExternalTask { topic: "lgsp".into(), retries: None });
}

#[test]
fn a_camunda_8_service_task_becomes_a_job_of_its_type_with_its_retries() {
    let xml = one_task(
        r#"<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="tra-cuu" retries="5" /></bpmn:extensionElements></bpmn:serviceTask>"#,
    );
    let p = parse_bpmn(&xml).expect("accepted");
    let want = NodeKind::ExternalTask { topic: "tra-cuu".into(), retries: Some(5) };
    assert_eq!(p.nodes["t"].kind, want);
    let xml = one_task(
        r#"<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="tra-cuu" /></bpmn:extensionElements></bpmn:serviceTask>"#,
    );
    let p = parse_bpmn(&xml).expect("accepted");
    assert_eq!(
        p.nodes["t"].kind,
        NodeKind::ExternalTask { topic: "tra-cuu".into(), retries: Some(3) }
    );
}

#[test]
fn a_job_topic_written_as_an_expression_or_left_empty_is_refused_by_name() {
    for task in [
        r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="${topic}" />"#,
        r#"<bpmn:serviceTask id="t" camunda:type="external" />"#,
        r#"<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="=kind" /></bpmn:extensionElements></bpmn:serviceTask>"#,
        r#"<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="x" retries="=3" /></bpmn:extensionElements></bpmn:serviceTask>"#,
    ] {
        let errors = refusal(&one_task(task));
        assert!(names(&errors, "t", &["serviceTask"]), "{task}: {errors:?}");
    }
}

#[test]
fn a_timer_on_a_job_is_refused_as_only_user_tasks_carry_timers() {
    let xml = one_task(r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="lgsp" />"#)
        .replace(
            "</bpmn:process>",
            r#"<bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="fb" sourceRef="b" targetRef="e2" /></bpmn:process>"#,
        );
    let errors = refusal(&xml);
    assert!(names(&errors, "b", &["boundaryEvent"]), "{errors:?}");
}

#[test]
fn input_output_mappings_are_refused_by_name() {
    for ext in [
        r#"<camunda:inputOutput><camunda:inputParameter name="a">1</camunda:inputParameter></camunda:inputOutput>"#,
        r#"<zeebe:ioMapping><zeebe:input source="=a" target="b" /></zeebe:ioMapping>"#,
    ] {
        let xml = one_task(&format!(
            r#"<bpmn:userTask id="t"><bpmn:extensionElements>{ext}</bpmn:extensionElements></bpmn:userTask>"#
        ));
        let errors = refusal(&xml);
        assert!(names(&errors, "t", &["vào/ra"]), "{errors:?}");
        assert!(errors
            .iter()
            .any(|e| e.message.contains("inputOutput") || e.message.contains("ioMapping")));
    }
}

#[test]
fn timers_in_seconds_fractions_or_months_are_calendar_time_and_refused_only_in_working_time() {
    let timer = |d: &str, extra: &str| {
        one_task(&format!(
            r#"<bpmn:userTask id="t" /><bpmn:boundaryEvent id="b" attachedToRef="t" {extra}><bpmn:timerEventDefinition><bpmn:timeDuration>{d}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e2" />"#
        ))
    };
    for (d, named) in [("PT5S", "giây"), ("PT0.1S", "phần lẻ"), ("P1M", "tháng")] {
        let p = parse_bpmn(&timer(d, "")).expect("calendar time takes it");
        assert!(
            matches!(p.nodes["b"].kind, NodeKind::TimerBoundary { calendar: Some(_), .. }),
            "{d}"
        );
        let errors = refusal(&timer(d, r#"cqdt:calendar="working""#));
        assert!(names(&errors, "b", &["ISO 8601 hợp lệ", named]), "{d}: {errors:?}");
    }
}

#[test]
fn two_executable_processes_or_a_collaboration_are_refused_naming_their_ids() {
    let two = bpmn(
        r#"<bpmn:process id="p1" isExecutable="true"><bpmn:startEvent id="s1" /></bpmn:process>
           <bpmn:process id="p2" isExecutable="true"><bpmn:startEvent id="s2" /></bpmn:process>"#,
    );
    let errors = refusal(&two);
    assert!(
        errors.iter().any(|e| e.message.contains("p1") && e.message.contains("p2")),
        "{errors:?}"
    );
    let collab = SIMPLE.replace(
        r#"<bpmn:participant id="Participant_1" name="UBND phường" processRef="tiep_nhan_xu_ly" />"#,
        r#"<bpmn:participant id="Participant_1" processRef="tiep_nhan_xu_ly" /><bpmn:participant id="Citizen" /><bpmn:messageFlow id="Msg_1" sourceRef="Citizen" targetRef="Participant_1" />"#,
    );
    let errors = refusal(&collab);
    assert!(
        names(&errors, "Collaboration_1", &["Participant_1", "Citizen", "Msg_1"]),
        "{errors:?}"
    );
}

#[test]
fn groups_annotations_and_data_objects_are_accepted_and_ignored() {
    let xml = one_task(
        r#"<bpmn:userTask id="t"><bpmn:dataInputAssociation id="di"><bpmn:sourceRef>ref</bpmn:sourceRef></bpmn:dataInputAssociation></bpmn:userTask>
        <bpmn:dataObject id="obj" /><bpmn:dataObjectReference id="ref" dataObjectRef="obj" /><bpmn:dataStoreReference id="store" />
        <bpmn:textAnnotation id="note"><bpmn:text>ghi chú</bpmn:text></bpmn:textAnnotation><bpmn:association id="as" sourceRef="t" targetRef="note" />
        <bpmn:group id="g" />"#,
    );
    let p = parse_bpmn(&xml).expect("accepted");
    assert_eq!(p.nodes.len(), 3);
}

#[test]
fn every_problem_of_a_file_is_reported_not_only_the_first() {
    let mut tasks = String::new();
    for i in 0..16 {
        tasks.push_str(&format!(
            r#"<bpmn:userTask id="m{i}"><bpmn:multiInstanceLoopCharacteristics /></bpmn:userTask>"#
        ));
    }
    let errors = refusal(&one_task(&format!(r#"<bpmn:userTask id="t" />{tasks}"#)));
    assert!(errors.len() >= 16, "{errors:?}");
}

#[test]
fn an_inclusive_gateway_keeps_its_conditions_and_default_and_a_foreign_default_is_refused() {
    let xml = |default: &str| {
        bpmn(&format!(
            r#"<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" />
<bpmn:inclusiveGateway id="t" default="{default}" /><bpmn:endEvent id="a" /><bpmn:endEvent id="b" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
<bpmn:sequenceFlow id="fa" sourceRef="t" targetRef="a"><bpmn:conditionExpression>${{x &gt; 1}}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="fb" sourceRef="t" targetRef="b" /></bpmn:process>"#
        ))
    };
    let p = parse_bpmn(&xml("fb")).expect("parse");
    assert_eq!(p.nodes["t"].kind, NodeKind::InclusiveGateway { default: Some("fb".into()) });
    assert!(p.flows["fa"].condition.is_some());
    assert!(names(&refusal(&xml("f1")), "t", &["inclusiveGateway", "mặc định", "f1"]));
}
