//! The batch writer on a real database: order, refusals, joins.

use super::*;
use cqdt_platform::{SharedClock, SystemClock};
use cqdt_testing::TestDb;

const BPMN: &str = include_str!("../../../tests/fixtures/tiep-nhan-xu-ly.bpmn");

fn start(key: &str) -> Command {
    Command::Start(Start::new("admin", key).agency(Some("000.01.41.H51")))
}

fn complete(task_id: i64, actor: &str) -> Command {
    Command::Complete(Complete {
        actor: actor.into(),
        request_id: String::new(),
        task_id,
        variables: Map::new(),
        by: By::Person,
    })
}

async fn engine(t: &TestDb) -> WorkflowService {
    let clock: SharedClock = Arc::new(SystemClock);
    let audit = cqdt_audit::Audit::new(t.db.clone(), clock.clone());
    let calendar = cqdt_calendar::CalendarService::load(
        t.db.clone(),
        clock.clone(),
        audit.clone(),
        cqdt_calendar::OfficeHours::default(),
    )
    .await
    .expect("calendar");
    WorkflowService::new(t.db.clone(), clock, audit, calendar)
}

async fn run(w: &WorkflowService, commands: Vec<Command>) -> Vec<Result<Step, WorkflowError>> {
    let mut tx = w.db.begin().await.expect("begin");
    let out = w.execute(&mut tx, commands).await.expect("batch");
    tx.commit().await.expect("commit");
    out
}

#[tokio::test]
async fn one_batch_runs_its_commands_in_order_and_refuses_each_bad_one_alone() {
    let t = TestDb::new().await;
    let w = engine(&t).await;
    w.deploy("admin", "", BPMN).await.expect("deploy");

    let out =
        run(&w, vec![start("tiep_nhan_xu_ly"), start("khong_co"), start("tiep_nhan_xu_ly")]).await;
    assert!(matches!(out[1], Err(WorkflowError::NotFound(_))));
    let (a, b) = match (&out[0], &out[2]) {
        (Ok(a), Ok(b)) => (a.clone(), b.clone()),
        other => panic!("starts failed: {other:?}"),
    };
    assert!(a.instance.id > 0 && b.instance.id > a.instance.id, "ids in order");
    assert_eq!(a.opened.len(), 1);
    assert_eq!(b.opened.len(), 1);

    // The same task twice, and a stranger's: only the first completion counts.
    let out = run(
        &w,
        vec![
            complete(a.opened[0], "x"),
            complete(a.opened[0], "x"),
            complete(b.opened[0], "x"),
            complete(999_999, "x"),
        ],
    )
    .await;
    assert!(matches!(out[1], Err(WorkflowError::Conflict(_))));
    assert!(matches!(out[3], Err(WorkflowError::NotFound(_))));
    let fork_a = out[0].as_ref().expect("first").opened.clone();
    let fork_b = out[2].as_ref().expect("other").opened.clone();
    assert_eq!((fork_a.len(), fork_b.len()), (2, 2), "parallel branches opened");

    // Both branches of both instances in one batch: each join fires exactly once.
    let out = run(
        &w,
        vec![
            complete(fork_a[0], "x"),
            complete(fork_b[1], "x"),
            complete(fork_a[1], "x"),
            complete(fork_b[0], "x"),
        ],
    )
    .await;
    let opened: Vec<usize> = out.iter().map(|r| r.as_ref().expect("branch").opened.len()).collect();
    assert_eq!(opened, [0, 0, 1, 1], "the second arrival at each join moves on");
    for id in [a.instance.id, b.instance.id] {
        let d = w.instance(id).await.expect("detail");
        let open: Vec<&str> =
            d.tasks.iter().filter(|t| t.status == "open").map(|t| t.node_id.as_str()).collect();
        assert_eq!(open, ["Task_PheDuyet"]);
        assert_eq!(d.instance.tokens, 1);
        let created = d.history.iter().filter(|h| h.event == "task_created").count();
        assert_eq!(created, 4, "reception, two branches, approval");
        assert!(d.history.iter().filter(|h| h.event == "task_created").all(|h| h
            .detail
            .as_deref()
            .and_then(|v| v.parse::<i64>().ok())
            .is_some()));
    }
    let timers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM wf_timers WHERE status = 'pending'")
        .fetch_one(w.db.pool())
        .await
        .expect("timers");
    assert_eq!(timers, 2, "one escalation timer per approval task");
    let joins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM wf_joins")
        .fetch_one(w.db.pool())
        .await
        .expect("joins");
    assert_eq!(joins, 0, "fired joins are cleared");
}
