//! Events of issue 14 item 3: a terminate end event (a refusal on one branch ends the whole
//! instance, every other branch with it — tasks, jobs, timers and tokens waiting at a join)
//! and intermediate timer catch events (a public posting period).

use super::*;

use cqdt_platform::Clock;
use cqdt_workflow::TopicRequest;

/// Review, consultation, signing (with a one-hour reminder) and a job run in parallel; a
/// refusal at review goes to a terminate end event, anything else to the join.
const REFUSAL_ENDS_ALL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:process id="tu_choi" isExecutable="true">
<bpmn:startEvent id="s" /><bpmn:parallelGateway id="fork" />
<bpmn:userTask id="review" /><bpmn:exclusiveGateway id="decide" default="ok" />
<bpmn:endEvent id="refused"><bpmn:terminateEventDefinition /></bpmn:endEvent>
<bpmn:userTask id="consult" /><bpmn:userTask id="sign" />
<bpmn:boundaryEvent id="remind" attachedToRef="sign" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:userTask id="reminded" />
<bpmn:serviceTask id="job" camunda:type="external" camunda:topic="ky-so" />
<bpmn:parallelGateway id="join" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="fork" />
<bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="review" />
<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="consult" />
<bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="sign" />
<bpmn:sequenceFlow id="f4" sourceRef="fork" targetRef="job" />
<bpmn:sequenceFlow id="f5" sourceRef="review" targetRef="decide" />
<bpmn:sequenceFlow id="no" sourceRef="decide" targetRef="refused"><bpmn:conditionExpression>${tu_choi == true}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="ok" sourceRef="decide" targetRef="join" />
<bpmn:sequenceFlow id="f6" sourceRef="consult" targetRef="join" />
<bpmn:sequenceFlow id="f7" sourceRef="sign" targetRef="join" />
<bpmn:sequenceFlow id="f8" sourceRef="job" targetRef="join" />
<bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="e" />
<bpmn:sequenceFlow id="f10" sourceRef="remind" targetRef="reminded" /><bpmn:endEvent id="e2" />
<bpmn:sequenceFlow id="f11" sourceRef="reminded" targetRef="e2" />
</bpmn:process></bpmn:definitions>"#;

async fn task(w: &WorkflowService, id: i64, node: &str) -> i64 {
    let open = open_tasks(w, id).await;
    open.iter().find(|t| t.node_id == node).map(|t| t.id).expect("open task")
}

#[tokio::test]
async fn a_refusal_at_a_terminate_end_event_ends_every_branch_of_the_instance() {
    let t = TestDb::new().await;
    let clock = friday_13_february_2026();
    let w = engine(&t, clock.clone()).await;
    w.deploy("admin", "", REFUSAL_ENDS_ALL).await.expect("deploy");
    let id = w.start(Start::new("admin", "tu_choi")).await.expect("start");
    assert_eq!(open_tasks(&w, id).await.len(), 4);
    // One branch already waits at the join when the refusal comes.
    let consult = task(&w, id, "consult").await;
    w.complete("admin", "", consult, Map::new()).await.expect("consult");
    let review = task(&w, id, "review").await;
    let step = w.complete("admin", "", review, vars(json!({"tu_choi": true}))).await;
    let step = step.expect("refuse");
    assert_eq!(step.status, "completed");
    assert_eq!(step.tokens, 0);
    let d = w.instance(id).await.expect("instance");
    let cancelled: Vec<&str> = d
        .tasks
        .iter()
        .filter(|t| t.status == "cancelled")
        .map(|t| t.node_id.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(cancelled, ["job", "sign"], "the other branches end with the instance");
    assert!(d.history.iter().any(|h| h.event == "terminated" && h.node_id == "refused"));
    assert!(d.history.iter().all(|h| h.node_id != "e"), "the normal end is never reached");
    // No worker gets the job, the reminder never fires, the join keeps nothing.
    let topics = [TopicRequest { topic: "ky-so".into(), lock_duration_ms: 60_000 }];
    assert!(w.fetch_and_lock("ky-so-1", &topics, 10).await.expect("fetch").is_empty());
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0, "the reminder went with its task");
    assert!(open_tasks(&w, id).await.is_empty());
    let sign = d.tasks.iter().find(|t| t.node_id == "sign").expect("sign").id;
    let late = w.complete("admin", "", sign, Map::new()).await;
    assert!(matches!(late, Err(WorkflowError::Conflict(_))), "{late:?}");
}

