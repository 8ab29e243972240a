//! `cqdt kek rewrap` for the integration platform's sealed values: the bodies the message log
//! keeps and this platform's client secrets at its peers, re-sealed under the current
//! key-encryption key so that the previous keys can be dropped.

use cqdt_audit::AuditEvent;
use cqdt_platform::{DbError, DbResultExt};

use crate::bodies::BodySide;
use crate::model::LgspError;
use crate::service::Registry;

/// What was re-sealed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Kept bodies.
    pub bodies: usize,
    /// Client secrets at peers.
    pub peer_secrets: usize,
}

/// Bodies re-sealed per statement page (each at most 16 MiB).
const PAGE: i64 = 50;

fn sealing(e: impl std::fmt::Display) -> LgspError {
    LgspError::Db(DbError::Config(e.to_string()))
}

impl Registry {
    /// Re-seals every kept body and peer secret not sealed under the current key; audited
    /// (`lgsp.kek.rewrap`). Refused, naming the key, when one does not open.
    pub async fn rewrap_secrets(&self, actor: &str) -> Result<Resealed, LgspError> {
        let kek = self.kek();
        let mut done = Resealed::default();
        for side in [BodySide::Request, BodySide::Response] {
            let mut after = 0i64;
            loop {
                let page: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT seq, sealed FROM lgsp_bodies WHERE side = $1 AND seq > $2 \
                     AND sealed IS NOT NULL ORDER BY seq LIMIT $3",
                )
                .bind(side.as_str())
                .bind(after)
                .bind(PAGE)
                .fetch_all(self.db().pool())
                .await
                .ctx("reading kept bodies")?;
                let Some(last) = page.last().map(|(seq, _)| *seq) else { break };
                after = last;
                for (seq, sealed) in page.into_iter().filter(|(_, s)| !kek.is_current(s)) {
                    let context = crate::bodies::context(seq, side);
                    let clear = kek.open(&context, &sealed).map_err(sealing)?;
                    sqlx::query("UPDATE lgsp_bodies SET sealed = $1 WHERE seq = $2 AND side = $3")
                        .bind(kek.seal(&context, &clear))
                        .bind(seq)
                        .bind(side.as_str())
                        .execute(self.db().pool())
                        .await
                        .ctx("re-sealing a kept body")?;
                    done.bodies += 1;
                }
            }
        }
        let secrets: Vec<(String, String)> = sqlx::query_as(
            "SELECT code, client_secret FROM lgsp_peers WHERE client_secret IS NOT NULL",
        )
        .fetch_all(self.db().pool())
        .await
        .ctx("reading peer secrets")?;
        for (code, sealed) in secrets {
            let context = crate::federation::secret_context(&code);
            if let Some(resealed) = kek.reseal_text(&context, &sealed).map_err(sealing)? {
                sqlx::query("UPDATE lgsp_peers SET client_secret = $1 WHERE code = $2")
                    .bind(resealed)
                    .bind(&code)
                    .execute(self.db().pool())
                    .await
                    .ctx("re-sealing a peer secret")?;
                done.peer_secrets += 1;
            }
        }
        let event = AuditEvent::new(actor, "lgsp.kek.rewrap", "kek").details(serde_json::json!({
            "kek": kek.current_id(), "bodies": done.bodies, "peer_secrets": done.peer_secrets,
        }));
        let mut tx = self.db().begin().await?;
        self.audit().record(&mut tx, event).await?;
        tx.commit().await?;
        Ok(done)
    }
}
