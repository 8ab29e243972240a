//! Browser sessions and the principal every module's handlers receive.

use chrono::{DateTime, Utc};
use cqdt_audit::AuditEvent;
use cqdt_platform::clock::format_ts;
use cqdt_platform::{Principal, Role, RoleGrant, Tx};
use serde_json::json;

use super::{
    digest, later, parse_ts, random_token, Client, LiveSession, Stage, PRINCIPAL_CACHE,
    SESSION_IDLE, SESSION_MAX,
};
use crate::account::{Account, AccountKind, AccountStatus};
use crate::error::IdentityError;
use crate::service::IdentityService;
use crate::store::accounts as st;
use crate::store::accounts::SessionRow;

impl IdentityService {
    pub(crate) async fn start_session(
        &self,
        tx: &mut Tx,
        a: &Account,
        stage: Stage,
        amr: &str,
        client: &Client,
        now: DateTime<Utc>,
    ) -> Result<String, IdentityError> {
        let cookie = random_token();
        let now_s = format_ts(now);
        let row = SessionRow {
            id_hash: digest(&cookie),
            public_id: hex::encode(rand::random::<[u8; 12]>()),
            account_id: a.id.clone(),
            stage: stage.as_str().into(),
            amr: amr.into(),
            created_at: now_s.clone(),
            auth_time: now_s.clone(),
            last_seen_at: now_s,
            expires_at: later(now, SESSION_MAX),
            ip: client.ip.chars().take(64).collect(),
            user_agent: client.user_agent.chars().take(300).collect(),
            revoked_at: None,
        };
        st::insert_session(tx, &row).await?;
        Ok(cookie)
    }

    /// The session a cookie names, if it is open (not ended, expired or idle too long).
    #[tracing::instrument(skip_all)]
    pub async fn session(&self, cookie: &str) -> Result<Option<LiveSession>, IdentityError> {
        if cookie.is_empty() || cookie.len() > 100 {
            return Ok(None);
        }
        let now = self.inner.clock.now();
        let Some(s) = st::session(self.inner.db.pool(), &digest(cookie)).await? else {
            return Ok(None);
        };
        let idle_since = parse_ts(&s.last_seen_at).unwrap_or(now);
        let expired = s.revoked_at.is_some()
            || s.expires_at <= format_ts(now)
            || now - idle_since > chrono::Duration::from_std(SESSION_IDLE).unwrap_or_default();
        let Some(stage) = Stage::parse(&s.stage).filter(|_| !expired) else {
            return Ok(None);
        };
        let Some(account) = st::account_by(self.inner.db.pool(), "id", &s.account_id).await? else {
            return Ok(None);
        };
        if account.status != AccountStatus::Active {
            return Ok(None);
        }
        // Record activity at most once a minute, to keep reads cheap.
        if now - idle_since > chrono::Duration::seconds(60) {
            let mut tx = self.inner.db.begin().await?;
            st::touch_session(&mut tx, &s.id_hash, &format_ts(now)).await?;
            tx.commit().await?;
        }
        Ok(Some(LiveSession { session: s, stage, account }))
    }

    /// The principal of a fully signed-in session.
    ///
    /// Resolutions are kept for [`PRINCIPAL_CACHE`] on this node (every page and API call
    /// resolves one); any sign-out, role or account change on this node clears them, and
    /// another node's change is seen within that time.
    #[tracing::instrument(skip_all)]
    pub async fn principal(&self, cookie: &str) -> Result<Option<Principal>, IdentityError> {
        let key = digest(cookie);
        if let Ok(cache) = self.inner.principals.lock() {
            if let Some((p, _, at)) = cache.get(&key) {
                if at.elapsed() < PRINCIPAL_CACHE {
                    return Ok(Some(p.clone()));
                }
            }
        }
        let Some(live) = self.session(cookie).await? else {
            return Ok(None);
        };
        if live.stage != Stage::Full {
            return Ok(None);
        }
        let p = self.principal_of(&live.account, &live.session.public_id).await?;
        if let Ok(mut cache) = self.inner.principals.lock() {
            if cache.len() >= 10_000 {
                cache.clear();
            }
            cache.insert(key, (p.clone(), live.account, std::time::Instant::now()));
        }
        Ok(Some(p))
    }