#[tokio::test]
async fn without_the_refusal_the_branches_meet_at_the_join_and_the_instance_ends_normally() {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", REFUSAL_ENDS_ALL).await.expect("deploy");
    let id = w.start(Start::new("admin", "tu_choi")).await.expect("start");
    for node in ["review", "consult", "sign"] {
        let t = task(&w, id, node).await;
        w.complete("admin", "", t, vars(json!({"tu_choi": false}))).await.expect("complete");
    }
    let topics = [TopicRequest { topic: "ky-so".into(), lock_duration_ms: 60_000 }];
    let jobs = w.fetch_and_lock("ky-so-1", &topics, 10).await.expect("fetch");
    assert_eq!(jobs.len(), 1);
    let done = w.complete_job("worker", "", "ky-so-1", jobs[0].id, Map::new()).await;
    assert_eq!(done.expect("job").instance.status, "completed");
    let d = w.instance(id).await.expect("instance");
    assert!(d.history.iter().any(|h| h.event == "ended" && h.node_id == "e"));
    assert!(d.history.iter().all(|h| h.event != "terminated"));
}

/// Filed, then posted publicly ("niêm yết") for `period` before the review.
fn posting(period: &str, calendar: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:cqdt="https://cqdt.example/bpmn" id="d" targetNamespace="t">
<bpmn:process id="niem_yet" isExecutable="true"><bpmn:startEvent id="s" />
<bpmn:intermediateCatchEvent id="posted" name="Niêm yết công khai" {calendar}><bpmn:timerEventDefinition><bpmn:timeDuration>{period}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:userTask id="review" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="posted" /><bpmn:sequenceFlow id="f2" sourceRef="posted" targetRef="review" /><bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="e" />
</bpmn:process></bpmn:definitions>"#
    )
}

#[tokio::test]
async fn an_intermediate_timer_holds_the_token_for_the_posting_period_to_the_second() {
    let t = TestDb::new().await;
    let clock = friday_13_february_2026();
    let start = clock.now();
    let w = engine(&t, clock.clone()).await;
    w.deploy("admin", "", &posting("P7D", "")).await.expect("deploy");
    let id = w.start(Start::new("admin", "niem_yet")).await.expect("start");
    let open = open_tasks(&w, id).await;
    assert_eq!(open.iter().map(|t| t.node_id.as_str()).collect::<Vec<_>>(), ["posted"]);
    assert_eq!(open[0].role, None, "in nobody's worklist");
    // Nobody shortens the posting period by completing the wait as a task.
    let early = w.complete("admin", "", open[0].id, Map::new()).await;
    assert!(matches!(early, Err(WorkflowError::Conflict(_))), "{early:?}");
    // Seven calendar days, Tết included (calendar time unless the diagram asks otherwise).
    clock.set(start + chrono::Duration::days(7) - chrono::Duration::seconds(1));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0);
    clock.set(start + chrono::Duration::days(7));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 1);
    let d = w.instance(id).await.expect("instance");
    let posted = d.tasks.iter().find(|t| t.node_id == "posted").expect("wait");
    assert_eq!(
        (posted.status.as_str(), posted.completed_by.as_deref()),
        ("completed", Some("system"))
    );
    let open: Vec<String> = open_tasks(&w, id).await.into_iter().map(|t| t.node_id).collect();
    assert_eq!(open, ["review"]);
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0, "a timer fires once");
}

