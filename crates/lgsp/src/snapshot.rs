//! What the gateway needs of the registry to pass a call (consumer systems by OAuth client,
//! services with their operations, approved grants), read in one go and kept in memory, so a
//! call costs no query. It is read again at once after a change made on this node (the
//! registry's generation), and at least every [`REFRESH`] for changes made on other nodes:
//! a grant revoked elsewhere stops working within that time.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::model::{LgspError, Operation, Service, Subsystem};
use crate::service::Registry;
use crate::store;

/// Longest a snapshot is used before it is read again.
pub const REFRESH: Duration = Duration::from_secs(2);

/// A service with its operations.
pub struct Routed {
    /// The service.
    pub service: Service,
    /// Its operations.
    pub operations: Vec<Operation>,
}

/// The registry as the gateway reads it.
pub struct Snapshot {
    read_at: Instant,
    generation: u64,
    consumers: HashMap<String, Subsystem>,
    /// Every system by `member/code`.
    systems: HashMap<String, Subsystem>,
    services: HashMap<(String, String), Arc<Routed>>,
    /// (consumer `member/system`, service id) → (operation, last day).
    grants: HashMap<(String, String), Vec<(String, String)>>,
    /// Peer platforms by code.
    peers: HashMap<String, Arc<crate::federation::Peer>>,
    /// The peer each system that a peer calls as belongs to, by the system's `member/code`.
    peer_systems: HashMap<String, Arc<crate::federation::Peer>>,
}

impl Snapshot {
    /// The system an OAuth client calls as.
    pub fn consumer(&self, client_id: &str) -> Option<&Subsystem> {
        self.consumers.get(client_id)
    }

    /// A system by `member/code`.
    pub fn system(&self, key: &str) -> Option<&Subsystem> {
        self.systems.get(key)
    }

    /// A peer platform by code.
    pub fn peer(&self, code: &str) -> Option<Arc<crate::federation::Peer>> {
        self.peers.get(code).cloned()
    }

    /// Whether any peer platform calls here (a call checks for one only then).
    pub fn peers_call_in(&self) -> bool {
        !self.peer_systems.is_empty()
    }

    /// The peer platform that calls as this system (`member/code`), if one does.
    pub fn peer_calling_as(&self, system: &str) -> Option<Arc<crate::federation::Peer>> {
        self.peer_systems.get(system).cloned()
    }

    /// A service by its gateway address.
    pub fn service(&self, member: &str, code: &str) -> Option<Arc<Routed>> {
        self.services.get(&(member.to_string(), code.to_string())).cloned()
    }

    /// Whether the consumer may call the operation on `today` (yyyy-mm-dd).
    pub fn allows(
        &self,
        consumer: &Subsystem,
        service_id: &str,
        operation: &str,
        today: &str,
    ) -> bool {
        self.grants.get(&(consumer.key(), service_id.to_string())).is_some_and(|ops| {
            ops.iter().any(|(op, until)| op == operation && until.as_str() >= today)
        })
    }
}

/// The snapshot in use, read again when stale.
#[derive(Clone, Default)]
pub struct Cached {
    current: Arc<RwLock<Option<Arc<Snapshot>>>>,
    reading: Arc<tokio::sync::Mutex<()>>,
}

impl Cached {
    /// A snapshot no older than [`REFRESH`] and this node's last change.
    pub async fn get(&self, registry: &Registry) -> Result<Arc<Snapshot>, LgspError> {
        let fresh =
            |s: &Snapshot| s.generation == registry.generation() && s.read_at.elapsed() < REFRESH;
        if let Some(s) = self.peek().filter(|s| fresh(s)) {
            return Ok(s);
        }
        // One reader at a time; the others take what it read.
        let _one = self.reading.lock().await;
        if let Some(s) = self.peek().filter(|s| fresh(s)) {
            return Ok(s);
        }
        let s = Arc::new(read(registry).await?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(s.clone());
        Ok(s)
    }

    fn peek(&self) -> Option<Arc<Snapshot>> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

async fn read(registry: &Registry) -> Result<Snapshot, LgspError> {
    // The generation before reading: a change made while reading makes the next call read again.
    let generation = registry.generation();
    let pool = registry.db().pool();
    let all = store::subsystems(pool).await?;
    let consumers =
        all.iter().filter_map(|s| s.client_id.clone().map(|c| (c, s.clone()))).collect();
    let systems = all.into_iter().map(|s| (s.key(), s)).collect();
    let mut operations: HashMap<String, Vec<Operation>> = HashMap::new();
    for (service_id, op) in store::all_operations(pool).await? {
        operations.entry(service_id).or_default().push(op);
    }
    let services = store::services(pool, None)
        .await?
        .into_iter()
        .map(|service| {
            let ops = operations.remove(&service.id).unwrap_or_default();
            let key = (service.member_code.clone(), service.code.clone());
            (key, Arc::new(Routed { service, operations: ops }))
        })
        .collect();
    let mut grants: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
    for a in store::allowances(pool, &registry.today()).await? {
        grants
            .entry((format!("{}/{}", a.consumer_member, a.consumer_subsystem), a.service_id))
            .or_default()
            .push((a.operation_id, a.valid_until));
    }
    let peers: HashMap<String, Arc<crate::federation::Peer>> = crate::federation::peers(pool)
        .await?
        .into_iter()
        .map(|p| (p.code.clone(), Arc::new(p)))
        .collect();
    let peer_systems =
        peers.values().filter_map(|p| Some((p.consumer_key()?, p.clone()))).collect();
    Ok(Snapshot {
        read_at: Instant::now(),
        generation,
        consumers,
        systems,
        services,
        grants,
        peers,
        peer_systems,
    })
}
