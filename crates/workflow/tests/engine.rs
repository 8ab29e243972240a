//! The engine on a real database (SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL).

use std::sync::Arc;

use chrono::TimeZone;
use cqdt_audit::Audit;
use cqdt_calendar::{CalendarService, OfficeHours};
use cqdt_platform::{ManualClock, SharedClock};
use cqdt_testing::TestDb;
use cqdt_workflow::{Start, WorkflowError, WorkflowService};
use serde_json::{json, Map, Value};

const BPMN: &str = include_str!("fixtures/tiep-nhan-xu-ly.bpmn");

#[path = "engine/calls.rs"]
mod calls;
#[path = "engine/conformance.rs"]
mod conformance;
#[path = "engine/corpus.rs"]
mod corpus;
#[path = "engine/events.rs"]
mod events;
#[path = "engine/inclusive.rs"]
mod inclusive;
#[path = "engine/jobs.rs"]
mod jobs;
#[path = "engine/messages.rs"]
mod messages;
#[path = "engine/migrate.rs"]
mod migrate;
#[path = "engine/multi.rs"]
mod multi;
#[path = "engine/race.rs"]
mod race;
#[path = "engine/repeat.rs"]
mod repeat;
#[path = "engine/stages.rs"]
mod stages;
#[path = "engine/throws.rs"]
mod throws;

async fn engine(t: &TestDb, clock: Arc<ManualClock>) -> WorkflowService {
    let clock: SharedClock = clock;
    let audit = Audit::new(t.db.clone(), clock.clone());
    let calendar =
        CalendarService::load(t.db.clone(), clock.clone(), audit.clone(), OfficeHours::default())
            .await
            .expect("calendar");
    WorkflowService::new(t.db.clone(), clock, audit, calendar)
}

fn friday_13_february_2026() -> Arc<ManualClock> {
    // 09:00 in Vietnam on the Friday before Tết 2026.
    Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 2, 13, 2, 0, 0).single().expect("time"),
    ))
}

fn vars(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

async fn open_tasks(w: &WorkflowService, instance: i64) -> Vec<cqdt_workflow::TaskRow> {
    w.instance(instance)
        .await
        .expect("instance")
        .tasks
        .into_iter()
        .filter(|t| t.status == "open")
        .collect()
}

#[tokio::test]
async fn a_dossier_runs_through_reception_parallel_review_approval_and_return() {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    let def = w.deploy("admin", "", BPMN).await.expect("deploy");
    assert_eq!(def.version, 1);
    let id = w
        .start(
            Start::new("admin", "tiep_nhan_xu_ly")
                .business_key(Some("000.01.41.H51-260213-0001"))
                .agency(Some("000.01.41.H51")),
        )
        .await
        .expect("start");
    let pool = w
        .tasks(Some("reception_officer"), Some("000.01.41.H51"), Some("open"), 10)
        .await
        .expect("pool");
    assert_eq!(pool.len(), 1);
    assert_eq!(pool[0].name, "Tiếp nhận, kiểm tra hồ sơ");
    // Half a working day from Friday 13/02/2026 is due on the next working day, after Tết.
    assert_eq!(pool[0].due_date.as_deref(), Some("2026-02-23"));
    w.claim("can-bo-mot-cua", pool[0].id).await.expect("claim");
    assert!(matches!(
        w.complete("nguoi-khac", "", pool[0].id, Map::new()).await,
        Err(WorkflowError::Conflict(_))
    ));
    w.complete("can-bo-mot-cua", "", pool[0].id, Map::new()).await.expect("complete");
    let parallel = open_tasks(&w, id).await;
    let names: Vec<&str> = parallel.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Thẩm định hồ sơ", "Xác minh thực tế"]);
    w.complete("chuyen-vien", "", parallel[0].id, Map::new()).await.expect("first branch");
    assert_eq!(open_tasks(&w, id).await.len(), 1, "the join waits for the other branch");
    w.complete("chuyen-vien", "", parallel[1].id, Map::new()).await.expect("second branch");
    let approval = open_tasks(&w, id).await;
    assert_eq!(approval[0].role.as_deref(), Some("leader"));
    w.complete("lanh-dao", "", approval[0].id, vars(json!({"approved": true})))
        .await
        .expect("approve");
    let ret = open_tasks(&w, id).await;
    assert_eq!(ret[0].node_id, "Task_TraKetQua");
    let done = w.complete("can-bo-mot-cua", "", ret[0].id, Map::new()).await.expect("return");
    assert_eq!(done.status, "completed");
    assert_eq!(done.tokens, 0);
    let d = w.instance(id).await.expect("detail");
    assert!(d.history.iter().any(|h| h.event == "took" && h.detail.as_deref() == Some("Flow_9")));
    let svg = w.instance_diagram(id).await.expect("svg");
    assert!(svg.contains("#cce2d8"), "passed steps are marked");
}

#[tokio::test]
async fn a_refusal_takes_the_default_path() {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", BPMN).await.expect("deploy");
    let id = w.start(Start::new("admin", "tiep_nhan_xu_ly")).await.expect("start");
    for _ in 0..2 {
        for task in open_tasks(&w, id).await {
            w.complete("x", "", task.id, Map::new()).await.expect("complete");
        }
    }
    let approval = open_tasks(&w, id).await;
    let inst = w
        .complete("lanh-dao", "", approval[0].id, vars(json!({"approved": false})))
        .await
        .expect("refuse");
    assert_eq!(inst.status, "completed");
    let d = w.instance(id).await.expect("detail");
    assert!(d.history.iter().any(|h| h.node_id == "End_TuChoi"));
}

#[tokio::test]
async fn an_overdue_approval_fires_its_working_day_timer_across_tet() {
    let t = TestDb::new().await;
    let clock = friday_13_february_2026();
    let w = engine(&t, clock.clone()).await;
    w.deploy("admin", "", BPMN).await.expect("deploy");
    let id = w.start(Start::new("admin", "tiep_nhan_xu_ly")).await.expect("start");
    for _ in 0..2 {
        for task in open_tasks(&w, id).await {
            w.complete("x", "", task.id, Map::new()).await.expect("complete");
        }
    }
    // Approval opened on Friday 13/02/2026; 3 working days later is Wednesday 25/02/2026 (Tết in between).
    clock.set(chrono::Utc.with_ymd_and_hms(2026, 2, 24, 2, 0, 0).single().expect("time"));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0);
    clock.set(chrono::Utc.with_ymd_and_hms(2026, 2, 25, 2, 0, 0).single().expect("time"));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 1);
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0, "a timer fires once");
    let open = open_tasks(&w, id).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].node_id, "Task_XinLoi");
    let d = w.instance(id).await.expect("detail");
    assert!(d.tasks.iter().any(|t| t.node_id == "Task_PheDuyet" && t.status == "cancelled"));
}