#[tokio::test]
async fn an_intermediate_timer_in_working_days_skips_tet() {
    let t = TestDb::new().await;
    let clock = friday_13_february_2026();
    let w = engine(&t, clock.clone()).await;
    w.deploy("admin", "", &posting("P5D", r#"cqdt:calendar="working""#)).await.expect("deploy");
    let id = w.start(Start::new("admin", "niem_yet")).await.expect("start");
    // Five working days from Friday 13 February 2026, before Tết's days off: not within
    // seven calendar days.
    clock.advance(chrono::Duration::days(7));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0);
    assert_eq!(open_tasks(&w, id).await[0].node_id, "posted");
}

/// The judicial-record check as an external task: "no record" from the national system is a
/// BPMN error its boundary catches (the dossier goes to an official to explain); any other
/// error code is caught by nothing.
const RECORD_CHECK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:error id="no_record" name="Không có dữ liệu" errorCode="KHONG_CO_DU_LIEU" />
<bpmn:process id="tra_cuu" isExecutable="true"><bpmn:startEvent id="s" />
<bpmn:serviceTask id="check" camunda:type="external" camunda:topic="lltp" />
<bpmn:boundaryEvent id="missing" attachedToRef="check"><bpmn:errorEventDefinition errorRef="no_record" /></bpmn:boundaryEvent>
<bpmn:userTask id="explain" /><bpmn:userTask id="issue" /><bpmn:endEvent id="e" /><bpmn:endEvent id="e2" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check" /><bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="issue" />
<bpmn:sequenceFlow id="f3" sourceRef="issue" targetRef="e" /><bpmn:sequenceFlow id="f4" sourceRef="missing" targetRef="explain" />
<bpmn:sequenceFlow id="f5" sourceRef="explain" targetRef="e2" />
</bpmn:process></bpmn:definitions>"#;

#[tokio::test]
async fn a_workers_bpmn_error_is_caught_by_the_boundary_for_its_code_and_the_token_takes_its_path()
{
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", RECORD_CHECK).await.expect("deploy");
    let id = w.start(Start::new("admin", "tra_cuu")).await.expect("start");
    let topics = [TopicRequest { topic: "lltp".into(), lock_duration_ms: 60_000 }];
    let job = w.fetch_and_lock("lltp-1", &topics, 1).await.expect("fetch")[0].id;
    // Another worker, not holding the lock, cannot throw for it.
    let stray = w.job_bpmn_error("x", "", "lltp-2", job, "KHONG_CO_DU_LIEU", "", Map::new()).await;
    assert!(matches!(stray, Err(WorkflowError::Conflict(_))), "{stray:?}");
    let v = vars(json!({"ly_do": "không tìm thấy trong CSDL LLTP"}));
    let thrown = w
        .job_bpmn_error("lltp", "", "lltp-1", job, "KHONG_CO_DU_LIEU", "không có", v)
        .await
        .expect("thrown");
    assert!(thrown.caught && thrown.job.is_none());
    assert_eq!(thrown.boundary.as_deref(), Some("missing"));
    let inst = thrown.instance.expect("instance");
    assert_eq!(inst.variables["ly_do"], "không tìm thấy trong CSDL LLTP");
    let d = w.instance(id).await.expect("instance");
    let check = d.tasks.iter().find(|t| t.node_id == "check").expect("check");
    assert_eq!(check.status, "cancelled", "the task is interrupted");
    let open: Vec<&str> =
        d.tasks.iter().filter(|t| t.status == "open").map(|t| t.node_id.as_str()).collect();
    assert_eq!(open, ["explain"]);
    assert_eq!(thrown.opened.len(), 1);
    assert!(w.fetch_and_lock("lltp-1", &topics, 1).await.expect("fetch").is_empty(), "job gone");
    // Another code is caught by nothing: the job becomes an incident and the instance waits.
    let id2 = w.start(Start::new("admin", "tra_cuu")).await.expect("start");
    let job2 = w.fetch_and_lock("lltp-1", &topics, 1).await.expect("fetch")[0].id;
    let other = w.job_bpmn_error("lltp", "", "lltp-1", job2, "LOI_KHAC", "", Map::new()).await;
    let other = other.expect("thrown");
    assert!(!other.caught && other.job.is_some_and(|j| j.retries == Some(0)));
    assert_eq!(w.instance(id2).await.expect("i").instance.status, "active");
}

#[tokio::test]
async fn error_boundaries_the_engine_cannot_honour_are_refused_by_name() {
    let on_user_task = RECORD_CHECK.replace(
        r#"<bpmn:serviceTask id="check" camunda:type="external" camunda:topic="lltp" />"#,
        r#"<bpmn:userTask id="check" />"#,
    );
    let no_code = RECORD_CHECK.replace(r#" errorCode="KHONG_CO_DU_LIEU""#, "");
    let dangling = RECORD_CHECK.replace(r#"errorRef="no_record""#, r#"errorRef="nowhere""#);
    let variable = RECORD_CHECK.replace(
        r#"errorRef="no_record""#,
        r#"errorRef="no_record" camunda:errorCodeVariable="code""#,
    );
    for (xml, words) in [
        (on_user_task, "worker"),
        (no_code, "errorCode"),
        (dangling, "nowhere"),
        (variable, "errorCodeVariable"),
    ] {
        let errors = cqdt_workflow::parse_bpmn(&xml).expect_err("refused");
        assert!(
            errors
                .iter()
                .any(|e| e.element.as_deref() == Some("missing") && e.message.contains(words)),
            "{words}: {errors:?}"
        );
    }
}

#[tokio::test]
async fn a_time_date_fires_at_its_instant_in_vietnams_time_when_no_zone_is_written() {
    let t = TestDb::new().await;
    let clock = friday_13_february_2026(); // 09:00 in Vietnam
    let start = clock.now();
    let w = engine(&t, clock.clone()).await;
    let xml = posting("P5D", "").replace(
        "<bpmn:timeDuration>P5D</bpmn:timeDuration>",
        "<bpmn:timeDate>2026-02-13T17:00:00</bpmn:timeDate>",
    );
    w.deploy("admin", "", &xml).await.expect("deploy");
    let id = w.start(Start::new("admin", "niem_yet")).await.expect("start");
    clock.set(start + chrono::Duration::hours(8) - chrono::Duration::seconds(1));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0, "not before 17:00 in Vietnam");
    clock.set(start + chrono::Duration::hours(8));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 1);
    assert_eq!(open_tasks(&w, id).await[0].node_id, "review");
}

/// A task with a non-interrupting reminder on a cycle.
fn reminding(cycle: &str, interrupting: bool) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="nhac_viec" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:userTask id="work" /><bpmn:endEvent id="e" />
<bpmn:boundaryEvent id="remind" attachedToRef="work" cancelActivity="{interrupting}"><bpmn:timerEventDefinition><bpmn:timeCycle>{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:userTask id="reminded" /><bpmn:endEvent id="e2" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work" /><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e" />
<bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="reminded" /><bpmn:sequenceFlow id="f4" sourceRef="reminded" targetRef="e2" />
</bpmn:process></bpmn:definitions>"#
    )
}

