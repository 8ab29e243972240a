//! Use cases of the identity module: registering and managing OAuth clients, signing keys,
//! and (in `oauth.rs`) the token, introspection and revocation endpoints' logic.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, SharedClock};
use serde_json::{json, Value};

use crate::error::IdentityError;
use crate::journal::Journal;
use crate::jwt;
use crate::keys::KeyRing;
use crate::lockout::{ClientSource, Lockout};
use crate::model::{
    ClientSecret, CreatedClient, Grant, IdentityConfig, LockoutPolicy, NewClient, OAuthClient,
    RedirectUri, SigningKeyInfo,
};
use crate::store;

/// Most client records a node keeps in memory.
const MAX_CACHED_CLIENTS: usize = 10_000;

/// The identity provider of this node. Cheap to clone.
#[derive(Clone)]
pub struct IdentityService {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub db: Db,
    pub clock: SharedClock,
    pub audit: Audit,
    pub config: IdentityConfig,
    pub keys: KeyRing,
    pub journal: Journal,
    /// Failed client authentications per client id and caller address.
    pub lockout: Lockout<ClientSource>,
    /// Failed password logins per client address.
    pub login_lockout: Lockout,
    /// Verification codes sent, per account, phone and e-mail (a send counts as a "failure").
    pub code_sends: Lockout,
    /// Where one-time codes and links are sent, attached after start.
    pub notifier: std::sync::OnceLock<cqdt_notify::Notifier>,
    /// Recently resolved sessions: digest of the cookie → principal, account, when.
    #[allow(clippy::type_complexity)]
    pub principals: std::sync::Mutex<
        HashMap<String, (cqdt_platform::Principal, crate::account::Account, Instant)>,
    >,
    /// Recently validated access tokens: digest of the token → claims, when. Kept like
    /// `principals` (every API call with a token validates one: a signature check and a
    /// revocation lookup); a revocation on this node clears them, another node's is seen
    /// within `PRINCIPAL_CACHE`.
    pub access_tokens: std::sync::Mutex<HashMap<String, (crate::model::AccessClaims, Instant)>>,
    /// Revocations on this node so far: a validation that began before one is not cached.
    pub revocations: std::sync::atomic::AtomicU64,
    /// Bounds concurrent argon2 work (memory and CPU).
    pub hashing: tokio::sync::Semaphore,
    /// Hashes of seeded passwords, computed once.
    pub seed_hashes: std::sync::Mutex<Vec<(String, String)>>,
    /// The external identity provider (VNeID), when configured.
    pub vneid: std::sync::OnceLock<crate::vneid::VneidConfig>,
    clients: RwLock<HashMap<String, Cached>>,
    discovery: Arc<str>,
}

struct Cached {
    client: Option<Arc<OAuthClient>>,
    at: Instant,
}

impl IdentityService {
    /// Starts the provider: seals secrets an older release left in clear, loads the signing
    /// keys (making the first one on a new instance; a key-encryption key that does not open
    /// them is refused here) and the audit writer. Call inside the Tokio runtime.
    #[tracing::instrument(skip_all, fields(issuer = %config.issuer))]
    pub async fn start(
        db: Db,
        clock: SharedClock,
        audit: Audit,
        config: IdentityConfig,
    ) -> Result<Self, IdentityError> {
        let sealed = crate::secrets::reseal(&db, &config.sealer, true).await?;
        if sealed != crate::secrets::Resealed::default() {
            tracing::warn!(
                totp_secrets = sealed.totp_secrets,
                signing_keys = sealed.signing_keys,
                kek = config.sealer.current_id(),
                "sealed secrets that an earlier release stored in clear"
            );
        }
        let keys = KeyRing::load(
            db.clone(),
            clock.clone(),
            audit.clone(),
            config.sealer.clone(),
            config.access_token_ttl.max(config.id_token_ttl),
            config.key_refresh,
        )
        .await?;
        let journal = Journal::start(db.clone(), audit.clone());
        let discovery = Arc::from(discovery_document(&config).to_string());
        Ok(IdentityService {
            inner: Arc::new(Inner {
                lockout: Lockout::new(config.lockout),
                code_sends: Lockout::new(LockoutPolicy {
                    max_failures: crate::login::MAX_CODE_SENDS,
                    window: crate::login::CODE_SEND_WINDOW,
                    lockout: crate::login::CODE_SEND_WINDOW,
                }),
                login_lockout: Lockout::new(LockoutPolicy {
                    max_failures: 30,
                    window: std::time::Duration::from_secs(15 * 60),
                    lockout: std::time::Duration::from_secs(15 * 60),
                }),
                notifier: std::sync::OnceLock::new(),
                hashing: tokio::sync::Semaphore::new(crate::login::HASHING_AT_ONCE),
                principals: std::sync::Mutex::new(HashMap::new()),
                access_tokens: std::sync::Mutex::new(HashMap::new()),
                revocations: std::sync::atomic::AtomicU64::new(0),
                seed_hashes: std::sync::Mutex::new(Vec::new()),
                vneid: std::sync::OnceLock::new(),
                db,
                clock,
                audit,
                config,
                keys,
                journal,
                clients: RwLock::new(HashMap::new()),
                discovery,
            }),
        })
    }

