//! External tasks and the job API (issue 14 item 6): fetch and lock by topic, complete with
//! variables, failures with retries and back-off, incidents, expired locks, BPMN errors.

use super::*;

use cqdt_workflow::{Failure, TopicRequest};

/// start → external task (topic `lltp`) → user task → end, in Camunda 7's dialect; or with
/// a Zeebe task definition when `zeebe` is set.
fn process(zeebe: bool) -> String {
    let job = if zeebe {
        r#"<bpmn:serviceTask id="job" name="Tra cứu LLTP"><bpmn:extensionElements><zeebe:taskDefinition type="lltp" retries="2" /></bpmn:extensionElements></bpmn:serviceTask>"#
    } else {
        r#"<bpmn:serviceTask id="job" name="Tra cứu LLTP" camunda:type="external" camunda:topic="lltp" />"#
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="t">
<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" />{job}<bpmn:userTask id="review" camunda:candidateGroups="specialist" /><bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="job" /><bpmn:sequenceFlow id="f2" sourceRef="job" targetRef="review" /><bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="e" /></bpmn:process></bpmn:definitions>"#
    )
}

struct Run {
    _t: TestDb,
    clock: Arc<ManualClock>,
    w: WorkflowService,
    id: i64,
}

async fn started(zeebe: bool) -> Run {
    let t = TestDb::new().await;
    let clock = friday_13_february_2026();
    let w = engine(&t, clock.clone()).await;
    w.deploy("admin", "", &process(zeebe)).await.expect("deploy");
    let start = Start::new("admin", "p")
        .business_key(Some("000.01.41.H51-260213-0001"))
        .variables(vars(json!({"cccd": "079085001234"})));
    let id = w.start(start).await.expect("start");
    Run { _t: t, clock, w, id }
}

fn topic(lock_ms: i64) -> Vec<TopicRequest> {
    vec![TopicRequest { topic: "lltp".into(), lock_duration_ms: lock_ms }]
}

async fn fetch(w: &WorkflowService, worker: &str, lock_ms: i64) -> Vec<i64> {
    w.fetch_and_lock(worker, &topic(lock_ms), 10)
        .await
        .expect("fetch")
        .into_iter()
        .map(|j| j.id)
        .collect()
}

fn failure(retries: i64, backoff_ms: i64) -> Failure {
    Failure {
        message: "cổng LLTP không trả lời".into(), retries, retry_timeout_ms: backoff_ms
    }
}

#[tokio::test]
async fn a_worker_locks_a_job_with_its_variables_completes_it_and_the_instance_moves_on() {
    let r = started(false).await;
    let open = open_tasks(&r.w, r.id).await;
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].node_id.as_str(), open[0].role.as_deref()), ("job", None));
    let jobs = r.w.fetch_and_lock("lgsp-1", &topic(30_000), 10).await.expect("fetch");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = &jobs[0];
    assert_eq!(
        (job.id, job.topic.as_str(), job.name.as_str()),
        (open[0].id, "lltp", "Tra cứu LLTP")
    );
    assert_eq!(job.variables["cccd"], "079085001234");
    assert_eq!(job.business_key.as_deref(), Some("000.01.41.H51-260213-0001"));
    // Locked: nobody else gets it, and it is no person's task.
    assert!(fetch(&r.w, "lgsp-2", 30_000).await.is_empty());
    let by_person = r.w.complete("admin", "", job.id, Map::new()).await;
    assert!(matches!(by_person, Err(WorkflowError::Conflict(_))), "{by_person:?}");
    let by_other = r.w.complete_job("admin", "", "lgsp-2", job.id, Map::new()).await;
    assert!(matches!(by_other, Err(WorkflowError::Conflict(_))), "{by_other:?}");
    let step =
        r.w.complete_job("admin", "", "lgsp-1", job.id, vars(json!({"co_an_tich": false})))
            .await
            .expect("complete");
    assert_eq!(step.instance.variables["co_an_tich"], false);
    let open = open_tasks(&r.w, r.id).await;
    assert_eq!(open.iter().map(|t| t.node_id.as_str()).collect::<Vec<_>>(), ["review"]);
    assert_eq!(step.opened, [open[0].id]);
    assert!(r.w.jobs(None, false, 100).await.expect("jobs").is_empty(), "a done job is gone");
    // The worker lost the answer and completes again: the same instance, nothing opened twice.
    let again = r.w.complete_job("admin", "", "lgsp-1", job.id, Map::new()).await.expect("again");
    assert!(again.opened.is_empty());
    assert_eq!(open_tasks(&r.w, r.id).await.len(), 1);
    let events: Vec<String> =
        r.w.instance(r.id).await.expect("detail").history.iter().map(|h| h.event.clone()).collect();
    assert_eq!(events.iter().filter(|e| *e == "completed").count(), 1, "{events:?}");
}

#[tokio::test]
async fn a_lock_that_runs_out_hands_the_job_to_another_worker_and_the_first_cannot_complete_it() {
    let r = started(false).await;
    let id = fetch(&r.w, "lgsp-1", 1_000).await[0];
    r.clock.advance(chrono::Duration::milliseconds(999));
    assert!(fetch(&r.w, "lgsp-2", 60_000).await.is_empty(), "still locked");
    r.clock.advance(chrono::Duration::seconds(2));
    assert_eq!(fetch(&r.w, "lgsp-2", 60_000).await, [id]);
    let late = r.w.complete_job("admin", "", "lgsp-1", id, Map::new()).await;
    assert!(matches!(late, Err(WorkflowError::Conflict(_))), "{late:?}");
    let extended = r.w.extend_job_lock("lgsp-2", id, 120_000).await.expect("extend");
    assert!(extended.lock_until.is_some());
    r.clock.advance(chrono::Duration::seconds(90));
    r.w.complete_job("admin", "", "lgsp-2", id, Map::new()).await.expect("held after extending");
}