async fn reminders(w: &WorkflowService, id: i64) -> usize {
    let d = w.instance(id).await.expect("instance");
    d.tasks.iter().filter(|t| t.node_id == "reminded").count()
}

#[tokio::test]
async fn a_daily_reminder_cycle_fires_its_count_of_times_and_stops_with_its_task() {
    let t = TestDb::new().await;
    let clock = friday_13_february_2026();
    let start = clock.now();
    let w = engine(&t, clock.clone()).await;
    w.deploy("admin", "", &reminding("R3/P1D", false)).await.expect("deploy");
    let id = w.start(Start::new("admin", "nhac_viec")).await.expect("start");
    for day in 1..=5 {
        clock.set(start + chrono::Duration::days(day));
        w.fire_due_timers().await.expect("fire");
        assert_eq!(reminders(&w, id).await, day.min(3) as usize, "day {day}");
    }
    // An unbounded cycle stops when its task is done.
    w.deploy("admin", "", &reminding("R/PT1H", false)).await.expect("deploy");
    clock.set(start);
    let id = w.start(Start::new("admin", "nhac_viec")).await.expect("start");
    clock.set(start + chrono::Duration::hours(2));
    w.fire_due_timers().await.expect("fire");
    w.fire_due_timers().await.expect("fire");
    assert_eq!(reminders(&w, id).await, 2, "one an hour, caught up");
    let work = open_tasks(&w, id).await.into_iter().find(|t| t.node_id == "work").expect("work");
    w.complete("admin", "", work.id, Map::new()).await.expect("done");
    clock.set(start + chrono::Duration::hours(10));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0, "the reminders went with the task");
}

