//! SQL for message waits (wf_subscriptions) and the messages correlated (wf_messages, one
//! row per message id, so that a message delivered twice has one effect).

use cqdt_platform::{Db, DbError, DbResultExt, Sql};
use sqlx::AnyConnection;

use super::batch::{push_ids, IDS_PER_STATEMENT};

/// A message wait to create with its task.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// The task the token waits at.
    pub task_id: i64,
    /// Instance.
    pub instance_id: i64,
    /// Message name.
    pub name: String,
    /// Correlation key value, when the diagram names one.
    pub key: Option<String>,
}

/// A message already correlated.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    /// Its id, as the sender gave it.
    pub message_id: String,
    /// Its name.
    pub name: String,
    /// The wait it ended.
    pub task_id: i64,
    /// Its instance.
    pub instance_id: i64,
}

/// How a message finds the instance waiting for it.
#[derive(Debug, Clone, Copy)]
pub enum Selector<'a> {
    /// The correlation key value (a Zeebe subscription's).
    Key(&'a str),
    /// The instance's business key (a dossier code).
    BusinessKey(&'a str),
    /// The instance.
    Instance(i64),
}

/// Creates message waits for tasks just written.
pub async fn insert_subscriptions(
    conn: &mut AnyConnection,
    rows: &[NewSubscription],
    now: &str,
) -> Result<(), DbError> {
    for chunk in rows.chunks(100) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO wf_subscriptions (task_id, instance_id, name, correlation_key, created_at) ",
        );
        q.push_values(chunk, |mut row, s| {
            row.push_bind(s.task_id)
                .push_bind(s.instance_id)
                .push_bind(s.name.as_str())
                .push_bind(s.key.as_deref())
                .push_bind(now);
        });
        q.build().execute(&mut *conn).await.ctx("creating message waits")?;
    }
    Ok(())
}

/// Deletes the message waits of tasks that ended.
pub async fn delete_subscriptions(conn: &mut AnyConnection, ids: &[i64]) -> Result<(), DbError> {
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut q = Sql::on(conn, "DELETE FROM wf_subscriptions WHERE task_id IN ");
        push_ids(&mut q, chunk);
        q.build().execute(&mut *conn).await.ctx("deleting message waits")?;
    }
    Ok(())
}

/// Records messages correlated: (message id, name, task, instance). The primary key keeps a
/// message id to one effect.
pub async fn insert_messages(
    conn: &mut AnyConnection,
    rows: &[(String, String, i64, i64)],
    now: &str,
) -> Result<(), DbError> {
    for chunk in rows.chunks(100) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO wf_messages (message_id, name, task_id, instance_id, received_at) ",
        );
        q.push_values(chunk, |mut row, (id, name, task, instance)| {
            row.push_bind(id.as_str())
                .push_bind(name.as_str())
                .push_bind(*task)
                .push_bind(*instance)
                .push_bind(now);
        });
        q.build().execute(&mut *conn).await.ctx("recording messages")?;
    }
    Ok(())
}

/// A message correlated before, by its id.
pub async fn message_by_id(db: &Db, id: &str) -> Result<Option<MessageRow>, DbError> {
    let mut q = Sql::new(
        db.backend(),
        "SELECT message_id, name, task_id, instance_id FROM wf_messages WHERE message_id = ",
    );
    q.push_bind(id);
    q.build_query_as().fetch_optional(db.pool()).await.ctx("reading a message")
}

/// The open waits for a message of `name` that `selector` picks (task ids, at most 2: more
/// than one is ambiguous either way).
pub async fn waiting_for(db: &Db, name: &str, selector: Selector<'_>) -> Result<Vec<i64>, DbError> {
    let mut q = Sql::new(
        db.backend(),
        "SELECT s.task_id FROM wf_subscriptions s JOIN wf_tasks t ON t.id = s.task_id \
         JOIN wf_instances i ON i.id = s.instance_id WHERE t.status = 'open' AND s.name = ",
    );
    q.push_bind(name);
    match selector {
        Selector::Key(k) => q.push(" AND s.correlation_key = ").push_bind(k),
        Selector::BusinessKey(k) => q.push(" AND i.business_key = ").push_bind(k),
        Selector::Instance(id) => q.push(" AND s.instance_id = ").push_bind(id),
    };
    q.push(" ORDER BY s.task_id LIMIT 2");
    q.build_query_scalar().fetch_all(db.pool()).await.ctx("finding message waits")
}