    /// Attaches the notification service that sends one-time codes and links.
    pub fn attach_notifier(&self, notifier: cqdt_notify::Notifier) {
        let _ = self.inner.notifier.set(notifier);
    }

    /// Configures login through VNeID (an external OpenID Connect provider).
    pub fn attach_vneid(&self, config: crate::vneid::VneidConfig) {
        let _ = self.inner.vneid.set(config);
    }

    /// Signs the assertion the integration platform's gateway sends a provider with a call:
    /// the platform (`iss`) states that the consumer system `sub` calls the service `aud`
    /// under the request id `jti`, valid five minutes; `extra` adds the call's own claims. ES256
    /// with the platform's key, verifiable with its JWKS (`/.well-known/jwks.json`).
    pub async fn sign_gateway_assertion(
        &self,
        sub: &str,
        aud: &str,
        jti: &str,
        extra: serde_json::Map<String, Value>,
    ) -> Result<String, IdentityError> {
        let key = self.inner.keys.signer(jwt::Alg::Es256).await?;
        let iat = self.inner.clock.now().timestamp();
        let mut claims = extra;
        for (k, v) in [
            ("iss", serde_json::json!(self.inner.config.issuer)),
            ("sub", serde_json::json!(sub)),
            ("aud", serde_json::json!(aud)),
            ("jti", serde_json::json!(jti)),
            ("iat", serde_json::json!(iat)),
            ("exp", serde_json::json!(iat + 300)),
        ] {
            claims.insert(k.into(), v);
        }
        key.sign_assertion(&claims)
    }

    /// The platform's signature over a seal of the integration platform's message log: a JWT
    /// (`typ` lgsp-seal+jwt, ES256) with `claims`, this issuer as `iss` and `aud`, `sub`
    /// lgsp-log and `iat`; no `exp`.
    pub async fn sign_log_seal(
        &self,
        claims: serde_json::Map<String, Value>,
    ) -> Result<String, IdentityError> {
        let key = self.inner.keys.signer(jwt::Alg::Es256).await?;
        let mut claims = claims;
        let issuer = &self.inner.config.issuer;
        for (k, v) in [
            ("iss", json!(issuer)),
            ("aud", json!(issuer)),
            ("sub", json!("lgsp-log")),
            ("iat", json!(self.inner.clock.now().timestamp())),
        ] {
            claims.insert(k.into(), v);
        }
        key.sign_seal(&claims)
    }

    /// The claims of a message log seal this provider signed, checked with the key its `kid`
    /// names (active or retiring keys).
    pub async fn verify_log_seal(
        &self,
        token: &str,
    ) -> Result<serde_json::Map<String, Value>, jwt::Refusal> {
        let expect = jwt::Expectation::log_seal(&self.inner.config.issuer);
        self.inner.keys.verify(token, &expect).await
    }

    /// The configuration.
    pub fn config(&self) -> &IdentityConfig {
        &self.inner.config
    }

    /// The OpenID Connect discovery document, JSON text.
    pub fn discovery(&self) -> Arc<str> {
        self.inner.discovery.clone()
    }

    /// The JSON Web Key Set of the keys that verify (active and retiring), JSON text.
    pub fn jwks(&self) -> Arc<str> {
        self.inner.keys.current().jwks.clone()
    }

    /// The kid that signs new tokens on this node.
    pub fn active_kid(&self) -> String {
        self.inner.keys.current().es256.kid().to_string()
    }

    /// Rereads the signing keys now (they are otherwise reread every `key_refresh`), e.g. after
    /// a rotation made by another process.
    #[tracing::instrument(skip_all)]
    pub async fn reload_keys(&self) -> Result<(), IdentityError> {
        self.inner.keys.reload().await
    }

