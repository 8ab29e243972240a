//! The audit chain on a real database (SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL).

use std::sync::Arc;

use cqdt_audit::{Audit, AuditEvent, ChainBreak, Filter};
use cqdt_platform::SystemClock;
use cqdt_testing::TestDb;

async fn audit_with_rows(n: usize) -> (TestDb, Audit) {
    let t = TestDb::new().await;
    let audit = Audit::new(t.db.clone(), Arc::new(SystemClock));
    for i in 0..n {
        audit
            .record_now(
                AuditEvent::new("admin", "catalog.entry.update", "catalog_entry")
                    .object(format!("{i}"))
                    .purpose("kiểm thử"),
            )
            .await
            .expect("record");
    }
    (t, audit)
}

#[tokio::test]
async fn a_fresh_chain_verifies() {
    let (_t, audit) = audit_with_rows(12).await;
    let report = audit.verify().await.expect("verify");
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.checked, 12);
}

#[tokio::test]
async fn a_row_edited_in_the_database_is_named_by_verify() {
    let (t, audit) = audit_with_rows(6).await;
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4")
        .execute(t.db.pool())
        .await
        .expect("tamper");
    let report = audit.verify().await.expect("verify");
    assert_eq!(report.first_bad, Some((4, ChainBreak::Altered)));
    assert_eq!(report.checked, 3);
}

#[tokio::test]
async fn a_row_deleted_in_the_database_is_noticed() {
    let (t, audit) = audit_with_rows(6).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(t.db.pool()).await.expect("tamper");
    let report = audit.verify().await.expect("verify");
    assert_eq!(report.first_bad, Some((3, ChainBreak::Discontinuity { expected_seq: 2 })));
}

#[tokio::test]
async fn concurrent_appends_keep_one_unbroken_chain() {
    let (_t, audit) = audit_with_rows(0).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let a = audit.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..10 {
                a.record_now(
                    AuditEvent::new("system", "test.append", "x").object(format!("{i}-{j}")),
                )
                .await
                .expect("record");
            }
        }));
    }
    for t in tasks {
        t.await.expect("join");
    }
    let report = audit.verify().await.expect("verify");
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.checked, 80);
}

#[tokio::test]
async fn search_finds_by_object_and_action_prefix() {
    let (_t, audit) = audit_with_rows(5).await;
    let found = audit
        .search(
            &Filter {
                action: Some("catalog.".into()),
                object_id: Some("3".into()),
                ..Filter::default()
            },
            None,
            10,
        )
        .await
        .expect("search");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].event.object_id.as_deref(), Some("3"));
    let none = audit
        .search(&Filter { action: Some("dossier.".into()), ..Filter::default() }, None, 10)
        .await
        .expect("search");
    assert!(none.is_empty());
}