#[tokio::test]
async fn timers_the_engine_cannot_honour_exactly_are_refused_by_name() {
    let interrupting_cycle = reminding("R3/P1D", true);
    let working_date = posting("P5D", r#"cqdt:calendar="working""#).replace(
        "<bpmn:timeDuration>P5D</bpmn:timeDuration>",
        "<bpmn:timeDate>2026-03-01</bpmn:timeDate>",
    );
    let cron = reminding("0 0 9 * * ?", false);
    let catch_cycle = posting("P5D", "").replace(
        "<bpmn:timeDuration>P5D</bpmn:timeDuration>",
        "<bpmn:timeCycle>R3/P1D</bpmn:timeCycle>",
    );
    for (xml, id, words) in [
        (interrupting_cycle, "remind", "không ngắt"),
        (working_date, "posted", "timeDate"),
        (cron, "remind", "cron"),
        (catch_cycle, "posted", "chu kỳ"),
    ] {
        let errors = cqdt_workflow::parse_bpmn(&xml).expect_err("refused");
        assert!(
            errors.iter().any(|e| e.element.as_deref() == Some(id) && e.message.contains(words)),
            "{words}: {errors:?}"
        );
    }
}

/// Two branches at once: one for the agency a variable names, one for the reception.
const TWO_BRANCHES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:cqdt="https://cqdt.vn/bpmn" id="d" targetNamespace="t">
<bpmn:process id="hai_nhanh" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:parallelGateway id="fork" />
<bpmn:userTask id="consult" cqdt:agency="${co_quan}" /><bpmn:userTask id="receive" />
<bpmn:parallelGateway id="join" /><bpmn:exclusiveGateway id="decide" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="fork" /><bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="consult" />
<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="receive" /><bpmn:sequenceFlow id="f3" sourceRef="consult" targetRef="join" />
<bpmn:sequenceFlow id="f4" sourceRef="receive" targetRef="join" /><bpmn:sequenceFlow id="f5" sourceRef="join" targetRef="decide" />
<bpmn:sequenceFlow id="f6" sourceRef="decide" targetRef="e"><bpmn:conditionExpression>${dat == true}</bpmn:conditionExpression></bpmn:sequenceFlow>
</bpmn:process></bpmn:definitions>"#;

#[tokio::test]
async fn an_incident_is_run_on_from_where_it_stopped_once_its_cause_is_fixed_and_no_branch_is_lost()
{
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", TWO_BRANCHES).await.expect("deploy");
    let id = w.start(Start::new("admin", "hai_nhanh")).await.expect("start");
    let inst = w.instance(id).await.expect("instance").instance;
    assert_eq!(inst.status, "incident");
    assert!(open_tasks(&w, id).await.is_empty(), "the other branch waits with it");
    // Running on without fixing anything stops at the same place again.
    let again = w.retry_incident("admin", "", id, Map::new()).await.expect("retry");
    assert_eq!(again.instance.status, "incident");
    let fixed = vars(json!({"co_quan": "000.00.10.H51"}));
    let step = w.retry_incident("admin", "", id, fixed).await.expect("retry");
    assert_eq!(step.instance.status, "active");
    assert_eq!(step.opened.len(), 2, "both branches, the stopped one and the one behind it");
    let open = open_tasks(&w, id).await;
    let consult = open.iter().find(|t| t.node_id == "consult").expect("consult");
    assert_eq!(consult.agency.as_deref(), Some("000.00.10.H51"));
    // A retry of an instance that runs is refused.
    let running = w.retry_incident("admin", "", id, Map::new()).await;
    assert!(matches!(running, Err(WorkflowError::Conflict(_))), "{running:?}");
    // The exclusive gateway after the join finds no true condition: an incident again, run
    // on once the decision is recorded.
    for t in open {
        w.complete("admin", "", t.id, Map::new()).await.expect("complete");
    }
    assert_eq!(w.instance(id).await.expect("i").instance.status, "incident");
    let step = w.retry_incident("admin", "", id, vars(json!({"dat": true}))).await.expect("retry");
    assert_eq!(step.instance.status, "completed");
    let d = w.instance(id).await.expect("instance");
    assert_eq!(d.history.iter().filter(|h| h.event == "incident_resolved").count(), 3);
}