    /// Every signing key, newest first, without private parts.
    #[tracing::instrument(skip_all)]
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyInfo>, IdentityError> {
        self.inner.keys.list().await
    }

    /// Makes a new active signing key (audited); tokens signed by the old one stay verifiable
    /// until they expire.
    #[tracing::instrument(skip_all, fields(actor = %actor))]
    pub async fn rotate_signing_key(
        &self,
        actor: &str,
        request_id: &str,
    ) -> Result<SigningKeyInfo, IdentityError> {
        self.inner.keys.rotate(actor, request_id).await
    }

    /// Registers a client (audited). The secret of a confidential client is returned here once
    /// and stored only as a digest. This is what `cqdt client add` calls.
    #[tracing::instrument(skip_all, fields(actor = %actor))]
    pub async fn add_client(
        &self,
        actor: &str,
        request_id: &str,
        new: &NewClient,
    ) -> Result<CreatedClient, IdentityError> {
        let spec = new.validate()?;
        let secret = (!spec.public).then(ClientSecret::generate);
        let now = format_ts(self.inner.clock.now());
        let client = OAuthClient {
            client_id: hex::encode(rand::random::<[u8; 16]>()),
            name: spec.name,
            secret_hash: secret.as_ref().map(ClientSecret::hash),
            public: spec.public,
            grants: spec.grants,
            redirect_uris: spec.redirect_uris,
            scopes: spec.scopes,
            first_party: spec.first_party,
            enabled: true,
            created_at: now.clone(),
            created_by: actor.to_string(),
            updated_at: now,
            secret_rotated_at: None,
            id_token_alg: spec.id_token_alg,
        };
        // The client's ID-token key exists before the client can ask for a token (the RS256
        // key is made the first time a client asks for RS256).
        self.inner.keys.signer(client.id_token_alg).await?;
        let mut tx = self.inner.db.begin().await?;
        store::insert_client(&mut tx, &client).await?;
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "identity.client.create", "oauth_client")
                    .object(client.client_id.clone())
                    .request(request_id)
                    .details(client_facts(&client)),
            )
            .await?;
        tx.commit().await?;
        self.forget_client(&client.client_id);
        tracing::info!(client_id = %client.client_id, name = %client.name, "OAuth client registered");
        Ok(CreatedClient { client, secret })
    }

    /// Whether a URI is registered as a redirect URI of an enabled client.
    #[tracing::instrument(skip_all)]
    pub async fn is_registered_redirect(&self, uri: &str) -> bool {
        self.list_clients().await.is_ok_and(|cs| {
            cs.iter().any(|c| c.enabled && c.redirect_uris.iter().any(|r| r.as_str() == uri))
        })
    }

    /// Every registered client, by name.
    #[tracing::instrument(skip_all)]
    pub async fn list_clients(&self) -> Result<Vec<OAuthClient>, IdentityError> {
        Ok(store::list_clients(&self.inner.db).await?)
    }

    /// One client, read from the database.
    #[tracing::instrument(skip_all, fields(client_id = %client_id))]
    pub async fn client(&self, client_id: &str) -> Result<Option<OAuthClient>, IdentityError> {
        Ok(store::get_client(&self.inner.db, client_id).await?)
    }

    /// Turns a client off or back on (audited). A disabled client gets no tokens, and the
    /// tokens it holds introspect as inactive.
    #[tracing::instrument(
        skip_all,
        fields(actor = %actor, client_id = %client_id, enabled = enabled)
    )]
    pub async fn set_client_enabled(
        &self,
        actor: &str,
        request_id: &str,
        client_id: &str,
        enabled: bool,
    ) -> Result<OAuthClient, IdentityError> {
        let mut tx = self.inner.db.begin().await?;
        let Some(mut client) = store::get_client_tx(&mut tx, client_id).await? else {
            return Err(IdentityError::NotFound(format!("ứng dụng {client_id}")));
        };
        let now = format_ts(self.inner.clock.now());
        store::set_enabled(&mut tx, client_id, enabled, &now).await?;
        let action = if enabled { "identity.client.enable" } else { "identity.client.disable" };
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new(actor, action, "oauth_client")
                    .object(client_id)
                    .request(request_id)
                    .details(json!({"was_enabled": client.enabled})),
            )
            .await?;
        tx.commit().await?;
        self.forget_client(client_id);
        client.enabled = enabled;
        client.updated_at = now;
        Ok(client)
    }

    /// Disables a client (audited).
    #[tracing::instrument(skip_all, fields(actor = %actor, client_id = %client_id))]
    pub async fn disable_client(
        &self,
        actor: &str,
        request_id: &str,
        client_id: &str,
    ) -> Result<OAuthClient, IdentityError> {
        self.set_client_enabled(actor, request_id, client_id, false).await
    }

    /// Replaces a confidential client's secret (audited); the old one stops working at once on
    /// this node and within the client cache time on others. The new secret is returned once.
    #[tracing::instrument(skip_all, fields(actor = %actor, client_id = %client_id))]
    pub async fn rotate_client_secret(
        &self,
        actor: &str,
        request_id: &str,
        client_id: &str,
    ) -> Result<ClientSecret, IdentityError> {
        let mut tx = self.inner.db.begin().await?;
        let Some(client) = store::get_client_tx(&mut tx, client_id).await? else {
            return Err(IdentityError::NotFound(format!("ứng dụng {client_id}")));
        };
        if client.public {
            return Err(IdentityError::Invalid(
                "Ứng dụng công khai không có khóa bí mật để thay.".into(),
            ));
        }
        let secret = ClientSecret::generate();
        let now = format_ts(self.inner.clock.now());
        store::set_secret(&mut tx, client_id, &secret.hash(), &now).await?;
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "identity.client.secret.rotate", "oauth_client")
                    .object(client_id)
                    .request(request_id),
            )
            .await?;
        tx.commit().await?;
        self.forget_client(client_id);
        self.inner.lockout.forget(|k| k.client_id == client_id);
        Ok(secret)
    }

    /// A client record, from this node's short-lived cache or the database.
    pub(crate) async fn cached_client(
        &self,
        client_id: &str,
    ) -> Result<Option<Arc<OAuthClient>>, IdentityError> {
        let ttl = self.inner.config.client_cache_ttl;
        if let Ok(map) = self.inner.clients.read() {
            if let Some(c) = map.get(client_id).filter(|c| c.at.elapsed() < ttl) {
                return Ok(c.client.clone());
            }
        }
        let client = store::get_client(&self.inner.db, client_id).await?.map(Arc::new);
        if let Ok(mut map) = self.inner.clients.write() {
            if map.len() >= MAX_CACHED_CLIENTS {
                map.clear();
            }
            map.insert(
                client_id.to_string(),
                Cached { client: client.clone(), at: Instant::now() },
            );
        }
        Ok(client)
    }

    fn forget_client(&self, client_id: &str) {
        if let Ok(mut map) = self.inner.clients.write() {
            map.remove(client_id);
        }
    }
}