    /// An account as a fresh principal resolution on this node read it, else from the
    /// database.
    #[tracing::instrument(skip_all, fields(account_id = %p.account_id))]
    pub async fn account_for(&self, p: &Principal) -> Result<Option<Account>, IdentityError> {
        if let Ok(cache) = self.inner.principals.lock() {
            if let Some((_, a, at)) = cache
                .values()
                .find(|(x, _, _)| x.session_id == p.session_id && x.account_id == p.account_id)
            {
                if at.elapsed() < PRINCIPAL_CACHE {
                    return Ok(Some(a.clone()));
                }
            }
        }
        self.account(&p.account_id).await
    }

    /// Forgets every cached principal (after a sign-out, role or account change).
    pub(crate) fn forget_principals(&self) {
        if let Ok(mut cache) = self.inner.principals.lock() {
            cache.clear();
        }
    }

    /// Builds the principal of an account.
    #[tracing::instrument(skip_all, fields(account_id = %a.id))]
    pub async fn principal_of(
        &self,
        a: &Account,
        session_id: &str,
    ) -> Result<Principal, IdentityError> {
        let mut roles: Vec<RoleGrant> =
            st::grants(self.inner.db.pool(), &a.id).await?.into_iter().map(|g| g.grant).collect();
        if a.kind == AccountKind::Citizen {
            roles.push(RoleGrant { role: Role::Citizen, agency: String::new(), subtree: false });
            for (b, _) in st::businesses_of(self.inner.db.pool(), &a.id).await? {
                roles.push(RoleGrant {
                    role: Role::Business,
                    agency: b.tax_code.unwrap_or_default(),
                    subtree: false,
                });
            }
        }
        Ok(Principal {
            account_id: a.id.clone(),
            actor: a.actor(),
            name: a.full_name.clone(),
            kind: a.kind.as_str().into(),
            agency: a.agency_code.clone(),
            roles,
            session_id: session_id.to_string(),
            access: cqdt_platform::auth::Access::Session,
        })
    }

    /// Ends the session a cookie names, and the refresh tokens issued under it.
    #[tracing::instrument(skip_all)]
    pub async fn logout(&self, cookie: &str, client: &Client) -> Result<(), IdentityError> {
        let Some(live) = self.session(cookie).await? else {
            return Ok(());
        };
        self.end_session(&live.account, &live.session.public_id, client).await?;
        Ok(())
    }

    /// Ends one of an account's sessions (the person's own choice, or logout); false if it
    /// was not open.
    #[tracing::instrument(skip_all, fields(account_id = %a.id, session = %public_id))]
    pub async fn end_session(
        &self,
        a: &Account,
        public_id: &str,
        client: &Client,
    ) -> Result<bool, IdentityError> {
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        self.forget_principals();
        let mut tx = self.inner.db.begin().await?;
        let ended = st::revoke_session(&mut tx, &a.id, public_id, &now_s).await?;
        if ended {
            for family in st::families_of_session(&mut tx, public_id).await? {
                self.revoke_family_tx(&mut tx, &family, &now_s, "logout").await?;
            }
            self.audit_tx(
                &mut tx,
                AuditEvent::new(&a.actor(), "identity.logout", "session")
                    .object(public_id)
                    .request(&client.request_id)
                    .details(json!({"ip": client.ip})),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ended)
    }

    /// The open sessions of an account.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
    pub async fn sessions_of(&self, account_id: &str) -> Result<Vec<SessionRow>, IdentityError> {
        let now_s = format_ts(self.inner.clock.now());
        Ok(st::open_sessions(self.inner.db.pool(), account_id, &now_s).await?)
    }
}