#[tokio::test]
async fn running_instances_keep_their_version_and_survive_a_restart() {
    let t = TestDb::new().await;
    let clock = friday_13_february_2026();
    let w = engine(&t, clock.clone()).await;
    let v1 = w.deploy("admin", "", BPMN).await.expect("deploy");
    let again = w.deploy("admin", "", BPMN).await.expect("same file");
    assert_eq!(again.version, 1, "the same file is not a new version");
    let id = w.start(Start::new("admin", "tiep_nhan_xu_ly")).await.expect("start");
    let v2 = w
        .deploy("admin", "", &BPMN.replace("Trả kết quả", "Trả kết quả cho công dân"))
        .await
        .expect("v2");
    assert_eq!(v2.version, 2);
    // A new engine over the same database stands for a restarted server.
    drop(w);
    let w = engine(&t, clock).await;
    let d = w.instance(id).await.expect("detail");
    assert_eq!(d.instance.definition_id, v1.id);
    let task = open_tasks(&w, id).await;
    assert_eq!(task.len(), 1);
    w.complete("x", "", task[0].id, Map::new()).await.expect("resume");
    assert_eq!(open_tasks(&w, id).await.len(), 2);
}

#[tokio::test]
async fn unsupported_bpmn_is_refused_and_a_missing_handler_is_an_incident() {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    let bad = BPMN
        .replace("<bpmn:parallelGateway id=\"Fork_1\">", "<bpmn:eventBasedGateway id=\"Fork_1\">")
        .replacen("</bpmn:parallelGateway>", "</bpmn:eventBasedGateway>", 1);
    match w.deploy("admin", "", &bad).await {
        Err(WorkflowError::Bpmn(errors)) => {
            assert!(errors.iter().any(|e| e.element.as_deref() == Some("Fork_1")));
        }
        other => panic!("expected refusal, got {other:?}"),
    }
    assert!(w.definitions().await.expect("list").is_empty(), "nothing was stored");
    let service = BPMN.replace(
        "<bpmn:userTask id=\"Task_TiepNhan\" name=\"Tiếp nhận, kiểm tra hồ sơ\" cqdt:dueDays=\"0.5\">",
        "<bpmn:serviceTask id=\"Task_TiepNhan\" name=\"Đồng bộ cổng quốc gia\" cqdt:type=\"dvc_sync\">",
    ).replacen("</bpmn:userTask>", "</bpmn:serviceTask>", 1);
    w.deploy("admin", "", &service).await.expect("deploy");
    let id = w.start(Start::new("admin", "tiep_nhan_xu_ly")).await.expect("start");
    let d = w.instance(id).await.expect("detail");
    assert_eq!(d.instance.status, "incident");
    assert!(d.instance.incident.as_deref().unwrap_or("").contains("dvc_sync"));
    w.register_handler(
        "dvc_sync",
        Arc::new(|v: &mut Map<String, Value>| {
            v.insert("synced".into(), Value::Bool(true));
            Ok(())
        }),
    );
    let id = w.start(Start::new("admin", "tiep_nhan_xu_ly")).await.expect("start");
    let d = w.instance(id).await.expect("detail");
    assert_eq!(d.instance.status, "active");
    assert_eq!(d.instance.variables.get("synced"), Some(&Value::Bool(true)));
}

