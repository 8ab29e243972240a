//! What a token discloses about a person: scoped claims, userinfo, ID token hints.

use serde_json::{json, Map, Value};

use super::IdClaims;
use crate::account::Account;
use crate::error::IdentityError;
use crate::jwt::{self, Expectation, Refusal};
use crate::service::IdentityService;
use crate::store::accounts as st;

impl IdentityService {
    /// The claims a scope discloses about an account (OIDC Core §5.4, and this platform's
    /// `personal_id`, `agency`, `roles`).
    #[tracing::instrument(skip_all, fields(account_id = %a.id, scope = %scope))]
    pub async fn scoped_claims(
        &self,
        a: &Account,
        scope: &str,
    ) -> Result<Map<String, Value>, IdentityError> {
        let has = |s: &str| scope.split(' ').any(|x| x == s);
        let mut m = Map::new();
        if has("profile") {
            m.insert("name".into(), json!(a.full_name));
            if let Some(u) = &a.username {
                m.insert("preferred_username".into(), json!(u));
            }
            if let Some(b) = &a.birth_date {
                m.insert("birthdate".into(), json!(b));
            }
            if let Some(g) = &a.gender {
                m.insert("gender".into(), json!(g));
            }
            if let Some(ad) = &a.address {
                m.insert("address".into(), json!({"formatted": ad}));
            }
            m.insert(
                "updated_at".into(),
                json!(chrono::DateTime::parse_from_rfc3339(&a.updated_at)
                    .map(|t| t.timestamp())
                    .unwrap_or(0)),
            );
        }
        if has("email") {
            if let Some(e) = &a.email {
                m.insert("email".into(), json!(e));
                m.insert(
                    "email_verified".into(),
                    json!(a.status == crate::account::AccountStatus::Active),
                );
            }
        }
        if has("phone") {
            if let Some(p) = &a.phone {
                m.insert("phone_number".into(), json!(p));
                m.insert(
                    "phone_number_verified".into(),
                    json!(a.status == crate::account::AccountStatus::Active),
                );
            }
        }
        if has("personal_id") {
            if let Some(p) = &a.personal_id {
                m.insert("personal_id".into(), json!(p));
            }
        }
        if has("agency") {
            if let Some(ag) = &a.agency_code {
                m.insert("agency".into(), json!(ag));
            }
        }
        if has("roles") {
            let grants = st::grants(self.inner.db.pool(), &a.id).await?;
            m.insert(
                "roles".into(),
                Value::Array(
                    grants
                        .iter()
                        .map(|g| json!({"role": g.grant.role.as_str(), "agency": g.grant.agency, "subtree": g.grant.subtree}))
                        .collect(),
                ),
            );
        }
        Ok(m)
    }

    /// Userinfo (OIDC Core §5.3) for a bearer access token issued to a person.
    #[tracing::instrument(skip_all)]
    pub async fn userinfo(&self, token: &str) -> Result<Option<Value>, IdentityError> {
        let Some(claims) = self.validate_access_token(token).await? else {
            return Ok(None);
        };
        if !claims.scope.split(' ').any(|s| s == "openid") {
            return Ok(None);
        }
        let Some(a) = self.account(&claims.sub).await? else {
            return Ok(None);
        };
        if a.status != crate::account::AccountStatus::Active {
            return Ok(None);
        }
        let mut m = self.scoped_claims(&a, &claims.scope).await?;
        m.insert("sub".into(), json!(a.id));
        Ok(Some(Value::Object(m)))
    }

    /// Reads an ID token this provider issued, presented back as `id_token_hint`
    /// (RP-Initiated Logout 1.0 §2), through the one verifier: typ JWT, ES256 or RS256 by a
    /// published key, this issuer, and as audience the client — the `client_id` sent with the
    /// hint, or else the registered, enabled client the token names. Its `exp` may have passed
    /// by at most the life of a refresh token (the specification asks to accept expired hints;
    /// no grant outlives a refresh token).
    #[tracing::instrument(skip_all)]
    pub async fn read_id_token_hint(
        &self,
        token: &str,
        client_id: Option<&str>,
    ) -> Result<IdClaims, Refusal> {
        let named = match client_id {
            Some(c) => c.to_string(),
            None => {
                // Read before the signature is checked, only to choose the expected audience;
                // the verifier then checks the token against it.
                jwt::verify::key_id(token)?;
                let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(token)
                    .map_err(|_| Refusal::Malformed)?;
                claims.get("aud").and_then(Value::as_str).ok_or(Refusal::Audience)?.to_string()
            }
        };
        let client = self.cached_client(&named).await.ok().flatten().filter(|c| c.enabled);
        let client = client.ok_or(Refusal::Audience)?;
        let c = &self.inner.config;
        let grace = i64::try_from(c.refresh_token_ttl.as_secs()).unwrap_or(i64::MAX);
        let expect = Expectation::id_token_hint(&c.issuer, &client.client_id, grace);
        self.inner.keys.verify(token, &expect).await
    }
}
