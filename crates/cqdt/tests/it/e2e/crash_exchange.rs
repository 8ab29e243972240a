//! The asynchronous exchange loses no acknowledged message when the real `cqdt serve` is
//! killed with SIGKILL while senders are sending (group commit answers only after the commit).

use std::sync::{Arc, Mutex};

use serde_json::json;

use super::crash::kill_under_load;
use crate::helpers::{client, Instance};
use crate::lgsp::{provider, receiving_system, registry, JUSTICE};

#[tokio::test]
async fn killing_the_server_while_messages_are_sent_loses_none_it_accepted() {
    let mut app = Instance::spawn_binary().await;
    let (base, _) = provider().await;
    let (_, bearer) = registry(&app, &base, json!({})).await;
    receiving_system(&app).await;
    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut load = Vec::new();
    for k in 0..8 {
        let url = app.url(&format!("/api/v1/lgsp/messages?to={JUSTICE}/ho-tich-nhan"));
        let (bearer, accepted) = (bearer.clone(), accepted.clone());
        load.push(tokio::spawn(async move {
            let http = client();
            for n in 0.. {
                let id = format!("k{k}-{n}");
                let sent = http
                    .post(&url)
                    .bearer_auth(&bearer)
                    .header("x-lgsp-message-id", &id)
                    .body(format!("văn bản {id}"))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 202 => accepted.lock().expect("lock").push(id),
                    _ => break,
                }
            }
        }));
    }
    kill_under_load(&mut app, load, 1500).await;
    let accepted = accepted.lock().expect("lock").clone();
    assert!(accepted.len() > 50, "the load ran: {}", accepted.len());
    // Straight from the database the killed server left.
    let stored: Vec<String> = sqlx::query_scalar("SELECT message_id FROM lgsp_messages")
        .fetch_all(app.db.db.pool())
        .await
        .expect("messages");
    let stored: std::collections::HashSet<String> = stored.into_iter().collect();
    let lost: Vec<&String> = accepted.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "accepted, then lost: {lost:?}");
}
