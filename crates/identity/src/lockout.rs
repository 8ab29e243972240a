//! Temporary lockout of a client id after repeated failed authentications, kept in memory
//! per node (a cluster of N nodes allows at most N times the failures; that is enough to stop
//! guessing, which a 256-bit secret makes hopeless anyway, and to stop a misconfigured system
//! from flooding the audit log).
//!
//! Locking by client id means that someone who knows a client's id can keep it locked out;
//! that is the usual price of lockout and the reason it is short.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::model::LockoutPolicy;

/// Most client ids tracked at once; beyond that, entries that no longer matter are dropped.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    window_start: DateTime<Utc>,
    count: u32,
    locked_until: Option<DateTime<Utc>>,
}

/// Failed authentications per client id.
pub(crate) struct Lockout {
    policy: LockoutPolicy,
    window: chrono::Duration,
    lockout: chrono::Duration,
    failures: Mutex<HashMap<String, Failures>>,
}

impl Lockout {
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

    /// Seconds until the client id may try again, if it is locked out now. Fails closed: if a
    /// panic left the table poisoned, its counts are not to be trusted, so everyone is locked
    /// out (for one lockout period at a time) until the node restarts.
    pub fn locked(&self, client_id: &str, now: DateTime<Utc>) -> Option<u64> {
        let Ok(map) = self.failures.lock() else {
            tracing::error!("lockout table poisoned by a panic: refusing every authentication");
            return Some(self.policy.lockout.as_secs().max(1));
        };
        if map.is_empty() {
            return None;
        }
        let until = map.get(client_id)?.locked_until?;
        (until > now).then(|| (until - now).num_seconds().max(1) as u64)
    }

    /// Counts a failure; returns the lockout length in seconds when this failure starts one.
    /// On a poisoned table nothing is counted: [`Lockout::locked`] refuses everyone anyway.
    pub fn fail(&self, client_id: &str, now: DateTime<Utc>) -> Option<u64> {
        let mut map = self.failures.lock().ok()?;
        if map.len() >= MAX_TRACKED && !map.contains_key(client_id) {
            let window = self.window;
            map.retain(|_, f| {
                f.locked_until.is_some_and(|u| u > now) || now - f.window_start < window
            });
            if map.len() >= MAX_TRACKED {
                map.retain(|_, f| f.locked_until.is_some_and(|u| u > now));
            }
        }
        let f = map.entry(client_id.to_string()).or_insert(Failures {
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

    /// Forgets the failures of a client id after it authenticated.
    pub fn succeed(&self, client_id: &str) {
        if let Ok(mut map) = self.failures.lock() {
            if !map.is_empty() {
                map.remove(client_id);
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
