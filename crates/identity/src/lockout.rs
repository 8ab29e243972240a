//! Temporary lockout after repeated failed attempts, kept in memory per node (a cluster of N
//! nodes allows at most N times the failures; that is enough to stop guessing, which a 256-bit
//! secret makes hopeless anyway, and to stop a misconfigured system from flooding the audit log).
//!
//! Client authentication keys on [`ClientSource`], the client id *and* the address the attempt
//! came from: client ids are public (they stand in authorization URLs), so a lockout by id
//! alone would let anyone who knows one keep the real client out.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::model::LockoutPolicy;

/// Most keys tracked at once; beyond that, entries that no longer matter are dropped.
const MAX_TRACKED: usize = 10_000;

/// Who tries a client's secret: the client id and the caller's address (the real client
/// behind a trusted proxy, as `web::client_address` works it out).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientSource {
    /// The client id presented.
    pub client_id: String,
    /// Where the attempt came from, when known.
    pub address: Option<IpAddr>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    window_start: DateTime<Utc>,
    count: u32,
    locked_until: Option<DateTime<Utc>>,
}

/// Failed attempts per key (an address, or a [`ClientSource`]).
pub(crate) struct Lockout<K = String> {
    policy: LockoutPolicy,
    window: chrono::Duration,
    lockout: chrono::Duration,
    failures: Mutex<HashMap<K, Failures>>,
}

impl<K: Hash + Eq> Lockout<K> {
    /// An empty tracker.
    pub fn new(policy: LockoutPolicy) -> Self {
        Lockout {
            policy,
            window: chrono::Duration::from_std(policy.window)
                .unwrap_or_else(|_| chrono::Duration::minutes(15)),
            lockout: chrono::Duration::from_std(policy.lockout)
                .unwrap_or_else(|_| chrono::Duration::minutes(5)),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until the key may try again, if it is locked out now. Fails closed: if a
    /// panic left the table poisoned, its counts are not to be trusted, so everyone is locked
    /// out (for one lockout period at a time) until the node restarts.
    pub fn locked<Q>(&self, key: &Q, now: DateTime<Utc>) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Ok(map) = self.failures.lock() else {
            tracing::error!("lockout table poisoned by a panic: refusing every authentication");
            return Some(self.policy.lockout.as_secs().max(1));
        };
        if map.is_empty() {
            return None;
        }
        let until = map.get(key)?.locked_until?;
        (until > now).then(|| (until - now).num_seconds().max(1) as u64)
    }

    /// Counts a failure; returns the lockout length in seconds when this failure starts one.
    /// On a poisoned table nothing is counted: [`Lockout::locked`] refuses everyone anyway.
    pub fn fail<Q>(&self, key: &Q, now: DateTime<Utc>) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let mut map = self.failures.lock().ok()?;
        if map.len() >= MAX_TRACKED && !map.contains_key(key) {
            let window = self.window;
            map.retain(|_, f| {
                f.locked_until.is_some_and(|u| u > now) || now - f.window_start < window
            });
            if map.len() >= MAX_TRACKED {
                map.retain(|_, f| f.locked_until.is_some_and(|u| u > now));
            }
        }
        let f = map.entry(key.to_owned()).or_insert(Failures {
            window_start: now,
            count: 0,
            locked_until: None,
        });
        let lock_over = f.locked_until.is_some_and(|u| u <= now);
        if lock_over || now - f.window_start >= self.window {
            *f = Failures { window_start: now, count: 0, locked_until: None };
        }
        f.count += 1;
        if f.count >= self.policy.max_failures && f.locked_until.is_none() {
            f.locked_until = Some(now + self.lockout);
            return Some(self.policy.lockout.as_secs());
        }
        None
    }

    /// Forgets the failures of a key after it authenticated.
    pub fn succeed<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Ok(mut map) = self.failures.lock() {
            if !map.is_empty() {
                map.remove(key);
            }
        }
    }

    /// Forgets the failures of every key `which` picks (all addresses of a client whose
    /// secret was just rotated, say).
    pub fn forget(&self, which: impl Fn(&K) -> bool) {
        if let Ok(mut map) = self.failures.lock() {
            if !map.is_empty() {
                map.retain(|k, _| !which(k));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            max_failures: 3,
            window: Duration::from_secs(60),
            lockout: Duration::from_secs(300),
        }
    }

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000 + secs, 0).unwrap_or_default()
    }

    #[test]
    fn the_third_failure_in_a_minute_locks_the_client_for_five_minutes() {
        let l = Lockout::new(policy());
        assert_eq!(l.fail("c", t(0)), None);
        assert_eq!(l.fail("c", t(1)), None);
        assert_eq!(l.locked("c", t(1)), None);
        assert_eq!(l.fail("c", t(2)), Some(300));
        assert_eq!(l.locked("c", t(3)), Some(299));
        assert_eq!(l.locked("other", t(3)), None);
        assert_eq!(l.fail("c", t(4)), None, "a lockout starts once");
        assert_eq!(l.locked("c", t(302)), None);
        assert_eq!(l.fail("c", t(303)), None, "counting starts afresh after a lockout");
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_lock() {
        let l = Lockout::new(policy());
        assert_eq!(l.fail("c", t(0)), None);
        assert_eq!(l.fail("c", t(30)), None);
        assert_eq!(l.fail("c", t(61)), None);
        assert_eq!(l.locked("c", t(62)), None);
    }

    #[test]
    fn a_success_clears_the_count() {
        let l = Lockout::new(policy());
        l.fail("c", t(0));
        l.fail("c", t(1));
        l.succeed("c");
        assert_eq!(l.fail("c", t(2)), None);
    }

    #[test]
    fn a_client_locked_out_at_one_address_is_not_locked_out_at_another() {
        let l: Lockout<ClientSource> = Lockout::new(policy());
        let from = |ip: &str| ClientSource { client_id: "c".into(), address: ip.parse().ok() };
        let (outsider, real) = (from("203.0.113.7"), from("198.51.100.20"));
        for s in 0..3 {
            l.fail(&outsider, t(s));
        }
        assert_eq!(l.locked(&outsider, t(3)), Some(299));
        assert_eq!(l.locked(&real, t(3)), None, "the real client is not locked out");
        l.fail(&real, t(4));
        l.forget(|k| k.client_id == "c");
        assert_eq!(l.locked(&outsider, t(5)), None, "a new secret forgets every address");
    }

    #[test]
    fn many_distinct_ids_do_not_grow_memory_without_bound() {
        let l = Lockout::new(policy());
        for i in 0..(MAX_TRACKED + 50) {
            l.fail(&format!("id{i}"), t(0));
        }
        let len = l.failures.lock().map(|m| m.len()).unwrap_or(0);
        assert!(len <= MAX_TRACKED, "{len}");
    }

    #[test]
    fn a_lockout_poisoned_by_a_panic_refuses_everyone() {
        let l = Lockout::new(policy());
        assert_eq!(l.locked("c", t(0)), None);
        std::thread::scope(|s| {
            let poisoner = s.spawn(|| {
                let _held = l.failures.lock();
                panic!("a panic while the lockout table is held");
            });
            assert!(poisoner.join().is_err());
        });
        assert!(l.failures.is_poisoned());
        assert_eq!(l.locked("c", t(0)), Some(300), "a client never seen before");
        assert_eq!(l.fail("c", t(0)), None);
        l.succeed("c");
        assert_eq!(l.locked("c", t(1)), Some(300), "a success does not unlock it");
    }
}