/// What the audit log keeps about a client's registration (never the secret).
fn client_facts(c: &OAuthClient) -> Value {
    json!({
        "name": c.name,
        "public": c.public,
        "grants": c.grants.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "redirect_uris": c.redirect_uris.iter().map(RedirectUri::as_str).collect::<Vec<_>>(),
        "scopes": c.scopes.to_string(),
        "first_party": c.first_party,
        "id_token_signed_response_alg": c.id_token_alg.as_str(),
    })
}

/// The OpenID Connect Discovery 1.0 / RFC 8414 metadata, listing only what is implemented.
///
/// Public clients authenticate with `none` at the token endpoint (PKCE binds their codes) and
/// at the revocation endpoint (RFC 7009 §2.1: a client revokes its own tokens); introspection
/// is for confidential clients only.
pub fn discovery_document(config: &IdentityConfig) -> Value {
    let auth_methods = ["client_secret_basic", "client_secret_post"];
    json!({
        "issuer": config.issuer,
        "authorization_endpoint": config.endpoint("/oauth/authorize"),
        "jwks_uri": config.endpoint("/oauth/jwks"),
        "token_endpoint": config.endpoint("/oauth/token"),
        "userinfo_endpoint": config.endpoint("/oauth/userinfo"),
        "end_session_endpoint": config.endpoint("/oauth/logout"),
        "introspection_endpoint": config.endpoint("/oauth/introspect"),
        "revocation_endpoint": config.endpoint("/oauth/revoke"),
        "grant_types_supported": [Grant::ClientCredentials.as_str(), Grant::AuthorizationCode.as_str(), "refresh_token"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "scopes_supported": crate::oidc::known_scopes().collect::<Vec<_>>(),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "sid", "azp", "at_hash",
            "name", "preferred_username", "birthdate", "gender", "address", "updated_at", "email", "email_verified",
            "phone_number", "phone_number_verified", "personal_id", "agency", "roles"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "id_token_signing_alg_values_supported": [jwt::ES256, jwt::RS256],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
    })
}
