//! Group commit of audit events for the token endpoint.
//!
//! Every token issued and every refusal is audited, and a request is answered only after its
//! event is committed: no token leaves the platform unrecorded. Writing one audit row in its own
//! transaction per grant would make the hash-chained log (one appender at a time) the
//! bottleneck, so a single writer task takes every event that arrived while the previous batch
//! was being written and commits them together. Events of the same kind for the same client in
//! one batch (tokens issued, refusals) become one audit row whose details list each occurrence
//! (`count`, `items`), so the log grows by rows per batch, not per token, and stays searchable
//! by client.

use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::Db;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::error::IdentityError;

/// Most events committed in one transaction.
const MAX_BATCH: usize = 4096;
/// Most occurrences listed in one merged row.
const MAX_ITEMS: usize = 500;

struct Entry {
    event: AuditEvent,
    item: Option<Value>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The handle the request handlers record through.
#[derive(Clone)]
pub(crate) struct Journal {
    tx: mpsc::Sender<Entry>,
}

impl Journal {
    /// Starts the writer task; it ends when every handle is dropped.
    pub fn start(db: Db, audit: Audit) -> Self {
        let (tx, rx) = mpsc::channel(16 * 1024);
        tokio::spawn(writer(db, audit, rx));
        Journal { tx }
    }

    /// Records `event` and waits until it is committed. With `item`, the event may be merged
    /// with others of the same kind: `item` is this occurrence's entry in the merged row.
    pub async fn record(
        &self,
        event: AuditEvent,
        item: Option<Value>,
    ) -> Result<(), IdentityError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Entry { event, item, done })
            .await
            .map_err(|_| IdentityError::Audit("the audit writer has stopped".into()))?;
        wait.await
            .map_err(|_| IdentityError::Audit("the audit writer has stopped".into()))?
            .map_err(IdentityError::Audit)
    }
}

async fn writer(db: Db, audit: Audit, mut rx: mpsc::Receiver<Entry>) {
    let mut batch = Vec::with_capacity(256);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (events, waiters): (Vec<_>, Vec<_>) =
            batch.drain(..).map(|e| ((e.event, e.item), e.done)).unzip();
        let result = write(&db, &audit, merge(events)).await.map_err(|e| {
            tracing::error!(error = %e, "writing token audit events");
            e.to_string()
        });
        for w in waiters {
            let _ = w.send(result.clone());
        }
    }
}

async fn write(db: &Db, audit: &Audit, events: Vec<AuditEvent>) -> Result<(), IdentityError> {
    let mut tx = db.begin().await?;
    for e in events {
        audit.record(&mut tx, e).await?;
    }
    tx.commit().await?;
    Ok(())
}

type MergeKey = (String, String, String, Option<String>, &'static str);

/// Merges mergeable events of the same actor, action, object and outcome, keeping the order
/// in which each kind first appeared.
fn merge(events: Vec<(AuditEvent, Option<Value>)>) -> Vec<AuditEvent> {
    let mut out: Vec<(AuditEvent, Vec<Value>)> = Vec::new();
    let mut open: Vec<(MergeKey, usize)> = Vec::new();
    for (event, item) in events {
        let Some(item) = item else {
            out.push((event, Vec::new()));
            continue;
        };
        let key = (
            event.actor.clone(),
            event.action.clone(),
            event.object_type.clone(),
            event.object_id.clone(),
            event.outcome.as_str(),
        );
        match open.iter().find(|(k, _)| *k == key).map(|(_, i)| *i) {
            Some(i) if out[i].1.len() < MAX_ITEMS => out[i].1.push(item),
            _ => {
                open.retain(|(k, _)| *k != key);
                open.push((key, out.len()));
                out.push((event, vec![item]));
            }
        }
    }
    out.into_iter()
        .map(|(mut event, items)| {
            if !items.is_empty() {
                event.request_id = None;
                event.details = Some(json!({"count": items.len(), "items": items}).to_string());
            }
            event
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqdt_audit::Outcome;

    fn issued(client: &str, jti: &str) -> (AuditEvent, Option<Value>) {
        (
            AuditEvent::new(client, "identity.token.issue", "oauth_client").object(client),
            Some(json!({"jti": jti})),
        )
    }

    #[test]
    fn issuances_for_one_client_share_a_row_that_lists_each_token() {
        let plain = AuditEvent::new("admin", "identity.client.create", "oauth_client");
        let refused = (
            AuditEvent::new("a", "identity.token.issue", "oauth_client")
                .object("a")
                .outcome(Outcome::Denied),
            Some(json!({"error": "invalid_scope"})),
        );
        let rows = merge(vec![
            issued("a", "1"),
            issued("b", "2"),
            (plain.clone(), None),
            issued("a", "3"),
            refused,
        ]);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].actor, "a");
        let details: Value =
            serde_json::from_str(rows[0].details.as_deref().unwrap_or("{}")).unwrap_or_default();
        assert_eq!(details, json!({"count": 2, "items": [{"jti": "1"}, {"jti": "3"}]}));
        assert_eq!(rows[1].actor, "b");
        assert_eq!(rows[2], plain);
        assert_eq!(rows[3].outcome, Outcome::Denied);
    }

    #[test]
    fn a_merged_row_holds_at_most_five_hundred_occurrences() {
        let events = (0..(MAX_ITEMS + 1)).map(|i| issued("a", &i.to_string())).collect();
        let rows = merge(events);
        assert_eq!(rows.len(), 2);
    }
}