#[tokio::test]
async fn a_failure_backs_off_and_with_no_retries_left_waits_as_an_incident_until_retries_are_set() {
    let r = started(false).await;
    let id = fetch(&r.w, "lgsp-1", 30_000).await[0];
    let job = r.w.fail_job("admin", "", "lgsp-1", id, failure(2, 60_000)).await.expect("fail");
    assert_eq!((job.retries, job.worker.as_deref()), (Some(2), None));
    assert!(fetch(&r.w, "lgsp-1", 30_000).await.is_empty(), "backing off");
    r.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(fetch(&r.w, "lgsp-1", 30_000).await, [id]);
    r.w.fail_job("admin", "", "lgsp-1", id, failure(0, 0)).await.expect("last failure");
    assert!(fetch(&r.w, "lgsp-1", 30_000).await.is_empty(), "an incident is not handed out");
    let incidents = r.w.jobs(Some("lltp"), true, 10).await.expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert!(incidents[0].error.as_deref().is_some_and(|e| e.contains("LLTP")));
    let history = r.w.instance(r.id).await.expect("detail").history;
    assert!(history.iter().any(|h| h.event == "job_incident" && h.node_id == "job"));
    // Failing a job one does not hold is refused and changes nothing.
    let stray = r.w.fail_job("admin", "", "lgsp-9", id, failure(5, 0)).await;
    assert!(matches!(stray, Err(WorkflowError::Conflict(_))), "{stray:?}");
    r.w.set_job_retries("admin", "", id, 1).await.expect("resolve");
    assert_eq!(fetch(&r.w, "lgsp-1", 30_000).await, [id]);
    r.w.complete_job("admin", "", "lgsp-1", id, Map::new()).await.expect("complete");
}

#[tokio::test]
async fn a_bpmn_error_nothing_catches_makes_the_job_an_incident_naming_its_code() {
    let r = started(false).await;
    let id = fetch(&r.w, "lgsp-1", 30_000).await[0];
    let thrown = r
        .w
        .job_bpmn_error("admin", "", "lgsp-1", id, "KHONG_CO_HO_SO", "không có hồ sơ", Map::new())
        .await
        .expect("bpmn error");
    assert!(!thrown.caught);
    let job = thrown.job.expect("the job");
    assert_eq!(job.retries, Some(0));
    assert!(job.error.as_deref().is_some_and(|e| e.contains("KHONG_CO_HO_SO")), "{job:?}");
    assert_eq!(r.w.instance(r.id).await.expect("detail").instance.status, "active");
}

#[tokio::test]
async fn a_zeebe_job_starts_with_the_retries_its_diagram_gives() {
    let r = started(true).await;
    let jobs = r.w.fetch_and_lock("zeebe-worker", &topic(10_000), 5).await.expect("fetch");
    assert_eq!(jobs.iter().map(|j| j.retries).collect::<Vec<_>>(), [Some(2)]);
}

#[tokio::test]
async fn cancelling_an_instance_ends_its_jobs() {
    let r = started(false).await;
    r.w.cancel("admin", "", r.id, "nhầm quy trình").await.expect("cancel");
    assert!(fetch(&r.w, "lgsp-1", 30_000).await.is_empty());
    assert!(r.w.jobs(None, false, 10).await.expect("jobs").is_empty());
}

#[tokio::test]
async fn bad_fetches_are_refused_with_the_field_named() {
    let r = started(false).await;
    for (worker, topics, max) in [
        ("", topic(1_000), 1),
        ("w", Vec::new(), 1),
        ("w", topic(0), 1),
        ("w", topic(1_000), 0),
        ("w", topic(1_000), 5_000),
    ] {
        let got = r.w.fetch_and_lock(worker, &topics, max).await;
        assert!(matches!(got, Err(WorkflowError::BadRequest(_))), "{worker} {max}: {got:?}");
    }
    assert_eq!(fetch(&r.w, "w", 1_000).await.len(), 1, "nothing was locked by a refusal");
}

#[tokio::test]
async fn a_worker_waiting_for_jobs_gets_one_as_soon_as_a_step_opens_it_and_nothing_after_its_wait()
{
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", &process(false)).await.expect("deploy");
    let short = std::time::Duration::from_millis(200);
    let began = std::time::Instant::now();
    let none = w.fetch_and_lock_waiting("lgsp-1", &topic(30_000), 10, short).await;
    assert!(none.expect("fetch").is_empty());
    assert!(began.elapsed() >= short, "it waited before answering nothing");

    let waiting = {
        let w = w.clone();
        let long = std::time::Duration::from_secs(30);
        tokio::spawn(
            async move { w.fetch_and_lock_waiting("lgsp-1", &topic(30_000), 10, long).await },
        )
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let began = std::time::Instant::now();
    w.start(Start::new("admin", "p")).await.expect("start");
    let jobs = waiting.await.expect("task").expect("fetch");
    assert_eq!(jobs.len(), 1, "the job the start opened");
    assert!(began.elapsed() < std::time::Duration::from_secs(15), "not at the end of the wait");
}
