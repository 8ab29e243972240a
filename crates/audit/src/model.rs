//! Audit events and the hash chain that makes the log tamper-evident.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash before the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It was done.
    Success,
    /// It was attempted and failed.
    Failure,
    /// It was refused for lack of permission.
    Denied,
}

impl Outcome {
    /// What a person reads.
    pub fn label_vi(self) -> &'static str {
        match self {
            Outcome::Success => "Thành công",
            Outcome::Failure => "Thất bại",
            Outcome::Denied => "Bị từ chối",
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            "denied" => Some(Outcome::Denied),
            _ => None,
        }
    }
}

/// What a module reports: who did what to which object, why, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// Who acted: an account id, `system`, or a system client id.
    pub actor: String,
    /// The actor's agency code, if any.
    pub actor_agency: Option<String>,
    /// What was done, as `module.verb` (e.g. `catalog.entry.update`, `citizen.read`).
    pub action: String,
    /// The kind of object acted on.
    pub object_type: String,
    /// The object's id.
    pub object_id: Option<String>,
    /// Why (required for reads of personal data).
    pub purpose: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Extra facts as JSON text (changed fields, counts).
    pub details: Option<String>,
}

impl AuditEvent {
    /// A successful action with no object id, purpose or request yet.
    pub fn new(actor: &str, action: &str, object_type: &str) -> Self {
        AuditEvent {
            actor: actor.to_string(),
            actor_agency: None,
            action: action.to_string(),
            object_type: object_type.to_string(),
            object_id: None,
            purpose: None,
            outcome: Outcome::Success,
            request_id: None,
            details: None,
        }
    }

    /// Sets the object id.
    pub fn object(mut self, id: impl Into<String>) -> Self {
        self.object_id = Some(id.into());
        self
    }

    /// Sets the request id (ignored when empty).
    pub fn request(mut self, id: &str) -> Self {
        self.request_id = (!id.is_empty()).then(|| id.to_string());
        self
    }

    /// Sets the purpose.
    pub fn purpose(mut self, p: impl Into<String>) -> Self {
        self.purpose = Some(p.into());
        self
    }

    /// Sets the actor's agency.
    pub fn agency(mut self, code: impl Into<String>) -> Self {
        self.actor_agency = Some(code.into());
        self
    }

    /// Sets the outcome.
    pub fn outcome(mut self, o: Outcome) -> Self {
        self.outcome = o;
        self
    }

    /// Sets details (JSON).
    pub fn details(mut self, d: serde_json::Value) -> Self {
        self.details = Some(d.to_string());
        self
    }
}

/// A row of the log as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// When (stored UTC timestamp).
    pub at: String,
    /// The event.
    #[serde(flatten)]
    pub event: AuditEvent,
    /// Hash of the previous row.
    pub prev_hash: String,
    /// Hash of this row, over its content and `prev_hash`.
    pub hash: String,
}

fn field(h: &mut Sha256, value: Option<&str>) {
    // Length-prefixed so that moving text between fields changes the hash.
    match value {
        Some(v) => {
            h.update((v.len() as u64).to_be_bytes());
            h.update(v.as_bytes());
        }
        None => h.update(u64::MAX.to_be_bytes()),
    }
}

/// The hash of a row: SHA-256 over the previous hash, the position and every field.
pub fn chain_hash(prev_hash: &str, seq: i64, at: &str, e: &AuditEvent) -> String {
    let mut h = Sha256::new();
    h.update(b"cqdt-audit-v1");
    field(&mut h, Some(prev_hash));
    h.update(seq.to_be_bytes());
    field(&mut h, Some(at));
    field(&mut h, Some(&e.actor));
    field(&mut h, e.actor_agency.as_deref());
    field(&mut h, Some(&e.action));
    field(&mut h, Some(&e.object_type));
    field(&mut h, e.object_id.as_deref());
    field(&mut h, e.purpose.as_deref());
    field(&mut h, Some(e.outcome.as_str()));
    field(&mut h, e.request_id.as_deref());
    field(&mut h, e.details.as_deref());
    hex::encode(h.finalize())
}

/// Why a row breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ChainBreak {
    /// The row's content does not match its hash: it was altered.
    Altered,
    /// The row does not follow the one before it: rows were removed or reordered.
    Discontinuity {
        /// The position the row should have.
        expected_seq: i64,
    },
    /// The row's link to its predecessor is wrong.
    BrokenLink,
}

/// Walks the chain incrementally, so any number of rows can be checked in batches.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev_hash: String,
    next_seq: i64,
    checked: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier { prev_hash: GENESIS_HASH.to_string(), next_seq: 1, checked: 0 }
    }
}

impl ChainVerifier {
    /// Checks the next row in storage order.
    pub fn check(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        if r.seq != self.next_seq {
            return Err(ChainBreak::Discontinuity { expected_seq: self.next_seq });
        }
        if chain_hash(&r.prev_hash, r.seq, &r.at, &r.event) != r.hash {
            return Err(ChainBreak::Altered);
        }
        if r.prev_hash != self.prev_hash {
            return Err(ChainBreak::BrokenLink);
        }
        self.prev_hash = r.hash.clone();
        self.next_seq += 1;
        self.checked += 1;
        Ok(())
    }

    /// Rows checked so far.
    pub fn checked(&self) -> i64 {
        self.checked
    }

    /// The hash of the last checked row.
    pub fn head(&self) -> &str {
        &self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let event = AuditEvent::new("admin", "catalog.entry.update", "catalog_entry")
                    .object(format!("{seq}"));
                let at = format!("2026-02-13T09:00:{seq:02}.000000Z");
                let hash = chain_hash(&prev, seq, &at, &event);
                let r = AuditRecord { seq, at, event, prev_hash: prev.clone(), hash: hash.clone() };
                prev = hash;
                r
            })
            .collect()
    }

    fn verify(rows: &[AuditRecord]) -> Result<(), (i64, ChainBreak)> {
        let mut v = ChainVerifier::default();
        for r in rows {
            v.check(r).map_err(|b| (r.seq, b))?;
        }
        Ok(())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(()));
    }

    #[test]
    fn an_altered_row_is_named() {
        let mut rows = chain(5);
        rows[2].event.actor = "mallory".into();
        assert_eq!(verify(&rows), Err((3, ChainBreak::Altered)));
    }

    #[test]
    fn a_removed_row_is_noticed_at_the_next_one() {
        let mut rows = chain(5);
        rows.remove(1);
        assert_eq!(verify(&rows), Err((3, ChainBreak::Discontinuity { expected_seq: 2 })));
    }

    #[test]
    fn swapped_rows_are_noticed() {
        let mut rows = chain(5);
        rows.swap(1, 2);
        assert!(verify(&rows).is_err());
    }

    #[test]
    fn a_rewritten_tail_with_fresh_hashes_breaks_the_link() {
        let mut rows = chain(3);
        rows[1].event.actor = "mallory".into();
        rows[1].hash = chain_hash(&rows[1].prev_hash, 2, &rows[1].at, &rows[1].event);
        assert_eq!(verify(&rows), Err((3, ChainBreak::BrokenLink)));
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let a = AuditEvent::new("ab", "c", "t");
        let b = AuditEvent::new("a", "bc", "t");
        assert_ne!(chain_hash(GENESIS_HASH, 1, "x", &a), chain_hash(GENESIS_HASH, 1, "x", &b));
    }
}