#[tokio::test]
async fn a_running_instance_nothing_can_move_on_is_flagged_as_stuck_and_a_waiting_one_is_not() {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    // A join waiting for a branch its exclusive gateway did not take.
    let stuck = include_str!("../fixtures/stuck-join.bpmn");
    w.deploy("admin", "", stuck).await.expect("deploy");
    w.deploy("admin", "", &posting("P7D", "")).await.expect("deploy");
    let waiting_at_join = w.start(Start::new("admin", "ket")).await.expect("start");
    let posted = w.start(Start::new("admin", "niem_yet")).await.expect("start");
    let flagged: Vec<i64> = w.stuck(50).await.expect("stuck").into_iter().map(|i| i.id).collect();
    assert_eq!(flagged, [waiting_at_join], "the posting period is waiting, not stuck");
    w.cancel("admin", "", waiting_at_join, "sơ đồ sai: nhánh không bao giờ tới")
        .await
        .expect("cancel");
    assert!(w.stuck(50).await.expect("stuck").is_empty());
    assert_eq!(w.instance(posted).await.expect("i").instance.status, "active");
}

#[tokio::test]
async fn an_administrator_moves_a_token_back_a_step_with_a_reason_and_guesses_are_refused() {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", REFUSAL_ENDS_ALL).await.expect("deploy");
    let id = w.start(Start::new("admin", "tu_choi")).await.expect("start");
    let consult = task(&w, id, "consult").await;
    w.complete("admin", "", consult, Map::new()).await.expect("consult");
    // Signing was opened by mistake before the consultation was redone: back to "consult".
    let before = w.instance(id).await.expect("instance").instance.tokens;
    let sign = task(&w, id, "sign").await;
    let why = "ý kiến cơ quan phối hợp phải lấy lại";
    let step = w.move_token("admin", "", id, sign, "consult", why).await.expect("move");
    assert_eq!(step.opened.len(), 1);
    let d = w.instance(id).await.expect("instance");
    assert_eq!(d.tasks.iter().find(|t| t.id == sign).map(|t| t.status.as_str()), Some("cancelled"));
    assert!(d
        .history
        .iter()
        .any(|h| h.event == "token_moved" && h.detail.as_deref().is_some_and(|x| x.contains(why))));
    assert_eq!(d.instance.tokens, before, "a token moved, none made or lost");
    // Guesses are refused and change nothing.
    let review = task(&w, id, "review").await;
    for (to, why) in [
        ("join", "lý do đủ dài"),
        ("remind", "lý do đủ dài"),
        ("nowhere", "lý do đủ dài"),
        ("consult", ""),
    ] {
        let r = w.move_token("admin", "", id, review, to, why).await;
        assert!(matches!(r, Err(WorkflowError::BadRequest(_))), "{to}: {r:?}");
    }
    let gone = w.move_token("admin", "", id, sign, "consult", why).await;
    assert!(matches!(gone, Err(WorkflowError::Conflict(_))), "{gone:?}");
    let open: Vec<String> = open_tasks(&w, id).await.into_iter().map(|t| t.node_id).collect();
    assert_eq!(open, ["review", "job", "consult"], "the refusals changed nothing");
}
