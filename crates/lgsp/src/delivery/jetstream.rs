//! Push delivery when the exchange runs on NATS JetStream: on every node, a task per recipient
//! system with a push address reads that recipient's durable consumer
//! ([`JetStream::push_consumer`]: one message in flight across all nodes, so the order holds).
//! A 2xx answer marks the message received and acknowledges it; a failure the recipient may
//! recover from is negatively acknowledged with [`backoff`] as its delay (the server holds the
//! messages behind it meanwhile) until [`MAX_ATTEMPTS`], then the message goes to the dead
//! letter, as does one the recipient refuses. A message already reported on (pulled) is passed
//! over. A crash before the acknowledgement has the server deliver it again after the
//! consumer's wait: at least once, as on the database; recipients deduplicate by
//! `X-Lgsp-Message-Id`.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::AckKind;
use futures_util::StreamExt;
use tokio::task::JoinHandle;

use super::{backoff, Delivery, Outcome, Pending, MAX_ATTEMPTS};
use crate::exchange::jetstream::JetStream;
use crate::exchange::MessageStatus;
use crate::store;

/// How often the systems with a push address are read again, and the wait before a failed
/// consumer is opened again.
const LOOK: Duration = Duration::from_secs(5);

impl Delivery {
    /// Pushes from JetStream until `shutdown`: a task per recipient with a push address,
    /// started, restarted (new address) or stopped (address removed) as the registry changes.
    pub fn spawn_jetstream(
        self,
        js: JetStream,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut running: HashMap<String, (String, JoinHandle<()>)> = HashMap::new();
            loop {
                match store::subsystems(self.db.pool()).await {
                    Ok(list) => {
                        let wanted: HashMap<String, String> = list
                            .into_iter()
                            .filter_map(|s| s.push_url.clone().map(|u| (s.key(), u)))
                            .collect();
                        running.retain(|key, (url, task)| {
                            let keep = wanted.get(key) == Some(url) && !task.is_finished();
                            if !keep {
                                task.abort();
                            }
                            keep
                        });
                        for (key, url) in wanted {
                            if let std::collections::hash_map::Entry::Vacant(slot) =
                                running.entry(key.clone())
                            {
                                let task = tokio::spawn(pusher(
                                    self.clone(),
                                    js.clone(),
                                    key,
                                    url.clone(),
                                ));
                                slot.insert((url, task));
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "push recipients not read"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(LOOK) => {}
                    _ = shutdown.changed() => break,
                }
            }
            for (_, (_, task)) in running {
                task.abort();
            }
        })
    }
}

/// Pushes one recipient's queue for as long as it runs, opening its consumer again after a
/// failure.
async fn pusher(me: Delivery, js: JetStream, recipient: String, url: String) {
    loop {
        if let Err(e) = push_queue(&me, &js, &recipient, &url).await {
            tracing::warn!(%recipient, error = %e, "push delivery from JetStream");
        }
        tokio::time::sleep(LOOK).await;
    }
}

async fn push_queue(
    me: &Delivery,
    js: &JetStream,
    recipient: &str,
    url: &str,
) -> Result<(), String> {
    let consumer = js.push_consumer(recipient).await.map_err(|e| e.to_string())?;
    let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
    while let Some(next) = messages.next().await {
        let msg = next.map_err(|e| e.to_string())?;
        let (own, delivered) = {
            let info = msg.info().map_err(|e| e.to_string())?;
            (info.stream_sequence, info.delivered)
        };
        let seq = js.pushed_sequence(msg.subject.as_str(), own);
        let found = js.body(&seq.to_string()).await.map_err(|e| e.to_string())?;
        let Some((m, body)) = found.filter(|(m, _)| m.status == MessageStatus::Queued.as_str())
        else {
            // Reported on already (pulled), or gone: nothing to push.
            msg.ack().await.map_err(|e| e.to_string())?;
            continue;
        };
        let pending = Pending {
            id: m.id.clone(),
            sender: m.sender.clone(),
            message_id: m.message_id.clone(),
            content_type: m.content_type.clone(),
            attempts: delivered - 1,
            next_attempt_at: None,
            size: m.size,
            body,
        };
        let dead = match me.push(recipient, url, &pending).await {
            Outcome::Delivered => {
                // Reported meanwhile by the recipient itself: that report stands.
                let _ = js.report(&m, MessageStatus::Received, None).await;
                None
            }
            Outcome::Refused(why) => Some(why),
            Outcome::Failed(why) if delivered >= MAX_ATTEMPTS => Some(why),
            Outcome::Failed(why) => {
                // Said on the message (the sender sees why it waits); lost in a race, no matter.
                let _ = js.push_failed(&m, &why, delivered, false).await;
                let wait = backoff(delivered).to_std().unwrap_or(Duration::from_secs(3600));
                msg.ack_with(AckKind::Nak(Some(wait))).await.map_err(|e| e.to_string())?;
                continue;
            }
        };
        if let Some(why) = dead {
            js.push_failed(&m, &why, delivered, true).await.map_err(|e| e.to_string())?;
        }
        msg.ack().await.map_err(|e| e.to_string())?;
    }
    Ok(())
}
