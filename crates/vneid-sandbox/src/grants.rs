//! What the sandbox remembers between requests, in memory: outstanding authorization codes,
//! spent codes (to detect replays, RFC 6749 §4.1.2 and §10.5) and access tokens. Times are
//! Unix seconds passed in by the caller.

use std::collections::HashMap;

use crate::identities::TestIdentity;
use crate::jose::random_token;
use crate::oauth::{pkce_matches, AuthRequest};

/// Life of an authorization code, in seconds.
pub(crate) const CODE_LIFE: i64 = 300;
/// Life of an access token and of an ID token, in seconds.
pub(crate) const TOKEN_LIFE: i64 = 300;
/// How long a spent code is remembered after it would have expired, in seconds.
const SPENT_MEMORY: i64 = 600;
/// Most codes (outstanding and spent) and most tokens held at once.
const CAPACITY: usize = 10_000;

/// A code's promise: who logged in, for which client and request.
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub request: AuthRequest,
    pub identity: TestIdentity,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// What an access token lets its bearer read.
#[derive(Debug, Clone)]
pub(crate) struct TokenGrant {
    pub identity: TestIdentity,
    pub scope: String,
    pub expires_at: i64,
}

#[derive(Debug)]
struct Spent {
    until: i64,
    access_token: Option<String>,
}

/// The sandbox's memory is full; try again in a few minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// Codes and tokens.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    codes: HashMap<String, CodeGrant>,
    spent: HashMap<String, Spent>,
    tokens: HashMap<String, TokenGrant>,
}

impl Grants {
    fn purge(&mut self, now: i64) {
        self.codes.retain(|_, g| g.expires_at > now);
        self.spent.retain(|_, s| s.until > now);
        self.tokens.retain(|_, t| t.expires_at > now);
    }

    /// Issues a one-time code for a consented request.
    pub(crate) fn issue_code(
        &mut self,
        request: AuthRequest,
        identity: TestIdentity,
        now: i64,
    ) -> Result<String, Full> {
        self.purge(now);
        if self.codes.len() + self.spent.len() >= CAPACITY {
            return Err(Full);
        }
        let code = random_token(32);
        let grant = CodeGrant { request, identity, auth_time: now, expires_at: now + CODE_LIFE };
        self.codes.insert(code.clone(), grant);
        Ok(code)
    }

    /// Redeems a code for `client_id`: it must be outstanding, unexpired, issued to that client
    /// for `redirect_uri`, and `verifier` must match its PKCE challenge. The code is spent by
    /// any attempt; presenting a spent code revokes the token issued with it. The error is the
    /// `error_description` of an `invalid_grant`.
    pub(crate) fn redeem(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        verifier: &str,
        now: i64,
    ) -> Result<CodeGrant, &'static str> {
        self.purge(now);
        if let Some(spent) = self.spent.get_mut(code) {
            if let Some(token) = spent.access_token.take() {
                self.tokens.remove(&token);
                tracing::warn!(
                    "authorization code replayed; the access token issued with it is revoked"
                );
            }
            return Err("the authorization code has already been used");
        }
        let grant = self.codes.remove(code).ok_or("unknown or expired authorization code")?;
        let spent = Spent { until: grant.expires_at + SPENT_MEMORY, access_token: None };
        self.spent.insert(code.to_string(), spent);
        if grant.expires_at <= now {
            return Err("the authorization code has expired");
        }
        if grant.request.client_id != client_id {
            return Err("the authorization code was issued to another client");
        }
        if grant.request.redirect_uri != redirect_uri {
            return Err("redirect_uri differs from the one in the authorization request");
        }
        if !pkce_matches(verifier, &grant.request.code_challenge) {
            return Err("code_verifier does not match the code_challenge");
        }
        Ok(grant)
    }

    /// Issues an access token for a redeemed code.
    pub(crate) fn issue_token(
        &mut self,
        code: &str,
        grant: &CodeGrant,
        now: i64,
    ) -> Result<String, Full> {
        if self.tokens.len() >= CAPACITY {
            return Err(Full);
        }
        let token = random_token(32);
        self.tokens.insert(
            token.clone(),
            TokenGrant {
                identity: grant.identity.clone(),
                scope: grant.request.scope.clone(),
                expires_at: now + TOKEN_LIFE,
            },
        );
        if let Some(spent) = self.spent.get_mut(code) {
            spent.access_token = Some(token.clone());
        }
        Ok(token)
    }

    /// The grant of a live access token.
    pub(crate) fn token(&self, token: &str, now: i64) -> Option<&TokenGrant> {
        self.tokens.get(token).filter(|t| t.expires_at > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identities::test_identities;
    use crate::oauth::s256;

    const VERIFIER: &str = "a-verifier-of-at-least-forty-three-characters-long";

    fn request() -> AuthRequest {
        AuthRequest {
            client_id: "cqdt".into(),
            redirect_uri: "http://app.test/cb".into(),
            scope: "openid profile".into(),
            state: None,
            nonce: Some("n".into()),
            code_challenge: s256(VERIFIER),
        }
    }

    fn issued(g: &mut Grants, now: i64) -> String {
        g.issue_code(request(), test_identities()[0].clone(), now).expect("room")
    }

    #[test]
    fn a_code_is_redeemed_once_and_a_replay_revokes_its_token() {
        let mut g = Grants::default();
        let code = issued(&mut g, 1000);
        let grant = g.redeem(&code, "cqdt", "http://app.test/cb", VERIFIER, 1010).expect("ok");
        assert_eq!(grant.auth_time, 1000);
        let token = g.issue_token(&code, &grant, 1010).expect("room");
        assert!(g.token(&token, 1020).is_some());
        assert!(g.redeem(&code, "cqdt", "http://app.test/cb", VERIFIER, 1020).is_err());
        assert!(g.token(&token, 1020).is_none());
    }

    #[test]
    fn a_code_is_spent_by_a_failed_attempt() {
        let mut g = Grants::default();
        let code = issued(&mut g, 1000);
        assert!(g
            .redeem(&code, "cqdt", "http://app.test/cb", &VERIFIER.replace('a', "b"), 1001)
            .is_err());
        assert!(g.redeem(&code, "cqdt", "http://app.test/cb", VERIFIER, 1002).is_err());
    }

    #[test]
    fn codes_are_bound_to_client_redirect_uri_and_time() {
        let mut g = Grants::default();
        let code = issued(&mut g, 1000);
        assert!(g.redeem(&code, "other", "http://app.test/cb", VERIFIER, 1001).is_err());
        let code = issued(&mut g, 1000);
        assert!(g.redeem(&code, "cqdt", "http://app.test/cb2", VERIFIER, 1001).is_err());
        let code = issued(&mut g, 1000);
        assert!(g.redeem(&code, "cqdt", "http://app.test/cb", VERIFIER, 1000 + CODE_LIFE).is_err());
    }

    #[test]
    fn tokens_expire() {
        let mut g = Grants::default();
        let code = issued(&mut g, 1000);
        let grant = g.redeem(&code, "cqdt", "http://app.test/cb", VERIFIER, 1000).expect("ok");
        let token = g.issue_token(&code, &grant, 1000).expect("room");
        assert!(g.token(&token, 1000 + TOKEN_LIFE - 1).is_some());
        assert!(g.token(&token, 1000 + TOKEN_LIFE).is_none());
        assert!(g.token("nope", 1000).is_none());
    }
}