const LIEN_THONG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:cqdt="https://cqdt.vn/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="lien_thong" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="own" name="Thụ lý" candidateGroups="processing_officer" />
    <bpmn:userTask id="fixed" name="Xác minh" candidateGroups="processing_officer" cqdt:agency="000.01.41.H51" />
    <bpmn:userTask id="chosen" name="Phối hợp" candidateGroups="processing_officer" cqdt:agency="${partner}" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="own" />
    <bpmn:sequenceFlow id="f2" sourceRef="own" targetRef="fixed" />
    <bpmn:sequenceFlow id="f3" sourceRef="fixed" targetRef="chosen" />
    <bpmn:sequenceFlow id="f4" sourceRef="chosen" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"#;

#[tokio::test]
async fn a_task_can_belong_to_another_agency_named_in_the_diagram_or_in_a_variable() {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", LIEN_THONG).await.expect("deploy");
    let start = |partner: Option<&str>| {
        let mut v = Map::new();
        if let Some(p) = partner {
            v.insert("partner".into(), json!(p));
        }
        w.start(
            Start::new("a", "lien_thong")
                .business_key(Some("HS-1"))
                .agency(Some("000.00.03.H51"))
                .variables(v),
        )
    };
    let id = start(Some("000.00.11.H51")).await.expect("start");
    let mut agencies = Vec::new();
    for _ in 0..3 {
        let open = open_tasks(&w, id).await;
        assert_eq!(open.len(), 1);
        agencies.push(open[0].agency.clone().unwrap_or_default());
        w.complete("a", "", open[0].id, Map::new()).await.expect("complete");
    }
    assert_eq!(
        agencies,
        ["000.00.03.H51", "000.01.41.H51", "000.00.11.H51"],
        "the instance's agency, the diagram's, the variable's"
    );
    assert_eq!(w.instance(id).await.expect("i").instance.status, "completed");
    let found = w.instance_for("HS-1").await.expect("by key").expect("some");
    assert_eq!(found.instance.id, id, "found by its business key");

    // A variable that is not set is an incident, not a task for nobody.
    let id = start(None).await.expect("start");
    for _ in 0..2 {
        let open = open_tasks(&w, id).await;
        w.complete("a", "", open[0].id, Map::new()).await.expect("complete");
    }
    let i = w.instance(id).await.expect("i").instance;
    assert_eq!(i.status, "incident");
    assert!(i.incident.unwrap_or_default().contains("chosen"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_at_once_each_task_is_done_once_and_every_instance_ends() {
    let t = TestDb::new().await;
    let w = engine(&t, friday_13_february_2026()).await;
    w.deploy("admin", "", BPMN).await.expect("deploy");
    let n = 60;
    let mut clients = Vec::new();
    for i in 0..n {
        let w = w.clone();
        clients.push(tokio::spawn(async move {
            let mut step = w
                .start_step(
                    Start::new("admin", "tiep_nhan_xu_ly")
                        .business_key(Some(&format!("HS-{i}")))
                        .agency(Some("000.01.41.H51")),
                )
                .await?;
            let mut done = 0;
            // Every open task is completed twice at once; exactly one of the two counts.
            while !step.opened.is_empty() {
                let mut next = Vec::new();
                let mut wins = 0;
                let round = step.opened.clone();
                for &task in &round {
                    let vars = vars(json!({"approved": true}));
                    let (x, y) = tokio::join!(
                        w.complete_step("x", "", task, vars.clone()),
                        w.complete_step("x", "", task, vars)
                    );
                    for r in [x, y] {
                        match r {
                            Ok(s) => {
                                wins += 1;
                                next.extend(s.opened.clone());
                                step = s;
                            }
                            Err(WorkflowError::Conflict(_)) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                assert_eq!(wins, round.len(), "one win per task");
                done += wins;
                step.opened = next;
            }
            Ok::<_, WorkflowError>((step.instance.id, done))
        }));
    }
    for c in clients {
        let (id, done) = c.await.expect("client").expect("run");
        assert_eq!(done, 5, "reception, two branches, approval, return");
        let d = w.instance(id).await.expect("detail");
        assert_eq!(d.instance.status, "completed");
        assert_eq!(d.tasks.iter().filter(|t| t.status == "completed").count(), 5);
        assert_eq!(d.history.iter().filter(|h| h.event == "completed").count(), 6);
    }
}

/// A task watched by an interrupting timer of `duration`, in calendar time unless `extra`
/// asks otherwise; the timer leads to a reminder task.
fn watched(duration: &str, extra: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:cqdt="https://cqdt.vn/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="hen_gio" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="xu_ly" name="Xử lý" candidateGroups="processing_officer" />
    <bpmn:boundaryEvent id="het_gio" attachedToRef="xu_ly" {extra}>
      <bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="nhac" name="Nhắc việc" candidateGroups="leader" />
    <bpmn:endEvent id="e1" />
    <bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="xu_ly" />
    <bpmn:sequenceFlow id="f2" sourceRef="xu_ly" targetRef="e1" />
    <bpmn:sequenceFlow id="f3" sourceRef="het_gio" targetRef="nhac" />
    <bpmn:sequenceFlow id="f4" sourceRef="nhac" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>"#
    )
}

#[tokio::test]
async fn a_one_hour_timer_on_a_friday_afternoon_fires_an_hour_later_not_on_monday() {
    let t = TestDb::new().await;
    // 16:30 in Vietnam, Friday 4 December 2026.
    let friday = chrono::Utc.with_ymd_and_hms(2026, 12, 4, 9, 30, 0).single().expect("time");
    let clock = Arc::new(ManualClock::new(friday));
    let w = engine(&t, clock.clone()).await;
    w.deploy("admin", "", &watched("PT1H", "")).await.expect("deploy");
    let id = w.start(Start::new("admin", "hen_gio")).await.expect("start");
    clock.set(friday + chrono::Duration::minutes(59) + chrono::Duration::seconds(59));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0, "not before the hour");
    clock.set(friday + chrono::Duration::hours(1));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 1, "at the hour, on Friday");
    let open = open_tasks(&w, id).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].node_id, "nhac");
}

#[tokio::test]
async fn a_timer_asking_for_working_time_waits_for_working_days_and_other_calendars_are_refused() {
    let t = TestDb::new().await;
    let friday = chrono::Utc.with_ymd_and_hms(2026, 12, 4, 9, 30, 0).single().expect("time");
    let clock = Arc::new(ManualClock::new(friday));
    let w = engine(&t, clock.clone()).await;
    w.deploy("admin", "", &watched("P1D", r#"cqdt:calendar="working""#)).await.expect("deploy");
    let id = w.start(Start::new("admin", "hen_gio")).await.expect("start");
    // One working day from Friday is Monday: nothing on Saturday or Sunday.
    clock.set(friday + chrono::Duration::days(2));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 0, "not on the weekend");
    clock.set(friday + chrono::Duration::days(3));
    assert_eq!(w.fire_due_timers().await.expect("fire"), 1, "on Monday");
    assert_eq!(open_tasks(&w, id).await[0].node_id, "nhac");
    let refused = w.deploy("admin", "", &watched("P1D", r#"cqdt:calendar="lunar""#)).await;
    let Err(WorkflowError::Bpmn(errors)) = refused else { panic!("refused: {refused:?}") };
    assert!(errors
        .iter()
        .any(|e| e.to_string().contains("het_gio") && e.to_string().contains("lunar")));
    // Seconds and fractions are calendar time's own; in working time they are refused by name.
    let refused = w.deploy("admin", "", &watched("PT5S", r#"cqdt:calendar="working""#)).await;
    assert!(matches!(refused, Err(WorkflowError::Bpmn(_))));
    w.deploy("admin", "", &watched("PT0.5S", "")).await.expect("half a second is calendar time");
}
