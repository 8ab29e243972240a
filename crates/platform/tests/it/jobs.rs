//! The outbox / job queue on a real database (SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use cqdt_platform::{JobHandler, JobQueue, JobStatus, ManualClock, RetryPolicy};
use cqdt_testing::TestDb;
use serde_json::json;

fn policy(max_attempts: i64) -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_secs(10),
        max_delay: Duration::from_secs(60),
        max_attempts,
        lease: Duration::from_secs(30),
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 2, 13, 2, 0, 0).single().expect("time"),
    ))
}

/// A handler that fails its first `failures` calls and counts every call.
fn flaky(failures: usize, calls: Arc<AtomicUsize>) -> JobHandler {
    Arc::new(move |_payload| {
        let calls = calls.clone();
        Box::pin(async move {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            if n < failures {
                Err(format!("máy chủ thư không trả lời (lần {})", n + 1))
            } else {
                Ok(())
            }
        })
    })
}

async fn enqueue(t: &TestDb, q: &JobQueue, kind: &str) -> i64 {
    let mut tx = t.db.begin().await.expect("begin");
    let id = q.enqueue(&mut tx, kind, &json!({"to": "a@b.vn"})).await.expect("enqueue");
    tx.commit().await.expect("commit");
    id
}

#[tokio::test]
async fn a_job_enqueued_in_a_rolled_back_transaction_never_runs() {
    let t = TestDb::new().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let q = JobQueue::new(t.db.clone(), clock(), policy(3));
    q.register("mail", flaky(0, calls.clone()));
    let mut tx = t.db.begin().await.expect("begin");
    q.enqueue(&mut tx, "mail", &json!({})).await.expect("enqueue");
    drop(tx);
    assert_eq!(q.drain().await.expect("drain"), 0);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_until_it_succeeds() {
    let t = TestDb::new().await;
    let clock = clock();
    let calls = Arc::new(AtomicUsize::new(0));
    let q = JobQueue::new(t.db.clone(), clock.clone(), policy(5));
    q.register("mail", flaky(2, calls.clone()));
    let id = enqueue(&t, &q, "mail").await;
    assert!(q.run_once().await.expect("run"));
    // Not due again until the backoff has passed.
    assert!(!q.run_once().await.expect("run"));
    clock.advance(chrono::Duration::seconds(10));
    assert!(q.run_once().await.expect("run"));
    clock.advance(chrono::Duration::seconds(19));
    assert!(!q.run_once().await.expect("run"), "second retry waits 20 s");
    clock.advance(chrono::Duration::seconds(1));
    assert!(q.run_once().await.expect("run"));
    let (job, attempts) = q.get(id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Done);
    let outcomes: Vec<&str> = attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["error", "error", "ok"]);
    assert!(attempts[0].error.as_deref().unwrap_or("").contains("không trả lời"));
}

#[tokio::test]
async fn a_job_that_always_fails_ends_dead_and_an_admin_can_retry_it() {
    let t = TestDb::new().await;
    let clock = clock();
    let calls = Arc::new(AtomicUsize::new(0));
    let q = JobQueue::new(t.db.clone(), clock.clone(), policy(3));
    q.register("mail", flaky(3, calls.clone()));
    let id = enqueue(&t, &q, "mail").await;
    for _ in 0..3 {
        q.run_once().await.expect("run");
        clock.advance(chrono::Duration::minutes(5));
    }
    let (job, _) = q.get(id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Dead);
    assert_eq!(q.list(Some(JobStatus::Dead), 10).await.expect("list").len(), 1);
    assert!(!q.run_once().await.expect("run"), "dead jobs do not run");
    assert!(q.retry_dead(id).await.expect("retry"));
    assert!(q.run_once().await.expect("run"));
    let (job, attempts) = q.get(id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(attempts.len(), 4);
    assert!(!q.retry_dead(id).await.expect("retry"), "only dead jobs are retried");
}

#[tokio::test]
async fn a_job_claimed_by_a_worker_that_died_runs_again_after_its_lease() {
    let t = TestDb::new().await;
    let clock = clock();
    let q = JobQueue::new(t.db.clone(), clock.clone(), policy(5));
    // A handler that never returns stands for a worker killed mid-job.
    let hang: JobHandler = Arc::new(|_| Box::pin(std::future::pending()));
    q.register("mail", hang);
    let id = enqueue(&t, &q, "mail").await;
    let stuck = {
        let q = q.clone();
        tokio::spawn(async move { q.run_once().await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    stuck.abort();
    let calls = Arc::new(AtomicUsize::new(0));
    q.register("mail", flaky(0, calls.clone()));
    assert!(!q.run_once().await.expect("run"), "leased job is not taken twice");
    clock.advance(chrono::Duration::seconds(31));
    assert!(q.run_once().await.expect("run"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let (job, _) = q.get(id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Done);
}

#[tokio::test]
async fn the_background_worker_delivers_each_job_once_when_it_succeeds() {
    let t = TestDb::new().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let q = JobQueue::new(t.db.clone(), Arc::new(cqdt_platform::SystemClock), policy(3));
    q.register("mail", flaky(0, calls.clone()));
    let (stop, rx) = tokio::sync::watch::channel(false);
    let worker = q.spawn_worker(rx, Duration::from_millis(50));
    for _ in 0..20 {
        enqueue(&t, &q, "mail").await;
        q.wake();
    }
    for _ in 0..100 {
        if calls.load(Ordering::SeqCst) >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    let _ = worker.await;
    assert_eq!(calls.load(Ordering::SeqCst), 20);
    let done = q.list(Some(JobStatus::Done), 100).await.expect("list");
    assert_eq!(done.len(), 20);
}

#[tokio::test]
async fn the_worker_runs_jobs_side_by_side_each_once_and_a_stuck_one_holds_up_no_other() {
    let t = TestDb::new().await;
    let q = JobQueue::new(t.db.clone(), clock(), policy(3));
    let (running, most, done) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    // Each delivery waits until a second one is under way (or gives up after 5 s): run one at a
    // time, they would all wait the full 5 s and the test would see at most one in flight.
    let handler: JobHandler = {
        let (running, most, done) = (running.clone(), most.clone(), done.clone());
        Arc::new(move |_payload| {
            let (running, most, done) = (running.clone(), most.clone(), done.clone());
            Box::pin(async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                for _ in 0..500 {
                    if most.load(Ordering::SeqCst) > 1 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
        })
    };
    q.register("sms", handler);
    // A delivery that never ends (a destination that hangs) alongside them.
    q.register("hang", Arc::new(|_p| Box::pin(std::future::pending::<Result<(), String>>())));
    enqueue(&t, &q, "hang").await;
    for _ in 0..40 {
        enqueue(&t, &q, "sms").await;
    }
    let (stop, rx) = tokio::sync::watch::channel(false);
    let worker = q.spawn_worker(rx, Duration::from_millis(50));
    let finished = || async {
        let counts = q.counts().await.expect("counts");
        (counts.iter().find(|(s, _)| s == "done").map(|(_, n)| *n), counts)
    };
    for _ in 0..600 {
        if finished().await.0 == Some(40) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (n, counts) = finished().await;
    assert_eq!(n, Some(40), "every delivery finished past the hung one: {counts:?}");
    assert_eq!(done.load(Ordering::SeqCst), 40, "each ran once");
    assert!(most.load(Ordering::SeqCst) > 1, "deliveries ran side by side");
    let _ = stop.send(true);
    worker.abort();
}
